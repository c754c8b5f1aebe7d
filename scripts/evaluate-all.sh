#!/usr/bin/env bash
# Evaluates every model with its shipped parameters on ML-100K (official folds u1..u5)
# and on ml-latest-small (per-user 80/20 holdout, seeds 1, 2, 3), writes the JSON
# results to build/eval/, and prints the README's results table (markdown).
# Assumes scripts/build.sh has run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${RECO_DATA_DIR:=$(bash scripts/data.sh)}"
reco=build/native/server/reco
out=build/eval
mkdir -p "$out"

params() {  # dataset model -> --params FILE, or the model name when no tuned file exists
  local f="models/params/$1-$2.json"
  if [[ -f "$f" ]]; then echo "--params $f"; else echo "--model $2"; fi
}

for model in pop knn bpr als ease; do
  # shellcheck disable=SC2046
  $reco eval --quiet --data "$RECO_DATA_DIR/ml-100k" --format ml100k --split folds:u1,u2,u3,u4,u5 \
    $(params ml100k $model) --threads 2 --json "$out/ml100k-$model.json" >/dev/null
  # shellcheck disable=SC2046
  $reco eval --quiet --data "$RECO_DATA_DIR/ml-latest-small" --format mllatest --split holdout:0.2:1,2,3 \
    $(params mllatest $model) --threads 2 --json "$out/mllatest-$model.json" >/dev/null
done

node - "$out" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const metrics = ['precision@10', 'recall@10', 'ndcg@10', 'map@10', 'coverage@10'];
const row = (label, r) =>
  `| ${label} | ${metrics.map((k) => r.mean[k].toFixed(4)).join(' | ')} | ${r.fit_seconds.toFixed(2)} |`;
console.log(`| data, model | P@10 | R@10 | NDCG@10 | MAP@10 | Cov@10 | fit s |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const m of ['pop', 'knn', 'bpr', 'als', 'ease']) console.log(row(`ML-100K u1..u5, ${m}`, read(`ml100k-${m}.json`)));
for (const m of ['pop', 'knn', 'bpr', 'als', 'ease']) console.log(row(`ml-latest-small holdout:0.2:1,2,3, ${m}`, read(`mllatest-${m}.json`)));
JS

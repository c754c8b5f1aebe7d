#!/usr/bin/env bash
# Item cold-start report on ml-latest-small: the content models against the TF-IDF
# genre/tag baseline and random, on two protocols where the ranked items had no
# interactions at training time and only they are candidates:
#   cold:0.2:1,2,3     a seeded 20% of the items, three seeds
#   cold-items:FILE    a fixed list: every fifth movie of movies.csv (build/cold-items.txt)
# Writes JSON to build/eval/ and prints the README's markdown table. Assumes
# scripts/build.sh has run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${RECO_DATA_DIR:=$(bash scripts/data.sh)}"
reco=build/native/server/reco
data="$RECO_DATA_DIR/ml-latest-small"
out=build/eval
mkdir -p "$out"
awk -F, 'NR > 1 && (NR - 2) % 5 == 0 { print $1 }' "$data/movies.csv" >build/cold-items.txt

params() {  # model -> --params FILE when a tuned file exists, else --model
  local f="models/params/mllatest-$1.json"
  if [[ -f "$f" ]]; then echo "--params $f"; else echo "--model $1"; fi
}

models=(random tfidf content content-factor)
for model in "${models[@]}"; do
  for split in cold:0.2:1,2,3 cold-items:build/cold-items.txt; do
    tag=${split%%:*}
    # shellcheck disable=SC2046
    $reco eval --quiet --data "$data" --format mllatest --split "$split" $(params "$model") \
      --json "$out/cold-$tag-$model.json" >/dev/null
  done
done

node - "$out" "${models[@]}" <<'JS'
const fs = require('fs');
const [dir, ...models] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
console.log('| model | cold:0.2 seed 1 | seed 2 | seed 3 | mean NDCG@10 | mean R@10 | cold-items:FILE NDCG@10 | fit s (mean per split) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const m of models) {
  const c = read(`cold-cold-${m}.json`), f = read(`cold-cold-items-${m}.json`);
  const seeds = c.folds.map((s) => s['ndcg@10'].toFixed(4));
  console.log(`| ${m} | ${seeds.join(' | ')} | ${c.mean['ndcg@10'].toFixed(4)} | ${c.mean['recall@10'].toFixed(4)} | ` +
    `${f.mean['ndcg@10'].toFixed(4)} | ${c.fit_seconds.toFixed(1)} |`);
}
JS

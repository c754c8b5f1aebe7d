#!/usr/bin/env bash
# EASE accuracy against shipped size: NDCG@10 and bytes of the item-item weights for
# top-N = 16, 32, 64, 128, 256 entries per row (int8 + per-row scale) and dense float32, on
# ML-100K (folds u1..u5) and ml-latest-small (holdout:0.2:1,2,3), with the lambda of
# models/params. Prints a markdown table. Assumes scripts/build.sh has run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${RECO_DATA_DIR:=$(bash scripts/data.sh)}"
reco=build/native/server/reco
out=build/eval
mkdir -p "$out"

run() {  # name data format split params top
  $reco eval --quiet --data "$RECO_DATA_DIR/$2" --format "$3" --split "$4" --params "$5" --ease-top "$6" \
    --json "$out/ease-$1-$6.json" >/dev/null
}
for top in 16 32 64 128 256 0; do
  run ml100k ml-100k ml100k folds:u1,u2,u3,u4,u5 models/params/ml100k-ease.json $top
  run mllatest ml-latest-small mllatest holdout:0.2:1,2,3 models/params/mllatest-ease.json $top
done

node - "$out" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
console.log('| data | top-N per row | NDCG@10 | weights bytes | vs dense NDCG |');
console.log('|---|---|---|---|---|');
for (const d of ['ml100k', 'mllatest']) {
  const dense = JSON.parse(fs.readFileSync(`${dir}/ease-${d}-0.json`, 'utf8'));
  for (const top of [16, 32, 64, 128, 256, 0]) {
    const r = JSON.parse(fs.readFileSync(`${dir}/ease-${d}-${top}.json`, 'utf8'));
    const diff = r.mean['ndcg@10'] - dense.mean['ndcg@10'];
    console.log(`| ${d} | ${top || 'dense (float32)'} | ${r.mean['ndcg@10'].toFixed(4)} | ${r.model_bytes.toLocaleString('en')} | ${diff >= 0 ? '+' : ''}${diff.toFixed(4)} |`);
  }
}
JS

#!/usr/bin/env bash
# The hybrid ranker against its own content-only and CF-only variants (--signals), on
# ML-100K's five official folds and on ml-latest-small's item cold-start split
# (cold:0.2:1,2,3), and the bundle check: for each ML-100K fold, a bundle exported for
# that fold (int8 factors and embeddings) evaluated with `reco eval --bundle` against the
# in-memory hybrid, with the fusion ablation of each fold's bundle (reco export --ablation).
# Writes JSON to build/eval/ and prints the README's markdown tables.
# Assumes scripts/build.sh has run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${RECO_DATA_DIR:=$(bash scripts/data.sh)}"
reco=${RECO_BIN:-build/native/server/reco}
out=build/eval
mkdir -p "$out"

for signals in content cf hybrid; do
  $reco eval --quiet --data "$RECO_DATA_DIR/ml-100k" --format ml100k --split folds:u1,u2,u3,u4,u5 \
    --params models/params/ml100k-hybrid.json --signals "$signals" --json "$out/hybrid-ml100k-$signals.json" >/dev/null
  $reco eval --quiet --data "$RECO_DATA_DIR/ml-latest-small" --format mllatest --split cold:0.2:1,2,3 \
    --params models/params/mllatest-hybrid.json --signals "$signals" --json "$out/hybrid-cold-$signals.json" >/dev/null
done

for fold in u1 u2 u3 u4 u5; do
  $reco export --quiet --data "$RECO_DATA_DIR/ml-100k" --format ml100k --split "folds:$fold" --ablation \
    --params models/params/ml100k-hybrid.json --out "build/bundles/ml100k-$fold" >/dev/null
  $reco eval --quiet --data "$RECO_DATA_DIR/ml-100k" --format ml100k --split "folds:$fold" \
    --bundle "build/bundles/ml100k-$fold" --json "$out/bundle-ml100k-$fold.json" >/dev/null
done

node - "$out" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const f4 = (x) => x.toFixed(4);
console.log('| signals | ML-100K u1..u5 NDCG@10 | R@10 | ml-latest cold:0.2:1,2,3 NDCG@10 | R@10 |');
console.log('|---|---|---|---|---|');
for (const s of ['content', 'cf', 'hybrid']) {
  const w = read(`hybrid-ml100k-${s}.json`).mean, c = read(`hybrid-cold-${s}.json`).mean;
  console.log(`| ${s} | ${f4(w['ndcg@10'])} | ${f4(w['recall@10'])} | ${f4(c['ndcg@10'])} | ${f4(c['recall@10'])} |`);
}
console.log('');
console.log('| fold | in-memory hybrid NDCG@10 | bundle (int8) NDCG@10 | difference |');
console.log('|---|---|---|---|');
const mem = read('hybrid-ml100k-hybrid.json').folds;
let sm = 0, sb = 0;
mem.forEach((f, i) => {
  const b = read(`bundle-ml100k-u${i + 1}.json`).folds[0]['ndcg@10'];
  sm += f['ndcg@10']; sb += b;
  console.log(`| ${f.name} | ${f4(f['ndcg@10'])} | ${f4(b)} | ${(b - f['ndcg@10']).toFixed(4)} |`);
});
console.log(`| mean | ${f4(sm / 5)} | ${f4(sb / 5)} | ${((sb - sm) / 5).toFixed(4)} |`);

// The fusion ablation of the five fold bundles: NDCG@10 per history bucket, each bucket's
// users summed over the folds and its NDCG averaged over them weighted by users.
const abl = [1, 2, 3, 4, 5].map((f) => read(`../bundles/ml100k-u${f}/report.json`).evaluation.ablation);
const buckets = abl[0].buckets;
const users = buckets.map((_, b) => abl.reduce((s, a) => s + a.users[b], 0));
const total = users.reduce((s, u) => s + u, 0);
const live = buckets.map((_, b) => users[b] > 0);
console.log('');
console.log(`| variant | all (${total} users) | ${buckets.filter((_, b) => live[b]).map((l, i) => `${l} (${users.filter((_, b) => live[b])[i]})`).join(' | ')} |`);
console.log(`|---|---|${buckets.filter((_, b) => live[b]).map(() => '---').join('|')}|`);
abl[0].variants.forEach((v, vi) => {
  const per = buckets.map((_, b) => abl.reduce((s, a) => s + a.variants[vi].by_bucket[b] * a.users[b], 0) / Math.max(users[b], 1));
  const all = per.reduce((s, x, b) => s + x * users[b], 0) / total;
  console.log(`| ${v.name} | ${f4(all)} | ${per.filter((_, b) => live[b]).map(f4).join(' | ')} |`);
});
const shipped = JSON.parse(fs.readFileSync('models/params/ml100k-hybrid.json', 'utf8')).params.fusion;
console.log('');
console.log(`| shipped weight (warm items) | ${buckets.map((l) => l).join(' | ')} |`);
console.log(`|---|${buckets.map(() => '---').join('|')}|`);
for (const s of Object.keys(shipped.warm[0])) console.log(`| ${s} | ${shipped.warm.map((r) => r[s].toFixed(2)).join(' | ')} |`);
JS

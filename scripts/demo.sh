#!/usr/bin/env bash
# The main job end to end: install, build, train ALS on MovieLens 100K with the shipped
# defaults, and print the evaluation over the five official folds; then the same for
# ml-latest-small on a seeded 80/20 per-user holdout; then train the hybrid model on all
# of ml-latest-small, export it as a model bundle with its evaluation report, build the
# demo site and serve it with `reco serve` (http://127.0.0.1:8080/ unless RECO_PORT or
# RECO_HOST say otherwise; Ctrl-C stops it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/setup.sh
RECO_DATA_DIR="$(bash scripts/data.sh)"
export RECO_DATA_DIR
bash scripts/build.sh --wasm

reco=build/native/server/reco
$reco eval --data "$RECO_DATA_DIR/ml-100k" --format ml100k --split folds:u1,u2,u3,u4,u5 \
  --params models/params/ml100k-als.json --threads 2
$reco eval --data "$RECO_DATA_DIR/ml-latest-small" --format mllatest --split holdout:0.2:1,2,3 \
  --params models/params/mllatest-als.json --threads 2
$reco export --data "$RECO_DATA_DIR/ml-latest-small" --format mllatest \
  --params models/params/mllatest-hybrid.json --threads 2 --out build/bundles/ml-latest-small
node web/scripts/build-site.mjs --out build/site
port="${RECO_PORT:-8080}"
host="${RECO_HOST:-127.0.0.1}"
echo "demo: open http://$host:$port/ (evaluation report: http://$host:$port/report.html)"
exec $reco serve --web build/site --bundles build/bundles --host "$host" --port "$port"

#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan: file loaders, parameter files and
# splits, encoder files, HNSW index bytes, model bundles, ranking requests) and fuzzes them.
# Usage: tests/fuzz/run.sh [seconds=60]
# Output (binary, corpus, crash artifacts) goes to $FUZZ_DIR, default build/fuzz.
# Exit status is non-zero when the fuzzer finds a crash, leak, hang or broken invariant;
# the reproducer is then in $FUZZ_DIR/artifacts/ (replay: loaders_fuzz <file>).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${FUZZ_DIR:-$root/build/fuzz}"

have_libfuzzer() {
  command -v clang++-14 >/dev/null && compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null
}
if ! have_libfuzzer; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y clang-14 libclang-rt-14-dev
fi

mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"
src="$root/core/src"
# The core is compiled once, with the sanitizers and coverage, into an archive every
# target links against (in parallel, one job per core): compiling it per target took
# most of this script's time.
fuzz_flags=(-std=c++17 -g -O1 -fno-sanitize-recover=undefined -I"$root/core/include" -I/usr/include/eigen3
  -isystem /usr/include/hnswlib)
mkdir -p "$out/core-obj"
jobs_max="$(nproc)"
for f in "$src"/*.cpp; do
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n; done
  clang++-14 "${fuzz_flags[@]}" -fsanitize=fuzzer-no-link,address,undefined -c "$f" \
    -o "$out/core-obj/$(basename "$f" .cpp).o" &
done
while (( $(jobs -rp | wc -l) > 0 )); do wait -n; done
rm -f "$out/core-fuzz.a"
ar rcs "$out/core-fuzz.a" "$out"/core-obj/*.o
link_fuzzer() {  # output harness.cpp [extra args...]
  local target="$1" harness="$2"
  shift 2
  clang++-14 "${fuzz_flags[@]}" -fsanitize=fuzzer,address,undefined "$harness" "$@" "$out/core-fuzz.a" -o "$out/$target"
}
link_fuzzer loaders_fuzz "$root/tests/fuzz/loaders_fuzz.cpp"

# Seeds: the test fixtures, each prefixed with the selector byte of its parser
# (see loaders_fuzz.cpp: 0 u.data, 1 u.item, 2-4 ml-latest, 5-6 ML-1M, 7-8 CSV, 9 id list).
fx="$root/tests/fixtures"
seed() {  # selector file
  { printf "\\$(printf '%03o' "$1")"; cat "$2"; } >"$out/seeds/$1-$(basename "$(dirname "$2")")-$(basename "$2")"
}
seed 0 "$fx/ml100k-mini/u.data.fixture"
seed 1 "$fx/ml100k-mini/u.item"
seed 2 "$fx/mllatest-mini/ratings.csv.fixture"
seed 3 "$fx/mllatest-mini/movies.csv.fixture"
seed 4 "$fx/mllatest-mini/tags.csv.fixture"
seed 5 "$fx/ml1m-mini/ratings.dat"
seed 6 "$fx/ml1m-mini/movies.dat"
seed 7 "$fx/csv-mini/interactions.csv"
seed 8 "$fx/csv-mini/items.csv"
seed 18 "$fx/csv-mini/items.csv"  # latin-1
seed 9 "$fx/item-ids.txt"

# The parameter-file and split-spec target gets a quarter of the time; its input space is small.
link_fuzzer config_fuzz "$root/tests/fuzz/config_fuzz.cpp"
mkdir -p "$out/config-corpus" "$out/config-seeds"
cp "$root"/models/params/*.json "$out/config-seeds/"
printf 'holdout:0.2:1,2,3' >"$out/config-seeds/split-holdout"
printf 'folds:u1,u2' >"$out/config-seeds/split-folds"
"$out/config_fuzz" -max_total_time="$(( (seconds + 3) / 4 ))" -max_len=1024 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/config-" -print_final_stats=1 "$out/config-corpus" "$out/config-seeds"

# The encoder file readers (ONNX protobuf and tokenizer.json) get another quarter. Seeds:
# a small encoder exported by `reco encoder` from the fixtures, when reco is built.
link_fuzzer encoder_fuzz "$root/tests/fuzz/encoder_fuzz.cpp" -DONNX_ML=1 -DONNX_NAMESPACE=onnx -I"$root/models/include" \
  "$root/models/src/onnx_encoder.cpp" -lonnx -lonnx_proto -lprotobuf
mkdir -p "$out/encoder-corpus" "$out/encoder-seeds"
reco="$root/build/native/server/reco"
if [[ -x "$reco" ]]; then
  printf '{"model": "content", "params": {"buckets": 64, "hidden": 4, "dim": 3, "epochs": 1}}' >"$out/tiny-encoder.json"
  "$reco" encoder --quiet --data "$root/build/native/tests/fixtures/mllatest-mini" --format mllatest --params "$out/tiny-encoder.json" \
    --out "$out/tiny-encoder" >/dev/null
  cp "$out/tiny-encoder/encoder.onnx" "$out/tiny-encoder/tokenizer.json" "$out/encoder-seeds/"
fi
"$out/encoder_fuzz" -max_total_time="$(( (seconds + 3) / 4 ))" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/encoder-" -print_final_stats=1 "$out/encoder-corpus" "$out/encoder-seeds"

"$out/loaders_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/loaders.dict" -artifact_prefix="$out/artifacts/" -print_final_stats=1 \
  "$out/corpus" "$out/seeds"

# The HNSW index reader (HnswIndex::deserialize) gets another quarter. Seeds: small
# serialised indexes, written by the same source built as a seed writer.
hnsw_sources=("$root/tests/fuzz/hnsw_fuzz.cpp" "$src/hnsw_index.cpp" "$src/error.cpp" "$src/top_k.cpp" "$src/portable_math.cpp")
link_fuzzer hnsw_fuzz "$root/tests/fuzz/hnsw_fuzz.cpp"
clang++-14 -std=c++17 -O1 -DRECO_HNSW_FUZZ_SEEDS -I"$root/core/include" -I/usr/include/eigen3 -isystem /usr/include/hnswlib \
  "${hnsw_sources[@]}" -o "$out/hnsw_fuzz_seeds"
mkdir -p "$out/hnsw-corpus" "$out/hnsw-seeds"
"$out/hnsw_fuzz_seeds" "$out/hnsw-seeds"
"$out/hnsw_fuzz" -max_total_time="$(( (seconds + 3) / 4 ))" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/hnsw-" -print_final_stats=1 "$out/hnsw-corpus" "$out/hnsw-seeds"

# The model bundle reader (parse_manifest, decode_bundle and every section reader, then
# rank on what loads) gets another quarter. Seeds: real bundles of a tiny hand-made
# model at each matrix dtype, packed in bundle_fuzz.cpp's archive format, written by
# the fuzz binary itself when RECO_BUNDLE_FUZZ_SEEDS names a directory.
link_fuzzer bundle_fuzz "$root/tests/fuzz/bundle_fuzz.cpp"
mkdir -p "$out/bundle-corpus" "$out/bundle-seeds"
RECO_BUNDLE_FUZZ_SEEDS="$out/bundle-seeds" "$out/bundle_fuzz"
"$out/bundle_fuzz" -max_total_time="$(( (seconds + 3) / 4 ))" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/bundle-" -print_final_stats=1 "$out/bundle-corpus" "$out/bundle-seeds"

# The JSON ranking request reader (parse_rank_request, then rank on what parses) gets
# another quarter. Seeds: hand-written requests for the fixture model request_fuzz.cpp
# builds (string and integer ids, filters, queries, every option).
link_fuzzer request_fuzz "$root/tests/fuzz/request_fuzz.cpp"
mkdir -p "$out/request-corpus" "$out/request-seeds"
cp "$root"/tests/fuzz/request-seeds/*.json "$out/request-seeds/"
"$out/request_fuzz" -max_total_time="$(( (seconds + 3) / 4 ))" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/request.dict" -artifact_prefix="$out/artifacts/request-" -print_final_stats=1 \
  "$out/request-corpus" "$out/request-seeds"

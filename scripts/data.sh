#!/usr/bin/env bash
# Prints the folder holding MovieLens (ml-100k/ and ml-latest-small/): $RECO_DATA_DIR,
# else ../shared/data beside the checkout, else data/ in the checkout, downloading the
# official GroupLens archives there when missing. MovieLens may not be redistributed,
# so it is never committed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

has_data() { [[ -f "$1/ml-100k/u.data" && -f "$1/ml-latest-small/ratings.csv" ]]; }

if [[ -n "${RECO_DATA_DIR:-}" ]]; then
  has_data "$RECO_DATA_DIR" || { echo "data: RECO_DATA_DIR=$RECO_DATA_DIR lacks ml-100k/u.data or ml-latest-small/ratings.csv" >&2; exit 1; }
  echo "$RECO_DATA_DIR"; exit 0
fi
if has_data "$root/../shared/data"; then (cd "$root/../shared/data" && pwd); exit 0; fi

dest="$root/data"
mkdir -p "$dest"
for name in ml-100k ml-latest-small; do
  [[ -d "$dest/$name" ]] && continue
  url="https://files.grouplens.org/datasets/movielens/$name.zip"
  echo "data: downloading $url" >&2
  if ! curl -fsSL --retry 2 --max-time 300 -o "$dest/$name.zip" "$url"; then
    rm -f "$dest/$name.zip"
    echo "data: cannot download $url (offline?). Set RECO_DATA_DIR to a folder holding ml-100k/ and ml-latest-small/." >&2
    exit 1
  fi
  unzip -q -o "$dest/$name.zip" -d "$dest" && rm -f "$dest/$name.zip"
done
echo "$dest"

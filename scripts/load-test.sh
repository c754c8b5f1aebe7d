#!/usr/bin/env bash
# Load on `reco serve` over loopback with wrk: requests/s and latency percentiles for a
# static bundle section, the manifest, and POST /api/v1/recommendations (histories of 50
# real ml-latest-small ratings each, round-robin over 200 users), at 64 connections.
# A measurement, not a test: it prints numbers and fails only if something errors.
# With a closed loop of C connections, latency is about C / throughput once the server is
# saturated, so a lower C shows the unloaded latency.
#
#   bash scripts/load-test.sh [BUNDLE_DIR] [SECONDS] [CONNECTIONS]
# BUNDLE_DIR defaults to build/bundles/ml-latest-small (exported first when missing);
# SECONDS per run, default 10; CONNECTIONS default 64. Assumes scripts/build.sh has run;
# installs wrk if missing. wrk runs on the same machine, so it takes CPU from the server.
# RECO_SERVE_ARGS adds options to `reco serve` (e.g. "--rank-slots 128" for comparisons);
# RECO_LOAD_ROUTES picks the runs (default "section manifest recommendations");
# RECO_LOAD_RAW=1 also prints wrk's own report (mean, deviation, max) to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${RECO_DATA_DIR:=$(bash scripts/data.sh)}"
reco=${RECO_BIN:-build/native/server/reco}
bundle=${1:-build/bundles/ml-latest-small}
seconds=${2:-10}
connections=${3:-64}

if ! command -v wrk >/dev/null; then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y -qq wrk >/dev/null
fi
if [[ ! -f "$bundle/manifest.json" ]]; then
  $reco export --quiet --data "$RECO_DATA_DIR/ml-latest-small" --format mllatest \
    --params models/params/mllatest-hybrid.json --out "$bundle" >/dev/null
fi

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/web" "$work/bundles"
echo '<!doctype html>' >"$work/web/index.html"
cp -r "$bundle" "$work/bundles/model"

# Request bodies: the first 50 ratings of each of the first 200 users, as a Lua table.
node - "$RECO_DATA_DIR/ml-latest-small/ratings.csv" >"$work/bodies.lua" <<'JS'
const fs = require('fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').slice(1).filter(Boolean);
const byUser = new Map();
for (const l of lines) {
  const [u, i, r] = l.split(',');
  if (!byUser.has(u)) byUser.set(u, []);
  if (byUser.get(u).length < 50) byUser.get(u).push({ item: i, strength: Number(r) });
}
const bodies = [...byUser.values()].slice(0, 200).map((h) => JSON.stringify({ history: h, k: 10 }));
console.log('bodies = {');
for (const b of bodies) console.log(`  [==[${b}]==],`);
console.log('}');
JS
cat >>"$work/bodies.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])
end
LUA

$reco serve --web "$work/web" --bundles "$work/bundles" --port 0 ${RECO_SERVE_ARGS:-} >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do
  grep -q listening "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/$/\1/p' "$work/serve.out")
[[ -n "$port" ]] || { cat "$work/serve.err"; exit 1; }
base="http://127.0.0.1:$port"
section=$(node -e 'const m = require(process.argv[1]); console.log(m.sections.factors.file)' "$(cd "$bundle" && pwd)/manifest.json")
section_bytes=$(stat -c %s "$bundle/$section")

# The server's CPU time so far (user + system, in clock ticks).
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

run() {  # name, url, extra wrk args
  local name=$1 url=$2
  shift 2
  local out ticks0 ticks1
  ticks0=$(server_ticks)
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" "$url")
  [[ -z "${RECO_LOAD_RAW:-}" ]] || echo "$out" >&2
  ticks1=$(server_ticks)
  local rps p50 p99 errors requests cpu_us
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
  # Server CPU per request: steadier than throughput on a machine shared with wrk and
  # with whatever else runs.
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu_us=$(awk -v t="$((ticks1 - ticks0))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')
  printf '%-44s %10s req/s   p50 %8s   p99 %8s   server CPU %5s us/req   %s\n' "$name" "$rps" "$p50" "$p99" "$cpu_us" "$errors"
}

echo "reco serve on $base, $(basename "$(cd "$bundle" && pwd)") bundle, wrk -t2 -c$connections -d${seconds}s, $(nproc) cores"
for route in ${RECO_LOAD_ROUTES:-section manifest recommendations}; do
  case $route in
    section) run "GET section ($section_bytes bytes)" "$base/bundles/model/$section" ;;
    manifest) run "GET manifest.json" "$base/bundles/model/manifest.json" ;;
    recommendations) run "POST /api/v1/recommendations (history 50)" "$base/api/v1/recommendations" -s "$work/bodies.lua" ;;
    *) echo "unknown route '$route' in RECO_LOAD_ROUTES (section, manifest, recommendations)" >&2; exit 2 ;;
  esac
done
curl -s "$base/api/v1/metrics" | grep -E '^reco_http_requests_total\{route="/api/v1/recommendations"' || true

// Ranking speed in WebAssembly vs native, measured in one run on the same bundle and the
// same requests: a synthetic 10,000-item catalog (`reco bench-ranker --export`, 64
// factors, 64 content dimensions) and 200 random histories of 50 items, k 10, with
// explanations. Native times come from `reco rank --repeat`, which times parsing the
// request JSON and rank() just as the WebAssembly side's engine.recommend() does.
// Also: load time of the ml-latest-small bundle and the .wasm size.
//
//   RECO_BIN=build/native/server/reco node web/bench/ranker.bench.mjs [--bundle DIR] [--rounds 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModule } from '../src/engine.mjs';

const bin = process.env.RECO_BIN ?? 'build/native/server/reco';
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(opt('--rounds', 3));
const work = mkdtempSync(join(tmpdir(), 'reco-bench-'));

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr}`);
  return r;
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p99 = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]; };

function readFiles(dir) {
  const files = {};
  for (const f of readdirSync(dir)) files[f] = new Uint8Array(readFileSync(join(dir, f)));
  return files;
}

// Requests: 50 distinct items each, from a fixed-seed generator.
function requests(n, items, h) {
  let s = 12345;
  const next = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
  const out = [];
  for (let q = 0; q < n; q++) {
    const picked = new Set();
    while (picked.size < h) picked.add(next() % items);
    out.push(JSON.stringify({ history: [...picked].map((i) => ({ item: `i${i}`, strength: 1 + (next() % 5) })), k: 10 }));
  }
  return out;
}

const bundle = join(work, 'synthetic-10k');
run(bin, ['bench-ranker', '--items', '10000', '--runs', '1', '--warmup', '0', '--histories', '50', '--export', bundle]);
const reqs = requests(200, 10000, 50);
const reqFile = join(work, 'requests.jsonl');
writeFileSync(reqFile, reqs.join('\n') + '\n');

const module = await loadModule();
const engine = module.Engine.load(readFiles(bundle), false);
const repeat = 5;
console.log(`recommend, 10,000 items, history 50, k 10, explain 3; ${reqs.length} requests x ${repeat} per round, ${rounds} rounds`);
console.log('round   wasm p50 ms  wasm p99 ms  native p50 ms  native p99 ms  wasm/native (p50)');
const ratios = [], wasmP50 = [], nativeP50 = [];
for (let round = 0; round < rounds; round++) {
  const times = [];
  for (const r of reqs) engine.recommend(r);  // warm-up
  for (const r of reqs) {
    for (let k = 0; k < repeat; k++) {
      const t0 = performance.now();
      engine.recommend(r);
      times.push(performance.now() - t0);
    }
  }
  const native = run(bin, ['rank', '--bundle', bundle, '--requests', reqFile, '--repeat', String(repeat)]).stderr;
  const m = /median ([\d.]+) us, p99 ([\d.]+) us/.exec(native);
  const nMed = Number(m[1]) / 1000, nP99 = Number(m[2]) / 1000;
  const wMed = median(times);
  ratios.push(wMed / nMed);
  wasmP50.push(wMed);
  nativeP50.push(nMed);
  console.log(`${String(round + 1).padStart(5)} ${wMed.toFixed(3).padStart(12)} ${p99(times).toFixed(3).padStart(12)} ${nMed.toFixed(3).padStart(14)} ${nP99.toFixed(3).padStart(14)} ${(wMed / nMed).toFixed(2).padStart(18)}`);
}
console.log(`median of rounds: wasm p50 ${median(wasmP50).toFixed(3)} ms, native p50 ${median(nativeP50).toFixed(3)} ms, ratio ${median(ratios).toFixed(2)}`);
engine.delete();

const mlBundle = opt('--bundle', null);
if (mlBundle) {
  const files = readFiles(mlBundle);
  const bytes = Object.values(files).reduce((a, b) => a + b.length, 0);
  // Engine.load copies the bytes into WebAssembly memory, so the same files load again.
  // Loads alternate between the two forms; the first of each is the coldest.
  const times = { hashed: [], verified: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [key, verified] of [['hashed', false], ['verified', true]]) {
      const t0 = performance.now();
      const e = module.Engine.load(files, verified);
      times[key].push(performance.now() - t0);
      e.delete();
    }
  }
  console.log(`bundle load of ${mlBundle} (${(bytes / 1048576).toFixed(1)} MiB), ms per load, ${rounds} rounds:`);
  console.log(`  with the core's SHA-256 of every section: ${times.hashed.map((x) => x.toFixed(0)).join(', ')} (median ${median(times.hashed).toFixed(0)})`);
  console.log(`  sections already verified (fetchBundle, WebCrypto): ${times.verified.map((x) => x.toFixed(0)).join(', ')} (median ${median(times.verified).toFixed(0)})`);
  const tv = performance.now();
  for (const [name, bytesOf] of Object.entries(files)) if (name !== 'manifest.json') await crypto.subtle.digest('SHA-256', bytesOf);
  console.log(`  WebCrypto SHA-256 of every section (what fetchBundle adds): ${(performance.now() - tv).toFixed(0)} ms`);
}
const wasmPath = new URL('../dist/reco.wasm', import.meta.url);
const raw = readFileSync(wasmPath);
console.log(`reco.wasm: ${(raw.length / 1024).toFixed(0)} KiB, ${(gzipSync(raw, { level: 9 }).length / 1024).toFixed(0)} KiB gzipped; ` +
  `reco.mjs ${(statSync(new URL('../dist/reco.mjs', import.meta.url)).size / 1024).toFixed(0)} KiB ` +
  '(ONNX Runtime Web\'s own .wasm files are not counted)');

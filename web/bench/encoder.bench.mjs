// Encoder speed under ONNX Runtime Web in Node (single-threaded WASM, as in a page).
//   node web/bench/encoder.bench.mjs DIR
// DIR is a folder written by `reco encoder --parity N` (encoder.onnx + parity.json, whose
// tokenised texts are the inputs). Prints the median single-text latency and the batch
// throughput, each the median of RUNS runs.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TextEncoderSession } from '../src/encoder.mjs';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node encoder.bench.mjs DIR (written by reco encoder --parity N)');
  process.exit(2);
}
const RUNS = 5, SINGLE = 1000, TOTAL = 10000;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

const model = readFileSync(join(dir, 'encoder.onnx'));
const texts = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')).cases;
const enc = await TextEncoderSession.create(model);
const pick = (i) => texts[i % texts.length];
const meanFeatures = texts.reduce((s, t) => s + t.ids.length, 0) / texts.length;
console.log(`encoder.onnx ${statSync(join(dir, 'encoder.onnx')).size} bytes, dim ${enc.dim}; ` +
  `${texts.length} distinct texts, ${meanFeatures.toFixed(1)} features on average`);

for (let i = 0; i < 200; i++) await enc.embed([pick(i)]);  // warm-up
const singleMedians = [], singleP99 = [];
for (let r = 0; r < RUNS; r++) {
  const times = [];
  for (let i = 0; i < SINGLE; i++) {
    const t0 = performance.now();
    await enc.embed([pick(r * SINGLE + i)]);
    times.push(performance.now() - t0);
  }
  singleMedians.push(median(times));
  singleP99.push(quantile(times, 0.99));
}
console.log(`one text per call: median ${median(singleMedians).toFixed(3)} ms, p99 ${median(singleP99).toFixed(3)} ms ` +
  `(median over ${RUNS} runs of ${SINGLE} calls)`);

for (const batch of [32, 256]) {
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let start = 0; start < TOTAL; start += batch) {
      const b = [];
      for (let i = start; i < Math.min(TOTAL, start + batch); i++) b.push(pick(i));
      await enc.embed(b);
    }
    rates.push(TOTAL / ((performance.now() - t0) / 1000));
  }
  console.log(`${TOTAL} texts in batches of ${batch}: median ${Math.round(median(rates))} items/s over ${RUNS} runs`);
}

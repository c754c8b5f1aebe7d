// The exported encoder run by ONNX Runtime Web must reproduce the C++ reference forward
// pass. `reco encoder --parity` writes the texts' tokenised inputs and the reference
// embeddings; this test embeds the same inputs with onnxruntime-web and compares.
// Needs RECO_BIN (the built `reco`) and RECO_DATA_DIR (MovieLens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextEncoderSession, packBatch } from '../src/encoder.mjs';

const bin = process.env.RECO_BIN;
const data = process.env.RECO_DATA_DIR;
const out = mkdtempSync(join(tmpdir(), 'reco-encoder-'));

function exportEncoder() {
  const r = spawnSync(bin, ['encoder', '--quiet', '--data', join(data, 'ml-latest-small'), '--format', 'mllatest',
    '--out', out, '--parity', '1200'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8'));
}

const parity = exportEncoder();
const modelBytes = readFileSync(join(out, 'encoder.onnx'));

function compare(got, want) {
  let dot = 0, ng = 0, nw = 0, maxDiff = 0;
  for (let k = 0; k < want.length; k++) {
    dot += got[k] * want[k];
    ng += got[k] * got[k];
    nw += want[k] * want[k];
    maxDiff = Math.max(maxDiff, Math.abs(got[k] - want[k]));
  }
  return { cosine: dot / Math.sqrt(ng * nw), maxDiff };
}

test('the ml-latest-small encoder is int8 and under 4 MB', () => {
  const bytes = statSync(join(out, 'encoder.onnx')).size;
  assert.ok(bytes < 4 * 1024 * 1024, `${bytes} bytes`);
  // A float32 table alone would be 32768 x 64 x 4 = 8 MiB.
  assert.ok(bytes < 32768 * 64 * 2, `${bytes} bytes: the table is not int8`);
  const tokenizer = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  assert.equal(tokenizer.buckets, 32768);
});

test('onnxruntime-web matches the C++ reference on 1,200 texts', async () => {
  assert.ok(parity.cases.length >= 1000, `${parity.cases.length} cases`);
  const enc = await TextEncoderSession.create(modelBytes);
  assert.equal(enc.dim, parity.dim);
  let worstCos = 1, worstDiff = 0;
  for (let start = 0; start < parity.cases.length; start += 64) {
    const batch = parity.cases.slice(start, start + 64);
    const got = await enc.embed(batch);
    batch.forEach((c, i) => {
      const { cosine, maxDiff } = compare(got[i], c.embedding);
      assert.ok(cosine > 0.999, `text ${start + i}: cosine ${cosine}`);
      assert.ok(maxDiff < 1e-3, `text ${start + i}: max abs difference ${maxDiff}`);
      worstCos = Math.min(worstCos, cosine);
      worstDiff = Math.max(worstDiff, maxDiff);
    });
  }
  console.log(`# parity over ${parity.cases.length} texts: worst cosine ${worstCos}, worst max abs diff ${worstDiff}`);
});

test('edge cases: empty and punctuation-only texts have no features and a finite unit embedding', async () => {
  const enc = await TextEncoderSession.create(modelBytes);
  for (const c of parity.cases.slice(0, 2)) {
    assert.equal(c.ids.length, 0);
    const [e] = await enc.embed([c]);
    let n = 0;
    for (const x of e) { assert.ok(Number.isFinite(x)); n += x * x; }
    assert.ok(Math.abs(Math.sqrt(n) - 1) < 1e-5, `norm ${Math.sqrt(n)}`);
  }
  // The very long text is cut at max_features.
  assert.equal(parity.cases[4].ids.length, 256);
});

test('a text embeds the same alone and padded inside a batch', async () => {
  const enc = await TextEncoderSession.create(modelBytes);
  const short = parity.cases[10], long = parity.cases[4];
  const [alone] = await enc.embed([short]);
  const [, padded] = await enc.embed([long, short]);
  assert.ok(compare(alone, padded).maxDiff < 1e-6);
});

test('malformed inputs are rejected with a message naming the text', () => {
  assert.throws(() => packBatch([{ ids: [1, 2], weights: [0.5] }]), /text 0: 2 ids but 1 weights/);
  assert.throws(() => packBatch([{ ids: [1], weights: [1] }, { ids: [-3], weights: [1] }]), /text 1: feature id -3/);
  assert.throws(() => packBatch([{ ids: [1], weights: [NaN] }]), /text 0: weight NaN/);
  assert.throws(() => packBatch([{ ids: [1] }]), /text 0: expected \{ids, weights\}/);
});

test('a model that is not an encoder is refused', async () => {
  await assert.rejects(TextEncoderSession.create(new Uint8Array([1, 2, 3, 4])));
});

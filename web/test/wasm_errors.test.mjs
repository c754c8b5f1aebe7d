// Bad input from JavaScript gives an Error with a clear message and never aborts the
// WebAssembly module: after every failure below the same module keeps working. Covers
// the in-thread API, the Web Worker protocol (Node worker_threads) and bundle downloads
// with a corrupted or truncated section. Needs RECO_BIN, RECO_DATA_DIR and web/dist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender, createRecommender, fetchBundle, loadModule } from '../src/index.mjs';
import { exportBundle, readBundleFiles, serveDir } from './bundles.mjs';

const dir = exportBundle('ml100k');
const files = readBundleFiles(dir);
const sectionFile = (name) => JSON.parse(new TextDecoder().decode(files['manifest.json'])).sections[name].file;

async function rejects(promiseOrFn, pattern, label) {
  let error = null;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `${label}: expected an Error, got ${error}`);
  assert.match(error.message, pattern, `${label}: message`);
}

test('bad calls throw Errors naming the problem, and the module keeps working', async () => {
  const rec = await Recommender.load({ files });
  rec.addEvent('50', 5, 881250949);
  const before = rec.recommend({ k: 5 });
  const cases = [
    [() => rec.addEvent('no-such-item'), /unknown item 'no-such-item'/, 'unknown id in addEvent'],
    [() => rec.item('no-such-item'), /unknown item/, 'unknown id in item'],
    [() => rec.similar('no-such-item'), /unknown item/, 'unknown id in similar'],
    [() => rec.explain('no-such-item'), /unknown item/, 'unknown id in explain'],
    [() => rec.recommend({ allow: ['50', 'nope'] }), /allow\[1\].*unknown item 'nope'/, 'unknown id in allow'],
    [() => rec.recommend({ history: [{ item: '50', strength: 'high' }] }), /history\[0\]\.strength.*expected a number/, 'string strength'],
    [() => rec.addEvent('50', NaN), /strength/, 'NaN strength'],
    [() => rec.addEvent('50', 1, -5), /timestamp/, 'negative timestamp'],
    [() => rec.addEvent('50', 1, 1.5), /timestamp/, 'fractional timestamp'],
    [() => rec.recommend({ k: NaN }), /options\.k: must be a finite number/, 'NaN k'],
    [() => rec.recommend({ k: 0 }), /'k'.*\[1, 10000\]/, 'k out of range'],
    [() => rec.recommend({ k: '10' }), /'k'.*expected an integer/, 'string k'],
    [() => rec.recommend({ diversity: Infinity }), /diversity/, 'infinite diversity'],
    [() => rec.recommend({ queryEmbedding: new Float32Array(64).fill(NaN) }), /query_embedding\[0\]/, 'NaN embedding'],
    [() => rec.recommend({ queryEmbedding: [1, 2, 3] }), /query.*3 values.*64/, 'short embedding'],
    [() => rec.recommend({ kay: 10 }), /'kay': unknown field/, 'misspelt option'],
    [() => rec.recommend('k=10'), /expected an object/, 'string options'],
    [() => rec.setHistory('50'), /expected an array/, 'string history'],
    [() => rec.setHistory([{ item: '50', strength: -1 }]), /history\[0\]\.strength/, 'negative strength'],
    [() => rec.items(-1, 5), /offset/, 'negative offset'],
    [() => rec.addItem('50', { title: 'Duplicate' }), /already in the catalog/, 'duplicate added item'],
    [() => rec.addItem('x', { title: 'A', year: 1999 }), /item\.year.*unknown field/, 'unknown item field'],
    [() => rec.search(42), /text must be a string/, 'number query'],
  ];
  for (const [call, pattern, label] of cases) await rejects(call, pattern, label);
  assert.deepEqual(rec.recommend({ k: 5 }), before, 'results after the errors');
  rec.dispose();
  await rejects(() => rec.recommend(), /disposed/, 'use after dispose');
});

test('a corrupted or truncated section is refused by name, directly and when downloaded', async () => {
  const factors = sectionFile('factors');
  const flipped = { ...files, [factors]: files[factors].slice() };
  flipped[factors][100] ^= 1;
  await rejects(() => Recommender.load({ files: flipped }), /section 'factors'.*(sha|SHA)/, 'flipped byte, direct');
  const truncated = { ...files, [factors]: files[factors].slice(0, 1000) };
  await rejects(() => Recommender.load({ files: truncated }), /section 'factors'.*truncated/, 'truncated, direct');
  const missing = { ...files };
  delete missing[sectionFile('gram')];
  await rejects(() => Recommender.load({ files: missing }), /gram.*missing/, 'missing section, direct');
  await rejects(() => Recommender.load({ files: { ...files, 'manifest.json': new TextEncoder().encode('{"format": 1') } }), /manifest\.json/, 'broken manifest');

  const corrupt = await serveDir(dir, (name, bytes) => {
    if (name !== sectionFile('hnsw_content')) return bytes;
    const b = Buffer.from(bytes);
    b[b.length - 1] ^= 0xff;
    return b;
  });
  await rejects(fetchBundle(corrupt.url), /section 'hnsw_content'.*SHA-256.*does not match/, 'corrupted download');
  await corrupt.close();
  const cut = await serveDir(dir, (name, bytes) => (name === sectionFile('embeddings') ? bytes.subarray(0, 10) : bytes));
  await rejects(createRecommender(cut.url, { worker: false }), /section 'embeddings'.*truncated/, 'truncated download');
  await rejects(createRecommender(cut.url, { worker: true }), /section 'embeddings'.*truncated/, 'truncated download in a worker');
  await cut.close();

  // The module that saw every failure above still loads and ranks.
  const module = await loadModule();
  const engine = module.Engine.load(files, false);
  assert.equal(JSON.parse(engine.recommend('{"k": 3}')).items.length, 3);
  engine.delete();
});

test('the worker answers in order and reports errors with the core message', async () => {
  const served = await serveDir(dir);
  const rec = await createRecommender(served.url, { worker: true });
  const info = await rec.info();
  assert.equal(info.items, 1682);
  await rec.addEvent('50', 5);
  await rec.addEvent('181', 4);
  const inline = await Recommender.load({ files });
  inline.addEvent('50', 5);
  inline.addEvent('181', 4);
  assert.deepEqual(await rec.recommend({ k: 10 }), inline.recommend({ k: 10 }));
  await rejects(rec.addEvent('nope'), /unknown item 'nope'/, 'worker unknown id');
  await rejects(rec.recommend({ k: -1 }), /'k'/, 'worker bad k');
  // Calls issued together are answered in order: the removal is seen by the recommendation.
  const [, after] = await Promise.all([rec.removeItem('50'), rec.recommend({ k: 10 })]);
  inline.removeItem('50');
  assert.deepEqual(after, inline.recommend({ k: 10 }));
  assert.deepEqual((await rec.history()).map((e) => e.item), ['181']);
  await rec.dispose();
  await rejects(rec.info(), /disposed/, 'worker after dispose');
  inline.dispose();
  await served.close();
});

// The engine's run-time behaviour in Node: items added from their text are recommended
// at once, the wasm URL can be moved (bundlers), history calls behave as documented,
// and a bundle loaded without the files its first ranking does not read gets them later.
// Needs RECO_BIN, RECO_DATA_DIR and web/dist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Recommender, loadModule } from '../src/engine.mjs';
import { RecommenderWorker } from '../src/worker-client.mjs';
import { deferrableSections } from '../src/bundle-fetch.mjs';
import { exportBundle, readBundleFiles } from './bundles.mjs';

const files = readBundleFiles(exportBundle('ml100k'));

test('an item added from its text is searchable, recommendable and explainable at once', async () => {
  const rec = await Recommender.load({ files });
  const n = rec.info().items;
  const index = await rec.addItem('new-space-opera', { title: 'Galactic Rebels Strike Back', genres: ['Sci-Fi', 'Action', 'Adventure'], text: 'rebels fight an empire among the stars' });
  assert.equal(index, n);
  assert.equal(rec.info().items, n + 1);
  assert.equal(rec.item('new-space-opera').title, 'Galactic Rebels Strike Back');
  const found = await rec.search('Galactic Rebels Strike Back', { k: 5, explain: 0 });
  assert.equal(found.items[0].id, 'new-space-opera', JSON.stringify(found.items.map((x) => x.title)));
  rec.addEvent('50', 5);
  rec.addEvent('172', 5);
  rec.addEvent('181', 5);
  const only = rec.recommend({ k: 1, allow: ['new-space-opera'] });
  assert.equal(only.items[0].id, 'new-space-opera');
  const why = rec.explain('new-space-opera');
  assert.ok(why.sharedTags.includes('Sci-Fi'), JSON.stringify(why));
  assert.ok(Number.isFinite(why.score) && why.cf !== 0 && why.content > 0, JSON.stringify(why));
  // A fan of the Star Wars films gets it among the top 50 content recommendations without
  // anyone having watched it. (The learned hybrid weighs items without interactions by
  // what validation data says about them: on ML-100K it ranks them low among warm items.)
  const top = rec.recommend({ k: 50, signals: 'content' }).items.map((x) => x.id);
  assert.ok(top.includes('new-space-opera'), 'the new item is recommended to a fan of its genre');
  rec.dispose();
});

test('history calls: events merge at ranking time, remove and set replace them', async () => {
  const rec = await Recommender.load({ files });
  rec.addEvent('50', 2, 100);
  rec.addEvent('50', 5, 50);
  rec.addEvent('181', 4);
  assert.equal(rec.history().length, 3);
  // Repeats merge (largest strength, newest time), so the same as one merged event each.
  assert.deepEqual(rec.recommend({ k: 10 }), rec.recommend({ k: 10, history: [{ item: '50', strength: 5, timestamp: 100 }, { item: '181', strength: 4 }] }));
  assert.equal(rec.removeItem('50'), 2);
  assert.equal(rec.removeItem('50'), 0);
  assert.deepEqual(rec.history(), [{ item: '181', strength: 4, timestamp: 0 }]);
  rec.setHistory(['1', { item: '2', strength: 3 }]);
  assert.deepEqual(rec.history().map((e) => e.item), ['1', '2']);
  rec.clearHistory();
  assert.equal(rec.recommend({ k: 3 }).source, 'popular');
  rec.dispose();
});

test('the wasm file can be served from another URL (bundlers), and a wrong one is an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reco-wasm-url-'));
  const moved = join(dir, 'engine.0123abcd.wasm');
  copyFileSync(new URL('../dist/reco.wasm', import.meta.url), moved);
  const rec = await Recommender.load({ files }, { wasmUrl: pathToFileURL(moved).href });
  assert.equal(rec.info().items, 1682);
  rec.dispose();
  await assert.rejects(loadModule(pathToFileURL(join(dir, 'missing.wasm')).href), /ENOENT|no such file/);
});

test('a bundle loaded without its encoder and index files ranks the same and gets them when first needed', async () => {
  const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  const later = deferrableSections(manifest);
  assert.deepEqual([...later].sort(), ['encoder', 'hnsw_content', 'hnsw_factors'], 'ML-100K is ranked exactly');
  const laterFiles = new Set(later.map((name) => manifest.sections[name].file));
  const partial = Object.fromEntries(Object.entries(files).filter(([file]) => !laterFiles.has(file)));
  const supplied = () => Object.fromEntries(Object.entries(files).filter(([file]) => laterFiles.has(file)).map(([f, b]) => [f, b.slice()]));

  // The core alone: no indexes until they are restored; a missing or damaged file is named.
  const module = await loadModule();
  const engine = module.Engine.load({ ...partial }, false);
  assert.equal(engine.hasIndexes(), false);
  assert.throws(() => engine.restoreIndexes(), new RegExp(manifest.sections.hnsw_factors.file.replaceAll('.', '\\.') + '.*missing'));
  const damaged = supplied();
  damaged[manifest.sections.hnsw_content.file][200] ^= 1;
  engine.addFiles(damaged, false);
  assert.throws(() => engine.restoreIndexes(), /section 'hnsw_content'.*checksum/);
  assert.equal(engine.hasIndexes(), false);
  engine.addFiles(supplied(), false);
  engine.restoreIndexes();
  assert.equal(engine.hasIndexes(), true);
  engine.delete();

  // The same rankings, with or without the indexes.
  const full = await Recommender.load({ files });
  let reads = 0;
  const lazy = await Recommender.load({ files: partial, deferred: [...laterFiles], readDeferred: async () => { reads += 1; return supplied(); } });
  for (const history of [[], ['50'], ['50', '172', '181', '1', '7'], ['313', '300', '288']]) {
    const request = { k: 20, history: history.map((item) => ({ item, strength: 5 })) };
    assert.deepEqual(lazy.recommend(request), full.recommend(request), `history ${history}`);
    assert.deepEqual(lazy.similar(history[0] ?? '1', { k: 10 }), full.similar(history[0] ?? '1', { k: 10 }));
  }
  assert.equal(reads, 0, 'ranking read no deferred file');
  // Search and addItem fetch them, once, and then behave as with the full bundle.
  assert.deepEqual(await lazy.search('star wars', { k: 5 }), await full.search('star wars', { k: 5 }));
  const info = { title: 'Galactic Rebels Strike Back', genres: ['Sci-Fi'], text: 'rebels fight an empire among the stars' };
  assert.equal(await lazy.addItem('new-one', info), await full.addItem('new-one', info));
  assert.equal(reads, 1);
  assert.deepEqual(lazy.recommend({ k: 20, history: ['50', '172'] }), full.recommend({ k: 20, history: ['50', '172'] }));
  full.dispose();
  lazy.dispose();
});

test('a worker asks the page for deferred files when it needs them, and reports a failed read', async () => {
  const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  const laterFiles = new Set(deferrableSections(manifest).map((name) => manifest.sections[name].file));
  const partial = () => Object.fromEntries(Object.entries(files).filter(([file]) => !laterFiles.has(file)).map(([f, b]) => [f, b.slice()]));
  let reads = 0;
  let fail = true;
  const source = {
    manifest, files: partial(), deferred: [...laterFiles],
    readDeferred: async () => {
      reads += 1;
      if (fail) throw new Error('bundle section \'encoder\' (x): download failed');
      return Object.fromEntries(Object.entries(files).filter(([file]) => laterFiles.has(file)).map(([f, b]) => [f, b.slice()]));
    },
  };
  const worker = await RecommenderWorker.load(source);
  const info = { title: 'Galactic Rebels Strike Back', genres: ['Sci-Fi'] };
  assert.equal((await worker.recommend({ k: 3, history: ['50'] })).items.length, 3);
  assert.equal(reads, 0);
  await assert.rejects(worker.addItem('new-one', info), /encoder.*download failed/);
  fail = false;
  assert.equal(await worker.addItem('new-one', info), 1682, 'asked again after the failure');
  assert.equal(await worker.addItem('newer', info), 1683);
  assert.equal(reads, 2);
  await worker.dispose();
});

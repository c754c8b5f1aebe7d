// The package in a real browser (Debian's Chromium, driven by playwright-core): a plain
// page (no bundler, no import map) loads a bundle over HTTP in the default mode (a Web Worker:
// bundle download and SHA-256 via WebCrypto, the WebAssembly engine, ONNX Runtime Web
// from self-hosted files), ranks a history, filters, searches text, survives a bad call,
// and must give exactly what the same code gives in Node. Needs RECO_BIN, RECO_DATA_DIR,
// web/dist and /usr/bin/chromium (scripts/setup.sh installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { Recommender } from '../src/engine.mjs';
import { exportBundle, readBundleFiles } from './bundles.mjs';
import { openPage } from './browser.mjs';

const repo = resolve(new URL('../..', import.meta.url).pathname);

function sameRanking(got, want, label, tolerance) {
  assert.deepEqual(got.items.map((x) => x.id), want.items.map((x) => x.id), `${label}: ids`);
  got.items.forEach((g, p) => assert.ok(Math.abs(g.score - want.items[p].score) <= tolerance, `${label}: rank ${p + 1} score`));
}

test('in Chromium, the worker-backed package ranks exactly as in Node', { timeout: 600_000 }, async (t) => {
  const dir = exportBundle('ml100k');
  const history = [
    { item: '50', strength: 5, timestamp: 881250949 }, { item: '181', strength: 4, timestamp: 881250950 },
    { item: '1', strength: 3, timestamp: 881250951 }, { item: '288', strength: 2, timestamp: 881250952 },
  ];
  const query = 'space adventure with robots';

  const inline = await Recommender.load({ files: readBundleFiles(dir) });
  for (const e of history) inline.addEvent(e.item, e.strength, e.timestamp);
  const want = {
    recommended: inline.recommend({ k: 10 }),
    filtered: inline.recommend({ k: 5, tags: ['Comedy'], diversity: 0.3 }),
    searched: await inline.search(query, { k: 10, explain: 0 }),
  };
  inline.dispose();

  const { page, origin, logs } = await openPage(t, { '/bundle/': dir, '/': repo });
  const url = `${origin}/web/test/pages/runtime.html?bundle=/bundle/&history=${encodeURIComponent(JSON.stringify(history))}&query=${encodeURIComponent(query)}`;
  await page.goto(url);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 300_000 });
  const got = await page.evaluate(() => window.result);
  assert.equal(got.failure, undefined, `${got.failure}\n${logs.join('\n')}`);
  assert.equal(got.worker, true, 'createRecommender runs in a Web Worker by default in a browser');
  assert.deepEqual(got.recommended, want.recommended, 'recommendations (same bits as Node)');
  assert.deepEqual(got.filtered, want.filtered, 'filtered, diversified recommendations');
  sameRanking(got.searched, want.searched, 'text search', 1e-5);
  assert.match(got.error, /unknown item 'no-such-item'/);
  assert.deepEqual(got.afterError, want.recommended, 'the engine works after an error');
  assert.ok(got.frames > 0, 'the page drew frames while the worker ranked');
  t.diagnostic(`browser: bundle load in the worker ${got.loadMs.toFixed(0)} ms (download, SHA-256, engine), ${got.frames} frames drawn during the requests`);
});

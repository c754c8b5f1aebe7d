// The package from a bundler: esbuild bundles a host app that imports '@reco/web' by
// name, plus the package's worker entry ('@reco/web/worker', with ONNX Runtime Web
// bundled in); the page runs in Chromium and must rank exactly as the package does in
// Node. Needs RECO_BIN, RECO_DATA_DIR, web/dist and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { Recommender } from '../src/engine.mjs';
import { exportBundle, readBundleFiles } from './bundles.mjs';
import { openPage } from './browser.mjs';

const web = resolve(new URL('..', import.meta.url).pathname);

test('a bundled app (esbuild) runs the package in a worker and ranks as in Node', { timeout: 600_000 }, async (t) => {
  // A project whose node_modules holds the package, as after `npm install @reco/web`.
  const project = mkdtempSync(join(tmpdir(), 'reco-bundler-'));
  mkdirSync(join(project, 'node_modules', '@reco'), { recursive: true });
  symlinkSync(web, join(project, 'node_modules', '@reco', 'web'), 'dir');
  const out = join(project, 'out');
  const built = await esbuild.build({
    entryPoints: { app: join(web, 'test', 'bundler', 'app.mjs'), 'reco-worker': '@reco/web/worker' },
    absWorkingDir: project,
    nodePaths: [join(project, 'node_modules')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outdir: out,
    logLevel: 'silent',
  });
  assert.deepEqual(built.errors, []);
  copyFileSync(join(web, 'dist', 'reco.wasm'), join(out, 'reco.wasm'));
  mkdirSync(join(out, 'ort'));
  for (const f of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
    copyFileSync(join(web, 'node_modules', 'onnxruntime-web', 'dist', f), join(out, 'ort', f));
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bundled</title><script type="module" src="./app.js"></script>');

  const dir = exportBundle('ml100k');
  const history = [{ item: '98', strength: 5, timestamp: 0 }, { item: '12', strength: 4, timestamp: 0 }, { item: '127', strength: 5, timestamp: 0 }];
  const query = 'gangster crime family';
  const inline = await Recommender.load({ files: readBundleFiles(dir) });
  for (const e of history) inline.addEvent(e.item, e.strength, e.timestamp);
  const want = { recommended: inline.recommend({ k: 10 }), searched: await inline.search(query, { k: 10, explain: 0 }) };
  inline.dispose();

  const { page, origin, logs } = await openPage(t, { '/bundle/': dir, '/': out });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => typeof window.runReco === 'function', null, { timeout: 60_000 });
  const got = await page.evaluate(([h, q]) => window.runReco('/bundle/', h, q).catch((e) => ({ failure: String(e && e.stack || e) })), [history, query]);
  assert.equal(got.failure, undefined, `${got.failure}\n${logs.join('\n')}`);
  assert.equal(got.worker, true);
  assert.deepEqual(got.recommended, want.recommended);
  assert.deepEqual(got.searched.items.map((x) => x.id), want.searched.items.map((x) => x.id));
  got.searched.items.forEach((g, p) => assert.ok(Math.abs(g.score - want.searched.items[p].score) <= 1e-5, `search rank ${p + 1}`));
});

// syncBundle (src/bundle-sync.mjs) in Chromium against a server the test controls:
// first download, revalidation by ETag (304, no section fetched again), a new version
// fetching only its new sections and dropping the old ones, and every way the new
// version can fail (HTTP error, bad JSON, truncated or corrupted section, no server)
// keeping the last good version; a damaged stored section is fetched again; with
// `stage`, stored sections are handed over unchecked (size aside) instead of hashed;
// with `defer`, the sections named are left unread until readDeferred().
// Bundles here are synthetic (sync only reads the manifest's section list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { launchChromium } from './browser.mjs';

const src = new URL('../src/', import.meta.url);

function makeBundle(version, contents) {
  const files = {};
  const sections = {};
  for (const [name, text] of Object.entries(contents)) {
    const bytes = Buffer.from(text);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = `${name}.${sha256.slice(0, 16)}.bin`;
    sections[name] = { file, bytes: bytes.length, sha256 };
    files[file] = bytes;
  }
  files['manifest.json'] = Buffer.from(JSON.stringify({ format: 'reco-bundle', format_version: 1, model_version: version, sections }));
  return files;
}

test('bundle sync: ETag revalidation, atomic updates, last good version on every failure', { timeout: 120_000 }, async (t) => {
  const state = { files: makeBundle('v1', { a: 'alpha', b: 'bravo', c: 'charlie' }), manifestStatus: 200, tamper: null, requests: [] };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    state.requests.push({ path, ifNoneMatch: req.headers['if-none-match'] ?? null });
    if (path === '/page.html') {
      res.setHeader('Content-Type', 'text/html');
      res.end('<!doctype html><meta charset="utf-8"><script type="module">import { syncBundle } from "/src/bundle-sync.mjs"; const view = (r) => ({ status: r.status, version: r.modelVersion, previous: r.previousVersion, problem: r.problem, files: Object.keys(r.files).sort(), staged: r.staged.map((f) => f.split(".")[0]).sort() }); window.sync = async () => view(await syncBundle("/bundle/")); window.syncStaged = async () => { const got = []; const r = await syncBundle("/bundle/", { stage: (name, entry, bytes) => got.push(`${name}:${bytes.length === entry.bytes}`) }); return { ...view(r), got: got.sort() }; }; window.syncDeferred = async (names) => { const got = []; const r = await syncBundle("/bundle/", { stage: (name) => got.push(name), defer: () => names }); const deferred = r.deferred.map((f) => f.split(".")[0]); const later = Object.entries(await r.readDeferred()).map(([f, b]) => `${f.split(".")[0]}:${new TextDecoder().decode(b)}`).sort(); return { ...view(r), got: got.sort(), deferred, later }; }; window.ready = true;</script>');
      return;
    }
    if (path.startsWith('/src/')) {
      res.setHeader('Content-Type', 'text/javascript');
      res.end(readFileSync(new URL(path.slice(5), src)));
      return;
    }
    const name = path.replace('/bundle/', '');
    const bytes = state.files[name];
    if (!bytes) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (name === 'manifest.json') {
      if (state.manifestStatus !== 200) {
        res.statusCode = state.manifestStatus;
        res.end('{"error":"broken"}');
        return;
      }
      const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.statusCode = 304;
        res.end();
        return;
      }
    }
    res.end(state.tamper?.(name, bytes) ?? bytes);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    server.close();
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/page.html`);
  await page.waitForFunction(() => window.ready);
  const sync = () => page.evaluate(() => window.sync());
  const sectionRequests = () => state.requests.filter((r) => r.path !== '/bundle/manifest.json' && r.path.startsWith('/bundle/')).map((r) => r.path.replace('/bundle/', '').split('.')[0]).sort();
  const reset = () => { state.requests.length = 0; };

  let r = await sync();
  assert.equal(r.status, 'downloaded');
  assert.equal(r.version, 'v1');
  assert.equal(r.files.length, 4);

  reset();
  r = await sync();
  assert.equal(r.status, 'current');
  assert.deepEqual(sectionRequests(), [], 'stored sections were downloaded again');
  assert.ok(state.requests[0].ifNoneMatch, 'the manifest was not revalidated with its ETag');

  // The server fails in every way for a new version: the stored v1 stays in use.
  state.manifestStatus = 500;
  r = await sync();
  assert.equal(r.status, 'kept');
  assert.equal(r.version, 'v1');
  assert.match(r.problem, /HTTP 500/);
  state.manifestStatus = 200;

  const v2 = makeBundle('v2', { a: 'alpha', b: 'bravo two', d: 'delta' });
  state.files = { ...v2, 'manifest.json': Buffer.from('{"format": "reco-bundle", ') };
  r = await sync();
  assert.equal(r.status, 'kept');
  assert.match(r.problem, /not valid JSON/);

  state.files = v2;
  state.tamper = (name, bytes) => (name.startsWith('b.') ? bytes.subarray(0, 3) : bytes);
  r = await sync();
  assert.equal(r.status, 'kept');
  assert.equal(r.version, 'v1');
  assert.match(r.problem, /section 'b'.*truncated/);

  // (d was stored by the attempt before: checked sections are kept for the next try.)
  state.tamper = (name, bytes) => (name.startsWith('b.') ? Buffer.from('bravo twx') : bytes);
  r = await sync();
  assert.equal(r.status, 'kept');
  assert.match(r.problem, /section 'b'.*SHA-256/);

  // A good v2: only sections not yet stored are downloaded, and v1's others are dropped.
  // (Synced with `stage`, as the widget does: a new version is still checked here in
  // full, nothing is staged.)
  state.tamper = null;
  reset();
  r = await page.evaluate(() => window.syncStaged());
  assert.deepEqual(r.staged, []);
  assert.deepEqual(r.got, []);
  assert.equal(r.status, 'updated');
  assert.equal(r.version, 'v2');
  assert.equal(r.previous, 'v1');
  assert.deepEqual(sectionRequests(), ['b']);
  const stored = await page.evaluate(async () => (await (await caches.open('reco-bundles')).keys()).map((k) => new URL(k.url).pathname.replace('/bundle/', '').split('.')[0]).sort());
  assert.deepEqual(stored, ['a', 'b', 'd', 'manifest']);

  // A stored section damaged on the device is dropped and fetched again.
  const dFile = Object.keys(v2).find((f) => f.startsWith('d.'));
  await page.evaluate(async (url) => (await caches.open('reco-bundles')).put(url, new Response('broken')), `${origin}/bundle/${dFile}`);
  reset();
  r = await sync();
  assert.equal(r.status, 'current');
  assert.deepEqual(sectionRequests(), ['d']);

  // With `stage`, the stored version's sections are handed over as they are read, size
  // checked only (the receiver checks the SHA-256), and left out of `files`; a stored
  // copy of the wrong size is downloaded again instead.
  reset();
  r = await page.evaluate(() => window.syncStaged());
  assert.equal(r.status, 'current');
  assert.deepEqual(r.staged, ['a', 'b', 'd']);
  assert.deepEqual(r.got, ['a:true', 'b:true', 'd:true']);
  assert.deepEqual(r.files, ['manifest.json']);
  assert.deepEqual(sectionRequests(), []);
  const aFile = Object.keys(v2).find((f) => f.startsWith('a.'));
  await page.evaluate(async (url) => (await caches.open('reco-bundles')).put(url, new Response('alph')), `${origin}/bundle/${aFile}`);
  reset();
  r = await page.evaluate(() => window.syncStaged());
  assert.equal(r.status, 'current');
  assert.deepEqual(r.staged, ['b', 'd']);
  assert.deepEqual(r.files, [aFile, 'manifest.json'].sort());
  assert.deepEqual(sectionRequests(), ['a']);

  // With `defer`, the named sections of the stored version are neither read nor staged
  // but listed in `deferred`; readDeferred() reads and checks them, downloading a
  // damaged copy again.
  reset();
  r = await page.evaluate(() => window.syncDeferred(['d']));
  assert.equal(r.status, 'current');
  assert.deepEqual(r.staged, ['a', 'b']);
  assert.deepEqual(r.got, ['a', 'b']);
  assert.deepEqual(r.deferred, ['d']);
  assert.deepEqual(r.later, ['d:delta']);
  assert.deepEqual(sectionRequests(), []);
  await page.evaluate(async (url) => (await caches.open('reco-bundles')).put(url, new Response('delte')), `${origin}/bundle/${dFile}`);
  reset();
  r = await page.evaluate(() => window.syncDeferred(['d']));
  assert.deepEqual(r.later, ['d:delta']);
  assert.deepEqual(sectionRequests(), ['d']);
  reset();
  r = await page.evaluate(() => window.syncDeferred(['d']));
  assert.deepEqual(r.later, ['d:delta']);
  assert.deepEqual(sectionRequests(), [], 'the downloaded copy was stored');

  // No server: the stored version, offline.
  await new Promise((res) => { server.close(res); server.closeAllConnections(); });
  r = await sync();
  assert.equal(r.status, 'offline');
  assert.equal(r.version, 'v2');
  assert.match(r.problem, /manifest\.json: download failed/);

  // No server and nothing stored: an error naming the manifest.
  await page.evaluate(() => caches.delete('reco-bundles'));
  await assert.rejects(sync(), /manifest\.json: download failed/);
});

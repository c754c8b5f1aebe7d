// The demo page and the <reco-widget> end to end, in Chromium, served by `reco serve`:
// likes change the recommendations (liked items left out, explanations shown), the
// history survives a reload, a stored file damaged on the device is refused and
// downloaded again, the page ranks with the server stopped and reopens
// offline, a new model version is picked up, a corrupted one is refused (the previous
// one stays, the console says why), history export/clear/import work from the widget's
// own buttons, and no request ever carries the history. Screenshots are saved in
// $RECO_ARTIFACTS (default build/test-artifacts).
// Needs RECO_BIN, RECO_DATA_DIR, web/dist and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportBundle } from './bundles.mjs';
import { buildSite, launchProfile, startServer } from './browser.mjs';

const repo = resolve(new URL('../..', import.meta.url).pathname);
const artifacts = resolve(process.env.RECO_ARTIFACTS ?? join(repo, 'build', 'test-artifacts'));
const liked = ['1', '2', '4', '7', '11'];

/** Copies a bundle's files into `target`, the manifest last (so a reader never sees a manifest before its sections). */
function publish(bundleDir, target, { corrupt = null } = {}) {
  mkdirSync(target, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8'));
  for (const [name, entry] of Object.entries(manifest.sections)) {
    const bytes = readFileSync(join(bundleDir, entry.file));
    if (name === corrupt) bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(join(target, entry.file), bytes);
  }
  writeFileSync(join(target, 'manifest.json.tmp'), readFileSync(join(bundleDir, 'manifest.json')));
  renameSync(join(target, 'manifest.json.tmp'), join(target, 'manifest.json'));
  return manifest;
}

async function open(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 60_000 });
  assert.equal(await page.getAttribute('body', 'data-ready'), 'true', await page.textContent('#model'));
}

/** What the widget shows and holds. */
function widgetState(page) {
  return page.evaluate(async () => {
    const w = document.querySelector('reco-widget');
    const cards = [...w.shadowRoot.querySelectorAll('li.card')].map((c) => ({
      id: c.dataset.id,
      reason: c.querySelector('.reason').textContent,
      tags: [...c.querySelectorAll('.tag')].map((t) => t.textContent),
    }));
    return { cards, history: (await w.history()).map((r) => r.item), version: w.modelVersion, sync: w.syncStatus, source: w.lastResult?.source };
  });
}

/** Runs `action` and waits for the widget's next rendering. */
async function rendered(page, action) {
  await page.evaluate(() => {
    window.nextRender = new Promise((r) => document.querySelector('reco-widget').addEventListener('reco-render', (e) => r(e.detail), { once: true }));
  });
  await action();
  return page.evaluate(() => window.nextRender);
}

test('demo page and widget in Chromium: likes, persistence, offline, model updates, privacy', { timeout: 900_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'reco-e2e-'));
  const site = buildSite(join(work, 'site'));
  const bundles = join(work, 'bundles');
  const v1 = exportBundle('ml100k', [], 'ml100k-int8');
  const v2 = exportBundle('ml100k', ['--dtype', 'float16'], 'ml100k-f16');
  const v3 = exportBundle('ml100k', ['--dtype', 'float32'], 'ml100k-f32');
  const m1 = publish(v1, join(bundles, 'movies'));
  const accessLog = join(work, 'access.log');
  let server = await startServer({ web: site, bundles, accessLog });
  const context = await launchProfile(join(work, 'profile'));
  t.after(async () => {
    await context.close();
    await server.stop();
  });
  const requests = [];
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() }));
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e}`));
  const url = `${server.origin}/index.html?bundle=bundles/movies/`;
  mkdirSync(artifacts, { recursive: true });

  // First visit: popular items, nothing in the history.
  await open(page, url);
  const first = await widgetState(page);
  assert.equal(first.version, m1.model_version);
  assert.equal(first.sync.status, 'downloaded');
  assert.equal(first.source, 'popular');
  assert.equal(first.cards.length, 8);
  assert.deepEqual(first.history, []);

  // Five likes from the catalog: each re-ranks at once.
  for (const id of liked) {
    const detail = await rendered(page, () => page.click(`#catalog li[data-id="${id}"] button.like`));
    assert.equal(detail.mode, 'hybrid');
  }
  const afterLikes = await widgetState(page);
  assert.deepEqual([...afterLikes.history].sort(), [...liked].sort());
  assert.equal(afterLikes.source, 'hybrid');
  assert.notDeepEqual(afterLikes.cards.map((c) => c.id), first.cards.map((c) => c.id), 'recommendations did not change');
  for (const c of afterLikes.cards) assert.ok(!liked.includes(c.id), `liked item ${c.id} is recommended`);
  const likedTitles = await page.evaluate((ids) => Promise.all(ids.map(async (id) => (await document.querySelector('reco-widget').recommender.item(id)).title)), liked);
  const explained = afterLikes.cards.filter((c) => c.reason.startsWith('Because you liked') && likedTitles.some((title) => c.reason.includes(title)));
  assert.ok(explained.length >= 6, `only ${explained.length} of 8 recommendations name a liked movie: ${afterLikes.cards.map((c) => c.reason).join(' | ')}`);
  assert.ok(afterLikes.cards.some((c) => c.tags.length > 0), 'no recommendation shows shared tags');
  assert.match(await page.textContent('#fusion'), /collaborative 0\.\d\d · content 0\.\d\d/);
  assert.equal(await page.getAttribute('#catalog li[data-id="1"] button.like', 'aria-pressed'), 'true');

  // The mode switch: content-only and collaborative-only rank differently.
  const cfOnly = await rendered(page, () => page.check('input[name=mode][value=cf]'));
  const contentOnly = await rendered(page, () => page.check('input[name=mode][value=content]'));
  assert.equal(cfOnly.mode, 'cf');
  assert.equal(contentOnly.mode, 'content');
  assert.notDeepEqual(cfOnly.items.map((i) => i.id), contentOnly.items.map((i) => i.id));
  await rendered(page, () => page.check('input[name=mode][value=hybrid]'));
  await page.screenshot({ path: join(artifacts, 'demo.png') });

  // Text search through the encoder.
  const searchFinds = async (query, pattern) => {
    await page.fill('#query', query);
    await page.click('#search button[type=submit]');
    await page.waitForFunction(() => document.getElementById('catalog-status').textContent.startsWith('Best matches'), null, { timeout: 60_000 });
    const titles = await page.$$eval('#catalog li .title', (els) => els.slice(0, 5).map((e) => e.textContent));
    assert.ok(titles.some((title) => pattern.test(title)), `search for "${query}" found ${titles.join(', ')}`);
  };
  await searchFinds('star wars', /Star Wars/);

  // Reload: the history is still there, and so are the same recommendations.
  await open(page, url);
  const reloaded = await widgetState(page);
  assert.deepEqual([...reloaded.history].sort(), [...liked].sort());
  assert.deepEqual(reloaded.cards.map((c) => c.id), afterLikes.cards.map((c) => c.id));
  assert.equal(reloaded.sync.status, 'current');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  // The reload left the encoder in storage (the first ranking does not read it); a
  // search reads it then.
  await searchFinds('star wars', /Star Wars/);

  // A stored section damaged on the device (same size, other bytes): the worker's check
  // refuses it, the widget reads the model again, downloads that file, and shows the same
  // recommendations; the stored copy is good again.
  const factorsUrl = `${server.origin}/bundles/movies/${m1.sections.factors.file}`;
  const storedSha = (u) => page.evaluate(async (url) => {
    const bytes = await (await (await caches.open('reco-bundles')).match(url)).arrayBuffer();
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  }, u);
  const damageStored = (u) => page.evaluate(async (url) => {
    const cache = await caches.open('reco-bundles');
    const bytes = new Uint8Array(await (await cache.match(url)).arrayBuffer());
    bytes[bytes.length >> 1] ^= 0xff;
    await cache.put(url, new Response(bytes));
  }, u);
  await damageStored(factorsUrl);
  assert.notEqual(await storedSha(factorsUrl), m1.sections.factors.sha256);
  logs.length = 0;
  await open(page, url);
  const repaired = await widgetState(page);
  assert.equal(repaired.version, m1.model_version);
  assert.deepEqual(repaired.cards.map((c) => c.id), afterLikes.cards.map((c) => c.id));
  assert.ok(logs.some((l) => l.startsWith('warning:') && l.includes("'factors'") && l.includes('SHA-256')), `console: ${logs.join('\n')}`);
  assert.equal(await storedSha(factorsUrl), m1.sections.factors.sha256);

  // The same for a section the warm start leaves in storage (the encoder): its check
  // fails when a search first reads it, it is downloaded again and the search works.
  const encoderUrl = `${server.origin}/bundles/movies/${m1.sections.encoder.file}`;
  await damageStored(encoderUrl);
  assert.notEqual(await storedSha(encoderUrl), m1.sections.encoder.sha256);
  await open(page, url);
  assert.equal((await widgetState(page)).sync.status, 'current');
  await searchFinds('star wars', /Star Wars/);
  assert.equal(await storedSha(encoderUrl), m1.sections.encoder.sha256);
  await open(page, url);  // the catalog as it was, for the likes below

  // The server goes away: the open page still ranks, and reopens offline.
  await server.stop();
  const offlineRender = await rendered(page, () => page.click('#catalog li[data-id="12"] button.like'));
  assert.ok(!offlineRender.items.some((i) => i.id === '12'));
  const beforeOffline = await widgetState(page);
  await open(page, url);
  const offline = await widgetState(page);
  assert.equal(offline.sync.status, 'offline');
  assert.equal(offline.version, m1.model_version);
  assert.equal(offline.history.length, 6);
  assert.deepEqual(offline.cards.map((c) => c.id), beforeOffline.cards.map((c) => c.id));

  // Back online with a new model version: picked up on the next load.
  server = await startServer({ web: site, bundles, port: server.port, accessLog });
  const m2 = publish(v2, join(bundles, 'movies'));
  assert.notEqual(m2.model_version, m1.model_version);
  await open(page, url);
  const updated = await widgetState(page);
  assert.equal(updated.sync.status, 'updated');
  assert.equal(updated.version, m2.model_version);
  assert.equal(updated.history.length, 6);
  assert.equal(updated.cards.length, 8);

  // A new version with a corrupted section: refused, the last good one is used.
  const m3 = publish(v3, join(bundles, 'movies'), { corrupt: 'factors' });
  assert.ok(!Object.values(m2.sections).some((s) => s.file === m3.sections.factors.file), 'the corrupted section must be new');
  logs.length = 0;
  await open(page, url);
  const kept = await widgetState(page);
  assert.equal(kept.sync.status, 'kept');
  assert.equal(kept.version, m2.model_version);
  assert.equal(kept.cards.length, 8);
  assert.ok(logs.some((l) => l.startsWith('error:') && l.includes("'factors'") && l.includes('SHA-256')), `console: ${logs.join('\n')}`);

  // History from the widget's own controls: export, clear, import.
  const widget = page.locator('reco-widget');
  await widget.locator('summary').click();
  assert.equal(await widget.locator('.history-list li').count(), 6);
  const [download] = await Promise.all([page.waitForEvent('download'), widget.getByRole('button', { name: 'Export' }).click()]);
  const exportedPath = join(work, 'history.json');
  await download.saveAs(exportedPath);
  const exported = JSON.parse(readFileSync(exportedPath, 'utf8'));
  assert.equal(exported.format, 'reco-history');
  assert.deepEqual(exported.events.map((e) => e.item).sort(), [...liked, '12'].sort());
  const cleared = await rendered(page, () => widget.getByRole('button', { name: 'Clear history' }).click());
  assert.equal(cleared.source, 'popular');
  assert.equal(await widget.locator('.history-list li').count(), 0);
  await open(page, url);
  assert.deepEqual((await widgetState(page)).history, [], 'the history came back after clearing');

  const badPath = join(work, 'bad-history.json');
  writeFileSync(badPath, JSON.stringify({ ...exported, events: [{ item: '1', kind: 'adore' }] }));
  await widget.locator('summary').click();
  const [badChooser] = await Promise.all([page.waitForEvent('filechooser'), widget.getByRole('button', { name: 'Import' }).click()]);
  await badChooser.setFiles(badPath);
  await page.waitForFunction(() => document.querySelector('reco-widget').shadowRoot.querySelector('.status').textContent.includes("field 'kind'"));
  assert.deepEqual((await widgetState(page)).history, [], 'a bad import changed the history');
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), widget.getByRole('button', { name: 'Import' }).click()]);
  await rendered(page, () => chooser.setFiles(exportedPath));
  const imported = await widgetState(page);
  assert.deepEqual([...imported.history].sort(), [...liked, '12'].sort());

  // The widget on a plain third-party-like page.
  const embed = await context.newPage();
  await embed.goto(`${server.origin}/embed.html?bundle=bundles/movies/`);
  await embed.waitForFunction(() => document.querySelector('reco-widget').shadowRoot.querySelectorAll('li.card').length === 6, null, { timeout: 60_000 });
  const embedCards = await embed.evaluate(() => [...document.querySelector('reco-widget').shadowRoot.querySelectorAll('li.card')].map((c) => c.dataset.id));
  for (const id of embedCards) assert.ok(![...liked, '12'].includes(id));
  await embed.screenshot({ path: join(artifacts, 'widget-embedded.png'), fullPage: true });

  // The report page of the loaded model.
  await embed.goto(`${server.origin}/report.html?bundle=bundles/movies/`);
  await embed.waitForSelector('body[data-ready]', { state: 'attached' });
  assert.equal(await embed.getAttribute('body', 'data-ready'), 'true');
  assert.ok((await embed.locator('#metrics tr').count()) >= 4);
  assert.equal(await embed.locator('#chart svg rect').count() > 10, true);
  await embed.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });

  // Privacy: every request the browser made (pages, workers, the service worker) and
  // every request the server logged is a GET of a site or bundle file, with no body,
  // no query beyond the page's own ?bundle=, and only standard headers.
  const siteFiles = new Set(readdirSync(site, { recursive: true }).map((f) => `/${f}`));
  const bundleFiles = new Set([v1, v2, v3].flatMap((dir) => readdirSync(dir).map((f) => `/bundles/movies/${f}`)));
  const allowedHeaders = /^(host|connection|user-agent|accept|accept-encoding|accept-language|referer|origin|if-none-match|if-modified-since|cache-control|pragma|upgrade-insecure-requests|service-worker|range|dnt|sec-[a-z-]+)$/;
  assert.ok(requests.length > 20);
  for (const r of requests) {
    const u = new URL(r.url);
    if (u.protocol !== 'http:') continue;
    assert.equal(u.origin, server.origin, `request to another origin: ${r.url}`);
    assert.ok(r.method === 'GET' || r.method === 'HEAD', `${r.method} ${r.url}`);
    assert.equal(r.body ?? null, null, `request body: ${r.url}`);
    assert.ok(u.pathname === '/' || siteFiles.has(u.pathname) || bundleFiles.has(u.pathname) || u.pathname === '/favicon.ico', `unexpected path ${u.pathname}`);
    assert.ok(u.search === '' || /^\?bundle=bundles(%2F|\/)movies(%2F|\/)$/.test(u.search), `query string ${u.search}`);
    for (const name of Object.keys(r.headers)) assert.match(name.toLowerCase(), allowedHeaders, `header ${name} on ${r.url}`);
  }
  const logged = readFileSync(accessLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.ok(logged.length > 20);
  for (const r of logged) {
    const u = new URL(r.target, server.origin);
    assert.ok(r.method === 'GET' || r.method === 'HEAD', `${r.method} ${r.target}`);
    assert.equal(r.body_bytes, 0, `request body: ${r.target}`);
    assert.ok(u.pathname === '/' || siteFiles.has(u.pathname) || bundleFiles.has(u.pathname) || u.pathname === '/favicon.ico', `unexpected path ${u.pathname}`);
    assert.ok(u.search === '' || /^\?bundle=bundles(%2F|\/)movies(%2F|\/)$/.test(u.search), `query string ${u.search}`);
    for (const name of Object.keys(r.headers)) assert.match(name.toLowerCase(), allowedHeaders, `header ${name} on ${r.target}`);
  }
});

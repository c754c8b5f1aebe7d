// Speed of the demo page in Chromium, served by `reco serve` on localhost:
//   cold   first recommendations after opening the page with an empty profile (no HTTP
//          cache, no stored bundle, no service worker): download, checks, WebAssembly,
//          worker start, ranking, drawing;
//   warm   the same after a reload, with the bundle stored (Cache API) and the
//          service worker installed;
//   new tab the same in a new tab of the same profile (the old one closed, after the
//          likes below, so with a history of 10): a new renderer process, so unlike a
//          reload no compiled WebAssembly code is left from the page before;
//   like   from a click on a catalog "Like" button to the widget's redrawn list
//          (IndexedDB write, history to the worker, ranking, drawing).
// Times are from the page's own clock (performance.now(), navigation start = 0).
// With --breakdown the warm start is also broken down: navigation and resource timing,
// and the performance.mark()s the widget (page) and its worker set ('reco:*'), all on
// the page's clock; each row is the median over the runs.
//
//   RECO_BIN=build/native/server/reco node web/bench/widget.bench.mjs \
//     [--bundle build/bundles/ml-latest-small] [--runs 5] [--likes 10] [--breakdown]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { buildSite, launchProfile, startServer } from '../test/browser.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const bundleDir = resolve(option('--bundle', 'build/bundles/ml-latest-small'));
const runs = Number(option('--runs', '5'));
const likes = Number(option('--likes', '10'));
if (!process.env.RECO_BIN) {
  console.error('widget.bench: set RECO_BIN to the native reco program');
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms  (runs: ${xs.map((x) => x.toFixed(1)).join(', ')})`;

const work = mkdtempSync(join(tmpdir(), 'reco-bench-'));
const site = buildSite(join(work, 'site'));
const server = await startServer({ web: site, bundles: dirname(bundleDir) });
const url = `${server.origin}/index.html?bundle=bundles/${basename(bundleDir)}/`;

// The time of the first rendering, recorded by the page itself, which also says so on
// the console: the benchmark waits for that message rather than polling the page, so
// that Playwright's own script (injected on the first evaluation, ~20 ms of the page's
// thread) does not run while the page starts.
const firstRender = 'addEventListener("reco-render", () => { if (window.firstRenderMs == null) { window.firstRenderMs = performance.now(); console.debug("reco:first-render"); } }, true);';
// --breakdown: the widget's own performance.mark()s on (they cost the page a few ms, so
// the plain run leaves them off), and where the warm start's time went.
const withBreakdown = args.includes('--breakdown');
const marks = withBreakdown ? 'globalThis.recoMarks = true;' : '';

async function load(page) {
  const rendered = page.waitForEvent('console', { predicate: (m) => m.text() === 'reco:first-render', timeout: 120_000 });
  await page.goto(url, { waitUntil: 'commit' });
  await rendered;
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  return page.evaluate(() => window.firstRenderMs);
}

const short = (name) => name.replace(/^.*\/(?=[^/]+$)/, '').replace(/\?.*$/, '');

/** Where the time of the last load went: [[label, ms since navigation start]]. */
async function breakdown(page) {
  const { origin, rows } = await page.evaluate(() => {
    const out = [];
    const nav = performance.getEntriesByType('navigation')[0];
    for (const key of ['workerStart', 'responseStart', 'responseEnd', 'domInteractive', 'domContentLoadedEventEnd']) {
      if (nav[key] > 0) out.push([`page: ${key}`, nav[key]]);
    }
    for (const r of performance.getEntriesByType('resource')) {
      out.push([`page: fetched ${r.name}`, r.responseEnd]);
    }
    for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('reco:')) out.push([`page: ${m.name}`, m.startTime]);
    out.push(['page: first reco-render', window.firstRenderMs]);
    return { origin: performance.timeOrigin, rows: out };
  });
  for (const worker of page.workers()) {
    const w = await worker.evaluate(() => ({
      origin: performance.timeOrigin,
      rows: [
        ...performance.getEntriesByType('resource').map((r) => [`worker: fetched ${r.name}`, r.responseEnd]),
        ...performance.getEntriesByType('mark').filter((m) => m.name.startsWith('reco:')).map((m) => [`worker: ${m.name}`, m.startTime]),
      ],
    })).catch(() => null);
    if (w == null) continue;
    rows.push(['worker: created', w.origin - origin]);
    for (const [label, t] of w.rows) rows.push([label, t + w.origin - origin]);
  }
  return rows.map(([label, t]) => [label.replace(/fetched (\S+)/, (_, u) => `fetched ${short(u)}`), t]);
}

const cold = [];
const warm = [];
const newTab = [];
const phases = new Map();
const like = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const profile = join(work, `profile-${run}`);
    const context = await launchProfile(profile);
    await context.addInitScript(firstRender + marks);
    const page = await context.newPage();
    cold.push(await load(page));
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    warm.push(await load(page));
    if (withBreakdown) {
      for (const [label, t] of await breakdown(page)) {
        if (!phases.has(label)) phases.set(label, []);
        phases.get(label).push(t);
      }
    }
    const ids = await page.$$eval('#catalog li', (els) => els.map((e) => e.dataset.id));
    for (const id of ids.slice(0, likes)) {
      like.push(await page.evaluate((itemId) => new Promise((done) => {
        const widget = document.querySelector('reco-widget');
        const t0 = performance.now();
        widget.addEventListener('reco-render', () => done(performance.now() - t0), { once: true });
        document.querySelector(`#catalog li[data-id="${itemId}"] button.like`).click();
      }), id));
    }
    await page.close();
    const tab = await context.newPage();
    newTab.push(await load(tab));
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
} finally {
  await server.stop();
}
console.log(`bundle ${bundleDir}, ${runs} runs, Chromium ${process.env.CHROMIUM_VERSION ?? '(Debian)'} on localhost`);
console.log(`first recommendations, cold: ${fmt(cold)}`);
console.log(`first recommendations, warm: ${fmt(warm)}`);
console.log(`first recommendations, warm, new tab: ${fmt(newTab)}`);
if (withBreakdown) {
  console.log(`warm start, ms since navigation start (median of ${runs} runs; each run):`);
  for (const [label, ts] of [...phases].sort((a, b) => median(a[1]) - median(b[1]))) {
    console.log(`  ${median(ts).toFixed(1).padStart(7)}  ${label.padEnd(44)} ${ts.map((x) => x.toFixed(0)).join(' ')}`);
  }
}
console.log(`re-rank after a like (${like.length} likes): median ${median(like).toFixed(1)} ms, max ${Math.max(...like).toFixed(1)} ms`);
rmSync(work, { recursive: true, force: true });

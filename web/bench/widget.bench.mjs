// Speed of the demo page in Chromium, served by `reco serve` on localhost:
//   cold   first recommendations after opening the page with an empty profile (no HTTP
//          cache, no stored bundle, no service worker): download, checks, WebAssembly,
//          worker start, ranking, drawing;
//   warm   the same after a reload, with the bundle stored (Cache API) and the
//          service worker installed;
//   like   from a click on a catalog "Like" button to the widget's redrawn list
//          (IndexedDB write, history to the worker, ranking, drawing).
// Times are from the page's own clock (performance.now(), navigation start = 0).
//
//   RECO_BIN=build/native/server/reco node web/bench/widget.bench.mjs \
//     [--bundle build/bundles/ml-latest-small] [--runs 5] [--likes 10]
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

// The time of the first rendering, recorded by the page itself.
const firstRender = 'addEventListener("reco-render", () => { window.firstRenderMs ??= performance.now(); }, true);';

async function load(page) {
  await page.goto(url);
  await page.waitForFunction(() => window.firstRenderMs != null && document.body.dataset.ready === 'true', null, { timeout: 120_000 });
  return page.evaluate(() => window.firstRenderMs);
}

const cold = [];
const warm = [];
const like = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const profile = join(work, `profile-${run}`);
    const context = await launchProfile(profile);
    await context.addInitScript(firstRender);
    const page = await context.newPage();
    cold.push(await load(page));
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    warm.push(await load(page));
    const ids = await page.$$eval('#catalog li', (els) => els.map((e) => e.dataset.id));
    for (const id of ids.slice(0, likes)) {
      like.push(await page.evaluate((itemId) => new Promise((done) => {
        const widget = document.querySelector('reco-widget');
        const t0 = performance.now();
        widget.addEventListener('reco-render', () => done(performance.now() - t0), { once: true });
        document.querySelector(`#catalog li[data-id="${itemId}"] button.like`).click();
      }), id));
    }
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
} finally {
  await server.stop();
}
console.log(`bundle ${bundleDir}, ${runs} runs, Chromium ${process.env.CHROMIUM_VERSION ?? '(Debian)'} on localhost`);
console.log(`first recommendations, cold: ${fmt(cold)}`);
console.log(`first recommendations, warm: ${fmt(warm)}`);
console.log(`re-rank after a like (${like.length} likes): median ${median(like).toFixed(1)} ms, max ${Math.max(...like).toFixed(1)} ms`);
rmSync(work, { recursive: true, force: true });

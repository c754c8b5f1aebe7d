// Test helpers for Chromium: a static HTTP server over folders, and the browser itself
// (Debian's /usr/bin/chromium driven by playwright-core, which downloads nothing).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';

const types = { '.html': 'text/html', '.css': 'text/css', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Serves `mounts` ({'/bundle/': dir, '/': dir}, longest prefix first) on 127.0.0.1. */
export async function serveFolders(mounts) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const root = prefix && resolve(mounts[prefix]);
    const file = root && resolve(root, path.slice(prefix.length));
    if (!file || (file !== root && !file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

export async function launchChromium() {
  assert.ok(existsSync('/usr/bin/chromium'), '/usr/bin/chromium is missing (bash scripts/setup.sh installs it)');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A Chromium page with `mounts` served; both are closed after test `t`. */
export async function openPage(t, mounts) {
  const server = await serveFolders(mounts);
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(String(e)));
  return { page, origin: server.origin, logs };
}

/** A Chromium profile in `dir` (storage, caches and service workers persist across pages). */
export async function launchProfile(dir, options = {}) {
  assert.ok(existsSync('/usr/bin/chromium'), '/usr/bin/chromium is missing (bash scripts/setup.sh installs it)');
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    ...options,
  });
}

/** Builds the demo site (web/scripts/build-site.mjs) into `out`. */
export function buildSite(out) {
  const script = new URL('../scripts/build-site.mjs', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [script, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

/**
 * Starts `reco serve` (RECO_BIN) on 127.0.0.1: `port` 0 picks a free one. Resolves once
 * it listens: {origin, port, stop()}; stop() ends it with SIGTERM.
 */
export async function startServer({ web, bundles, port = 0, accessLog = null }) {
  const args = ['serve', '--web', web, '--bundles', bundles, '--host', '127.0.0.1', '--port', String(port)];
  if (accessLog) args.push('--access-log', accessLog);
  const child = spawn(process.env.RECO_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const origin = await new Promise((resolveOrigin, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`reco serve did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveOrigin(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`reco serve exited (${code}): ${stderr}`));
    });
  });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    origin,
    port: Number(new URL(origin).port),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

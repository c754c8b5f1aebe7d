// Test helpers: bundles exported by the native `reco` (RECO_BIN) from MovieLens
// (RECO_DATA_DIR), users' histories as requests, and a local HTTP server for bundles.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';

export const bin = process.env.RECO_BIN;
export const data = process.env.RECO_DATA_DIR;
const sourceDir = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'reco-web-'));

export const datasets = {
  ml100k: { folder: 'ml-100k', format: 'ml100k', params: 'models/params/ml100k-hybrid.json' },
  mllatest: { folder: 'ml-latest-small', format: 'mllatest', params: 'models/params/mllatest-hybrid.json' },
};

/** Exports a data set's bundle with the shipped parameters (trained on all its data). */
export function exportBundle(name, extra = [], folder = name) {
  const d = datasets[name];
  const out = join(work, folder);
  const r = spawnSync(bin, ['export', '--quiet', '--data', join(data, d.folder), '--format', d.format,
    '--params', join(sourceDir, d.params), '--out', out, ...extra], { encoding: 'utf8', timeout: 1_200_000 });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

export function readBundleFiles(dir) {
  const files = {};
  for (const f of readdirSync(dir)) if (f === 'manifest.json' || /\.[0-9a-f]{16}\./.test(f)) files[f] = new Uint8Array(readFileSync(join(dir, f)));
  return files;
}

/** users' rating events: Map user -> [{item, strength, timestamp}] in file order. */
export function ratings(name) {
  const d = datasets[name];
  const byUser = new Map();
  const add = (u, item, r, t) => {
    if (!byUser.has(u)) byUser.set(u, []);
    byUser.get(u).push({ item, strength: Number(r), timestamp: Number(t) });
  };
  if (name === 'ml100k') {
    for (const line of readFileSync(join(data, d.folder, 'u.data'), 'utf8').split('\n')) {
      if (!line) continue;
      const [u, i, r, t] = line.split('\t');
      add(Number(u), i, r, t);
    }
  } else {
    const lines = readFileSync(join(data, d.folder, 'ratings.csv'), 'utf8').split('\n');
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const [u, i, r, t] = line.split(',');
      add(Number(u), i, r, t);
    }
  }
  return byUser;
}

/** Runs `reco rank` on requests (objects in the core's JSON); returns parsed results in order. */
export function nativeRank(bundleDir, requests) {
  const file = join(work, `requests-${Date.now()}-${Math.random().toString(16).slice(2)}.jsonl`);
  writeFileSync(file, requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = spawnSync(bin, ['rank', '--bundle', bundleDir, '--requests', file], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout.slice(0, 2000));
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** Serves the files of `dir` over HTTP on 127.0.0.1; `tamper(name, bytes)` may alter them. */
export async function serveDir(dir, tamper = (name, bytes) => bytes) {
  const server = http.createServer((req, res) => {
    const name = basename(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const path = join(dir, name);
    if (!existsSync(path)) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.end(tamper(name, readFileSync(path)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/bundle/`, close: () => new Promise((r) => server.close(r)) };
}

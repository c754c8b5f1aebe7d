// Helpers for tests that run `reco serve`: start it on a free port, talk raw HTTP to it.
// Raw http.request rather than fetch: fetch normalises paths (it collapses `/../`), adds
// Accept-Encoding and decompresses by itself, all of which these tests must control.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';

// Starts `reco serve --port 0` and resolves once it printed its listening line.
export function startServer(bin, web, bundles, extra = []) {
  const child = spawn(bin, ['serve', '--web', web, '--bundles', bundles, '--port', '0', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line after 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const line = out.slice(0, nl);
      const m = /^reco serve: listening on http:\/\/127\.0\.0\.1:(\d+)\/$/.exec(line);
      if (!m) return reject(new Error(`unexpected first line: ${JSON.stringify(line)}`));
      resolve({ child, port: Number(m[1]), exited, stderr: () => stderr });
    });
    exited.then(({ code }) => reject(new Error(`reco serve exited with ${code} before listening: ${stderr}`)));
  });
}

// One HTTP exchange, the path sent exactly as given. A fresh connection each time
// (agent: false) unless an agent is passed.
export function request(port, path, { method = 'GET', headers = {}, body, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Checks a JSON error answer and returns its parsed body.
export function assertJsonError(r, status) {
  if (Array.isArray(status)) assert.ok(status.includes(r.status), `status ${r.status}, expected one of ${status}`);
  else assert.equal(r.status, status);
  assert.equal(r.headers['content-type'], 'application/json');
  const j = JSON.parse(r.body.toString('utf8'));
  assert.equal(typeof j.error, 'string');
  assert.ok(j.error.length > 0);
  return j;
}

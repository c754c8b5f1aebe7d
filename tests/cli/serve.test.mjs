// End-to-end tests of `reco serve`: a real server on a free port, serving a temporary
// web folder and a fake bundle folder (no model needed), checked over raw HTTP. Raw
// http.request rather than fetch: fetch normalises paths (it collapses `/../`), adds
// Accept-Encoding and decompresses by itself, all of which these tests must control.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, renameSync, symlinkSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { assertJsonError, request as httpExchange, startServer as startRecoServer } from './http_client.mjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const bin = process.env.RECO_BIN;
const tmp = mkdtempSync(join(tmpdir(), 'reco-serve-'));
const web = join(tmp, 'web');
const bundles = join(tmp, 'bundles');
const outside = join(tmp, 'outside');
const accessLog = join(tmp, 'access.jsonl');
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOTS';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const etagOf = (bytes) => `"${sha256(bytes).slice(0, 32)}"`;

// Content-addressed bundle files, named as `reco export` names them.
const factors = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256));
const factorsName = `factors.${sha256(factors).slice(0, 16)}.bin`;
const encoder = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 11) % 256));
const encoderName = `encoder.${sha256(encoder).slice(0, 16)}.onnx`;
const misnamed = Buffer.from('{"not": "the bytes its name promises"}'.repeat(20));
const misnamedName = 'items.0123456789abcdef.json';
const appJs = Buffer.from(Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i} * 2;\n`).join(''));
const wasm = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(2000, 7)]);
const indexHtml = `<!doctype html><title>reco</title><script type="module" src="app.js"></script>${'<p>hello</p>'.repeat(40)}`;

function writeFixtures() {
  mkdirSync(join(web, 'sub'), { recursive: true });
  mkdirSync(join(bundles, 'ml-test'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(web, 'index.html'), indexHtml);
  writeFileSync(join(web, 'app.js'), appJs);
  writeFileSync(join(web, 'worker.mjs'), 'self.onmessage = () => {};\n');
  writeFileSync(join(web, 'style.css'), 'body { margin: 0 }\n');
  writeFileSync(join(web, 'reco.wasm'), wasm);
  writeFileSync(join(web, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(web, 'logo.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(1000, 1)]));
  writeFileSync(join(web, 'notes.txt'), 'plain text\n'.repeat(50));
  writeFileSync(join(web, 'data.xyz'), 'unknown type');
  writeFileSync(join(web, 'app.webmanifest'), '{"name": "reco"}');
  writeFileSync(join(web, 'sub', 'index.html'), '<!doctype html><p>sub page</p>');
  writeFileSync(join(web, '.hidden.txt'), 'hidden');
  writeFileSync(join(bundles, 'ml-test', 'manifest.json'), JSON.stringify({ format: 'reco-bundle', format_version: 1, pad: 'x'.repeat(400) }));
  writeFileSync(join(bundles, 'ml-test', factorsName), factors);
  writeFileSync(join(bundles, 'ml-test', encoderName), encoder);
  writeFileSync(join(bundles, 'ml-test', misnamedName), misnamed);
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  // Symlinks inside the roots that lead out of them.
  symlinkSync(join(outside, 'secret.txt'), join(web, 'leak.txt'));
  symlinkSync(outside, join(web, 'outdir'));
  symlinkSync(outside, join(bundles, 'ml-out'));
}

let server;
const startServer = (extra = []) => startRecoServer(bin, web, bundles, extra);
const request = (path, { port = server.port, ...options } = {}) => httpExchange(port, path, options);

before(async () => {
  writeFixtures();
  server = await startServer(['--access-log', accessLog]);
});

after(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

test('health route answers JSON; other /api/ paths are 404 JSON', async () => {
  const r = await request('/api/v1/health');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  // The fake bundle here is no model: the server still lives and says why.
  const health = JSON.parse(r.body);
  assert.equal(health.status, 'ok');
  assert.equal(health.model, 'ml-test');
  assert.equal(health.model_version, null);
  assert.match(health.model_error, /model_version/);
  assertJsonError(await request('/api/v1/recommend'), 404);
  assertJsonError(await request('/api/v1/recommend', { method: 'POST', body: '{}' }), 404);
  const post = await request('/api/v1/health', { method: 'POST', body: '{}' });
  assertJsonError(post, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('web files at /, folder URLs give index.html, bundle files at /bundles/', async () => {
  const root = await request('/');
  assert.equal(root.status, 200);
  assert.equal(root.body.toString(), indexHtml);
  const index = await request('/index.html');
  assert.equal(index.headers.etag, root.headers.etag);
  const sub = await request('/sub/');
  assert.equal(sub.status, 200);
  assert.match(sub.body.toString(), /sub page/);
  const redirect = await request('/sub?x=1');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, '/sub/?x=1');
  const section = await request(`/bundles/ml-test/${factorsName}`);
  assert.equal(section.status, 200);
  assert.ok(section.body.equals(factors));
  const manifest = await request('/bundles/ml-test/manifest.json?v=1');
  assert.equal(JSON.parse(manifest.body).format, 'reco-bundle');
  // The bundle folder itself has no index: no listing.
  assertJsonError(await request('/bundles/'), 404);
});

test('MIME types by extension, with nosniff on every response', async () => {
  const expected = {
    '/index.html': 'text/html; charset=utf-8',
    '/app.js': 'text/javascript; charset=utf-8',
    '/worker.mjs': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/reco.wasm': 'application/wasm',
    '/icon.svg': 'image/svg+xml',
    '/logo.png': 'image/png',
    '/notes.txt': 'text/plain; charset=utf-8',
    '/data.xyz': 'application/octet-stream',
    '/app.webmanifest': 'application/manifest+json',
    '/bundles/ml-test/manifest.json': 'application/json',
    [`/bundles/ml-test/${factorsName}`]: 'application/octet-stream',
    [`/bundles/ml-test/${encoderName}`]: 'application/octet-stream',
  };
  for (const [path, type] of Object.entries(expected)) {
    const r = await request(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
  }
  assert.equal((await request('/nope.html')).headers['x-content-type-options'], 'nosniff');
});

test('content-addressed sections are immutable; manifest, page and scripts revalidate', async () => {
  const immutable = 'public, max-age=31536000, immutable';
  assert.equal((await request(`/bundles/ml-test/${factorsName}`)).headers['cache-control'], immutable);
  assert.equal((await request(`/bundles/ml-test/${encoderName}`)).headers['cache-control'], immutable);
  for (const path of ['/bundles/ml-test/manifest.json', '/', '/app.js', '/reco.wasm']) {
    assert.equal((await request(path)).headers['cache-control'], 'no-cache', path);
  }
  // A name of the content-addressed form whose hash is not the content's hash.
  assert.equal((await request(`/bundles/ml-test/${misnamedName}`)).headers['cache-control'], 'no-cache');
});

test('strong ETags from the content; If-None-Match gives 304 without a body', async () => {
  const r = await request(`/bundles/ml-test/${factorsName}`);
  assert.equal(r.headers.etag, etagOf(factors));
  for (const inm of [etagOf(factors), `"nope", ${etagOf(factors)}`, `W/${etagOf(factors)}`, '*']) {
    const c = await request(`/bundles/ml-test/${factorsName}`, { headers: { 'If-None-Match': inm } });
    assert.equal(c.status, 304, inm);
    assert.equal(c.body.length, 0);
    assert.equal(c.headers.etag, etagOf(factors));
    assert.equal(c.headers['cache-control'], 'public, max-age=31536000, immutable');
  }
  const other = await request(`/bundles/ml-test/${factorsName}`, { headers: { 'If-None-Match': '"0123"' } });
  assert.equal(other.status, 200);
  assert.ok(other.body.equals(factors));
});

test('gzip when Accept-Encoding allows it, with its own ETag; identity otherwise', async () => {
  const plain = await request('/app.js');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.ok(plain.body.equals(appJs));
  assert.equal(plain.headers.etag, etagOf(appJs));

  const gz = await request('/app.js', { headers: { 'Accept-Encoding': 'br;q=1, gzip;q=0.8' } });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.ok(gz.body.length < appJs.length / 2, `gzip body ${gz.body.length} bytes`);
  assert.equal(Number(gz.headers['content-length']), gz.body.length);
  assert.ok(gunzipSync(gz.body).equals(appJs));
  assert.equal(gz.headers.etag, `"${sha256(appJs).slice(0, 32)}-gz"`);
  assert.notEqual(gz.headers.etag, plain.headers.etag);

  // The gzip ETag revalidates the gzip representation, not the identity one.
  const gz304 = await request('/app.js', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag } });
  assert.equal(gz304.status, 304);
  const mismatch = await request('/app.js', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': plain.headers.etag } });
  assert.equal(mismatch.status, 200);

  const refused = await request('/app.js', { headers: { 'Accept-Encoding': 'gzip;q=0, br' } });
  assert.equal(refused.headers['content-encoding'], undefined);
  assert.ok(refused.body.equals(appJs));

  const w = await request('/reco.wasm', { headers: { 'Accept-Encoding': 'gzip, deflate' } });
  assert.equal(w.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(w.body).equals(wasm));
  // Binary sections and images are not compressed.
  for (const path of [`/bundles/ml-test/${factorsName}`, '/logo.png']) {
    const b = await request(path, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(b.headers['content-encoding'], undefined, path);
  }
});

test('HEAD sends the headers of GET and no body', async () => {
  const get = await request('/app.js');
  const head = await request('/app.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(Number(head.headers['content-length']), appJs.length);
  assert.equal(head.headers.etag, get.headers.etag);
  assert.equal(head.headers['content-type'], get.headers['content-type']);
  const headGz = await request('/app.js', { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(headGz.body.length, 0);
  assert.equal(headGz.headers['content-encoding'], 'gzip');
  assert.ok(Number(headGz.headers['content-length']) < appJs.length);
});

test('a rewritten or replaced file is served at once with a new ETag', async () => {
  const dir = join(bundles, 'ml-live');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  const v1 = JSON.stringify({ model_version: 'v1' });
  writeFileSync(file, v1);
  const r1 = await request('/bundles/ml-live/manifest.json');
  assert.equal(r1.body.toString(), v1);
  assert.equal(r1.headers.etag, etagOf(Buffer.from(v1)));

  // Rewritten in place, same size: still noticed (the hash cache is keyed by mtime too).
  const v2 = JSON.stringify({ model_version: 'v2' });
  assert.equal(v2.length, v1.length);
  writeFileSync(file, v2);
  const r2 = await request('/bundles/ml-live/manifest.json', { headers: { 'If-None-Match': r1.headers.etag } });
  assert.equal(r2.status, 200);
  assert.equal(r2.body.toString(), v2);
  assert.equal(r2.headers.etag, etagOf(Buffer.from(v2)));

  // Replaced by rename, as an exporter publishes a new manifest.
  const v3 = JSON.stringify({ model_version: 'v3', sections: { more: true } });
  writeFileSync(join(dir, 'manifest.json.tmp'), v3);
  renameSync(join(dir, 'manifest.json.tmp'), file);
  const r3 = await request('/bundles/ml-live/manifest.json', { headers: { 'If-None-Match': r2.headers.etag } });
  assert.equal(r3.status, 200);
  assert.equal(r3.body.toString(), v3);
  assert.equal(r3.headers.etag, etagOf(Buffer.from(v3)));

  // A file that did not exist when the server started.
  writeFileSync(join(web, 'late.txt'), 'arrived later');
  assert.equal((await request('/late.txt')).body.toString(), 'arrived later');
});

test('traversal and unsafe paths never leak a file outside the roots', async () => {
  const attempts = [
    '/../outside/secret.txt',
    '/bundles/../../outside/secret.txt',
    '/bundles/ml-test/../../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E/%2E%2E/outside/secret.txt',
    '/bundles/%2e%2e/%2e%2e/outside/secret.txt',
    '/%2e%2e%2foutside%2fsecret.txt',
    '/bundles/ml-test/..%2F..%2F..%2Foutside%2Fsecret.txt',
    '/..%5coutside%5csecret.txt',
    '/sub\\..\\..\\outside\\secret.txt',
    '/./index.html',
    '/index.html%00.txt',
    '/%zz',
    '//outside/secret.txt',
    '/leak.txt',               // symlink to a file outside
    '/outdir/secret.txt',      // symlink to a folder outside
    '/bundles/ml-out/secret.txt',
    '/.hidden.txt',
    '/%2ehidden.txt',
    '/bundles/ml-test/.manifest.json',
    `${tmp}/outside/secret.txt`,
  ];
  for (const path of attempts) {
    const r = await request(path);
    assertJsonError(r, [400, 404]);
    assert.ok(!r.body.toString().includes(SECRET), `${path} leaked the secret`);
  }
  // The symlink targets are real files: a 404 above is the containment check, not absence.
  assert.ok(existsSync(join(web, 'outdir', 'secret.txt')));
  assert.equal((await request('/../outside/secret.txt')).status, 400);
  assert.equal((await request('/leak.txt')).status, 404);
});

test('other methods on static paths get 405 with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await request('/index.html', { method, body: method === 'OPTIONS' ? undefined : 'x' });
    assertJsonError(r, 405);
    assert.equal(r.headers.allow, 'GET, HEAD', method);
  }
});

test('unknown paths, oversized bodies and bad ranges get JSON errors', async () => {
  const j = assertJsonError(await request('/no/such/file.js'), 404);
  assert.match(j.error, /no\/such\/file\.js/);
  // Over 1 MiB, chunked (Node's default without a length) and with a Content-Length.
  const big = Buffer.alloc((1 << 20) + 1, 97);
  assertJsonError(await request('/index.html', { method: 'POST', body: big }), 413);
  assertJsonError(await request('/index.html', { method: 'PUT', body: big, headers: { 'Content-Length': big.length } }), 413);
  assertJsonError(await request('/api/v1/health', { method: 'POST', body: big }), 413);
  const ok = await request('/app.js', { headers: { Range: 'bytes=7-16' } });
  assert.equal(ok.status, 206);
  assert.equal(ok.headers['content-range'], `bytes 7-16/${appJs.length}`);
  assert.ok(ok.body.equals(appJs.subarray(7, 17)));
  const bad = await request('/app.js', { headers: { Range: `bytes=${appJs.length}-` } });
  assertJsonError(bad, 416);
  assert.equal(bad.headers['content-range'], `bytes */${appJs.length}`);
  assertJsonError(await request(`/${'a'.repeat(3000)}`), 414);
});

test('access log: one whole JSON line per request, with headers and body length', async () => {
  const marker = `m-${Date.now()}`;
  await request('/app.js?from=log-test', { headers: { 'X-Test-Marker': marker, 'Accept-Encoding': 'gzip' } });
  await request('/api/v1/recommend?from=log-test', { method: 'POST', headers: { 'X-Test-Marker': marker }, body: 'hello' });
  await request('/missing?from=log-test', { method: 'HEAD', headers: { 'X-Test-Marker': marker } });
  // The line is written after the response; give the server a moment.
  let entries = [];
  for (let i = 0; i < 50 && entries.length < 3; ++i) {
    const text = readFileSync(accessLog, 'utf8');
    assert.ok(text.endsWith('\n'));
    entries = text.trimEnd().split('\n').map((l) => JSON.parse(l)).filter((e) => e.headers['X-Test-Marker'] === marker);
    if (entries.length < 3) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(entries.length, 3);
  const [get, post, head] = entries;
  assert.equal(get.method, 'GET');
  assert.equal(get.target, '/app.js?from=log-test');
  assert.equal(get.status, 200);
  assert.ok(get.bytes > 0 && get.bytes < appJs.length, `gzip bytes ${get.bytes}`);
  assert.equal(typeof get.ms, 'number');
  assert.equal(get.headers['Accept-Encoding'], 'gzip');
  assert.equal(get.body_bytes, 0);
  assert.match(get.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(post.method, 'POST');
  assert.equal(post.status, 404);
  assert.equal(post.body_bytes, 5);
  assert.equal(head.method, 'HEAD');
  assert.equal(head.status, 404);
  assert.equal(head.bytes, 0);
  assert.ok(!('REMOTE_ADDR' in get.headers), 'httplib-internal headers are not request headers');
});

test('SIGTERM and SIGINT stop the server with exit code 0, even with a connection open', async () => {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    const s = await startServer();
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    const r = await request('/api/v1/health', { port: s.port, agent });
    assert.equal(r.status, 200);
    const t0 = Date.now();
    s.child.kill(signal);
    const { code } = await s.exited;
    agent.destroy();
    assert.equal(code, 0, s.stderr());
    assert.match(s.stderr(), new RegExp(`stopped by ${signal}`));
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms to stop`);
  }
});

test('a burst of new connections is queued, not dropped, while the server is busy', async () => {
  // With the server stopped (SIGSTOP), only the kernel's accept queue takes connections:
  // httplib's own backlog of 5 would leave all but six handshakes unanswered (clients then
  // retry after a second); reco serve widens it, so all of them complete at once.
  const s = await startServer();
  const { connect } = await import('node:net');
  const count = 40;
  s.child.kill('SIGSTOP');
  const sockets = [];
  try {
    const connected = await Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
      const socket = connect(s.port, '127.0.0.1');
      sockets.push(socket);
      const timer = setTimeout(() => resolve(false), 500);
      socket.once('connect', () => { clearTimeout(timer); resolve(true); });
      socket.once('error', () => { clearTimeout(timer); resolve(false); });
    })));
    assert.equal(connected.filter(Boolean).length, count);
    // And the server serves again once it runs.
    s.child.kill('SIGCONT');
    const r = await request('/api/v1/health', { port: s.port });
    assert.equal(r.status, 200);
  } finally {
    s.child.kill('SIGCONT');
    for (const socket of sockets) socket.destroy();
    s.child.kill('SIGTERM');
    await s.exited;
  }
});

test('bad folders are usage errors naming the option (exit code 2)', () => {
  const run = (...args) => spawnSync(bin, ['serve', ...args], { encoding: 'utf8', timeout: 30_000 });
  const missingWeb = run('--web', join(tmp, 'no-such-dir'), '--bundles', bundles, '--port', '0');
  assert.equal(missingWeb.status, 2);
  assert.match(missingWeb.stderr, /--web/);
  assert.match(missingWeb.stderr, /no-such-dir/);
  const fileWeb = run('--web', join(web, 'index.html'), '--bundles', bundles, '--port', '0');
  assert.equal(fileWeb.status, 2);
  assert.match(fileWeb.stderr, /--web/);
  const missingBundles = run('--web', web, '--bundles', join(tmp, 'nope'), '--port', '0');
  assert.equal(missingBundles.status, 2);
  assert.match(missingBundles.stderr, /--bundles/);
  const badPort = run('--web', web, '--bundles', bundles, '--port', '70000');
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /--port/);
});

test('a busy port is an error naming the host and port', async () => {
  const blocker = createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address();
  try {
    const r = await new Promise((resolve) => {
      const child = spawn(bin, ['serve', '--web', web, '--bundles', bundles, '--port', String(port)]);
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.stdout.on('data', (d) => { stdout += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
    });
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /in use/);
  } finally {
    blocker.close();
  }
});

// The JSON API of `reco serve` against real ML-100K bundles: every route, the same answers
// as `reco rank` (same core, same wire format), bad input, model selection, republishing
// a bundle while serving, and the Prometheus metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertJsonError, request, startServer } from './http_client.mjs';

const bin = process.env.RECO_BIN;
const data = process.env.RECO_DATA_DIR;
const src = process.env.RECO_SOURCE_DIR;
const tmp = mkdtempSync(join(tmpdir(), 'reco-api-'));
const web = join(tmp, 'web');
const bundles = join(tmp, 'bundles');
const int8 = join(tmp, 'exports', 'int8');
const f16 = join(tmp, 'exports', 'f16');

function reco(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function exportBundle(out, dtype) {
  reco('export', '--quiet', '--data', join(data, 'ml-100k'), '--format', 'ml100k', '--split', 'folds:u1', '--dtype', dtype,
    '--params', join(src, 'models/params/ml100k-hybrid.json'), '--out', out);
}

// `reco rank` on the same bundle: the reference answers.
function rankNatively(dir, requests) {
  const r = spawnSync(bin, ['rank', '--bundle', dir], { encoding: 'utf8', input: requests.map((q) => JSON.stringify(q)).join('\n') + '\n' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

let server;
const get = (path, options) => request(server.port, path, options);
const post = (path, body, options = {}) => request(server.port, path, { method: 'POST', body, ...options });
const json = (r) => JSON.parse(r.body.toString('utf8'));

before(async () => {
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><p>api test</p>');
  exportBundle(int8, 'int8');
  exportBundle(f16, 'float16');
  cpSync(int8, join(bundles, 'a'), { recursive: true });
  cpSync(int8, join(bundles, 'b'), { recursive: true });
  server = await startServer(bin, web, bundles, ['--model', 'a']);
});

after(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('health names the active model and its version', async () => {
  const r = await get('/api/v1/health');
  assert.equal(r.status, 200);
  const h = json(r);
  assert.equal(h.status, 'ok');
  assert.equal(h.model, 'a');
  assert.match(h.model_version, /^[0-9a-f]{12}$/);
});

test('POST /recommendations answers exactly as reco rank does', async () => {
  const requests = [
    { history: ['50', '172', '181'], k: 10 },
    { history: [{ item: '1', strength: 5 }, { item: '121', strength: 3 }, '300', '313', '328'], k: 5, explain: 2 },
    { history: ['50', '172'], k: 8, tags: ['Comedy'] },
    { query: 'star wars', k: 5 },
    { k: 4 },
  ];
  const expected = rankNatively(int8, requests);
  for (let i = 0; i < requests.length; i += 1) {
    const r = await post('/api/v1/recommendations', JSON.stringify(requests[i]));
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['cache-control'], 'no-store');
    const got = json(r);
    assert.equal(got.model, 'a');
    delete got.model;
    delete got.model_version;
    assert.deepEqual(got, expected[i], `request ${i}`);
  }
  const fan = json(await post('/api/v1/recommendations', '{"history": ["50", "172", "181"], "k": 10}'));
  assert.equal(fan.items.length, 10);
  assert.ok(fan.items.every((x) => !['50', '172', '181'].includes(x.id)), 'history items are not recommended back');
  assert.ok(fan.items.some((x) => x.because.length > 0), 'recommendations explain themselves');
});

test('items by id, by text query, and the catalog in pages', async () => {
  const one = await get('/api/v1/items/50');
  assert.equal(one.status, 200);
  assert.equal(json(one).title, 'Star Wars (1977)');
  assert.equal(json(await get('/api/v1/items/50?model=b')).title, 'Star Wars (1977)');
  const missing = assertJsonError(await get('/api/v1/items/no-such-item'), 404);
  assert.equal(missing.field, 'id');

  const found = json(await get('/api/v1/items?query=star%20wars&k=5'));
  assert.equal(found.items.length, 5);
  assert.ok(found.items.slice(0, 3).some((x) => /Star Wars|Empire Strikes|Return of the Jedi/.test(x.title)), JSON.stringify(found.items.map((x) => x.title)));
  assert.deepEqual(found.items, rankNatively(int8, [{ query: 'star wars', k: 5, explain: 0 }])[0].items);

  const page = json(await get('/api/v1/items?offset=10&limit=5'));
  assert.equal(page.total, 1682);
  assert.deepEqual(page.items.map((x) => x.id), ['11', '12', '13', '14', '15']);
  for (const bad of ['limit=0', 'limit=abc', 'offset=-1', 'k=0&query=x', 'limit=10x']) {
    const j = assertJsonError(await get(`/api/v1/items?${bad}`), 400);
    assert.equal(j.field, bad.split('=')[0] === 'k' ? 'k' : bad.split('=')[0]);
  }
  assertJsonError(await get('/api/v1/items?query='), 400);
});

test('models: both bundles listed, the active one flagged, unknown names are 404', async () => {
  const m = json(await get('/api/v1/models'));
  assert.equal(m.active, 'a');
  assert.deepEqual(m.models.map((x) => [x.name, x.active]), [['a', true], ['b', false]]);
  assert.equal(m.models[0].items, 1682);
  assert.equal(typeof m.models[0].metrics.hybrid['ndcg@10'], 'number');
  for (const name of ['nope', '..', '..%2Fa', '.hidden']) {
    const r = await post(`/api/v1/recommendations?model=${name}`, '{"k": 1}');
    assertJsonError(r, 404);
  }
  assert.equal((await post('/api/v1/recommendations?model=b', '{"k": 1}')).status, 200);
});

test('bad requests get 4xx JSON errors naming the field, and the server keeps serving', async () => {
  const cases = [
    ['{"history": ', 400, undefined],
    ['[1, 2]', 400, undefined],
    ['{"k": "ten"}', 400, 'k'],
    ['{"k": 0}', 400, 'k'],
    ['{"history": ["no-such-item"]}', 400, 'history[0]'],
    ['{"history": [{"item": "50", "strength": -1}]}', 400, 'history[0].strength'],
    ['{"hisotry": []}', 400, 'hisotry'],
    ['{"query_embedding": [1, 2]}', 400, 'query'],
    ['x'.repeat(10), 400, undefined],
    ['['.repeat(100000), 400, undefined],
  ];
  for (const [body, status, field] of cases) {
    const j = assertJsonError(await post('/api/v1/recommendations', body), status);
    if (field) assert.equal(j.field, field, `${body.slice(0, 40)}: ${JSON.stringify(j)}`);
  }
  assertJsonError(await post('/api/v1/recommendations', 'x'.repeat(2 << 20)), 413);
  const wrong = await get('/api/v1/recommendations');
  assertJsonError(wrong, 405);
  assert.equal(wrong.headers.allow, 'POST');
  assertJsonError(await request(server.port, '/api/v1/recommendations', { method: 'PUT', body: '{}' }), 405);
  assertJsonError(await get('/api/v1/nothing-here'), 404);
  assertJsonError(await get('/api/v1/../../etc/passwd'), [400, 404]);
  assert.equal((await get('/api/v1/health')).status, 200);
  assert.equal((await post('/api/v1/recommendations', '{"history": ["50"], "k": 3}')).status, 200);
});

test('a bundle republished in place is served at once, and a broken one keeps the last good version', async () => {
  const before = json(await post('/api/v1/recommendations?model=b', '{"history": ["50"], "k": 3}')).model_version;
  rmSync(join(bundles, 'b'), { recursive: true });
  cpSync(f16, join(bundles, 'b'), { recursive: true });
  const after = json(await post('/api/v1/recommendations?model=b', '{"history": ["50"], "k": 3}')).model_version;
  assert.notEqual(after, before, 'the float16 export has another version');
  // A manifest that no longer parses: the loaded version stays in service.
  writeFileSync(join(bundles, 'b', 'manifest.json'), '{"format": "reco-bundle", "broken": ');
  const kept = await post('/api/v1/recommendations?model=b', '{"history": ["50"], "k": 3}');
  assert.equal(kept.status, 200);
  assert.equal(json(kept).model_version, after);
});

test('metrics: Prometheus text with requests by route and status, latency and the active model', async () => {
  await post('/api/v1/recommendations', '{"history": ["50"], "k": 3}');
  const r = await get('/api/v1/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const text = r.body.toString();
  const count = (route, method, status) => {
    const m = new RegExp(`^reco_http_requests_total\\{route="${route.replace(/[{}/]/g, '\\$&')}",method="${method}",status="${status}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  assert.ok(count('/api/v1/recommendations', 'POST', 200) >= 8, text);
  assert.ok(count('/api/v1/recommendations', 'POST', 400) >= 10, text);
  assert.ok(count('/api/v1/items/{id}', 'GET', 404) >= 1, text);
  assert.match(text, /^reco_http_request_duration_seconds_bucket\{route="\/api\/v1\/recommendations",le="\+Inf"\} \d+$/m);
  assert.match(text, /^reco_http_request_duration_seconds_count\{route="\/api\/v1\/recommendations"\} \d+$/m);
  assert.match(text, /^reco_model_active\{model="a",version="[0-9a-f]{12}"\} 1$/m);
  assert.match(text, /^reco_model_loads_total [1-9]\d*$/m);
  assert.match(text, /^reco_model_load_failures_total [1-9]\d*$/m, 'the broken manifest above was counted');
  // Raw paths never become labels.
  assert.doesNotMatch(text, /no-such-item|nothing-here/);
});

test('interactions: opt-in, validated, acknowledged only once stored, and every acknowledged one survives SIGKILL', async () => {
  // Without --store the route says ingestion is off.
  assertJsonError(await post('/api/v1/interactions', '{"user": "u", "item": "50"}'), 404);

  const store = join(tmp, 'events.sqlite');
  const s = await startServer(bin, web, bundles, ['--model', 'a', '--store', store]);
  const send = (body) => request(s.port, '/api/v1/interactions', { method: 'POST', body });
  try {
    const one = await send('{"user": "alice", "item": "50", "value": 5, "timestamp": 881250949}');
    assert.equal(one.status, 201, one.body.toString());
    assert.deepEqual(json(one), { accepted: 1 });
    assert.deepEqual(json(await send(JSON.stringify({ events: [{ user: 'bob', item: '172' }, { user: 'bob', item: 181 }] }))), { accepted: 2 });
    const bad = [
      ['{"user": "u", "item": "no-such-item"}', 'item'],
      ['{"user": "", "item": "50"}', 'user'],
      ['{"item": "50"}', 'user'],
      ['{"user": "u", "item": "50", "value": -1}', 'value'],
      ['{"user": "u", "item": "50", "value": "5"}', 'value'],
      ['{"user": "u", "item": "50", "timestamp": 1.5}', 'timestamp'],
      ['{"user": "u", "item": "50", "rating": 5}', 'rating'],
      ['{"events": [{"user": "u", "item": "50"}, {"user": "u", "item": "nope"}]}', 'events[1].item'],
      ['{"events": []}', 'events'],
      ['[]', 'body'],
    ];
    for (const [body, field] of bad) assert.equal(assertJsonError(await send(body), 400).field, field, body);
    assertJsonError(await send('{"user": '), 400);

    // Send events one at a time and SIGKILL the server while they flow.
    let acked = 0;
    let stop = false;
    const flow = (async () => {
      for (let n = 0; !stop; n += 1) {
        try {
          const r = await send(JSON.stringify({ user: `flow-${n}`, item: '50' }));
          if (r.status === 201) acked += 1;
        } catch {
          return;  // the server is gone
        }
      }
    })();
    while (acked < 50) await new Promise((r) => setTimeout(r, 5));
    s.child.kill('SIGKILL');
    await s.exited;
    stop = true;
    await flow;
    assert.ok(acked >= 50);
    // Every acknowledged event (and the three above) is in the store: export trains on it.
    const out = spawnSync(bin, ['export', '--data', join(data, 'ml-100k'), '--format', 'ml100k', '--split', 'folds:u1',
      '--params', join(src, 'models/params/ml100k-hybrid.json'), '--store', store, '--out', join(tmp, 'from-store')], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const added = Number(/added (\d+) events from the store/.exec(out.stderr)[1]);
    assert.ok(added >= acked + 3, `stored ${added}, acknowledged ${acked + 3}`);
    assert.ok(added <= acked + 4, 'at most the one request in flight at the kill was stored without an answer');
  } finally {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
});

test('builds over HTTP: admin token, background job, atomic publish, activation, rollback, and a kill mid-build', async () => {
  const dir = join(tmp, 'builds');
  const roots = join(dir, 'bundles');
  mkdirSync(roots, { recursive: true });
  cpSync(int8, join(roots, 'seed'), { recursive: true });
  const params = JSON.parse(readFileSync(join(src, 'models/params/ml100k-hybrid.json'), 'utf8'));
  const paramsFile = join(dir, 'params.json');
  writeFileSync(paramsFile, JSON.stringify(params));
  const config = join(dir, 'build.json');
  writeFileSync(config, JSON.stringify({ name: 'ml100k', data: join(data, 'ml-100k'), format: 'ml100k', params: 'params.json' }));
  const tokenFile = join(dir, 'token');
  const token = 'a-long-enough-test-token-0123456789';
  writeFileSync(tokenFile, `${token}\n`);
  const args = ['--build-config', config, '--admin-token-file', tokenFile];

  // Without a token file the admin routes are off.
  assertJsonError(await post('/api/v1/models', '{}'), 403);

  let s = await startServer(bin, web, roots, args);
  const call = (path, method = 'GET', auth = token) =>
    request(s.port, path, { method, body: method === 'POST' ? '{}' : undefined, headers: auth ? { Authorization: `Bearer ${auth}` } : {} });
  const waitFor = async (job) => {
    for (let i = 0; i < 600; i += 1) {
      const j = json(await call(`/api/v1/models/${job}`));
      if (j.status !== 'running') return j;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the build did not finish');
  };
  const activeVersion = async () => json(await call('/api/v1/health')).model_version;
  try {
    const seedVersion = await activeVersion();
    assertJsonError(await call('/api/v1/models', 'POST', null), 401);
    assertJsonError(await call('/api/v1/models', 'POST', `${token}x`), 401);
    const started = await call('/api/v1/models', 'POST');
    assert.equal(started.status, 202, started.body.toString());
    const job1 = json(started).job;
    assertJsonError(await call('/api/v1/models', 'POST'), 409);
    const done1 = await waitFor(job1);
    assert.equal(done1.status, 'succeeded', JSON.stringify(done1));
    assert.match(done1.version, /^[0-9a-f]{12}$/);
    assert.equal(await activeVersion(), seedVersion, 'a finished build does not change the active model');

    // A second version from other parameters, then activation and rollback.
    params.params.als.seed = 7;
    writeFileSync(paramsFile, JSON.stringify(params));
    const done2 = await waitFor(json(await call('/api/v1/models', 'POST')).job);
    assert.equal(done2.status, 'succeeded');
    assert.notEqual(done2.version, done1.version);
    const listed = json(await call('/api/v1/models'));
    assert.deepEqual(listed.versions.map((v) => v.version).sort(), [done1.version, done2.version].sort());
    assert.ok(listed.models.some((m) => m.name === `ml100k-${done2.version}`));
    assertJsonError(await call(`/api/v1/models/${done2.version}/activate`, 'POST', null), 401);
    assertJsonError(await call('/api/v1/models/0123456789ab/activate', 'POST'), 404);
    assert.equal((await call(`/api/v1/models/${done2.version}/activate`, 'POST')).status, 200);
    assert.equal(await activeVersion(), done2.version);
    const r = json(await request(s.port, '/api/v1/recommendations', { method: 'POST', body: '{"history": ["50"], "k": 3}' }));
    assert.equal(r.model_version, done2.version);
    assert.equal((await call(`/api/v1/models/${done1.version}/activate`, 'POST')).status, 200);
    assert.equal(await activeVersion(), done1.version, 'rolled back');
    const metrics = (await call('/api/v1/metrics')).body.toString();
    assert.match(metrics, /^reco_builds_total\{status="succeeded"\} 2$/m);

    // Kill the server in the middle of a build: nothing is published, the active model
    // stays, the export process dies with it, and the job is failed after the restart.
    params.params.als.seed = 8;
    writeFileSync(paramsFile, JSON.stringify(params));
    const job3 = json(await call('/api/v1/models', 'POST')).job;
    await new Promise((res) => setTimeout(res, 1500));
    s.child.kill('SIGKILL');
    await s.exited;
    await new Promise((res) => setTimeout(res, 300));
    const left = spawnSync('pgrep', ['-f', `.build-${job3}`], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'no export process outlives the server');
    s = await startServer(bin, web, roots, args);
    assert.equal(await activeVersion(), done1.version, 'the active model survived the kill');
    const failed = json(await call(`/api/v1/models/${job3}`));
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /interrupted/);
    assert.deepEqual(json(await call('/api/v1/models')).versions.length, 2);
    assert.ok(!readdirSync(roots).some((f) => f.startsWith('.build-')), 'the unfinished build folder is gone');
  } finally {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
});

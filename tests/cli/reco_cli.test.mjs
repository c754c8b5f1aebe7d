// End-to-end tests of the `reco` command line: exit codes, messages, tables and JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.env.RECO_BIN;
const data = process.env.RECO_DATA_DIR;
const src = process.env.RECO_SOURCE_DIR;
const ml100k = join(data, 'ml-100k');
const mllatest = join(data, 'ml-latest-small');
const tmp = mkdtempSync(join(tmpdir(), 'reco-cli-'));

function reco(...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function evalJson(name, ...args) {
  const file = join(tmp, `${name}.json`);
  const r = reco('eval', '--quiet', '--json', file, ...args);
  assert.equal(r.code, 0, r.err);
  return { ...r, json: JSON.parse(readFileSync(file, 'utf8')) };
}

test('eval writes the documented JSON and a table', () => {
  const r = evalJson('als-u1', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--model', 'als',
    '--factors', '16', '--iters', '5', '--reg', '50');
  const j = r.json;
  assert.equal(j.model, 'als');
  assert.equal(j.split, 'folds:u1');
  assert.equal(j.k, 10);
  for (const key of ['precision@10', 'recall@10', 'ndcg@10', 'map@10', 'coverage@10']) {
    assert.ok(j.mean[key] > 0 && j.mean[key] <= 1, `${key} = ${j.mean[key]}`);
  }
  assert.equal(j.folds.length, 1);
  assert.equal(j.folds[0].users, 459);  // users of u1.test
  assert.ok(j.fit_seconds > 0 && j.recommend_seconds > 0);
  assert.match(r.out, /NDCG@10/);
  assert.match(r.out, /^u1\s+459\s/m);
});

test('ALS with the shipped defaults reaches NDCG@10 >= 0.45 over the five ML-100K folds', () => {
  const { json } = evalJson('als-folds', '--data', ml100k, '--format', 'ml100k',
    '--split', 'folds:u1,u2,u3,u4,u5', '--params', join(src, 'models/params/ml100k-als.json'), '--threads', '2');
  assert.equal(json.folds.length, 5);
  assert.ok(json.mean['ndcg@10'] >= 0.45, `mean NDCG@10 ${json.mean['ndcg@10']}`);
});

test('personalised models beat popularity on ML-100K u1', () => {
  const ndcg = (model, ...extra) => evalJson(`${model}-u1b`, '--data', ml100k, '--format', 'ml100k',
    '--split', 'folds:u1', '--model', model, ...extra).json.mean['ndcg@10'];
  const pop = ndcg('pop');
  assert.ok(pop > 0.1, `pop ${pop}`);
  assert.ok(ndcg('knn') > pop);
  assert.ok(ndcg('als', '--reg', '50', '--factors', '32') > pop);
  assert.ok(ndcg('bpr', '--epochs', '20') > pop);
});

test('holdout, leave-last and cold splits run on ml-latest-small', () => {
  const base = ['--data', mllatest, '--format', 'mllatest', '--model', 'knn'];
  const holdout = evalJson('holdout', ...base, '--split', 'holdout:0.2:1').json;
  assert.equal(holdout.folds[0].users, 610);
  const last = evalJson('last', ...base, '--split', 'leave-last:5').json;
  assert.ok(last.folds[0].users > 600);
  const cold = evalJson('cold', ...base, '--split', 'cold:0.2:3').json;
  // Only cold items are candidates: about a fifth of the items that have ratings.
  assert.ok(cold.folds[0].candidates > 1500 && cold.folds[0].candidates < 2100, `${cold.folds[0].candidates}`);
  const list = join(tmp, 'cold-items.txt');
  writeFileSync(list, '# two cold items\n1\n2\n');
  const explicit = evalJson('cold-list', ...base, '--split', `cold-items:${list}`).json;
  assert.equal(explicit.folds[0].candidates, 2);
});

test('tune writes parameters that eval accepts, chosen on validation data', () => {
  const out = join(tmp, 'tuned.json');
  const r = reco('tune', '--quiet', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--model', 'knn',
    '--budget', '3', '--out', out);
  assert.equal(r.code, 0, r.err);
  const tuned = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(tuned.model, 'knn');
  assert.ok(tuned.validation['ndcg@10'] > 0);
  assert.match(tuned.validation.protocol, /validation/);
  assert.match(r.out, /val NDCG/);
  const e = evalJson('tuned', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--params', out);
  assert.deepEqual(e.json.params, tuned.params);
});

function expectError(args, ...patterns) {
  const r = reco(...args);
  assert.notEqual(r.code, 0, `expected failure of ${args.join(' ')}`);
  for (const p of patterns) assert.match(r.err, p);
  assert.doesNotMatch(r.err, /internal error|Aborted|Segmentation/);
}

test('bad input gets a clear error that names what is wrong', () => {
  const ok = ['--format', 'ml100k', '--split', 'folds:u1', '--model', 'pop'];
  expectError(['eval', '--data', join(tmp, 'nope'), ...ok], /nope/);
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u9', '--model', 'pop'], /u9\.base/);
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', 'holdout:1.5:1', '--model', 'pop'], /split/);
  expectError(['eval', '--data', ml100k, '--format', 'parquet', '--split', 'folds:u1', '--model', 'pop'], /format/);
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--model', 'magic'], /model/);
  expectError(['eval', '--data', ml100k, ...ok.slice(0, 4), '--model', 'als', '--factors', '0'], /factors/);
  expectError(['eval', '--data', mllatest, '--format', 'mllatest', '--split', 'folds:u1', '--model', 'pop'], /ml100k/);

  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, 'user,item,weight\n1,10,5\n2,11,lots\n');
  expectError(['eval', '--data', bad, '--format', 'csv', '--split', 'holdout:0.2:1', '--model', 'pop'],
    /bad\.csv:3/, /weight/);

  const params = join(tmp, 'bad-params.json');
  writeFileSync(params, '{"model": "als", "params": {"factors": "many"}}');
  expectError(['eval', '--data', ml100k, ...ok.slice(0, 4), '--params', params], /bad-params\.json/, /factors/);
  writeFileSync(params, '{"model": "als", "params": {"factorz": 3}}');
  expectError(['eval', '--data', ml100k, ...ok.slice(0, 4), '--params', params], /factorz/);

  const list = join(tmp, 'unknown-items.txt');
  writeFileSync(list, '1\nno-such-item\n');
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', `cold-items:${list}`, '--model', 'pop'],
    /unknown-items\.txt:2/);
  expectError(['frobnicate'], /frobnicate/);
});

test('EASE: dense and int8 top-N forms, and ALS when the catalog is too large', () => {
  const base = ['--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--model', 'ease'];
  const dense = evalJson('ease-dense', ...base).json;
  const sparse = evalJson('ease-128', ...base, '--ease-top', '128').json;
  assert.equal(dense.params.lambda, 500);
  assert.equal(dense.model_bytes, 4 * 1682 * 1682);
  assert.ok(sparse.model_bytes < dense.model_bytes / 8, `${sparse.model_bytes}`);
  assert.ok(dense.mean['ndcg@10'] > 0.45, `${dense.mean['ndcg@10']}`);
  assert.ok(Math.abs(sparse.mean['ndcg@10'] - dense.mean['ndcg@10']) < 0.02);

  const file = join(tmp, 'ease-fallback.json');
  const r = reco('eval', '--quiet', '--json', file, ...base, '--ease-max-items', '1000');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /1682 items, above max_items 1000.*using ALS/);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).model, 'als');
});

test('--loss prints the ALS objective per iteration, and it never increases', () => {
  const r = reco('eval', '--loss', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--model', 'als',
    '--iters', '6', '--factors', '32');
  assert.equal(r.code, 0, r.err);
  const losses = [...r.err.matchAll(/als loss ([0-9.]+), iteration (\d+)\/6/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 6, r.err);
  for (let i = 1; i < losses.length; i++) assert.ok(losses[i] <= losses[i - 1] * (1 + 1e-6), `${losses}`);
});

test('item cold start: the TF-IDF content baseline ranks unseen items better than collaborative models', () => {
  const base = ['--data', mllatest, '--format', 'mllatest', '--split', 'cold:0.2:1'];
  const tfidf = evalJson('cold-tfidf', ...base, '--model', 'tfidf').json;
  const als = evalJson('cold-als', ...base, '--model', 'als').json;
  const random = evalJson('cold-random', ...base, '--model', 'random').json;
  assert.ok(tfidf.mean['ndcg@10'] > 2 * random.mean['ndcg@10'], `${random.mean['ndcg@10']}`);
  assert.ok(tfidf.mean['ndcg@10'] > 2 * als.mean['ndcg@10'], `${tfidf.mean['ndcg@10']} vs ${als.mean['ndcg@10']}`);
});

test('a parameters file with an out-of-range number is reported as bad JSON, not an internal error', () => {
  const params = join(tmp, 'overflow.json');
  writeFileSync(params, '{"model": "ease", "params": {"lambda": 945.0E7333984375}}');
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--params', params],
    /overflow\.json/, /not valid JSON/);
  writeFileSync(params, '{"model": "als", "params": {"factors": 2e30}}');
  expectError(['eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--params', params],
    /overflow\.json/, /params\.factors/, /integer/);
});

test('item cold start: the trained content models beat TF-IDF, content-factor reaches 0.17', () => {
  const base = ['--data', mllatest, '--format', 'mllatest', '--split', 'cold:0.2:1'];
  const tfidf = evalJson('cold-tfidf-2', ...base, '--model', 'tfidf').json.mean['ndcg@10'];
  const content = evalJson('cold-content', ...base, '--params', join(src, 'models/params/mllatest-content.json'));
  const factor = evalJson('cold-content-factor', ...base,
    '--params', join(src, 'models/params/mllatest-content-factor.json')).json.mean['ndcg@10'];
  // Training prints the contrastive loss per epoch on stderr.
  const progress = reco('eval', ...base, '--model', 'content', '--epochs', '2');
  assert.equal(progress.code, 0, progress.err);
  assert.match(progress.err, /encoder loss \d+\.\d+ 2\/2/);
  assert.ok(content.json.mean['ndcg@10'] > tfidf, `content ${content.json.mean['ndcg@10']} vs tfidf ${tfidf}`);
  assert.ok(factor > tfidf, `content-factor ${factor} vs tfidf ${tfidf}`);
  assert.ok(factor >= 0.17, `content-factor ${factor}`);
  assert.ok(content.json.model_bytes > 32768 * 64, `${content.json.model_bytes}`);
});

test('encoder export and search: a typed query finds matching titles, the same from the export', () => {
  const dir = join(tmp, 'encoder');
  const exp = reco('encoder', '--quiet', '--data', mllatest, '--format', 'mllatest', '--out', dir);
  assert.equal(exp.code, 0, exp.err);
  assert.match(exp.out, /encoder\.onnx: \d+ bytes \(int8 table 32768 x 64/);
  const args = ['search', '--quiet', '--data', mllatest, '--format', 'mllatest', '--top', '5'];
  const trained = reco(...args, 'star wars');
  const loaded = reco(...args, '--encoder', dir, 'star wars');
  assert.equal(trained.code, 0, trained.err);
  assert.equal(loaded.code, 0, loaded.err);
  assert.equal(loaded.out, trained.out);  // same seed, same catalog: the export reproduces the model
  const rows = trained.out.trim().split('\n').slice(2);
  assert.equal(rows.length, 5);
  const scores = rows.map((r) => Number(r.trim().split(/\s+/)[1]));
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i] <= scores[i - 1]);
  assert.ok(rows.filter((r) => /Star Wars/.test(r)).length >= 3, trained.out);

  expectError(['search', '--data', mllatest, '--format', 'mllatest', '--encoder', join(tmp, 'missing'), 'x'],
    /missing\/tokenizer\.json/);
  expectError(['encoder', '--data', mllatest, '--format', 'mllatest', '--out', dir, '--model', 'als'], /model/, /content/);
  expectError(['search', '--data', mllatest, '--format', 'mllatest', '--top', '0', 'x'], /top/);
});

test('hybrid: fusion_t is tuned on validation data, and the tuned hybrid reaches 0.47 over the ML-100K folds', () => {
  const out = join(tmp, 'hybrid-tuned.json');
  const t = reco('tune', '--quiet', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1',
    '--params', join(src, 'models/params/ml100k-hybrid.json'), '--out', out);
  assert.equal(t.code, 0, t.err);
  const tuned = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok([1, 2, 3, 5, 8, 13, 20, 35, 50, 100, 200, 500, 1000].includes(tuned.params.fusion_t), tuned.params.fusion_t);
  assert.match(tuned.validation.protocol, /validation carved from the training side/);
  assert.match(t.out, /val NDCG/);

  const { json } = evalJson('hybrid-folds', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1,u2,u3,u4,u5',
    '--params', join(src, 'models/params/ml100k-hybrid.json'));
  assert.equal(json.model, 'hybrid');
  assert.ok(json.mean['ndcg@10'] >= 0.47, `hybrid mean NDCG@10 ${json.mean['ndcg@10']}`);
});

test('export writes a checksummed bundle and a report; eval --bundle scores it like the in-memory model', async () => {
  const { createHash } = await import('node:crypto');
  const { readdirSync, existsSync } = await import('node:fs');
  const dir = join(tmp, 'bundle-u1');
  const e = reco('export', '--quiet', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1',
    '--params', join(src, 'models/params/ml100k-hybrid.json'), '--out', dir);
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /hybrid-int8\s+ndcg@10/);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'reco-bundle');
  assert.equal(manifest.format_version, 1);
  assert.equal(manifest.items, 1682);
  assert.equal(manifest.dataset.trained_on, 'folds:u1');
  for (const s of ['items', 'factors', 'factor_scales', 'embeddings', 'embedding_scales', 'gram', 'factor_map',
    'popularity', 'hnsw_factors', 'hnsw_content', 'encoder', 'tokenizer']) {
    const sec = manifest.sections[s];
    assert.ok(sec, `section ${s}`);
    const bytes = readFileSync(join(dir, sec.file));
    assert.equal(bytes.length, sec.bytes, s);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sec.sha256, s);
  }
  assert.ok(readdirSync(dir).includes('report.html'));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<svg[^>]*>/);
  assert.match(html, /content-only/);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).evaluation;
  assert.ok(report['index_recall']['factors_recall@10'] >= 0.98, JSON.stringify(report.index_recall));
  assert.ok(report['index_recall']['content_recall@10'] >= 0.98, JSON.stringify(report.index_recall));
  assert.ok(report.hybrid['ndcg@10'] > report['content-only']['ndcg@10']);
  assert.ok(Math.abs(report['hybrid-int8']['ndcg@10'] - report.hybrid['ndcg@10']) <= 0.005);

  const fromBundle = evalJson('bundle-u1', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--bundle', dir);
  assert.equal(fromBundle.json.folds[0]['ndcg@10'], report['hybrid-int8']['ndcg@10']);

  const wrongSplit = reco('eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u2', '--bundle', dir);
  assert.equal(wrongSplit.code, 1);
  assert.match(wrongSplit.err, /trained on 'folds:u1'/);

  // A corrupted section is refused with its name.
  const gram = join(dir, manifest.sections.gram.file);
  const bytes = readFileSync(gram);
  bytes[5] ^= 1;
  writeFileSync(gram, bytes);
  const bad = reco('eval', '--data', ml100k, '--format', 'ml100k', '--split', 'folds:u1', '--bundle', dir);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /bundle section 'gram'.*checksum/);
  assert.ok(existsSync(join(dir, 'report.json')));
});

// Native/WebAssembly parity: the same bundle loaded by the native `reco rank` and by the
// WebAssembly engine must give the same top-10 item ids with scores within 1e-4, for
// 200 users of ML-100K and of ml-latest-small (with filters, diversity, signal switches
// and short histories mixed in), for similar-item requests, and for text search (the
// browser encodes with ONNX Runtime Web, the native program with its C++ encoder).
// Needs RECO_BIN, RECO_DATA_DIR and the built web/dist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recommender } from '../src/engine.mjs';
import { exportBundle, readBundleFiles, ratings, nativeRank } from './bundles.mjs';

const USERS = 200;
const TOL = 1e-4;

// The i-th user's request in the core's JSON, varied so every ranking path is compared.
function requestFor(i, events, catalogIds) {
  const history = events.map((e) => ({ item: e.item, strength: e.strength, timestamp: e.timestamp }));
  const r = { history, k: 10 };
  switch (i % 6) {
    case 1: r.tags = ['Drama']; break;
    case 2: r.diversity = 0.3; break;
    case 3: r.signals = 'content'; break;
    case 4: r.history = history.slice(-3); r.deny = [catalogIds[i % catalogIds.length]]; break;
    case 5: r.signals = 'cf'; r.explain = 0; break;
    default: break;
  }
  return r;
}

function toOptions(r) {
  const { exclude_history: excludeHistory, query_embedding: queryEmbedding, ...rest } = r;
  return { ...rest, excludeHistory, queryEmbedding };
}

function compare(label, got, want, stats) {
  assert.equal(got.source, want.source, `${label}: source`);
  assert.ok(Math.abs(got.cfWeight - want.cf_weight) <= TOL, `${label}: cf weight`);
  assert.deepEqual(got.items.map((x) => x.id), want.items.map((x) => x.id), `${label}: top-${want.items.length} ids`);
  got.items.forEach((g, p) => {
    const w = want.items[p];
    for (const key of ['score', 'cf', 'content']) {
      const d = Math.abs(g[key] - w[key]);
      stats.max = Math.max(stats.max, d);
      assert.ok(d <= TOL, `${label}: rank ${p + 1} ${key} ${g[key]} vs native ${w[key]}`);
    }
    assert.deepEqual(g.because.map((b) => b.id), w.because.map((b) => b.id), `${label}: rank ${p + 1} explanation`);
    assert.deepEqual(g.sharedTags, w.shared_tags, `${label}: rank ${p + 1} shared tags`);
  });
  stats.compared += 1;
}

for (const name of ['ml100k', 'mllatest']) {
  test(`${name}: WebAssembly ranks like native for ${USERS} users, similar items and text search`, async (t) => {
    const dir = exportBundle(name);
    const rec = await Recommender.load({ files: readBundleFiles(dir) });
    t.after(() => rec.dispose());
    const catalogIds = rec.items(0, 1e6).map((x) => x.id);
    const byUser = ratings(name);
    const users = [...byUser.keys()].sort((a, b) => a - b).slice(0, USERS);
    const requests = users.map((u, i) => requestFor(i, byUser.get(u), catalogIds));
    const native = nativeRank(dir, requests);
    const stats = { max: 0, compared: 0 };
    const searchStats = { max: 0, compared: 0 };
    requests.forEach((r, i) => compare(`${name} user ${users[i]}`, rec.recommend(toOptions(r)), native[i], stats));

    // The engine's own history gives the same result as a request carrying it.
    rec.setHistory(requests[0].history);
    compare(`${name} stored history`, rec.recommend({ k: 10 }), native[0], stats);
    rec.clearHistory();

    const seeds = catalogIds.filter((_, i) => i % Math.floor(catalogIds.length / 50) === 0).slice(0, 50);
    const similarNative = nativeRank(dir, seeds.map((id) => ({ history: [{ item: id }], k: 10 })));
    seeds.forEach((id, i) => compare(`${name} similar to ${id}`, rec.similar(id, { k: 10 }), similarNative[i], stats));

    const titles = rec.items(0, 1e6).filter((_, i) => i % 97 === 0).map((x) => x.title);
    const texts = [...titles, 'space adventure with robots', 'romantic comedy in paris', 'dark crime thriller', 'animated film for kids', 'documentary about music'];
    const searchNative = nativeRank(dir, texts.map((q) => ({ query: q, k: 10, explain: 0 })));
    for (let i = 0; i < texts.length; i++) compare(`${name} search "${texts[i]}"`, await rec.search(texts[i], { k: 10, explain: 0 }), searchNative[i], searchStats);
    // With a history the query's share is capped; compared too.
    const mixedNative = nativeRank(dir, texts.slice(0, 20).map((q, i) => ({ query: q, k: 10, history: requests[i].history })));
    for (let i = 0; i < 20; i++) compare(`${name} search+history "${texts[i]}"`, await rec.search(texts[i], { k: 10, history: requests[i].history }), mixedNative[i], searchStats);

    t.diagnostic(`${stats.compared} history rankings: largest score difference ${stats.max.toExponential(2)}; ` +
      `${searchStats.compared} text searches (ONNX Runtime Web vs C++ encoder): ${searchStats.max.toExponential(2)}`);
    assert.ok(stats.compared >= USERS + 50 && searchStats.compared >= texts.length);
  });
}

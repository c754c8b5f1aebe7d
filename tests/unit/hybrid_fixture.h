// A small hand-made HybridModel for the ranker and bundle tests: random clustered
// vectors, a few genres per item, popularity decreasing with the item index, and a tiny
// text encoder so items can be added from text.
#pragma once

#include <cmath>
#include <string>

#include "reco/hybrid_model.h"
#include "reco/random.h"

namespace reco {
namespace test {

inline float gaussian(Rng& rng) {
  // Sum of uniforms: close enough to normal for test vectors, and fully specified.
  float s = 0.0f;
  for (int k = 0; k < 6; ++k) s += static_cast<float>(rng.uniform());
  return s - 3.0f;
}

inline HybridModel small_hybrid_model(int n = 80, int f = 6, int d = 8, std::uint64_t seed = 7) {
  static const char* const kGenres[] = {"Drama", "Comedy", "Action", "Horror", "Sci-Fi"};
  Rng rng(seed);
  HybridModel m;
  m.reg = 2.0f;
  m.alpha = 1.0f;
  m.factors.resize(n, f);
  m.embeddings.resize(n, d);
  for (int i = 0; i < n; ++i) {
    const int cluster = i % 5;
    for (int k = 0; k < f; ++k) m.factors(i, k) = 0.3f * gaussian(rng) + (k == cluster ? 1.0f : 0.0f);
    for (int k = 0; k < d; ++k) m.embeddings(i, k) = 0.3f * gaussian(rng) + (k == cluster ? 1.0f : 0.0f);
    // Normalised in a fixed order (Eigen's normalize() sums in SIMD-width order, which
    // differs between AVX2 and WebAssembly and would make the fixture itself differ).
    double sq = 0.0;
    for (int k = 0; k < d; ++k) sq += static_cast<double>(m.embeddings(i, k)) * m.embeddings(i, k);
    const float norm = static_cast<float>(std::sqrt(sq));
    for (int k = 0; k < d; ++k) m.embeddings(i, k) /= norm;
    m.item_ids.push_back("item" + std::to_string(i));
    ItemInfo info;
    info.title = "Title " + std::to_string(i);
    info.genres = {kGenres[cluster]};
    if (i % 3 == 0) info.tags = {"classic"};
    m.items.push_back(info);
    m.popularity.push_back(static_cast<float>(n - i));
  }
  // The map: a fixed random (d + 1) x f matrix (no training needed to test plumbing).
  m.factor_map.resize(d + 1, f);
  for (int r = 0; r <= d; ++r)
    for (int k = 0; k < f; ++k) m.factor_map(r, k) = 0.5f * gaussian(rng);
  EncoderShape shape;
  shape.buckets = 1u << 10;
  shape.hidden = 8;
  shape.dim = d;
  shape.max_features = 64;
  TokenizerParams tp;
  tp.buckets = shape.buckets;
  m.encoder = TextEncoder{Tokenizer(tp), QuantizedEncoder::quantize(EncoderWeights::initial(shape, 0.1f, seed))};
  m.params.hnsw.M = 8;
  m.params.hnsw.ef_construction = 64;
  m.params.cf_candidates = 30;
  m.params.content_candidates = 30;
  m.params.popular_candidates = 10;
  m.params.exact_below = 0;  // the tests exercise the indexes; one test compares with exact scoring
  m.rebuild_derived();
  return m;
}

}  // namespace test
}  // namespace reco

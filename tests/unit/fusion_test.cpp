#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "hybrid_fixture.h"
#include "reco/bundle.h"
#include "reco/ease.h"
#include "reco/error.h"
#include "reco/evaluate.h"
#include "reco/fusion.h"
#include "reco/hybrid_recommender.h"
#include "reco/model_config.h"
#include "reco/ranker.h"

using namespace reco;

namespace {

// Samples where signal `good` ranks the relevant items first and every other signal is
// noise anti-correlated with relevance.
std::vector<FusionSample> synthetic_samples(int good, int users, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<FusionSample> out;
  for (int u = 0; u < users; ++u) {
    FusionSample s;
    s.history = 3 + u % 60;
    const int n = 40;
    for (int c = 0; c < n; ++c) {
      const bool rel = c % 8 == 0;
      SignalWeights z{};
      for (int k = 0; k < kSignalCount; ++k) z[static_cast<std::size_t>(k)] = test::gaussian(rng);
      z[static_cast<std::size_t>(good)] += rel ? 3.0f : 0.0f;
      z[kSignalCf] -= rel ? 1.0f : 0.0f;  // the starting signal misleads
      s.z.push_back(z);
      s.warm.push_back(1);
      s.relevant.push_back(rel);
    }
    s.relevant_total = 5;
    out.push_back(s);
  }
  return out;
}

SparseItemMatrix ease_for(const HybridModel& m) {
  // A deterministic dense item-item matrix, sparsified like a trained EASE.
  Eigen::MatrixXf b(m.n_items(), m.n_items());
  for (int i = 0; i < m.n_items(); ++i)
    for (int j = 0; j < m.n_items(); ++j) b(i, j) = i == j ? 0.0f : static_cast<float>(((i * 7 + j * 13) % 17) - 8) / 8.0f;
  return sparsify_rows(b, 12);
}

FusionWeights only(int signal) {
  FusionWeights w;
  w.edges = {10};
  SignalWeights row{};
  row[static_cast<std::size_t>(signal)] = 1.0f;
  w.warm = {row, row};
  w.cold = {row, row};
  return w;
}

}  // namespace

TEST_CASE("history sizes fall into buckets by the edges", "[fusion]") {
  FusionWeights w = cf_only_fusion();
  REQUIRE(w.edges == default_fusion_edges());
  CHECK(w.bucket(1) == 0);
  CHECK(w.bucket(4) == 0);
  CHECK(w.bucket(5) == 1);
  CHECK(w.bucket(199) == 5);
  CHECK(w.bucket(200) == 6);
  CHECK(w.bucket(100000) == 6);
  CHECK(bucket_label(w, 0) == "1-4");
  CHECK(bucket_label(w, 3) == "20-49");
  CHECK(bucket_label(w, 6) == "200+");
  w.edges = {5, 5};
  CHECK_THROWS_AS(w.validate(), ParamError);
}

TEST_CASE("the learner finds the informative signal and is deterministic", "[fusion]") {
  const auto samples = synthetic_samples(kSignalEase, 200, 3);
  FusionLearnOptions o;
  const FusionFit a = learn_fusion(samples, {}, o);
  const FusionFit b = learn_fusion(samples, {}, o);
  CHECK(a.weights.warm == b.weights.warm);
  const FusionWeights start = cf_only_fusion();
  double before = 0.0;
  for (const auto& s : samples) before += sample_ndcg(s, start, 10);
  before /= static_cast<double>(samples.size());
  CHECK(a.mean_ndcg > before + 0.3);
  for (const SignalWeights& row : a.weights.warm) CHECK(row[kSignalEase] > std::abs(row[kSignalCf]));
  // Cold rows were not asked for and keep the start.
  CHECK(a.weights.cold == start.cold);
  int users = 0;
  for (int n : a.users) users += n;
  CHECK(users == 200);

  SECTION("a disabled signal stays at zero") {
    o.disabled[kSignalEase] = true;
    const FusionFit c = learn_fusion(samples, {}, o);
    for (const SignalWeights& row : c.weights.warm) CHECK(row[kSignalEase] == 0.0f);
    CHECK(c.mean_ndcg < a.mean_ndcg);
  }
  SECTION("no samples is an error") { CHECK_THROWS_AS(learn_fusion({}, {}, o), ParamError); }
}

TEST_CASE("learned weights on one signal rank by that signal alone", "[fusion][ranker]") {
  HybridModel m = test::small_hybrid_model();
  m.ease = ease_for(m);
  m.validate("test");
  RankRequest r;
  for (std::int32_t i : {1, 6, 11, 40}) r.history.push_back({i, 1.0f, 0});
  r.k = 8;

  SECTION("cf only equals the collaborative-only mode") {
    HybridModel a = m;
    a.params.fusion = only(kSignalCf);
    RankRequest cf = r;
    cf.mode = FusionMode::Cf;
    std::vector<std::int32_t> x, y;
    for (const auto& rec : rank(a, r).items) x.push_back(rec.item);
    for (const auto& rec : rank(m, cf).items) y.push_back(rec.item);
    CHECK(x == y);
    CHECK(rank(a, r).cf_weight == 1.0f);
  }
  SECTION("ease only equals EASE's own top-k over the catalog") {
    HybridModel a = m;
    a.params.fusion = only(kSignalEase);
    std::vector<float> scores(static_cast<std::size_t>(m.n_items()), 0.0f);
    for (const HistoryEntry& e : r.history)
      for (std::int64_t p = m.ease.indptr[static_cast<std::size_t>(e.item)]; p < m.ease.indptr[static_cast<std::size_t>(e.item) + 1]; ++p)
        scores[static_cast<std::size_t>(m.ease.indices[static_cast<std::size_t>(p)])] +=
            m.ease.scales[static_cast<std::size_t>(e.item)] * m.ease.values[static_cast<std::size_t>(p)];
    std::vector<std::int32_t> order;
    for (std::int32_t i = 0; i < m.n_items(); ++i)
      if (std::none_of(r.history.begin(), r.history.end(), [&](const HistoryEntry& e) { return e.item == i; })) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t x, std::int32_t y) { return scores[x] > scores[y]; });
    order.resize(8);
    std::vector<std::int32_t> got;
    for (const auto& rec : rank(a, r).items) got.push_back(rec.item);
    CHECK(got == order);
  }
  SECTION("the learner's view matches the fused scores the ranker uses") {
    HybridModel a = m;
    FusionWeights w = only(kSignalCf);
    w.warm[0] = {0.7f, 0.4f, 0.2f, -0.3f, 0.1f};
    w.warm[1] = w.warm[0];
    a.params.fusion = w;
    const CandidateSignals c = candidate_signals(a, r);
    const std::vector<ScoredItem> fused = fused_scores(a, r);
    REQUIRE(fused.size() == c.items.size());
    for (std::size_t k = 0; k < fused.size(); ++k) {
      REQUIRE(fused[k].item == c.items[k]);
      float v = 0.0f;
      for (int s = 0; s < kSignalCount; ++s) v += w.warm[0][static_cast<std::size_t>(s)] * c.z[k][static_cast<std::size_t>(s)];
      CHECK(fused[k].score == Approx(v).margin(1e-5));
    }
  }
  SECTION("a text query keeps the two-signal formula") {
    HybridModel a = m;
    a.params.fusion = only(kSignalEase);
    RankRequest q = r;
    q.query.assign(static_cast<std::size_t>(m.content_dim()), 0.0f);
    q.query[0] = 1.0f;
    CHECK(rank(a, q).source == "query");
    CHECK(rank(a, q).cf_weight <= a.params.query_cf_weight);
  }
}

TEST_CASE("EASE weights and fusion weights travel in the bundle", "[fusion][bundle]") {
  HybridModel m = test::small_hybrid_model();
  m.ease = ease_for(m);
  FusionWeights w = only(kSignalCf);
  w.warm[1] = {0.5f, 1.0f, 0.1f, 0.0f, -0.2f};
  m.params.fusion = w;
  const HybridModel q = quantized_model(m, MatrixDtype::Int8);
  std::map<std::string, std::vector<std::uint8_t>> files;
  for (auto& f : encode_bundle(q, MatrixDtype::Int8, {1, 2, 3}, BundleInfo{})) files[f.name] = f.bytes;
  const BundleSource src = [&files](const std::string& name) {
    const auto it = files.find(name);
    if (it == files.end()) throw DataError(name, 0, "", "no such file");
    return it->second;
  };
  const LoadedBundle b = decode_bundle(src);
  CHECK(b.model.params.fusion.warm == w.warm);
  CHECK(b.model.params.fusion.edges == w.edges);
  CHECK(b.model.ease.indices == m.ease.indices);
  CHECK(b.model.ease.values == m.ease.values);
  RankRequest r;
  for (std::int32_t i = 0; i < 14; ++i) r.history.push_back({i * 3, 1.0f, 0});
  std::vector<std::int32_t> x, y;
  for (const auto& rec : rank(q, r).items) x.push_back(rec.item);
  for (const auto& rec : rank(b.model, r).items) y.push_back(rec.item);
  CHECK(x == y);

  SECTION("a column outside the catalog is refused, naming the section") {
    const auto manifest = nlohmann::json::parse(files.at("manifest.json"));
    auto& bytes = files.at(manifest["sections"]["ease_columns"]["file"].get<std::string>());
    const std::int32_t bad = 100000;
    std::memcpy(bytes.data(), &bad, 4);
    try {
      decode_bundle(src, {}, DecodeOptions{false});
      FAIL("loaded");
    } catch (const DataError& e) {
      CHECK_THAT(e.what(), Catch::Contains("ease_columns"));
    }
  }
  SECTION("an item added at run time gets an empty EASE row") {
    HybridModel a = b.model;
    a.encoder = m.encoder;
    const std::int32_t id = add_item(a, "new", ItemInfo{"New", {"Drama"}, {}});
    CHECK(a.ease.rows == a.n_items());
    a.validate("after add_item");
    r.history.push_back({id, 1.0f, 0});
    CHECK_NOTHROW(rank(a, r));
  }
}

TEST_CASE("fusion weights in params files name the bad field", "[fusion][config]") {
  const auto error = [](const std::string& text) {
    try {
      fusion_from_json(nlohmann::json::parse(text), "p.json", "params.fusion");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error(R"({"edges":[5],"warm":[{"cf":1},{"cf":1}],"cold":[{"cf":1},{"cf":1}]})"), Catch::Equals("accepted"));
  CHECK_THAT(error(R"({"edges":[5],"warm":[{"cf":1}],"cold":[{"cf":1},{"cf":1}]})"), Catch::Contains("warm"));
  CHECK_THAT(error(R"({"edges":[5],"warm":[{"cf":1},{"bogus":1}],"cold":[{"cf":1},{"cf":1}]})"), Catch::Contains("warm[1].bogus"));
  CHECK_THAT(error(R"({"edges":[5],"warm":[{"cf":"x"},{"cf":1}],"cold":[{"cf":1},{"cf":1}]})"), Catch::Contains("warm[0].cf"));
  CHECK_THAT(error(R"({"edges":[0],"warm":[{"cf":1},{"cf":1}],"cold":[{"cf":1},{"cf":1}]})"), Catch::Contains("edges"));
  CHECK_THAT(error(R"({"warm":[]})"), Catch::Contains("edges"));
  CHECK_THAT(error(R"([1])"), Catch::Contains("params.fusion"));
  // A round trip through to_json keeps every weight.
  const FusionWeights w = only(kSignalPopularity);
  CHECK(fusion_from_json(to_json(w), "x", "f").warm == w.warm);
}

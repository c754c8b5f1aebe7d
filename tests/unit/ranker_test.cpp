#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "hybrid_fixture.h"
#include "reco/error.h"
#include "reco/ranker.h"

using namespace reco;

namespace {

RankRequest with_history(std::initializer_list<std::int32_t> items) {
  RankRequest r;
  for (std::int32_t i : items) r.history.push_back({i, 1.0f, 0});
  return r;
}

bool in(const std::vector<std::int32_t>& v, std::int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::vector<std::int32_t> ids(const RankResult& r) {
  std::vector<std::int32_t> out;
  for (const auto& rec : r.items) out.push_back(rec.item);
  return out;
}

}  // namespace

TEST_CASE("an empty request gets the most popular items", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r;
  r.k = 5;
  const RankResult res = rank(m, r);
  CHECK(res.source == "popular");
  CHECK(ids(res) == std::vector<std::int32_t>{0, 1, 2, 3, 4});  // popularity falls with the index
  for (const auto& rec : res.items) CHECK(rec.because.empty());
}

TEST_CASE("a history gives k unseen items, best first, with both signals", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r = with_history({5, 10, 15});  // all of cluster 0
  r.k = 8;
  const RankResult res = rank(m, r);
  CHECK(res.source == "hybrid");
  REQUIRE(res.items.size() == 8);
  for (std::size_t p = 0; p < res.items.size(); ++p) {
    CHECK_FALSE(in({5, 10, 15}, res.items[p].item));
    if (p) CHECK(res.items[p - 1].score >= res.items[p].score);
  }
  // a = min(1, 3 / fusion_t) with the default fusion_t = 10.
  CHECK(res.cf_weight == Approx(0.3f));
  // Items of the same cluster (index % 5 == 0) dominate the top.
  int same = 0;
  for (const auto& rec : res.items) same += rec.item % 5 == 0;
  CHECK(same >= 6);
  // exclude_history off lets history items come back.
  r.exclude_history = false;
  const auto again = ids(rank(m, r));
  CHECK((in(again, 5) || in(again, 10) || in(again, 15)));
}

TEST_CASE("fused scores are the z-scored signals mixed by a(u)", "[ranker]") {
  HybridModel m = test::small_hybrid_model();
  m.params.cf_candidates = 1000;  // every item is a candidate, so the statistics are over all
  m.params.content_candidates = 1000;
  RankRequest r = with_history({1, 2, 3, 4});
  r.k = 80;
  r.exclude_history = false;
  r.explain = 0;
  const RankResult res = rank(m, r);
  REQUIRE(res.items.size() == 80);
  double mc = 0, mt = 0, sc = 0, st = 0;
  for (const auto& rec : res.items) mc += rec.cf, mt += rec.content;
  mc /= 80, mt /= 80;
  for (const auto& rec : res.items) sc += (rec.cf - mc) * (rec.cf - mc), st += (rec.content - mt) * (rec.content - mt);
  sc = std::sqrt(sc / 80), st = std::sqrt(st / 80);
  const double a = 4.0 / m.params.fusion_t;
  for (const auto& rec : res.items) {
    const double expected = a * (rec.cf - mc) / sc + (1 - a) * (rec.content - mt) / st;
    CHECK(rec.score == Approx(expected).margin(1e-4));
  }
  // The raw signals are what they claim to be: cosine to the normalised profile.
  Eigen::VectorXf profile = Eigen::VectorXf::Zero(m.content_dim());
  for (int i : {1, 2, 3, 4}) profile += m.embeddings.row(i).transpose();
  profile.normalize();
  for (const auto& rec : res.items) CHECK(rec.content == Approx(m.embeddings.row(rec.item).dot(profile.transpose())).margin(1e-5));
}

TEST_CASE("collaborative scores decompose exactly over the history", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  const std::vector<std::int32_t> items = {3, 8, 13, 21};
  const std::vector<float> values = {1.0f, 2.0f, 1.0f, 0.5f};
  const FoldIn f = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values);
  for (std::int32_t i : {0, 7, 40}) {
    const Eigen::VectorXf w = f.solver.solve(m.factors.row(i).transpose());
    double sum = 0.0;
    for (std::size_t j = 0; j < items.size(); ++j) sum += f.confidence[j] * m.factors.row(items[j]).dot(w.transpose());
    CHECK(sum == Approx(m.factors.row(i).dot(f.user.transpose())).margin(1e-4));
  }
  // The ranker lists the largest positive shares, all from the history, best first.
  RankRequest r = with_history({3, 8, 13, 21});
  r.explain = 2;
  for (const auto& rec : rank(m, r).items) {
    CHECK(rec.because.size() <= 2);
    for (std::size_t p = 0; p < rec.because.size(); ++p) {
      CHECK(in(items, rec.because[p].item));
      CHECK(rec.because[p].score > 0.0f);
      if (p) CHECK(rec.because[p - 1].score >= rec.because[p].score);
    }
  }
}

TEST_CASE("explanations name the genres and tags shared with the history", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r = with_history({0});  // Drama, classic
  r.tags = {"drama"};                 // case-insensitive
  for (const auto& rec : rank(m, r).items) {
    CHECK(std::find(rec.shared_tags.begin(), rec.shared_tags.end(), "Drama") != rec.shared_tags.end());
    const bool classic = rec.item % 3 == 0;
    CHECK((std::find(rec.shared_tags.begin(), rec.shared_tags.end(), "classic") != rec.shared_tags.end()) == classic);
  }
}

TEST_CASE("allow, deny and tag filters", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r = with_history({5, 10});
  r.allow = {1, 2, 3, 10};
  r.k = 10;
  CHECK(ids(rank(m, r)).size() == 3);  // 10 is history
  for (auto i : ids(rank(m, r))) CHECK(in({1, 2, 3}, i));
  r.allow.clear();
  r.deny = {0, 15, 20, 25, 30};
  for (auto i : ids(rank(m, r))) CHECK_FALSE(in(r.deny, i));
  r.deny.clear();
  r.tags = {"Horror"};
  const auto horror = ids(rank(m, r));
  CHECK(horror.size() == 10);  // filtered requests score every matching item, so none run short
  for (auto i : horror) CHECK(i % 5 == 3);
  r.tags = {"no such tag"};
  CHECK(rank(m, r).items.empty());
}

TEST_CASE("MMR trades relevance for diversity", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r = with_history({5, 10, 15, 20});
  r.k = 6;
  const auto mean_similarity = [&](const RankResult& res) {
    double s = 0;
    int pairs = 0;
    for (std::size_t a = 0; a < res.items.size(); ++a)
      for (std::size_t b = a + 1; b < res.items.size(); ++b, ++pairs)
        s += m.embeddings.row(res.items[a].item).dot(m.embeddings.row(res.items[b].item));
    return s / pairs;
  };
  const RankResult plain = rank(m, r);
  r.mmr_lambda = 0.3f;
  const RankResult diverse = rank(m, r);
  CHECK(diverse.items.size() == 6);
  CHECK(diverse.items.front().item == plain.items.front().item);  // the best item always stays first
  CHECK(mean_similarity(diverse) < mean_similarity(plain) - 0.05);
  r.mmr_lambda = 1.0f;
  CHECK(ids(rank(m, r)) == ids(plain));
}

TEST_CASE("recency weighting favours recent history in the content profile", "[ranker]") {
  HybridModel m = test::small_hybrid_model();
  m.params.mode = FusionMode::Content;
  m.params.recency_half_life_days = 1.0f;
  RankRequest r;
  r.history = {{1, 1.0f, 1000000}, {2, 1.0f, 1000000 + 100 * 86400}};  // item 1 is 100 days older
  r.k = 5;
  for (const auto& rec : rank(m, r).items)
    CHECK(rec.content == Approx(m.embeddings.row(rec.item).dot(m.embeddings.row(2))).margin(1e-4));
  m.params.recency_half_life_days = 0.0f;  // off: both count alike
  Eigen::VectorXf p = (m.embeddings.row(1) + m.embeddings.row(2)).transpose();
  p.normalize();
  for (const auto& rec : rank(m, r).items) CHECK(rec.content == Approx(m.embeddings.row(rec.item).dot(p.transpose())).margin(1e-4));
}

TEST_CASE("a text query ranks by the query and caps the collaborative weight", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest r = with_history({5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55});  // a would be 1
  const auto q = m.embeddings.row(3);
  r.query.assign(q.data(), q.data() + q.size());
  const RankResult res = rank(m, r);
  CHECK(res.source == "query");
  CHECK(res.cf_weight == Approx(m.params.query_cf_weight));
  RankRequest only_query;
  only_query.query = r.query;
  only_query.k = 1;
  const RankResult top = rank(m, only_query);
  CHECK(top.cf_weight == 0.0f);
  CHECK(top.items.front().item == 3);  // the item whose embedding is the query
}

TEST_CASE("an item added from its text is recommended at once", "[ranker]") {
  HybridModel m = test::small_hybrid_model();
  ItemInfo info;
  info.title = "A brand new film";
  info.genres = {"Comedy"};
  const std::int32_t id = add_item(m, "new-1", info);
  CHECK(id == 80);
  CHECK(m.n_items() == 81);
  CHECK(m.factor_index->size() == 81);
  CHECK(m.content_index->size() == 81);
  const std::vector<float> e = m.encoder->encode(item_text(info));
  CHECK(m.factors.row(id).isApprox(map_to_factor(m.factor_map, e.data()).transpose()));
  RankRequest q;
  q.query = e;
  q.k = 1;
  CHECK(rank(m, q).items.front().item == id);
  RankRequest h = with_history({1, 2});
  h.allow = {id};
  CHECK(ids(rank(m, h)) == std::vector<std::int32_t>{id});
  CHECK_THROWS_AS(add_item(m, "new-1", info), ParamError);
  HybridModel no_encoder = test::small_hybrid_model();
  no_encoder.encoder.reset();
  CHECK_THROWS_AS(add_item(no_encoder, "x", info), ParamError);
}

TEST_CASE("bad requests name the field", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  const auto message = [&](const RankRequest& r) {
    try {
      rank(m, r);
    } catch (const ParamError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  RankRequest r = with_history({1, 500});
  CHECK_THAT(message(r), Catch::Contains("history[1]") && Catch::Contains("500"));
  r = with_history({1});
  r.history[0].strength = NAN;
  CHECK_THAT(message(r), Catch::Contains("history[0].strength"));
  r = RankRequest{};
  r.query = {1.0f, 2.0f};
  CHECK_THAT(message(r), Catch::Contains("query"));
  r = RankRequest{};
  r.k = 0;
  CHECK_THAT(message(r), Catch::Contains("k"));
  r = RankRequest{};
  r.deny = {-1};
  CHECK_THAT(message(r), Catch::Contains("deny[0]"));
  r = RankRequest{};
  r.mmr_lambda = 2.0f;
  CHECK_THAT(message(r), Catch::Contains("mmr_lambda"));
}

TEST_CASE("repeated history items merge like training events", "[ranker]") {
  const HybridModel m = test::small_hybrid_model();
  RankRequest once = with_history({4, 9});
  RankRequest twice = with_history({4, 9, 4, 9, 4});
  once.explain = twice.explain = 0;
  const RankResult a = rank(m, once), b = rank(m, twice);
  REQUIRE(a.items.size() == b.items.size());
  for (std::size_t p = 0; p < a.items.size(); ++p) {
    CHECK(a.items[p].item == b.items[p].item);
    CHECK(a.items[p].score == b.items[p].score);
  }
}

TEST_CASE("small catalogs score every item for the candidates; the indexes agree with that", "[ranker]") {
  HybridModel indexed = test::small_hybrid_model();
  HybridModel exact = indexed;
  exact.params.exact_below = 1000;
  for (auto history : {std::initializer_list<std::int32_t>{1, 2}, {7, 14, 21, 28}, {3}}) {
    RankRequest r = with_history(history);
    r.k = 10;
    CHECK(ids(rank(exact, r)) == ids(rank(indexed, r)));
  }
  HybridParams p;
  p.exact_below = -1;
  CHECK_THROWS_AS(p.validate(), ParamError);
}

#include <catch2/catch.hpp>

#include <cmath>

#include "reco/als.h"
#include "reco/error.h"
#include "reco/loaders.h"
#include "reco/random.h"
#include "test_data.h"

using reco::Als;
using reco::AlsParams;

namespace {

double cosine(const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
  return static_cast<double>(a.dot(b)) / (static_cast<double>(a.norm()) * b.norm());
}

// The smallest cosine, over users with a history, between a user's trained factor and
// the fold-in of that user's training row.
double worst_fold_in_cosine(const Als& als, const reco::Interactions& x) {
  const auto& m = x.user_items;
  double worst = 1.0;
  for (std::int32_t u = 0; u < m.rows; ++u) {
    if (m.row_size(u) == 0) continue;
    const Eigen::VectorXf folded = als.fold_in(m.row_indices(u), m.row_values(u));
    worst = std::min(worst, cosine(folded, als.user_factors().row(u).transpose()));
  }
  return worst;
}

AlsParams small_params() {
  AlsParams p;
  p.factors = 8;
  p.iterations = 10;
  p.reg = 0.5f;
  p.alpha = 5.0f;
  p.track_loss = true;
  return p;
}

}  // namespace

TEST_CASE("ALS loss never increases across iterations", "[als]") {
  const auto x = reco::test::random_interactions(120, 80, 0.08, 7);
  Als als(small_params());
  als.fit(x);
  const auto& loss = als.loss_history();
  REQUIRE(loss.size() == 10);
  for (std::size_t i = 1; i < loss.size(); ++i) {
    INFO("iteration " << i << ": " << loss[i - 1] << " -> " << loss[i]);
    CHECK(loss[i] <= loss[i - 1] * (1.0 + 1e-6));
  }
  CHECK(loss.back() < loss.front());
}

TEST_CASE("ALS is deterministic for a seed and depends on it", "[als]") {
  const auto x = reco::test::random_interactions(60, 40, 0.1, 3);
  AlsParams p = small_params();
  Als a(p), b(p);
  a.fit(x);
  b.fit(x);
  CHECK(a.item_factors() == b.item_factors());
  CHECK(a.user_factors() == b.user_factors());
  p.seed = 43;
  Als c(p);
  c.fit(x);
  CHECK(c.item_factors() != a.item_factors());
}

TEST_CASE("ALS gives the same factors with one thread and with four", "[als]") {
  const auto x = reco::test::random_interactions(90, 50, 0.1, 5);
  AlsParams p = small_params();
  Als one(p);
  one.fit(x);
  p.threads = 4;
  Als four(p);
  four.fit(x);
  CHECK(one.user_factors() == four.user_factors());
}

TEST_CASE("fold-in of a training user's history reproduces its trained factor", "[als]") {
  const auto x = reco::test::random_interactions(150, 100, 0.1, 11);
  AlsParams p = small_params();
  p.iterations = 15;
  Als als(p);
  als.fit(x);
  const double worst = worst_fold_in_cosine(als, x);
  INFO("worst cosine " << worst);
  CHECK(worst > 0.999);
}

TEST_CASE("ALS scores rank a user's own group first", "[als]") {
  // Two disjoint tastes: users 0-29 use items 0-9, users 30-59 use items 10-19, each
  // user missing one item of their group. The missing item must outrank the other group.
  std::vector<reco::Event> events;
  for (int u = 0; u < 60; ++u) {
    const int base = u < 30 ? 0 : 10;
    for (int i = 0; i < 10; ++i)
      if (i != u % 10) events.push_back({u, base + i, 1.0f, 0});
  }
  const auto x = reco::make_interactions(events, 60, 20, reco::Weighting::Binary);
  AlsParams p = small_params();
  p.reg = 0.1f;
  Als als(p);
  als.fit(x);
  std::vector<float> scores;
  int correct = 0;
  for (int u = 0; u < 60; ++u) {
    als.score_user(u, scores);
    const int base = u < 30 ? 0 : 10, other = 10 - base;
    float best_other = -1e9f;
    for (int i = 0; i < 10; ++i) best_other = std::max(best_other, scores[static_cast<std::size_t>(other + i)]);
    if (scores[static_cast<std::size_t>(base + u % 10)] > best_other) ++correct;
  }
  CHECK(correct == 60);
}

TEST_CASE("ALS rejects bad parameters and bad fold-in input with the parameter's name", "[als]") {
  AlsParams p;
  p.factors = 0;
  CHECK_THROWS_WITH(Als(p), Catch::Contains("factors"));
  p = AlsParams{};
  p.reg = -1.0f;
  CHECK_THROWS_WITH(Als(p), Catch::Contains("reg"));
  p = small_params();
  Als als(p);
  als.fit(reco::test::random_interactions(10, 10, 0.3, 1));
  CHECK_THROWS_WITH(als.fold_in({99}, {1.0f}), Catch::Contains("item"));
  CHECK_THROWS_WITH(als.fold_in({1}, {std::nanf("")}), Catch::Contains("not finite"));
  CHECK_THROWS_AS(als.fold_in({1, 2}, {1.0f}), reco::ParamError);
}

TEST_CASE("fold-in reproduces trained factors on ML-100K u1.base with the shipped defaults", "[als][data]") {
  reco::Dataset ds = reco::load_dataset(reco::test::data_dir() + "/ml-100k", reco::Format::Ml100k);
  const auto events = reco::load_ml100k_events(reco::test::data_dir() + "/ml-100k/u1.base", ds);
  const auto x = reco::make_interactions(events, ds.users.size(), ds.items.size(), reco::Weighting::Binary);
  Als als;  // shipped defaults
  als.fit(x);
  const double worst = worst_fold_in_cosine(als, x);
  INFO("worst cosine over " << x.n_users() << " users: " << worst);
  CHECK(worst > 0.999);
}

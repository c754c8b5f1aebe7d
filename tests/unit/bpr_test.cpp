#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "reco/bpr.h"
#include "reco/error.h"

using reco::Event;

namespace {

// 40 users in two groups over 10 items: users 0-19 like items 0-4, users 20-39 items
// 5-9. Each user's training row has four of the five in-group items; the fifth
// (heldout_item) is withheld.
constexpr std::int32_t kUsers = 40;
constexpr std::int32_t kItems = 10;

std::int32_t group_start(std::int32_t u) { return u < kUsers / 2 ? 0 : 5; }
std::int32_t heldout_item(std::int32_t u) { return group_start(u) + u % 5; }

reco::Interactions two_groups() {
  std::vector<Event> events;
  for (std::int32_t u = 0; u < kUsers; ++u)
    for (std::int32_t i = group_start(u); i < group_start(u) + 5; ++i)
      if (i != heldout_item(u)) events.push_back({u, i});
  return reco::make_interactions(events, kUsers, kItems, reco::Weighting::Binary);
}

// FNV-1a over the bit patterns of every factor and bias: equal checksums mean
// bit-identical models (used to compare native and WebAssembly builds).
std::uint64_t checksum(const reco::Bpr& model) {
  std::uint64_t h = 1469598103934665603ULL;
  auto add = [&h](float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    for (int b = 0; b < 4; ++b) {
      h ^= (bits >> (8 * b)) & 0xffu;
      h *= 1099511628211ULL;
    }
  };
  const auto& w = model.user_factors();
  const auto& v = model.item_factors();
  for (Eigen::Index r = 0; r < w.rows(); ++r)
    for (Eigen::Index c = 0; c < w.cols(); ++c) add(w(r, c));
  for (Eigen::Index r = 0; r < v.rows(); ++r)
    for (Eigen::Index c = 0; c < v.cols(); ++c) add(v(r, c));
  for (Eigen::Index r = 0; r < model.item_biases().size(); ++r) add(model.item_biases()(r));
  return h;
}

reco::BprParams small_params(std::uint64_t seed) {
  reco::BprParams p;
  p.factors = 8;
  p.epochs = 60;
  p.learning_rate = 0.05f;
  p.reg = 0.01f;
  p.seed = seed;
  return p;
}

}  // namespace

TEST_CASE("Bpr is deterministic for a seed and differs across seeds", "[models]") {
  const auto train = two_groups();
  reco::Bpr a(small_params(7)), b(small_params(7)), c(small_params(8));
  CHECK(a.name() == "bpr");
  a.fit(train);
  b.fit(train);
  c.fit(train);
  REQUIRE(a.user_factors().rows() == kUsers);
  REQUIRE(a.user_factors().cols() == 8);
  REQUIRE(a.item_factors().rows() == kItems);
  REQUIRE(a.item_factors().cols() == 8);
  REQUIRE(a.item_biases().size() == kItems);
  CHECK(a.user_factors() == b.user_factors());
  CHECK(a.item_factors() == b.item_factors());
  CHECK(a.item_biases() == b.item_biases());
  CHECK(checksum(a) == checksum(b));
  CHECK(a.user_factors() != c.user_factors());
  CHECK(a.item_factors() != c.item_factors());

  // Refitting starts from scratch: same result again.
  a.fit(train);
  CHECK(checksum(a) == checksum(b));

  // Printed so that native and WebAssembly runs can be compared by eye or by script.
  std::printf("bpr checksum (two groups, seed 7): %016llx\n", static_cast<unsigned long long>(checksum(a)));
}

TEST_CASE("Bpr ranks held-out in-group items above the other group's items", "[models]") {
  const auto train = two_groups();
  reco::Bpr model(small_params(42));
  model.fit(train);

  double auc_sum = 0.0;
  int perfect = 0;
  std::vector<float> scores;
  for (std::int32_t u = 0; u < kUsers; ++u) {
    model.score_user(u, scores);
    REQUIRE(scores.size() == static_cast<std::size_t>(kItems));
    const std::int32_t other = group_start(u) == 0 ? 5 : 0;
    const float held = scores[static_cast<std::size_t>(heldout_item(u))];
    double wins = 0.0;
    for (std::int32_t j = other; j < other + 5; ++j) {
      const float s = scores[static_cast<std::size_t>(j)];
      wins += held > s ? 1.0 : (held == s ? 0.5 : 0.0);
    }
    auc_sum += wins / 5.0;
    if (wins == 5.0) ++perfect;
  }
  const double auc = auc_sum / kUsers;
  INFO("mean AUC " << auc << ", users with a perfect ranking " << perfect << "/" << kUsers);
  CHECK(auc > 0.9);
  CHECK(perfect >= kUsers * 8 / 10);
}

TEST_CASE("Bpr scores are the item bias plus the factor dot product", "[models]") {
  const auto train = two_groups();
  reco::Bpr model(small_params(3));
  model.fit(train);
  std::vector<float> scores;
  model.score_user(21, scores);
  const Eigen::VectorXf expected =
      model.item_factors() * model.user_factors().row(21).transpose() + model.item_biases();
  for (std::int32_t i = 0; i < kItems; ++i) CHECK(scores[static_cast<std::size_t>(i)] == Approx(expected(i)).margin(1e-5));
  CHECK_THROWS_AS(model.score_user(kUsers, scores), std::out_of_range);
  CHECK_THROWS_AS(model.score_user(-1, scores), std::out_of_range);
}

TEST_CASE("Bpr handles users with every item, dense rows and empty rows", "[models]") {
  // User 0 has all 6 items (skipped: no negative), user 1 has 5 of 6 (dense-row
  // sampler), user 2 has one, user 3 none.
  std::vector<Event> events;
  for (std::int32_t i = 0; i < 6; ++i) events.push_back({0, i});
  for (std::int32_t i = 0; i < 5; ++i) events.push_back({1, i});
  events.push_back({2, 5});
  const auto train = reco::make_interactions(events, 4, 6, reco::Weighting::Binary);
  reco::BprParams p = small_params(1);
  p.epochs = 200;
  reco::Bpr model(p);
  model.fit(train);
  CHECK(model.user_factors().allFinite());
  CHECK(model.item_factors().allFinite());
  CHECK(model.item_biases().allFinite());
  // User 1's only negative is item 5, so it must end up last for that user.
  std::vector<float> scores;
  model.score_user(1, scores);
  for (std::int32_t i = 0; i < 5; ++i) CHECK(scores[static_cast<std::size_t>(i)] > scores[5]);

  // A matrix with no entries trains to the initial state without failing.
  reco::Bpr empty(small_params(1));
  empty.fit(reco::make_interactions({}, 3, 4, reco::Weighting::Binary));
  CHECK(empty.user_factors().rows() == 3);
  CHECK(empty.item_biases() == Eigen::VectorXf::Zero(4));
}

TEST_CASE("Bpr validates its parameters", "[models]") {
  auto param_of = [](const reco::BprParams& p) {
    try {
      reco::Bpr model(p);
    } catch (const reco::ParamError& e) {
      return e.param();
    }
    return std::string();
  };
  reco::BprParams p;
  CHECK(param_of(p).empty());
  p.factors = 0;
  CHECK(param_of(p) == "factors");
  p = {};
  p.epochs = -1;
  CHECK(param_of(p) == "epochs");
  p = {};
  p.learning_rate = 0.0f;
  CHECK(param_of(p) == "learning_rate");
  p.learning_rate = std::nanf("");
  CHECK(param_of(p) == "learning_rate");
  p = {};
  p.reg = -0.01f;
  CHECK(param_of(p) == "reg");
  p.reg = INFINITY;
  CHECK(param_of(p) == "reg");
  CHECK_THROWS_WITH(reco::Bpr(reco::BprParams{0}), Catch::Contains("factors") && Catch::Contains(">= 1"));
}

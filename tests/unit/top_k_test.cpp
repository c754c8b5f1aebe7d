#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "reco/top_k.h"

using reco::top_k;

TEST_CASE("top_k orders by score, ties by smaller item index") {
  const std::vector<float> scores{0.5f, 0.9f, 0.5f, 0.1f, 0.9f};
  const auto best = top_k(scores, 3, {});
  REQUIRE(best.size() == 3);
  CHECK(best[0].item == 1);
  CHECK(best[1].item == 4);
  CHECK(best[2].item == 0);
}

TEST_CASE("top_k skips excluded items and honours candidates") {
  const std::vector<float> scores{0.5f, 0.9f, 0.7f, 0.1f};
  auto best = top_k(scores, 10, {1});
  REQUIRE(best.size() == 3);
  CHECK(best[0].item == 2);
  best = top_k(scores, 2, {2}, {3, 2, 0, 3});
  REQUIRE(best.size() == 2);
  CHECK(best[0].item == 0);
  CHECK(best[1].item == 3);
}

TEST_CASE("top_k puts NaN scores last and handles k <= 0") {
  const std::vector<float> scores{std::nanf(""), -1.0f};
  const auto best = top_k(scores, 2, {});
  REQUIRE(best.size() == 2);
  CHECK(best[0].item == 1);
  CHECK(top_k(scores, 0, {}).empty());
}

#include <catch2/catch.hpp>

#include "reco/metrics.h"

using Catch::Detail::Approx;
using reco::user_metrics;

// Hand computation for ranked = [5, 3, 9, 1], relevant = {1, 3, 7}:
//   K=3: one hit at rank 2. DCG = 1/log2(3) = 0.630930; IDCG over min(3,3)=3 ranks
//        = 1 + 0.630930 + 0.5 = 2.130930; AP = (1/2) / 3.
//   K=4: hits at ranks 2 and 4. DCG = 0.630930 + 1/log2(5) = 1.061606; AP = (1/2 + 2/4) / 3.
TEST_CASE("metrics at K=3 match a hand computation", "[metrics]") {
  const auto m = user_metrics({5, 3, 9, 1}, {1, 3, 7}, 3);
  CHECK(m.precision == Approx(1.0 / 3));
  CHECK(m.recall == Approx(1.0 / 3));
  CHECK(m.ndcg == Approx(0.630930 / 2.130930).epsilon(1e-5));
  CHECK(m.map == Approx(0.5 / 3));
}

TEST_CASE("metrics at K=4 match a hand computation", "[metrics]") {
  const auto m = user_metrics({5, 3, 9, 1}, {1, 3, 7}, 4);
  CHECK(m.precision == Approx(0.5));
  CHECK(m.recall == Approx(2.0 / 3));
  CHECK(m.ndcg == Approx(1.061606 / 2.130930).epsilon(1e-5));
  CHECK(m.map == Approx(1.0 / 3));
}

TEST_CASE("ideal DCG and MAP normalise over min(|test|, K)", "[metrics]") {
  // Two relevant items both ranked first: perfect NDCG and MAP at K=10 though precision is 0.2.
  auto m = user_metrics({1, 3, 4}, {1, 3}, 10);
  CHECK(m.precision == Approx(0.2));
  CHECK(m.recall == Approx(1.0));
  CHECK(m.ndcg == Approx(1.0));
  CHECK(m.map == Approx(1.0));
  // Five relevant items, K=2, both slots hit: NDCG 1 and MAP 1, recall 2/5.
  m = user_metrics({0, 1}, {0, 1, 2, 3, 4}, 2);
  CHECK(m.ndcg == Approx(1.0));
  CHECK(m.map == Approx(1.0));
  CHECK(m.recall == Approx(0.4));
}

TEST_CASE("no hits, short lists and empty test sets", "[metrics]") {
  auto m = user_metrics({7, 8}, {1}, 10);
  CHECK(m.precision == 0.0);
  CHECK(m.ndcg == 0.0);
  CHECK(m.map == 0.0);
  m = user_metrics({}, {}, 10);
  CHECK(m.recall == 0.0);
}

TEST_CASE("accumulator averages over users with test items and measures coverage", "[metrics]") {
  reco::MetricsAccumulator acc(10);
  acc.add({1, 2}, {1}, 2);  // ndcg 1
  acc.add({3, 4}, {9}, 2);  // ndcg 0
  acc.add({5, 6}, {}, 2);   // not counted, not covered
  CHECK(acc.users() == 2);
  CHECK(acc.mean().ndcg == Approx(0.5));
  CHECK(acc.mean().precision == Approx(0.25));
  CHECK(acc.coverage(10) == Approx(0.4));
}

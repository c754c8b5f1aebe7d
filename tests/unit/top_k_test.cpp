#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

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

namespace {
// The reference: indices sorted by (score desc, index asc), first n, ascending.
std::vector<std::int32_t> reference_top(const std::vector<float>& scores, std::size_t n) {
  std::vector<std::int32_t> idx(scores.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::int32_t>(i);
  const auto key = [&](std::int32_t i) { return std::isnan(scores[i]) ? -std::numeric_limits<float>::infinity() : scores[i]; };
  std::stable_sort(idx.begin(), idx.end(), [&](std::int32_t a, std::int32_t b) { return key(a) > key(b); });
  idx.resize(std::min(n, idx.size()));
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::vector<std::int32_t> fast_top(std::vector<float> scores, std::size_t n) {
  std::vector<std::int32_t> out;
  reco::top_n_items(scores, n, out);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("top_n_items matches a full sort, ties by the smaller index") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const std::size_t size : {0u, 1u, 7u, 100u, 3000u, 10000u}) {
    for (const std::size_t n : {1u, 5u, 250u, 20000u}) {
      std::vector<float> scores(size);
      for (float& v : scores) v = uniform(rng);
      CHECK(fast_top(scores, n) == reference_top(scores, n));
      // Coarse values: many ties at the threshold.
      for (float& v : scores) v = std::round(v * 4.0f);
      CHECK(fast_top(scores, n) == reference_top(scores, n));
    }
  }
}

TEST_CASE("top_n_items falls back when the sample's bound is too high") {
  // Every 8th score is large, all others small: the sample (every 16th) promises far more items at
  // its bound than there are, so the heap path must find the threshold.
  std::vector<float> scores(4000, 0.0f);
  for (std::size_t i = 0; i < scores.size(); ++i) scores[i] = i % 8 == 0 ? 100.0f + static_cast<float>(i) : static_cast<float>(i) * 1e-3f;
  CHECK(fast_top(scores, 600) == reference_top(scores, 600));
  CHECK(fast_top(scores, 10) == reference_top(scores, 10));
}

TEST_CASE("top_n_items treats NaN as the lowest score") {
  std::vector<float> scores = {std::nanf(""), 1.0f, std::nanf(""), 0.5f, -3.0f};
  CHECK(fast_top(scores, 3) == std::vector<std::int32_t>{1, 3, 4});
  CHECK(fast_top(scores, 4) == std::vector<std::int32_t>{0, 1, 3, 4});
}

TEST_CASE("top_n_items on large inputs with NaN, infinities and signed zeros") {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> pick(0, 9);
  for (const std::size_t size : {500u, 9742u}) {
    for (const std::size_t n : {1u, 60u, 250u, 499u}) {
      CAPTURE(size, n);
      std::vector<float> scores(size);
      for (float& v : scores) {
        const int c = pick(rng);
        v = c == 0 ? std::nanf("") : c == 1 ? -0.0f : c == 2 ? 0.0f : c == 3 ? -std::numeric_limits<float>::infinity()
            : c == 4 ? std::numeric_limits<float>::infinity() : static_cast<float>(pick(rng) - 5) * 0.25f;
      }
      std::vector<float> as_inf = scores;
      for (float& v : as_inf)
        if (std::isnan(v)) v = -std::numeric_limits<float>::infinity();
      CHECK(fast_top(scores, n) == reference_top(as_inf, n));
      // Mostly NaN and -inf: the bound is -inf, the exact path ranks NaN as -inf.
      for (std::size_t i = 0; i < size; ++i) scores[i] = i % 50 == 0 ? 1.0f : i % 2 ? std::nanf("") : -std::numeric_limits<float>::infinity();
      as_inf = scores;
      for (float& v : as_inf)
        if (std::isnan(v)) v = -std::numeric_limits<float>::infinity();
      CHECK(fast_top(scores, n) == reference_top(as_inf, n));
    }
  }
}

#include "reco/int8_scoring.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "reco/error.h"
#include "reco/quantize.h"

using namespace reco;

TEST_CASE("quantize_query_int16 maps the largest magnitude to 32767", "[int8_scoring]") {
  const std::vector<float> x = {0.5f, -2.0f, 1.0f, 0.0f};
  const std::vector<std::int16_t> q = quantize_query_int16(x.data(), x.size());
  CHECK(q == std::vector<std::int16_t>{8192, -32767, 16384, 0});  // 0.25 * 32767 = 8191.75
}

TEST_CASE("quantize_query_int16 gives zeros for a zero or non-finite query", "[int8_scoring]") {
  const std::vector<float> zero(5, 0.0f);
  CHECK(quantize_query_int16(zero.data(), zero.size()) == std::vector<std::int16_t>(5, 0));
  const std::vector<float> bad = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  CHECK(quantize_query_int16(bad.data(), bad.size()) == std::vector<std::int16_t>(2, 0));
}

TEST_CASE("int8_rows_scores is the exact integer dot product times the row scale", "[int8_scoring]") {
  Int8Rows rows;
  rows.rows = 2;
  rows.cols = 3;
  rows.values = {127, -127, 5, 0, 1, -1};
  rows.scales = {0.5f, 2.0f};
  const std::vector<std::int16_t> q = {32767, 32767, -3};
  std::vector<float> out(2);
  int8_rows_scores(rows, q.data(), out.data());
  CHECK(out[0] == 0.5f * static_cast<float>(127 * 32767 - 127 * 32767 - 15));
  CHECK(out[1] == 2.0f * static_cast<float>(32767 + 3));
}

TEST_CASE("int8_rows_scores does not overflow at the widest row it accepts", "[int8_scoring]") {
  Int8Rows rows;
  rows.rows = 1;
  rows.cols = kInt8ScoringMaxCols;
  rows.values.assign(kInt8ScoringMaxCols, -127);
  rows.scales = {1.0f};
  const std::vector<std::int16_t> q(kInt8ScoringMaxCols, 32767);
  float out = 0.0f;
  int8_rows_scores(rows, q.data(), &out);
  CHECK(out == static_cast<float>(-127.0 * 32767.0 * kInt8ScoringMaxCols));
  rows.cols += 1;
  rows.values.push_back(1);
  CHECK_THROWS_WITH(int8_rows_scores(rows, q.data(), &out), Catch::Contains("rows") && Catch::Contains("512"));
}

TEST_CASE("int8 scores pick nearly the same top 50 as float scores", "[int8_scoring]") {
  // 2,000 random 64-dimensional rows: the integer first stage should lose at most a few
  // of the exact top 50 (those within rounding of the 50th score).
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  const int n = 2000, d = 64;
  std::vector<float> data(static_cast<std::size_t>(n * d)), query(d);
  for (float& v : data) v = normal(rng);
  for (float& v : query) v = normal(rng);
  const Int8Rows codes = quantize_rows_int8(data.data(), n, d);
  const std::vector<std::int16_t> q = quantize_query_int16(query.data(), query.size());
  std::vector<float> approx(n), exact(n);
  int8_rows_scores(codes, q.data(), approx.data());
  for (int r = 0; r < n; ++r) {
    double s = 0.0;
    for (int k = 0; k < d; ++k) s += static_cast<double>(data[static_cast<std::size_t>(r * d + k)]) * query[static_cast<std::size_t>(k)];
    exact[static_cast<std::size_t>(r)] = static_cast<float>(s);
  }
  const auto top = [&](const std::vector<float>& s) {
    std::vector<int> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + 50, order.end(), [&](int a, int b) { return s[a] > s[b]; });
    order.resize(50);
    std::sort(order.begin(), order.end());
    return order;
  };
  const std::vector<int> a = top(approx), e = top(exact);
  std::vector<int> both;
  std::set_intersection(a.begin(), a.end(), e.begin(), e.end(), std::back_inserter(both));
  CHECK(both.size() >= 47);
}

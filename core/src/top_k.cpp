#include "reco/top_k.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace reco {
namespace {

// Strict "ranks before" order: higher score first, then smaller index.
bool ranks_before(const ScoredItem& a, const ScoredItem& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.item < b.item;
}

}  // namespace

std::vector<ScoredItem> top_k(const std::vector<float>& scores, int k, const std::vector<std::int32_t>& exclude,
                              const std::vector<std::int32_t>& candidates) {
  if (k <= 0) return {};
  const auto n = static_cast<std::int32_t>(scores.size());
  std::vector<char> excluded(scores.size(), 0);
  for (std::int32_t i : exclude)
    if (i >= 0 && i < n) excluded[static_cast<std::size_t>(i)] = 1;

  std::vector<ScoredItem> pool;
  auto consider = [&](std::int32_t i) {
    if (i < 0 || i >= n || excluded[static_cast<std::size_t>(i)]) return;
    float s = scores[static_cast<std::size_t>(i)];
    if (std::isnan(s)) s = -std::numeric_limits<float>::infinity();
    pool.push_back({i, s});
  };
  if (candidates.empty()) {
    pool.reserve(scores.size());
    for (std::int32_t i = 0; i < n; ++i) consider(i);
  } else {
    for (std::int32_t i : candidates) {
      consider(i);
      if (i >= 0 && i < n) excluded[static_cast<std::size_t>(i)] = 1;  // a repeated candidate counts once
    }
  }
  const auto take = std::min<std::size_t>(static_cast<std::size_t>(k), pool.size());
  std::partial_sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(take), pool.end(), ranks_before);
  pool.resize(take);
  return pool;
}

namespace {

// The order-preserving unsigned key of a float that is not NaN (-0 just below +0).
std::uint32_t order_key(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b & 0x80000000u ? ~b : b | 0x80000000u;
}

float from_order_key(std::uint32_t k) {
  const std::uint32_t b = k & 0x80000000u ? k & 0x7fffffffu : ~k;
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

// The k-th largest (1 <= k <= values.size()) of values with no NaN: a radix select on
// order keys, one byte per round from the top, each round counting only the values that
// share the bytes chosen so far. Four short passes, no comparison sort.
float kth_largest(const std::vector<float>& values, std::size_t k) {
  std::vector<std::uint32_t> keys(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) keys[i] = order_key(values[i]);
  std::uint32_t prefix = 0, mask = 0;
  std::size_t need = k;
  for (int shift = 24; shift >= 0; shift -= 8) {
    std::size_t counts[256] = {};
    for (std::uint32_t key : keys)
      if ((key & mask) == prefix) ++counts[(key >> shift) & 255u];
    std::uint32_t b = 255;
    while (counts[b] < need) need -= counts[b--];  // the k-th lies in bucket b
    prefix |= b << shift;
    mask |= 255u << shift;
  }
  return from_order_key(prefix);
}

// Appends the ids of the n largest `values` (1 <= n <= values.size(), no NaN; ties: the
// earlier position), values[c] belonging to ids[c] (to c itself when ids is null).
void append_top(const std::vector<float>& values, const std::int32_t* ids, std::size_t n, std::vector<std::int32_t>& out) {
  const float threshold = kth_largest(values, n);
  std::size_t above = 0;
  for (float v : values) above += v > threshold ? 1 : 0;
  std::size_t ties = n - above;  // values at the threshold to take, earliest first
  for (std::size_t c = 0; c < values.size(); ++c) {
    if (values[c] > threshold) {
      out.push_back(ids ? ids[c] : static_cast<std::int32_t>(c));
    } else if (values[c] == threshold && ties > 0) {
      out.push_back(ids ? ids[c] : static_cast<std::int32_t>(c));
      --ties;
    }
  }
}

}  // namespace

void top_n_items(std::vector<float>& scores, std::size_t n, std::vector<std::int32_t>& out) {
  n = std::min(n, scores.size());
  if (n == 0) return;
  // The sample's r-th largest, r about 1.5 n / kStride (+ slack), is a bound t0 that about
  // 1.5 n scores reach. NaN never reaches a bound; a bound of -inf (too few finite
  // scores) is left to the exact path below, which ranks NaN as -inf.
  constexpr std::size_t kStride = 16;
  const std::size_t rank_in_sample = (3 * n) / (2 * kStride) + 8;
  const std::size_t sampled = (scores.size() + kStride - 1) / kStride;
  if (sampled > rank_in_sample) {
    std::vector<float> sample(sampled);
    for (std::size_t i = 0, k = 0; i < scores.size(); i += kStride, ++k)
      sample[k] = std::isnan(scores[i]) ? -std::numeric_limits<float>::infinity() : scores[i];
    const float t0 = kth_largest(sample, rank_in_sample);
    if (t0 > -std::numeric_limits<float>::infinity()) {
      // Indices of the scores >= t0, ascending (written densely: no growth, no branch).
      thread_local std::vector<std::int32_t> reached;  // reused per thread (see ranker.cpp's first stage)
      reached.resize(scores.size());
      std::size_t count = 0;
      for (std::size_t i = 0; i < scores.size(); ++i) {
        reached[count] = static_cast<std::int32_t>(i);
        count += scores[i] >= t0 ? 1 : 0;
      }
      if (count >= n) {
        std::vector<float> values(count);
        for (std::size_t c = 0; c < count; ++c) values[c] = scores[static_cast<std::size_t>(reached[c])];
        append_top(values, reached.data(), n, out);
        return;
      }
    }
  }
  // Exact over all scores, NaN as -inf.
  for (float& v : scores)
    if (std::isnan(v)) v = -std::numeric_limits<float>::infinity();
  append_top(scores, nullptr, n, out);
}

}  // namespace reco

#include "reco/top_k.h"

#include <algorithm>
#include <cmath>
#include <functional>
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

void top_n_items(std::vector<float>& scores, std::size_t n, std::vector<std::int32_t>& out) {
  n = std::min(n, scores.size());
  if (n == 0) return;
  for (float& v : scores)
    if (std::isnan(v)) v = -std::numeric_limits<float>::infinity();
  float threshold = 0.0f;
  bool found = false;
  constexpr std::size_t kStride = 8;
  const std::size_t rank_in_sample = (3 * n) / (2 * kStride) + 8;
  std::vector<float> sample;
  for (std::size_t i = 0; i < scores.size(); i += kStride) sample.push_back(scores[i]);
  if (sample.size() > rank_in_sample) {
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(rank_in_sample - 1), sample.end(), std::greater<float>());
    const float t0 = sample[rank_in_sample - 1];
    std::vector<float> reached;
    reached.reserve(2 * n);
    for (float v : scores)
      if (v >= t0) reached.push_back(v);
    if (reached.size() >= n) {
      std::nth_element(reached.begin(), reached.begin() + static_cast<std::ptrdiff_t>(n - 1), reached.end(), std::greater<float>());
      threshold = reached[n - 1];
      found = true;
    }
  }
  if (!found) {
    std::vector<float> heap(scores.begin(), scores.begin() + static_cast<std::ptrdiff_t>(n));
    std::make_heap(heap.begin(), heap.end(), std::greater<float>());
    for (std::size_t i = n; i < scores.size(); ++i) {
      if (scores[i] <= heap.front()) continue;
      std::pop_heap(heap.begin(), heap.end(), std::greater<float>());
      heap.back() = scores[i];
      std::push_heap(heap.begin(), heap.end(), std::greater<float>());
    }
    threshold = heap.front();
  }
  std::size_t above = 0;
  for (float v : scores) above += v > threshold ? 1 : 0;
  std::size_t ties = n - above;  // items at the threshold to take, smallest first
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] > threshold) {
      out.push_back(static_cast<std::int32_t>(i));
    } else if (scores[i] == threshold && ties > 0) {
      out.push_back(static_cast<std::int32_t>(i));
      --ties;
    }
  }
}


}  // namespace reco

#include "reco/top_k.h"

#include <algorithm>
#include <cmath>
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

}  // namespace reco

// Selecting the best K items from a dense score vector.
#pragma once

#include <cstdint>
#include <vector>

namespace reco {

struct ScoredItem {
  std::int32_t item = 0;
  float score = 0.0f;
};

// Returns up to k items ordered by score (descending), ties broken by the smaller item
// index so that the order is the same on every platform. Items listed in `exclude`
// (any order) are skipped. When `candidates` is non-empty only those items are eligible.
// NaN scores are treated as the lowest possible score.
std::vector<ScoredItem> top_k(const std::vector<float>& scores, int k, const std::vector<std::int32_t>& exclude,
                              const std::vector<std::int32_t>& candidates = {});

}  // namespace reco

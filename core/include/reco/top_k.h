// Selecting the best K items from a dense score vector.
#pragma once

#include <cstddef>
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

// Appends to `out` the indices of the `n` largest of `scores` (ties: the smaller index),
// in no particular order: the ranker's first stage over a whole catalog. NaNs count as
// -infinity (and may be overwritten so in `scores`). Cheaper than sorting indices by
// score: every 16th score gives a bound t0 that about 1.5 n scores should reach, the
// scores >= t0 are gathered, and the n-th largest of those (a radix select) is the n-th
// largest of all as long as at least n reached t0 (when fewer do, the same select runs
// over all scores).
void top_n_items(std::vector<float>& scores, std::size_t n, std::vector<std::int32_t>& out);

}  // namespace reco

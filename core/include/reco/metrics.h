// Ranking metrics at a cut-off K with binary relevance.
//
// For one user with ranked list L (best first) and relevant set T (the user's test items):
//   precision@K = hits / K
//   recall@K    = hits / |T|
//   NDCG@K      = sum_{hit at rank r} 1/log2(r+1)  /  sum_{r=1}^{min(|T|,K)} 1/log2(r+1)
//   MAP@K       = sum_{hit at rank r} precision@r  /  min(|T|, K)
// where ranks are 1-based and only the first K entries of L count. Users with an empty T
// are not scored. Catalogue coverage@K is over a whole run: the share of candidate items
// that appear in at least one user's top K.
#pragma once

#include <cstdint>
#include <vector>

namespace reco {

struct UserMetrics {
  double precision = 0.0;
  double recall = 0.0;
  double ndcg = 0.0;
  double map = 0.0;
};

// `relevant` must be sorted ascending and free of duplicates; `ranked` may be shorter than k.
UserMetrics user_metrics(const std::vector<std::int32_t>& ranked, const std::vector<std::int32_t>& relevant, int k);

// Running means over users plus the coverage set.
class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(std::int32_t n_items) : recommended_(static_cast<std::size_t>(n_items), 0) {}

  void add(const std::vector<std::int32_t>& ranked, const std::vector<std::int32_t>& relevant, int k);

  int users() const { return users_; }
  UserMetrics mean() const;
  // Distinct recommended items divided by `n_candidates` (the items that could be shown).
  double coverage(std::int32_t n_candidates) const;

 private:
  UserMetrics sum_;
  int users_ = 0;
  std::vector<char> recommended_;
};

}  // namespace reco

#include "reco/metrics.h"

#include <algorithm>
#include <cmath>

namespace reco {

UserMetrics user_metrics(const std::vector<std::int32_t>& ranked, const std::vector<std::int32_t>& relevant, int k) {
  UserMetrics m;
  if (relevant.empty() || k <= 0) return m;
  const std::size_t depth = std::min(ranked.size(), static_cast<std::size_t>(k));
  int hits = 0;
  double dcg = 0.0, ap = 0.0;
  for (std::size_t r = 0; r < depth; ++r) {
    if (!std::binary_search(relevant.begin(), relevant.end(), ranked[r])) continue;
    ++hits;
    dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    ap += static_cast<double>(hits) / static_cast<double>(r + 1);
  }
  const std::size_t ideal_hits = std::min(relevant.size(), static_cast<std::size_t>(k));
  double idcg = 0.0;
  for (std::size_t r = 0; r < ideal_hits; ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  m.precision = static_cast<double>(hits) / k;
  m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  m.ndcg = dcg / idcg;
  m.map = ap / static_cast<double>(ideal_hits);
  return m;
}

void MetricsAccumulator::add(const std::vector<std::int32_t>& ranked, const std::vector<std::int32_t>& relevant, int k) {
  if (relevant.empty()) return;
  const UserMetrics m = user_metrics(ranked, relevant, k);
  sum_.precision += m.precision;
  sum_.recall += m.recall;
  sum_.ndcg += m.ndcg;
  sum_.map += m.map;
  ++users_;
  const std::size_t depth = std::min(ranked.size(), static_cast<std::size_t>(std::max(k, 0)));
  for (std::size_t r = 0; r < depth; ++r) {
    const auto i = static_cast<std::size_t>(ranked[r]);
    if (i < recommended_.size()) recommended_[i] = 1;
  }
}

UserMetrics MetricsAccumulator::mean() const {
  UserMetrics m;
  if (users_ == 0) return m;
  m.precision = sum_.precision / users_;
  m.recall = sum_.recall / users_;
  m.ndcg = sum_.ndcg / users_;
  m.map = sum_.map / users_;
  return m;
}

double MetricsAccumulator::coverage(std::int32_t n_candidates) const {
  if (n_candidates <= 0) return 0.0;
  const auto shown = std::count(recommended_.begin(), recommended_.end(), 1);
  return static_cast<double>(shown) / n_candidates;
}

}  // namespace reco

#include "reco/evaluate.h"

#include <algorithm>
#include <chrono>

#include "reco/top_k.h"

namespace reco {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

SplitResult evaluate_split(Recommender& model, const Split& split, std::int32_t n_users, std::int32_t n_items,
                           const EvalOptions& options, const ProgressFn& progress) {
  SplitResult result;
  result.name = split.name;
  const Interactions train = make_interactions(split.train, n_users, n_items, options.weighting);

  auto start = std::chrono::steady_clock::now();
  model.fit(train, progress);
  result.fit_seconds = seconds_since(start);
  result.model_bytes = model.model_bytes();
  if (!split.candidates.empty()) model.restrict_candidates(split.candidates);

  // Relevant sets: distinct test items per user that are not already in training
  // (those could never be recommended and would only lower every model alike).
  std::vector<std::vector<std::int32_t>> relevant(static_cast<std::size_t>(n_users));
  for (const Event& e : split.test) relevant[static_cast<std::size_t>(e.user)].push_back(e.item);

  start = std::chrono::steady_clock::now();
  MetricsAccumulator acc(n_items);
  std::vector<float> scores;
  std::vector<std::int32_t> history, ranked;
  for (std::int32_t u = 0; u < n_users; ++u) {
    auto& rel = relevant[static_cast<std::size_t>(u)];
    if (rel.empty()) continue;
    const CsrMatrix& ui = train.user_items;
    history.assign(ui.indices.begin() + ui.row_begin(u), ui.indices.begin() + ui.row_end(u));
    std::sort(rel.begin(), rel.end());
    rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
    rel.erase(std::remove_if(rel.begin(), rel.end(),
                             [&](std::int32_t i) { return std::binary_search(history.begin(), history.end(), i); }),
              rel.end());
    if (rel.empty()) continue;
    model.score_user(u, scores);
    const auto best = top_k(scores, options.k, history, split.candidates);
    ranked.clear();
    for (const auto& s : best) ranked.push_back(s.item);
    acc.add(ranked, rel, options.k);
  }
  result.recommend_seconds = seconds_since(start);
  result.mean = acc.mean();
  result.users = acc.users();
  result.candidates = split.candidates.empty() ? n_items : static_cast<int>(split.candidates.size());
  result.coverage = acc.coverage(result.candidates);
  return result;
}

}  // namespace reco

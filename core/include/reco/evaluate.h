// Offline evaluation of a Recommender on one split: fit on the training side, rank the
// candidates for every user with at least one test item (the user's training items
// excluded), and average the metrics of metrics.h.
#pragma once

#include <string>

#include "reco/metrics.h"
#include "reco/recommender.h"
#include "reco/split.h"

namespace reco {

struct EvalOptions {
  int k = 10;                              // cut-off K
  Weighting weighting = Weighting::Binary;  // how training events become matrix values
};

struct SplitResult {
  std::string name;             // split (fold) name
  UserMetrics mean;             // averaged over `users`
  double coverage = 0.0;        // catalogue coverage@K over the candidates
  int users = 0;                // users with at least one test item
  int candidates = 0;           // items that could be recommended
  double fit_seconds = 0.0;     // wall time of fit()
  double recommend_seconds = 0.0;  // wall time of scoring + top-K for all users
  std::int64_t model_bytes = 0;    // Recommender::model_bytes() after the fit
};

SplitResult evaluate_split(Recommender& model, const Split& split, std::int32_t n_users, std::int32_t n_items,
                           const EvalOptions& options, const ProgressFn& progress = {});

}  // namespace reco

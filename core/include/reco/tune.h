// Hyperparameter search scored on validation data only.
//
// Each outer split's training side is split again (validation_split): the model is fit
// on what remains and scored on the carved-out part, so the outer test side is never
// seen. A configuration's score is its mean NDCG@K over the outer splits' validations.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "reco/evaluate.h"
#include "reco/model_config.h"
#include "reco/random.h"
#include "reco/split.h"

namespace reco {

// The validation split carved from `outer.train`: a per-user holdout of `fraction`
// for ordinary splits, or a seeded fraction of the training items held out as cold
// items when `outer` is an item cold-start split.
Split validation_split(const Split& outer, double fraction, std::uint64_t seed);

// Draws a configuration for `base.model` from its documented search space:
//   als: factors {16,32,64,128}, reg log-uniform [0.01, 1000], alpha log-uniform [0.5, 100],
//        iterations {10, 15, 20}
//   bpr: factors {16,32,64,128}, learning_rate log-uniform [0.005, 0.2],
//        reg log-uniform [1e-5, 0.1], epochs {25, 50, 100, 200}
//   knn: neighbours {10,20,50,100,200,400}, shrinkage {0,1,5,10,25,50,100,200}
//   ease: lambda log-uniform [1, 10000] (top_n is a size/accuracy choice, not searched)
//   content, content-factor: epochs {10,20,30,50}, learning_rate log-uniform [0.001, 0.03],
//        temperature {0.05,0.1,0.2}, neighbours {5,10,20,50}, max_n {0,5} (character
//        n-grams off or 3..5), self_pairs {0, 0.25, 0.5}; content-factor also map_reg
//        log-uniform [0.01, 100]
//        (the encoder's shape and the ALS factors it maps into keep base's values)
//   hybrid: fusion_t over kFusionGrid, every value scored on one fit per validation
//        split (run by random_search; the budget does not apply), then the learned
//        fusion weights (fusion.h) fitted on the pooled validation users of those same
//        fits, with T kept at base's value; the ALS, EASE and content parameters keep
//        base's values (tune them as als, ease and content-factor)
//   pop, tfidf, random: nothing to tune
// Fields outside the space (seed, threads, cg_steps, weighting) keep base's values.
ModelConfig sample_config(const ModelConfig& base, Rng& rng);

// The fusion constants T the hybrid's search scores (|history| at which CF takes over).
constexpr float kFusionGrid[] = {1, 2, 3, 5, 8, 13, 20, 35, 50, 100, 200, 500, 1000};

struct Trial {
  ModelConfig config;
  UserMetrics mean;     // averaged over the validation splits
  double seconds = 0;   // fit + score time of all validation splits
};

struct SearchOptions {
  int budget = 20;               // configurations tried (the first is `base` itself)
  std::uint64_t seed = 42;       // seeds both the sampling and the validation carving
  double validation_fraction = 0.2;
  // hybrid: after the T sweep, also learn the fusion weights of every signal (fusion.h)
  // and score them as one more trial (the last).
  bool learn_fusion = true;
  EvalOptions eval;
};

// Runs the search; `on_trial(index, trial)` is called after each configuration.
// Returns the trials in the order run.
std::vector<Trial> random_search(const ModelConfig& base, const std::vector<Split>& outer, std::int32_t n_users,
                                 std::int32_t n_items, const SearchOptions& options,
                                 const std::function<void(int, const Trial&)>& on_trial = {},
                                 const Dataset* catalog = nullptr);

// The trial with the highest NDCG@K (earliest on ties).
const Trial& best_trial(const std::vector<Trial>& trials);

}  // namespace reco

#include "reco/tune.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "reco/error.h"
#include "reco/random.h"

namespace reco {
namespace {

double log_uniform(Rng& rng, double lo, double hi) {
  return std::exp(std::log(lo) + rng.uniform() * (std::log(hi) - std::log(lo)));
}

template <typename T, std::size_t N>
T pick(Rng& rng, const T (&choices)[N]) {
  return choices[rng.below(N)];
}

// The hybrid's fusion constant only changes scoring, so each validation split is fitted
// once and every T on the grid is scored on that one fit.
std::vector<Trial> fusion_sweep(const ModelConfig& base, const std::vector<Split>& validations, std::int32_t n_users,
                                std::int32_t n_items, const SearchOptions& options,
                                const std::function<void(int, const Trial&)>& on_trial, const Dataset* catalog) {
  if (!catalog) throw ParamError("model", "hybrid needs the item catalog");
  std::vector<Trial> trials;
  for (float t : kFusionGrid) {
    Trial trial;
    trial.config = base;
    trial.config.hybrid.fusion_t = t;
    trials.push_back(trial);
  }
  // The base's learned weights are set aside while T is swept (they would override it).
  ModelConfig plain = base;
  plain.hybrid.fusion = FusionWeights{};
  std::vector<HybridModel> fits;
  std::vector<FusionSample> samples;
  double fit_total = 0.0;
  for (const Split& v : validations) {
    const Interactions train = make_interactions(v.train, n_users, n_items, options.eval.weighting);
    const auto start = std::chrono::steady_clock::now();
    HybridModel fitted = train_hybrid(train, *catalog, plain.hybrid_config());
    const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fit_total += fit_s;
    std::vector<FusionSample> vs = fusion_samples(fitted, train, v);
    samples.insert(samples.end(), std::make_move_iterator(vs.begin()), std::make_move_iterator(vs.end()));
    for (Trial& trial : trials) {
      HybridRecommender model(fitted, "hybrid");
      model.set_fusion_t(trial.config.hybrid.fusion_t);
      const SplitResult r = evaluate_split(model, v, n_users, n_items, options.eval);
      trial.mean.precision += r.mean.precision;
      trial.mean.recall += r.mean.recall;
      trial.mean.ndcg += r.mean.ndcg;
      trial.mean.map += r.mean.map;
      trial.seconds += r.recommend_seconds + fit_s / static_cast<double>(trials.size());
    }
    fits.push_back(std::move(fitted));
  }
  // Learned fusion: the weights of every signal per history bucket, fitted on the pooled
  // validation users (warm rows on ordinary splits, cold rows on item cold-start splits;
  // the other rows keep base's values), then scored on the same validation splits.
  if (options.learn_fusion) {
    FusionLearnOptions lo;
    lo.k = options.eval.k;
    const bool cold = !validations.front().candidates.empty();
    lo.learn_warm = !cold;
    lo.learn_cold = cold;
    const auto start = std::chrono::steady_clock::now();
    const FusionFit fit = learn_fusion(samples, base.hybrid.fusion, lo);
    Trial trial;
    trial.config = base;
    // T still serves text queries: keep the sweep's best (sums rank like means).
    const auto best_t = std::max_element(trials.begin(), trials.end(), [](const Trial& a, const Trial& b) { return a.mean.ndcg < b.mean.ndcg; });
    trial.config.hybrid.fusion_t = best_t->config.hybrid.fusion_t;
    trial.config.hybrid.fusion = fit.weights;
    trial.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() + fit_total;
    for (std::size_t f = 0; f < fits.size(); ++f) {
      HybridModel m = fits[f];
      m.params.fusion = fit.weights;
      HybridRecommender model(std::move(m), "hybrid");
      const SplitResult r = evaluate_split(model, validations[f], n_users, n_items, options.eval);
      trial.mean.precision += r.mean.precision;
      trial.mean.recall += r.mean.recall;
      trial.mean.ndcg += r.mean.ndcg;
      trial.mean.map += r.mean.map;
      trial.seconds += r.recommend_seconds;
    }
    trials.push_back(trial);
  }
  const double n = static_cast<double>(validations.size());
  for (std::size_t t = 0; t < trials.size(); ++t) {
    UserMetrics& m = trials[t].mean;
    m = {m.precision / n, m.recall / n, m.ndcg / n, m.map / n};
    if (on_trial) on_trial(static_cast<int>(t), trials[t]);
  }
  return trials;
}

}  // namespace

Split validation_split(const Split& outer, double fraction, std::uint64_t seed) {
  Split v;
  if (outer.candidates.empty()) {
    v = holdout_split(outer.train, fraction, seed);
  } else {
    v = cold_item_split(outer.train, sample_items(outer.train, fraction, seed));
  }
  v.name = outer.name + "/validation";
  return v;
}

ModelConfig sample_config(const ModelConfig& base, Rng& rng) {
  static const int kFactors[] = {16, 32, 64, 128};
  ModelConfig c = base;
  if (c.model == "als") {
    static const int kIters[] = {10, 15, 20};
    c.als.factors = pick(rng, kFactors);
    c.als.reg = static_cast<float>(log_uniform(rng, 0.01, 1000.0));
    c.als.alpha = static_cast<float>(log_uniform(rng, 0.5, 100.0));
    c.als.iterations = pick(rng, kIters);
  } else if (c.model == "bpr") {
    static const int kEpochs[] = {25, 50, 100, 200};
    c.bpr.factors = pick(rng, kFactors);
    c.bpr.learning_rate = static_cast<float>(log_uniform(rng, 0.005, 0.2));
    c.bpr.reg = static_cast<float>(log_uniform(rng, 1e-5, 0.1));
    c.bpr.epochs = pick(rng, kEpochs);
  } else if (c.model == "knn") {
    static const int kNeighbours[] = {10, 20, 50, 100, 200, 400};
    static const float kShrinkage[] = {0.0f, 1.0f, 5.0f, 10.0f, 25.0f, 50.0f, 100.0f, 200.0f};
    c.knn.neighbours = pick(rng, kNeighbours);
    c.knn.shrinkage = pick(rng, kShrinkage);
  } else if (c.model == "ease") {
    c.ease.lambda = static_cast<float>(log_uniform(rng, 1.0, 10000.0));
  } else if (c.model == "content" || c.model == "content-factor") {
    static const int kEpochs[] = {10, 20, 30, 50};
    static const float kTemperature[] = {0.05f, 0.1f, 0.2f};
    static const int kNeighbours[] = {5, 10, 20, 50};
    static const int kMaxN[] = {0, 5};
    c.content.training.epochs = pick(rng, kEpochs);
    c.content.training.learning_rate = static_cast<float>(log_uniform(rng, 0.001, 0.03));
    c.content.training.temperature = pick(rng, kTemperature);
    c.content.neighbours = pick(rng, kNeighbours);
    c.content.max_n = pick(rng, kMaxN);
    static const float kSelfPairs[] = {0.0f, 0.25f, 0.5f};
    c.content.training.self_pairs = pick(rng, kSelfPairs);
    if (c.model == "content-factor") c.content.map_reg = static_cast<float>(log_uniform(rng, 0.01, 100.0));
  }
  return c;
}

std::vector<Trial> random_search(const ModelConfig& base, const std::vector<Split>& outer, std::int32_t n_users,
                                 std::int32_t n_items, const SearchOptions& options,
                                 const std::function<void(int, const Trial&)>& on_trial, const Dataset* catalog) {
  if (options.budget < 1) throw ParamError("budget", "must be >= 1, got " + std::to_string(options.budget));
  if (outer.empty()) throw ParamError("split", "no split to carve validation data from");
  std::vector<Split> validations;
  for (std::size_t s = 0; s < outer.size(); ++s)
    validations.push_back(validation_split(outer[s], options.validation_fraction, options.seed + s));

  if (base.model == "hybrid") return fusion_sweep(base, validations, n_users, n_items, options, on_trial, catalog);

  Rng rng(options.seed);
  const int budget = base.model == "pop" || base.model == "tfidf" || base.model == "random" ? 1 : options.budget;
  std::vector<Trial> trials;
  for (int t = 0; t < budget; ++t) {
    Trial trial;
    trial.config = t == 0 ? base : sample_config(base, rng);
    UserMetrics sum;
    for (const Split& v : validations) {
      auto model = make_model(trial.config, catalog);
      const SplitResult r = evaluate_split(*model, v, n_users, n_items, options.eval);
      sum.precision += r.mean.precision;
      sum.recall += r.mean.recall;
      sum.ndcg += r.mean.ndcg;
      sum.map += r.mean.map;
      trial.seconds += r.fit_seconds + r.recommend_seconds;
    }
    const double n = static_cast<double>(validations.size());
    trial.mean = {sum.precision / n, sum.recall / n, sum.ndcg / n, sum.map / n};
    trials.push_back(trial);
    if (on_trial) on_trial(t, trials.back());
  }
  return trials;
}

const Trial& best_trial(const std::vector<Trial>& trials) {
  if (trials.empty()) throw std::logic_error("best_trial: no trials");
  std::size_t best = 0;
  for (std::size_t t = 1; t < trials.size(); ++t)
    if (trials[t].mean.ndcg > trials[best].mean.ndcg) best = t;
  return trials[best];
}

}  // namespace reco

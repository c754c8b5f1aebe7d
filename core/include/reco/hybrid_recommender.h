// Training the hybrid model, and the hybrid ranker behind the Recommender interface so
// `reco eval` and `reco tune` treat it like any other model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reco/content_model.h"
#include "reco/ease.h"
#include "reco/hybrid_model.h"
#include "reco/recommender.h"
#include "reco/split.h"

namespace reco {

struct HybridConfig {
  AlsParams als;          // the collaborative factors
  ContentParams content;  // the encoder and the content-to-factor map (its `als` is ignored: `als` above is used)
  HybridParams hybrid;
  // EASE weights for the ease signal (absent: none). top_n 0 takes bundle_ease_top_n().
  std::optional<EaseParams> ease;
  void validate() const;
};

// Trains ALS and the content encoder on `train` and assembles a model over the whole
// catalog (`catalog` supplies ids and metadata; its item count must match `train`'s).
// Items without training interactions take their factor from the content-to-factor map.
HybridModel train_hybrid(const Interactions& train, const Dataset& catalog, const HybridConfig& config,
                         const ProgressFn& progress = {});

// The fusion learner's samples for `split` (fusion.h): every user with held-out items not
// in their training history and a non-empty one, ranked by `model` from the history in
// `train` (the split's training side as a matrix); a cold split's candidates become the
// allow list. Relevance is as in evaluate_split.
std::vector<FusionSample> fusion_samples(const HybridModel& model, const Interactions& train, const Split& split);

class HybridRecommender : public Recommender {
 public:
  HybridRecommender(const Dataset& catalog, HybridConfig config);
  // Serves an already assembled model (a loaded bundle); fit() then only records the
  // training histories it scores users from, and never retrains.
  HybridRecommender(HybridModel model, std::string name);

  std::string name() const override { return name_; }
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  // Scores of the ranker's candidates for the user's training history; every other
  // item gets -infinity, so it ranks below every candidate.
  void score_user(std::int32_t user, std::vector<float>& scores) const override;
  void restrict_candidates(const std::vector<std::int32_t>& items) override { allow_ = items; }
  std::int64_t model_bytes() const override;

  const HybridModel& model() const { return *model_; }
  // Sets the fusion constant T without refitting (tuning sweeps it on one fit).
  void set_fusion_t(float t);

 private:
  const Dataset* catalog_ = nullptr;
  HybridConfig config_;
  std::string name_ = "hybrid";
  bool trained_ = false;
  std::optional<HybridModel> model_;
  CsrMatrix user_items_;
  std::vector<std::int32_t> allow_;
};

}  // namespace reco

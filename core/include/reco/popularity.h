// The popularity baseline: every user gets the same ranking, the items most users
// interacted with first. Any personalised model should beat it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/recommender.h"

namespace reco {

class Popularity : public Recommender {
 public:
  std::string name() const override { return "pop"; }

  // Counts, per item, the training users whose row holds it (the nonzeros of the item's
  // column); values are ignored, so a rating of 1 counts as much as a 5.
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;

  // Writes the item counts as scores; the same vector for every user. `user` must be a
  // training user (std::out_of_range otherwise) so that mistakes surface here as in
  // the personalised models.
  void score_user(std::int32_t user, std::vector<float>& scores) const override;

  // Number of training users per item, indexed by item; empty before fit().
  const std::vector<std::int32_t>& counts() const { return counts_; }

 private:
  std::int32_t n_users_ = 0;
  std::vector<std::int32_t> counts_;
};

}  // namespace reco

// The chance baseline: every item gets a uniform random score, drawn from a generator
// seeded by (seed, user) so that a user's ranking is reproducible on every platform.
// Any model worth shipping must beat it, and on cold-item splits it shows what an
// uninformed ranking of the candidates scores.
#pragma once

#include <cstdint>

#include "reco/recommender.h"

namespace reco {

class RandomModel : public Recommender {
 public:
  explicit RandomModel(std::uint64_t seed = 42) : seed_(seed) {}
  std::string name() const override { return "random"; }
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  void score_user(std::int32_t user, std::vector<float>& scores) const override;

 private:
  std::uint64_t seed_;
  std::int32_t n_users_ = 0;
  std::int32_t n_items_ = 0;
};

}  // namespace reco

// The common face of every collaborative model: fit on a user x item matrix, then score
// all items for a known user. Ranking and evaluation only go through this interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "reco/dataset.h"

namespace reco {

// Progress reports for long fits: (stage, done, total). May be empty.
using ProgressFn = std::function<void(const std::string& stage, int done, int total)>;

class Recommender {
 public:
  virtual ~Recommender() = default;

  // Short model name as used on the command line ("als", "bpr", ...).
  virtual std::string name() const = 0;

  // Trains on `train`. May be called again to retrain from scratch.
  virtual void fit(const Interactions& train, const ProgressFn& progress = {}) = 0;

  // Writes a score for every item (scores.size() == n_items) for training user `user`.
  // Higher is better. Items in the user's history are scored like any other; excluding
  // them is the ranking step's job.
  virtual void score_user(std::int32_t user, std::vector<float>& scores) const = 0;

  // Evaluation will rank only `items` (an item cold-start split's candidates). Models
  // that choose their own candidates use it as an allow list; others ignore it.
  virtual void restrict_candidates(const std::vector<std::int32_t>& items) { (void)items; }

  // Bytes of the parameters a client needs to score a new user from a history (what a
  // model bundle would ship), or 0 when the model does not report it.
  virtual std::int64_t model_bytes() const { return 0; }
};

}  // namespace reco

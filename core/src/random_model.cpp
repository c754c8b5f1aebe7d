#include "reco/random_model.h"

#include <string>

#include "reco/error.h"
#include "reco/random.h"

namespace reco {

void RandomModel::fit(const Interactions& train, const ProgressFn& progress) {
  n_users_ = train.n_users();
  n_items_ = train.n_items();
  if (progress) progress("random", 1, 1);
}

void RandomModel::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= n_users_) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  // A distinct, well-mixed stream per user: the golden-ratio step spreads nearby users.
  Rng rng(seed_ ^ (0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(user) + 1)));
  scores.resize(static_cast<std::size_t>(n_items_));
  for (auto& s : scores) s = static_cast<float>(rng.uniform());
}

}  // namespace reco

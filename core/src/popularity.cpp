#include "reco/popularity.h"

#include <stdexcept>

namespace reco {

void Popularity::fit(const Interactions& train, const ProgressFn& progress) {
  const CsrMatrix& by_item = train.item_users;
  if (by_item.rows != train.n_items() || by_item.cols != train.n_users())
    throw std::invalid_argument("Popularity::fit: item_users is " + std::to_string(by_item.rows) + "x" +
                                std::to_string(by_item.cols) + ", expected the transpose of user_items (" +
                                std::to_string(train.n_users()) + "x" + std::to_string(train.n_items()) + ")");
  n_users_ = train.n_users();
  counts_.assign(static_cast<std::size_t>(by_item.rows), 0);
  for (std::int32_t i = 0; i < by_item.rows; ++i) counts_[static_cast<std::size_t>(i)] = by_item.row_size(i);
  if (progress) progress("pop", 1, 1);
}

void Popularity::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= n_users_)
    throw std::out_of_range("Popularity::score_user: user " + std::to_string(user) + " outside [0, " +
                            std::to_string(n_users_) + ")");
  scores.resize(counts_.size());
  // Counts below 2^24 convert to float exactly, so ties stay ties.
  for (std::size_t i = 0; i < counts_.size(); ++i) scores[i] = static_cast<float>(counts_[i]);
}

}  // namespace reco

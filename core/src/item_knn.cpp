#include "reco/item_knn.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "reco/error.h"

namespace reco {

ItemKnn::ItemKnn(const ItemKnnParams& params) : params_(params) {
  if (params.neighbours < 1)
    throw ParamError("neighbours", "must be >= 1, got " + std::to_string(params.neighbours));
  if (!(params.shrinkage >= 0.0f) || !std::isfinite(params.shrinkage))
    throw ParamError("shrinkage", "must be a finite number >= 0, got " + std::to_string(params.shrinkage));
}

void ItemKnn::fit(const Interactions& train, const ProgressFn& progress) {
  const CsrMatrix& by_user = train.user_items;
  const CsrMatrix& by_item = train.item_users;
  if (by_item.rows != by_user.cols || by_item.cols != by_user.rows || by_item.nnz() != by_user.nnz())
    throw std::invalid_argument("ItemKnn::fit: item_users (" + std::to_string(by_item.rows) + "x" +
                                std::to_string(by_item.cols) + ") is not the transpose of user_items (" +
                                std::to_string(by_user.rows) + "x" + std::to_string(by_user.cols) + ")");
  n_users_ = by_user.rows;
  n_items_ = by_user.cols;
  user_items_ = by_user;
  const auto n = static_cast<std::size_t>(n_items_);

  // Column norms |i| = sqrt(sum_u r_ui^2). Sums in double: co-occurrence counts of
  // popular items exceed float's exact integer range only far beyond MovieLens, but
  // weighted values lose digits sooner.
  std::vector<double> norm(n, 0.0);
  for (std::int32_t i = 0; i < n_items_; ++i) {
    double s = 0.0;
    for (std::int64_t e = by_item.row_begin(i); e < by_item.row_end(i); ++e) {
      const double v = by_item.values[static_cast<std::size_t>(e)];
      s += v * v;
    }
    norm[static_cast<std::size_t>(i)] = std::sqrt(s);
  }

  // One item at a time: dot(i, j) for all j at once by walking i's users and their rows
  // into a dense accumulator; `touched` lists the nonzero slots so that clearing costs
  // what filling did, not n_items.
  std::vector<double> acc(n, 0.0);
  std::vector<char> seen(n, 0);
  std::vector<std::int32_t> touched;
  std::vector<ScoredItem> candidates;
  const double shrink = params_.shrinkage;
  const auto keep = static_cast<std::size_t>(params_.neighbours);
  // Total order (higher similarity, then smaller index) so the cut is the same on every
  // platform and std::partial_sort's instability cannot show.
  auto better = [](const ScoredItem& a, const ScoredItem& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.item < b.item;
  };
  neighbours_.assign(n, {});
  const int report_every = std::max(1, n_items_ / 100);
  for (std::int32_t i = 0; i < n_items_; ++i) {
    touched.clear();
    for (std::int64_t e = by_item.row_begin(i); e < by_item.row_end(i); ++e) {
      const std::int32_t u = by_item.indices[static_cast<std::size_t>(e)];
      const double r_ui = by_item.values[static_cast<std::size_t>(e)];
      for (std::int64_t f = by_user.row_begin(u); f < by_user.row_end(u); ++f) {
        const auto j = static_cast<std::size_t>(by_user.indices[static_cast<std::size_t>(f)]);
        if (!seen[j]) {
          seen[j] = 1;
          touched.push_back(static_cast<std::int32_t>(j));
        }
        acc[j] += r_ui * static_cast<double>(by_user.values[static_cast<std::size_t>(f)]);
      }
    }
    candidates.clear();
    const double norm_i = norm[static_cast<std::size_t>(i)];
    for (std::int32_t j : touched) {
      const auto ju = static_cast<std::size_t>(j);
      const double d = acc[ju];
      acc[ju] = 0.0;
      seen[ju] = 0;
      if (j == i || d == 0.0) continue;
      const double denom = norm_i * norm[ju] + shrink;
      // denom is 0 only with shrinkage 0 and a zero-norm column, whose dots are all 0.
      candidates.push_back({j, static_cast<float>(d / denom)});
    }
    if (candidates.size() > keep) {
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                        better);
      candidates.resize(keep);
    } else {
      std::sort(candidates.begin(), candidates.end(), better);
    }
    neighbours_[static_cast<std::size_t>(i)] = candidates;
    if (progress && ((i + 1) % report_every == 0 || i + 1 == n_items_)) progress("knn", i + 1, n_items_);
  }
}

void ItemKnn::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= n_users_)
    throw std::out_of_range("ItemKnn::score_user: user " + std::to_string(user) + " outside [0, " +
                            std::to_string(n_users_) + ")");
  const auto begin = static_cast<std::size_t>(user_items_.row_begin(user));
  accumulate(user_items_.indices.data() + begin, user_items_.values.data() + begin,
             static_cast<std::size_t>(user_items_.row_size(user)), scores);
}

void ItemKnn::score_history(const std::vector<std::int32_t>& items, const std::vector<float>& strengths,
                            std::vector<float>& scores) const {
  if (!strengths.empty() && strengths.size() != items.size())
    throw std::invalid_argument("ItemKnn::score_history: " + std::to_string(items.size()) + " items but " +
                                std::to_string(strengths.size()) + " strengths");
  accumulate(items.data(), strengths.empty() ? nullptr : strengths.data(), items.size(), scores);
}

void ItemKnn::accumulate(const std::int32_t* items, const float* strengths, std::size_t count,
                         std::vector<float>& scores) const {
  // Validate first so that a bad history leaves `scores` untouched by partial sums.
  for (std::size_t h = 0; h < count; ++h) {
    if (items[h] < 0 || items[h] >= n_items_)
      throw std::out_of_range("ItemKnn::score_history: item " + std::to_string(items[h]) + " (history position " +
                              std::to_string(h) + ") outside [0, " + std::to_string(n_items_) + ")");
  }
  scores.assign(static_cast<std::size_t>(n_items_), 0.0f);
  // History order fixes the summation order, so equal inputs give equal bits.
  for (std::size_t h = 0; h < count; ++h) {
    const float s = strengths ? strengths[h] : 1.0f;
    for (const ScoredItem& nb : neighbours_[static_cast<std::size_t>(items[h])])
      scores[static_cast<std::size_t>(nb.item)] += nb.score * s;
  }
}

}  // namespace reco

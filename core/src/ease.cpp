#include "reco/ease.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "reco/error.h"

namespace reco {

void EaseParams::validate() const {
  if (!(lambda > 0.0f) || !std::isfinite(lambda)) throw ParamError("lambda", "must be a finite number > 0");
  if (top_n < 0) throw ParamError("ease-top", "must be >= 0 (0 keeps the dense matrix), got " + std::to_string(top_n));
  if (max_items < 1) throw ParamError("ease-max-items", "must be >= 1, got " + std::to_string(max_items));
}

std::int64_t SparseItemMatrix::bytes() const {
  return static_cast<std::int64_t>(indices.size()) * 4 + static_cast<std::int64_t>(values.size()) +
         static_cast<std::int64_t>(scales.size()) * 4 + static_cast<std::int64_t>(indptr.size()) * 8;
}

SparseItemMatrix sparsify_rows(const Eigen::MatrixXf& dense, int top_n) {
  SparseItemMatrix s;
  s.rows = static_cast<std::int32_t>(dense.rows());
  s.indptr.assign(static_cast<std::size_t>(s.rows) + 1, 0);
  s.scales.assign(static_cast<std::size_t>(s.rows), 0.0f);
  const auto cols = static_cast<std::int32_t>(dense.cols());
  std::vector<std::int32_t> order(static_cast<std::size_t>(cols));
  for (std::int32_t r = 0; r < s.rows; ++r) {
    std::iota(order.begin(), order.end(), 0);
    const auto keep = static_cast<std::size_t>(std::min(top_n, cols));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                      [&](std::int32_t a, std::int32_t b) {
                        const float x = std::abs(dense(r, a)), y = std::abs(dense(r, b));
                        return x != y ? x > y : a < b;
                      });
    std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep));
    float max_abs = 0.0f;
    for (std::size_t k = 0; k < keep; ++k) max_abs = std::max(max_abs, std::abs(dense(r, order[k])));
    const float scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
    s.scales[static_cast<std::size_t>(r)] = scale;
    for (std::size_t k = 0; k < keep; ++k) {
      const float v = dense(r, order[k]);
      if (v == 0.0f) continue;
      const auto q = static_cast<std::int8_t>(std::lround(std::clamp(v / scale, -127.0f, 127.0f)));
      if (q == 0) continue;  // below the row's resolution: dropping it changes no score
      s.indices.push_back(order[k]);
      s.values.push_back(q);
    }
    s.indptr[static_cast<std::size_t>(r) + 1] = static_cast<std::int64_t>(s.indices.size());
  }
  return s;
}

Ease::Ease(EaseParams params) : params_(params) { params_.validate(); }

void Ease::fit(const Interactions& train, const ProgressFn& progress) {
  const std::int32_t n = train.n_items();
  if (n > params_.max_items)
    throw ParamError("ease-max-items", "the catalog has " + std::to_string(n) + " items, above the dense EASE limit of " +
                                           std::to_string(params_.max_items) + " (the solve needs about " +
                                           std::to_string(8LL * n * n / (1 << 20)) + " MiB); use ALS for this catalog");
  user_items_ = train.user_items;
  // Gram matrix G = X'X accumulated user by user from the sparse rows: O(sum |I_u|^2).
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(n, n);
  const CsrMatrix& m = train.user_items;
  for (std::int32_t u = 0; u < m.rows; ++u) {
    for (std::int64_t a = m.row_begin(u); a < m.row_end(u); ++a)
      for (std::int64_t b = m.row_begin(u); b < m.row_end(u); ++b) g(m.indices[a], m.indices[b]) += m.values[a] * m.values[b];
  }
  if (progress) progress("ease gram", 1, 3);
  g.diagonal().array() += params_.lambda;
  // P = G^-1 through a Cholesky factorisation (G + lambda I is symmetric positive definite).
  Eigen::LLT<Eigen::MatrixXf> llt(g);
  g.setIdentity();
  llt.solveInPlace(g);
  if (progress) progress("ease solve", 2, 3);
  // B = -P / diag(P) column-wise, zero diagonal.
  const Eigen::VectorXf inv_diag = g.diagonal().cwiseInverse();
  weights_ = -(g * inv_diag.asDiagonal());
  weights_.diagonal().setZero();
  if (params_.top_n > 0) {
    sparse_ = sparsify_rows(weights_, params_.top_n);
    weights_.resize(0, 0);
  } else {
    sparse_ = SparseItemMatrix{};
  }
  if (progress) progress("ease", 3, 3);
}

void Ease::score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                         std::vector<float>& scores) const {
  if (items.size() != values.size()) throw ParamError("values", "history has " + std::to_string(items.size()) + " items but " + std::to_string(values.size()) + " values");
  const std::int32_t n = params_.top_n > 0 ? sparse_.rows : static_cast<std::int32_t>(weights_.rows());
  scores.assign(static_cast<std::size_t>(n), 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const std::int32_t h = items[k];
    if (h < 0 || h >= n) throw ParamError("item", "index " + std::to_string(h) + " is outside the catalog");
    if (params_.top_n > 0) {
      const float w = values[k] * sparse_.scales[static_cast<std::size_t>(h)];
      for (std::int64_t e = sparse_.indptr[static_cast<std::size_t>(h)]; e < sparse_.indptr[static_cast<std::size_t>(h) + 1]; ++e)
        scores[static_cast<std::size_t>(sparse_.indices[e])] += w * sparse_.values[e];
    } else {
      Eigen::Map<Eigen::VectorXf>(scores.data(), n) += values[k] * weights_.row(h).transpose();
    }
  }
}

void Ease::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= user_items_.rows) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  score_history(user_items_.row_indices(user), user_items_.row_values(user), scores);
}

std::int64_t Ease::model_bytes() const {
  return params_.top_n > 0 ? sparse_.bytes() : 4LL * weights_.rows() * weights_.cols();
}

}  // namespace reco

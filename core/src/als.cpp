#include "reco/als.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "reco/error.h"
#include "reco/parallel.h"
#include "reco/random.h"

namespace reco {
namespace {

using RowVector = Eigen::Map<const Eigen::VectorXf>;

// Sixteen floats as one vector (GCC and Clang vector extensions: lane by lane arithmetic,
// so the same results as scalars; one AVX-512 register natively where there is one, four
// SIMD128 registers in WebAssembly).
typedef float Float16 __attribute__((vector_size(64)));

Float16 load16(const float* p) {
  Float16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// For NC columns of A (column j at a + j * a_stride) and 16 rows from `row`:
// a[j][row + t] += w[k * w_stride + j] * ys[k][row + t] for k = 0 .. h-1 in order, with the
// NC x 16 sums held in registers for the whole history.
template <int NC>
void update_rows(float* a, Eigen::Index a_stride, const float* const* ys, Eigen::Index h, Eigen::Index row, const float* w, Eigen::Index w_stride) {
  Float16 acc[NC];
  for (int j = 0; j < NC; ++j) acc[j] = load16(a + j * a_stride);
  for (Eigen::Index k = 0; k < h; ++k) {
    const Float16 y = load16(ys[k] + row);
    const float* wk = w + k * w_stride;
    for (int j = 0; j < NC; ++j) acc[j] += wk[j] * y;
  }
  for (int j = 0; j < NC; ++j) std::memcpy(a + j * a_stride, &acc[j], sizeof(Float16));
}

Eigen::MatrixXf gram(const FactorMatrix& m) {
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(m.cols(), m.cols());
  g.selfadjointView<Eigen::Lower>().rankUpdate(m.transpose());
  return g.selfadjointView<Eigen::Lower>();
}

// Solves for every row of `target` given the fixed factors `other`:
//   (G + sum_j (c_j - 1) y_j y_j' ) x = sum_j c_j y_j,  G = Y'Y + reg I,
// by `steps` conjugate-gradient iterations starting from the current row. CG on a
// positive definite system never increases the quadratic objective, so neither does
// the half step.
void solve_rows(const CsrMatrix& m, const FactorMatrix& other, const AlsParams& p, FactorMatrix& target) {
  const int f = p.factors;
  Eigen::MatrixXf g = gram(other);
  g.diagonal().array() += p.reg;
  parallel_for(m.rows, p.threads, [&](int begin, int end) {
    Eigen::VectorXf r(f), dir(f), ad(f);
    for (int row = begin; row < end; ++row) {
      Eigen::Map<Eigen::VectorXf> x(target.row(row).data(), f);
      const std::int64_t b = m.row_begin(row), e = m.row_end(row);
      // Residual r = b - A x.
      r.noalias() = -(g * x);
      for (std::int64_t k = b; k < e; ++k) {
        const RowVector y(other.row(m.indices[k]).data(), f);
        const float c = 1.0f + p.alpha * m.values[k];
        r += (c - (c - 1.0f) * y.dot(x)) * y;
      }
      dir = r;
      float rs_old = r.squaredNorm();
      for (int step = 0; step < p.cg_steps; ++step) {
        if (rs_old < 1e-20f) break;
        ad.noalias() = g * dir;
        for (std::int64_t k = b; k < e; ++k) {
          const RowVector y(other.row(m.indices[k]).data(), f);
          ad += (p.alpha * m.values[k] * y.dot(dir)) * y;
        }
        const float step_size = rs_old / dir.dot(ad);
        x += step_size * dir;
        r -= step_size * ad;
        const float rs_new = r.squaredNorm();
        dir = r + (rs_new / rs_old) * dir;
        rs_old = rs_new;
      }
    }
  });
}

void random_factors(FactorMatrix& m, Rng& rng) {
  // Small values keep the first solves well inside the region where CG converges fast;
  // scaling by 1/sqrt(f) keeps initial scores O(0.01) for any f.
  const double scale = 0.1 / std::sqrt(static_cast<double>(m.cols()));
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal() * scale);
}

}  // namespace

void AlsParams::validate() const {
  if (factors < 1 || factors > 4096) throw ParamError("factors", "must be in [1, 4096], got " + std::to_string(factors));
  if (iterations < 0) throw ParamError("iters", "must be >= 0, got " + std::to_string(iterations));
  if (!(reg >= 0.0f) || !std::isfinite(reg)) throw ParamError("reg", "must be a finite number >= 0");
  if (!(alpha >= 0.0f) || !std::isfinite(alpha)) throw ParamError("alpha", "must be a finite number >= 0");
  if (cg_steps < 1) throw ParamError("cg-steps", "must be >= 1, got " + std::to_string(cg_steps));
  if (threads < 1) throw ParamError("threads", "must be >= 1, got " + std::to_string(threads));
}

Als::Als(AlsParams params) : params_(params) { params_.validate(); }

void Als::fit(const Interactions& train, const ProgressFn& progress) {
  const int f = params_.factors;
  Rng rng(params_.seed);
  users_.resize(train.n_users(), f);
  items_.resize(train.n_items(), f);
  random_factors(users_, rng);
  random_factors(items_, rng);
  loss_history_.clear();
  // Items first, then users, so that the final user factors are solved against the
  // final item factors: exactly what fold_in reproduces for a user's own history.
  for (int it = 0; it < params_.iterations; ++it) {
    solve_rows(train.item_users, users_, params_, items_);
    solve_rows(train.user_items, items_, params_, users_);
    if (params_.track_loss) loss_history_.push_back(loss(train));
    if (progress)
      progress(params_.track_loss ? "als loss " + std::to_string(loss_history_.back()) + ", iteration" : "als iteration",
               it + 1, params_.iterations);
  }
  item_gram_ = gram(items_);
}

void Als::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= users_.rows()) throw ParamError("user", "index " + std::to_string(user) + " is not a training user");
  scores.resize(static_cast<std::size_t>(items_.rows()));
  Eigen::Map<Eigen::VectorXf> out(scores.data(), items_.rows());
  out.noalias() = items_ * users_.row(user).transpose();
}

FoldIn fold_in(const FactorMatrix& item_factors, const Eigen::MatrixXf& gram, float reg, float alpha,
               const std::vector<std::int32_t>& items, const std::vector<float>& values) {
  if (items.size() != values.size()) throw ParamError("values", "history has " + std::to_string(items.size()) + " items but " + std::to_string(values.size()) + " values");
  const Eigen::Index f = item_factors.cols();
  if (gram.rows() != f || gram.cols() != f) throw ParamError("gram", "shape does not match the factor dimension");
  // A = Y'Y + reg I + sum_j (c_j - 1) y_j y_j' and b = sum_j c_j y_j, accumulated
  // element by element in history order (a fixed order: see portable_math.h). Only the
  // lower triangle of A is formed (and a few entries above it, see below); the Cholesky
  // reads nothing else.
  FoldIn out;
  out.confidence.reserve(items.size());
  std::vector<const float*> ys;
  ys.reserve(items.size());
  for (std::size_t k = 0; k < items.size(); ++k) {
    const std::int32_t i = items[k];
    if (i < 0 || i >= item_factors.rows()) throw ParamError("item", "index " + std::to_string(i) + " is outside the catalog");
    if (!std::isfinite(values[k])) throw ParamError("value", "history value for item index " + std::to_string(i) + " is not finite");
    ys.push_back(item_factors.row(i).data());
    out.confidence.push_back(1.0f + alpha * values[k]);
  }
  Eigen::MatrixXf a(f, f);
  Eigen::VectorXf b(f);
  // w[k][c] = (c_k - 1) y_k[c]: the scalar each column's update multiplies y_k by.
  const auto h = static_cast<Eigen::Index>(ys.size());
  std::vector<float> w(static_cast<std::size_t>(h * f));
  for (Eigen::Index k = 0; k < h; ++k)
    for (Eigen::Index c = 0; c < f; ++c) w[static_cast<std::size_t>(k * f + c)] = (out.confidence[static_cast<std::size_t>(k)] - 1.0f) * ys[static_cast<std::size_t>(k)][c];
  // b[c] = sum_k c_k y_k[c], k ascending (the elements are independent: one vector pass per k).
  for (Eigen::Index c = 0; c < f; ++c) b(c) = 0.0f;
  for (Eigen::Index k = 0; k < h; ++k) {
    const float ck = out.confidence[static_cast<std::size_t>(k)];
    const float* y = ys[static_cast<std::size_t>(k)];
    for (Eigen::Index c = 0; c < f; ++c) b(c) += ck * y[c];
  }
  // A[r][c] = G[r][c] (+ reg on the diagonal), then += w[k][c] * y_k[r] for k ascending.
  // Blocks of kCols columns x 16 rows stay in registers for the whole history (one load of
  // y_k[rows] serves kCols columns; A is written once), instead of a read-modify-write of
  // A per history entry. Row blocks start at the multiple of 16 at or below the block's
  // first column, so the few rows above the diagonal they also fill are never read by the
  // Cholesky; every element at or below the diagonal gets the same operations in the same
  // order as one element at a time. Rows past the last whole block go one by one.
  constexpr Eigen::Index kCols = 4, kRows = 16;
  for (Eigen::Index c0 = 0; c0 < f; c0 += kCols) {
    const Eigen::Index nc = std::min(kCols, f - c0);
    Eigen::Index r = c0 - c0 % kRows;
    for (Eigen::Index j = 0; j < nc; ++j) {
      std::memcpy(a.col(c0 + j).data() + r, gram.col(c0 + j).data() + r, static_cast<std::size_t>(f - r) * sizeof(float));
      a(c0 + j, c0 + j) += reg;
    }
    for (; r + kRows <= f; r += kRows) {
      float* col = a.col(c0).data() + r;
      const float* wc = w.data() + c0;
      switch (nc) {
        case 4: update_rows<4>(col, f, ys.data(), h, r, wc, f); break;
        case 3: update_rows<3>(col, f, ys.data(), h, r, wc, f); break;
        case 2: update_rows<2>(col, f, ys.data(), h, r, wc, f); break;
        default: update_rows<1>(col, f, ys.data(), h, r, wc, f); break;
      }
    }
    for (; r < f; ++r)
      for (Eigen::Index j = 0; j < nc; ++j) {
        float v = a(r, c0 + j);
        for (Eigen::Index k = 0; k < h; ++k) v += w[static_cast<std::size_t>(k * f + c0 + j)] * ys[static_cast<std::size_t>(k)][r];
        a(r, c0 + j) = v;
      }
  }
  out.solver = PortableCholesky(std::move(a));
  out.user = out.solver.solve(b);
  return out;
}

Eigen::VectorXf Als::fold_in(const std::vector<std::int32_t>& items, const std::vector<float>& values) const {
  return reco::fold_in(items_, item_gram_, params_.reg, params_.alpha, items, values).user;
}

double Als::loss(const Interactions& train) const {
  // sum over all pairs of (x.y)^2 is sum_u x_u' (Y'Y) x_u; observed pairs then swap
  // their s^2 term for c (1 - s)^2.
  const Eigen::MatrixXd g = gram(items_).cast<double>();
  double total = 0.0;
  for (Eigen::Index u = 0; u < users_.rows(); ++u) {
    const Eigen::VectorXd x = users_.row(u).transpose().cast<double>();
    total += x.dot(g * x);
  }
  const CsrMatrix& m = train.user_items;
  for (std::int32_t u = 0; u < m.rows; ++u) {
    for (std::int64_t k = m.row_begin(u); k < m.row_end(u); ++k) {
      const double s = users_.row(u).cast<double>().dot(items_.row(m.indices[k]).cast<double>());
      const double c = 1.0 + static_cast<double>(params_.alpha) * m.values[k];
      total += c * (1.0 - s) * (1.0 - s) - s * s;
    }
  }
  total += params_.reg * (users_.cast<double>().squaredNorm() + items_.cast<double>().squaredNorm());
  return total;
}

}  // namespace reco

#include "reco/bpr.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "reco/error.h"
#include "reco/random.h"

namespace reco {
namespace {

// e^x from +, *, floor and an exact power-of-two scaling only, so the result is the
// same bit pattern everywhere (glibc's and musl's exp are allowed to differ in the last
// place). Valid for |x| <= 700; relative error about 2e-16.
double portable_exp(double x) {
  // Cody-Waite reduction: x = k ln2 + r with |r| <= ln2/2. ln2_hi has its low bits zero,
  // so k * ln2_hi is exact for the k we see and r keeps full precision.
  constexpr double inv_ln2 = 1.4426950408889634074;
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  const double k = std::floor(x * inv_ln2 + 0.5);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  // Taylor series to degree 13, Horner form: the first dropped term, r^14/14!, is
  // below 1e-17 for |r| <= 0.347.
  double p = 1.0 / 6227020800.0;  // 1/13!
  constexpr double inv_fact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0,
                                 1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,      1.0 / 120.0,
                                 1.0 / 24.0,        1.0 / 6.0,        0.5,              1.0,
                                 1.0};
  for (double c : inv_fact) p = p * r + c;
  return std::ldexp(p, static_cast<int>(k));
}

// 1 / (1 + e^-x). Beyond |x| = 40 the float result no longer changes, and clamping keeps
// portable_exp inside its range for any finite (or infinite) input.
float sigmoid(float x) {
  const double t = std::min(40.0, std::max(-40.0, static_cast<double>(x)));
  return static_cast<float>(1.0 / (1.0 + portable_exp(-t)));
}

// Scalar dot product in index order. Compilers keep this order (reassociating a float
// sum needs -ffast-math), unlike Eigen's SIMD reductions whose grouping follows the
// vector width: 8 lanes with AVX, 4 with WebAssembly SIMD.
float dot(const float* a, const float* b, int n) {
  float s = 0.0f;
  for (int f = 0; f < n; ++f) s += a[f] * b[f];
  return s;
}

// Uniform item in [0, n_items) outside `row` (sorted, row_size < n_items).
std::int32_t sample_negative(Rng& rng, const std::int32_t* row, std::int32_t row_size, std::int32_t n_items) {
  if (2 * static_cast<std::int64_t>(row_size) <= n_items) {
    // Sparse row: rejection needs fewer than two draws on average.
    for (;;) {
      const auto j = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items)));
      if (!std::binary_search(row, row + row_size, j)) return j;
    }
  }
  // Dense row: rejection could take ~n_items draws, so pick the r-th absent item
  // directly. Walking the sorted row, every present item at or below the candidate
  // pushes it one further.
  auto j = static_cast<std::int32_t>(rng.below(static_cast<std::uint64_t>(n_items - row_size)));
  for (std::int32_t k = 0; k < row_size && row[k] <= j; ++k) ++j;
  return j;
}

}  // namespace

Bpr::Bpr(const BprParams& params) : params_(params) {
  if (params.factors < 1) throw ParamError("factors", "must be >= 1, got " + std::to_string(params.factors));
  if (params.epochs < 0) throw ParamError("epochs", "must be >= 0, got " + std::to_string(params.epochs));
  if (!(params.learning_rate > 0.0f) || !std::isfinite(params.learning_rate))
    throw ParamError("learning_rate", "must be a finite number > 0, got " + std::to_string(params.learning_rate));
  if (!(params.reg >= 0.0f) || !std::isfinite(params.reg))
    throw ParamError("reg", "must be a finite number >= 0, got " + std::to_string(params.reg));
}

void Bpr::fit(const Interactions& train, const ProgressFn& progress) {
  const CsrMatrix& m = train.user_items;
  const int k = params_.factors;
  const auto ku = static_cast<std::size_t>(k);
  n_users_ = m.rows;
  n_items_ = m.cols;
  Rng rng(params_.seed);

  // Small random start: large enough to break the symmetry between factors, small
  // enough that initial scores are near 0 where the sigmoid's gradient is largest.
  auto init = [&](std::vector<float>& v, std::int32_t n) {
    v.resize(static_cast<std::size_t>(n) * ku);
    for (float& x : v) x = static_cast<float>((rng.uniform() - 0.5) * 0.1);
  };
  init(w_, n_users_);
  init(h_, n_items_);
  b_.assign(static_cast<std::size_t>(n_items_), 0.0f);

  // Owner row of every stored entry, so that a uniform entry gives a (user, positive)
  // pair: heavy users are sampled in proportion to their history.
  std::vector<std::int32_t> row_of(static_cast<std::size_t>(m.nnz()));
  for (std::int32_t u = 0; u < m.rows; ++u)
    std::fill(row_of.begin() + m.row_begin(u), row_of.begin() + m.row_end(u), u);

  const float lr = params_.learning_rate;
  const float reg = params_.reg;
  const std::int64_t samples = m.nnz();
  std::vector<float> wu_old(ku);
  for (int epoch = 0; epoch < params_.epochs; ++epoch) {
    double loss = 0.0, correct = 0.0;
    std::int64_t skipped = 0;
    for (std::int64_t s = 0; s < samples; ++s) {
      const auto e = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(samples)));
      const std::int32_t u = row_of[static_cast<std::size_t>(e)];
      const std::int32_t i = m.indices[static_cast<std::size_t>(e)];
      const std::int32_t row_size = m.row_size(u);
      if (row_size >= n_items_) {  // interacted with everything: no negative exists
        ++skipped;
        continue;
      }
      const std::int32_t j = sample_negative(rng, m.indices.data() + m.row_begin(u), row_size, n_items_);

      float* wu = w_.data() + static_cast<std::size_t>(u) * ku;
      float* hi = h_.data() + static_cast<std::size_t>(i) * ku;
      float* hj = h_.data() + static_cast<std::size_t>(j) * ku;
      float* bi = b_.data() + i;
      float* bj = b_.data() + j;
      // x = score(u,i) - score(u,j); d log sigmoid(x) / dx = sigmoid(-x) = z.
      float x = *bi - *bj;
      for (int f = 0; f < k; ++f) x += wu[f] * (hi[f] - hj[f]);
      const float z = sigmoid(-x);
      if (params_.verbose) {
        loss += std::log1p(std::exp(-static_cast<double>(x)));  // diagnostics only: libm is fine here
        correct += x > 0.0f ? 1.0 : (x == 0.0f ? 0.5 : 0.0);
      }
      // Simultaneous update: item gradients use the user's factors from before the step.
      std::copy(wu, wu + k, wu_old.begin());
      for (int f = 0; f < k; ++f) wu[f] += lr * (z * (hi[f] - hj[f]) - reg * wu[f]);
      for (int f = 0; f < k; ++f) hi[f] += lr * (z * wu_old[f] - reg * hi[f]);
      for (int f = 0; f < k; ++f) hj[f] += lr * (-z * wu_old[f] - reg * hj[f]);
      *bi += lr * (z - reg * *bi);
      *bj += lr * (-z - reg * *bj);
    }
    if (params_.verbose) {
      const double used = static_cast<double>(samples - skipped);
      std::cerr << "bpr epoch " << (epoch + 1) << "/" << params_.epochs << ": loss "
                << (used > 0 ? loss / used : 0.0) << ", sampled AUC " << (used > 0 ? correct / used : 0.0);
      if (skipped > 0) std::cerr << ", skipped " << skipped << " samples of users with every item";
      std::cerr << "\n";
    }
    if (progress) progress("bpr", epoch + 1, params_.epochs);
  }

  user_factors_.resize(n_users_, k);
  for (std::int32_t u = 0; u < n_users_; ++u)
    for (int f = 0; f < k; ++f) user_factors_(u, f) = w_[static_cast<std::size_t>(u) * ku + static_cast<std::size_t>(f)];
  item_factors_.resize(n_items_, k);
  for (std::int32_t i = 0; i < n_items_; ++i)
    for (int f = 0; f < k; ++f) item_factors_(i, f) = h_[static_cast<std::size_t>(i) * ku + static_cast<std::size_t>(f)];
  item_biases_ = Eigen::Map<const Eigen::VectorXf>(b_.data(), n_items_);
}

void Bpr::score_user(std::int32_t user, std::vector<float>& scores) const {
  if (user < 0 || user >= n_users_)
    throw std::out_of_range("Bpr::score_user: user " + std::to_string(user) + " outside [0, " +
                            std::to_string(n_users_) + ")");
  const int k = params_.factors;
  const float* wu = w_.data() + static_cast<std::size_t>(user) * static_cast<std::size_t>(k);
  scores.resize(static_cast<std::size_t>(n_items_));
  for (std::int32_t i = 0; i < n_items_; ++i) {
    const auto iu = static_cast<std::size_t>(i);
    scores[iu] = b_[iu] + dot(wu, h_.data() + iu * static_cast<std::size_t>(k), k);
  }
}

}  // namespace reco

// Implicit-feedback alternating least squares (Hu, Koren and Volinsky, 2008).
//
// Minimises  sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2)
// over all user/item pairs, where p_ui = 1 when r_ui > 0 and c_ui = 1 + alpha * r_ui.
// Each half step solves every row's least-squares problem approximately with a few
// conjugate-gradient steps warm-started from the previous factors (Takacs et al., 2011),
// which costs O(f^2 + nnz_row * f) per step instead of a Cholesky's O(f^3).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "reco/portable_math.h"
#include "reco/recommender.h"

namespace reco {

using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Defaults are the best of `reco tune --model als --budget 60` on validation data carved
// from ML-100K's u1..u5 training files (models/params/ml100k-als.json, README).
struct AlsParams {
  int factors = 16;             // latent dimension f
  int iterations = 15;          // full sweeps; each solves items, then users
  float reg = 16.571583f;       // L2 weight lambda on both factor matrices
  float alpha = 0.5818024f;     // confidence slope: c_ui = 1 + alpha * r_ui
  int cg_steps = 3;          // conjugate-gradient steps per row and half sweep
  std::uint64_t seed = 42;   // initial factors are a function of this seed only
  int threads = 1;           // native only; results do not depend on it
  bool track_loss = false;   // compute the objective after every iteration (costs ~1 half step)

  // Throws ParamError naming the first field outside its range.
  void validate() const;
};

// A user's factor from a history alone (Hu et al.'s user step for one row):
//   x = A^-1 b,  A = Y'Y + reg I + sum_j (c_j - 1) y_j y_j',  b = sum_j c_j y_j,
// c_j = 1 + alpha * r_j. `gram` is Y'Y. The factorisation of A is kept because a
// score's per-item decomposition needs it: x . y_i = sum_j c_j (A^-1 y_i) . y_j.
struct FoldIn {
  Eigen::VectorXf user;
  PortableCholesky solver;              // of A (bit-identical natively and in WebAssembly)
  std::vector<float> confidence;        // c_j per history entry
};
// Items outside [0, rows of Y) and non-finite values throw ParamError.
FoldIn fold_in(const FactorMatrix& item_factors, const Eigen::MatrixXf& gram, float reg, float alpha,
               const std::vector<std::int32_t>& items, const std::vector<float>& values);

class Als : public Recommender {
 public:
  explicit Als(AlsParams params = {});

  std::string name() const override { return "als"; }
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  void score_user(std::int32_t user, std::vector<float>& scores) const override;
  // Item factors and the f x f Gram matrix, float32.
  std::int64_t model_bytes() const override { return 4LL * (items_.size() + item_gram_.size()); }

  // The factor of a user known only by a history: item indices with their values r
  // (on the same scale as the training matrix). One exact regularised least-squares
  // solve against the final item factors, using the item Gram matrix Y'Y, so it needs
  // nothing but what a model bundle ships. Unknown (out of range) items throw.
  Eigen::VectorXf fold_in(const std::vector<std::int32_t>& items, const std::vector<float>& values) const;

  // The objective above for the current factors on `train` (double precision sum).
  double loss(const Interactions& train) const;

  const AlsParams& params() const { return params_; }
  const FactorMatrix& user_factors() const { return users_; }  // n_users x f
  const FactorMatrix& item_factors() const { return items_; }  // n_items x f
  // Y'Y (f x f), the item Gram matrix used by fold_in.
  const Eigen::MatrixXf& item_gram() const { return item_gram_; }
  // The objective after each iteration when params.track_loss is set.
  const std::vector<double>& loss_history() const { return loss_history_; }

 private:
  AlsParams params_;
  FactorMatrix users_;
  FactorMatrix items_;
  Eigen::MatrixXf item_gram_;
  std::vector<double> loss_history_;
};

}  // namespace reco

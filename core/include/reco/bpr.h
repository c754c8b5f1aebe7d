// Bayesian Personalised Ranking (BPR): matrix factorisation with item biases, trained by
// stochastic gradient ascent on log sigmoid(score(u,i) - score(u,j)) for sampled triples
// of a user u, an item i in u's training row and an item j outside it.
//
// Determinism: training is single-threaded, all randomness comes from reco::Rng, and the
// arithmetic uses plain scalar loops in a fixed order (no Eigen reductions, whose SIMD
// width differs between native and WebAssembly builds) and no libm call (the sigmoid is
// computed by our own exp), so a seed gives the same factors on every platform as long
// as the compiler does not contract a*b+c into a fused multiply-add.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "reco/recommender.h"

namespace reco {

// Defaults: the best of `reco tune --model bpr --budget 12` on validation data carved
// from ML-100K's u1..u5 training files (models/params/ml100k-bpr.json, README).
struct BprParams {
  int factors = 64;                  // latent dimensions per user and per item; >= 1
  int epochs = 100;                  // passes over the data, each of nnz sampled triples; >= 0
  float learning_rate = 0.016364047f;  // SGD step size per triple; > 0
  float reg = 0.0069919736f;          // L2 penalty on factors and biases, applied on each update; >= 0
  std::uint64_t seed = 42;      // seeds initialisation and sampling; same seed, same model
  bool verbose = false;         // print mean loss and sampled training AUC per epoch on stderr
};

class Bpr : public Recommender {
 public:
  // Throws ParamError naming the first field out of range.
  explicit Bpr(const BprParams& params = {});

  std::string name() const override { return "bpr"; }

  // Trains from scratch. Every stored entry of user_items counts as a positive whatever
  // its value. Users with an empty row are never sampled (their factors keep their small
  // random start); users who interacted with every item have no negative and are skipped.
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;

  // scores[i] = item_bias(i) + <user factors, item factors>. std::out_of_range for a user
  // outside the training matrix.
  void score_user(std::int32_t user, std::vector<float>& scores) const override;

  const BprParams& params() const { return params_; }

  // Factors after fit(): n_users x factors and n_items x factors, row r is user (item) r.
  // Eigen::MatrixXf is column-major, so a row is strided in memory: copy it (or transpose
  // the matrix) before handing vectors to code that wants contiguous storage.
  const Eigen::MatrixXf& user_factors() const { return user_factors_; }
  const Eigen::MatrixXf& item_factors() const { return item_factors_; }
  // Item biases after fit(), length n_items.
  const Eigen::VectorXf& item_biases() const { return item_biases_; }

 private:
  BprParams params_;
  // Training state, one contiguous vector of `factors` floats per user (item):
  // user u occupies w_[u*factors .. (u+1)*factors). Kept after fit() for scoring.
  std::vector<float> w_;
  std::vector<float> h_;
  std::vector<float> b_;
  std::int32_t n_users_ = 0;
  std::int32_t n_items_ = 0;
  Eigen::MatrixXf user_factors_;
  Eigen::MatrixXf item_factors_;
  Eigen::VectorXf item_biases_;
};

}  // namespace reco

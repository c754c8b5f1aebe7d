// EASE (Steck, 2019): a closed-form linear item-item model.
//
//   B = argmin |X - X B|^2 + lambda |B|^2  subject to diag(B) = 0
//     = I - P diag(1 / diag(P)),  P = (X'X + lambda I)^-1
//
// A user's scores are the sum of the rows of B for the history items (weighted by the
// history values), so the model needs no fold-in and every score decomposes exactly
// over the history. The dense solve costs O(n_items^3) time and 2 n_items^2 floats of
// memory, hence `max_items`.
//
// For a browser bundle, B is sparsified to its `top_n` largest-magnitude entries per row
// and quantised to int8 with one scale per row (SparseItemMatrix).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "reco/recommender.h"

namespace reco {

// The top-N a model bundle ships for a catalog of `n_items`: the smallest N of the
// measured grid (scripts/ease-size.sh, table in the README) that stays within 0.01
// NDCG@10 of dense EASE: 128 on ML-100K (1,682 items, 10% of the dense bytes), 256 on
// ml-latest-small (9,742 items, 3%). Catalogs between and beyond are untested; the
// rule keeps the larger N above 5,000 items. Evaluation defaults to dense (top_n = 0).
constexpr int bundle_ease_top_n(std::int32_t n_items) { return n_items <= 5000 ? 128 : 256; }

// Defaults: lambda was confirmed by `reco tune --model ease` on validation data
// (models/params/ml100k-ease.json).
struct EaseParams {
  float lambda = 500.0f;     // L2 weight on B; larger = smoother, more popularity-like
  int top_n = 0;             // entries kept per row after the fit; 0 keeps B dense
  int max_items = 20000;     // refuse the dense solve above this many items (memory, time)

  void validate() const;     // ParamError naming the field
};

// Rows of an item x item matrix with `top_n` entries each, int8 values with one float
// scale per row: value = scale[row] * q. Invariant: indptr.size() == rows + 1.
struct SparseItemMatrix {
  std::int32_t rows = 0;
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<std::int8_t> values;
  std::vector<float> scales;

  // Bytes of the serialised form: int32 indices, int8 values, float scales, int64 offsets.
  std::int64_t bytes() const;
};

// Keeps the `top_n` entries of largest magnitude per row (ties by smaller column) and
// quantises each row symmetrically to int8 (scale = max |v| / 127).
SparseItemMatrix sparsify_rows(const Eigen::MatrixXf& dense, int top_n);

class Ease : public Recommender {
 public:
  explicit Ease(EaseParams params = {});

  std::string name() const override { return "ease"; }
  // Throws ParamError("max-items") before allocating when the catalog is too large.
  void fit(const Interactions& train, const ProgressFn& progress = {}) override;
  void score_user(std::int32_t user, std::vector<float>& scores) const override;

  // Scores for any history (item indices with values), dense or sparse form alike.
  void score_history(const std::vector<std::int32_t>& items, const std::vector<float>& values,
                     std::vector<float>& scores) const;

  const EaseParams& params() const { return params_; }
  // The dense B (empty when top_n > 0, which keeps only the sparse form).
  const Eigen::MatrixXf& weights() const { return weights_; }
  const SparseItemMatrix& sparse_weights() const { return sparse_; }
  // Bytes of the weights as shipped: 4 n^2 dense, or SparseItemMatrix::bytes().
  std::int64_t model_bytes() const override;

 private:
  EaseParams params_;
  Eigen::MatrixXf weights_;  // row h = contribution of history item h to every item
  SparseItemMatrix sparse_;
  CsrMatrix user_items_;     // training rows, for score_user
};

}  // namespace reco

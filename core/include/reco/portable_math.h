// Arithmetic whose result is the same bits on every platform the core runs on.
//
// Native builds vectorise for the building CPU (AVX: 8 floats) and WebAssembly for
// SIMD128 (4 floats); a library reduction such as Eigen's dot product adds its partial
// sums in an order that depends on that width, so native and browser scores would
// differ in the last bits and near-ties would rank differently. The functions here fix
// the order of every floating-point operation (the compiler may vectorise across
// independent sums but never reorders one: no -ffast-math, no FMA contraction), so the
// same inputs give bit-identical outputs natively and in WebAssembly.
#pragma once

#include <cstddef>
#include <vector>

#include <Eigen/Dense>

namespace reco {

// sum_i a[i] * b[i], accumulated in 8 interleaved partial sums that are then added
// pairwise; the tail (n mod 8) is added last, in order.
float portable_dot(const float* a, const float* b, std::size_t n);

// out[r] = portable_dot(rows[r], q, n) for `count` rows anywhere in memory (the same
// bits; several rows together are faster than one at a time).
void portable_dots(const float* const* rows, std::size_t count, const float* q, std::size_t n, float* out);

// out[r] = portable_dot(row r of `rows`, q) for a row-major rows x n matrix.
void portable_rows_dot(const float* rows, std::size_t n_rows, std::size_t n, const float* q, float* out);

// Y'Y of a row-major rows x n matrix (the Gram matrix fold-in needs), accumulated in
// double item by item in row order, then rounded to float; symmetric.
Eigen::MatrixXf portable_gram(const float* rows, std::size_t n_rows, std::size_t n);

// Cholesky factor L (A = L L') of a symmetric positive definite matrix, in float, in a
// fixed order (see factor()). Only A's lower triangle is read. When A is not positive
// definite (a pivot <= 0 or not finite) ok() is false and solve() returns NaNs.
class PortableCholesky {
 public:
  PortableCholesky() = default;
  explicit PortableCholesky(const Eigen::MatrixXf& a);
  // Factors in a's own storage (no copy).
  explicit PortableCholesky(Eigen::MatrixXf&& a);

  bool ok() const { return ok_; }
  Eigen::Index size() const { return n_; }
  // x with A x = b (b has size() values).
  Eigen::VectorXf solve(const Eigen::Ref<const Eigen::VectorXf>& b) const;
  // X with A X = B: column c is the same bits as solve(B.col(c)), but several columns are
  // cheaper together than one at a time.
  Eigen::MatrixXf solve_columns(const Eigen::Ref<const Eigen::MatrixXf>& b) const;

 private:
  void factor();

  Eigen::Index n_ = 0;
  bool ok_ = false;
  Eigen::MatrixXf l_;  // column-major n x n: L at and below the diagonal, the rest unspecified
};

}  // namespace reco

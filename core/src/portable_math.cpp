#include "reco/portable_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace reco {

namespace {

// Four floats as one SIMD register where the compiler can (SSE/AVX natively, SIMD128 in
// WebAssembly): GCC and Clang vector extensions, whose arithmetic is lane by lane, so
// using them changes no result, only the speed.
typedef float Float4 __attribute__((vector_size(16)));

Float4 load4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

float portable_dot(const float* a, const float* b, std::size_t n) {
  // Partial sums s[0..7] with s[j] += a[i + j] * b[i + j]: lanes 0-3 in lo, 4-7 in hi.
  Float4 lo = {0.0f, 0.0f, 0.0f, 0.0f}, hi = {0.0f, 0.0f, 0.0f, 0.0f};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    lo += load4(a + i) * load4(b + i);
    hi += load4(a + i + 4) * load4(b + i + 4);
  }
  float total = ((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

void portable_dots(const float* const* rows, std::size_t count, const float* q, std::size_t n, float* out) {
  // Four rows at a time, each with portable_dot's two partial-sum vectors: eight
  // independent add chains instead of two, and each load of q serves four rows.
  std::size_t r = 0;
  for (; r + 4 <= count; r += 4) {
    Float4 lo[4], hi[4];
    for (int t = 0; t < 4; ++t) lo[t] = hi[t] = Float4{0.0f, 0.0f, 0.0f, 0.0f};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const Float4 q0 = load4(q + i), q1 = load4(q + i + 4);
      for (int t = 0; t < 4; ++t) {
        lo[t] += load4(rows[r + t] + i) * q0;
        hi[t] += load4(rows[r + t] + i + 4) * q1;
      }
    }
    for (int t = 0; t < 4; ++t) {
      const float* a = rows[r + t];
      float total = ((lo[t][0] + lo[t][1]) + (lo[t][2] + lo[t][3])) + ((hi[t][0] + hi[t][1]) + (hi[t][2] + hi[t][3]));
      for (std::size_t k = i; k < n; ++k) total += a[k] * q[k];
      out[r + t] = total;
    }
  }
  for (; r < count; ++r) out[r] = portable_dot(rows[r], q, n);
}

void portable_rows_dot(const float* rows, std::size_t n_rows, std::size_t n, const float* q, float* out) {
  for (std::size_t r = 0; r < n_rows; ++r) out[r] = portable_dot(rows + r * n, q, n);
}

Eigen::MatrixXf portable_gram(const float* rows, std::size_t n_rows, std::size_t n) {
  // Lower triangle, column by column: g[c][r] for r >= c (each element's sum runs over
  // the rows in order; the elements are independent, so the compiler may vectorise).
  std::vector<double> g(n * n, 0.0);
  for (std::size_t i = 0; i < n_rows; ++i) {
    const float* y = rows + i * n;
    for (std::size_t c = 0; c < n; ++c) {
      const double yc = y[c];
      double* col = g.data() + c * n;
      for (std::size_t r = c; r < n; ++r) col[r] += yc * static_cast<double>(y[r]);
    }
  }
  Eigen::MatrixXf out(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  for (std::size_t c = 0; c < n; ++c)
    for (std::size_t r = c; r < n; ++r) {
      const float v = static_cast<float>(g[c * n + r]);
      out(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = v;
      out(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(r)) = v;
    }
  return out;
}

namespace {

// Sixteen floats as one vector: one AVX-512 register natively where there is one, two AVX
// registers otherwise, four SIMD128 registers in WebAssembly. Lane by lane arithmetic, so
// the same results as sixteen scalars.
typedef float Float16 __attribute__((vector_size(64)));

Float16 load16(const float* p) {
  Float16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr Eigen::Index kBlockCols = 4;   // columns of L finished together
constexpr Eigen::Index kBlockRows = 16;  // rows per vector

// Columns j0 .. j0 + NC - 1 of the column-major n x n matrix l, rows r .. r + 15:
// l[j][i] -= l[k][j] * l[k][i] for k = 0 .. j0 - 1 in order (column k's row j times its
// row i), with the NC x 16 values in registers for the whole sweep over k.
template <int NC>
void subtract_earlier_columns(float* l, Eigen::Index n, Eigen::Index j0, Eigen::Index r) {
  Float16 acc[NC];
  for (int j = 0; j < NC; ++j) acc[j] = load16(l + (j0 + j) * n + r);
  for (Eigen::Index k = 0; k < j0; ++k) {
    const float* ck = l + k * n;
    const Float16 v = load16(ck + r);
    for (int j = 0; j < NC; ++j) acc[j] -= ck[j0 + j] * v;
  }
  for (int j = 0; j < NC; ++j) std::memcpy(l + (j0 + j) * n + r, &acc[j], sizeof(Float16));
}

}  // namespace

// Left-looking, by blocks of four columns: every element of L gets
//   L[i][j] = (A[i][j] - L[i][0] L[j][0] - L[i][1] L[j][1] - ... - L[i][j-1] L[j][j-1]) / L[j][j]
// (subtractions in that order; the diagonal takes the square root instead of the
// division). The columns of a block first subtract every earlier column, 16 rows at a
// time, then finish one after the other. Row vectors start at the multiple of 16 at or
// above the block's first column, so they also compute some entries above the diagonal:
// those are never read as part of L (only entries at or below the diagonal feed entries at
// or below it), so whatever A holds above its diagonal cannot change L.
void PortableCholesky::factor() {
  const Eigen::Index n = n_;
  float* l = l_.data();
  ok_ = true;
  for (Eigen::Index j0 = 0; j0 < n; j0 += kBlockCols) {
    const Eigen::Index nc = std::min(kBlockCols, n - j0);
    if (j0 > 0) {
      Eigen::Index r = j0 - j0 % kBlockRows;
      for (; r + kBlockRows <= n; r += kBlockRows) {
        switch (nc) {
          case 4: subtract_earlier_columns<4>(l, n, j0, r); break;
          case 3: subtract_earlier_columns<3>(l, n, j0, r); break;
          case 2: subtract_earlier_columns<2>(l, n, j0, r); break;
          default: subtract_earlier_columns<1>(l, n, j0, r); break;
        }
      }
      for (; r < n; ++r)
        for (Eigen::Index j = j0; j < j0 + nc; ++j) {
          float v = l[j * n + r];
          for (Eigen::Index k = 0; k < j0; ++k) v -= l[k * n + j] * l[k * n + r];
          l[j * n + r] = v;
        }
    }
    for (Eigen::Index j = j0; j < j0 + nc; ++j) {
      float* cj = l + j * n;
      for (Eigen::Index k = j0; k < j; ++k) {
        const float* ck = l + k * n;
        const float ljk = ck[j];
        for (Eigen::Index i = j; i < n; ++i) cj[i] -= ljk * ck[i];
      }
      const float d = cj[j];
      if (!(d > 0.0f) || !std::isfinite(d)) {
        ok_ = false;
        return;
      }
      const float root = std::sqrt(d);
      cj[j] = root;
      for (Eigen::Index i = j + 1; i < n; ++i) cj[i] /= root;
    }
  }
}

PortableCholesky::PortableCholesky(const Eigen::MatrixXf& a) : n_(a.rows()), l_(a) { factor(); }

PortableCholesky::PortableCholesky(Eigen::MatrixXf&& a) : n_(a.rows()), l_(std::move(a)) { factor(); }

Eigen::VectorXf PortableCholesky::solve(const Eigen::Ref<const Eigen::VectorXf>& b) const {
  const Eigen::Index n = n_;
  if (!ok_) return Eigen::VectorXf::Constant(n, std::numeric_limits<float>::quiet_NaN());
  const float* l = l_.data();
  Eigen::VectorXf x = b;
  float* y = x.data();
  // The order of solve_columns, one column: forward by columns of L, backward by rows.
  for (Eigen::Index j = 0; j < n; ++j) {
    const float* cj = l + j * n;
    const float yj = y[j] / cj[j];
    y[j] = yj;
    for (Eigen::Index i = j + 1; i < n; ++i) y[i] -= cj[i] * yj;
  }
  for (Eigen::Index k = n - 1; k >= 0; --k) {
    const float xk = y[k] / l[k * n + k];
    y[k] = xk;
    for (Eigen::Index i = 0; i < k; ++i) y[i] -= l[i * n + k] * xk;
  }
  return x;
}

Eigen::MatrixXf PortableCholesky::solve_columns(const Eigen::Ref<const Eigen::MatrixXf>& b) const {
  const Eigen::Index n = n_, m = b.cols();
  if (!ok_) return Eigen::MatrixXf::Constant(n, m, std::numeric_limits<float>::quiet_NaN());
  const float* l = l_.data();
  // Up to 16 columns side by side, as the lanes of one vector per row (unused lanes hold
  // zeros), so each step updates all of them in one vector operation. Per element:
  //   forward  L y = b:  y[i] = (b[i] - L[i][0] y[0] - ... - L[i][i-1] y[i-1]) / L[i][i]
  //   backward L'x = y:  x[i] = (y[i] - L[n-1][i] x[n-1] - ... - L[i+1][i] x[i+1]) / L[i][i]
  // with the subtractions in that order: the same operations as solve() on each column.
  constexpr Eigen::Index kLanes = 16;
  Eigen::MatrixXf out(n, m);
  std::vector<Float16> w(static_cast<std::size_t>(n));
  for (Eigen::Index c0 = 0; c0 < m; c0 += kLanes) {
    const Eigen::Index lanes = std::min(kLanes, m - c0);
    for (Eigen::Index i = 0; i < n; ++i) {
      Float16 v = {};
      for (Eigen::Index c = 0; c < lanes; ++c) v[c] = b(i, c0 + c);
      w[static_cast<std::size_t>(i)] = v;
    }
    for (Eigen::Index j = 0; j < n; ++j) {
      const float* cj = l + j * n;
      const Float16 wj = w[static_cast<std::size_t>(j)] / cj[j];
      w[static_cast<std::size_t>(j)] = wj;
      for (Eigen::Index i = j + 1; i < n; ++i) w[static_cast<std::size_t>(i)] -= cj[i] * wj;
    }
    for (Eigen::Index k = n - 1; k >= 0; --k) {
      const Float16 wk = w[static_cast<std::size_t>(k)] / l[k * n + k];
      w[static_cast<std::size_t>(k)] = wk;
      for (Eigen::Index i = 0; i < k; ++i) w[static_cast<std::size_t>(i)] -= l[i * n + k] * wk;
    }
    for (Eigen::Index c = 0; c < lanes; ++c)
      for (Eigen::Index i = 0; i < n; ++i) out(i, c0 + c) = w[static_cast<std::size_t>(i)][c];
  }
  return out;
}

}  // namespace reco

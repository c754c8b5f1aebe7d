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

// dot4(a, b, n) = sum_k a[k] * b[k] in double: four interleaved partial sums
// s[j] += a[k + j] * b[k + j] over the body k < 4 * floor(n / 4), added pairwise
// (s0 + s1) + (s2 + s3), then the tail k >= 4 * floor(n / 4) added in order. The Cholesky
// factor and both substitutions use this order for every element. The partial sums are
// one vector of four doubles (lane by lane, so the same arithmetic as four scalars).
typedef double Double4 __attribute__((vector_size(32)));

Double4 load_double4(const double* p) {
  Double4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The pairwise sum of body partial sums `s`, then the tail terms [from, to) in order.
double finish_dot4(const Double4& s, const double* a, const double* b, Eigen::Index from, Eigen::Index to) {
  double total = (s[0] + s[1]) + (s[2] + s[3]);
  for (Eigen::Index k = from; k < to; ++k) total += a[k] * b[k];
  return total;
}

// The body partial sums of dot4 for a tile of kTile x kTile pairs (a[r], b[c]) over the
// same body length (a multiple of 4). One pair alone is bound by the latency of its add
// chain; 16 independent chains overlap, and each load serves four pairs. Each pair's sums
// are exactly those of dot4, so grouping changes no bit.
constexpr Eigen::Index kTile = 4;
struct Tile {
  Double4 s[kTile][kTile];
};

Tile dot4_tile(const double* const* a, const double* const* b, Eigen::Index body) {
  Tile t;
  for (auto& row : t.s)
    for (Double4& v : row) v = Double4{0.0, 0.0, 0.0, 0.0};
  for (Eigen::Index k = 0; k < body; k += 4) {
    const Double4 b0 = load_double4(b[0] + k), b1 = load_double4(b[1] + k), b2 = load_double4(b[2] + k), b3 = load_double4(b[3] + k);
    for (Eigen::Index r = 0; r < kTile; ++r) {
      const Double4 x = load_double4(a[r] + k);
      t.s[r][0] += x * b0;
      t.s[r][1] += x * b1;
      t.s[r][2] += x * b2;
      t.s[r][3] += x * b3;
    }
  }
  return t;
}

// Pointers to kTile rows starting at `first` of a row-major matrix with `stride` values per
// row; rows at or past `count` repeat row `first` (their results are computed and dropped).
void tile_rows(const double* base, Eigen::Index stride, Eigen::Index first, Eigen::Index count, const double** out) {
  for (Eigen::Index r = 0; r < kTile; ++r) out[r] = base + (first + r < count ? first + r : first) * stride;
}

}  // namespace

// L[i][j] = (A[i][j] - dot4(L[i], L[j], j)) / L[j][j] (and the square root on the
// diagonal), for blocks of 4 x 4 elements at a time: the body sums of a block (all over
// the same length, the block's first column) come from one dot4_tile, then each element
// adds its few tail terms (elements of the same block row to its left) in column order.
// Every element gets the operations of the one-element-at-a-time loop in the same order,
// so the factor is the same bits; only the schedule differs.
PortableCholesky::PortableCholesky(const Eigen::MatrixXf& a) : n_(a.rows()), ok_(true) {
  const Eigen::Index n = n_;
  l_.assign(static_cast<std::size_t>(n * n), 0.0);
  double* l = l_.data();
  for (Eigen::Index i0 = 0; i0 < n; i0 += kTile) {
    const Eigen::Index i1 = std::min(n, i0 + kTile);
    const double* rows[kTile];
    tile_rows(l, n, i0, n, rows);
    for (Eigen::Index j0 = 0; j0 <= i0; j0 += kTile) {
      const double* cols[kTile];
      tile_rows(l, n, j0, n, cols);
      const Tile t = dot4_tile(rows, cols, j0);
      const Eigen::Index j1 = std::min(n, j0 + kTile);
      for (Eigen::Index j = j0; j < j1; ++j) {
        const double* lj = l + j * n;
        // Left of the diagonal block every row of the block; in it, rows from the diagonal down.
        for (Eigen::Index i = std::max(i0, j); i < i1; ++i) {
          double* li = l + i * n;
          const double v = static_cast<double>(a(i, j)) - finish_dot4(t.s[i - i0][j - j0], li, lj, j0, j);
          if (i == j) {
            if (!(v > 0.0) || !std::isfinite(v)) {
              ok_ = false;
              return;
            }
            li[i] = std::sqrt(v);
          } else {
            li[j] = v / lj[j];
          }
        }
      }
    }
  }
}

Eigen::VectorXf PortableCholesky::solve(const Eigen::Ref<const Eigen::VectorXf>& b) const {
  return solve_columns(b).col(0);
}

Eigen::MatrixXf PortableCholesky::solve_columns(const Eigen::Ref<const Eigen::MatrixXf>& b) const {
  const Eigen::Index n = n_, m = b.cols();
  if (!ok_) return Eigen::MatrixXf::Constant(n, m, std::numeric_limits<float>::quiet_NaN());
  const double* l = l_.data();
  // L y = b (forward: y[i] = (b[i] - dot4(L[i], y, i)) / L[i][i]), then L' x = y
  // (backward), in double, each column on its own. Forward steps run on 4 rows of L x 4
  // columns at once like the factorisation: body sums from dot4_tile, then the tail terms
  // (the block's earlier rows) in order; a product x * y is the same bits as y * x.
  std::vector<double> work(static_cast<std::size_t>(n * std::max<Eigen::Index>(m, 1)));
  double* y = work.data();  // column c at y + c * n
  for (Eigen::Index c0 = 0; c0 < m; c0 += kTile) {
    const Eigen::Index c1 = std::min(m, c0 + kTile);
    const double* ys[kTile];
    tile_rows(y, n, c0, m, ys);
    for (Eigen::Index i0 = 0; i0 < n; i0 += kTile) {
      const Eigen::Index i1 = std::min(n, i0 + kTile);
      const double* rows[kTile];
      tile_rows(l, n, i0, n, rows);
      const Tile t = dot4_tile(rows, ys, i0);
      for (Eigen::Index i = i0; i < i1; ++i)
        for (Eigen::Index c = c0; c < c1; ++c) {
          double* yc = y + c * n;
          yc[i] = (static_cast<double>(b(i, c)) - finish_dot4(t.s[i - i0][c - c0], l + i * n, yc, i0, i)) / l[i * n + i];
        }
    }
  }
  // Backward by rows of L: x[k] receives x[i] * L[i][k] for i = n-1 down to k+1, in that
  // order, then is divided by L[k][k]: the column-by-column order of the textbook loop,
  // while each step reads one contiguous row and updates independent elements. The
  // columns of a group take each step together (their division chains overlap).
  for (Eigen::Index c0 = 0; c0 < m; c0 += kTile) {
    const Eigen::Index c1 = std::min(m, c0 + kTile);
    for (Eigen::Index i = n - 1; i >= 0; --i) {
      const double* li = l + i * n;
      for (Eigen::Index c = c0; c < c1; ++c) {
        double* x = y + c * n;
        const double xi = x[i] / li[i];
        x[i] = xi;
        for (Eigen::Index k = 0; k < i; ++k) x[k] -= li[k] * xi;
      }
    }
  }
  Eigen::MatrixXf out(n, m);
  for (Eigen::Index c = 0; c < m; ++c)
    for (Eigen::Index i = 0; i < n; ++i) out(i, c) = static_cast<float>(y[c * n + i]);
  return out;
}

}  // namespace reco

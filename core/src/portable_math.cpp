#include "reco/portable_math.h"

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

// sum_k a[k] * b[k] in double, four interleaved partial sums s[j] += a[k + j] * b[k + j]
// added pairwise, then the tail in order. The partial sums are one vector of four
// doubles (lane by lane, so the same arithmetic as four scalars, only faster).
typedef double Double4 __attribute__((vector_size(32)));

double dot4(const double* a, const double* b, Eigen::Index n) {
  Double4 s = {0.0, 0.0, 0.0, 0.0};
  Eigen::Index k = 0;
  for (; k + 4 <= n; k += 4) {
    Double4 x, y;
    std::memcpy(&x, a + k, sizeof x);
    std::memcpy(&y, b + k, sizeof y);
    s += x * y;
  }
  double total = (s[0] + s[1]) + (s[2] + s[3]);
  for (; k < n; ++k) total += a[k] * b[k];
  return total;
}

}  // namespace

PortableCholesky::PortableCholesky(const Eigen::MatrixXf& a) : n_(a.rows()), ok_(true) {
  const Eigen::Index n = n_;
  l_.assign(static_cast<std::size_t>(n * n), 0.0);
  double* l = l_.data();
  for (Eigen::Index i = 0; i < n; ++i) {
    double* li = l + i * n;
    for (Eigen::Index j = 0; j <= i; ++j) {
      const double* lj = l + j * n;
      const double v = static_cast<double>(a(i, j)) - dot4(li, lj, j);
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

Eigen::VectorXf PortableCholesky::solve(const Eigen::Ref<const Eigen::VectorXf>& b) const {
  const Eigen::Index n = n_;
  if (!ok_) return Eigen::VectorXf::Constant(n, std::numeric_limits<float>::quiet_NaN());
  const double* l = l_.data();
  // L y = b (forward), then L' x = y (backward, reading L by columns).
  std::vector<double> y(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = (static_cast<double>(b(i)) - dot4(l + i * n, y.data(), i)) / l[i * n + i];
  // Backward by rows of L: x[k] receives x[i] * L[i][k] for i = n-1 down to k+1, in that
  // order, then is divided by L[k][k]: the column-by-column order of the textbook loop,
  // while each step reads one contiguous row and updates independent elements.
  std::vector<double> x = y;
  for (Eigen::Index i = n - 1; i >= 0; --i) {
    const double* li = l + i * n;
    const double xi = x[static_cast<std::size_t>(i)] / li[i];
    x[static_cast<std::size_t>(i)] = xi;
    for (Eigen::Index k = 0; k < i; ++k) x[static_cast<std::size_t>(k)] -= li[k] * xi;
  }
  Eigen::VectorXf out(n);
  for (Eigen::Index i = 0; i < n; ++i) out(i) = static_cast<float>(x[static_cast<std::size_t>(i)]);
  return out;
}

}  // namespace reco

#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ios>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "hybrid_fixture.h"
#include "reco/portable_math.h"
#include "reco/ranker.h"

using namespace reco;

namespace {

// Test inputs from a 64-bit linear congruential generator (Knuth's MMIX constants):
// integer arithmetic only, so the values are the same bits on every platform, unlike
// the standard library's distributions.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : x_(seed) {}
  std::uint64_t next() {
    x_ = x_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return x_;
  }
  // A float in [-1, 1) with 24 significant bits: (top 24 bits) / 2^23 - 1, exact.
  float uniform() { return static_cast<float>(static_cast<double>(next() >> 40) / 8388608.0 - 1.0); }

 private:
  std::uint64_t x_;
};

std::vector<float> lcg_vector(Lcg& g, std::size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = g.uniform();
  return v;
}

std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// 64-bit FNV-1a over values, each fed as its 4 bytes, least significant first (so the
// hash does not depend on the platform's byte order).
class Fnv1a {
 public:
  void add_u32(std::uint32_t v) {
    for (int b = 0; b < 4; ++b) {
      h_ ^= (v >> (8 * b)) & 0xffu;
      h_ *= 0x100000001b3ULL;
    }
  }
  void add(float x) { add_u32(bits_of(x)); }
  void add(std::int32_t i) { add_u32(static_cast<std::uint32_t>(i)); }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// The order portable_math.h documents, written out independently: 8 interleaved partial
// sums, added pairwise ((0+1)+(2+3))+((4+5)+(6+7)), then the tail in order.
float documented_order_dot(const float* a, const float* b, std::size_t n) {
  float lane[8] = {};
  const std::size_t body = n - n % 8;
  for (std::size_t i = 0; i < body; ++i) lane[i % 8] += a[i] * b[i];
  float total = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (std::size_t i = body; i < n; ++i) total += a[i] * b[i];
  return total;
}

// A = B'B + I (symmetric positive definite, smallest eigenvalue >= 1), formed in double
// in a fixed loop order and rounded once to float, so it is the same bits everywhere.
Eigen::MatrixXf spd_matrix(Lcg& g, Eigen::Index n) {
  Eigen::MatrixXd b(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) b(i, j) = g.uniform();
  Eigen::MatrixXf a(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) {
      double s = i == j ? 1.0 : 0.0;
      for (Eigen::Index k = 0; k < n; ++k) s += b(k, i) * b(k, j);
      a(i, j) = static_cast<float>(s);
    }
  return a;
}

Eigen::VectorXf lcg_eigen_vector(Lcg& g, Eigen::Index n) {
  Eigen::VectorXf v(n);
  for (Eigen::Index i = 0; i < n; ++i) v(i) = g.uniform();
  return v;
}

}  // namespace

TEST_CASE("portable_dot agrees with a double-precision reference", "[portable_math]") {
  Lcg g(12345);
  for (std::size_t n : {0, 1, 7, 8, 9, 64, 100}) {
    CAPTURE(n);
    const std::vector<float> a = lcg_vector(g, n), b = lcg_vector(g, n);
    double exact = 0.0, magnitude = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];  // products of 24-bit values are exact in double
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const float got = portable_dot(a.data(), b.data(), n);
    // First-order error bound of the documented order: one rounding per product, at most
    // n/8 additions per lane, 3 pairwise levels and 7 tail additions, each at most
    // u = FLT_EPSILON / 2 relative to the sum of magnitudes.
    const double depth = 1.0 + static_cast<double>(n / 8) + 3.0 + 7.0;
    const double bound = depth * (FLT_EPSILON / 2.0) * magnitude;
    CHECK(std::fabs(static_cast<double>(got) - exact) <= bound);
    if (n == 0) CHECK(bits_of(got) == bits_of(0.0f));  // an empty sum is +0
    if (n == 1) CHECK(got == a[0] * b[0]);
  }
}

TEST_CASE("portable_dot is exact on small integers", "[portable_math]") {
  // Integer products and sums below 2^24 are exact in float whatever the order.
  for (std::size_t n : {1, 7, 8, 9, 64, 100}) {
    CAPTURE(n);
    std::vector<float> a(n), b(n);
    long long want = 0;
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<float>(static_cast<int>(i % 13) - 6);
      b[i] = static_cast<float>(static_cast<int>((i * 7) % 11) - 3);
      want += static_cast<long long>(a[i]) * static_cast<long long>(b[i]);
    }
    CHECK(portable_dot(a.data(), b.data(), n) == static_cast<float>(want));
  }
}

TEST_CASE("portable_dot adds in the documented order", "[portable_math]") {
  // The same bits as the order written out above, for every length around the lane width.
  Lcg g(777);
  for (std::size_t n = 0; n <= 40; ++n) {
    CAPTURE(n);
    // Mixed magnitudes make every reordering visible in the last bits.
    std::vector<float> a = lcg_vector(g, n), b = lcg_vector(g, n);
    for (std::size_t i = 0; i < n; i += 3) a[i] *= 4096.0f;
    CHECK(bits_of(portable_dot(a.data(), b.data(), n)) == bits_of(documented_order_dot(a.data(), b.data(), n)));
  }
  // And one case where a sequential sum gives a different answer: lane 0 holds a huge
  // value, cancelled only when the lanes are combined, so the tail 1 survives; added
  // left to right, the middle 1s would be lost against 2^25 instead.
  std::vector<float> a(17, 0.0f), b(17, 1.0f);
  a[0] = 33554432.0f;  // 2^25
  for (std::size_t i = 1; i < 8; ++i) a[i] = 1.0f;
  a[8] = -33554432.0f;
  a[16] = 1.0f;
  // Lanes: lane0 = 2^25 - 2^25 = 0, lanes 1-7 = 1 each, tail = 1: total 8.
  CHECK(portable_dot(a.data(), b.data(), a.size()) == 8.0f);
  float sequential = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) sequential += a[i] * b[i];
  CHECK(sequential != 8.0f);  // so the check above really tells the orders apart
}

TEST_CASE("portable_rows_dot is portable_dot per row and writes only n_rows values", "[portable_math]") {
  Lcg g(99);
  for (std::size_t n : {1, 8, 9, 37}) {
    for (std::size_t rows : {0, 1, 13}) {
      CAPTURE(n, rows);
      const std::vector<float> m = lcg_vector(g, rows * n), q = lcg_vector(g, n);
      std::vector<float> out(rows + 1, -7.0f);  // one sentinel past the end
      portable_rows_dot(m.data(), rows, n, q.data(), out.data());
      for (std::size_t r = 0; r < rows; ++r) CHECK(bits_of(out[r]) == bits_of(portable_dot(m.data() + r * n, q.data(), n)));
      CHECK(out[rows] == -7.0f);
    }
  }
}

TEST_CASE("PortableCholesky solves symmetric positive definite systems", "[portable_math]") {
  Lcg g(2024);
  for (Eigen::Index n : {1, 5, 64, 128}) {
    CAPTURE(n);
    const Eigen::MatrixXf a = spd_matrix(g, n);
    const Eigen::VectorXf b = lcg_eigen_vector(g, n);
    const PortableCholesky chol(a);
    REQUIRE(chol.ok());
    CHECK(chol.size() == n);
    const Eigen::VectorXf x = chol.solve(b);
    REQUIRE(x.size() == n);
    REQUIRE(x.allFinite());

    // Residual in double, relative to the problem's scale.
    const Eigen::MatrixXd ad = a.cast<double>();
    const Eigen::VectorXd xd = x.cast<double>(), bd = b.cast<double>();
    const double residual = (ad * xd - bd).norm();
    CHECK(residual <= 1e-5 * (ad.norm() * xd.norm() + bd.norm()));

    // Eigen's LDLT on the same (float) matrix, in double.
    const Eigen::VectorXd reference = ad.ldlt().solve(bd);
    const double scale = reference.cwiseAbs().maxCoeff();
    CHECK((xd - reference).cwiseAbs().maxCoeff() <= 1e-5 * scale);
  }
}

TEST_CASE("portable_dots is portable_dot per row, whatever the grouping", "[portable_math]") {
  Lcg g(4242);
  for (std::size_t n : {1, 7, 8, 9, 64, 67}) {
    for (std::size_t count : {0, 1, 3, 4, 5, 9}) {
      CAPTURE(n, count);
      std::vector<std::vector<float>> rows;
      std::vector<const float*> ptrs;
      for (std::size_t r = 0; r < count; ++r) {
        rows.push_back(lcg_vector(g, n));
        for (std::size_t i = 0; i < n; i += 3) rows.back()[i] *= 4096.0f;  // make reorderings visible
      }
      for (const auto& r : rows) ptrs.push_back(r.data());
      const std::vector<float> q = lcg_vector(g, n);
      std::vector<float> out(count + 1, -7.0f);
      portable_dots(ptrs.data(), count, q.data(), n, out.data());
      for (std::size_t r = 0; r < count; ++r) CHECK(bits_of(out[r]) == bits_of(portable_dot(rows[r].data(), q.data(), n)));
      CHECK(out[count] == -7.0f);
    }
  }
}

TEST_CASE("PortableCholesky::solve_columns is solve per column, for any number of columns", "[portable_math]") {
  Lcg g(5150);
  for (Eigen::Index n : {1, 3, 4, 6, 13, 40}) {
    const Eigen::MatrixXf a = spd_matrix(g, n);
    const PortableCholesky chol(a);
    REQUIRE(chol.ok());
    for (Eigen::Index m : {0, 1, 3, 4, 5, 10}) {
      CAPTURE(n, m);
      Eigen::MatrixXf b(n, m);
      for (Eigen::Index c = 0; c < m; ++c) b.col(c) = lcg_eigen_vector(g, n);
      const Eigen::MatrixXf x = chol.solve_columns(b);
      REQUIRE(x.rows() == n);
      REQUIRE(x.cols() == m);
      for (Eigen::Index c = 0; c < m; ++c) {
        const Eigen::VectorXf one = chol.solve(b.col(c));
        for (Eigen::Index i = 0; i < n; ++i) CHECK(bits_of(x(i, c)) == bits_of(one(i)));
      }
    }
  }
  const PortableCholesky failed(Eigen::MatrixXf::Zero(3, 3));
  const Eigen::MatrixXf x = failed.solve_columns(Eigen::MatrixXf::Ones(3, 2));
  CHECK(x.cols() == 2);
  CHECK(std::isnan(x(2, 1)));
}

TEST_CASE("PortableCholesky reads only the lower triangle", "[portable_math]") {
  Lcg g(31337);
  const Eigen::MatrixXf a = spd_matrix(g, 9);
  const Eigen::VectorXf b = lcg_eigen_vector(g, 9);
  Eigen::MatrixXf garbage = a;
  for (Eigen::Index i = 0; i < 9; ++i)
    for (Eigen::Index j = i + 1; j < 9; ++j) garbage(i, j) = (i + j) % 2 ? std::numeric_limits<float>::quiet_NaN() : -1e30f;
  const PortableCholesky clean(a), dirty(garbage);
  REQUIRE(dirty.ok());
  const Eigen::VectorXf x1 = clean.solve(b), x2 = dirty.solve(b);
  for (Eigen::Index i = 0; i < 9; ++i) CHECK(bits_of(x1(i)) == bits_of(x2(i)));
}

TEST_CASE("PortableCholesky rejects matrices that are not positive definite", "[portable_math]") {
  const auto all_nan = [](const Eigen::VectorXf& v) {
    for (Eigen::Index i = 0; i < v.size(); ++i)
      if (!std::isnan(v(i))) return false;
    return true;
  };
  SECTION("indefinite 2x2") {
    Eigen::MatrixXf a(2, 2);
    a << 1, 2, 2, 1;  // eigenvalues 3 and -1
    const PortableCholesky chol(a);
    CHECK_FALSE(chol.ok());
    CHECK(chol.size() == 2);
    const Eigen::VectorXf x = chol.solve(Eigen::VectorXf::Ones(2));
    CHECK(x.size() == 2);
    CHECK(all_nan(x));
  }
  SECTION("the failing pivot is the last one") {
    Eigen::MatrixXf a = Eigen::MatrixXf::Identity(4, 4);
    a(3, 0) = a(0, 3) = 0.6f;
    a(3, 1) = a(1, 3) = 0.6f;
    a(3, 2) = a(2, 3) = 0.6f;  // last pivot 1 - 3 * 0.36 < 0
    const PortableCholesky chol(a);
    CHECK_FALSE(chol.ok());
    CHECK(all_nan(chol.solve(Eigen::VectorXf::Ones(4))));
  }
  SECTION("singular (zero pivot)") {
    const PortableCholesky chol(Eigen::MatrixXf::Zero(3, 3));
    CHECK_FALSE(chol.ok());
    CHECK(all_nan(chol.solve(Eigen::VectorXf::Ones(3))));
  }
  SECTION("negative definite") {
    const PortableCholesky chol(Eigen::MatrixXf(-Eigen::MatrixXf::Identity(3, 3)));
    CHECK_FALSE(chol.ok());
  }
  SECTION("a non-finite entry in the lower triangle") {
    Eigen::MatrixXf a = Eigen::MatrixXf::Identity(3, 3);
    a(2, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_FALSE(PortableCholesky(a).ok());
    a(2, 1) = 0.0f;
    a(2, 2) = std::numeric_limits<float>::infinity();
    CHECK_FALSE(PortableCholesky(a).ok());
  }
  SECTION("default constructed") {
    const PortableCholesky chol;
    CHECK_FALSE(chol.ok());
    CHECK(chol.size() == 0);
  }
}

// Pinned bit patterns. These constants were computed by the native build and must be
// the same in WebAssembly: a different value on either means the arithmetic is no longer
// in a fixed order (a library reduction, FMA contraction, -ffast-math, ...) and native
// and browser rankings can disagree. Inputs are LCG values; A is formed in double.
TEST_CASE("portable arithmetic gives pinned bits", "[portable_math][pinned]") {
  Lcg g(0x5eed);
  Fnv1a h;
  // Many rows of several widths: the 8-lane body, the tail, and both together.
  for (std::size_t n : {3, 8, 37, 64, 100}) {
    const std::size_t rows = 257;
    const std::vector<float> m = lcg_vector(g, rows * n), q = lcg_vector(g, n);
    std::vector<float> out(rows);
    portable_rows_dot(m.data(), rows, n, q.data(), out.data());
    for (float x : out) h.add(x);
  }
  const std::uint64_t dot_hash = h.value();
  for (Eigen::Index n : {1, 6, 40}) {
    const Eigen::MatrixXf a = spd_matrix(g, n);
    const Eigen::VectorXf b = lcg_eigen_vector(g, n);
    const PortableCholesky chol(a);
    REQUIRE(chol.ok());
    const Eigen::VectorXf x = chol.solve(b);
    for (Eigen::Index i = 0; i < n; ++i) h.add(x(i));
  }
  CAPTURE(dot_hash);
  CHECK(dot_hash == 0x2415c4b8ccb37ae6ULL);
  CHECK(h.value() == 0x8f304075c39f6174ULL);
}

namespace {

std::uint64_t matrix_hash(const Eigen::MatrixXf& m) {
  Fnv1a h;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    for (Eigen::Index i = 0; i < m.rows(); ++i) h.add(m(i, j));
  return h.value();
}

// The pinned request: a weighted history of five items from several clusters.
RankRequest pinned_request() {
  RankRequest r;
  r.history = {{3, 1.0f, 0}, {17, 2.0f, 0}, {42, 1.0f, 0}, {58, 0.5f, 0}, {61, 4.0f, 0}};
  r.k = 20;
  return r;
}

// Items, fused, cf and content score bits of the top 20, and the fusion weight.
std::uint64_t rank_hash(const HybridModel& m) {
  const RankResult res = rank(m, pinned_request());
  REQUIRE(res.items.size() == 20);
  CHECK(res.source == "hybrid");
  Fnv1a h;
  for (const Recommendation& rec : res.items) {
    h.add(rec.item);
    h.add(rec.score);
    h.add(rec.cf);
    h.add(rec.content);
  }
  h.add(res.cf_weight);
  return h.value();
}

}  // namespace

// The fixture model as the tests build it, on each platform: its gram Y'Y comes from
// HybridModel::rebuild_derived (portable_gram), so the whole model, and therefore the
// ranking, is the same bits natively and in WebAssembly. On failure the hashes of the
// model's parts are printed, to tell a model difference from a ranker difference.
TEST_CASE("rank() gives pinned scores on the fixture model", "[portable_math][pinned][ranker]") {
  const HybridModel m = test::small_hybrid_model();
  INFO("gram hash " << std::hex << matrix_hash(m.gram) << ", factors hash " << matrix_hash(m.factors)
                    << ", embeddings hash " << matrix_hash(m.embeddings));
  CHECK(rank_hash(m) == 0x895165b94f0ef28bULL);
}

// portable_gram is exactly the double-precision sum over items in row order, rounded once.
TEST_CASE("portable_gram is the double sum over items, rounded once", "[portable_math]") {
  const HybridModel m = test::small_hybrid_model();
  const Eigen::Index f = m.factor_dim();
  for (Eigen::Index a = 0; a < f; ++a)
    for (Eigen::Index b = 0; b < f; ++b) {
      double s = 0.0;
      for (Eigen::Index i = 0; i < m.factors.rows(); ++i) s += static_cast<double>(m.factors(i, a)) * m.factors(i, b);
      REQUIRE(m.gram(a, b) == static_cast<float>(s));
    }
}

#include <catch2/catch.hpp>

#include "reco/ease.h"
#include "reco/error.h"
#include "reco/model_config.h"
#include "test_data.h"

using reco::Ease;
using reco::EaseParams;

namespace {

EaseParams params(float lambda, int top_n = 0) {
  EaseParams p;
  p.lambda = lambda;
  p.top_n = top_n;
  return p;
}

Eigen::MatrixXd dense(const reco::CsrMatrix& m) {
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(m.rows, m.cols);
  for (std::int32_t r = 0; r < m.rows; ++r)
    for (std::int64_t k = m.row_begin(r); k < m.row_end(r); ++k) d(r, m.indices[k]) = m.values[k];
  return d;
}

}  // namespace

TEST_CASE("EASE equals a ridge regression of each item on all the others", "[ease]") {
  // Independent check of the closed form: column j of B solves
  //   min |X_j - X_{-j} b|^2 + lambda |b|^2  with b_j = 0.
  const auto x = reco::test::random_interactions(40, 7, 0.35, 5);
  const float lambda = 3.0f;
  Ease ease(params(lambda));
  ease.fit(x);
  const Eigen::MatrixXd X = dense(x.user_items);
  const Eigen::MatrixXf& B = ease.weights();
  REQUIRE(B.rows() == 7);
  for (int j = 0; j < 7; ++j) {
    Eigen::MatrixXd others(X.rows(), 6);
    for (int c = 0, k = 0; c < 7; ++c)
      if (c != j) others.col(k++) = X.col(c);
    const Eigen::MatrixXd a = others.transpose() * others + lambda * Eigen::MatrixXd::Identity(6, 6);
    const Eigen::VectorXd b = a.ldlt().solve(others.transpose() * X.col(j));
    CHECK(B(j, j) == 0.0f);
    for (int c = 0, k = 0; c < 7; ++c) {
      if (c == j) continue;
      CHECK(B(c, j) == Approx(b(k++)).margin(1e-4));
    }
  }
}

TEST_CASE("EASE scores are the sum of the history items' rows", "[ease]") {
  const auto x = reco::test::random_interactions(30, 12, 0.3, 2);
  Ease ease(params(5.0f));
  ease.fit(x);
  std::vector<float> scores;
  ease.score_history({2, 7}, {1.0f, 1.0f}, scores);
  for (int i = 0; i < 12; ++i) CHECK(scores[i] == Approx(ease.weights()(2, i) + ease.weights()(7, i)).margin(1e-6));
  CHECK_THROWS_WITH(ease.score_history({12}, {1.0f}, scores), Catch::Contains("item"));
}

TEST_CASE("sparsify_rows keeps the largest magnitudes and quantises within half a step", "[ease]") {
  Eigen::MatrixXf m(2, 5);
  m << 0.0f, -0.9f, 0.1f, 0.5f, -0.2f,  //
      1.0f, 1.0f, 0.0f, 0.0f, 0.0f;
  const auto s = reco::sparsify_rows(m, 2);
  REQUIRE(s.rows == 2);
  REQUIRE(s.indptr[1] == 2);
  CHECK(s.indices[0] == 1);  // -0.9
  CHECK(s.indices[1] == 3);  //  0.5
  CHECK(s.scales[0] == Approx(0.9f / 127));
  CHECK(s.values[0] == -127);
  CHECK(std::abs(s.values[1] * s.scales[0] - 0.5f) <= s.scales[0] / 2);
  CHECK(s.indptr[2] - s.indptr[1] == 2);  // the tie between columns 0 and 1 keeps both
  CHECK(s.bytes() == 4 * 4 + 4 + 2 * 4 + 3 * 8);
}

TEST_CASE("sparse EASE keeping every entry ranks like dense EASE", "[ease]") {
  const auto x = reco::test::random_interactions(60, 25, 0.2, 8);
  Ease full(params(10.0f)), sparse(params(10.0f, 25));
  full.fit(x);
  sparse.fit(x);
  CHECK(sparse.weights().size() == 0);
  CHECK(sparse.model_bytes() < full.model_bytes() * 2);
  std::vector<float> a, b;
  for (int u = 0; u < 60; ++u) {
    full.score_user(u, a);
    sparse.score_user(u, b);
    float max_abs = 0.0f;
    for (float v : a) max_abs = std::max(max_abs, std::abs(v));
    for (int i = 0; i < 25; ++i) CHECK(b[i] == Approx(a[i]).margin(0.05f * max_abs + 1e-6f));
  }
}

TEST_CASE("EASE refuses a catalog above max_items before allocating, and the plan falls back to ALS", "[ease]") {
  EaseParams p = params(10.0f);
  p.max_items = 10;
  Ease ease(p);
  CHECK_THROWS_WITH(ease.fit(reco::test::random_interactions(5, 11, 0.5, 1)), Catch::Contains("ease-max-items"));
  reco::ModelConfig config;
  config.model = "ease";
  config.ease = p;
  std::string note;
  CHECK(reco::plan_for_catalog(config, 10, note).model == "ease");
  CHECK(note.empty());
  CHECK(reco::plan_for_catalog(config, 11, note).model == "als");
  CHECK_THAT(note, Catch::Contains("11 items"));
  CHECK_THROWS_WITH(Ease(params(0.0f)), Catch::Contains("lambda"));
  CHECK_THROWS_WITH(Ease(params(1.0f, -1)), Catch::Contains("ease-top"));
}

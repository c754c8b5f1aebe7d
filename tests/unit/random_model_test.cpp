#include <catch2/catch.hpp>

#include "reco/error.h"
#include "reco/random_model.h"

TEST_CASE("the random baseline is reproducible per user and differs between users", "[models]") {
  const auto x = reco::make_interactions({{0, 0, 1.0f, 0}, {1, 1, 1.0f, 0}}, 2, 50, reco::Weighting::Binary);
  reco::RandomModel a(7), b(7);
  a.fit(x);
  b.fit(x);
  std::vector<float> s0, s1, t0;
  a.score_user(0, s0);
  a.score_user(1, s1);
  b.score_user(0, t0);
  CHECK(s0 == t0);
  CHECK(s0 != s1);
  for (float v : s0) CHECK((v >= 0.0f && v < 1.0f));
  CHECK_THROWS_AS(a.score_user(2, s0), reco::ParamError);
}

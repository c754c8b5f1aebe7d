#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "reco/error.h"
#include "reco/item_knn.h"

using Catch::Matchers::WithinAbs;
using reco::Event;

namespace {

// 4 users x 4 items, binary:
//   u0: i0 i1      columns: i0 = {u0,u1,u3}  |i0| = sqrt 3
//   u1: i0 i1 i2            i1 = {u0,u1,u2}  |i1| = sqrt 3
//   u2:    i1 i2            i2 = {u1,u2}     |i2| = sqrt 2
//   u3: i0       i3         i3 = {u3}        |i3| = 1
// dots: (0,1) = 2, (0,2) = 1, (0,3) = 1, (1,2) = 2, (1,3) = (2,3) = 0.
reco::Interactions four_items() {
  const std::vector<Event> events{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 0}, {3, 3}};
  return reco::make_interactions(events, 4, 4, reco::Weighting::Binary);
}

}  // namespace

TEST_CASE("ItemKnn similarities follow the shrunk cosine", "[models]") {
  reco::ItemKnn knn({/*neighbours=*/10, /*shrinkage=*/1.0f});
  CHECK(knn.name() == "knn");
  knn.fit(four_items());
  const auto& nb = knn.neighbours();
  REQUIRE(nb.size() == 4);
  const double s01 = 2.0 / (3.0 + 1.0);                // 0.5
  const double s02 = 1.0 / (std::sqrt(6.0) + 1.0);     // 0.2899
  const double s03 = 1.0 / (std::sqrt(3.0) + 1.0);     // 0.3660
  const double s12 = 2.0 / (std::sqrt(6.0) + 1.0);     // 0.5798

  REQUIRE(nb[0].size() == 3);  // ordered by similarity: 1, 3, 2
  CHECK(nb[0][0].item == 1);
  CHECK_THAT(nb[0][0].score, WithinAbs(s01, 1e-6));
  CHECK(nb[0][1].item == 3);
  CHECK_THAT(nb[0][1].score, WithinAbs(s03, 1e-6));
  CHECK(nb[0][2].item == 2);
  CHECK_THAT(nb[0][2].score, WithinAbs(s02, 1e-6));

  REQUIRE(nb[1].size() == 2);  // no shared user with item 3: not a neighbour
  CHECK(nb[1][0].item == 2);
  CHECK_THAT(nb[1][0].score, WithinAbs(s12, 1e-6));
  CHECK(nb[1][1].item == 0);
  CHECK_THAT(nb[1][1].score, WithinAbs(s01, 1e-6));

  REQUIRE(nb[3].size() == 1);
  CHECK(nb[3][0].item == 0);
  CHECK_THAT(nb[3][0].score, WithinAbs(s03, 1e-6));

  // Without shrinkage it is the plain cosine.
  reco::ItemKnn plain({10, 0.0f});
  plain.fit(four_items());
  CHECK_THAT(plain.neighbours()[1][0].score, WithinAbs(2.0 / std::sqrt(6.0), 1e-6));
  CHECK_THAT(plain.neighbours()[0][0].score, WithinAbs(2.0 / 3.0, 1e-6));
}

TEST_CASE("ItemKnn keeps only the top-N neighbours and scores through them", "[models]") {
  reco::ItemKnn knn({/*neighbours=*/2, /*shrinkage=*/1.0f});
  knn.fit(four_items());
  const auto& nb = knn.neighbours();
  REQUIRE(nb[0].size() == 2);  // item 2 (0.29) falls below the cut
  CHECK(nb[0][0].item == 1);
  CHECK(nb[0][1].item == 3);
  REQUIRE(nb[2].size() == 2);  // item 2 still lists item 0: the cut is per item
  CHECK(nb[2][0].item == 1);
  CHECK(nb[2][1].item == 0);

  // User 3 (history i0, i3): score(i) = sim(0 -> i) + sim(3 -> i) over the kept lists.
  std::vector<float> scores;
  knn.score_user(3, scores);
  REQUIRE(scores.size() == 4);
  CHECK_THAT(scores[0], WithinAbs(1.0 / (std::sqrt(3.0) + 1.0), 1e-6));  // from i3's list
  CHECK_THAT(scores[1], WithinAbs(0.5, 1e-6));                           // from i0's list
  CHECK(scores[2] == 0.0f);                                              // cut from i0's list
  CHECK_THAT(scores[3], WithinAbs(1.0 / (std::sqrt(3.0) + 1.0), 1e-6));  // from i0's list
}

TEST_CASE("ItemKnn breaks similarity ties by the smaller item index", "[models]") {
  // One user with three items: every pair has the same similarity 1 / (1 + 1).
  const auto train = reco::make_interactions({{0, 0}, {0, 1}, {0, 2}}, 1, 3, reco::Weighting::Binary);
  reco::ItemKnn knn({1, 1.0f});
  knn.fit(train);
  const auto& nb = knn.neighbours();
  REQUIRE(nb[0].size() == 1);
  CHECK(nb[0][0].item == 1);
  CHECK(nb[1][0].item == 0);
  CHECK(nb[2][0].item == 0);
  CHECK(nb[2][0].score == 0.5f);
}

TEST_CASE("ItemKnn uses the matrix values as weights", "[models]") {
  // i0 = (2, 1), i1 = (1, 3) over users 0 and 1: dot 5, norms sqrt 5 and sqrt 10.
  const std::vector<Event> events{{0, 0, 2.0f}, {0, 1, 1.0f}, {1, 0, 1.0f}, {1, 1, 3.0f}};
  const auto train = reco::make_interactions(events, 2, 2, reco::Weighting::Raw);
  reco::ItemKnn knn({5, 1.0f});
  knn.fit(train);
  const double sim = 5.0 / (std::sqrt(50.0) + 1.0);
  REQUIRE(knn.neighbours()[0].size() == 1);
  CHECK_THAT(knn.neighbours()[0][0].score, WithinAbs(sim, 1e-6));

  // User 0's history weighs i0 by 2 and i1 by 1.
  std::vector<float> scores;
  knn.score_user(0, scores);
  CHECK_THAT(scores[0], WithinAbs(1.0 * sim, 1e-6));
  CHECK_THAT(scores[1], WithinAbs(2.0 * sim, 1e-6));
}

TEST_CASE("ItemKnn scores a history that is not a training user", "[models]") {
  reco::ItemKnn knn({10, 1.0f});
  knn.fit(four_items());
  std::vector<float> scores;
  knn.score_history({2}, {}, scores);  // empty strengths: weight 1
  REQUIRE(scores.size() == 4);
  CHECK_THAT(scores[1], WithinAbs(2.0 / (std::sqrt(6.0) + 1.0), 1e-6));
  CHECK_THAT(scores[0], WithinAbs(1.0 / (std::sqrt(6.0) + 1.0), 1e-6));
  CHECK(scores[2] == 0.0f);
  CHECK(scores[3] == 0.0f);

  std::vector<float> weighted;
  knn.score_history({2, 3}, {2.0f, 0.5f}, weighted);
  CHECK_THAT(weighted[0], WithinAbs(2.0 / (std::sqrt(6.0) + 1.0) + 0.5 / (std::sqrt(3.0) + 1.0), 1e-6));

  // Same history as training user 3 gives the same scores.
  std::vector<float> as_user, as_history;
  knn.score_user(3, as_user);
  knn.score_history({0, 3}, {1.0f, 1.0f}, as_history);
  CHECK(as_user == as_history);

  std::vector<float> empty;
  knn.score_history({}, {}, empty);
  CHECK(empty == std::vector<float>(4, 0.0f));

  CHECK_THROWS_AS(knn.score_history({0, 4}, {}, scores), std::out_of_range);
  CHECK_THROWS_AS(knn.score_history({0, 1}, {1.0f}, scores), std::invalid_argument);
  CHECK_THROWS_AS(knn.score_user(4, scores), std::out_of_range);
}

TEST_CASE("ItemKnn validates its parameters", "[models]") {
  auto param_of = [](const reco::ItemKnnParams& p) {
    try {
      reco::ItemKnn knn(p);
    } catch (const reco::ParamError& e) {
      return e.param();
    }
    return std::string();
  };
  CHECK(param_of({0, 10.0f}) == "neighbours");
  CHECK(param_of({-3, 10.0f}) == "neighbours");
  CHECK(param_of({10, -1.0f}) == "shrinkage");
  CHECK(param_of({10, std::nanf("")}) == "shrinkage");
  CHECK(param_of({10, INFINITY}) == "shrinkage");
  CHECK(param_of({1, 0.0f}).empty());
}

#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "reco/popularity.h"

using reco::Event;

TEST_CASE("Popularity scores each item by its number of distinct training users", "[models]") {
  // Item 1 is seen twice by user 3 (merged into one entry); item 3 by nobody.
  const std::vector<Event> events{{0, 0}, {0, 1}, {1, 0}, {1, 2}, {2, 0}, {3, 0}, {3, 1}, {3, 1}};
  const auto train = reco::make_interactions(events, 4, 4, reco::Weighting::Binary);
  reco::Popularity pop;
  CHECK(pop.name() == "pop");
  pop.fit(train);
  CHECK(pop.counts() == std::vector<std::int32_t>{4, 2, 1, 0});

  std::vector<float> scores;
  pop.score_user(0, scores);
  CHECK(scores == std::vector<float>{4.0f, 2.0f, 1.0f, 0.0f});
  std::vector<float> other;
  pop.score_user(3, other);
  CHECK(other == scores);  // not personalised
}

TEST_CASE("Popularity ignores the values of the matrix", "[models]") {
  const std::vector<Event> events{{0, 0, 5.0f}, {1, 1, 1.0f}, {2, 1, 1.0f}};
  const auto train = reco::make_interactions(events, 3, 2, reco::Weighting::Raw);
  reco::Popularity pop;
  pop.fit(train);
  CHECK(pop.counts() == std::vector<std::int32_t>{1, 2});
}

TEST_CASE("Popularity rejects users outside the training matrix", "[models]") {
  const auto train = reco::make_interactions({{0, 0}}, 1, 2, reco::Weighting::Binary);
  reco::Popularity pop;
  pop.fit(train);
  std::vector<float> scores;
  CHECK_THROWS_AS(pop.score_user(1, scores), std::out_of_range);
  CHECK_THROWS_AS(pop.score_user(-1, scores), std::out_of_range);
}

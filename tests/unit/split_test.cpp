#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "reco/error.h"
#include "reco/split.h"

using reco::Event;

namespace {

// 10 users; user u has items 0..(u+1)*2-1 with timestamp = item index.
std::vector<Event> ladder() {
  std::vector<Event> events;
  for (int u = 0; u < 10; ++u)
    for (int i = 0; i < (u + 1) * 2; ++i) events.push_back({u, i, 1.0f, i});
  return events;
}

std::set<std::pair<int, int>> pairs(const std::vector<Event>& events) {
  std::set<std::pair<int, int>> p;
  for (const auto& e : events) p.insert({e.user, e.item});
  return p;
}

}  // namespace

TEST_CASE("parse_split accepts every documented form", "[split]") {
  auto s = reco::parse_split("folds:u1,u2");
  CHECK(s.kind == reco::SplitSpec::Kind::Folds);
  CHECK(s.folds == std::vector<std::string>{"u1", "u2"});
  s = reco::parse_split("holdout:0.25:7");
  CHECK(s.kind == reco::SplitSpec::Kind::Holdout);
  CHECK(s.fraction == 0.25);
  CHECK(s.seeds == std::vector<std::uint64_t>{7});
  s = reco::parse_split("holdout:0.2:1,2,3");
  CHECK(s.seeds.size() == 3);
  s = reco::parse_split("leave-last:3");
  CHECK(s.count == 3);
  s = reco::parse_split("cold:0.1:5");
  CHECK(s.kind == reco::SplitSpec::Kind::Cold);
  s = reco::parse_split("cold-items:/tmp/x.txt");
  CHECK(s.file == "/tmp/x.txt");
}

TEST_CASE("parse_split rejects malformed specs naming the split parameter", "[split]") {
  for (const char* bad : {"", "holdout", "holdout:0:1", "holdout:1.5:1", "holdout:0.2", "holdout:0.2:x",
                          "leave-last:0", "leave-last:two", "folds:", "cold-items:", "random:0.2:1"}) {
    INFO(bad);
    CHECK_THROWS_AS(reco::parse_split(bad), reco::ParamError);
    CHECK_THROWS_WITH(reco::parse_split(bad), Catch::Contains("split"));
  }
}

TEST_CASE("holdout moves a seeded fraction of each user's items and keeps one in training", "[split]") {
  const auto events = ladder();
  const auto s = reco::holdout_split(events, 0.5, 3);
  CHECK(s.train.size() + s.test.size() == events.size());
  for (int u = 0; u < 10; ++u) {
    const auto n = (u + 1) * 2;
    const auto in_test = std::count_if(s.test.begin(), s.test.end(), [&](const Event& e) { return e.user == u; });
    CHECK(in_test == std::min<long>(std::lround(0.5 * n), n - 1));
  }
  // Disjoint sides; the same seed gives the same split, another seed a different one.
  const auto train = pairs(s.train);
  for (const auto& p : pairs(s.test)) CHECK(train.count(p) == 0);
  CHECK(pairs(reco::holdout_split(events, 0.5, 3).test) == pairs(s.test));
  CHECK(pairs(reco::holdout_split(events, 0.5, 4).test) != pairs(s.test));
}

TEST_CASE("holdout keeps all events of a (user, item) pair on one side", "[split]") {
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) {
    events.push_back({0, i, 1.0f, 1});
    events.push_back({0, i, 5.0f, 2});
  }
  const auto s = reco::holdout_split(events, 0.3, 1);
  const auto train = pairs(s.train);
  for (const auto& p : pairs(s.test)) CHECK(train.count(p) == 0);
  CHECK(s.test.size() == 12);
}

TEST_CASE("leave-last puts each user's most recent items in test", "[split]") {
  const auto s = reco::leave_last_split(ladder(), 2);
  for (const auto& e : s.test) CHECK(e.item >= (e.user + 1) * 2 - 2);
  // User 0 has two items: one stays in training.
  CHECK(std::count_if(s.test.begin(), s.test.end(), [](const Event& e) { return e.user == 0; }) == 1);
  CHECK(s.test.size() == 1 + 9 * 2);
}

TEST_CASE("cold item split removes every event of the cold items from training", "[split]") {
  const auto events = ladder();
  const auto cold = reco::sample_items(events, 0.25, 9);
  REQUIRE(cold.size() == 5);  // 20 distinct items
  const auto s = reco::cold_item_split(events, cold);
  CHECK(s.candidates == cold);
  for (const auto& e : s.train) CHECK(!std::binary_search(cold.begin(), cold.end(), e.item));
  for (const auto& e : s.test) CHECK(std::binary_search(cold.begin(), cold.end(), e.item));
  CHECK(s.train.size() + s.test.size() == events.size());
}

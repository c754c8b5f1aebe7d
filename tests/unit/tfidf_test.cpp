#include <catch2/catch.hpp>

#include "reco/error.h"
#include "reco/model_config.h"
#include "reco/tfidf.h"

using reco::TfidfContent;

TEST_CASE("TF-IDF vectors are unit length and rare words weigh more", "[tfidf]") {
  const TfidfContent m({"Alien . Sci-Fi . Horror", "Aliens . Sci-Fi . Action", "Heat . Action . Crime",
                        "Clueless . Comedy"});
  for (int i = 0; i < 4; ++i) {
    double norm = 0;
    for (const auto& [id, w] : m.item_vector(i)) norm += static_cast<double>(w) * w;
    CHECK(norm == Approx(1.0));
  }
}

TEST_CASE("TF-IDF ranks items sharing the history's words first, cold items included", "[tfidf]") {
  const std::vector<std::string> texts{"Alien . Sci-Fi . Horror", "Predator . Sci-Fi . Horror . Action",
                                       "Clueless . Comedy . Romance", "Notting Hill . Comedy . Romance"};
  TfidfContent m(texts);
  // Only item 0 and 2 have interactions; items 1 and 3 are cold.
  const auto x = reco::make_interactions({{0, 0, 1.0f, 0}, {1, 2, 1.0f, 0}}, 2, 4, reco::Weighting::Binary);
  m.fit(x);
  std::vector<float> s;
  m.score_user(0, s);
  CHECK(s[1] > s[3]);
  CHECK(s[3] == 0.0f);
  m.score_user(1, s);
  CHECK(s[3] > s[1]);
  CHECK_THROWS_WITH(m.score_history({7}, {1.0f}, s), Catch::Contains("item"));
  CHECK_THROWS_AS(m.fit(reco::make_interactions({}, 1, 3, reco::Weighting::Binary)), reco::ParamError);
}

TEST_CASE("make_model builds tfidf only with a catalog", "[tfidf]") {
  reco::ModelConfig c;
  c.model = "tfidf";
  CHECK_THROWS_WITH(reco::make_model(c), Catch::Contains("catalog"));
  reco::Dataset ds;
  ds.items.add("1");
  ds.item_info.push_back({"Toy Story", {"Animation"}, {"pixar"}, ""});
  CHECK(reco::make_model(c, &ds)->name() == "tfidf");
  CHECK(reco::item_text(ds.item_info[0]) == "Toy Story . Animation . pixar");
}

// Small synthetic data shared by the unit tests.
#pragma once

#include <string>

#include "reco/dataset.h"
#include "reco/random.h"

namespace reco {
namespace test {

// A random binary users x items matrix with about `density` of the cells set.
inline Interactions random_interactions(int users, int items, double density, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Event> events;
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i)
      if (rng.uniform() < density) events.push_back({u, i, 1.0f, 0});
  return make_interactions(events, users, items, Weighting::Binary);
}

// The MovieLens folder the build was configured with.
inline std::string data_dir() { return RECO_TEST_DATA_DIR; }

}  // namespace test
}  // namespace reco

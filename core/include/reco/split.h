// Train/test splits for offline evaluation. Every split is a pure function of the
// data and a seed, so results are reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/dataset.h"
#include "reco/loaders.h"

namespace reco {

// One train/test pair. `candidates` lists the items that may be recommended; empty means
// every item of the catalog (item cold-start splits rank only the cold items).
struct Split {
  std::string name;
  std::vector<Event> train;
  std::vector<Event> test;
  std::vector<std::int32_t> candidates;
};

// A parsed --split argument.
//   folds:u1,u2,...     ML-100K's official uN.base / uN.test files
//   holdout:F:SEED      per user, a seeded fraction F of the user's distinct items to test
//                       (SEED may be a list, holdout:0.2:1,2,3, giving one split per seed)
//   leave-last:N        per user, the N most recent distinct items to test
//   cold:F:SEED         a seeded fraction F of the items (all their events) to test (SEED as above)
//   cold-items:FILE     the items listed in FILE (one external id per line) to test
struct SplitSpec {
  enum class Kind { Folds, Holdout, LeaveLast, Cold, ColdItems };
  Kind kind = Kind::Holdout;
  std::vector<std::string> folds;
  double fraction = 0.2;
  std::vector<std::uint64_t> seeds{42};
  int count = 1;
  std::string file;
  std::string text;  // the original argument, for reports
};

// Throws ParamError("split", ...) with the accepted forms when `text` is malformed.
SplitSpec parse_split(const std::string& text);

// Builds the splits a spec describes. `data_path` is the data set's folder (needed for
// fold files); `ds` gains any ids that only the fold files mention.
std::vector<Split> make_splits(const SplitSpec& spec, Dataset& ds, const std::string& data_path, Format format);

// Per user, moves a seeded fraction of the user's distinct items (with all their
// events) from `events` to the test side. A user always keeps at least one item on the
// training side, so users with a single item stay entirely in training.
Split holdout_split(const std::vector<Event>& events, double fraction, std::uint64_t seed);

// Per user, the `n` most recent distinct items (by their latest timestamp, ties by the
// larger item index) go to test; at least one item always stays in training.
Split leave_last_split(const std::vector<Event>& events, int n);

// All events of `cold_items` go to test and only those items are candidates.
Split cold_item_split(const std::vector<Event>& events, const std::vector<std::int32_t>& cold_items);

// A seeded fraction of the items that have events, as a cold item set.
std::vector<std::int32_t> sample_items(const std::vector<Event>& events, double fraction, std::uint64_t seed);

}  // namespace reco

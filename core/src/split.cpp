#include "reco/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "reco/error.h"
#include "reco/random.h"

namespace reco {
namespace {

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

const char* kSplitForms = "expected folds:u1,u2,... | holdout:FRACTION:SEED | leave-last:N | cold:FRACTION:SEED | cold-items:FILE";

double parse_fraction(const std::string& s, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v > 0.0 && v < 1.0))
    throw ParamError("split", "'" + text + "': fraction must be a number strictly between 0 and 1, got '" + s + "'");
  return v;
}

long long parse_integer(const std::string& s, const std::string& text, const char* what, long long min) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < min)
    throw ParamError("split", "'" + text + "': " + what + " must be an integer >= " + std::to_string(min) + ", got '" + s + "'");
  return v;
}

// Groups events by user, keeping each user's events in input order.
std::vector<std::vector<std::size_t>> events_by_user(const std::vector<Event>& events) {
  std::int32_t n_users = 0;
  for (const Event& e : events) n_users = std::max(n_users, e.user + 1);
  std::vector<std::vector<std::size_t>> by_user(static_cast<std::size_t>(n_users));
  for (std::size_t k = 0; k < events.size(); ++k) by_user[static_cast<std::size_t>(events[k].user)].push_back(k);
  return by_user;
}

// Moves the events whose (user, item) is in `test_pairs` to test, the rest to train.
Split partition(const std::vector<Event>& events, const std::set<std::pair<std::int32_t, std::int32_t>>& test_pairs) {
  Split s;
  for (const Event& e : events) (test_pairs.count({e.user, e.item}) ? s.test : s.train).push_back(e);
  return s;
}

}  // namespace

SplitSpec parse_split(const std::string& text) {
  SplitSpec spec;
  spec.text = text;
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw ParamError("split", "'" + text + "': " + kSplitForms);
  const std::string kind = text.substr(0, colon);
  const std::string rest = text.substr(colon + 1);
  const auto parts = split_on(rest, ':');
  if (kind == "folds") {
    spec.kind = SplitSpec::Kind::Folds;
    spec.folds = split_on(rest, ',');
    for (const auto& f : spec.folds)
      if (f.empty()) throw ParamError("split", "'" + text + "': empty fold name");
  } else if (kind == "holdout" || kind == "cold") {
    spec.kind = kind == "holdout" ? SplitSpec::Kind::Holdout : SplitSpec::Kind::Cold;
    if (parts.size() != 2) throw ParamError("split", "'" + text + "': " + kSplitForms);
    spec.fraction = parse_fraction(parts[0], text);
    spec.seeds.clear();
    for (const auto& seed : split_on(parts[1], ','))
      spec.seeds.push_back(static_cast<std::uint64_t>(parse_integer(seed, text, "seed", 0)));
  } else if (kind == "leave-last") {
    spec.kind = SplitSpec::Kind::LeaveLast;
    if (parts.size() != 1) throw ParamError("split", "'" + text + "': " + kSplitForms);
    spec.count = static_cast<int>(parse_integer(parts[0], text, "N", 1));
  } else if (kind == "cold-items") {
    spec.kind = SplitSpec::Kind::ColdItems;
    spec.file = rest;
    if (spec.file.empty()) throw ParamError("split", "'" + text + "': missing item list file");
  } else {
    throw ParamError("split", "'" + text + "': unknown kind '" + kind + "'; " + kSplitForms);
  }
  return spec;
}

Split holdout_split(const std::vector<Event>& events, double fraction, std::uint64_t seed) {
  Rng rng(seed);
  std::set<std::pair<std::int32_t, std::int32_t>> test_pairs;
  const auto by_user = events_by_user(events);
  for (std::size_t u = 0; u < by_user.size(); ++u) {
    std::vector<std::int32_t> items;
    for (std::size_t k : by_user[u]) items.push_back(events[k].item);
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    // Fisher-Yates with our own generator: identical on every platform.
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
    const auto n_test = std::min<std::size_t>(static_cast<std::size_t>(std::lround(fraction * static_cast<double>(items.size()))),
                                              items.empty() ? 0 : items.size() - 1);
    for (std::size_t i = 0; i < n_test; ++i) test_pairs.insert({static_cast<std::int32_t>(u), items[i]});
  }
  Split s = partition(events, test_pairs);
  s.name = "holdout";
  return s;
}

Split leave_last_split(const std::vector<Event>& events, int n) {
  std::set<std::pair<std::int32_t, std::int32_t>> test_pairs;
  const auto by_user = events_by_user(events);
  for (std::size_t u = 0; u < by_user.size(); ++u) {
    std::map<std::int32_t, std::int64_t> latest;  // item -> its latest timestamp for this user
    for (std::size_t k : by_user[u]) {
      auto& t = latest[events[k].item];
      t = std::max(t, events[k].timestamp);
    }
    std::vector<std::pair<std::int64_t, std::int32_t>> order;
    for (const auto& [item, t] : latest) order.push_back({t, item});
    std::sort(order.rbegin(), order.rend());
    const auto n_test = std::min<std::size_t>(static_cast<std::size_t>(n), order.empty() ? 0 : order.size() - 1);
    for (std::size_t i = 0; i < n_test; ++i) test_pairs.insert({static_cast<std::int32_t>(u), order[i].second});
  }
  Split s = partition(events, test_pairs);
  s.name = "leave-last";
  return s;
}

Split cold_item_split(const std::vector<Event>& events, const std::vector<std::int32_t>& cold_items) {
  const std::set<std::int32_t> cold(cold_items.begin(), cold_items.end());
  Split s;
  s.name = "cold";
  for (const Event& e : events) (cold.count(e.item) ? s.test : s.train).push_back(e);
  s.candidates.assign(cold.begin(), cold.end());
  return s;
}

std::vector<std::int32_t> sample_items(const std::vector<Event>& events, double fraction, std::uint64_t seed) {
  std::vector<std::int32_t> items;
  for (const Event& e : events) items.push_back(e.item);
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  Rng rng(seed);
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
  items.resize(static_cast<std::size_t>(std::lround(fraction * static_cast<double>(items.size()))));
  std::sort(items.begin(), items.end());
  return items;
}

std::vector<Split> make_splits(const SplitSpec& spec, Dataset& ds, const std::string& data_path, Format format) {
  std::vector<Split> splits;
  switch (spec.kind) {
    case SplitSpec::Kind::Folds:
      if (format != Format::Ml100k)
        throw ParamError("split", "'" + spec.text + "': fold files exist only for --format ml100k; use holdout, leave-last or cold");
      for (const auto& fold : spec.folds) {
        Split s;
        s.name = fold;
        s.train = load_ml100k_events(data_path + "/" + fold + ".base", ds);
        s.test = load_ml100k_events(data_path + "/" + fold + ".test", ds);
        splits.push_back(std::move(s));
      }
      break;
    case SplitSpec::Kind::Holdout:
      for (std::uint64_t seed : spec.seeds) {
        splits.push_back(holdout_split(ds.events, spec.fraction, seed));
        splits.back().name = "seed " + std::to_string(seed);
      }
      break;
    case SplitSpec::Kind::LeaveLast:
      splits.push_back(leave_last_split(ds.events, spec.count));
      break;
    case SplitSpec::Kind::Cold:
      for (std::uint64_t seed : spec.seeds) {
        splits.push_back(cold_item_split(ds.events, sample_items(ds.events, spec.fraction, seed)));
        splits.back().name = "seed " + std::to_string(seed);
      }
      break;
    case SplitSpec::Kind::ColdItems:
      splits.push_back(cold_item_split(ds.events, load_item_id_list(spec.file, ds.items)));
      break;
  }
  for (auto& s : splits)
    if (spec.kind == SplitSpec::Kind::LeaveLast || spec.kind == SplitSpec::Kind::ColdItems) s.name = spec.text;
  return splits;
}

}  // namespace reco

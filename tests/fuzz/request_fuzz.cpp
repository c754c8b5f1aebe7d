// libFuzzer target for ranking requests as JSON text (rank_json.cpp): the bytes are the
// request, as `reco rank`, the HTTP API and the WebAssembly module receive it, given to
// parse_rank_request(text, model, "fuzz"). Whatever the bytes, parsing may only throw
// reco::ParamError or reco::DataError; anything else (another exception, a crash, a
// sanitizer report, a hang) is a bug. A request that parses must also be served:
// reco::rank runs on it against two models (candidates from the HNSW indexes, and by
// exact scoring), the result must respect the request, and its JSON must survive a
// round trip.
//
// The model is the unit tests' fixture (tests/unit/hybrid_fixture.h) at 40 items, with
// every odd item renamed to its number, so string and integer ids both resolve:
// "item0", 1, "1", "item2", 3, ...
//
// Seeds: tests/fuzz/request-seeds/ (run.sh copies them); dictionary: request.dict.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../unit/hybrid_fixture.h"
#include "reco/error.h"
#include "reco/hybrid_model.h"
#include "reco/interaction_json.h"
#include "reco/rank_json.h"
#include "reco/ranker.h"

namespace {

reco::HybridModel request_model(int exact_below) {
  reco::HybridModel m = reco::test::small_hybrid_model(40);
  for (std::size_t i = 1; i < m.item_ids.size(); i += 2) m.item_ids[i] = std::to_string(i);
  m.params.recency_half_life_days = 30.0f;  // so timestamps and "now" matter
  m.params.exact_below = exact_below;
  m.refresh_lookups();
  return m;
}

const reco::HybridModel& indexed_model() {
  static const reco::HybridModel m = request_model(0);
  return m;
}

const reco::HybridModel& exact_model() {
  static const reco::HybridModel m = request_model(1000);
  return m;
}

void check(bool ok) {
  if (!ok) std::abort();
}

bool contains(const std::vector<std::int32_t>& v, std::int32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

void serve(const reco::HybridModel& m, const reco::RankRequest& r) {
  reco::RankResult res;
  try {
    res = reco::rank(m, r);
  } catch (const reco::ParamError&) {  // e.g. a folded-in factor too large for the index
    return;
  }
  const std::int32_t n = m.n_items();
  std::vector<std::int32_t> history;
  for (const reco::HistoryEntry& e : r.history) history.push_back(e.item);
  check(res.items.size() <= static_cast<std::size_t>(r.k));
  check(res.source == "hybrid" || res.source == "query" || res.source == "popular");
  check(std::isfinite(res.cf_weight) && res.cf_weight >= 0.0f && res.cf_weight <= 1.0f);
  std::vector<std::int32_t> seen;
  for (const reco::Recommendation& rec : res.items) {
    check(rec.item >= 0 && rec.item < n);
    check(!contains(seen, rec.item));
    seen.push_back(rec.item);
    check(!contains(r.deny, rec.item));
    check(r.allow.empty() || contains(r.allow, rec.item));
    check(!r.exclude_history || !contains(history, rec.item));
    check(std::isfinite(rec.score) && std::isfinite(rec.cf) && std::isfinite(rec.content));
    check(rec.because.size() <= static_cast<std::size_t>(r.explain));
    for (const reco::Contribution& c : rec.because) check(contains(history, c.item) && std::isfinite(c.score));
  }
  // The result as the front ends send it: valid JSON that reads back the same.
  const nlohmann::json j = reco::rank_result_json(res, m);
  check(nlohmann::json::parse(j.dump()) == j);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The same bytes as an interaction batch (POST /api/v1/interactions): parse or a
  // named error, nothing else.
  try {
    const auto events = reco::parse_interactions(text, indexed_model(), 1700000000, "fuzz");
    for (const auto& e : events)
      if (e.user.empty() || indexed_model().find_item(e.item) < 0 || !(e.value >= 0.0f)) __builtin_trap();
  } catch (const reco::ParamError&) {
  } catch (const reco::DataError&) {
  }
  reco::JsonRankRequest parsed;
  try {
    parsed = reco::parse_rank_request(text, indexed_model(), "fuzz");
  } catch (const reco::ParamError&) {
    return 0;
  } catch (const reco::DataError&) {
    return 0;
  }
  // A text query is the caller's to encode; rank the rest of the request without it.
  if (parsed.query_text) parsed.request.query.clear();
  serve(indexed_model(), parsed.request);
  serve(exact_model(), parsed.request);
  return 0;
}

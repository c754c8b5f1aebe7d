// Ranking requests and results as JSON, with items named by their external ids: the
// one wire format of `reco rank`, the HTTP API and the WebAssembly module, so every
// front end parses requests the same way and reports the same errors.
//
// Request (every field optional):
//   {"history": [{"item": "50", "strength": 4, "timestamp": 881250949} | "50", ...],
//    "query": "space adventure",          text, encoded by the model's encoder
//    "query_embedding": [0.1, ...],       or an embedding computed elsewhere
//    "k": 10, "exclude_history": true, "allow": ["1", ...], "deny": [...],
//    "tags": ["Comedy"], "diversity": 0.0, "now": 0, "explain": 3,
//    "signals": "hybrid" | "cf" | "content"}
// `diversity` is 1 - the MMR lambda (0: pure relevance). Ids may be strings or integers.
// Unknown fields are errors, so a misspelt option is never silently ignored.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/ranker.h"

namespace reco {

struct JsonRankRequest {
  RankRequest request;
  std::optional<std::string> query_text;  // "query": the caller encodes it
  bool has_history = false;               // "history" was given (possibly empty)
};

// Parses and checks a request against the model; errors are ParamErrors naming the
// field ("history[2].item", "k", ...).
JsonRankRequest parse_rank_request(const nlohmann::json& j, const HybridModel& model);
// The same from text (a DataError for malformed JSON, naming `source`).
JsonRankRequest parse_rank_request(const std::string& text, const HybridModel& model, const std::string& source);
// The text parser's fast path: the common request (history of {item, strength,
// timestamp}, k, explain, exclude_history; plain ASCII strings) read without a JSON tree,
// or nullopt for anything else, which the general parser then handles. Where it returns
// a request, it is the one the general parser gives (tests compare the two).
std::optional<JsonRankRequest> parse_simple_rank_request(const std::string& text, const HybridModel& model);

// {"source", "cf_weight", "candidates", "items": [{"id", "title", "score", "cf",
//  "content", "because": [{"id", "title", "score"}], "shared_tags"}]}
nlohmann::json rank_result_json(const RankResult& result, const HybridModel& model);

// The same document as rank_result_json(result, model).dump() (keys in the same sorted
// order, numbers formatted alike, invalid UTF-8 replaced by U+FFFD as dump's replace
// handler does), written straight to text: a ranking answered over HTTP spent more time
// building and printing that JSON tree than in several ranking steps. `labels` adds
// string fields (such as "model" and "model_version") to the top-level object.
std::string rank_result_text(const RankResult& result, const HybridModel& model,
                             const std::vector<std::pair<std::string, std::string>>& labels = {});

// {"id", "title", "genres", "tags", "popularity"} of item `index`.
nlohmann::json item_json(const HybridModel& model, std::int32_t index);
// An item's metadata from {"title", "genres", "tags", "text"} (all optional).
ItemInfo parse_item_info(const nlohmann::json& j);

// Parses JSON text; a DataError naming `source` when it is malformed or nested deeper
// than 64 levels.
nlohmann::json parse_json_text(const std::string& text, const std::string& source);

}  // namespace reco

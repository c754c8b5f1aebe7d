// The hybrid ranker: a history and/or a text query in, the top-K items with scores and
// explanations out. Pure functions of a HybridModel and a request; single-threaded.
//
// Two stages:
//  1. Candidates: the factor index's top-N for the folded-in user factor (inner product),
//     the content index's top-N for the content profile or query (cosine), and the most
//     popular items. An allow list or a tag filter instead makes every matching item a
//     candidate (scored exactly), so a filter never runs short of results.
//     EASE's top-N for the history joins them when the model has EASE weights and learned
//     fusion.
//  2. Fusion: each signal is z-score normalised over the candidates. With learned weights
//     (params.fusion) and a history without a query, s = sum_s w[bucket][group][s] * z_s
//     over every signal of fusion.h; otherwise
//        s = a * z_cf + (1 - a) * z_content,   a = min(1, |history| / fusion_t)
//     (a is capped at query_cf_weight when a query is given). No history and no query:
//     items by popularity.
// Optional diversity re-ranking (maximal marginal relevance on content similarity) and
// explanations follow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reco/hybrid_model.h"
#include "reco/top_k.h"

namespace reco {

struct HistoryEntry {
  std::int32_t item = 0;
  float strength = 1.0f;       // the interaction's value r (1 for a bare event)
  std::int64_t timestamp = 0;  // seconds since the epoch; 0 when unknown
};

struct RankRequest {
  std::vector<HistoryEntry> history;
  std::vector<float> query;      // a text query's embedding (content_dim values) or empty
  int k = 10;
  bool exclude_history = true;   // history items are not recommended again
  std::vector<std::int32_t> allow;  // when non-empty only these items may be recommended
  std::vector<std::int32_t> deny;   // never recommended
  std::vector<std::string> tags;    // when non-empty an item must carry one of these genres/tags
  float mmr_lambda = 1.0f;       // 1: no re-ranking; lower values trade relevance for diversity
  std::int64_t now = 0;          // reference time for recency weighting (0: newest history time)
  int explain = 3;               // history items listed per recommendation (0: none)
  std::optional<FusionMode> mode;  // the model's params.mode when absent (comparisons, demo switch)

  void validate(const HybridModel& model) const;  // ParamError naming the field
};

// One history item's additive share of a recommendation's collaborative score: the
// fold-in score x_u . y_i is exactly the sum of these over the history.
struct Contribution {
  std::int32_t item = 0;
  float score = 0.0f;
};

struct Recommendation {
  std::int32_t item = 0;
  float score = 0.0f;    // fused score (z-score units)
  float cf = 0.0f;       // raw collaborative score x_u . y_i (0 without history)
  float content = 0.0f;  // raw cosine to the content profile or query (0 without either)
  std::vector<Contribution> because;     // strongest positive contributions, largest first
  std::vector<std::string> shared_tags;  // genres/tags the item shares with the history
};

struct RankResult {
  std::vector<Recommendation> items;
  float cf_weight = 0.0f;  // the a used
  std::string source;      // "hybrid", "query" or "popular"
  int candidates = 0;      // stage-1 candidates after filters
};

RankResult rank(const HybridModel& model, const RankRequest& request);

// Stage 1 and 2 only: fused scores of every candidate that passes the filters, unsorted.
// (Evaluation ranks these itself.)
std::vector<ScoredItem> fused_scores(const HybridModel& model, const RankRequest& request);

// What the fusion learner sees of one request: the candidates (after filters, ascending
// item) with every signal z-scored over them (fusion.h), and whether each item had
// training interactions. Computed whether or not the model has learned weights; needs a
// history, no query and hybrid mode (else ParamError).
struct CandidateSignals {
  std::int32_t history = 0;  // merged history size
  std::vector<std::int32_t> items;
  std::vector<SignalWeights> z;
  std::vector<char> warm;
};
CandidateSignals candidate_signals(const HybridModel& model, const RankRequest& request);

// Why `item` would be recommended for the request's history: its fused score among the
// request's candidates (with the item added to them, whatever the filters), raw scores,
// contributions and shared tags (request.explain of them; 3 when it is 0).
Recommendation explain_item(const HybridModel& model, const RankRequest& request, std::int32_t item);

// Adds an item known only by its text (title, genres, tags, description): encodes it,
// maps the embedding to a factor, and inserts it into both indexes, so the next request
// can recommend it. Returns its index. Needs model.encoder; a duplicate id is a ParamError.
std::int32_t add_item(HybridModel& model, const std::string& id, const ItemInfo& info);
// The same with the item's content embedding computed elsewhere (the browser encodes
// with ONNX Runtime Web): content_dim finite values, expected unit length.
std::int32_t add_item(HybridModel& model, const std::string& id, const ItemInfo& info, const std::vector<float>& embedding);

}  // namespace reco

// Everything the hybrid ranker needs to serve any user from a history, as one value:
// what a model bundle holds once loaded, and what training produces before export.
//
//   factors     n_items x f   collaborative item factors (ALS for items with
//                             interactions; the content-to-factor map's output for items
//                             without any, so new items take part in collaborative scoring)
//   gram        f x f         Y'Y of `factors`, so a user's factor is one solve (fold-in)
//   embeddings  n_items x d   unit-length content embeddings from the text encoder
//   factor_map  (d+1) x f     ridge map [embedding, 1] -> factor (items added at run time)
//   popularity  n_items       training users per item (the fallback for empty histories)
//   ease        n_items rows  optional EASE weights, top-N entries per row in int8
//   two HNSW indexes          inner product on `factors`, cosine on `embeddings`
//   factor_codes, embedding_codes   int8 copies of factors and embeddings (derived), which
//                             the ranker's exact first stage scores (int8_scoring.h)
//
// Invariant (checked by validate()): every per-item array has n_items() rows and the
// indexes hold exactly n_items() items, item i of an index being item i of the catalog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <Eigen/Dense>

#include "reco/als.h"
#include "reco/content_encoder.h"
#include "reco/dataset.h"
#include "reco/ease.h"
#include "reco/fusion.h"
#include "reco/hnsw_index.h"
#include "reco/quantize.h"

namespace reco {

// Which signals the fusion uses. Cf and Content switch one off (for comparisons such as
// `reco export`'s report); bundles always ship Hybrid.
enum class FusionMode { Hybrid, Cf, Content };

struct HybridParams {
  // Fusion without learned weights: s = a * z_cf + (1 - a) * z_content with
  // a = min(1, |history| / fusion_t). Chosen on validation data (reco tune --model hybrid).
  float fusion_t = 10.0f;
  // Learned weights of every signal per history-size bucket (fusion.h); when present they
  // replace the formula above for requests with a history and no text query.
  FusionWeights fusion;
  int cf_candidates = 200;       // N of the factor index's top-N (history items come on top)
  int content_candidates = 200;  // N of the content index's top-N
  int popular_candidates = 50;   // most popular items always among the candidates
  // Catalogs up to this many items take the top-N of each signal by scoring every item
  // instead of searching the indexes: at 10,000 items and 64 dimensions that is about
  // twice as fast as a graph search for 250 neighbours (reco bench-ranker), and exact.
  int exact_below = 20000;
  // Content profile weights halve every this many days of age relative to the request's
  // time (0 turns recency weighting off; histories without timestamps are unaffected).
  float recency_half_life_days = 0.0f;
  // With a text query, a is capped here so the query's content signal keeps a share.
  float query_cf_weight = 0.3f;
  HnswParams hnsw;
  FusionMode mode = FusionMode::Hybrid;

  void validate() const;  // ParamError naming the field
};

struct HybridModel {
  std::vector<std::string> item_ids;  // external ids, index = item
  std::vector<ItemInfo> items;        // display metadata, parallel to item_ids
  FactorMatrix factors;
  Eigen::MatrixXf gram;
  float reg = 0.0f;    // the ALS regularisation fold-in uses
  float alpha = 0.0f;  // the ALS confidence slope fold-in uses: c = 1 + alpha * r
  FactorMatrix embeddings;  // row-major like factors: a request reads whole rows
  Eigen::MatrixXf factor_map;
  std::vector<float> popularity;
  SparseItemMatrix ease;  // rows == 0: no EASE signal
  std::optional<TextEncoder> encoder;  // absent: no text queries and no run-time items
  std::optional<HnswIndex> factor_index;
  std::optional<HnswIndex> content_index;
  HybridParams params;
  // Items by descending popularity (ties by index), at most max(popular_candidates, 1000):
  // the fallback list, kept so a request never sorts the whole catalog.
  std::vector<std::int32_t> popular_order;
  // Per-row int8 quantisations of factors and embeddings, for scoring the whole catalog
  // when it is below params.exact_below (cols 0 when a dimension exceeds
  // kInt8ScoringMaxCols: the first stage then scores the float rows).
  Int8Rows factor_codes;
  Int8Rows embedding_codes;
  // External id -> item index, for requests that name items by id.
  std::unordered_map<std::string, std::int32_t> item_index;
  // Every item's genres and tags (genres first, in stored order) as ids of their
  // lower-case forms, the first occurrence of each form only, so that explanations and
  // tag filters compare integers: item i's are item_tags[item_tag_offsets[i] ..
  // item_tag_offsets[i + 1]), with item_tag_positions giving each one's place in
  // genres ++ tags (to show it as stored). tag_names[id] is the lower-case form.
  std::vector<std::int32_t> item_tag_offsets;
  std::vector<std::int32_t> item_tags;
  std::vector<std::int32_t> item_tag_positions;
  std::vector<std::string> tag_names;
  std::unordered_map<std::string, std::int32_t> tag_index;  // lower-case form -> id

  std::int32_t n_items() const { return static_cast<std::int32_t>(item_ids.size()); }
  int factor_dim() const { return static_cast<int>(factors.cols()); }
  int content_dim() const { return static_cast<int>(embeddings.cols()); }
  bool has_ease() const { return ease.rows > 0; }

  // Recomputes gram from factors, and the lookups below, and (re)builds both indexes
  // with params.hnsw. Call after changing any of them.
  void rebuild_derived();
  // Recomputes popular_order from popularity, item_index from item_ids, the tag lookups
  // from items and the int8 codes from factors and embeddings only (a loaded bundle
  // ships gram and indexes).
  void refresh_lookups();
  // Appends the tag lookups of items.back() (an item just added).
  void append_item_tags();
  // The stored (not lower-cased) genre or tag at item_tag_positions entry k of item i.
  const std::string& item_tag_text(std::int32_t i, std::size_t k) const;
  // The index of the item with this external id, or -1.
  std::int32_t find_item(const std::string& id) const;
  // Throws DataError naming `source` and the part that is inconsistent.
  void validate(const std::string& source) const;
};

// A-Z mapped to a-z, every other byte kept: how genres and tags compare (ids in
// HybridModel's tag lookups, request tag filters).
std::string lower_ascii(std::string s);

// The item's factor predicted from its content embedding by the map.
Eigen::VectorXf map_to_factor(const Eigen::MatrixXf& factor_map, const float* embedding);

}  // namespace reco

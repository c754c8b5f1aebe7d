#include "reco/hybrid_model.h"

#include <algorithm>
#include <cmath>

#include "reco/error.h"
#include "reco/int8_scoring.h"
#include "reco/portable_math.h"

namespace reco {

void HybridParams::validate() const {
  if (!(fusion_t > 0.0f) || !(fusion_t <= 1e6f)) throw ParamError("fusion_t", "must be in (0, 1e6]");
  const auto count = [](const char* name, int v) {
    if (v < 0 || v > 100000) throw ParamError(name, "must be in [0, 100000], got " + std::to_string(v));
  };
  count("cf_candidates", cf_candidates);
  count("content_candidates", content_candidates);
  count("popular_candidates", popular_candidates);
  if (exact_below < 0) throw ParamError("exact_below", "must be >= 0, got " + std::to_string(exact_below));
  if (!(recency_half_life_days >= 0.0f) || !(recency_half_life_days <= 1e6f))
    throw ParamError("recency_half_life_days", "must be in [0, 1e6] (0 turns recency weighting off)");
  if (!(query_cf_weight >= 0.0f) || !(query_cf_weight <= 1.0f)) throw ParamError("query_cf_weight", "must be in [0, 1]");
  hnsw.validate();
  fusion.validate();
}

namespace {

std::vector<std::int32_t> popular_first(const std::vector<float>& popularity, int keep) {
  std::vector<std::int32_t> order(popularity.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  const std::size_t n = std::min(order.size(), static_cast<std::size_t>(std::max(keep, 0)));
  const auto better = [&](std::int32_t a, std::int32_t b) {
    const float pa = popularity[static_cast<std::size_t>(a)], pb = popularity[static_cast<std::size_t>(b)];
    return pa != pb ? pa > pb : a < b;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), better);
  order.resize(n);
  return order;
}

// The int8 rows the first stage scores, or none (cols 0) when the rows are too wide for
// its int32 sums.
Int8Rows scoring_codes(const FactorMatrix& m) {
  if (m.cols() > kInt8ScoringMaxCols) return {};
  return quantize_rows_int8(m.data(), static_cast<std::int32_t>(m.rows()), static_cast<std::int32_t>(m.cols()));
}

}  // namespace

void HybridModel::rebuild_derived() {
  // In a fixed order (portable_math.h): a model built natively and one built in
  // WebAssembly from the same factors fold users in identically.
  gram = portable_gram(factors.data(), static_cast<std::size_t>(factors.rows()), static_cast<std::size_t>(factors.cols()));
  refresh_lookups();
  factor_index = HnswIndex::build(factors.data(), n_items(), factor_dim(), HnswMetric::InnerProduct, params.hnsw);
  content_index = HnswIndex::build(embeddings.data(), n_items(), content_dim(), HnswMetric::Cosine, params.hnsw);
}

namespace {

// Appends one item's entries to m's tag lookups.
void append_tags_of(HybridModel& m, const ItemInfo& info) {
  const std::size_t first = m.item_tags.size();
  std::int32_t position = 0;
  for (const auto* list : {&info.genres, &info.tags})
    for (const std::string& t : *list) {
      const std::string lower = lower_ascii(t);
      const auto [it, added] = m.tag_index.emplace(lower, static_cast<std::int32_t>(m.tag_names.size()));
      if (added) m.tag_names.push_back(lower);
      if (std::find(m.item_tags.begin() + static_cast<std::ptrdiff_t>(first), m.item_tags.end(), it->second) == m.item_tags.end()) {
        m.item_tags.push_back(it->second);
        m.item_tag_positions.push_back(position);
      }
      ++position;
    }
  m.item_tag_offsets.push_back(static_cast<std::int32_t>(m.item_tags.size()));
}

}  // namespace

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void HybridModel::refresh_lookups() {
  popular_order = popular_first(popularity, std::max(params.popular_candidates, 1000));
  item_index.clear();
  item_index.reserve(item_ids.size());
  for (std::size_t i = 0; i < item_ids.size(); ++i) item_index.emplace(item_ids[i], static_cast<std::int32_t>(i));
  factor_codes = scoring_codes(factors);
  embedding_codes = scoring_codes(embeddings);
  item_tag_offsets.assign(1, 0);
  item_tags.clear();
  item_tag_positions.clear();
  tag_names.clear();
  tag_index.clear();
  for (std::size_t i = 0; i < items.size(); ++i) append_tags_of(*this, items[i]);
}

void HybridModel::append_item_tags() { append_tags_of(*this, items.back()); }

const std::string& HybridModel::item_tag_text(std::int32_t i, std::size_t k) const {
  const ItemInfo& info = items[static_cast<std::size_t>(i)];
  const auto p = static_cast<std::size_t>(item_tag_positions[k]);
  return p < info.genres.size() ? info.genres[p] : info.tags[p - info.genres.size()];
}

std::int32_t HybridModel::find_item(const std::string& id) const {
  const auto it = item_index.find(id);
  return it == item_index.end() ? -1 : it->second;
}

void HybridModel::validate(const std::string& source) const {
  const auto fail = [&](const std::string& part, const std::string& msg) { throw DataError(source, 0, part, msg); };
  const std::int64_t n = n_items();
  if (static_cast<std::int64_t>(items.size()) != n) fail("items", "metadata for " + std::to_string(items.size()) + " items, ids for " + std::to_string(n));
  if (factors.rows() != n) fail("factors", std::to_string(factors.rows()) + " rows for " + std::to_string(n) + " items");
  if (factors.cols() < 1) fail("factors", "no columns");
  if (gram.rows() != factors.cols() || gram.cols() != factors.cols()) fail("gram", "shape does not match the factor dimension");
  if (embeddings.rows() != n) fail("embeddings", std::to_string(embeddings.rows()) + " rows for " + std::to_string(n) + " items");
  if (embeddings.cols() < 1) fail("embeddings", "no columns");
  if (factor_map.size() != 0 && (factor_map.rows() != embeddings.cols() + 1 || factor_map.cols() != factors.cols()))
    fail("factor_map", "shape must be (content dim + 1) x factor dim");
  if (static_cast<std::int64_t>(popularity.size()) != n) fail("popularity", std::to_string(popularity.size()) + " values for " + std::to_string(n) + " items");
  if (static_cast<std::int64_t>(item_tag_offsets.size()) != n + 1 || item_tag_positions.size() != item_tags.size())
    fail("items", "the tag lookups do not describe every item (refresh_lookups was not run)");
  if (has_ease()) {
    if (ease.rows != n || ease.indptr.size() != static_cast<std::size_t>(n) + 1 || ease.scales.size() != static_cast<std::size_t>(n) ||
        ease.indptr.front() != 0 || ease.indptr.back() != static_cast<std::int64_t>(ease.indices.size()) ||
        ease.values.size() != ease.indices.size())
      fail("ease", "rows, offsets, scales and entries do not describe one row per item");
    for (std::size_t r = 0; r + 1 < ease.indptr.size(); ++r)
      if (ease.indptr[r + 1] < ease.indptr[r]) fail("ease", "row offsets decrease at row " + std::to_string(r));
    for (std::int32_t c : ease.indices)
      if (c < 0 || c >= n) fail("ease", "an entry's column " + std::to_string(c) + " is outside the catalog");
    for (float sc : ease.scales)
      if (!std::isfinite(sc) || sc < 0.0f || sc > 1e15f) fail("ease", "a row scale is negative, not finite or above 1e15");
  }
  if (encoder && encoder->dim() != content_dim()) fail("encoder", "output dimension differs from the content embeddings'");
  if (!factor_index || factor_index->size() != n || factor_index->dim() != factor_dim() || factor_index->metric() != HnswMetric::InnerProduct)
    fail("factor_index", "must be an inner-product index over every item's factor");
  if (!content_index || content_index->size() != n || content_index->dim() != content_dim() || content_index->metric() != HnswMetric::Cosine)
    fail("content_index", "must be a cosine index over every item's embedding");
  if (!std::isfinite(reg) || reg < 0.0f) fail("reg", "must be finite and >= 0");
  if (!item_index.empty() && static_cast<std::int64_t>(item_index.size()) != n) fail("item_ids", "item ids are not unique");
  if (!std::isfinite(alpha) || alpha < 0.0f) fail("alpha", "must be finite and >= 0");
}

Eigen::VectorXf map_to_factor(const Eigen::MatrixXf& factor_map, const float* embedding) {
  const Eigen::Index d = factor_map.rows() - 1;
  Eigen::VectorXf out = factor_map.row(d).transpose();
  for (Eigen::Index k = 0; k < d; ++k) out += embedding[k] * factor_map.row(k).transpose();
  return out;
}

}  // namespace reco

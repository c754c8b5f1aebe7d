// The interaction data model: external ids mapped to dense indices, a flat event log,
// item metadata, and compressed sparse matrices in both directions.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace reco {

// Bidirectional map between external ids (as written in the input files) and dense
// indices 0..size()-1. Indices are assigned in first-seen order, so loading the same
// file twice gives the same indices.
class IdMap {
 public:
  // Returns the index of `id`, adding it if new.
  std::int32_t add(const std::string& id);
  // Returns the index of `id`, or -1 when unknown.
  std::int32_t find(const std::string& id) const;
  const std::string& id(std::int32_t index) const { return ids_[static_cast<std::size_t>(index)]; }
  std::int32_t size() const { return static_cast<std::int32_t>(ids_.size()); }

 private:
  std::vector<std::string> ids_;
  std::unordered_map<std::string, std::int32_t> index_;
};

// One observed interaction. `weight` is the raw strength from the log (a rating, a count,
// or 1 for a bare event); `timestamp` is seconds since the epoch, 0 when unknown.
struct Event {
  std::int32_t user = 0;
  std::int32_t item = 0;
  float weight = 1.0f;
  std::int64_t timestamp = 0;
};

// Descriptive data about an item, used for display and by content models.
// Text is UTF-8 whatever the encoding of the source file.
struct ItemInfo {
  std::string title;
  std::vector<std::string> genres;
  std::vector<std::string> tags;
  std::string text;  // free description (the generic CSV catalog's "text" column)
};

// The text content models read for an item: title, genres, tags and description, in
// that order, joined by " . ".
std::string item_text(const ItemInfo& info);

// A loaded data set. `items` holds every item of the catalog, including items that no
// event mentions; `item_info` is parallel to `items` (empty info where unknown).
struct Dataset {
  IdMap users;
  IdMap items;
  std::vector<ItemInfo> item_info;
  std::vector<Event> events;
};

// Compressed sparse rows: row r holds columns indices[indptr[r] .. indptr[r+1]) in
// increasing order with their values. Invariant: indptr.size() == rows + 1.
struct CsrMatrix {
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> indices;
  std::vector<float> values;

  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
  std::int64_t row_begin(std::int32_t r) const { return indptr[static_cast<std::size_t>(r)]; }
  std::int64_t row_end(std::int32_t r) const { return indptr[static_cast<std::size_t>(r) + 1]; }
  std::int32_t row_size(std::int32_t r) const { return static_cast<std::int32_t>(row_end(r) - row_begin(r)); }
  // Copies of row r's columns and values (a history as the scoring functions take it).
  std::vector<std::int32_t> row_indices(std::int32_t r) const {
    return {indices.begin() + row_begin(r), indices.begin() + row_end(r)};
  }
  std::vector<float> row_values(std::int32_t r) const { return {values.begin() + row_begin(r), values.begin() + row_end(r)}; }
};

// How repeated (user, item) events are merged into one matrix entry.
enum class Merge { Sum, Max, Last };

// How an event's weight becomes the matrix value r_ui.
// Binary: every event is 1 (a rating counts as a positive, whatever its value).
// Raw: the event weight as logged.
enum class Weighting { Binary, Raw };

// Builds the user x item matrix from events (rows = users). Events outside
// [0, n_users) x [0, n_items) are a programming error and throw std::out_of_range.
CsrMatrix build_user_item(const std::vector<Event>& events, std::int32_t n_users, std::int32_t n_items,
                          Weighting weighting, Merge merge = Merge::Max);

// The transpose of `m` (rows become columns), keeping column order sorted.
CsrMatrix transpose(const CsrMatrix& m);

// A user x item matrix with its transpose, as collaborative models consume it.
struct Interactions {
  CsrMatrix user_items;
  CsrMatrix item_users;
  std::int32_t n_users() const { return user_items.rows; }
  std::int32_t n_items() const { return user_items.cols; }
};

Interactions make_interactions(const std::vector<Event>& events, std::int32_t n_users, std::int32_t n_items,
                               Weighting weighting, Merge merge = Merge::Max);

}  // namespace reco

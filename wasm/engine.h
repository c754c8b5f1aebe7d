// The browser's recommender: one loaded bundle plus the user's history, behind the
// JavaScript class `Engine` (engine_bindings.cpp). Everything crossing the boundary is
// JSON text (requests and results in the format of reco/rank_json.h) or bytes, so the
// browser ranks exactly as `reco rank` does. Errors are exceptions here; the bindings
// turn them into JavaScript Errors carrying the core's message.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "reco/bundle.h"
#include "reco/rank_json.h"
#include "reco/ranker.h"

namespace reco::wasm {

class Engine {
 public:
  // `files`: file name -> bytes for manifest.json and every section it lists (moved
  // from). `verified`: the caller has checked every section's SHA-256 against this
  // manifest (DecodeOptions::verify_checksums). The encoder section is not read here
  // (the JavaScript side runs it) and may be left out; so may the two HNSW sections
  // when the ranker scores every item (ranking_needs_indexes is false): they are only
  // read (from these files or add_files) when something first needs them.
  Engine(std::map<std::string, std::vector<std::uint8_t>> files, bool verified);

  // Files of the same bundle given after loading (the HNSW sections left out above).
  void add_files(std::map<std::string, std::vector<std::uint8_t>> files, bool verified);
  // Restores the HNSW indexes now, if they are not yet (a DataError naming the section
  // when a file is missing or damaged; the engine keeps working without them).
  void ensure_indexes();
  bool has_indexes() const;

  // {"model_version", "items", "factor_dim", "content_dim", "matrix_dtype", "has_tokenizer",
  //  "encoder", "dataset", "metrics", "ranker", "history_length"}
  std::string info() const;
  std::string item(const std::string& id) const;  // item_json, or a ParamError for an unknown id
  std::string items(int offset, int count) const;  // a JSON array of item_json
  std::int32_t find_item(const std::string& id) const { return model_.find_item(id); }

  // The history is a list of events; ranking merges repeats of an item (largest
  // strength, newest time). Unknown ids and bad values are ParamErrors.
  void add_event(const std::string& id, double strength, double timestamp);
  int remove_item(const std::string& id);  // drops every event of the item; returns how many
  void clear_history() { history_.clear(); }
  std::string history() const;  // [{"item", "strength", "timestamp"}] oldest first
  void set_history(const std::string& json);  // replaces it (the format history() writes)

  // A rank_json request; without "history" the engine's own history is used.
  std::string recommend(const std::string& request) const;
  // Items for someone whose history is just `id` (the item itself excluded); the
  // request may set k and filters but no history or query.
  std::string similar(const std::string& id, const std::string& request) const;
  // Why `id` would be recommended for the history: its scores, the history items that
  // contribute most and the shared tags ({"id", "score", "cf", "content", "because", ...}).
  std::string explain(const std::string& id, const std::string& request) const;

  // The encoder's inputs for a text: {"ids": [...], "weights": [...]}; a ParamError when
  // the bundle has no encoder.
  std::string tokenize(const std::string& text) const;
  // The same for an item's metadata JSON (the text add_item() encodes natively).
  std::string tokenize_item(const std::string& info) const;
  // Adds an item from its metadata JSON ({"title", "genres", "tags", "text"}) and its
  // content embedding (computed with the bundle's encoder). Returns its index.
  std::int32_t add_item(const std::string& id, const std::string& info, const std::vector<float>& embedding);

 private:
  JsonRankRequest parse(const std::string& request, const char* what) const;
  // A BundleSource over files_ that moves each file out as it is read.
  BundleSource take_file();

  // Bundle files not read yet (the HNSW sections until the indexes are restored).
  std::map<std::string, std::vector<std::uint8_t>> files_;
  bool verified_ = false;
  HybridModel model_;
  nlohmann::json manifest_;
  MatrixDtype dtype_ = MatrixDtype::Int8;
  std::optional<Tokenizer> tokenizer_;
  EncoderShape encoder_shape_;
  std::vector<HistoryEntry> history_;
};

}  // namespace reco::wasm

#include "engine.h"

#include <algorithm>
#include <cmath>

#include "reco/error.h"

namespace reco::wasm {
namespace {

using nlohmann::json;

std::string quoted_id(const std::string& id) { return "'" + (id.size() > 64 ? id.substr(0, 64) + "..." : id) + "'"; }

}  // namespace

Engine::Engine(std::map<std::string, std::vector<std::uint8_t>> files, bool verified) : files_(std::move(files)), verified_(verified) {
  DecodeOptions options;
  options.verify_checksums = !verified;
  // The indexes are restored when first needed (ensure_indexes): a catalog the ranker
  // scores exactly ranks the same without them, and they are a third of the bundle.
  options.restore_indexes = false;
  options.read_encoder = false;  // the JavaScript side runs the encoder (ONNX Runtime Web)
  LoadedBundle b = decode_bundle(take_file(), {}, options);
  model_ = std::move(b.model);
  manifest_ = std::move(b.manifest);
  dtype_ = b.dtype;
  tokenizer_ = std::move(b.tokenizer);
  encoder_shape_ = b.encoder_shape;
  // Of the files not read, only the indexes' may be needed later.
  std::map<std::string, std::vector<std::uint8_t>> later;
  const json& sections = manifest_.at("sections");  // each entry an object with a "file" (parse_manifest)
  for (const char* section : {"hnsw_factors", "hnsw_content"}) {
    const auto entry = sections.find(section);
    if (entry == sections.end()) continue;
    const auto it = files_.find(entry->at("file").get<std::string>());
    if (it != files_.end()) later.insert(files_.extract(it));
  }
  files_ = std::move(later);
  // From here on the model has its indexes whenever rank() searches them: it has them
  // already, or its catalog is scored exactly and grows only through add_item, which
  // restores them first.
  if (ranking_needs_indexes(model_)) ensure_indexes();
}

BundleSource Engine::take_file() {
  // Each file is read once, so its bytes are moved out rather than copied.
  return [this](const std::string& name) {
    const auto it = files_.find(name);
    if (it == files_.end()) throw DataError("bundle file '" + name + "'", 0, "", "missing (not among the files given)");
    std::vector<std::uint8_t> bytes = std::move(it->second);
    files_.erase(it);
    return bytes;
  };
}

void Engine::add_files(std::map<std::string, std::vector<std::uint8_t>> files, bool verified) {
  // One flag covers every file the engine holds, so it keeps the stricter one.
  if (!files.empty()) verified_ = verified_ && verified;
  for (auto& [name, bytes] : files) files_[name] = std::move(bytes);
}

void Engine::ensure_indexes() {
  if (has_indexes()) return;
  DecodeOptions options;
  options.verify_checksums = !verified_;
  // Copied, not moved: after a failure (a file missing or damaged) the others are kept
  // for another try once the caller has added the missing one.
  restore_indexes(model_, manifest_, [this](const std::string& name) {
    const auto it = files_.find(name);
    if (it == files_.end()) throw DataError("bundle file '" + name + "'", 0, "", "missing (not among the files given)");
    return it->second;
  }, options);
  files_.clear();  // the engine needs no other bundle file
}

bool Engine::has_indexes() const { return model_.factor_index.has_value() && model_.content_index.has_value(); }

std::string Engine::info() const {
  json j = {{"model_version", manifest_["model_version"]},
            {"items", model_.n_items()},
            {"factor_dim", model_.factor_dim()},
            {"content_dim", model_.content_dim()},
            {"matrix_dtype", matrix_dtype_name(dtype_)},
            {"has_tokenizer", tokenizer_.has_value()},
            {"dataset", manifest_["dataset"]},
            {"metrics", manifest_["metrics"]},
            {"ranker", manifest_["ranker"]},
            {"history_length", history_.size()}};
  if (manifest_.contains("encoder")) j["encoder"] = manifest_["encoder"];
  return j.dump();
}

std::string Engine::item(const std::string& id) const {
  const std::int32_t i = model_.find_item(id);
  if (i < 0) throw ParamError("id", "unknown item " + quoted_id(id));
  return item_json(model_, i).dump();
}

std::string Engine::items(int offset, int count) const {
  if (offset < 0) throw ParamError("offset", "must be >= 0");
  if (count < 0) throw ParamError("count", "must be >= 0");
  json out = json::array();
  const std::int64_t end = std::min<std::int64_t>(model_.n_items(), static_cast<std::int64_t>(offset) + count);
  for (std::int64_t i = offset; i < end; ++i) out.push_back(item_json(model_, static_cast<std::int32_t>(i)));
  return out.dump();
}

void Engine::add_event(const std::string& id, double strength, double timestamp) {
  const std::int32_t i = model_.find_item(id);
  if (i < 0) throw ParamError("id", "unknown item " + quoted_id(id));
  if (!std::isfinite(strength) || strength < 0.0 || strength > 1e6) throw ParamError("strength", "must be a finite number in [0, 1e6]");
  if (!std::isfinite(timestamp) || timestamp < 0.0 || timestamp > 9e15 || timestamp != std::floor(timestamp))
    throw ParamError("timestamp", "must be a whole number of seconds since 1970 (>= 0; 0 when unknown)");
  history_.push_back({i, static_cast<float>(strength), static_cast<std::int64_t>(timestamp)});
}

int Engine::remove_item(const std::string& id) {
  const std::int32_t i = model_.find_item(id);
  if (i < 0) return 0;
  const auto before = history_.size();
  history_.erase(std::remove_if(history_.begin(), history_.end(), [&](const HistoryEntry& e) { return e.item == i; }), history_.end());
  return static_cast<int>(before - history_.size());
}

std::string Engine::history() const {
  json out = json::array();
  for (const HistoryEntry& e : history_)
    out.push_back({{"item", model_.item_ids[static_cast<std::size_t>(e.item)]}, {"strength", e.strength}, {"timestamp", e.timestamp}});
  return out.dump();
}

void Engine::set_history(const std::string& text) {
  // Parsed as a request's history, so the same checks and messages apply.
  const json events = parse_json_text(text, "history");
  const JsonRankRequest r = parse_rank_request(json{{"history", events}}, model_);
  history_ = r.request.history;
}

JsonRankRequest Engine::parse(const std::string& request, const char* what) const {
  const json j = parse_json_text(request.empty() ? "{}" : request, what);
  JsonRankRequest r = parse_rank_request(j, model_);
  if (r.query_text)
    throw ParamError("query", "the browser runtime takes query_embedding (encode the text with the bundle's encoder first)");
  return r;
}

std::string Engine::recommend(const std::string& request) const {
  JsonRankRequest r = parse(request, "request");
  if (!r.has_history) {
    r.request.history = history_;
    r.request.validate(model_);
  }
  return rank_result_text(rank(model_, r.request), model_);
}

std::string Engine::similar(const std::string& id, const std::string& request) const {
  const std::int32_t i = model_.find_item(id);
  if (i < 0) throw ParamError("id", "unknown item " + quoted_id(id));
  JsonRankRequest r = parse(request, "request");
  if (r.has_history || !r.request.query.empty()) throw ParamError("request", "similar() takes no history or query");
  r.request.history = {{i, 1.0f, 0}};
  r.request.exclude_history = true;
  return rank_result_text(rank(model_, r.request), model_);
}

std::string Engine::explain(const std::string& id, const std::string& request) const {
  const std::int32_t i = model_.find_item(id);
  if (i < 0) throw ParamError("id", "unknown item " + quoted_id(id));
  JsonRankRequest r = parse(request, "request");
  if (!r.has_history) r.request.history = history_;
  RankResult one;
  one.items.push_back(explain_item(model_, r.request, i));
  return rank_result_json(one, model_)["items"][0].dump();
}

std::string Engine::tokenize(const std::string& text) const {
  if (!tokenizer_) throw ParamError("text", "this bundle has no text encoder");
  const EncoderInput in = encoder_input(*tokenizer_, text, encoder_shape_.max_features);
  return json({{"ids", in.ids}, {"weights", in.weights}}).dump();
}

std::string Engine::tokenize_item(const std::string& info) const {
  return tokenize(item_text(parse_item_info(parse_json_text(info.empty() ? "{}" : info, "item"))));
}

std::int32_t Engine::add_item(const std::string& id, const std::string& info, const std::vector<float>& embedding) {
  const ItemInfo parsed = parse_item_info(parse_json_text(info.empty() ? "{}" : info, "item"));
  ensure_indexes();  // the new item goes into both
  return reco::add_item(model_, id, parsed, embedding);
}

}  // namespace reco::wasm

#include "reco/model_config.h"

#include <cmath>
#include <limits>

#include "reco/error.h"
#include "reco/content_model.h"
#include "reco/popularity.h"
#include "reco/random_model.h"
#include "reco/tfidf.h"

namespace reco {
namespace {

using nlohmann::json;

// Reads j[key] into `out` when present. Integers must be JSON integers within T's range
// and numbers must fit T, so no conversion is ever out of range; anything else names the
// file and the key.
template <typename T>
void read_field(const json& j, const char* key, T& out, const std::string& source) {
  const auto it = j.find(key);
  if (it == j.end()) return;
  const auto fail = [&](const char* expected) {
    throw DataError(source, 0, std::string("params.") + key, std::string("expected ") + expected + ", found " + it->dump());
  };
  if constexpr (std::is_same<T, bool>::value) {
    if (!it->is_boolean()) fail("true or false");
    out = it->get<bool>();
  } else if constexpr (std::is_integral<T>::value) {
    if (it->is_number_unsigned()) {
      const auto v = it->get<std::uint64_t>();
      if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) fail("a smaller integer");
      out = static_cast<T>(v);
    } else if (it->is_number_integer()) {
      const auto v = it->get<std::int64_t>();
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
        fail("an integer in range");
      out = static_cast<T>(v);
    } else {
      fail("an integer");
    }
  } else {
    if (!it->is_number()) fail("a number");
    const double v = it->get<double>();
    if (!std::isfinite(v) || std::abs(v) > static_cast<double>(std::numeric_limits<T>::max())) fail("a finite number in range");
    out = static_cast<T>(v);
  }
}

void reject_unknown_keys(const json& params, std::initializer_list<const char*> known, const std::string& source,
                         const std::string& model) {
  for (auto it = params.begin(); it != params.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) throw DataError(source, 0, "params." + it.key(), "not a parameter of model '" + model + "'");
  }
}

json als_json(const AlsParams& a) {
  return {{"factors", a.factors}, {"iterations", a.iterations}, {"reg", a.reg},
          {"alpha", a.alpha},     {"cg_steps", a.cg_steps},     {"seed", a.seed}};
}

void read_als(const json& p, AlsParams& a, const std::string& source, const std::string& model) {
  reject_unknown_keys(p, {"factors", "iterations", "reg", "alpha", "cg_steps", "seed"}, source, model);
  read_field(p, "factors", a.factors, source);
  read_field(p, "iterations", a.iterations, source);
  read_field(p, "reg", a.reg, source);
  read_field(p, "alpha", a.alpha, source);
  read_field(p, "cg_steps", a.cg_steps, source);
  read_field(p, "seed", a.seed, source);
}

void read_content(const json& p, ContentParams& c, const std::string& source, const std::string& model) {
  const bool factor = model == "content-factor";
  const bool hybrid = model == "hybrid";
  for (auto it = p.begin(); it != p.end(); ++it) {
    static const char* const kKeys[] = {"dim",         "hidden",     "buckets",   "max_features", "epochs",
                                        "batch",       "learning_rate", "temperature", "table_init", "self_pairs", "seed",
                                        "min_n",       "max_n",      "bigrams",   "neighbours",   "shrinkage"};
    bool ok = (factor && (it.key() == "map_reg" || it.key() == "als")) || (hybrid && it.key() == "map_reg");
    for (const char* k : kKeys) ok = ok || it.key() == k;
    if (!ok) throw DataError(source, 0, "params." + it.key(), "not a parameter of model '" + model + "'");
  }
  read_field(p, "dim", c.shape.dim, source);
  read_field(p, "hidden", c.shape.hidden, source);
  read_field(p, "buckets", c.shape.buckets, source);
  read_field(p, "max_features", c.shape.max_features, source);
  read_field(p, "epochs", c.training.epochs, source);
  read_field(p, "batch", c.training.batch, source);
  read_field(p, "learning_rate", c.training.learning_rate, source);
  read_field(p, "temperature", c.training.temperature, source);
  read_field(p, "table_init", c.training.table_init, source);
  read_field(p, "self_pairs", c.training.self_pairs, source);
  read_field(p, "seed", c.training.seed, source);
  read_field(p, "min_n", c.min_n, source);
  read_field(p, "max_n", c.max_n, source);
  read_field(p, "bigrams", c.bigrams, source);
  read_field(p, "neighbours", c.neighbours, source);
  read_field(p, "shrinkage", c.shrinkage, source);
  read_field(p, "map_reg", c.map_reg, source);
  if (const auto a = p.find("als"); a != p.end()) {
    if (!a->is_object()) throw DataError(source, 0, "params.als", "expected an object");
    read_als(*a, c.als, source, model);
  }
}

json content_json(const ContentParams& p) {
  return {{"dim", p.shape.dim},
          {"hidden", p.shape.hidden},
          {"buckets", p.shape.buckets},
          {"max_features", p.shape.max_features},
          {"epochs", p.training.epochs},
          {"batch", p.training.batch},
          {"learning_rate", p.training.learning_rate},
          {"temperature", p.training.temperature},
          {"table_init", p.training.table_init},
          {"self_pairs", p.training.self_pairs},
          {"seed", p.training.seed},
          {"min_n", p.min_n},
          {"max_n", p.max_n},
          {"bigrams", p.bigrams},
          {"neighbours", p.neighbours},
          {"shrinkage", p.shrinkage}};
}

json hybrid_json(const ModelConfig& c) {
  json content = content_json(c.content);
  content["map_reg"] = c.content.map_reg;
  json j = to_json(c.hybrid);
  j["als"] = als_json(c.als);
  j["content"] = content;
  if (c.hybrid_ease) j["ease"] = {{"lambda", c.ease.lambda}, {"top_n", c.ease.top_n}};
  return j;
}

void read_hybrid(const json& p, ModelConfig& c, const std::string& source) {
  reject_unknown_keys(p, {"als", "content", "fusion_t", "cf_candidates", "content_candidates", "popular_candidates", "exact_below",
                          "recency_half_life_days", "query_cf_weight", "hnsw", "fusion", "ease"},
                      source, "hybrid");
  HybridParams& h = c.hybrid;
  read_field(p, "fusion_t", h.fusion_t, source);
  read_field(p, "cf_candidates", h.cf_candidates, source);
  read_field(p, "content_candidates", h.content_candidates, source);
  read_field(p, "popular_candidates", h.popular_candidates, source);
  read_field(p, "exact_below", h.exact_below, source);
  read_field(p, "recency_half_life_days", h.recency_half_life_days, source);
  read_field(p, "query_cf_weight", h.query_cf_weight, source);
  const auto object = [&](const char* key) -> const json* {
    const auto it = p.find(key);
    if (it == p.end()) return nullptr;
    if (!it->is_object()) throw DataError(source, 0, std::string("params.") + key, "expected an object");
    return &*it;
  };
  if (const json* a = object("als")) read_als(*a, c.als, source, "hybrid");
  if (const json* t = object("content")) read_content(*t, c.content, source, "hybrid");
  if (const json* e = object("ease")) {
    reject_unknown_keys(*e, {"lambda", "top_n"}, source, "hybrid");
    read_field(*e, "lambda", c.ease.lambda, source);
    read_field(*e, "top_n", c.ease.top_n, source);
    c.hybrid_ease = true;
  }
  if (p.contains("fusion")) h.fusion = fusion_from_json(p["fusion"], source, "params.fusion");
  if (const json* n = object("hnsw")) {
    reject_unknown_keys(*n, {"M", "ef_construction", "ef_search", "seed"}, source, "hybrid");
    read_field(*n, "M", h.hnsw.M, source);
    read_field(*n, "ef_construction", h.hnsw.ef_construction, source);
    read_field(*n, "ef_search", h.hnsw.ef_search, source);
    read_field(*n, "seed", h.hnsw.seed, source);
  }
}

}  // namespace

json to_json(const FusionWeights& w) {
  const auto rows = [](const std::vector<SignalWeights>& r) {
    json out = json::array();
    for (const SignalWeights& row : r) {
      json o = json::object();
      for (int k = 0; k < kSignalCount; ++k) o[signal_name(k)] = row[static_cast<std::size_t>(k)];
      out.push_back(o);
    }
    return out;
  };
  return {{"edges", w.edges}, {"warm", rows(w.warm)}, {"cold", rows(w.cold)}};
}

FusionWeights fusion_from_json(const json& j, const std::string& source, const std::string& field) {
  const auto fail = [&](const std::string& f, const std::string& msg) { throw DataError(source, 0, field + f, msg); };
  if (!j.is_object()) fail("", "expected an object with edges, warm and cold");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "edges" && it.key() != "warm" && it.key() != "cold") fail("." + it.key(), "not a field of the fusion weights");
  FusionWeights w;
  const auto array = [&](const char* key) -> const json& {
    const auto it = j.find(key);
    if (it == j.end()) fail(std::string(".") + key, "missing");
    if (!it->is_array()) fail(std::string(".") + key, "expected an array");
    if (it->size() > 65) fail(std::string(".") + key, "more than 65 entries");
    return *it;
  };
  for (const json& e : array("edges")) {
    if (!e.is_number_integer() || e.get<std::int64_t>() < 1 || e.get<std::int64_t>() > 100000000)
      fail(".edges", "expected integers in [1, 1e8]");
    w.edges.push_back(static_cast<int>(e.get<std::int64_t>()));
  }
  for (const char* group : {"warm", "cold"}) {
    std::vector<SignalWeights>& rows = std::string(group) == "warm" ? w.warm : w.cold;
    const json& a = array(group);
    for (std::size_t r = 0; r < a.size(); ++r) {
      const std::string f = std::string(".") + group + "[" + std::to_string(r) + "]";
      if (!a[r].is_object()) fail(f, "expected an object of signal weights");
      SignalWeights row{};
      for (auto it = a[r].begin(); it != a[r].end(); ++it) {
        int signal = 0;
        try {
          signal = parse_signal(it.key(), field + f);
        } catch (const ParamError& e) {
          fail(f + "." + it.key(), e.what());
        }
        if (!it->is_number() || !std::isfinite(it->get<double>()) || std::abs(it->get<double>()) > 1e6)
          fail(f + "." + it.key(), "expected a finite number with |w| <= 1e6");
        row[static_cast<std::size_t>(signal)] = static_cast<float>(it->get<double>());
      }
      rows.push_back(row);
    }
  }
  try {
    w.validate();
  } catch (const ParamError& e) {
    fail("", e.what());
  }
  return w;
}

json to_json(const HybridParams& h) {
  json j = {{"fusion_t", h.fusion_t},
          {"cf_candidates", h.cf_candidates},
          {"content_candidates", h.content_candidates},
          {"popular_candidates", h.popular_candidates},
          {"exact_below", h.exact_below},
          {"recency_half_life_days", h.recency_half_life_days},
          {"query_cf_weight", h.query_cf_weight},
          {"hnsw", {{"M", h.hnsw.M}, {"ef_construction", h.hnsw.ef_construction}, {"ef_search", h.hnsw.ef_search},
                    {"seed", h.hnsw.seed}}}};
  if (!h.fusion.empty()) j["fusion"] = to_json(h.fusion);
  return j;
}

const char* model_names() { return "als, ease, bpr, knn, pop, tfidf, random, content, content-factor, hybrid"; }

bool is_content_model(const std::string& model) {
  return model == "tfidf" || model == "content" || model == "content-factor" || model == "hybrid";
}

void check_model_name(const std::string& model) {
  if (model != "als" && model != "ease" && model != "bpr" && model != "knn" && model != "pop" && model != "tfidf" &&
      model != "random" && model != "content" && model != "content-factor" && model != "hybrid")
    throw ParamError("model", "unknown model '" + model + "'; expected one of " + model_names());
}

Weighting parse_weighting(const std::string& name) {
  if (name == "binary") return Weighting::Binary;
  if (name == "raw") return Weighting::Raw;
  throw ParamError("weighting", "unknown weighting '" + name + "'; expected binary or raw");
}

std::string weighting_name(Weighting w) { return w == Weighting::Binary ? "binary" : "raw"; }

json to_json(const ModelConfig& c) {
  json params = json::object();
  if (c.model == "als") {
    params = als_json(c.als);
  } else if (c.model == "content" || c.model == "content-factor") {
    params = content_json(c.content);
    if (c.model == "content-factor") {
      params["map_reg"] = c.content.map_reg;
      params["als"] = als_json(c.content.als);
    }
  } else if (c.model == "hybrid") {
    params = hybrid_json(c);
  } else if (c.model == "bpr") {
    params = {{"factors", c.bpr.factors}, {"epochs", c.bpr.epochs}, {"learning_rate", c.bpr.learning_rate},
              {"reg", c.bpr.reg},         {"seed", c.bpr.seed}};
  } else if (c.model == "knn") {
    params = {{"neighbours", c.knn.neighbours}, {"shrinkage", c.knn.shrinkage}};
  } else if (c.model == "ease") {
    params = {{"lambda", c.ease.lambda}, {"top_n", c.ease.top_n}, {"max_items", c.ease.max_items}};
  }
  return {{"model", c.model}, {"weighting", weighting_name(c.weighting)}, {"params", params}};
}

ModelConfig model_config_from_json(const json& j, const std::string& source, const ModelConfig& base) {
  if (!j.is_object()) throw DataError(source, 0, "", "expected a JSON object with 'model' and 'params'");
  ModelConfig c = base;
  const auto model = j.find("model");
  if (model == j.end() || !model->is_string()) throw DataError(source, 0, "model", "missing or not a string");
  c.model = model->get<std::string>();
  try {
    check_model_name(c.model);
  } catch (const ParamError& e) {
    throw DataError(source, 0, "model", e.what());
  }
  if (const auto w = j.find("weighting"); w != j.end()) {
    if (!w->is_string()) throw DataError(source, 0, "weighting", "expected \"binary\" or \"raw\"");
    try {
      c.weighting = parse_weighting(w->get<std::string>());
    } catch (const ParamError& e) {
      throw DataError(source, 0, "weighting", e.what());
    }
  }
  const auto p = j.find("params");
  if (p == j.end()) return c;
  if (!p->is_object()) throw DataError(source, 0, "params", "expected an object");
  if (c.model == "als") {
    read_als(*p, c.als, source, c.model);
  } else if (c.model == "content" || c.model == "content-factor") {
    read_content(*p, c.content, source, c.model);
  } else if (c.model == "hybrid") {
    read_hybrid(*p, c, source);
  } else if (c.model == "bpr") {
    reject_unknown_keys(*p, {"factors", "epochs", "learning_rate", "reg", "seed"}, source, c.model);
    read_field(*p, "factors", c.bpr.factors, source);
    read_field(*p, "epochs", c.bpr.epochs, source);
    read_field(*p, "learning_rate", c.bpr.learning_rate, source);
    read_field(*p, "reg", c.bpr.reg, source);
    read_field(*p, "seed", c.bpr.seed, source);
  } else if (c.model == "knn") {
    reject_unknown_keys(*p, {"neighbours", "shrinkage"}, source, c.model);
    read_field(*p, "neighbours", c.knn.neighbours, source);
    read_field(*p, "shrinkage", c.knn.shrinkage, source);
  } else if (c.model == "ease") {
    reject_unknown_keys(*p, {"lambda", "top_n", "max_items"}, source, c.model);
    read_field(*p, "lambda", c.ease.lambda, source);
    read_field(*p, "top_n", c.ease.top_n, source);
    read_field(*p, "max_items", c.ease.max_items, source);
  } else {
    reject_unknown_keys(*p, {}, source, c.model);
  }
  return c;
}

std::unique_ptr<Recommender> make_model(const ModelConfig& c, const Dataset* catalog) {
  check_model_name(c.model);
  if (is_content_model(c.model)) {
    if (!catalog) throw ParamError("model", c.model + " needs the item catalog");
    std::vector<std::string> texts;
    texts.reserve(catalog->item_info.size());
    for (const auto& info : catalog->item_info) texts.push_back(item_text(info));
    if (c.model == "tfidf") return std::make_unique<TfidfContent>(texts);
    if (c.model == "hybrid") return std::make_unique<HybridRecommender>(*catalog, c.hybrid_config());
    return std::make_unique<ContentModel>(std::move(texts), c.content,
                                          c.model == "content" ? ContentScoring::Profile : ContentScoring::Factor);
  }
  if (c.model == "als") return std::make_unique<Als>(c.als);
  if (c.model == "bpr") return std::make_unique<Bpr>(c.bpr);
  if (c.model == "knn") return std::make_unique<ItemKnn>(c.knn);
  if (c.model == "ease") return std::make_unique<Ease>(c.ease);
  if (c.model == "random") return std::make_unique<RandomModel>(c.als.seed);
  return std::make_unique<Popularity>();
}

}  // namespace reco

namespace reco {

ModelConfig plan_for_catalog(const ModelConfig& config, std::int32_t n_items, std::string& note) {
  note.clear();
  if (config.model != "ease" || n_items <= config.ease.max_items) return config;
  ModelConfig als = config;
  als.model = "als";
  note = "EASE: the catalog has " + std::to_string(n_items) + " items, above max_items " +
         std::to_string(config.ease.max_items) + " (the dense solve would need about " +
         std::to_string(8LL * n_items * n_items / (1 << 20)) + " MiB); using ALS instead";
  return als;
}

}  // namespace reco

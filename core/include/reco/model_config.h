// A model choice with its hyperparameters, as one value: what `reco tune` writes,
// what `--params FILE` reads, and what builds a Recommender.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/als.h"
#include "reco/bpr.h"
#include "reco/content_model.h"
#include "reco/dataset.h"
#include "reco/ease.h"
#include "reco/hybrid_recommender.h"
#include "reco/item_knn.h"
#include "reco/recommender.h"

namespace reco {

struct ModelConfig {
  std::string model = "als";  // als | ease | bpr | knn | pop | tfidf | random | content | content-factor | hybrid
  Weighting weighting = Weighting::Binary;  // how events become matrix values
  AlsParams als;
  BprParams bpr;
  ItemKnnParams knn;
  EaseParams ease;
  ContentParams content;  // content, content-factor, and hybrid's encoder and map
  HybridParams hybrid;    // hybrid (which also uses `als` and `content`)
  bool hybrid_ease = false;  // hybrid: train `ease` for the ease signal ("ease" in its params)

  HybridConfig hybrid_config() const {
    HybridConfig c{als, content, hybrid, std::nullopt};
    if (hybrid_ease) c.ease = ease;
    return c;
  }
};

// Models that rank by item text and so need the catalog (tfidf, content, content-factor, hybrid).
bool is_content_model(const std::string& model);

// The configuration to actually fit on a catalog of `n_items`: EASE above its
// max_items limit becomes ALS (whose memory is linear in the catalog), and `note` says
// why. Otherwise returns `config` unchanged and leaves `note` empty.
ModelConfig plan_for_catalog(const ModelConfig& config, std::int32_t n_items, std::string& note);

// The model names make_model accepts, for help texts and errors.
const char* model_names();

// Throws ParamError("model", ...) for an unknown name.
void check_model_name(const std::string& model);

Weighting parse_weighting(const std::string& name);  // "binary" | "raw"
std::string weighting_name(Weighting w);

// {"model": "als", "weighting": "binary", "params": {...}} with only the chosen
// model's parameters (thread counts are a property of the machine and are left out).
nlohmann::json to_json(const ModelConfig& config);

// The ranker's parameters (fusion, candidates, HNSW) as params files and bundle
// manifests hold them.
nlohmann::json to_json(const HybridParams& params);

// Learned fusion weights as params files and manifests hold them:
// {"edges": [5, 10], "warm": [{"cf": 1, "ease": 0.5, ...}, ...], "cold": [...]}.
nlohmann::json to_json(const FusionWeights& weights);
// Throws DataError naming `source` and the field (under `field`, e.g. "params.fusion").
FusionWeights fusion_from_json(const nlohmann::json& j, const std::string& source, const std::string& field);

// Reads what to_json writes. Parameters not present keep the values of `base`; an unknown
// key or a value of the wrong type is an error naming `source` and the key.
ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& source, const ModelConfig& base = {});

// `catalog` supplies item texts to content models (is_content_model); collaborative models ignore
// it. A content model without a catalog is a ParamError.
std::unique_ptr<Recommender> make_model(const ModelConfig& config, const Dataset* catalog = nullptr);

}  // namespace reco

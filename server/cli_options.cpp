#include "cli_options.h"

#include <fstream>

#include "reco/error.h"

namespace reco::cli {

void add_data_options(CLI::App& app, DataOptions& d) {
  app.add_option("--data", d.data, "Data set folder (or CSV file for --format csv)")->required();
  app.add_option("--format", d.format, "ml100k | mllatest | ml1m | csv")->required();
  app.add_option("--split", d.split,
                 "folds:u1,u2,... | holdout:FRACTION:SEED | leave-last:N | cold:FRACTION:SEED | cold-items:FILE")
      ->required();
  app.add_option("--k", d.k, "Cut-off K of the ranking metrics")->check(CLI::Range(1, 1000));
}

void add_model_flags(CLI::App& app, ModelFlags& m) {
  app.add_option("--model", m.model, std::string("Model: ") + model_names());
  app.add_option("--params", m.params_file, "JSON written by `reco tune`; explicit flags override it");
  app.add_option("--weighting", m.weighting, "binary (every event a positive) | raw (event weights)");
  app.add_option("--factors", m.factors, "ALS/BPR latent dimension");
  app.add_option("--iters", m.iters, "ALS iterations");
  app.add_option("--reg", m.reg, "ALS/BPR L2 regularisation");
  app.add_option("--alpha", m.alpha, "ALS confidence slope (c = 1 + alpha * r)");
  app.add_option("--cg-steps", m.cg_steps, "ALS conjugate-gradient steps per solve");
  app.add_option("--threads", m.threads, "ALS threads (results do not depend on it)");
  app.add_option("--seed", m.seed, "Random seed of the model");
  app.add_option("--epochs", m.epochs, "BPR epochs");
  app.add_option("--lr", m.lr, "BPR learning rate");
  app.add_option("--neighbours", m.neighbours, "Item-kNN neighbours kept per item");
  app.add_option("--shrinkage", m.shrinkage, "Item-kNN similarity shrinkage");
  app.add_option("--lambda", m.lambda, "EASE L2 regularisation");
  app.add_option("--ease-top", m.ease_top, "EASE entries kept per item row (int8); 0 = dense");
  app.add_option("--signals", m.signals, "Hybrid: which signals to fuse: hybrid | cf | content (for comparisons)");
  app.add_option("--ease-max-items", m.ease_max_items, "EASE: larger catalogs fall back to ALS");
}

ModelConfig resolve_model(const ModelFlags& f) {
  ModelConfig c;
  if (!f.params_file.empty()) {
    std::ifstream in(f.params_file);
    if (!in) throw DataError(f.params_file, 0, "", "cannot open the parameters file");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range
      throw DataError(f.params_file, 0, "", std::string("not valid JSON: ") + e.what());
    }
    c = model_config_from_json(j, f.params_file);
    if (!f.model.empty() && f.model != c.model)
      throw ParamError("model", "--model " + f.model + " contradicts " + f.params_file + ", which holds parameters of '" + c.model + "'");
  }
  if (!f.model.empty()) c.model = f.model;
  check_model_name(c.model);
  if (!f.weighting.empty()) c.weighting = parse_weighting(f.weighting);
  // ALS flags also set the factors content-factor maps into.
  if (f.factors) c.als.factors = c.content.als.factors = c.bpr.factors = *f.factors;
  if (f.iters) c.als.iterations = c.content.als.iterations = *f.iters;
  if (f.reg) c.als.reg = c.content.als.reg = c.bpr.reg = *f.reg;
  if (f.alpha) c.als.alpha = c.content.als.alpha = *f.alpha;
  if (f.cg_steps) c.als.cg_steps = c.content.als.cg_steps = *f.cg_steps;
  if (f.threads) c.als.threads = c.content.als.threads = *f.threads;
  if (f.seed) c.als.seed = c.bpr.seed = c.content.training.seed = *f.seed;
  if (f.epochs) c.bpr.epochs = c.content.training.epochs = *f.epochs;
  if (f.lr) c.bpr.learning_rate = c.content.training.learning_rate = *f.lr;
  if (f.neighbours) c.knn.neighbours = *f.neighbours;
  if (f.shrinkage) c.knn.shrinkage = *f.shrinkage;
  if (f.lambda) c.ease.lambda = *f.lambda;
  if (f.ease_top) c.ease.top_n = *f.ease_top;
  if (f.ease_max_items) c.ease.max_items = *f.ease_max_items;
  if (!f.signals.empty()) {
    if (c.model != "hybrid") throw ParamError("signals", "only the hybrid model fuses signals");
    if (f.signals == "hybrid") c.hybrid.mode = FusionMode::Hybrid;
    else if (f.signals == "cf") c.hybrid.mode = FusionMode::Cf;
    else if (f.signals == "content") c.hybrid.mode = FusionMode::Content;
    else throw ParamError("signals", "unknown '" + f.signals + "'; expected hybrid, cf or content");
  }
  if (!is_content_model(c.model)) make_model(c);  // validates the parameters now, before any data is loaded
  else if (c.model == "hybrid") c.hybrid_config().validate();
  else if (c.model != "tfidf") c.content.validate();
  return c;
}

LoadedData load_data(const DataOptions& d) {
  LoadedData out;
  out.format = parse_format(d.format);
  out.spec = parse_split(d.split);
  out.dataset = load_dataset(d.data, out.format);
  out.splits = make_splits(out.spec, out.dataset, d.data, out.format);
  return out;
}

void write_json_file(const std::string& path, const nlohmann::json& j, const std::string& param) {
  std::ofstream file(path);
  if (!file) throw ParamError(param, "cannot write '" + path + "'");
  file << j.dump(2) << "\n";
  if (!file) throw ParamError(param, "error while writing '" + path + "'");
}

}  // namespace reco::cli

// `reco eval`: fit a model on each split's training side and report ranking metrics.
#include <cstdio>
#include <fstream>
#include <memory>

#include "bundle_dir.h"
#include "cli_options.h"
#include "commands.h"
#include "progress.h"
#include "reco/error.h"
#include "reco/bundle.h"
#include "reco/evaluate.h"
#include "reco/hybrid_recommender.h"

namespace reco::cli {
namespace {

struct EvalArgs {
  DataOptions data;
  ModelFlags flags;
  std::string json_file;
  std::string bundle;
  bool quiet = false;
  bool loss = false;
};

// A bundle is only scored on the split it was trained for: any other split's test
// events could be among its training data.
std::unique_ptr<Recommender> load_bundle_model(const std::string& dir, const LoadedData& data) {
  LoadedBundle b = load_bundle_dir(dir);
  const std::string trained_on = b.manifest["dataset"].value("trained_on", std::string());
  if (trained_on != data.spec.text)
    throw ParamError("bundle", dir + " was trained on '" + trained_on + "'; evaluating it on --split " + data.spec.text +
                                   " could score events it was trained on (export it with --split " + data.spec.text + ")");
  const HybridModel& m = b.model;
  if (m.n_items() != data.dataset.items.size())
    throw ParamError("bundle", dir + " holds " + std::to_string(m.n_items()) + " items; the data set has " +
                                   std::to_string(data.dataset.items.size()));
  for (std::int32_t i = 0; i < m.n_items(); ++i)
    if (m.item_ids[static_cast<std::size_t>(i)] != data.dataset.items.id(i))
      throw ParamError("bundle", dir + " item " + std::to_string(i) + " is '" + m.item_ids[static_cast<std::size_t>(i)] +
                                     "', the data set's is '" + data.dataset.items.id(i) + "'");
  return std::make_unique<HybridRecommender>(std::move(b.model), "bundle");
}

nlohmann::json metrics_json(const UserMetrics& m, double coverage, int k) {
  const std::string at = "@" + std::to_string(k);
  return {{"precision" + at, m.precision}, {"recall" + at, m.recall}, {"ndcg" + at, m.ndcg},
          {"map" + at, m.map},             {"coverage" + at, coverage}};
}

void print_row(const char* name, int users, const UserMetrics& m, double coverage, double fit_s, double rec_s) {
  std::printf("%-12s %6d %9.4f %9.4f %9.4f %9.4f %9.4f %8.3f %8.3f\n", name, users, m.precision, m.recall, m.ndcg,
              m.map, coverage, fit_s, rec_s);
}

int run_eval(const EvalArgs& a) {
  if (!a.bundle.empty() && (!a.flags.model.empty() || !a.flags.params_file.empty()))
    throw ParamError("bundle", "--bundle evaluates the bundle's own model; leave out --model and --params");
  ModelFlags flags = a.flags;
  if (!a.bundle.empty()) flags.model = "hybrid";
  ModelConfig requested = resolve_model(flags);
  requested.als.track_loss = a.loss;
  Progress progress(!a.quiet || a.loss, a.loss);
  progress.note("loading " + a.data.data + " (" + a.data.format + ")");
  LoadedData data = load_data(a.data);
  std::string note;
  const ModelConfig config = plan_for_catalog(requested, data.dataset.items.size(), note);
  if (!note.empty()) std::fprintf(stderr, "reco: %s\n", note.c_str());
  EvalOptions options;
  options.k = a.data.k;
  options.weighting = config.weighting;

  std::vector<SplitResult> results;
  if (!a.bundle.empty() && data.splits.size() != 1) throw ParamError("split", "--bundle needs exactly one split, the one it was exported for");
  for (const Split& split : data.splits) {
    auto model = a.bundle.empty() ? make_model(config, &data.dataset) : load_bundle_model(a.bundle, data);
    progress.note(split.name + ": " + std::to_string(split.train.size()) + " training and " +
                  std::to_string(split.test.size()) + " test events");
    results.push_back(evaluate_split(*model, split, data.dataset.users.size(), data.dataset.items.size(), options,
                                     progress.callback(split.name)));
  }

  UserMetrics mean;
  double coverage = 0, fit_s = 0, rec_s = 0;
  int users = 0;
  for (const auto& r : results) {
    mean.precision += r.mean.precision;
    mean.recall += r.mean.recall;
    mean.ndcg += r.mean.ndcg;
    mean.map += r.mean.map;
    coverage += r.coverage;
    fit_s += r.fit_seconds;
    rec_s += r.recommend_seconds;
    users += r.users;
  }
  const double n = static_cast<double>(results.size());
  mean = {mean.precision / n, mean.recall / n, mean.ndcg / n, mean.map / n};
  coverage /= n;

  const int k = a.data.k;
  if (a.bundle.empty())
    std::printf("model %s (%s), split %s, K=%d; training items excluded, every test event relevant\n",
                config.model.c_str(), to_json(config)["params"].dump().c_str(), data.spec.text.c_str(), k);
  else
    std::printf("bundle %s, split %s, K=%d; training items excluded, every test event relevant\n", a.bundle.c_str(),
                data.spec.text.c_str(), k);
  std::printf("%-12s %6s %9s %9s %9s %9s %9s %8s %8s\n", "split", "users", ("P@" + std::to_string(k)).c_str(),
              ("R@" + std::to_string(k)).c_str(), ("NDCG@" + std::to_string(k)).c_str(),
              ("MAP@" + std::to_string(k)).c_str(), ("Cov@" + std::to_string(k)).c_str(), "fit s", "rec s");
  for (const auto& r : results)
    print_row(r.name.c_str(), r.users, r.mean, r.coverage, r.fit_seconds, r.recommend_seconds);
  if (results.size() > 1) print_row("mean", users, mean, coverage, fit_s / n, rec_s / n);

  if (!a.json_file.empty()) {
    nlohmann::json folds = nlohmann::json::array();
    for (const auto& r : results) {
      auto f = metrics_json(r.mean, r.coverage, k);
      f["name"] = r.name;
      f["users"] = r.users;
      f["candidates"] = r.candidates;
      f["fit_seconds"] = r.fit_seconds;
      f["recommend_seconds"] = r.recommend_seconds;
      f["model_bytes"] = r.model_bytes;
      folds.push_back(f);
    }
    const auto cfg = to_json(config);
    nlohmann::json out = {{"model", config.model},
                          {"params", cfg["params"]},
                          {"weighting", cfg["weighting"]},
                          {"data", a.data.data},
                          {"format", format_name(data.format)},
                          {"split", data.spec.text},
                          {"k", k},
                          {"mean", metrics_json(mean, coverage, k)},
                          {"folds", folds},
                          {"fit_seconds", fit_s / n},
                          {"model_bytes", results.front().model_bytes},
                          {"recommend_seconds", rec_s / n}};
    write_json_file(a.json_file, out, "json");
  }
  return 0;
}

}  // namespace

Action add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Train on each split's training side and report ranking metrics");
  add_data_options(*cmd, args->data);
  add_model_flags(*cmd, args->flags);
  cmd->add_option("--json", args->json_file, "Also write the results as JSON to this file");
  cmd->add_option("--bundle", args->bundle, "Evaluate the model of this bundle folder (exported with the same --split)");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  cmd->add_flag("--loss", args->loss, "ALS: print the training objective after every iteration (stderr)");
  return [cmd, args]() { return cmd->parsed() ? run_eval(*args) : -1; };
}

}  // namespace reco::cli

// `reco export`: train the hybrid model, evaluate it against its content-only and
// CF-only variants, measure the indexes' recall, and write a model bundle with an
// evaluation report (report.json and a self-contained report.html).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "cli_options.h"
#include "commands.h"
#include "export_report.h"
#include "utc_time.h"
#include "interaction_store.h"
#include "progress.h"
#include "reco/bundle.h"
#include "reco/error.h"
#include "reco/evaluate.h"
#include "reco/hybrid_recommender.h"
#include "reco/onnx_encoder.h"
#include "reco/ranker.h"
#include "reco/tune.h"

namespace reco::cli {
namespace {

struct ExportArgs {
  std::string data, format, split, eval_split = "holdout:0.2:1", out, dtype = "int8", version;
  ModelFlags flags;
  int k = 10;
  bool tune_fusion = false;
  bool ablation = false;
  std::string store;  // an interaction store whose events join the data set's
  bool quiet = false;
};

nlohmann::json result_json(const SplitResult& r, int k) {
  const std::string at = "@" + std::to_string(k);
  return {{"ndcg" + at, r.mean.ndcg}, {"recall" + at, r.mean.recall}, {"precision" + at, r.mean.precision},
          {"map" + at, r.mean.map},   {"coverage" + at, r.coverage},   {"users", r.users},
          {"recommend_seconds", r.recommend_seconds}};
}

// Recall@10 of both indexes against exact search, for queries the ranker really makes:
// the folded-in factors and content profiles of (up to) 300 users' training histories.
nlohmann::json index_recall(const HybridModel& m, const Interactions& train) {
  std::vector<float> user_q, content_q;
  int n = 0;
  for (std::int32_t u = 0; u < train.n_users() && n < 300; ++u) {
    if (train.user_items.row_size(u) == 0) continue;
    ++n;
    const auto items = train.user_items.row_indices(u);
    const auto values = train.user_items.row_values(u);
    const FoldIn f = fold_in(m.factors, m.gram, m.reg, m.alpha, items, values);
    user_q.insert(user_q.end(), f.user.data(), f.user.data() + f.user.size());
    Eigen::VectorXf p = Eigen::VectorXf::Zero(m.content_dim());
    for (std::size_t j = 0; j < items.size(); ++j) p += values[j] * m.embeddings.row(items[j]).transpose();
    content_q.insert(content_q.end(), p.data(), p.data() + p.size());
  }
  const double cf = hnsw_recall(*m.factor_index, m.factors.data(), m.n_items(), user_q.data(), n, 10);
  const double content = hnsw_recall(*m.content_index, m.embeddings.data(), m.n_items(), content_q.data(), n, 10);
  return {{"queries", n}, {"k", 10}, {"factors_recall@10", cf}, {"content_recall@10", content},
          {"M", m.params.hnsw.M}, {"ef_construction", m.params.hnsw.ef_construction}, {"ef_search", m.params.hnsw.ef_search}};
}

// How far quantization moves the rankings: over the users of `train` (up to 1,000),
// the mean share of the float model's top-10 that the quantized model also returns,
// and the share of users whose top-10 lists are identical.
nlohmann::json top10_agreement(const HybridModel& exact, const HybridModel& quantized, const Interactions& train) {
  double overlap = 0.0;
  int users = 0, identical = 0;
  for (std::int32_t u = 0; u < train.n_users() && users < 1000; ++u) {
    if (train.user_items.row_size(u) == 0) continue;
    RankRequest r;
    for (std::int64_t p = train.user_items.row_begin(u); p < train.user_items.row_end(u); ++p)
      r.history.push_back({train.user_items.indices[static_cast<std::size_t>(p)], train.user_items.values[static_cast<std::size_t>(p)], 0});
    r.explain = 0;
    std::vector<std::int32_t> a, b;
    for (const auto& rec : rank(exact, r).items) a.push_back(rec.item);
    for (const auto& rec : rank(quantized, r).items) b.push_back(rec.item);
    int common = 0;
    for (std::int32_t i : a) common += std::find(b.begin(), b.end(), i) != b.end();
    overlap += a.empty() ? 1.0 : static_cast<double>(common) / static_cast<double>(a.size());
    identical += a == b;
    ++users;
  }
  return {{"users", users}, {"mean_overlap@10", users ? overlap / users : 1.0}, {"identical_share", users ? static_cast<double>(identical) / users : 1.0}};
}

// The fusion ablation (fusion.h) on `split`: validation carved from its training side
// (fraction 0.2, seed 42) re-learns the weights with each signal removed in turn; every
// variant is then scored on the test side with the model fitted on the whole training side.
nlohmann::json ablation_json(const HybridModel& fitted, const Interactions& train, const Split& split, const Dataset& ds,
                             const ModelConfig& config, int k, Progress& progress) {
  if (fitted.params.fusion.empty())
    throw ParamError("ablation", "the parameters hold no learned fusion weights (learn them with reco tune --model hybrid)");
  const Split v = validation_split(split, 0.2, 42);
  const Interactions vtrain = make_interactions(v.train, ds.users.size(), ds.items.size(), config.weighting);
  ModelConfig plain = config;
  plain.hybrid.fusion = FusionWeights{};
  progress.note("ablation: training on " + v.name);
  const HybridModel vm = train_hybrid(vtrain, ds, plain.hybrid_config(), progress.callback("train"));
  FusionLearnOptions lo;
  lo.k = k;
  lo.learn_warm = split.candidates.empty();
  lo.learn_cold = !lo.learn_warm;
  progress.note("ablation: learning the fusion weights without each signal");
  const FusionAblation ab = ablate_fusion(fusion_samples(vm, vtrain, v), fusion_samples(fitted, train, split), fitted.params.fusion, lo);
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& var : ab.variants)
    variants.push_back({{"name", var.name}, {"ndcg@" + std::to_string(k), var.mean}, {"by_bucket", var.ndcg}, {"weights", to_json(var.weights)}});
  return {{"protocol", "test users with a training history, NDCG@" + std::to_string(k) +
                           "; variants other than 'shipped' re-learn the weights on validation data carved from the training side "
                           "(fraction 0.2, seed 42) with the named signal removed"},
          {"buckets", ab.buckets},
          {"users", ab.users},
          {"variants", variants}};
}

SplitResult evaluate_variant(const HybridModel& fitted, FusionMode mode, const Split& split, const Dataset& ds,
                             const EvalOptions& options) {
  HybridModel m = fitted;
  m.params.mode = mode;
  HybridRecommender rec(std::move(m), "hybrid");
  return evaluate_split(rec, split, ds.users.size(), ds.items.size(), options);
}

int run_export(const ExportArgs& a) {
  ModelFlags flags = a.flags;
  if (flags.model.empty() && flags.params_file.empty()) flags.model = "hybrid";
  const ModelConfig config = resolve_model(flags);
  if (config.model != "hybrid") throw ParamError("model", "export builds the hybrid model; '" + config.model + "' cannot be exported");
  const MatrixDtype dtype = parse_matrix_dtype(a.dtype);
  const Format format = parse_format(a.format);
  Progress progress(!a.quiet);
  progress.note("loading " + a.data + " (" + a.format + ")");
  Dataset ds = load_dataset(a.data, format);
  if (!a.store.empty()) {
    const std::size_t added = serve::add_stored_events(ds, a.store);
    progress.note("added " + std::to_string(added) + " events from the store " + a.store);
  }

  // The evaluation split, and what the bundle is trained on: with --split, its training
  // side (so `reco eval --bundle` can later score it honestly on the test side);
  // otherwise every event, after evaluating on --eval-split.
  const bool trained_on_split = !a.split.empty();
  const SplitSpec spec = parse_split(trained_on_split ? a.split : a.eval_split);
  std::vector<Split> splits = make_splits(spec, ds, a.data, format);
  if (splits.size() != 1) throw ParamError(trained_on_split ? "split" : "eval-split", "export needs exactly one split, '" + spec.text + "' gives " + std::to_string(splits.size()));
  const Split& split = splits.front();
  EvalOptions options;
  options.k = a.k;
  options.weighting = config.weighting;

  ModelConfig chosen = config;
  if (a.tune_fusion) {
    progress.note("choosing fusion_t on validation data carved from " + split.name + "'s training side");
    SearchOptions so;
    so.eval = options;
    const auto trials = random_search(config, {split}, ds.users.size(), ds.items.size(), so, {}, &ds);
    chosen = best_trial(trials).config;
    progress.note("fusion_t " + std::to_string(chosen.hybrid.fusion_t) + " (validation NDCG@" + std::to_string(a.k) + " " +
                  std::to_string(best_trial(trials).mean.ndcg) + ")");
  }
  progress.note("training on " + split.name + "'s training side (" + std::to_string(split.train.size()) + " events)");
  const Interactions eval_train = make_interactions(split.train, ds.users.size(), ds.items.size(), chosen.weighting);
  HybridModel fitted = train_hybrid(eval_train, ds, chosen.hybrid_config(), progress.callback("train"));
  progress.note("evaluating content-only, CF-only and hybrid on " + split.name);
  nlohmann::json evaluation = {{"split", spec.text}, {"k", a.k},
                               {"protocol", "K=" + std::to_string(a.k) + ", training items excluded, every test event relevant; "
                                            "fusion_t chosen on validation data carved from training (reco tune)"}};
  evaluation["content-only"] = result_json(evaluate_variant(fitted, FusionMode::Content, split, ds, options), a.k);
  evaluation["cf-only"] = result_json(evaluate_variant(fitted, FusionMode::Cf, split, ds, options), a.k);
  evaluation["hybrid"] = result_json(evaluate_variant(fitted, FusionMode::Hybrid, split, ds, options), a.k);
  progress.note("quantizing (" + a.dtype + ") and evaluating the bundled model");
  HybridModel quantized = quantized_model(fitted, dtype);
  evaluation["hybrid-" + a.dtype] = result_json(evaluate_variant(quantized, FusionMode::Hybrid, split, ds, options), a.k);
  evaluation["index_recall"] = index_recall(quantized, eval_train);
  evaluation["top10_agreement"] = top10_agreement(fitted, quantized, eval_train);
  if (a.ablation) evaluation["ablation"] = ablation_json(fitted, eval_train, split, ds, chosen, a.k, progress);

  if (!trained_on_split) {
    progress.note("training the bundle's model on every event (" + std::to_string(ds.events.size()) + ")");
    const Interactions all = make_interactions(ds.events, ds.users.size(), ds.items.size(), chosen.weighting);
    fitted = train_hybrid(all, ds, chosen.hybrid_config(), progress.callback("train"));
    quantized = quantized_model(fitted, dtype);
  }

  BundleInfo info;
  info.model_version = a.version;
  info.created = utc_now();
  info.dataset = {{"name", std::filesystem::path(a.data).filename().string()},
                  {"format", format_name(format)},
                  {"users", ds.users.size()},
                  {"items", ds.items.size()},
                  {"events", ds.events.size()},
                  {"trained_on", trained_on_split ? spec.text : std::string("all")}};
  info.params = to_json(chosen);
  info.metrics = evaluation;
  const std::string onnx = encoder_to_onnx(quantized.encoder->weights);
  const auto files = encode_bundle(quantized, dtype, std::vector<std::uint8_t>(onnx.begin(), onnx.end()), info);
  write_bundle_files(a.out, files);
  const nlohmann::json manifest = nlohmann::json::parse(files.front().bytes.begin(), files.front().bytes.end());
  write_json_file((std::filesystem::path(a.out) / "report.json").string(), {{"manifest", manifest}, {"evaluation", evaluation}}, "out");
  write_report_html((std::filesystem::path(a.out) / "report.html").string(), manifest, evaluation);

  std::int64_t total = 0;
  std::printf("bundle %s (model version %s) in %s\n", kBundleFormat, manifest["model_version"].get<std::string>().c_str(), a.out.c_str());
  for (const BundleFile& f : files) {
    std::printf("  %-48s %10zu bytes\n", f.name.c_str(), f.bytes.size());
    total += static_cast<std::int64_t>(f.bytes.size());
  }
  std::printf("  %-48s %10lld bytes\n", "total", static_cast<long long>(total));
  std::printf("evaluation on %s (%s):\n", spec.text.c_str(), evaluation["protocol"].get<std::string>().c_str());
  const std::string ndcg = "ndcg@" + std::to_string(a.k), recall = "recall@" + std::to_string(a.k);
  for (const std::string& v : {std::string("content-only"), std::string("cf-only"), std::string("hybrid"), "hybrid-" + a.dtype})
    std::printf("  %-16s %s %.4f  %s %.4f\n", v.c_str(), ndcg.c_str(), evaluation[v][ndcg].get<double>(), recall.c_str(),
                evaluation[v][recall].get<double>());
  std::printf("  top-10 agreement float vs %s: mean overlap %.4f, identical lists %.4f (%d users)\n", a.dtype.c_str(),
              evaluation["top10_agreement"]["mean_overlap@10"].get<double>(), evaluation["top10_agreement"]["identical_share"].get<double>(),
              evaluation["top10_agreement"]["users"].get<int>());
  std::printf("  index recall@10 vs exact: factors %.4f, content %.4f\n", evaluation["index_recall"]["factors_recall@10"].get<double>(),
              evaluation["index_recall"]["content_recall@10"].get<double>());
  if (a.ablation) {
    const nlohmann::json& ab = evaluation["ablation"];
    std::printf("fusion ablation, %s by history size (users):\n  %-26s %8s", ndcg.c_str(), "variant", "all");
    for (std::size_t b = 0; b < ab["buckets"].size(); ++b)
      std::printf(" %9s", (ab["buckets"][b].get<std::string>() + "(" + std::to_string(ab["users"][b].get<int>()) + ")").c_str());
    std::printf("\n");
    for (const auto& v : ab["variants"]) {
      std::printf("  %-26s %8.4f", v["name"].get<std::string>().c_str(), v[ndcg].get<double>());
      for (const auto& x : v["by_bucket"]) std::printf(" %9.4f", x.get<double>());
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

Action add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Train the hybrid model, evaluate it and write a model bundle");
  cmd->add_option("--data", args->data, "Data set folder (or CSV file for --format csv)")->required();
  cmd->add_option("--format", args->format, "ml100k | mllatest | ml1m | csv")->required();
  cmd->add_option("--out", args->out, "Bundle folder to write")->required();
  cmd->add_option("--params", args->flags.params_file, "Hybrid parameters (JSON from `reco tune --model hybrid`)");
  cmd->add_option("--split", args->split,
                  "Train the bundle on this split's training side and evaluate on its test side (default: evaluate on "
                  "--eval-split, then train on every event)");
  cmd->add_option("--eval-split", args->eval_split, "Split the report evaluates on when --split is not given");
  cmd->add_option("--dtype", args->dtype, "Storage of item factors and embeddings: int8 | float16 | float32");
  cmd->add_option("--model-version", args->version, "Version string for the manifest (default: from the sections' checksums)");
  cmd->add_option("--k", args->k, "Cut-off K of the report's metrics")->check(CLI::Range(1, 1000));
  cmd->add_option("--threads", args->flags.threads, "ALS threads (results do not depend on it)");
  cmd->add_flag("--tune-fusion", args->tune_fusion,
                "Choose fusion_t first, on validation data carved from the training side (as reco tune --model hybrid)");
  cmd->add_option("--store", args->store, "Also train on the events of this interaction store (reco serve --store)");
  cmd->add_flag("--ablation", args->ablation,
                "Add the fusion ablation to the report: each signal removed in turn, NDCG by history size");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  return [cmd, args]() { return cmd->parsed() ? run_export(*args) : -1; };
}

}  // namespace reco::cli

// `reco tune`: random search over a model's hyperparameters, scored on validation data
// carved from each split's training side (the test sides are never read).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli_options.h"
#include "commands.h"
#include "progress.h"
#include "reco/error.h"
#include "reco/tune.h"

namespace reco::cli {
namespace {

struct TuneArgs {
  DataOptions data;
  ModelFlags flags;
  int budget = 20;
  std::uint64_t search_seed = 42;
  double validation_fraction = 0.2;
  std::string out;
  bool quiet = false;
};

int run_tune(const TuneArgs& a) {
  const ModelConfig requested = resolve_model(a.flags);
  Progress progress(!a.quiet);
  progress.note("loading " + a.data.data + " (" + a.data.format + ")");
  LoadedData data = load_data(a.data);
  std::string note;
  const ModelConfig base = plan_for_catalog(requested, data.dataset.items.size(), note);
  if (!note.empty()) std::fprintf(stderr, "reco: %s\n", note.c_str());
  SearchOptions options;
  options.budget = a.budget;
  options.seed = a.search_seed;
  options.validation_fraction = a.validation_fraction;
  options.eval.k = a.data.k;
  options.eval.weighting = base.weighting;

  const auto trials = random_search(base, data.splits, data.dataset.users.size(), data.dataset.items.size(), options,
                                    [&](int t, const Trial& trial) {
                                      char line[512];
                                      std::snprintf(line, sizeof line, "trial %d/%d: ndcg@%d %.4f in %.1f s %s", t + 1,
                                                    a.budget, a.data.k, trial.mean.ndcg, trial.seconds,
                                                    to_json(trial.config)["params"].dump().c_str());
                                      progress.note(line);
                                    },
                                    &data.dataset);
  std::vector<const Trial*> order;
  for (const auto& t : trials) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const Trial* x, const Trial* y) { return x->mean.ndcg > y->mean.ndcg; });

  std::printf("model %s, validation carved from each training side of %s (fraction %.2f, seed %llu), K=%d\n",
              base.model.c_str(), data.spec.text.c_str(), a.validation_fraction,
              static_cast<unsigned long long>(a.search_seed), a.data.k);
  std::printf("%4s %9s %9s %8s  %s\n", "rank", "val NDCG", "val R", "seconds", "params");
  for (std::size_t r = 0; r < order.size(); ++r)
    std::printf("%4zu %9.4f %9.4f %8.2f  %s\n", r + 1, order[r]->mean.ndcg, order[r]->mean.recall, order[r]->seconds,
                to_json(order[r]->config)["params"].dump().c_str());

  const Trial& best = best_trial(trials);
  if (!a.out.empty()) {
    nlohmann::json j = to_json(best.config);
    j["validation"] = {{"ndcg@" + std::to_string(a.data.k), best.mean.ndcg},
                       {"recall@" + std::to_string(a.data.k), best.mean.recall},
                       {"protocol", "per-split validation carved from the training side only; fraction " +
                                        std::to_string(a.validation_fraction)},
                       {"data", format_name(data.format)},
                       {"split", data.spec.text},
                       {"budget", a.budget},
                       {"search_seed", a.search_seed}};
    write_json_file(a.out, j, "out");
    progress.note("best parameters written to " + a.out);
  }
  return 0;
}

}  // namespace

Action add_tune_command(CLI::App& app) {
  auto args = std::make_shared<TuneArgs>();
  CLI::App* cmd = app.add_subcommand("tune", "Random hyperparameter search scored on validation data only");
  add_data_options(*cmd, args->data);
  add_model_flags(*cmd, args->flags);
  cmd->add_option("--budget", args->budget, "Configurations to try (the first is the current defaults)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--search-seed", args->search_seed, "Seed of the search and of the validation carving");
  cmd->add_option("--validation", args->validation_fraction, "Share of each training side held out for validation")
      ->check(CLI::Range(0.01, 0.9));
  cmd->add_option("--out", args->out, "Write the best configuration as JSON (for --params)");
  cmd->add_flag("--quiet", args->quiet, "No progress on stderr");
  return [cmd, args]() { return cmd->parsed() ? run_tune(*args) : -1; };
}

}  // namespace reco::cli

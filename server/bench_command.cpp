// `reco bench`: wall-clock timings of model fits and of recommendation, as medians of
// several runs. Timings belong here, never in unit tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli_options.h"
#include "commands.h"
#include "reco/error.h"
#include "reco/top_k.h"

namespace reco::cli {
namespace {

struct BenchArgs {
  std::string data;
  int runs = 5;
  int threads = 1;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const std::string& what, const std::vector<double>& s) {
  std::printf("%-44s median %10.6f s   min %10.6f   max %10.6f   (%zu runs)\n", what.c_str(), median(s),
              *std::min_element(s.begin(), s.end()), *std::max_element(s.begin(), s.end()), s.size());
}

int run_bench(const BenchArgs& a) {
  Dataset ds = load_dataset(a.data, Format::Ml100k);
  const auto train_events = load_ml100k_events(a.data + "/u1.base", ds);
  const Interactions train = make_interactions(train_events, ds.users.size(), ds.items.size(), Weighting::Binary);
  std::printf("ML-100K u1.base: %d users, %d items, %lld nonzeros; %d thread(s)\n", train.n_users(), train.n_items(),
              static_cast<long long>(train.user_items.nnz()), a.threads);

  struct Case {
    std::string label;
    ModelConfig config;
  };
  std::vector<Case> cases;
  ModelConfig als;
  als.model = "als";
  als.als.factors = 64;
  als.als.iterations = 15;
  als.als.threads = a.threads;
  cases.push_back({"ALS fit, 64 factors, 15 iterations", als});
  ModelConfig bpr;
  bpr.model = "bpr";
  cases.push_back({"BPR fit (default params)", bpr});
  ModelConfig knn;
  knn.model = "knn";
  cases.push_back({"item-kNN fit (default params)", knn});
  ModelConfig ease;
  ease.model = "ease";
  cases.push_back({"EASE fit, dense (default lambda)", ease});
  ease.ease.top_n = bundle_ease_top_n(train.n_items());
  cases.push_back({"EASE fit + top-" + std::to_string(ease.ease.top_n) + " int8 rows", ease});

  for (const auto& c : cases) {
    std::vector<double> fit_s, rec_s;
    for (int r = 0; r < a.runs; ++r) {
      auto model = make_model(c.config);
      auto start = std::chrono::steady_clock::now();
      model->fit(train);
      fit_s.push_back(seconds(start));
      // Recommendation: score every item and take the top 10 for every user.
      std::vector<float> scores;
      start = std::chrono::steady_clock::now();
      for (std::int32_t u = 0; u < train.n_users(); ++u) {
        model->score_user(u, scores);
        const CsrMatrix& m = train.user_items;
        const std::vector<std::int32_t> history(m.indices.begin() + m.row_begin(u), m.indices.begin() + m.row_end(u));
        top_k(scores, 10, history);
      }
      rec_s.push_back(seconds(start) / train.n_users());
    }
    report(c.label, fit_s);
    report("  top-10 per user (score all items)", rec_s);
  }
  return 0;
}

}  // namespace

Action add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Time model fits and recommendation on ML-100K u1.base");
  cmd->add_option("--data", args->data, "The ml-100k folder")->required();
  cmd->add_option("--runs", args->runs, "Repetitions per measurement")->check(CLI::Range(1, 1000));
  cmd->add_option("--threads", args->threads, "ALS threads")->check(CLI::Range(1, 256));
  return [cmd, args]() { return cmd->parsed() ? run_bench(*args) : -1; };
}

}  // namespace reco::cli

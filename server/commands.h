// The `reco` subcommands. Each registers its options on the app and returns the action
// to run once the command line has been parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace reco::cli {

using Action = std::function<int()>;

Action add_eval_command(CLI::App& app);
Action add_tune_command(CLI::App& app);
Action add_bench_command(CLI::App& app);
Action add_bench_ranker_command(CLI::App& app);
Action add_encoder_command(CLI::App& app);
Action add_search_command(CLI::App& app);
Action add_export_command(CLI::App& app);
Action add_rank_command(CLI::App& app);
Action add_serve_command(CLI::App& app);

}  // namespace reco::cli

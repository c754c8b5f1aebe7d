// The native `reco` program: a thin command-line front end over the core.
// Exit codes: 0 success, 1 bad data or parameters (message names file/line/field or
// parameter), 2 command-line usage errors, 3 anything unexpected.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "reco/error.h"

int main(int argc, char** argv) {
  CLI::App app{"reco: train, evaluate and tune client-side recommenders"};
  app.require_subcommand(1);
  const reco::cli::Action actions[] = {reco::cli::add_eval_command(app), reco::cli::add_tune_command(app),
                                       reco::cli::add_bench_command(app), reco::cli::add_bench_ranker_command(app),
                                       reco::cli::add_encoder_command(app), reco::cli::add_search_command(app),
                                       reco::cli::add_export_command(app), reco::cli::add_rank_command(app),
                                       reco::cli::add_serve_command(app)};
  // CLI11 reports an unknown command only as "a subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-' && app.get_subcommands([&](CLI::App* c) { return c->get_name() == argv[1]; }).empty()) {
    std::fprintf(stderr, "reco: error: unknown command '%s'; expected eval, tune, bench, bench-ranker, encoder, search, export, rank or serve (see reco --help)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (const auto& action : actions) {
      const int code = action();
      if (code >= 0) return code;
    }
    return 2;
  } catch (const reco::DataError& e) {
    std::fprintf(stderr, "reco: error: %s\n", e.what());
    return 1;
  } catch (const reco::ParamError& e) {
    std::fprintf(stderr, "reco: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reco: internal error: %s\n", e.what());
    return 3;
  }
}

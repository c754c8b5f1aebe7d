// `reco rank`: answers ranking requests (the JSON of reco/rank_json.h, one per line)
// with a bundle's model, one JSON result per line, exactly as the browser runtime and
// the HTTP API compute them. With --repeat it also times each request.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "bundle_dir.h"
#include "commands.h"
#include "reco/error.h"
#include "reco/rank_json.h"

namespace reco::cli {
namespace {

struct RankArgs {
  std::string bundle;
  std::string requests = "-";
  int repeat = 0;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

int run_rank(const RankArgs& a) {
  if (a.repeat < 0) throw ParamError("repeat", "must be >= 0");
  const auto load_start = std::chrono::steady_clock::now();
  LoadedBundle b = load_bundle_dir(a.bundle);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start).count();
  const HybridModel& m = b.model;
  std::ifstream file;
  if (a.requests != "-") {
    file.open(a.requests);
    if (!file) throw DataError(a.requests, 0, "", "cannot open the requests file");
  }
  std::istream& in = a.requests == "-" ? std::cin : file;
  const std::string name = a.requests == "-" ? "stdin" : a.requests;
  std::string line;
  std::int64_t line_no = 0;
  int failed = 0;
  std::vector<double> times_us;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = name + " line " + std::to_string(line_no);
    try {
      JsonRankRequest parsed = parse_rank_request(line, m, where);
      if (parsed.query_text) {
        if (!m.encoder) throw ParamError("query", "this bundle has no text encoder");
        parsed.request.query = m.encoder->encode(*parsed.query_text);
      }
      RankResult result = rank(m, parsed.request);
      for (int r = 0; r < a.repeat; ++r) {
        // Parsing is timed too: it is part of answering a request in every front end.
        const auto t0 = std::chrono::steady_clock::now();
        JsonRankRequest again = parse_rank_request(line, m, where);
        if (again.query_text) again.request.query = parsed.request.query;
        const RankResult timed = rank(m, again.request);
        times_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        if (timed.items.size() != result.items.size()) throw std::logic_error("a repeated request ranked differently");
      }
      std::printf("%s\n", rank_result_text(result, m).c_str());
    } catch (const DataError& e) {
      // One bad request does not stop the others; its line keeps its place in the output.
      ++failed;
      std::printf("%s\n", nlohmann::json({{"error", e.what()}}).dump().c_str());
    } catch (const ParamError& e) {
      ++failed;
      std::printf("%s\n", nlohmann::json({{"error", where + ": " + e.what()}}).dump().c_str());
    }
  }
  if (a.repeat > 0)
    std::fprintf(stderr, "rank: bundle load %.1f ms; %zu timed requests: median %.1f us, p99 %.1f us\n", load_ms, times_us.size(),
                 percentile(times_us, 0.5), percentile(times_us, 0.99));
  if (failed > 0) std::fprintf(stderr, "reco: error: %d of the requests failed (see their \"error\" lines)\n", failed);
  return failed > 0 ? 1 : 0;
}

}  // namespace

Action add_rank_command(CLI::App& app) {
  auto args = std::make_shared<RankArgs>();
  CLI::App* cmd = app.add_subcommand("rank", "Answer JSON ranking requests (one per line) with a bundle's model");
  cmd->add_option("--bundle", args->bundle, "Bundle folder (written by reco export)")->required();
  cmd->add_option("--requests", args->requests, "File of requests, one JSON object per line ('-': stdin)");
  cmd->add_option("--repeat", args->repeat, "Also time each request this many times (report on stderr)");
  return [cmd, args]() { return cmd->parsed() ? run_rank(*args) : -1; };
}

}  // namespace reco::cli

// Command-line options shared by `reco eval` and `reco tune`: where the data is, how to
// split it, and which model with which parameters.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "reco/dataset.h"
#include "reco/loaders.h"
#include "reco/model_config.h"
#include "reco/split.h"

namespace reco::cli {

struct DataOptions {
  std::string data;
  std::string format;
  std::string split;
  int k = 10;
};

// Model flags as given; unset ones leave the configuration alone.
struct ModelFlags {
  std::string model;
  std::string params_file;
  std::string weighting;
  std::string signals;  // hybrid: hybrid | cf | content
  std::optional<int> factors, iters, cg_steps, threads, epochs, neighbours, ease_top, ease_max_items;
  std::optional<float> reg, alpha, lr, shrinkage, lambda;
  std::optional<std::uint64_t> seed;
};

void add_data_options(CLI::App& app, DataOptions& d);
void add_model_flags(CLI::App& app, ModelFlags& m);

// Defaults, then the params file, then explicit flags.
ModelConfig resolve_model(const ModelFlags& flags);

struct LoadedData {
  Dataset dataset;
  Format format = Format::Csv;
  SplitSpec spec;
  std::vector<Split> splits;
};

LoadedData load_data(const DataOptions& d);

// Writes `j` (indented) to `path`; ParamError naming `param` when the file cannot be written.
void write_json_file(const std::string& path, const nlohmann::json& j, const std::string& param);

}  // namespace reco::cli

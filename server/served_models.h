// The models `reco serve` answers API requests with: every sub-folder of --bundles that
// holds a manifest.json is a model, named by its folder. A model is loaded on first use
// and loaded again when its manifest.json changes (a re-export or a published version),
// so requests always rank with what the static routes serve. Requests that are running
// keep the model they started with (shared ownership); a bundle that fails to load
// leaves the previous version in service and is reported.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reco/bundle.h"

namespace reco::serve {

struct ServedModel {
  std::string name;     // the folder name
  std::string version;  // manifest model_version
  LoadedBundle bundle;
  double load_seconds = 0.0;
};

class ServedModels {
 public:
  // `active` names the default model (empty: the first folder by name that holds a
  // manifest, pinned when first seen). Throws ParamError("model") when it names no bundle folder.
  ServedModels(std::filesystem::path root, std::string active);

  // The model `name` (empty: the active one), loaded or reloaded as needed; nullptr when
  // there is no such bundle. A bundle that fails its first load throws the DataError.
  std::shared_ptr<const ServedModel> get(const std::string& name);
  // Folder names holding a manifest.json, sorted.
  std::vector<std::string> names() const;
  std::string active() const;
  // Makes `name` the default model; ParamError("model") when it is no bundle folder.
  void set_active(const std::string& name);

  // Loads and load failures so far, for /metrics.
  struct Counters {
    int loads = 0;
    int failures = 0;
    double last_load_seconds = 0.0;
  };
  Counters counters() const;

 private:
  struct Entry {
    std::shared_ptr<const ServedModel> model;
    std::filesystem::file_time_type manifest_time{};
    std::uintmax_t manifest_size = 0;
    std::string last_error;
    std::chrono::steady_clock::time_point retry_after{};  // after a failed reload
  };
  std::filesystem::path root_;
  mutable std::string active_;  // pinned by active() once a bundle exists
  mutable std::mutex mutex_;        // guards active_, entries_ and counters_
  std::mutex load_mutex_;           // one load at a time (a load takes ~100 ms and memory)
  std::map<std::string, Entry> entries_;
  Counters counters_;
};

}  // namespace reco::serve

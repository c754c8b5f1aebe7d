// Train-and-export jobs started over HTTP (POST /api/v1/models): one at a time, each a
// child `reco export` run on the configured data, writing into a hidden folder under the
// bundles root. Only a complete, successful export is published, by renaming that folder
// to `<name>-<model_version>` (atomic on one file system) and recording it in the
// registry; the active model changes only on activation. A server killed mid-build
// leaves the active bundle as it was: the child dies with it (PR_SET_PDEATHSIG), the
// hidden folder is removed at the next start and the job is marked failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "model_registry.h"

namespace reco::serve {

// --build-config FILE: {"name": "ml-latest-small", "data": DIR, "format": "mllatest",
// "params": FILE, "store": FILE (optional)}; relative paths are relative to the file.
struct BuildConfig {
  std::string name, data, format, params, store;
};
BuildConfig read_build_config(const std::string& path);  // DataError naming the file and field

class ModelBuilds {
 public:
  ModelBuilds(BuildConfig config, std::filesystem::path bundles_root, ModelRegistry& registry);
  ~ModelBuilds();  // stops a running child and waits for the job thread

  // Starts a job and returns its id; -1 when one is already running.
  std::int64_t start();
  bool running() const { return running_; }

  struct Counters {
    int succeeded = 0;
    int failed = 0;
    double last_seconds = 0.0;
  };
  Counters counters() const;

 private:
  void run(std::int64_t job);

  BuildConfig config_;
  std::filesystem::path root_;
  ModelRegistry& registry_;
  std::string self_;  // this program, run as `reco export`
  std::atomic<bool> running_{false};
  std::atomic<int> child_{0};
  std::thread thread_;
  mutable std::mutex mutex_;
  Counters counters_;
};

}  // namespace reco::serve

// The model registry of `reco serve`: which bundle versions builds have published, with
// their metrics, the build jobs and their outcome, and which version is active. Kept in
// SQLite (WAL) in the bundles folder as `.registry.sqlite` (hidden files are never
// served), so an activation or a finished build survives a restart.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace reco::serve {

struct RegisteredModel {
  std::string version;   // the manifest's model_version
  std::string folder;    // its folder under the bundles root
  std::string created;   // ISO 8601 UTC
  std::string metrics;   // the manifest's metrics, as JSON text
};

struct BuildJob {
  std::int64_t id = 0;
  std::string status;    // "running", "succeeded", "failed"
  std::string started, finished;
  double seconds = 0.0;
  std::string version;   // set when it succeeded
  std::string error;     // set when it failed
};

class ModelRegistry {
 public:
  explicit ModelRegistry(const std::string& path);  // ParamError("bundles") when it cannot be opened
  ~ModelRegistry();
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  std::int64_t start_job();
  void finish_job(std::int64_t id, bool ok, double seconds, const std::string& version, const std::string& error);
  // Jobs left "running" by a server that died: marked failed (their output was never published).
  int fail_interrupted_jobs();
  std::optional<BuildJob> job(std::int64_t id);
  std::vector<BuildJob> jobs();

  void add_model(const RegisteredModel& m);
  std::optional<RegisteredModel> model(const std::string& version);
  std::vector<RegisteredModel> models();

  void set_active(const std::string& folder);
  std::optional<std::string> active();

 private:
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace reco::serve

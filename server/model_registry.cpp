#include "model_registry.h"

#include <sqlite3.h>

#include "reco/error.h"
#include "sqlite_db.h"
#include "utc_time.h"

namespace reco::serve {
namespace {

BuildJob job_of(Statement& q) {
  BuildJob j;
  j.id = q.col_int(0);
  j.status = q.col(1);
  j.started = q.col(2);
  j.finished = q.col(3);
  j.seconds = q.col_real(4);
  j.version = q.col(5);
  j.error = q.col(6);
  return j;
}

constexpr const char* kJobColumns = "SELECT id, status, started, finished, seconds, version, error FROM jobs";

}  // namespace

ModelRegistry::ModelRegistry(const std::string& path)
    : db_(open_database(path, "bundles",
                        "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, started TEXT NOT NULL,"
                        " finished TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL DEFAULT 0, version TEXT NOT NULL DEFAULT '',"
                        " error TEXT NOT NULL DEFAULT '');"
                        "CREATE TABLE IF NOT EXISTS models (version TEXT PRIMARY KEY, folder TEXT NOT NULL, created TEXT NOT NULL,"
                        " metrics TEXT NOT NULL);"
                        "CREATE TABLE IF NOT EXISTS active (id INTEGER PRIMARY KEY CHECK (id = 1), folder TEXT NOT NULL);")) {}

ModelRegistry::~ModelRegistry() { sqlite3_close(db_); }

std::int64_t ModelRegistry::start_job() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement(db_, "INSERT INTO jobs (status, started) VALUES ('running', ?)").text(1, reco::cli::utc_now()).run();
  return sqlite3_last_insert_rowid(db_);
}

void ModelRegistry::finish_job(std::int64_t id, bool ok, double seconds, const std::string& version, const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement(db_, "UPDATE jobs SET status = ?, finished = ?, seconds = ?, version = ?, error = ? WHERE id = ?")
      .text(1, ok ? "succeeded" : "failed").text(2, reco::cli::utc_now()).real(3, seconds).text(4, version).text(5, error).integer(6, id).run();
}

int ModelRegistry::fail_interrupted_jobs() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement(db_, "UPDATE jobs SET status = 'failed', error = 'interrupted: the server stopped during the build' WHERE status = 'running'").run();
  return sqlite3_changes(db_);
}

std::optional<BuildJob> ModelRegistry::job(std::int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, (std::string(kJobColumns) + " WHERE id = ?").c_str());
  q.integer(1, id);
  if (!q.row()) return std::nullopt;
  return job_of(q);
}

std::vector<BuildJob> ModelRegistry::jobs() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, (std::string(kJobColumns) + " ORDER BY id").c_str());
  std::vector<BuildJob> out;
  while (q.row()) out.push_back(job_of(q));
  return out;
}

void ModelRegistry::add_model(const RegisteredModel& m) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement(db_, "INSERT OR REPLACE INTO models (version, folder, created, metrics) VALUES (?, ?, ?, ?)")
      .text(1, m.version).text(2, m.folder).text(3, m.created).text(4, m.metrics).run();
}

std::optional<RegisteredModel> ModelRegistry::model(const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT version, folder, created, metrics FROM models WHERE version = ?");
  q.text(1, version);
  if (!q.row()) return std::nullopt;
  return RegisteredModel{q.col(0), q.col(1), q.col(2), q.col(3)};
}

std::vector<RegisteredModel> ModelRegistry::models() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT version, folder, created, metrics FROM models ORDER BY created, version");
  std::vector<RegisteredModel> out;
  while (q.row()) out.push_back({q.col(0), q.col(1), q.col(2), q.col(3)});
  return out;
}

void ModelRegistry::set_active(const std::string& folder) {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement(db_, "INSERT OR REPLACE INTO active (id, folder) VALUES (1, ?)").text(1, folder).run();
}

std::optional<std::string> ModelRegistry::active() {
  std::lock_guard<std::mutex> lock(mutex_);
  Statement q(db_, "SELECT folder FROM active WHERE id = 1");
  if (!q.row()) return std::nullopt;
  return q.col(0);
}

}  // namespace reco::serve

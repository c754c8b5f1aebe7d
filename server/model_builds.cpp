#include "model_builds.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/bundle.h"
#include "reco/error.h"

namespace reco::serve {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The last `n` lines of a log, for a failed job's error.
std::string tail(const std::string& text, int n) {
  std::size_t pos = text.size();
  while (n-- > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

}  // namespace

BuildConfig read_build_config(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(path));
  } catch (const std::exception& e) {
    throw DataError(path, 0, "", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw DataError(path, 0, "", "expected an object");
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  BuildConfig c;
  const auto field = [&](const char* key, bool required, bool is_path) {
    const auto it = j.find(key);
    if (it == j.end()) {
      if (required) throw DataError(path, 0, key, "missing");
      return std::string();
    }
    if (!it->is_string() || it->get<std::string>().empty()) throw DataError(path, 0, key, "expected a non-empty string");
    const std::string v = it->get<std::string>();
    return is_path && std::filesystem::path(v).is_relative() ? (base / v).string() : v;
  };
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "name" && it.key() != "data" && it.key() != "format" && it.key() != "params" && it.key() != "store")
      throw DataError(path, 0, it.key(), "not a field of the build configuration (name, data, format, params, store)");
  c.name = field("name", true, false);
  if (c.name.find('/') != std::string::npos || c.name[0] == '.') throw DataError(path, 0, "name", "must be a plain folder name");
  c.data = field("data", true, true);
  c.format = field("format", true, false);
  c.params = field("params", true, true);
  c.store = field("store", false, true);
  return c;
}

ModelBuilds::ModelBuilds(BuildConfig config, std::filesystem::path root, ModelRegistry& registry)
    : config_(std::move(config)), root_(std::move(root)), registry_(registry) {
  std::error_code ec;
  self_ = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  // Leftovers of builds a killed server never finished: never published, so just removed.
  for (const auto& e : std::filesystem::directory_iterator(root_, ec))
    if (e.path().filename().string().rfind(".build-", 0) == 0) std::filesystem::remove_all(e.path(), ec);
  registry_.fail_interrupted_jobs();
}

ModelBuilds::~ModelBuilds() {
  if (const int pid = child_.load(); pid > 0) kill(pid, SIGKILL);
  if (thread_.joinable()) thread_.join();
}

ModelBuilds::Counters ModelBuilds::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

std::int64_t ModelBuilds::start() {
  bool expected = false;
  if (!running_.compare_exchange_strong(expected, true)) return -1;
  if (thread_.joinable()) thread_.join();  // the previous job's thread has finished
  const std::int64_t job = registry_.start_job();
  thread_ = std::thread([this, job] { run(job); });
  return job;
}

void ModelBuilds::run(std::int64_t job) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path out = root_ / (".build-" + std::to_string(job));
  const std::filesystem::path log = root_ / (".build-" + std::to_string(job) + ".log");
  std::vector<std::string> args = {self_, "export", "--quiet", "--data", config_.data, "--format", config_.format,
                                   "--params", config_.params, "--out", out.string()};
  if (!config_.store.empty()) args.insert(args.end(), {"--store", config_.store});
  bool ok = false;
  std::string version, error;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // The child dies with the server, so a killed server never leaves a build running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(self_.c_str(), argv.data());
    _exit(127);
  }
  if (pid < 0) {
    error = "cannot start the export process";
  } else {
    child_ = pid;
    int status = 0;
    waitpid(pid, &status, 0);
    child_ = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      try {
        const std::string text = read_text(out / "manifest.json");
        const nlohmann::json manifest = parse_manifest(std::vector<std::uint8_t>(text.begin(), text.end()));
        version = manifest["model_version"].get<std::string>();
        const std::string folder = config_.name + "-" + version;
        std::error_code ec;
        if (std::filesystem::exists(root_ / folder)) {
          std::filesystem::remove_all(out, ec);  // the same model was built before: its folder stays
        } else {
          std::filesystem::rename(out, root_ / folder);  // the publish: atomic, complete or absent
        }
        registry_.add_model({version, folder, manifest.value("created", ""), manifest.value("metrics", nlohmann::json::object()).dump()});
        ok = true;
      } catch (const std::exception& e) {
        error = std::string("the export's bundle cannot be published: ") + e.what();
      }
    } else {
      error = "reco export failed: " + tail(read_text(log), 5);
    }
  }
  std::error_code ec;
  if (!ok) std::filesystem::remove_all(out, ec);
  std::filesystem::remove(log, ec);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  registry_.finish_job(job, ok, seconds, version, error);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(ok ? counters_.succeeded : counters_.failed);
    counters_.last_seconds = seconds;
  }
  running_ = false;
}

}  // namespace reco::serve

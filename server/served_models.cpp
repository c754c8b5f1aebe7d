#include "served_models.h"

#include <algorithm>
#include <cstdio>

#include "bundle_dir.h"
#include "reco/error.h"

namespace reco::serve {
namespace {

bool is_model_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "manifest.json", ec);
}

// A name from a request: a plain folder name only, never a path.
bool plain_name(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

ServedModels::ServedModels(std::filesystem::path root, std::string active) : root_(std::move(root)), active_(std::move(active)) {
  if (!active_.empty() && (!plain_name(active_) || !is_model_dir(root_ / active_)))
    throw ParamError("model", "'" + active_ + "' is not a bundle folder (with a manifest.json) in " + root_.string());
}

std::vector<std::string> ServedModels::names() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root_, ec)) {
    const std::string name = e.path().filename().string();
    if (plain_name(name) && is_model_dir(e.path())) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ServedModels::set_active(const std::string& name) {
  if (!plain_name(name) || !is_model_dir(root_ / name))
    throw ParamError("model", "'" + name + "' is not a bundle folder (with a manifest.json) in " + root_.string());
  std::lock_guard<std::mutex> lock(mutex_);
  active_ = name;
}

std::string ServedModels::active() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!active_.empty()) return active_;
  }
  // The first bundle by name, pinned once found: a folder published later (a build) must
  // not take over by sorting first; only an activation changes the active model.
  const auto all = names();
  if (all.empty()) return std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (active_.empty()) active_ = all.front();
  return active_;
}

ServedModels::Counters ServedModels::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

std::shared_ptr<const ServedModel> ServedModels::get(const std::string& requested) {
  const std::string name = requested.empty() ? active() : requested;
  if (!plain_name(name)) return nullptr;
  const std::filesystem::path dir = root_ / name;
  std::error_code ec;
  const auto manifest = dir / "manifest.json";
  const auto time = std::filesystem::last_write_time(manifest, ec);
  if (ec) return nullptr;
  const auto size = std::filesystem::file_size(manifest, ec);
  if (ec) return nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(name);
    if (it != entries_.end() && it->second.model &&
        ((it->second.manifest_time == time && it->second.manifest_size == size) || std::chrono::steady_clock::now() < it->second.retry_after))
      return it->second.model;
  }
  std::lock_guard<std::mutex> loading(load_mutex_);
  {
    // Another request may have loaded it while this one waited.
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(name);
    if (it != entries_.end() && it->second.manifest_time == time && it->second.manifest_size == size) {
      if (it->second.model) return it->second.model;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    auto m = std::make_shared<ServedModel>();
    m->name = name;
    m->bundle = reco::cli::load_bundle_dir(dir.string());
    m->version = m->bundle.manifest.value("model_version", "");
    m->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& e = entries_[name];
    e.model = std::move(m);
    e.manifest_time = time;
    e.manifest_size = size;
    e.last_error.clear();
    ++counters_.loads;
    counters_.last_load_seconds = e.model->load_seconds;
    return e.model;
  } catch (const std::exception& ex) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counters_.failures;
    Entry& e = entries_[name];
    if (e.last_error != ex.what()) std::fprintf(stderr, "reco serve: cannot load bundle '%s': %s\n", name.c_str(), ex.what());
    e.last_error = ex.what();
    // Keep serving the version that loaded before (a publish still being written, a bad
    // file) and try the new one again after a second.
    e.retry_after = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (e.model) return e.model;
    throw;
  }
}

}  // namespace reco::serve

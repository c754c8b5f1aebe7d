#include "http_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "reco/error.h"

namespace reco::serve {
namespace {

thread_local std::optional<std::chrono::steady_clock::time_point> request_start;
thread_local std::size_t request_body_bytes = 0;

// Headers httplib adds to every request itself; the client did not send them.
bool is_pseudo_header(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT";
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

std::uint64_t body_bytes_sent(const httplib::Request& req, const httplib::Response& res) {
  if (req.method == "HEAD" || res.status == 304 || res.status == 204 || res.status < 200) return 0;
  if (!res.body.empty()) return res.body.size();
  // Provider bodies (http_response.h) are sent with their Content-Length.
  const std::string length = res.get_header_value("Content-Length");
  return length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
}

}  // namespace

void mark_request_start() {
  request_start = std::chrono::steady_clock::now();
  request_body_bytes = 0;
}

void add_request_body_bytes(std::size_t n) { request_body_bytes += n; }

RequestStats take_request_stats() {
  RequestStats stats;
  if (request_start)
    stats.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - *request_start).count();
  stats.body_bytes = request_body_bytes;
  request_start.reset();
  request_body_bytes = 0;
  return stats;
}

AccessLog::AccessLog(const std::string& destination) {
  if (destination == "-") {
    fd_ = STDERR_FILENO;
    return;
  }
  fd_ = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw ParamError("access-log", "cannot open '" + destination + "' for appending: " + std::strerror(errno));
  owned_ = true;
}

AccessLog::~AccessLog() {
  if (owned_) ::close(fd_);
}

void AccessLog::write(const httplib::Request& req, const httplib::Response& res, const RequestStats& stats) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : req.headers) {
    if (is_pseudo_header(name)) continue;
    auto it = headers.find(name);
    if (it == headers.end()) headers[name] = value;
    else *it = it->get<std::string>() + ", " + value;
  }
  nlohmann::ordered_json line;
  line["time"] = utc_now();
  line["method"] = req.method;
  line["target"] = req.target;
  line["status"] = res.status;
  line["bytes"] = body_bytes_sent(req, res);
  if (stats.ms) line["ms"] = std::round(*stats.ms * 1000.0) / 1000.0;
  else line["ms"] = nullptr;
  line["headers"] = std::move(headers);
  // httplib fills req.body itself for plain handlers; content readers count what they read.
  line["body_bytes"] = std::max(req.body.size(), stats.body_bytes);
  // Header values and targets are bytes from the network: invalid UTF-8 is replaced,
  // never allowed to throw.
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  // Unbuffered: the line is in the file (or on stderr) when the response has gone out.
  // A write cut short (a full disk, a signal) is continued rather than left half done.
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a log that cannot be written; serving goes on
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace reco::serve

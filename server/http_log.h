// The access log of `reco serve`: one JSON object per request and line, written whole
// (one write(2) per line, under a lock, to a file opened for appending), so that another
// process can follow the file and parse every line it sees:
//
//   {"time": "2025-01-31T12:00:00.123Z", "method": "GET", "target": "/bundles/x/manifest.json?v=2",
//    "status": 200, "bytes": 1234, "ms": 0.42, "headers": {"Host": "...", ...}, "body_bytes": 0}
//
// `target` is the path with its query as sent; `bytes` the body bytes sent (0 for HEAD
// and 304); `ms` the time from routing the request to having written the response, or
// null when httplib answered before routing (a malformed request); `headers` every
// request header as received (repeated ones joined with ", "); `body_bytes` the length
// of the request body read (a body larger than the limit is counted up to where
// reading stopped). Logging whole requests is what lets a test prove that no request
// carries a user's history.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include <httplib.h>

namespace reco::serve {

// Per-request figures gathered on the thread that handles the request (httplib handles
// a request on one thread from routing to logging): marked at routing, taken when
// logging.
struct RequestStats {
  std::optional<double> ms;     // null: the request never reached routing
  std::size_t body_bytes = 0;   // read by a content reader (http_server.h, read_request_body)
};
void mark_request_start();
void add_request_body_bytes(std::size_t n);
RequestStats take_request_stats();

class AccessLog {
 public:
  // `destination` is a file (appended to) or "-" for stderr. ParamError naming
  // --access-log when the file cannot be opened.
  explicit AccessLog(const std::string& destination);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const httplib::Request& req, const httplib::Response& res, const RequestStats& stats);

 private:
  int fd_ = -1;
  bool owned_ = false;
  std::mutex mutex_;
};

}  // namespace reco::serve

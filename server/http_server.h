// Server-wide behaviour of `reco serve`, whatever the routes: limits, JSON bodies for
// the errors httplib answers itself, exceptions, request timing and the access log.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <httplib.h>

#include "http_log.h"
#include "http_metrics.h"

namespace reco::serve {

// Request bodies above this get 413 (nothing served yet takes a body; the API's
// requests will be small JSON).
inline constexpr std::size_t kMaxRequestBodyBytes = 1u << 20;
// An oversized body is read and dropped up to this many bytes, then reading stops.
inline constexpr std::size_t kMaxDrainedBodyBytes = 64u << 20;
// Seconds an idle keep-alive connection stays open. Stopping the server waits for idle
// connections to time out (httplib 0.11.4 does not interrupt them), so this is short.
inline constexpr int kKeepAliveSeconds = 2;
// Worker threads. httplib 0.11.4 keeps a thread on each open keep-alive connection for as
// long as it stays open, so this bounds the connections served at once (a load of 64
// connections with the default 8 threads left 56 waiting, seconds at a time). Idle
// threads cost only their stacks.
inline constexpr std::size_t kWorkerThreads = 128;
// Longer decoded paths get 414 before routing: httplib matches routes with std::regex,
// whose matcher recurses once per character (a catch-all on an 8 KiB path needs
// megabytes of stack).
inline constexpr std::size_t kMaxPathBytes = 2048;

// Pending connections the listening socket queues for accept(). httplib 0.11.4 listens
// with a backlog of 5: when more clients connect at once (64 wrk connections reopening
// after their keep-alive limit), the kernel drops the rest of the handshakes and those
// clients retry a second later, so a burst of new connections meant p99 latencies of
// about 1 s (and nstat's TcpExtListenOverflows counting up).
inline constexpr int kListenBacklog = 1024;

// `log` and `metrics` may be null (no access log, no metrics); they must outlive the server.
// When `listening` is given, the listening socket is stored there once httplib creates
// it (for widen_listen_backlog after binding).
void configure_server(httplib::Server& server, AccessLog* log, HttpMetrics* metrics = nullptr, socket_t* listening = nullptr);

// Sets the listening socket's backlog to kListenBacklog (listen() again on a socket that
// listens already only changes its backlog). Returns false, with errno, on failure.
bool widen_listen_backlog(socket_t listening);

// Every handler for a method with a body (POST, PUT, PATCH, DELETE) must be a
// HandlerWithContentReader that reads the body through this: httplib 0.11.4 enforces
// its payload limit only on bodies sent with a Content-Length and would buffer a chunked
// (or gzip-encoded) body of any size for a plain Handler. Returns nullopt, having
// answered 413, when the body exceeds kMaxRequestBodyBytes. The bytes read are counted
// for the access log.
std::optional<std::string> read_request_body(const httplib::ContentReader& reader, httplib::Response& res);

// Answers 405 (with Allow: `allow`) to POST, PUT, PATCH, DELETE and OPTIONS on `pattern`,
// reading any body within the limit first.
void register_method_not_allowed(httplib::Server& server, const std::string& pattern, const std::string& allow);

}  // namespace reco::serve

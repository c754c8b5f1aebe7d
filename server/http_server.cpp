#include "http_server.h"

#include <sys/socket.h>

#include <cstdio>
#include <string>

#include "http_response.h"

namespace reco::serve {
namespace {

std::string status_message(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes";
    case 414: return "request target too long";
    case 416: return "invalid Range header";
    case 431: return "request headers too large";
    case 500: return "internal error";
    default: return "HTTP status " + std::to_string(status);
  }
}

// httplib parses Range headers and then cuts every response body to them by itself,
// error bodies included (and 0.11.4 asks a provider body for bytes past its end when a
// range lies beyond it). The static routes answer ranges themselves (static_files.h), so httplib's
// copy of them is dropped before any handler runs. The Request object is not const (it
// is httplib's own local); only the handler signature is.
void drop_parsed_ranges(const httplib::Request& req) { const_cast<httplib::Request&>(req).ranges.clear(); }

}  // namespace

void configure_server(httplib::Server& server, AccessLog* log, HttpMetrics* metrics, socket_t* listening) {
  server.set_payload_max_length(kMaxRequestBodyBytes);
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // Headers and body go out in separate writes: with Nagle's algorithm the body then
  // waits for the client's delayed ACK, 40 ms on Linux, on every small response.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100);
  server.set_keep_alive_timeout(kKeepAliveSeconds);
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
  // SO_REUSEADDR only (a restart can bind while old connections linger in TIME_WAIT).
  // Not SO_REUSEPORT: a second server on a busy port must fail, not share it.
  // httplib calls this for the listening socket only (accepted sockets are not passed
  // through it), before binding.
  server.set_socket_options([listening](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (listening) *listening = sock;
  });

  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    mark_request_start();
    drop_parsed_ranges(req);
    if (req.path.size() > kMaxPathBytes) {
      // Answered before httplib reads a request body: a body sent along stays unread and
      // is taken as the next request on the connection, which then fails as malformed.
      // Only the client that sent it is affected.
      send_error(res, 414, "request path longer than " + std::to_string(kMaxPathBytes) + " bytes");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Errors httplib answers on its own (malformed requests, 413, unrouted methods) get a
  // JSON body like ours; responses our routes filled in already have a Content-Type.
  // (Wrapped explicitly: a lambda returning HandlerResponse also converts to the void
  // Handler of set_error_handler's other overload.)
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    drop_parsed_ranges(req);
    if (res.has_header("Content-Type")) return httplib::Server::HandlerResponse::Unhandled;
    send_error(res, res.status, status_message(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));

  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "reco serve: internal error on %s %s: %s\n", req.method.c_str(), req.target.c_str(), what.c_str());
    // Whatever the handler had set (ETag, Content-Encoding) no longer describes the body.
    res.headers.clear();
    res.body.clear();
    res.set_header("X-Content-Type-Options", "nosniff");
    send_error(res, 500, status_message(500));
  });

  server.set_logger([log, metrics](const httplib::Request& req, const httplib::Response& res) {
    const RequestStats stats = take_request_stats();  // also resets them for the next request
    if (log) log->write(req, res, stats);
    if (metrics) metrics->record(req.path, req.method, res.status, stats.ms ? std::optional<double>(*stats.ms / 1000.0) : std::nullopt);
  });
}

bool widen_listen_backlog(socket_t listening) { return listening != INVALID_SOCKET && ::listen(listening, kListenBacklog) == 0; }

std::optional<std::string> read_request_body(const httplib::ContentReader& reader, httplib::Response& res) {
  std::string body;
  bool too_large = false;
  std::size_t received = 0;
  const bool complete = reader([&](const char* data, std::size_t n) {
    add_request_body_bytes(n);
    received += n;
    if (received > kMaxRequestBodyBytes) {
      too_large = true;
      body.clear();
      // The rest is read and dropped (as httplib skips an oversized Content-Length
      // body): stopping mid-body would leave it to be parsed as the next request on the
      // connection. Past kMaxDrainedBodyBytes the client is not worth the wait.
      return received <= kMaxDrainedBodyBytes;
    }
    body.append(data, n);
    return true;
  });
  // httplib refuses a Content-Length above the limit itself: the reader then fails
  // without reading anything and leaves 413 in res.status.
  if (!complete && res.status == 413) too_large = true;
  if (too_large) {
    send_error(res, 413, status_message(413));
    return std::nullopt;
  }
  if (!complete) {
    send_error(res, 400, "cannot read the request body");
    return std::nullopt;
  }
  return body;
}

void register_method_not_allowed(httplib::Server& server, const std::string& pattern, const std::string& allow) {
  const auto with_body = [allow](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (read_request_body(reader, res)) send_method_not_allowed(res, req.method, allow);
  };
  server.Post(pattern, with_body);
  server.Put(pattern, with_body);
  server.Patch(pattern, with_body);
  server.Delete(pattern, with_body);
  // OPTIONS carries no body httplib would read.
  server.Options(pattern, [allow](const httplib::Request& req, httplib::Response& res) {
    send_method_not_allowed(res, req.method, allow);
  });
}

}  // namespace reco::serve

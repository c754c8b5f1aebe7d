// `reco serve`: serves the browser runtime (--web) and model bundles (--bundles) over
// HTTP on one origin, so a page can load the WebAssembly engine and a bundle without
// file:// restrictions. The command line and the server's lifetime live here; what is
// served is in static_routes / api_routes, server-wide behaviour in http_server.
#include "api_routes.h"  // first: the core's headers before httplib's (api_routes.h)

#include <netdb.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <httplib.h>

#include "api_routes.h"
#include "commands.h"
#include "http_log.h"
#include "http_server.h"
#include "reco/error.h"
#include "static_routes.h"

namespace reco::cli {
namespace {

struct ServeArgs {
  std::string web;
  std::string bundles;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string access_log;  // empty: no log; "-": stderr
  std::string model;       // the active bundle folder; empty: the first by name
  std::string store;       // SQLite file for POST /api/v1/interactions; empty: ingestion off
  std::string build_config;  // JSON file for POST /api/v1/models; empty: builds off
  std::string admin_token_file;
  int rank_slots = 0;  // rankings at once; 0: two per core
};

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) throw ParamError("admin-token-file", "cannot read a token from '" + path + "'");
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16) throw ParamError("admin-token-file", "the token must be at least 16 characters");
  return token;
}

std::filesystem::path canonical_dir(const std::string& dir, const std::string& param) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::canonical(dir, ec);
  if (ec) throw ParamError(param, "cannot resolve '" + dir + "': " + ec.message());
  return p;
}

// Binds, or throws naming host and port. httplib reports failure as a bare false;
// errno still holds the reason from the failed socket call. The host is resolved here
// first because a failed lookup leaves nothing useful in errno.
int bind_or_throw(httplib::Server& server, const std::string& host, int port, const socket_t& listening) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int gai = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (gai != 0) throw ParamError("host", "cannot resolve '" + host + "': " + gai_strerror(gai));
  freeaddrinfo(found);
  errno = 0;
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound > 0) {
    if (!serve::widen_listen_backlog(listening))
      std::fprintf(stderr, "reco serve: cannot raise the listen backlog to %d (%s); bursts of new connections may wait\n", serve::kListenBacklog,
                   std::strerror(errno));
    return bound;
  }
  const int err = errno;
  std::string why = err == EADDRINUSE    ? "the port is already in use"
                    : err == EADDRNOTAVAIL ? "the address is not one of this machine's"
                    : err == EACCES        ? "permission denied (ports below 1024 need privileges)"
                    : err != 0             ? std::strerror(err)
                                           : "the socket could not be bound";
  throw ParamError("port", "cannot listen on " + host + ":" + std::to_string(port) + ": " + why);
}

int run_serve(const ServeArgs& a) {
  const serve::StaticRoots roots{canonical_dir(a.web, "web"), canonical_dir(a.bundles, "bundles")};
  std::unique_ptr<serve::AccessLog> log;
  if (!a.access_log.empty()) log = std::make_unique<serve::AccessLog>(a.access_log);

  // SIGINT/SIGTERM are taken by one thread with sigtimedwait rather than by a handler:
  // stopping the server is not async-signal-safe. They are blocked here, before
  // httplib starts its worker threads, so that every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-response is not fatal

  serve::ModelRegistry registry((roots.bundles / ".registry.sqlite").string());
  std::string active = a.model;
  if (active.empty()) {
    // The version activated last (kept across restarts), if it is still there.
    if (const auto kept = registry.active(); kept && std::filesystem::is_regular_file(roots.bundles / *kept / "manifest.json")) active = *kept;
  }
  serve::ServedModels models(roots.bundles, active);
  serve::HttpMetrics metrics;
  try {
    models.get("");  // load the active model now, so the first request does not wait for it
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reco serve: the active model does not load yet (the API answers 503 until it does): %s\n", e.what());
  }

  httplib::Server server;
  socket_t listening = INVALID_SOCKET;
  serve::configure_server(server, log.get(), &metrics, &listening);
  std::unique_ptr<serve::InteractionStore> store;
  if (!a.store.empty()) store = std::make_unique<serve::InteractionStore>(a.store, "store");
  std::unique_ptr<serve::ModelBuilds> builds;
  if (!a.build_config.empty()) builds = std::make_unique<serve::ModelBuilds>(serve::read_build_config(a.build_config), roots.bundles, registry);
  // Rankings are CPU-bound: two at a time per core (one would leave a core idle whenever
  // its ranking thread waits to be scheduled), the rest queued in arrival order.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  reco::FifoGate rank_gate(a.rank_slots > 0 ? a.rank_slots : 2 * cores);
  serve::ApiContext api{&models, &metrics, store.get(), &registry, builds.get(), a.admin_token_file.empty() ? "" : read_token(a.admin_token_file), &rank_gate};
  serve::register_api_routes(server, api);  // before the static catch-all (static_routes.h)
  serve::register_static_routes(server, roots);

  const int port = bind_or_throw(server, a.host, a.port, listening);
  const std::string host = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;  // IPv6 literal
  std::printf("reco serve: listening on http://%s:%d/\n", host.c_str(), port);
  std::fflush(stdout);

  std::atomic<bool> finished{false};
  std::atomic<int> stop_signal{0};
  std::thread waiter([&] {
    const timespec tick{0, 100 * 1000 * 1000};  // wakes up to notice that the server ended by itself
    while (!finished) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig <= 0) continue;
      stop_signal = sig;
      // stop() only acts on a running server: a signal that arrives between bind and
      // listen waits for the listen loop to start.
      while (!server.is_running() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      server.stop();
      return;
    }
  });
  const bool listened = server.listen_after_bind();
  finished = true;
  waiter.join();
  if (stop_signal != 0) {
    std::fprintf(stderr, "reco serve: stopped by %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
  }
  if (!listened) throw std::runtime_error("the server stopped accepting connections");
  return 0;
}

}  // namespace

Action add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the web runtime, model bundles and the JSON API over HTTP");
  cmd->add_option("--web", args->web, "Folder served at / (the page, scripts, WebAssembly)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--bundles", args->bundles, "Folder served at /bundles/ (one sub-folder per bundle)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--port", args->port, "TCP port; 0 picks a free one (the listening line says which)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", args->host, "Address to listen on");
  cmd->add_option("--access-log", args->access_log, "Append one JSON line per request to FILE ('-': stderr)");
  cmd->add_option("--store", args->store, "SQLite file that POST /api/v1/interactions appends to (opt-in; off without it)");
  cmd->add_option("--build-config", args->build_config, "JSON file (name, data, format, params, store) for builds started by POST /api/v1/models");
  cmd->add_option("--admin-token-file", args->admin_token_file, "File whose first line is the bearer token admin routes require");
  cmd->add_option("--rank-slots", args->rank_slots, "Rankings computed at once, the rest queued in arrival order (0: two per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--model", args->model, "Bundle folder (under --bundles) the API serves by default (default: the first by name)");
  return [cmd, args]() { return cmd->parsed() ? run_serve(*args) : -1; };
}

}  // namespace reco::cli

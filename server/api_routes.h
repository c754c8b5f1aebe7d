// The JSON API of `reco serve` under /api/v1/, registered before the static catch-all
// routes. Every answer is JSON (`{"error": ..., "field": ...}` for errors) except the
// Prometheus text of /metrics:
//   GET  /api/v1/health             {"status": "ok", "model", "model_version"} (+ "model_error" when it cannot load)
//   POST /api/v1/recommendations    body: the ranking request of reco/rank_json.h; ?model=NAME
//   GET  /api/v1/items/{id}         one item's metadata; ?model=NAME
//   GET  /api/v1/items?query=TEXT   text search (&k=10); without query: the catalog (&offset=&limit=100)
//   GET  /api/v1/models             the bundles served and which one is active
//   GET  /api/v1/metrics            requests by route and status, latency histograms, model loads
//   POST /api/v1/interactions       {"user", "item", "value"?, "timestamp"?} or {"events": [...]}
//                                   into the store (201 once committed; 404 without --store)
// With a registry (always) and builds (--build-config), admin routes need
// `Authorization: Bearer TOKEN` (--admin-token-file; without one they answer 403):
//   POST /api/v1/models                      start a train-and-export job (202 {"job"}; 409 while one runs)
//   GET  /api/v1/models/{job}                the job's status, duration, version or error
//   POST /api/v1/models/{version}/activate   make a published version the active model (or roll back)
// The same core and the same wire format as `reco rank` and the WebAssembly module, so a
// client that cannot run WebAssembly gets the same answers.
#pragma once

// The core (Eigen) before httplib: httplib pulls in <resolv.h>, whose `_res` macro
// breaks Eigen's headers.
#include "reco/fifo_gate.h"
#include "served_models.h"

#include <httplib.h>

#include "http_metrics.h"
#include "interaction_store.h"
#include "model_builds.h"
#include "model_registry.h"

namespace reco::serve {

// What the API works on; every pointer may be null (that part is off) and everything
// must outlive the server.
struct ApiContext {
  ServedModels* models = nullptr;
  const HttpMetrics* metrics = nullptr;
  InteractionStore* store = nullptr;
  ModelRegistry* registry = nullptr;
  ModelBuilds* builds = nullptr;
  std::string admin_token;  // empty: admin routes are off
  FifoGate* rank_gate = nullptr;  // admits rankings in arrival order (required)
};

void register_api_routes(httplib::Server& server, const ApiContext& context);

}  // namespace reco::serve

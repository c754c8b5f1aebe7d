// The JSON API of `reco serve` under /api/v1/. For now only the health check; ranking
// and the rest come later and register here, before the static catch-all routes.
#pragma once

#include <httplib.h>

namespace reco::serve {

// GET /api/v1/health -> 200 {"status": "ok"}.
void register_api_routes(httplib::Server& server);

}  // namespace reco::serve

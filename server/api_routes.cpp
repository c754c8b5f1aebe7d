#include "api_routes.h"

#include "http_response.h"
#include "http_server.h"

namespace reco::serve {

void register_api_routes(httplib::Server& server) {
  const std::string health = "/api/v1/health";
  server.Get(health, [](const httplib::Request&, httplib::Response& res) {
    // A health answer is about now: never from a cache.
    replace_header(res, "Cache-Control", "no-store");
    send_json(res, 200, {{"status", "ok"}});
  });
  register_method_not_allowed(server, health, "GET, HEAD");
}

}  // namespace reco::serve

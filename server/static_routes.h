// The static routes of `reco serve`: the files of --web at `/` and of --bundles at
// `/bundles/`, read from disk on every request (a rewritten file or a new manifest is
// served at once), with ETags, the cache policy of static_files.h, gzip, single byte
// ranges, and JSON errors.
#pragma once

#include <filesystem>

#include <httplib.h>

namespace reco::serve {

struct StaticRoots {
  std::filesystem::path web;      // canonical folder served at "/"
  std::filesystem::path bundles;  // canonical folder served at "/bundles/"
};

// Registers catch-all handlers for every method (GET and HEAD serve files; the others
// get 405). httplib tries routes in registration order, so routes that must win over
// the catch-all (the JSON API) are registered before this. Paths under /api/ are never
// files: whatever the API did not route there is a 404.
void register_static_routes(httplib::Server& server, const StaticRoots& roots);

}  // namespace reco::serve

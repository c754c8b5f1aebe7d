// The current time as ISO 8601 UTC ("2026-01-31T12:00:00Z"), for manifests and the registry.
#pragma once

#include <string>

namespace reco::cli {

std::string utc_now();

}  // namespace reco::cli

// Interaction events as JSON, the body of the server's POST /api/v1/interactions:
//   {"user": "u1", "item": "50", "value": 4, "timestamp": 881250949}
// or {"events": [ ...1 to 1000 of those... ]}. `user` and `item` are strings or integers
// (at most 256 bytes), `value` a number in [0, 1e6] (default 1), `timestamp` whole
// seconds >= 0 (default `now`). Items must be in the model's catalog. Unknown fields are
// errors; every error is a ParamError naming the field ("events[3].item").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reco/hybrid_model.h"

namespace reco {

struct InteractionEvent {
  std::string user;
  std::string item;
  float value = 1.0f;
  std::int64_t timestamp = 0;
};

// Malformed JSON is a DataError naming `source`.
std::vector<InteractionEvent> parse_interactions(const std::string& text, const HybridModel& model, std::int64_t now,
                                                 const std::string& source);

}  // namespace reco

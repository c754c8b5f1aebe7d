#include "reco/interaction_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "reco/error.h"
#include "reco/rank_json.h"

namespace reco {

using nlohmann::json;

std::vector<InteractionEvent> parse_interactions(const std::string& text, const HybridModel& model, std::int64_t now,
                                                 const std::string& source) {
  const json j = parse_json_text(text, source);
  if (!j.is_object()) throw ParamError("body", "expected an event object or {\"events\": [...]}");
  std::vector<const json*> list;
  std::string prefix;
  if (j.contains("events")) {
    if (j.size() != 1) throw ParamError("body", "with \"events\", no other field");
    const json& a = j["events"];
    if (!a.is_array() || a.empty() || a.size() > 1000) throw ParamError("events", "expected an array of 1 to 1000 events");
    for (const json& e : a) list.push_back(&e);
    prefix = "events";
  } else {
    list.push_back(&j);
  }
  std::vector<InteractionEvent> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& e = *list[i];
    const std::string at = prefix.empty() ? std::string() : prefix + "[" + std::to_string(i) + "].";
    if (!e.is_object()) throw ParamError(prefix + "[" + std::to_string(i) + "]", "expected an object");
    for (auto it = e.begin(); it != e.end(); ++it)
      if (it.key() != "user" && it.key() != "item" && it.key() != "value" && it.key() != "timestamp")
        throw ParamError(at + it.key(), "not a field of an interaction (user, item, value, timestamp)");
    InteractionEvent ev;
    const auto id = [&](const char* key) {
      const auto it = e.find(key);
      if (it == e.end()) throw ParamError(at + key, "missing");
      std::string v = it->is_string() ? it->get<std::string>() : it->is_number_integer() ? it->dump() : std::string();
      if (v.empty() || v.size() > 256) throw ParamError(at + key, "expected a non-empty string (or integer) id of at most 256 bytes");
      return v;
    };
    ev.user = id("user");
    ev.item = id("item");
    if (model.find_item(ev.item) < 0) throw ParamError(at + "item", "unknown item '" + ev.item + "'");
    if (const auto v = e.find("value"); v != e.end()) {
      if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0 || v->get<double>() > 1e6)
        throw ParamError(at + "value", "expected a number in [0, 1e6]");
      ev.value = static_cast<float>(v->get<double>());
    }
    ev.timestamp = now;
    if (const auto t = e.find("timestamp"); t != e.end()) {
      if (!t->is_number_integer() || t->get<std::int64_t>() < 0) throw ParamError(at + "timestamp", "expected an integer >= 0 (seconds)");
      ev.timestamp = t->get<std::int64_t>();
    }
    out.push_back(std::move(ev));
  }
  return out;
}

}  // namespace reco

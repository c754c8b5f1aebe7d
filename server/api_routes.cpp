#include "reco/interaction_json.h"  // first: see api_routes.h
#include "reco/rank_json.h"

#include "api_routes.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include "http_response.h"
#include "http_server.h"
#include "reco/error.h"

namespace reco::serve {
namespace {

using nlohmann::json;

// An API error with its status: thrown inside handlers, answered by `answer`.
struct ApiError {
  int status;
  std::string message;
  std::string field;
};

// Runs `body`, turning the core's errors into 400s that name the field, so a bad
// request never reaches the generic 500 handler.
template <typename F>
void answer(httplib::Response& res, F&& body) {
  try {
    body();
  } catch (const ApiError& e) {
    json j = {{"error", e.message}};
    if (!e.field.empty()) j["field"] = e.field;
    send_json(res, e.status, j);
  } catch (const ParamError& e) {
    send_json(res, 400, {{"error", e.what()}, {"field", e.param()}});
  } catch (const DataError& e) {
    json j = {{"error", e.what()}};
    if (!e.field().empty()) j["field"] = e.field();
    send_json(res, 400, j);
  }
}

// The model a request names with ?model= (default: the active one).
std::shared_ptr<const ServedModel> model_for(const httplib::Request& req, ServedModels& models) {
  const std::string name = req.has_param("model") ? req.get_param_value("model") : std::string();
  std::shared_ptr<const ServedModel> m;
  try {
    m = models.get(name);
  } catch (const std::exception& e) {
    throw ApiError{503, "the model cannot be loaded: " + std::string(e.what()), ""};
  }
  if (!m) {
    if (name.empty()) throw ApiError{503, "no model bundle is published", ""};
    throw ApiError{404, "no model named '" + name + "'", "model"};
  }
  return m;
}

// A whole-number query parameter within [lo, hi], or `fallback` when absent.
int int_param(const httplib::Request& req, const char* name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  int x = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || end != v.data() + v.size() || x < lo || x > hi)
    throw ApiError{400, std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + v + "'",
                   name};
  return x;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

json model_summary(const std::string& name, const json& manifest) {
  json j = {{"name", name},
            {"model_version", manifest.value("model_version", "")},
            {"created", manifest.value("created", "")},
            {"items", manifest.value("items", 0)},
            {"dataset", manifest.value("dataset", json::object())}};
  const json metrics = manifest.value("metrics", json::object());
  if (metrics.contains("hybrid")) j["metrics"] = {{"split", metrics.value("split", "")}, {"hybrid", metrics["hybrid"]}};
  return j;
}

// Ranks a parsed request with the model, encoding a text query natively. The work runs
// inside `gate` (a few slots per core, first come first served: fifo_gate.h).
std::string rank_with(const ServedModel& m, JsonRankRequest parsed, FifoGate& gate) {
  const HybridModel& model = m.bundle.model;
  const FifoGate::Pass pass(gate);
  if (parsed.query_text) {
    if (!model.encoder) throw ParamError("query", "this model has no text encoder");
    parsed.request.query = model.encoder->encode(*parsed.query_text);
  }
  const RankResult result = rank(model, parsed.request);
  return rank_result_text(result, model, {{"model", m.name}, {"model_version", m.version}});
}

// Admin routes: 403 when no token is configured, 401 unless the request carries it. The
// comparison takes the same time whatever the first differing byte.
void require_admin(const httplib::Request& req, const std::string& token) {
  if (token.empty()) throw ApiError{403, "admin routes are off (start reco serve with --admin-token-file FILE)", ""};
  const std::string given = req.get_header_value("Authorization");
  const std::string want = "Bearer " + token;
  unsigned diff = given.size() == want.size() ? 0u : 1u;
  for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned>(want[i] ^ (i < given.size() ? given[i] : 0));
  if (diff != 0) throw ApiError{401, "missing or wrong admin token (Authorization: Bearer TOKEN)", "Authorization"};
}

json job_json(const BuildJob& j) {
  json out = {{"job", j.id}, {"status", j.status}, {"started", j.started}, {"seconds", j.seconds}};
  if (!j.finished.empty()) out["finished"] = j.finished;
  if (!j.version.empty()) out["version"] = j.version;
  if (!j.error.empty()) out["error"] = j.error;
  return out;
}

void register_registry_routes(httplib::Server& server, const ApiContext& c) {
  server.Post("/api/v1/models", [c](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!read_request_body(reader, res)) return;
    answer(res, [&] {
      require_admin(req, c.admin_token);
      if (!c.builds) throw ApiError{404, "builds are off (start reco serve with --build-config FILE)", ""};
      const std::int64_t job = c.builds->start();
      if (job < 0) throw ApiError{409, "a build is already running", ""};
      send_json(res, 202, {{"job", job}, {"status", "running"}});
    });
  });
  server.Get(R"(/api/v1/models/(\d{1,18}))", [c](const httplib::Request& req, httplib::Response& res) {
    replace_header(res, "Cache-Control", "no-store");
    answer(res, [&] {
      const auto job = c.registry ? c.registry->job(std::stoll(req.matches[1])) : std::nullopt;
      if (!job) throw ApiError{404, "no build job " + std::string(req.matches[1]), "job"};
      send_json(res, 200, job_json(*job));
    });
  });
  server.Post(R"(/api/v1/models/([^/]+)/activate)", [c](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!read_request_body(reader, res)) return;
    answer(res, [&] {
      require_admin(req, c.admin_token);
      const std::string version = req.matches[1];
      const auto m = c.registry ? c.registry->model(version) : std::nullopt;
      if (!m) throw ApiError{404, "no published version '" + version + "'", "version"};
      c.models->set_active(m->folder);
      c.registry->set_active(m->folder);
      const auto loaded = c.models->get("");
      send_json(res, 200, {{"active", m->folder}, {"model_version", loaded ? loaded->version : version}});
    });
  });
}

}  // namespace

void register_api_routes(httplib::Server& server, const ApiContext& c) {
  ServedModels& models = *c.models;
  const HttpMetrics& metrics = *c.metrics;
  InteractionStore* store = c.store;
  register_registry_routes(server, c);
  const std::string interactions = "/api/v1/interactions";
  server.Post(interactions, [&models, store](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    const std::optional<std::string> body = read_request_body(reader, res);
    if (!body) return;
    answer(res, [&] {
      if (!store) throw ApiError{404, "interaction ingestion is off (start reco serve with --store FILE)", ""};
      const auto m = model_for(req, models);
      const std::vector<InteractionEvent> events =
          parse_interactions(*body, m->bundle.model, static_cast<std::int64_t>(std::time(nullptr)), "request body");
      try {
        store->append(events);
      } catch (const std::exception& e) {
        throw ApiError{503, std::string("the events were not stored: ") + e.what(), ""};
      }
      // 201 only now: the transaction is committed and synced.
      send_json(res, 201, {{"accepted", events.size()}});
    });
  });
  server.Get(interactions, [](const httplib::Request& req, httplib::Response& res) { send_method_not_allowed(res, req.method, "POST"); });

  const std::string health = "/api/v1/health";
  server.Get(health, [&models](const httplib::Request&, httplib::Response& res) {
    // A health answer is about now: never from a cache.
    replace_header(res, "Cache-Control", "no-store");
    json j = {{"status", "ok"}, {"model", models.active()}};
    try {
      if (const auto m = models.get("")) j["model_version"] = m->version;
      else j["model_version"] = nullptr;
    } catch (const std::exception& e) {
      // Liveness stays 200: the static files are served whatever the model's state.
      j["model_version"] = nullptr;
      j["model_error"] = e.what();
    }
    send_json(res, 200, j);
  });
  register_method_not_allowed(server, health, "GET, HEAD");

  const std::string recommendations = "/api/v1/recommendations";
  FifoGate& gate = *c.rank_gate;
  server.Post(recommendations, [&models, &gate](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    const std::optional<std::string> body = read_request_body(reader, res);
    if (!body) return;
    replace_header(res, "Cache-Control", "no-store");
    answer(res, [&] {
      const auto m = model_for(req, models);
      send_json_text(res, 200, rank_with(*m, parse_rank_request(*body, m->bundle.model, "request body"), gate));
    });
  });
  // Only POST: the history is in the body, never in a URL that proxies might log.
  server.Get(recommendations, [](const httplib::Request& req, httplib::Response& res) {
    send_method_not_allowed(res, req.method, "POST");
  });
  server.Put(recommendations, [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (read_request_body(reader, res)) send_method_not_allowed(res, req.method, "POST");
  });
  server.Delete(recommendations, [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (read_request_body(reader, res)) send_method_not_allowed(res, req.method, "POST");
  });
  server.Patch(recommendations, [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (read_request_body(reader, res)) send_method_not_allowed(res, req.method, "POST");
  });

  server.Get(R"(/api/v1/items/([^/]+))", [&models](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      const auto m = model_for(req, models);
      const std::string id = req.matches[1];
      const std::int32_t i = m->bundle.model.find_item(id);
      if (i < 0) throw ApiError{404, "no item with id '" + id + "' in model '" + m->name + "'", "id"};
      json j = item_json(m->bundle.model, i);
      j["model_version"] = m->version;
      send_json(res, 200, j);
    });
  });

  server.Get("/api/v1/items", [&models, &gate](const httplib::Request& req, httplib::Response& res) {
    answer(res, [&] {
      const auto m = model_for(req, models);
      const HybridModel& model = m->bundle.model;
      if (req.has_param("query")) {
        // A text search: the ranker with the query and no history.
        JsonRankRequest parsed;
        parsed.query_text = req.get_param_value("query");
        if (parsed.query_text->empty()) throw ApiError{400, "query must not be empty", "query"};
        parsed.request.k = int_param(req, "k", 10, 1, 1000);
        parsed.request.explain = 0;
        send_json_text(res, 200, rank_with(*m, parsed, gate));
        return;
      }
      const int offset = int_param(req, "offset", 0, 0, model.n_items());
      const int limit = int_param(req, "limit", 100, 1, 1000);
      json items = json::array();
      for (std::int32_t i = offset; i < std::min(model.n_items(), offset + limit); ++i) items.push_back(item_json(model, i));
      send_json(res, 200, {{"items", items}, {"total", model.n_items()}, {"offset", offset}, {"limit", limit},
                           {"model", m->name}, {"model_version", m->version}});
    });
  });
  register_method_not_allowed(server, "/api/v1/items", "GET, HEAD");

  server.Get("/api/v1/models", [&models, c](const httplib::Request&, httplib::Response& res) {
    replace_header(res, "Cache-Control", "no-store");
    json list = json::array();
    for (const std::string& name : models.names()) {
      json entry;
      try {
        const auto m = models.get(name);
        entry = model_summary(name, m->bundle.manifest);
      } catch (const std::exception& e) {
        entry = {{"name", name}, {"error", e.what()}};
      }
      entry["active"] = name == models.active();
      list.push_back(entry);
    }
    json out = {{"active", models.active()}, {"models", list}};
    if (c.registry) {
      json versions = json::array(), jobs = json::array();
      for (const RegisteredModel& m : c.registry->models())
        versions.push_back({{"version", m.version}, {"folder", m.folder}, {"created", m.created}, {"metrics", json::parse(m.metrics, nullptr, false)}});
      for (const BuildJob& j : c.registry->jobs()) jobs.push_back(job_json(j));
      out["versions"] = versions;
      out["jobs"] = jobs;
    }
    send_json(res, 200, out);
  });

  const std::string metrics_path = "/api/v1/metrics";
  server.Get(metrics_path, [&models, &metrics, c](const httplib::Request&, httplib::Response& res) {
    std::string text = metrics.prometheus();
    if (c.builds) {
      const ModelBuilds::Counters b = c.builds->counters();
      text += "# HELP reco_builds_total Train-and-export jobs finished, by outcome.\n# TYPE reco_builds_total counter\n";
      text += "reco_builds_total{status=\"succeeded\"} " + std::to_string(b.succeeded) + "\n";
      text += "reco_builds_total{status=\"failed\"} " + std::to_string(b.failed) + "\n";
      text += "# HELP reco_build_last_seconds Duration of the last finished build.\n# TYPE reco_build_last_seconds gauge\n";
      text += "reco_build_last_seconds " + std::to_string(b.last_seconds) + "\n";
      text += "# HELP reco_build_running 1 while a build runs.\n# TYPE reco_build_running gauge\n";
      text += std::string("reco_build_running ") + (c.builds->running() ? "1" : "0") + "\n";
    }
    const ServedModels::Counters c = models.counters();
    text += "# HELP reco_model_loads_total Bundles loaded (first use or a changed manifest).\n# TYPE reco_model_loads_total counter\n";
    text += "reco_model_loads_total " + std::to_string(c.loads) + "\n";
    text += "# HELP reco_model_load_failures_total Bundle loads that failed (the previous version stayed in service).\n";
    text += "# TYPE reco_model_load_failures_total counter\nreco_model_load_failures_total " + std::to_string(c.failures) + "\n";
    text += "# HELP reco_model_load_seconds Duration of the last bundle load.\n# TYPE reco_model_load_seconds gauge\n";
    text += "reco_model_load_seconds " + std::to_string(c.last_load_seconds) + "\n";
    text += "# HELP reco_model_active The active model's name and version (value 1).\n# TYPE reco_model_active gauge\n";
    try {
      if (const auto m = models.get(""))
        text += "reco_model_active{model=\"" + label(m->name) + "\",version=\"" + label(m->version) + "\"} 1\n";
    } catch (const std::exception&) {
    }
    replace_header(res, "Cache-Control", "no-store");
    set_body(res, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
    res.status = 200;
  });
  register_method_not_allowed(server, metrics_path, "GET, HEAD");

}

}  // namespace reco::serve

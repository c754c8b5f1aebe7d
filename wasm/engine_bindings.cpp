// The JavaScript face of Engine (engine.h), through Embind:
//
//   const engine = Module.Engine.load({"manifest.json": bytes, "items.<sha>.json": bytes, ...}, false);
//   (second argument true only when every section's SHA-256 was already checked; the two
//   hnsw_* files may be left out for a catalog the ranker scores exactly, and given later)
//   engine.addFiles({"hnsw_factors.<sha>.bin": bytes, ...}, false);
//   engine.restoreIndexes();  // now rather than at the first addItem (which needs them)
//   engine.addEvent("50", 5, 881250949);
//   JSON.parse(engine.recommend('{"k": 10}'));
//   engine.delete();   // frees the model; the object is unusable afterwards
//
// Every call catches the core's exceptions and throws a JavaScript Error with the
// message instead, so bad input never aborts the module.
#include <cmath>
#include <string>

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "engine.h"
#include "reco/error.h"

namespace reco::wasm {
namespace {

using emscripten::val;

// Runs `f`; a C++ exception becomes a JavaScript Error. The message is copied out of the
// handler first so nothing of the C++ exception is alive while the JS one unwinds.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  std::string message;
  try {
    return f();
  } catch (const std::bad_alloc&) {
    message = "reco: out of memory";
  } catch (const std::exception& e) {
    message = std::string("reco: ") + e.what();
  } catch (...) {
    message = "reco: unknown error";
  }
  val error = val::global("Error").new_(val(message));
  message.clear();
  message.shrink_to_fit();
  error.throw_();
}

std::vector<std::uint8_t> bytes_of(const val& v, const std::string& name) {
  const val u8 = val::global("Uint8Array");
  if (!v.instanceof(u8) && !v.instanceof(val::global("ArrayBuffer")))
    throw ParamError("files['" + name + "']", "expected a Uint8Array or ArrayBuffer");
  return emscripten::convertJSArrayToNumberVector<std::uint8_t>(v.instanceof(u8) ? v : u8.new_(v));
}

std::string string_arg(const val& v, const char* name) {
  if (!v.isString()) throw ParamError(name, "expected a string, got " + v.typeOf().as<std::string>());
  return v.as<std::string>();
}

double number_arg(const val& v, const char* name) {
  if (!v.isNumber()) throw ParamError(name, "expected a number, got " + v.typeOf().as<std::string>());
  return v.as<double>();
}

// An optional JSON-text argument: undefined/null means "{}".
std::string json_arg(const val& v, const char* name) {
  if (v.isUndefined() || v.isNull()) return "{}";
  return string_arg(v, name);
}

int int_arg(const val& v, const char* name) {
  const double x = number_arg(v, name);
  if (!std::isfinite(x) || x != std::floor(x) || std::fabs(x) > 2147483647.0) throw ParamError(name, "expected an integer");
  return static_cast<int>(x);
}

std::map<std::string, std::vector<std::uint8_t>> files_of(const val& files) {
  if (files.typeOf().as<std::string>() != "object" || files.isNull()) throw ParamError("files", "expected an object mapping file names to bytes");
  std::map<std::string, std::vector<std::uint8_t>> map;
  const val names = val::global("Object").call<val>("keys", files);
  const int n = names["length"].as<int>();
  for (int k = 0; k < n; ++k) {
    const std::string name = names[k].as<std::string>();
    map[name] = bytes_of(files[name], name);
  }
  return map;
}

Engine* load(val files, val verified) {
  return guarded([&] { return new Engine(files_of(files), verified.isTrue()); });
}

void add_files(Engine& e, val files, val verified) { guarded([&] { e.add_files(files_of(files), verified.isTrue()); }); }
void restore_indexes(Engine& e) { guarded([&] { e.ensure_indexes(); }); }
bool has_indexes(const Engine& e) { return guarded([&] { return e.has_indexes(); }); }

std::string info(const Engine& e) { return guarded([&] { return e.info(); }); }
std::string item(const Engine& e, val id) { return guarded([&] { return e.item(string_arg(id, "id")); }); }
std::string items(const Engine& e, val offset, val count) {
  return guarded([&] { return e.items(int_arg(offset, "offset"), int_arg(count, "count")); });
}
int find_item(const Engine& e, val id) { return guarded([&] { return e.find_item(string_arg(id, "id")); }); }
void add_event(Engine& e, val id, val strength, val timestamp) {
  guarded([&] {
    e.add_event(string_arg(id, "id"), strength.isUndefined() ? 1.0 : number_arg(strength, "strength"),
                timestamp.isUndefined() ? 0.0 : number_arg(timestamp, "timestamp"));
  });
}
int remove_item(Engine& e, val id) { return guarded([&] { return e.remove_item(string_arg(id, "id")); }); }
void clear_history(Engine& e) { guarded([&] { e.clear_history(); }); }
std::string history(const Engine& e) { return guarded([&] { return e.history(); }); }
void set_history(Engine& e, val json) { guarded([&] { e.set_history(string_arg(json, "history")); }); }
std::string recommend(const Engine& e, val request) { return guarded([&] { return e.recommend(json_arg(request, "request")); }); }
std::string similar(const Engine& e, val id, val request) {
  return guarded([&] { return e.similar(string_arg(id, "id"), json_arg(request, "request")); });
}
std::string explain(const Engine& e, val id, val request) {
  return guarded([&] { return e.explain(string_arg(id, "id"), json_arg(request, "request")); });
}
std::string tokenize(const Engine& e, val text) { return guarded([&] { return e.tokenize(string_arg(text, "text")); }); }
std::string tokenize_item(const Engine& e, val info) { return guarded([&] { return e.tokenize_item(json_arg(info, "info")); }); }
int add_item(Engine& e, val id, val info, val embedding) {
  return guarded([&] {
    if (!embedding.instanceof(val::global("Float32Array")) && !embedding.isArray())
      throw ParamError("embedding", "expected a Float32Array or an array of numbers");
    return e.add_item(string_arg(id, "id"), json_arg(info, "info"), emscripten::convertJSArrayToNumberVector<float>(embedding));
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(reco_engine) {
  emscripten::class_<Engine>("Engine")
      .class_function("load", &load, emscripten::allow_raw_pointers())
      .function("addFiles", &add_files)
      .function("restoreIndexes", &restore_indexes)
      .function("hasIndexes", &has_indexes)
      .function("info", &info)
      .function("item", &item)
      .function("items", &items)
      .function("findItem", &find_item)
      .function("addEvent", &add_event)
      .function("removeItem", &remove_item)
      .function("clearHistory", &clear_history)
      .function("history", &history)
      .function("setHistory", &set_history)
      .function("recommend", &recommend)
      .function("similar", &similar)
      .function("explain", &explain)
      .function("tokenize", &tokenize)
      .function("tokenizeItem", &tokenize_item)
      .function("addItem", &add_item);
}

}  // namespace reco::wasm

#include "reco/rank_json.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <limits>

#include "reco/error.h"

namespace reco {
namespace {

using nlohmann::json;

std::string type_name(const json& v) { return v.type_name(); }

[[noreturn]] void bad(const std::string& field, const std::string& message) { throw ParamError(field, message); }

// A field's name for an error message: given as text, or as a function that writes it
// only when an error needs it (a history of 50 entries would otherwise build 100 names).
const std::string& name_of(const std::string& field) { return field; }
template <typename F>
std::string name_of(const F& field) {
  return field();
}

// An item id as the request names it: a non-empty string or an integer.
template <typename Field>
std::string id_of(const json& v, const Field& field) {
  if (v.is_string()) {
    if (v.get_ref<const std::string&>().empty()) bad(name_of(field), "item id must not be empty");
    return v.get<std::string>();
  }
  // (nlohmann counts unsigned numbers as integers too: test unsigned first.)
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  bad(name_of(field), "expected an item id (string or integer), got " + type_name(v));
}

template <typename Field>
std::int32_t item_of(const json& v, const Field& field, const HybridModel& m) {
  const std::string id = id_of(v, field);
  const std::int32_t i = m.find_item(id);
  if (i < 0) bad(name_of(field), "unknown item '" + (id.size() > 64 ? id.substr(0, 64) + "..." : id) + "'");
  return i;
}

template <typename Field>
double number_of(const json& v, const Field& field) {
  if (!v.is_number()) bad(name_of(field), "expected a number, got " + type_name(v));
  const double x = v.get<double>();
  if (!std::isfinite(x)) bad(name_of(field), "must be finite");
  return x;
}

template <typename Field>
std::int64_t integer_of(const json& v, const Field& field, std::int64_t lo, std::int64_t hi) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) bad(name_of(field), "must be at most " + std::to_string(hi));
    const std::int64_t x = v.get<std::int64_t>();
    if (x < lo || x > hi) bad(name_of(field), "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
    return x;
  }
  // JavaScript sends whole numbers such as 1e3 or 10.0 as floats.
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (std::isfinite(x) && x == std::floor(x) && x >= static_cast<double>(lo) && x <= static_cast<double>(hi)) return static_cast<std::int64_t>(x);
    bad(name_of(field), "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  bad(name_of(field), "expected an integer, got " + type_name(v));
}

const json& array_of(const json& v, const std::string& field) {
  if (!v.is_array()) bad(field, "expected an array, got " + type_name(v));
  return v;
}

std::vector<std::int32_t> items_of(const json& v, const std::string& field, const HybridModel& m) {
  std::vector<std::int32_t> out;
  const json& a = array_of(v, field);
  for (std::size_t p = 0; p < a.size(); ++p) out.push_back(item_of(a[p], field + "[" + std::to_string(p) + "]", m));
  return out;
}

std::vector<std::string> strings_of(const json& v, const std::string& field) {
  std::vector<std::string> out;
  const json& a = array_of(v, field);
  for (std::size_t p = 0; p < a.size(); ++p) {
    if (!a[p].is_string()) bad(field + "[" + std::to_string(p) + "]", "expected a string, got " + type_name(a[p]));
    out.push_back(a[p].get<std::string>());
  }
  return out;
}

// Entry p of the request's history.
HistoryEntry history_entry(const json& v, std::size_t p, const HybridModel& m) {
  const auto field = [p](const char* suffix) { return [p, suffix] { return "history[" + std::to_string(p) + "]" + suffix; }; };
  HistoryEntry e;
  if (!v.is_object()) {
    e.item = item_of(v, field(""), m);
    return e;
  }
  bool has_item = false;
  for (const auto& [key, value] : v.items()) {
    if (key == "item") {
      e.item = item_of(value, field(".item"), m);
      has_item = true;
    } else if (key == "strength") {
      e.strength = static_cast<float>(number_of(value, field(".strength")));
    } else if (key == "timestamp") {
      e.timestamp = integer_of(value, field(".timestamp"), 0, std::numeric_limits<std::int64_t>::max() / 2);
    } else {
      bad(field(".")() + key, "unknown field (expected item, strength, timestamp)");
    }
  }
  if (!has_item) bad(field(".item")(), "missing");
  return e;
}

FusionMode signals_of(const json& v) {
  if (v == "hybrid") return FusionMode::Hybrid;
  if (v == "cf") return FusionMode::Cf;
  if (v == "content") return FusionMode::Content;
  bad("signals", "expected \"hybrid\", \"cf\" or \"content\"");
}

}  // namespace

JsonRankRequest parse_rank_request(const json& j, const HybridModel& m) {
  if (!j.is_object()) bad("request", "expected a JSON object, got " + type_name(j));
  JsonRankRequest out;
  RankRequest& r = out.request;
  for (const auto& [key, v] : j.items()) {
    if (key == "history") {
      out.has_history = true;
      const json& a = array_of(v, key);
      r.history.reserve(a.size());
      for (std::size_t p = 0; p < a.size(); ++p) r.history.push_back(history_entry(a[p], p, m));
    } else if (key == "query") {
      if (!v.is_string()) bad(key, "expected a string, got " + type_name(v));
      out.query_text = v.get<std::string>();
    } else if (key == "query_embedding") {
      const json& a = array_of(v, key);
      for (std::size_t p = 0; p < a.size(); ++p) {
        const double x = number_of(a[p], "query_embedding[" + std::to_string(p) + "]");
        if (std::fabs(x) > 1e30) bad("query_embedding[" + std::to_string(p) + "]", "is too large");
        r.query.push_back(static_cast<float>(x));
      }
      if (r.query.empty()) bad(key, "must not be empty");
    } else if (key == "k") {
      r.k = static_cast<int>(integer_of(v, key, 1, 10000));
    } else if (key == "exclude_history") {
      if (!v.is_boolean()) bad(key, "expected true or false, got " + type_name(v));
      r.exclude_history = v.get<bool>();
    } else if (key == "allow") {
      r.allow = items_of(v, key, m);
      if (r.allow.empty()) bad(key, "must not be empty (leave it out to allow every item)");
    } else if (key == "deny") {
      r.deny = items_of(v, key, m);
    } else if (key == "tags") {
      r.tags = strings_of(v, key);
    } else if (key == "diversity") {
      const double x = number_of(v, key);
      if (x < 0.0 || x > 1.0) bad(key, "must be in [0, 1]");
      r.mmr_lambda = static_cast<float>(1.0 - x);
    } else if (key == "now") {
      r.now = integer_of(v, key, 0, std::numeric_limits<std::int64_t>::max() / 2);
    } else if (key == "explain") {
      r.explain = static_cast<int>(integer_of(v, key, 0, 100));
    } else if (key == "signals") {
      r.mode = signals_of(v);
    } else {
      bad(key.size() > 64 ? key.substr(0, 64) + "..." : key,
          "unknown field (expected history, query, query_embedding, k, exclude_history, allow, deny, tags, diversity, now, "
          "explain, signals)");
    }
  }
  if (out.query_text && !r.query.empty()) bad("query", "give either query or query_embedding, not both");
  r.validate(m);
  return out;
}

json parse_json_text(const std::string& text, const std::string& source) {
  constexpr int kMaxDepth = 64;
  try {
    return json::parse(text, [&](int depth, json::parse_event_t, json&) {
      if (depth > kMaxDepth) throw DataError(source, 0, "", "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return true;
    });
  } catch (const json::exception& e) {
    throw DataError(source, 0, "", std::string("malformed JSON: ") + e.what());
  }
}

namespace {

// The common request, {"history": [{"item": ID, "strength": X, "timestamp": T}, ...],
// "k": K, "explain": E, "exclude_history": B}, read straight from the text without a
// JSON tree (which allocated a node per key and value: more than the ranking's own
// allocations). Anything else (another field, an escape or a non-ASCII byte in a string,
// a repeated key, a value of another type or out of range, an unknown item, malformed
// JSON) returns nullopt, and the general parser then answers exactly as it always does,
// errors included. What it accepts, it reads as the general parser would.
class SimpleRequestReader {
 public:
  SimpleRequestReader(const std::string& text, const HybridModel& m) : p_(text.data()), end_(text.data() + text.size()), m_(m) {}

  std::optional<JsonRankRequest> read() {
    JsonRankRequest out;
    RankRequest& r = out.request;
    bool seen_history = false, seen_k = false, seen_explain = false, seen_exclude = false;
    if (!consume('{')) return std::nullopt;
    if (!consume('}')) {
      do {
        std::string key;
        if (!string(key) || !consume(':')) return std::nullopt;
        if (key == "history" && !seen_history) {
          seen_history = out.has_history = true;
          if (!history(r.history)) return std::nullopt;
        } else if (key == "k" && !seen_k) {
          seen_k = true;
          std::int64_t k = 0;
          if (!integer(k) || k < 1 || k > 10000) return std::nullopt;
          r.k = static_cast<int>(k);
        } else if (key == "explain" && !seen_explain) {
          seen_explain = true;
          std::int64_t e = 0;
          if (!integer(e) || e < 0 || e > 100) return std::nullopt;
          r.explain = static_cast<int>(e);
        } else if (key == "exclude_history" && !seen_exclude) {
          seen_exclude = true;
          if (literal("true")) r.exclude_history = true;
          else if (literal("false")) r.exclude_history = false;
          else return std::nullopt;
        } else {
          return std::nullopt;
        }
      } while (consume(','));
      if (!consume('}')) return std::nullopt;
    }
    skip_space();
    if (p_ != end_) return std::nullopt;
    r.validate(m_);
    return out;
  }

 private:
  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool consume(char c) {
    skip_space();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool literal(const char* word) {
    skip_space();
    const std::size_t n = std::strlen(word);
    if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }
  // A string of printable ASCII without escapes.
  bool string(std::string& out) {
    if (!consume('"')) return false;
    const char* start = p_;
    while (p_ != end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    out.assign(start, p_);
    ++p_;
    return true;
  }
  // The extent of a JSON number token (RFC 8259 grammar), and whether it is an integer.
  bool number_token(const char*& begin, bool& is_integer) {
    skip_space();
    begin = p_;
    const char* q = p_;
    if (q != end_ && *q == '-') ++q;
    if (q == end_) return false;
    if (*q == '0') {
      ++q;
    } else if (*q >= '1' && *q <= '9') {
      while (q != end_ && *q >= '0' && *q <= '9') ++q;
    } else {
      return false;
    }
    is_integer = true;
    if (q != end_ && *q == '.') {
      is_integer = false;
      ++q;
      if (q == end_ || *q < '0' || *q > '9') return false;
      while (q != end_ && *q >= '0' && *q <= '9') ++q;
    }
    if (q != end_ && (*q == 'e' || *q == 'E')) {
      is_integer = false;
      ++q;
      if (q != end_ && (*q == '+' || *q == '-')) ++q;
      if (q == end_ || *q < '0' || *q > '9') return false;
      while (q != end_ && *q >= '0' && *q <= '9') ++q;
    }
    p_ = q;
    return true;
  }
  // A non-negative integer token that fits int64.
  bool integer(std::int64_t& out) {
    const char* begin = nullptr;
    bool is_integer = false;
    if (!number_token(begin, is_integer) || !is_integer || *begin == '-') return false;
    const auto [end, ec] = std::from_chars(begin, p_, out);
    return ec == std::errc() && end == p_;
  }
  // Any number, as the general parser's get<double>() gives it: it converts fractions
  // with strtod, and integer tokens to int64 or uint64 whose cast to double rounds the
  // same exact value just as strtod does. (strtod, not from_chars: WebAssembly's libc++
  // has no floating-point from_chars. The programs never change the C locale, so the
  // decimal point is '.'.)
  bool number(double& out) {
    const char* begin = nullptr;
    bool is_integer = false;
    if (!number_token(begin, is_integer)) return false;
    char buf[64];
    const auto len = static_cast<std::size_t>(p_ - begin);
    if (len >= sizeof buf) return false;
    std::memcpy(buf, begin, len);
    buf[len] = '\0';
    char* end = nullptr;
    errno = 0;
    out = std::strtod(buf, &end);
    return end == buf + len && errno == 0 && std::isfinite(out);
  }
  // An item id: a string, or a non-negative integer (written as the general parser's
  // std::to_string of it).
  bool item(std::int32_t& out) {
    skip_space();
    std::string id;
    if (p_ != end_ && *p_ == '"') {
      if (!string(id) || id.empty()) return false;
    } else {
      const char* begin = nullptr;
      bool is_integer = false;
      if (!number_token(begin, is_integer) || !is_integer || *begin == '-') return false;
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(begin, p_, v);
      if (ec != std::errc() || end != p_) return false;
      id = std::to_string(v);
    }
    out = m_.find_item(id);
    return out >= 0;
  }
  bool history(std::vector<HistoryEntry>& out) {
    if (!consume('[')) return false;
    if (consume(']')) return true;
    do {
      HistoryEntry e;
      skip_space();
      if (p_ != end_ && *p_ == '{') {
        ++p_;
        bool seen_item = false, seen_strength = false, seen_time = false;
        if (consume('}')) return false;  // no item
        do {
          std::string key;
          if (!string(key) || !consume(':')) return false;
          if (key == "item" && !seen_item) {
            seen_item = true;
            if (!item(e.item)) return false;
          } else if (key == "strength" && !seen_strength) {
            seen_strength = true;
            double x = 0.0;
            if (!number(x)) return false;
            e.strength = static_cast<float>(x);
          } else if (key == "timestamp" && !seen_time) {
            seen_time = true;
            if (!integer(e.timestamp) || e.timestamp > std::numeric_limits<std::int64_t>::max() / 2) return false;
          } else {
            return false;
          }
        } while (consume(','));
        if (!consume('}') || !seen_item) return false;
      } else if (!item(e.item)) {
        return false;
      }
      out.push_back(e);
    } while (consume(','));
    return consume(']');
  }

  const char* p_;
  const char* end_;
  const HybridModel& m_;
};

}  // namespace

std::optional<JsonRankRequest> parse_simple_rank_request(const std::string& text, const HybridModel& m) {
  return SimpleRequestReader(text, m).read();
}

JsonRankRequest parse_rank_request(const std::string& text, const HybridModel& m, const std::string& source) {
  if (std::optional<JsonRankRequest> simple = parse_simple_rank_request(text, m)) return std::move(*simple);
  return parse_rank_request(parse_json_text(text, source), m);
}

json item_json(const HybridModel& m, std::int32_t i) {
  const ItemInfo& info = m.items[static_cast<std::size_t>(i)];
  return {{"id", m.item_ids[static_cast<std::size_t>(i)]},
          {"title", info.title},
          {"genres", info.genres},
          {"tags", info.tags},
          {"popularity", m.popularity[static_cast<std::size_t>(i)]}};
}

ItemInfo parse_item_info(const json& j) {
  if (!j.is_object()) bad("item", "expected a JSON object, got " + type_name(j));
  ItemInfo info;
  for (const auto& [key, v] : j.items()) {
    if (key == "title" || key == "text") {
      if (!v.is_string()) bad("item." + key, "expected a string, got " + type_name(v));
      (key == "title" ? info.title : info.text) = v.get<std::string>();
    } else if (key == "genres") {
      info.genres = strings_of(v, "item.genres");
    } else if (key == "tags") {
      info.tags = strings_of(v, "item.tags");
    } else {
      bad("item." + (key.size() > 64 ? key.substr(0, 64) + "..." : key), "unknown field (expected title, genres, tags, text)");
    }
  }
  return info;
}

json rank_result_json(const RankResult& r, const HybridModel& m) {
  json items = json::array();
  for (const Recommendation& rec : r.items) {
    json because = json::array();
    for (const Contribution& c : rec.because)
      because.push_back({{"id", m.item_ids[static_cast<std::size_t>(c.item)]},
                         {"title", m.items[static_cast<std::size_t>(c.item)].title},
                         {"score", c.score}});
    items.push_back({{"id", m.item_ids[static_cast<std::size_t>(rec.item)]},
                     {"title", m.items[static_cast<std::size_t>(rec.item)].title},
                     {"score", rec.score},
                     {"cf", rec.cf},
                     {"content", rec.content},
                     {"because", std::move(because)},
                     {"shared_tags", rec.shared_tags}});
  }
  return {{"source", r.source}, {"cf_weight", r.cf_weight}, {"candidates", r.candidates}, {"items", std::move(items)}};
}

namespace {

// Appends `s` as a JSON string the way nlohmann's dump does with ensure_ascii off:
// quote, backslash and the short escapes (\b \t \n \f \r), other control characters
// as \u00xx, everything else as is; a byte that does not continue a valid UTF-8
// sequence becomes U+FFFD.
void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
          if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Length and the valid range of the second byte of a UTF-8 sequence led by c
    // (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    std::size_t valid = len ? 1 : 0;  // bytes of the sequence that are well formed so far
    while (valid > 0 && valid < len && i + valid < n) {
      const unsigned char b = p[i + valid];
      if (b < (valid == 1 ? lo : 0x80) || b > (valid == 1 ? hi : 0xBF)) break;
      ++valid;
    }
    if (len != 0 && valid == len) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for the maximal ill-formed prefix
      i += std::max<std::size_t>(valid, 1);
    }
  }
  out += '"';
}

// A float as nlohmann prints it: the value widened to double, shortest round-trip
// digits (its to_chars), non-finite values as null.
void append_json_number(std::string& out, float v) {
  const double x = static_cast<double>(v);
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, end);
}

void append_json_int(std::string& out, long long v) { out += std::to_string(v); }

}  // namespace

std::string rank_result_text(const RankResult& r, const HybridModel& m, const std::vector<std::pair<std::string, std::string>>& labels) {
  // Top-level keys in std::map order, as nlohmann::json (an object is a std::map) prints them.
  std::vector<std::pair<std::string, std::string>> sorted_labels = labels;
  std::sort(sorted_labels.begin(), sorted_labels.end());
  std::string out;
  out.reserve(512 + 512 * r.items.size());
  bool first = true;
  std::size_t next_label = 0;
  const auto key = [&](const char* k) {
    // Labels sorting before k come first.
    while (next_label < sorted_labels.size() && sorted_labels[next_label].first < k) {
      out += first ? "{" : ",";
      first = false;
      append_json_string(out, sorted_labels[next_label].first);
      out += ':';
      append_json_string(out, sorted_labels[next_label].second);
      ++next_label;
    }
    out += first ? "{" : ",";
    first = false;
    out += '"';
    out += k;
    out += "\":";
  };
  key("candidates");
  append_json_int(out, r.candidates);
  key("cf_weight");
  append_json_number(out, r.cf_weight);
  key("items");
  out += '[';
  for (std::size_t p = 0; p < r.items.size(); ++p) {
    const Recommendation& rec = r.items[p];
    if (p) out += ',';
    out += "{\"because\":[";
    for (std::size_t b = 0; b < rec.because.size(); ++b) {
      const Contribution& c = rec.because[b];
      if (b) out += ',';
      out += "{\"id\":";
      append_json_string(out, m.item_ids[static_cast<std::size_t>(c.item)]);
      out += ",\"score\":";
      append_json_number(out, c.score);
      out += ",\"title\":";
      append_json_string(out, m.items[static_cast<std::size_t>(c.item)].title);
      out += '}';
    }
    out += "],\"cf\":";
    append_json_number(out, rec.cf);
    out += ",\"content\":";
    append_json_number(out, rec.content);
    out += ",\"id\":";
    append_json_string(out, m.item_ids[static_cast<std::size_t>(rec.item)]);
    out += ",\"score\":";
    append_json_number(out, rec.score);
    out += ",\"shared_tags\":[";
    for (std::size_t t = 0; t < rec.shared_tags.size(); ++t) {
      if (t) out += ',';
      append_json_string(out, rec.shared_tags[t]);
    }
    out += "],\"title\":";
    append_json_string(out, m.items[static_cast<std::size_t>(rec.item)].title);
    out += '}';
  }
  out += ']';
  key("source");
  append_json_string(out, r.source);
  // Labels after "source".
  while (next_label < sorted_labels.size()) {
    out += ',';
    append_json_string(out, sorted_labels[next_label].first);
    out += ':';
    append_json_string(out, sorted_labels[next_label].second);
    ++next_label;
  }
  out += '}';
  return out;
}

}  // namespace reco

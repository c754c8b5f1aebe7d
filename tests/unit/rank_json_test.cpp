#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "hybrid_fixture.h"
#include "reco/error.h"
#include "reco/rank_json.h"
#include "reco/ranker.h"

using namespace reco;
using nlohmann::json;

namespace {

// The fixture model names its items item0 ... item79; this one renames them with
// numbers (item i is "10*i"), plus ids at the ends of the integer ranges.
HybridModel numeric_model() {
  HybridModel m = test::small_hybrid_model();
  for (std::size_t i = 0; i < m.item_ids.size(); ++i) m.item_ids[i] = std::to_string(10 * i);
  m.item_ids[76] = "-5";
  m.item_ids[77] = "-1";
  m.item_ids[78] = "9223372036854775807";   // INT64_MAX
  m.item_ids[79] = "18446744073709551615";  // UINT64_MAX
  m.refresh_lookups();
  return m;
}

const HybridModel& fixture() {
  static const HybridModel m = test::small_hybrid_model();
  return m;
}

// The param() of the ParamError the request raises, or a description of what it did
// instead.
std::string error_param(const std::string& text, const HybridModel& m = fixture()) {
  try {
    parse_rank_request(text, m, "request.json");
  } catch (const ParamError& e) {
    return e.param();
  } catch (const DataError& e) {
    return std::string("<DataError: ") + e.what() + ">";
  } catch (const std::exception& e) {
    return std::string("<other exception: ") + e.what() + ">";
  }
  return "<no error>";
}

std::string item_error_param(const std::string& text) {
  try {
    parse_item_info(json::parse(text));
  } catch (const ParamError& e) {
    return e.param();
  } catch (const std::exception& e) {
    return std::string("<other exception: ") + e.what() + ">";
  }
  return "<no error>";
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (const auto& [key, value] : j.items()) out.insert(key);
  return out;
}

std::string embedding_text(int n, const std::string& first = "0.5") {
  std::string s = "[" + first;
  for (int i = 1; i < n; ++i) s += ", 0.25";
  return s + "]";
}

}  // namespace

TEST_CASE("an empty request has every default", "[rank_json]") {
  const JsonRankRequest j = parse_rank_request("{}", fixture(), "request.json");
  const RankRequest& r = j.request;
  const RankRequest defaults;
  CHECK_FALSE(j.has_history);
  CHECK_FALSE(j.query_text.has_value());
  CHECK(r.history.empty());
  CHECK(r.query.empty());
  CHECK(r.k == defaults.k);
  CHECK(r.k == 10);
  CHECK(r.exclude_history);
  CHECK(r.allow.empty());
  CHECK(r.deny.empty());
  CHECK(r.tags.empty());
  CHECK(r.mmr_lambda == 1.0f);
  CHECK(r.now == 0);
  CHECK(r.explain == 3);
  CHECK_FALSE(r.mode.has_value());
}

TEST_CASE("history entries as objects and bare ids", "[rank_json]") {
  const JsonRankRequest j = parse_rank_request(
      R"({"history": [{"item": "item5", "strength": 4, "timestamp": 881250949}, "item7", {"item": "item9"},
                      {"timestamp": 1e9, "item": "item11", "strength": 0.5}]})",
      fixture(), "request.json");
  CHECK(j.has_history);
  const auto& h = j.request.history;
  REQUIRE(h.size() == 4);
  CHECK(h[0].item == 5);
  CHECK(h[0].strength == 4.0f);
  CHECK(h[0].timestamp == 881250949);
  CHECK(h[1].item == 7);  // a bare id: strength 1, no timestamp
  CHECK(h[1].strength == 1.0f);
  CHECK(h[1].timestamp == 0);
  CHECK(h[2].item == 9);
  CHECK(h[2].strength == 1.0f);
  CHECK(h[2].timestamp == 0);
  CHECK(h[3].item == 11);  // any key order; a whole number sent as a float
  CHECK(h[3].strength == 0.5f);
  CHECK(h[3].timestamp == 1000000000);
}

TEST_CASE("an empty history is still a history", "[rank_json]") {
  const JsonRankRequest j = parse_rank_request(R"({"history": []})", fixture(), "request.json");
  CHECK(j.has_history);
  CHECK(j.request.history.empty());
}

TEST_CASE("ids may be integers", "[rank_json]") {
  const HybridModel m = numeric_model();
  const JsonRankRequest j = parse_rank_request(
      R"({"history": [30, "40", {"item": 50}, -5, 9223372036854775807], "allow": [10, "20", 0], "deny": [60]})", m,
      "request.json");
  const auto& h = j.request.history;
  REQUIRE(h.size() == 5);
  CHECK(h[0].item == 3);
  CHECK(h[1].item == 4);
  CHECK(h[2].item == 5);
  CHECK(h[3].item == 76);  // a negative integer
  CHECK(h[4].item == 78);  // the largest int64
  CHECK(j.request.allow == std::vector<std::int32_t>{1, 2, 0});
  CHECK(j.request.deny == std::vector<std::int32_t>{6});
  // On the fixture the same integers are no ids at all.
  CHECK(error_param(R"({"history": [30]})") == "history[0]");
  CHECK(error_param(R"({"history": [{"item": 3}]})") == "history[0].item");
}

// nlohmann::json stores integers above INT64_MAX as unsigned (is_number_integer() is
// true for those too): such an id must be read as the unsigned number it is, not wrapped
// around to a negative one that may name another item.
TEST_CASE("an integer id above INT64_MAX names the item with that id", "[rank_json]") {
  const HybridModel m = numeric_model();
  const JsonRankRequest j = parse_rank_request(R"({"history": [18446744073709551615], "allow": [18446744073709551615]})", m, "request.json");
  REQUIRE(j.request.history.size() == 1);
  CHECK(j.request.history[0].item == 79);  // not item 77, "-1"
  CHECK(j.request.allow == std::vector<std::int32_t>{79});
  // 2^63 is no id of this model (wrapped it would read "-9223372036854775808", also none).
  CHECK(error_param(R"({"history": [9223372036854775808]})", m) == "history[0]");
}

TEST_CASE("every request option maps to its field", "[rank_json]") {
  const JsonRankRequest j = parse_rank_request(
      R"({"k": 25, "exclude_history": false, "allow": ["item1", "item2"], "deny": ["item3"], "tags": ["Comedy", "classic"],
          "diversity": 0.25, "now": 1700000000, "explain": 0, "signals": "cf"})",
      fixture(), "request.json");
  const RankRequest& r = j.request;
  CHECK_FALSE(j.has_history);
  CHECK(r.k == 25);
  CHECK_FALSE(r.exclude_history);
  CHECK(r.allow == std::vector<std::int32_t>{1, 2});
  CHECK(r.deny == std::vector<std::int32_t>{3});
  CHECK(r.tags == std::vector<std::string>{"Comedy", "classic"});
  CHECK(r.mmr_lambda == 0.75f);  // 1 - diversity
  CHECK(r.now == 1700000000);
  CHECK(r.explain == 0);
  REQUIRE(r.mode.has_value());
  CHECK(*r.mode == FusionMode::Cf);
}

TEST_CASE("diversity is one minus the MMR lambda", "[rank_json]") {
  const auto lambda = [](const std::string& d) {
    return parse_rank_request(R"({"diversity": )" + d + "}", fixture(), "request.json").request.mmr_lambda;
  };
  CHECK(lambda("0") == 1.0f);
  CHECK(lambda("1") == 0.0f);
  CHECK(lambda("0.5") == 0.5f);
  CHECK(lambda("0.3") == Approx(0.7f).epsilon(1e-6));
}

TEST_CASE("signals select the fusion mode", "[rank_json]") {
  const auto mode = [](const std::string& s) {
    return parse_rank_request(R"({"signals": ")" + s + R"("})", fixture(), "request.json").request.mode;
  };
  CHECK(mode("hybrid") == FusionMode::Hybrid);
  CHECK(mode("cf") == FusionMode::Cf);
  CHECK(mode("content") == FusionMode::Content);
}

TEST_CASE("whole numbers sent as floats are integers", "[rank_json]") {
  const auto k = [](const std::string& v) { return parse_rank_request(R"({"k": )" + v + "}", fixture(), "request.json").request.k; };
  CHECK(k("10.0") == 10);
  CHECK(k("1e3") == 1000);
  CHECK(k("1") == 1);
  CHECK(k("10000") == 10000);
}

TEST_CASE("a text query comes back for the caller to encode", "[rank_json]") {
  const JsonRankRequest j = parse_rank_request(R"({"query": "space adventure", "history": ["item1"]})", fixture(), "request.json");
  REQUIRE(j.query_text.has_value());
  CHECK(*j.query_text == "space adventure");
  CHECK(j.request.query.empty());
  CHECK(j.has_history);
}

TEST_CASE("a query embedding is read as floats", "[rank_json]") {
  const int d = fixture().content_dim();
  const JsonRankRequest j = parse_rank_request(R"({"query_embedding": )" + embedding_text(d, "-0.125") + "}", fixture(), "request.json");
  CHECK_FALSE(j.query_text.has_value());
  REQUIRE(j.request.query.size() == static_cast<std::size_t>(d));
  CHECK(j.request.query[0] == -0.125f);
  for (int i = 1; i < d; ++i) CHECK(j.request.query[static_cast<std::size_t>(i)] == 0.25f);
}

TEST_CASE("request errors name the field", "[rank_json]") {
  const int d = fixture().content_dim();
  // {request text, the ParamError's param()}
  const std::vector<std::pair<std::string, std::string>> cases = {
      // the request itself
      {R"([])", "request"},
      {R"("history")", "request"},
      {R"(null)", "request"},
      // unknown fields, named as given (case matters; long names are cut at 64 bytes)
      {R"({"histroy": []})", "histroy"},
      {R"({"History": []})", "History"},
      {R"({"k": 5, "limit": 5})", "limit"},
      {"{\"" + std::string(100, 'x') + "\": 1}", std::string(64, 'x') + "..."},
      // history
      {R"({"history": {"item": "item1"}})", "history"},
      {R"({"history": "item1"})", "history"},
      {R"({"history": ["item1", "nope"]})", "history[1]"},
      {R"({"history": ["item1", {"item": "nope"}]})", "history[1].item"},
      {R"({"history": [{"strength": 2}]})", "history[0].item"},
      {R"({"history": [{}]})", "history[0].item"},
      {R"({"history": [{"item": "item1", "rating": 2}]})", "history[0].rating"},
      {R"({"history": [{"item": null}]})", "history[0].item"},
      {R"({"history": [{"item": ""}]})", "history[0].item"},
      {R"({"history": [""]})", "history[0]"},
      {R"({"history": [1.5]})", "history[0]"},
      {R"({"history": [true]})", "history[0]"},
      {R"({"history": [null]})", "history[0]"},
      {R"({"history": [["item1"]]})", "history[0]"},
      {R"({"history": ["item1", "item2", {"item": "item3", "strength": "2"}]})", "history[2].strength"},
      {R"({"history": [{"item": "item1", "strength": null}]})", "history[0].strength"},
      {R"({"history": [{"item": "item1", "strength": -1}]})", "history[0].strength"},
      {R"({"history": [{"item": "item1", "strength": 2e6}]})", "history[0].strength"},
      {R"({"history": [{"item": "item1", "strength": 1e300}]})", "history[0].strength"},
      {R"({"history": [{"item": "item1", "timestamp": -5}]})", "history[0].timestamp"},
      {R"({"history": [{"item": "item1", "timestamp": 1.5}]})", "history[0].timestamp"},
      {R"({"history": [{"item": "item1", "timestamp": "2020"}]})", "history[0].timestamp"},
      {R"({"history": [{"item": "item1", "timestamp": 1e300}]})", "history[0].timestamp"},
      // query and query_embedding
      {R"({"query": 5})", "query"},
      {R"({"query": ["space"]})", "query"},
      {R"({"query": "space", "query_embedding": )" + embedding_text(d) + "}", "query"},
      {R"({"query_embedding": "0.5"})", "query_embedding"},
      {R"({"query_embedding": []})", "query_embedding"},
      {R"({"query_embedding": ["a", 1]})", "query_embedding[0]"},
      {R"({"query_embedding": [0, null]})", "query_embedding[1]"},
      {R"({"query_embedding": [0, 1e31]})", "query_embedding[1]"},
      {R"({"query_embedding": [0, 1, -1e31]})", "query_embedding[2]"},
      // The wrong length is reported by RankRequest::validate, under "query".
      {R"({"query_embedding": [0.5, 0.5, 0.5]})", "query"},
      // k
      {R"({"k": 0})", "k"},
      {R"({"k": -1})", "k"},
      {R"({"k": 10001})", "k"},
      {R"({"k": 2.5})", "k"},
      {R"({"k": 1e20})", "k"},
      {R"({"k": 18446744073709551615})", "k"},
      {R"({"k": "5"})", "k"},
      {R"({"k": true})", "k"},
      {R"({"k": null})", "k"},
      // the other options
      {R"({"exclude_history": 1})", "exclude_history"},
      {R"({"exclude_history": "false"})", "exclude_history"},
      {R"({"allow": []})", "allow"},
      {R"({"allow": "item1"})", "allow"},
      {R"({"allow": ["item1", "zzz"]})", "allow[1]"},
      {R"({"deny": ["item2", 5]})", "deny[1]"},
      {R"({"deny": {}})", "deny"},
      {R"({"tags": "Drama"})", "tags"},
      {R"({"tags": ["Drama", 5]})", "tags[1]"},
      {R"({"diversity": -0.01})", "diversity"},
      {R"({"diversity": 1.01})", "diversity"},
      {R"({"diversity": "0.5"})", "diversity"},
      {R"({"diversity": null})", "diversity"},
      {R"({"now": -1})", "now"},
      {R"({"now": 1.5})", "now"},
      {R"({"now": "today"})", "now"},
      {R"({"explain": 101})", "explain"},
      {R"({"explain": -1})", "explain"},
      {R"({"signals": "both"})", "signals"},
      {R"({"signals": "CF"})", "signals"},
      {R"({"signals": 1})", "signals"},
      {R"({"signals": null})", "signals"},
  };
  for (const auto& [text, param] : cases) {
    CAPTURE(text);
    CHECK(error_param(text) == param);
  }
}

TEST_CASE("malformed request text is a DataError naming the source", "[rank_json]") {
  for (const std::string text : {"", "{", R"({"k": 5,})", R"({"k": 5} x)", "[1,]", "{'k': 5}", "nul", "\"\\x\"",
                                 R"({"query_embedding": [1e999]})" /* overflows a double */}) {
    CAPTURE(text);
    try {
      parse_rank_request(text, fixture(), "req.json");
      FAIL("no error");
    } catch (const DataError& e) {
      CHECK(e.file() == "req.json");
      CHECK(std::string(e.what()).find("malformed JSON") != std::string::npos);
    }
  }
}

TEST_CASE("parse_json_text limits nesting to 64 levels", "[rank_json]") {
  const auto nested_arrays = [](int depth, const std::string& inner) {
    return std::string(static_cast<std::size_t>(depth), '[') + inner + std::string(static_cast<std::size_t>(depth), ']');
  };
  const auto nested_objects = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += R"({"a":)";
    s += "1";
    return s + std::string(static_cast<std::size_t>(depth), '}');
  };
  // 64 levels are fine ...
  json j = parse_json_text(nested_arrays(64, "1"), "deep.json");
  for (int i = 0; i < 64; ++i) {
    REQUIRE(j.is_array());
    REQUIRE(j.size() == 1);
    j = json(j[0]);
  }
  CHECK(j == 1);
  CHECK_NOTHROW(parse_json_text(nested_objects(64), "deep.json"));
  // ... 65 are not, and neither is anything deeper, however deep (no stack overflow).
  for (const std::string& text : {nested_arrays(65, "1"), nested_arrays(66, ""), nested_objects(65), nested_arrays(100000, ""),
                                  std::string(100000, '[')}) {
    CAPTURE(text.size());
    try {
      parse_json_text(text, "deep.json");
      FAIL("no error");
    } catch (const DataError& e) {
      CHECK(e.file() == "deep.json");
    }
  }
  // A deep request is refused before its fields are looked at.
  CHECK_THROWS_AS(parse_rank_request(R"({"history": )" + nested_arrays(80, R"("item1")") + "}", fixture(), "r"), DataError);
}

TEST_CASE("parse_json_text parses valid JSON", "[rank_json]") {
  const json j = parse_json_text(R"({"a": [1, 2.5, "x", null, true], "b": {"c": -3}})", "ok.json");
  CHECK(j["a"].size() == 5);
  CHECK(j["a"][1] == 2.5);
  CHECK(j["b"]["c"] == -3);
}

TEST_CASE("rank_result_json has the documented keys and round-trips ids and titles", "[rank_json]") {
  HybridModel m = test::small_hybrid_model();
  // Titles that need escaping and UTF-8, for every item (recommended and explaining).
  for (std::size_t i = 0; i < m.items.size(); ++i)
    m.items[i].title = "Am\xc3\xa9lie \"" + std::to_string(i) + "\" \\ \xe2\x9c\x93\n\t";
  RankRequest r;
  r.history = {{0, 1.0f, 0}, {5, 2.0f, 0}, {10, 1.0f, 0}};
  r.k = 7;
  r.explain = 2;
  const RankResult res = rank(m, r);
  REQUIRE(res.items.size() == 7);
  const json j = rank_result_json(res, m);
  CHECK(keys_of(j) == std::set<std::string>{"source", "cf_weight", "candidates", "items"});
  CHECK(j["source"] == res.source);
  CHECK(j["cf_weight"].get<float>() == res.cf_weight);
  CHECK(j["candidates"] == res.candidates);
  REQUIRE(j["items"].is_array());
  REQUIRE(j["items"].size() == res.items.size());
  bool some_because = false;
  for (std::size_t p = 0; p < res.items.size(); ++p) {
    const Recommendation& rec = res.items[p];
    const json& item = j["items"][p];
    CAPTURE(p);
    CHECK(keys_of(item) == std::set<std::string>{"id", "title", "score", "cf", "content", "because", "shared_tags"});
    CHECK(item["id"] == m.item_ids[static_cast<std::size_t>(rec.item)]);
    CHECK(item["title"] == m.items[static_cast<std::size_t>(rec.item)].title);
    CHECK(item["score"].get<float>() == rec.score);
    CHECK(item["cf"].get<float>() == rec.cf);
    CHECK(item["content"].get<float>() == rec.content);
    CHECK(item["shared_tags"].get<std::vector<std::string>>() == rec.shared_tags);
    REQUIRE(item["because"].size() == rec.because.size());
    for (std::size_t b = 0; b < rec.because.size(); ++b) {
      const json& c = item["because"][b];
      CHECK(keys_of(c) == std::set<std::string>{"id", "title", "score"});
      CHECK(c["id"] == m.item_ids[static_cast<std::size_t>(rec.because[b].item)]);
      CHECK(c["title"] == m.items[static_cast<std::size_t>(rec.because[b].item)].title);
      CHECK(c["score"].get<float>() == rec.because[b].score);
      some_because = true;
    }
  }
  CHECK(some_because);  // the explanations were exercised
  // Through text and back: the same document, and the ids map back to the same items.
  const json back = parse_json_text(j.dump(), "result.json");
  CHECK(back == j);
  for (std::size_t p = 0; p < res.items.size(); ++p)
    CHECK(m.find_item(back["items"][p]["id"].get<std::string>()) == res.items[p].item);
  // A recommended id can be sent back in the next request.
  const JsonRankRequest next = parse_rank_request(json{{"history", json::array({back["items"][0]["id"]})}}, m);
  REQUIRE(next.request.history.size() == 1);
  CHECK(next.request.history[0].item == res.items[0].item);
}

TEST_CASE("rank_result_json of an empty result", "[rank_json]") {
  const HybridModel& m = fixture();
  RankResult res;
  res.source = "popular";
  const json j = rank_result_json(res, m);
  CHECK(j["items"].is_array());
  CHECK(j["items"].empty());
  CHECK(j["source"] == "popular");
  CHECK(j["candidates"] == 0);
}

TEST_CASE("item_json describes one item", "[rank_json]") {
  const HybridModel& m = fixture();
  const json j = item_json(m, 6);
  CHECK(keys_of(j) == std::set<std::string>{"id", "title", "genres", "tags", "popularity"});
  CHECK(j["id"] == "item6");
  CHECK(j["title"] == "Title 6");
  CHECK(j["genres"] == json::array({"Comedy"}));  // cluster 6 % 5 = 1
  CHECK(j["tags"] == json::array({"classic"}));   // 6 % 3 == 0
  CHECK(j["popularity"].get<float>() == m.popularity[6]);
  const json k = item_json(m, 7);
  CHECK(k["tags"] == json::array());
  CHECK(k["genres"] == json::array({"Action"}));
}

TEST_CASE("parse_item_info reads the item fields", "[rank_json]") {
  const ItemInfo info = parse_item_info(
      json::parse(R"({"title": "Alien", "genres": ["Horror", "Sci-Fi"], "tags": ["space", "classic"], "text": "In space no one can hear you scream."})"));
  CHECK(info.title == "Alien");
  CHECK(info.genres == std::vector<std::string>{"Horror", "Sci-Fi"});
  CHECK(info.tags == std::vector<std::string>{"space", "classic"});
  CHECK(info.text == "In space no one can hear you scream.");
  const ItemInfo empty = parse_item_info(json::object());
  CHECK(empty.title.empty());
  CHECK(empty.genres.empty());
  CHECK(empty.tags.empty());
  CHECK(empty.text.empty());
}

TEST_CASE("parse_item_info rejects unknown fields and wrong types", "[rank_json]") {
  CHECK(item_error_param(R"({"title": "Alien", "year": 1979})") == "item.year");
  CHECK(item_error_param(R"({"Title": "Alien"})") == "item.Title");
  CHECK(item_error_param("{\"" + std::string(80, 'y') + "\": 1}") == "item." + std::string(64, 'y') + "...");
  CHECK(item_error_param(R"(["Alien"])") == "item");
  CHECK(item_error_param(R"("Alien")") == "item");
  CHECK(item_error_param(R"({"title": 5})") == "item.title");
  CHECK(item_error_param(R"({"text": null})") == "item.text");
  CHECK(item_error_param(R"({"genres": "Horror"})") == "item.genres");
  CHECK(item_error_param(R"({"genres": ["Horror", 1]})") == "item.genres[1]");
  CHECK(item_error_param(R"({"tags": [false]})") == "item.tags[0]");
}

TEST_CASE("rank_result_text is rank_result_json's dump, with labels in key order", "[rank_json]") {
  HybridModel m = test::small_hybrid_model();
  // Titles, ids and tags with every kind of character the escaping treats differently.
  m.items[3].title = "Quote \" backslash \\ slash / tab \t newline \n bell \x07 unit \x1f del \x7f";
  m.items[5].title = "Amélie (2001) — 千と千尋の神隠し 🎬";
  m.item_ids[7] = "id with \"quotes\"";
  m.items[7].genres = {"Sci-Fi", "Film-Noir"};
  m.refresh_lookups();
  RankRequest r;
  r.history = {{3, 1.0f, 0}, {5, 2.0f, 0}, {7, 1.0f, 0}, {11, 4.0f, 0}};
  r.k = 12;
  r.exclude_history = false;  // so the odd titles appear as recommendations too
  RankResult result = rank(m, r);
  REQUIRE(!result.items.empty());
  CHECK(rank_result_text(result, m) == rank_result_json(result, m).dump());

  // Numbers of every shape: zeros, tiny, huge, integral, negative, non-finite (null).
  const float values[] = {0.0f, -0.0f, 1.0f, -2.5f, 1e-7f, 3.0e-5f, 1e-4f, 123456.0f, 1e15f, 1e16f, 3.4e38f, 0.1f,
                          std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  std::size_t k = 0;
  for (Recommendation& rec : result.items) {
    rec.score = values[k++ % std::size(values)];
    rec.cf = values[k++ % std::size(values)];
    rec.content = values[k++ % std::size(values)];
    for (Contribution& c : rec.because) c.score = values[k++ % std::size(values)];
  }
  result.cf_weight = -0.0f;
  result.source = "query";
  CHECK(rank_result_text(result, m) == rank_result_json(result, m).dump());

  // Labels go where std::map puts them: before, between and after the fixed keys.
  const std::vector<std::pair<std::string, std::string>> labels = {
      {"model_version", "v\"2"}, {"a", "first"}, {"model", "ml"}, {"zz", "last"}, {"d", "middle"}};
  json with = rank_result_json(result, m);
  for (const auto& [key, value] : labels) with[key] = value;
  CHECK(rank_result_text(result, m, labels) == with.dump());

  RankResult empty;
  empty.source = "popular";
  CHECK(rank_result_text(empty, m) == rank_result_json(empty, m).dump());
}

TEST_CASE("rank_result_text replaces invalid UTF-8 and stays valid JSON", "[rank_json]") {
  HybridModel m = test::small_hybrid_model();
  RankResult result;
  result.source = "hybrid";
  Recommendation rec;
  rec.item = 2;
  rec.shared_tags = {std::string("bad \xff byte"), std::string("cut \xe2\x82"), std::string("overlong \xc0\xaf"),
                     std::string("surrogate \xed\xa0\x80"), std::string("ok \xe2\x82\xac")};
  result.items.push_back(rec);
  const std::string text = rank_result_text(result, m);
  const json j = json::parse(text);  // throws on invalid UTF-8
  const auto& tags = j["items"][0]["shared_tags"];
  CHECK(tags[0] == "bad \xef\xbf\xbd byte");
  CHECK(tags[1] == "cut \xef\xbf\xbd");
  CHECK(tags[2] == "overlong \xef\xbf\xbd\xef\xbf\xbd");
  CHECK(tags[3] == "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(tags[4] == "ok \xe2\x82\xac");
}

namespace {

// What a parser made of a text: the request's fields, or the error it raised.
std::string parse_outcome(const std::function<JsonRankRequest()>& parse) {
  try {
    const JsonRankRequest j = parse();
    const RankRequest& r = j.request;
    std::string s = "ok history=" + std::to_string(j.has_history) + ":";
    for (const HistoryEntry& e : r.history) {
      std::uint32_t bits;
      std::memcpy(&bits, &e.strength, sizeof bits);
      s += std::to_string(e.item) + "/" + std::to_string(bits) + "/" + std::to_string(e.timestamp) + ",";
    }
    s += " k=" + std::to_string(r.k) + " explain=" + std::to_string(r.explain) + " exclude=" + std::to_string(r.exclude_history) +
         " query=" + std::to_string(r.query.size()) + " text=" + (j.query_text ? *j.query_text : "-") + " allow=" + std::to_string(r.allow.size()) +
         " deny=" + std::to_string(r.deny.size()) + " tags=" + std::to_string(r.tags.size()) + " mmr=" + std::to_string(r.mmr_lambda) +
         " now=" + std::to_string(r.now) + " mode=" + std::to_string(r.mode ? static_cast<int>(*r.mode) : -1);
    return s;
  } catch (const ParamError& e) {
    return std::string("ParamError ") + e.param() + ": " + e.what();
  } catch (const DataError& e) {
    return std::string("DataError ") + e.what();
  }
}

}  // namespace

TEST_CASE("the request fast path reads what the general parser reads, and declines the rest", "[rank_json]") {
  const HybridModel m = numeric_model();
  std::vector<std::string> texts = {
      R"({"history": [{"item": "10", "strength": 4.5}, {"item": "20", "strength": 3}], "k": 10})",
      R"( { "history" : [ {"strength": 0.5, "item": 30, "timestamp": 964982703} , "40", 50 ] , "k" : 3 , "explain" : 0 , "exclude_history" : false } )",
      R"({"history": [], "k": 10000})", R"({})", R"({"k": 1})", R"({"exclude_history": true, "history": ["-5", 770]})",
      R"({"history": [{"item": "18446744073709551615", "strength": 1e-3}, {"item": 9223372036854775807, "strength": 2E+2}]})",
      R"({"history": [{"item": 18446744073709551615}]})",
      R"({"history": [{"item": "10", "strength": 0.1}, {"item": "20", "strength": 123456789012345678901234567890}]})",
      R"({"history": [{"item": "10", "strength": 1.00000001}, {"item": "20", "strength": -0.0}]})",
      // Declined or refused: each must come out as the general parser has it.
      R"({"history": [{"item": "10", "strength": 4.5}], "k": 10.0})", R"({"k": 0})", R"({"k": 10001})", R"({"k": -1})",
      R"({"k": 1e1})", R"({"k": "10"})", R"({"k": 1, "k": 2})", R"({"history": [{"item": "10", "item": "20"}]})",
      R"({"history": [{"item": "nope"}]})", R"({"history": [{}]})", R"({"history": [{"strength": 1}]})",
      R"({"history": [{"item": "10", "strength": 1e400}]})", R"({"history": [{"item": "10", "strength": -1}]})",
      R"({"history": [{"item": "10", "timestamp": -1}]})", R"({"history": [{"item": "10", "timestamp": 1.5}]})",
      R"({"history": [{"item": "10", "timestamp": 1e3}]})", R"({"history": [{"item": "10", "timestamp": 4611686018427387904}]})",
      R"({"history": [{"item": "10", "colour": "red"}]})", R"({"history": [{"item": "1\u0030"}]})", R"({"history": ["1\"0"]})",
      R"({"history": [01]})", R"({"history": [-0]})", R"({"history": [-5]})", R"({"history": [1.]})", R"({"history": [.5]})",
      R"({"history": ["10",]})", R"({"history": [,]})", R"({"history": ["10"] "k": 1})", R"({"history": ["10"]} x)", R"({"history": ["10"]}})",
      R"([])", R"("x")", "", "   ", R"({"history": ["10"])", R"({"k": 3, "query": "space"})", R"({"k": 3, "tags": ["Drama"]})",
      R"({"exclude_history": 1})", R"({"exclude_history": tru})", R"({"explain": 101})", R"({"history": {"item": "10"}})",
      "{\"history\": [\"10\"], \"k\": 2}\t\r\n", "\xef\xbb\xbf{}", "{\"history\": [\"caf\xc3\xa9\"]}", "{\"history\": [\"\x01\"]}",
      R"({"history": [{"item": "10", "strength": 1e-50}]})", R"({"history": [{"item": "10", "strength": 3.4028235e38}]})"};
  // Single-byte changes of a valid request: anything from still valid to malformed.
  const std::string base = R"({"history": [{"item": "10", "strength": 4.5, "timestamp": 12}, {"item": 20, "strength": 3}], "k": 10, "explain": 2})";
  const std::string alphabet = "{}[]\":,. -+eE0123456789abcdefghijklmnopqrstuvwxyz\\\t";
  std::mt19937 rng(77);
  for (int t = 0; t < 3000; ++t) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1); break;
        default: s.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    texts.push_back(s);
  }
  int fast = 0;
  for (const std::string& text : texts) {
    CAPTURE(text);
    const std::string general = parse_outcome([&] { return parse_rank_request(parse_json_text(text, "request.json"), m); });
    std::optional<std::string> simple;
    try {
      if (const auto r = parse_simple_rank_request(text, m)) simple = parse_outcome([&] { return *r; });
    } catch (const ParamError& e) {
      simple = std::string("ParamError ") + e.param() + ": " + e.what();
    }
    if (simple) {
      ++fast;
      CHECK(*simple == general);
    }
    CHECK(parse_outcome([&] { return parse_rank_request(text, m, "request.json"); }) == general);
  }
  CHECK(fast > 20);  // the fast path really answers the common requests
}

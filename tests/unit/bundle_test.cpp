#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>

#include "hybrid_fixture.h"
#include "reco/bundle.h"
#include "reco/error.h"
#include "reco/ranker.h"
#include "reco/sha256.h"

using namespace reco;

namespace {

using Files = std::map<std::string, std::vector<std::uint8_t>>;

Files as_map(const std::vector<BundleFile>& files) {
  Files m;
  for (const auto& f : files) m[f.name] = f.bytes;
  return m;
}

BundleSource source(const Files& files) {
  return [&files](const std::string& name) {
    const auto it = files.find(name);
    if (it == files.end()) throw DataError(name, 0, "", "no such file");
    return it->second;
  };
}

Files make_bundle(const HybridModel& q, MatrixDtype dtype) {
  BundleInfo info;
  info.dataset = {{"name", "synthetic"}, {"trained_on", "all"}};
  const std::vector<std::uint8_t> onnx = {1, 2, 3};  // opaque to the core reader
  return as_map(encode_bundle(q, dtype, onnx, info));
}

std::string file_of(const Files& files, const std::string& section) {
  const auto manifest = nlohmann::json::parse(files.at("manifest.json"));
  return manifest["sections"][section]["file"].get<std::string>();
}

std::string load_error(const Files& files) {
  try {
    decode_bundle(source(files));
  } catch (const DataError& e) {
    return e.what();
  }
  return "loaded";
}

std::vector<std::int32_t> top(const HybridModel& m, std::initializer_list<std::int32_t> history) {
  RankRequest r;
  for (auto i : history) r.history.push_back({i, 1.0f, 0});
  std::vector<std::int32_t> out;
  for (const auto& rec : rank(m, r).items) out.push_back(rec.item);
  return out;
}

}  // namespace

TEST_CASE("a bundle loads as exactly the quantized model, for every dtype", "[bundle]") {
  const HybridModel m = test::small_hybrid_model();
  for (MatrixDtype dtype : {MatrixDtype::Int8, MatrixDtype::Float16, MatrixDtype::Float32}) {
    INFO(matrix_dtype_name(dtype));
    const HybridModel q = quantized_model(m, dtype);
    const Files files = make_bundle(q, dtype);
    const LoadedBundle b = decode_bundle(source(files));
    CHECK(b.dtype == dtype);
    CHECK(b.model.item_ids == q.item_ids);
    CHECK(b.model.items[3].genres == q.items[3].genres);
    CHECK(b.model.factors == q.factors);
    CHECK(b.model.embeddings == q.embeddings);
    CHECK(b.model.gram == q.gram);
    CHECK(b.model.factor_map == q.factor_map);
    CHECK(b.model.popularity == q.popularity);
    CHECK(b.model.reg == q.reg);
    CHECK(b.model.params.fusion_t == q.params.fusion_t);
    CHECK(b.model.factor_index->serialize() == q.factor_index->serialize());
    CHECK(b.encoder_onnx == std::vector<std::uint8_t>{1, 2, 3});
    CHECK_FALSE(b.model.encoder.has_value());  // no ONNX decoder given
    for (auto history : {std::initializer_list<std::int32_t>{1, 2}, {7, 14, 21, 28}, {}})
      CHECK(top(b.model, history) == top(q, history));
    if (dtype == MatrixDtype::Float32) CHECK(q.factors == m.factors);
    else CHECK((q.factors - m.factors).cwiseAbs().maxCoeff() < 0.02f);
  }
}

TEST_CASE("sections are content-addressed and their checksums are in the manifest", "[bundle]") {
  const HybridModel q = quantized_model(test::small_hybrid_model(), MatrixDtype::Int8);
  const Files files = make_bundle(q, MatrixDtype::Int8);
  const auto manifest = nlohmann::json::parse(files.at("manifest.json"));
  CHECK(manifest["format"] == "reco-bundle");
  CHECK(manifest["format_version"] == 1);
  for (const char* s : {"items", "factors", "factor_scales", "embeddings", "embedding_scales", "gram", "factor_map",
                        "popularity", "hnsw_factors", "hnsw_content", "encoder", "tokenizer"}) {
    INFO(s);
    REQUIRE(manifest["sections"].contains(s));
    const auto& e = manifest["sections"][s];
    const auto& bytes = files.at(e["file"].get<std::string>());
    CHECK(e["bytes"] == bytes.size());
    CHECK(e["sha256"] == sha256_hex(bytes.data(), bytes.size()));
    CHECK(e["file"].get<std::string>().find(e["sha256"].get<std::string>().substr(0, 16)) != std::string::npos);
  }
  CHECK(manifest["sections"]["factors"]["shape"] == nlohmann::json::array({80, 6}));
  // Same model, same bytes: nothing changes name, so caches keep it.
  CHECK(make_bundle(q, MatrixDtype::Int8) == files);
}

TEST_CASE("damaged bundles are refused with the section named", "[bundle]") {
  const HybridModel q = quantized_model(test::small_hybrid_model(), MatrixDtype::Int8);
  const Files good = make_bundle(q, MatrixDtype::Int8);
  REQUIRE(load_error(good) == "loaded");

  for (const char* section : {"factors", "gram", "hnsw_content", "items", "tokenizer"}) {
    INFO(section);
    Files truncated = good;
    auto& t = truncated[file_of(good, section)];
    t.resize(t.size() - 1);
    CHECK_THAT(load_error(truncated), Catch::Contains(std::string("'") + section + "'") && Catch::Contains("truncated"));

    Files corrupted = good;
    auto& c = corrupted[file_of(good, section)];
    c[c.size() / 2] ^= 0x40;
    CHECK_THAT(load_error(corrupted), Catch::Contains(std::string("'") + section + "'") && Catch::Contains("checksum"));

    Files missing = good;
    missing.erase(file_of(good, section));
    CHECK_THAT(load_error(missing), Catch::Contains(file_of(good, section)));
  }

  const auto with_manifest = [&](const std::function<void(nlohmann::json&)>& edit) {
    Files f = good;
    auto j = nlohmann::json::parse(f.at("manifest.json"));
    edit(j);
    const std::string s = j.dump();
    f["manifest.json"] = std::vector<std::uint8_t>(s.begin(), s.end());
    return load_error(f);
  };
  CHECK_THAT(with_manifest([](auto& j) { j["format_version"] = 2; }), Catch::Contains("format_version") && Catch::Contains("version 2"));
  CHECK_THAT(with_manifest([](auto& j) { j["format"] = "zip"; }), Catch::Contains("not a reco bundle"));
  CHECK_THAT(with_manifest([](auto& j) { j["sections"]["factors"]["dtype"] = "float32"; }),
             Catch::Contains("'factors'") && Catch::Contains("dtype"));
  CHECK_THAT(with_manifest([](auto& j) { j["sections"]["gram"]["shape"] = {7, 7}; }),
             Catch::Contains("'gram'") && Catch::Contains("shape"));
  CHECK_THAT(with_manifest([](auto& j) { j["items"] = 81; }), Catch::Contains("items"));
  CHECK_THAT(with_manifest([](auto& j) { j["sections"]["items"]["file"] = "../etc/passwd"; }), Catch::Contains("plain file name"));
  CHECK_THAT(with_manifest([](auto& j) { j["sections"].erase("popularity"); }), Catch::Contains("'popularity'") && Catch::Contains("missing"));
  CHECK_THAT(with_manifest([](auto& j) { j["ranker"]["fusion_t"] = -1; }), Catch::Contains("fusion_t"));
  Files not_json = good;
  not_json["manifest.json"] = {'{', 'x'};
  CHECK_THAT(load_error(not_json), Catch::Contains("manifest.json") && Catch::Contains("not valid JSON"));
}

namespace {

// The fixture model with EASE weights (a deterministic dense B sparsified to 6 per row).
HybridModel with_ease(HybridModel m) {
  const int n = m.n_items();
  Eigen::MatrixXf b(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) b(i, j) = i == j ? 0.0f : std::sin(0.37f * static_cast<float>(i * n + j));
  m.ease = sparsify_rows(b, 6);
  return m;
}

// Rewrites one section's bytes and manifest entry (dtype, bytes, sha256; the file name stays).
void replace_section(Files& files, const std::string& section, const std::string& dtype, std::vector<std::uint8_t> bytes) {
  auto j = nlohmann::json::parse(files.at("manifest.json"));
  auto& e = j["sections"][section];
  e["dtype"] = dtype;
  e["bytes"] = bytes.size();
  e["sha256"] = sha256_hex(bytes.data(), bytes.size());
  files[e["file"].get<std::string>()] = std::move(bytes);
  const std::string s = j.dump();
  files["manifest.json"] = std::vector<std::uint8_t>(s.begin(), s.end());
}

}  // namespace

TEST_CASE("EASE columns are stored as uint16 for catalogs up to 65,536 items, and int32 still reads", "[bundle]") {
  const HybridModel q = quantized_model(with_ease(test::small_hybrid_model()), MatrixDtype::Int8);
  const Files files = make_bundle(q, MatrixDtype::Int8);
  const auto manifest = nlohmann::json::parse(files.at("manifest.json"));
  const auto& columns = manifest["sections"]["ease_columns"];
  CHECK(columns["dtype"] == "uint16");
  CHECK(columns["bytes"] == 2 * q.ease.indices.size());
  const LoadedBundle b = decode_bundle(source(files));
  CHECK(b.model.ease.indices == q.ease.indices);
  CHECK(b.model.ease.values == q.ease.values);
  for (auto history : {std::initializer_list<std::int32_t>{1, 2}, {7, 14, 21, 28}})
    CHECK(top(b.model, history) == top(q, history));

  // The int32 form (bundles written before uint16, and catalogs above 65,536) loads the same.
  Files wide = files;
  std::vector<std::uint8_t> bytes(q.ease.indices.size() * 4);
  std::memcpy(bytes.data(), q.ease.indices.data(), bytes.size());
  replace_section(wide, "ease_columns", "int32", bytes);
  CHECK(decode_bundle(source(wide)).model.ease.indices == q.ease.indices);

  // A column outside the catalog, in either form, is refused naming the section.
  Files out_of_range = files;
  std::vector<std::uint8_t> narrow = files.at(file_of(files, "ease_columns"));
  narrow[2] = 80;  // item 80 of an 80-item catalog
  narrow[3] = 0;
  replace_section(out_of_range, "ease_columns", "uint16", narrow);
  CHECK_THAT(load_error(out_of_range), Catch::Contains("'ease_columns'") && Catch::Contains("column 80 is outside the catalog"));
  narrow[2] = 0xff;
  narrow[3] = 0xff;
  replace_section(out_of_range, "ease_columns", "uint16", narrow);
  CHECK_THAT(load_error(out_of_range), Catch::Contains("'ease_columns'") && Catch::Contains("column 65535"));
  bytes[4] = 0xff;
  bytes[5] = 0xff;
  bytes[6] = 0xff;
  bytes[7] = 0xff;  // -1 as int32
  replace_section(wide, "ease_columns", "int32", bytes);
  CHECK_THAT(load_error(wide), Catch::Contains("'ease_columns'") && Catch::Contains("column -1"));

  // Another dtype, or a byte count that does not match uint16 entries, is refused by name.
  Files other = files;
  replace_section(other, "ease_columns", "int8", std::vector<std::uint8_t>(q.ease.indices.size()));
  CHECK_THAT(load_error(other), Catch::Contains("'ease_columns'") && Catch::Contains("expected uint16 or int32"));
  Files odd = files;
  replace_section(odd, "ease_columns", "uint16", std::vector<std::uint8_t>(q.ease.indices.size() * 4));
  CHECK_THAT(load_error(odd), Catch::Contains("'ease_columns'") && Catch::Contains("shape needs"));
}

TEST_CASE("a bundle decoded without its indexes ranks the same, and restores them later", "[bundle]") {
  HybridModel m = with_ease(test::small_hybrid_model());
  CHECK(ranking_needs_indexes(m));  // the fixture searches its indexes (exact_below 0)
  m.params.exact_below = 1000;      // as shipped bundles of small catalogs: exact scoring
  const HybridModel q = quantized_model(m, MatrixDtype::Int8);
  const Files files = make_bundle(q, MatrixDtype::Int8);
  REQUIRE_FALSE(ranking_needs_indexes(q));
  DecodeOptions lazy;
  lazy.restore_indexes = false;
  // The HNSW files are not even read.
  Files without = files;
  without.erase(file_of(files, "hnsw_factors"));
  without.erase(file_of(files, "hnsw_content"));
  LoadedBundle b = decode_bundle(source(without), {}, lazy);
  CHECK_FALSE(b.model.factor_index.has_value());
  CHECK_FALSE(b.model.content_index.has_value());
  for (auto history : {std::initializer_list<std::int32_t>{1, 2}, {7, 14, 21, 28}, {}})
    CHECK(top(b.model, history) == top(q, history));

  // Restoring needs the files, and names the one missing or damaged; the model is left without indexes.
  CHECK_THROWS_WITH(restore_indexes(b.model, b.manifest, source(without)), Catch::Contains(file_of(files, "hnsw_factors")));
  Files damaged = files;
  damaged[file_of(files, "hnsw_content")][100] ^= 0x10;
  CHECK_THROWS_WITH(restore_indexes(b.model, b.manifest, source(damaged)), Catch::Contains("'hnsw_content'") && Catch::Contains("checksum"));
  CHECK_FALSE(b.model.factor_index.has_value());
  CHECK_FALSE(b.model.content_index.has_value());

  restore_indexes(b.model, b.manifest, source(files));
  REQUIRE(b.model.factor_index.has_value());
  CHECK(b.model.factor_index->serialize() == q.factor_index->serialize());
  CHECK(b.model.content_index->serialize() == q.content_index->serialize());
  // With the indexes in place items can be added, as to a model decoded in full.
  HybridModel full = decode_bundle(source(files)).model;
  const std::vector<float> e(8, 0.5f / std::sqrt(2.0f));
  CHECK(add_item(b.model, "new", ItemInfo{}, e) == add_item(full, "new", ItemInfo{}, e));
  CHECK(b.model.content_index->serialize() == full.content_index->serialize());
  CHECK(top(b.model, {1, 80}) == top(full, {1, 80}));
  // Once an item is added the bundle's indexes no longer fit the model.
  HybridModel grown = decode_bundle(source(without), {}, lazy).model;
  grown.item_ids.push_back("x");
  CHECK_THROWS_AS(restore_indexes(grown, b.manifest, source(files)), ParamError);
}

TEST_CASE("a bundle with repeated item ids is refused naming the items section", "[bundle]") {
  HybridModel q = quantized_model(test::small_hybrid_model(), MatrixDtype::Int8);
  Files files = make_bundle(q, MatrixDtype::Int8);
  auto items = nlohmann::json::parse(files.at(file_of(files, "items")));
  items[5]["id"] = items[4]["id"];
  const std::string text = items.dump();
  replace_section(files, "items", "json", std::vector<std::uint8_t>(text.begin(), text.end()));
  DecodeOptions lazy;
  lazy.restore_indexes = false;
  for (const DecodeOptions& options : {DecodeOptions{}, lazy}) {
    try {
      decode_bundle(source(files), {}, options);
      FAIL("loaded");
    } catch (const DataError& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("'items'") && Catch::Contains("not unique"));
    }
  }
}

TEST_CASE("the items section: each malformed item is refused naming its index and field; unknown keys are skipped", "[bundle]") {
  const HybridModel q = quantized_model(test::small_hybrid_model(), MatrixDtype::Int8);
  const Files good = make_bundle(q, MatrixDtype::Int8);
  const auto items = nlohmann::json::parse(good.at(file_of(good, "items")));
  const auto with_items = [&](const std::string& text) {
    Files f = good;
    replace_section(f, "items", "json", std::vector<std::uint8_t>(text.begin(), text.end()));
    return load_error(f);
  };
  const auto with_item3 = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto j = items;
    edit(j[3]);
    return with_items(j.dump());
  };
  const auto items_error = Catch::Contains("'items'");
  CHECK_THAT(with_items(R"({"a": 1})"), items_error && Catch::Contains("expected an array of 80 items"));
  CHECK_THAT(with_items("7"), items_error && Catch::Contains("expected an array of 80 items"));
  auto shorter = items;
  shorter.erase(shorter.end() - 1);
  CHECK_THAT(with_items(shorter.dump()), items_error && Catch::Contains("expected an array of 80 items"));
  auto longer = items;
  longer.push_back({{"id", "extra"}});
  CHECK_THAT(with_items(longer.dump()), items_error && Catch::Contains("expected an array of 80 items"));
  CHECK_THAT(with_items(items.dump().substr(0, 500)), items_error && Catch::Contains("not valid JSON"));
  CHECK_THAT(with_item3([](auto& i) { i = "x"; }), items_error && Catch::Contains("[3]") && Catch::Contains("expected an object"));
  CHECK_THAT(with_item3([](auto& i) { i = nlohmann::json::array(); }), items_error && Catch::Contains("[3]") && Catch::Contains("expected an object"));
  CHECK_THAT(with_item3([](auto& i) { i.erase("id"); }), items_error && Catch::Contains("[3].id"));
  CHECK_THAT(with_item3([](auto& i) { i["id"] = ""; }), items_error && Catch::Contains("[3].id"));
  CHECK_THAT(with_item3([](auto& i) { i["id"] = 5; }), items_error && Catch::Contains("[3].id"));
  CHECK_THAT(with_item3([](auto& i) { i["id"] = {{"a", 1}}; }), items_error && Catch::Contains("[3].id"));
  CHECK_THAT(with_item3([](auto& i) { i["title"] = 7; }), items_error && Catch::Contains("[3].title") && Catch::Contains("expected a string"));
  CHECK_THAT(with_item3([](auto& i) { i["genres"] = "Drama"; }), items_error && Catch::Contains("[3].genres") && Catch::Contains("array of strings"));
  CHECK_THAT(with_item3([](auto& i) { i["tags"] = {1}; }), items_error && Catch::Contains("[3].tags") && Catch::Contains("array of strings"));
  CHECK_THAT(with_item3([](auto& i) { i["tags"] = {{"a", "b"}}; }), items_error && Catch::Contains("[3].tags"));
  CHECK_THAT(with_item3([](auto& i) {
               // (push_back: a one-element brace list may collapse to its element)
               i["tags"] = nlohmann::json::array();
               i["tags"].push_back(nlohmann::json::array({"a", "b"}));
             }),
             items_error && Catch::Contains("[3].tags"));

  // Unknown keys, whatever they hold, are skipped; a repeated key's last value counts.
  auto extra = items;
  extra[3]["x"] = {{"y", {1, {{"id", 5}, {"tags", 3}}}}, {"z", nullptr}};
  extra[3]["w"] = {true, 2.5, "s"};
  std::string text = extra.dump();
  const std::string from = "\"title\":\"Title 3\"";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), "\"title\":\"first\",\"title\":\"Title 3\"");
  Files f = good;
  replace_section(f, "items", "json", std::vector<std::uint8_t>(text.begin(), text.end()));
  const LoadedBundle b = decode_bundle(source(f));
  CHECK(b.model.item_ids == q.item_ids);
  CHECK(b.model.items[3].title == "Title 3");
  for (std::size_t i = 0; i < q.items.size(); ++i) {
    CHECK(b.model.items[i].genres == q.items[i].genres);
    CHECK(b.model.items[i].tags == q.items[i].tags);
  }
}

#include <catch2/catch.hpp>

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

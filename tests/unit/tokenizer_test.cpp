#include <catch2/catch.hpp>

#include "reco/error.h"
#include "reco/tokenizer.h"

using reco::normalize_text;
using reco::Tokenizer;
using reco::TokenizerParams;

TEST_CASE("FNV-1a 64 matches the published test vectors", "[tokenizer]") {
  // Vectors from the FNV reference (Fowler, Noll, Vo): the same values on every platform.
  CHECK(reco::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(reco::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(reco::fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("normalisation folds case and Latin-1 accents and drops punctuation", "[tokenizer]") {
  CHECK(normalize_text("Amélie (2001)") == "amelie 2001");
  CHECK(normalize_text("  Star   Wars: Episode IV -- A New Hope ") == "star wars episode iv a new hope");
  CHECK(normalize_text("STRASSE Straße ÆON") == "strasse strasse aeon");
  CHECK(normalize_text("Se7en") == "se7en");
  CHECK(normalize_text("") == "");
  CHECK(normalize_text("?!...,;") == "");
  CHECK(normalize_text("a\u00D7b") == "a b");                    // multiplication sign is not a letter
  CHECK(normalize_text("Крёстный отец") == "Крёстный отец");     // other scripts are kept as they are
}

TEST_CASE("invalid UTF-8 becomes a separator, never an error", "[tokenizer]") {
  CHECK(normalize_text("caf\xE9 noir") == "caf noir");           // a lone Latin-1 byte
  CHECK(normalize_text("a\xC0\x80z") == "a z");                  // overlong encoding of NUL
  CHECK(normalize_text("x\xED\xA0\x80y") == "x y");              // a UTF-16 surrogate
  CHECK(normalize_text("end\xF0\x9F") == "end");                 // truncated sequence
  Tokenizer t;
  CHECK_NOTHROW(t.features("\xFF\xFE\xFD"));
  CHECK(t.features("\xFF\xFE\xFD").empty());
}

TEST_CASE("features: words, bigrams and character n-grams hashed into buckets", "[tokenizer]") {
  TokenizerParams p;
  p.buckets = 1000;
  Tokenizer t(p);
  auto id = [&](const std::string& key) { return static_cast<std::uint32_t>(reco::fnv1a64(key) % 1000); };
  // "<ab>" has 4 code points: 2 trigrams, 1 four-gram, no five-gram.
  CHECK(t.features("AB") == std::vector<std::uint32_t>{id("w:ab"), id("c:<ab"), id("c:ab>"), id("c:<ab>")});
  const auto f = t.features("new hope");
  REQUIRE(f.size() >= 3);
  CHECK(f[0] == id("w:new"));
  CHECK(f[1] == id("b:new hope"));
  for (auto x : t.features("Amélie, the fabulous destiny")) CHECK(x < 1000u);
  // Multi-byte letters stay whole inside n-grams.
  p.bigrams = false;
  p.min_n = p.max_n = 3;
  const auto cyr = Tokenizer(p).features("ёж");
  CHECK(cyr == std::vector<std::uint32_t>{id("w:ёж"), id("c:<ёж"), id("c:ёж>")});
}

TEST_CASE("very long text is bounded by max_words", "[tokenizer]") {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "word" + std::to_string(i % 50) + " ";
  TokenizerParams p;
  p.max_words = 10;
  Tokenizer t(p);
  CHECK(t.words(text).size() == 10);
  CHECK(t.features(text).size() < 200);
}

TEST_CASE("tokenizer parameters round-trip through JSON and are validated", "[tokenizer]") {
  TokenizerParams p;
  p.buckets = 4096;
  p.bigrams = false;
  const Tokenizer t(p);
  const Tokenizer back = Tokenizer::from_json(t.to_json(), "tokenizer.json");
  CHECK(back.params().buckets == 4096u);
  CHECK_FALSE(back.params().bigrams);
  CHECK(back.features("Toy Story") == t.features("Toy Story"));
  auto j = t.to_json();
  j["hash"] = "md5";
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("tokenizer.json"));
  j = t.to_json();
  j["min_n"] = 9;
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("min_n"));
  // Found by the encoder fuzzer: a huge float for an integer field, and wrong types.
  j = t.to_json();
  j["buckets"] = 6.47e68;
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("buckets") && Catch::Contains("integer"));
  j["buckets"] = 99999999999LL;
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("buckets"));
  j = t.to_json();
  j["kind"] = 7;
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("unsupported"));
  j = t.to_json();
  j["bigrams"] = "yes";
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("bigrams"));
  j.erase("max_words");
  CHECK_THROWS_WITH(Tokenizer::from_json(j, "tokenizer.json"), Catch::Contains("max_words"));
  p.buckets = 0;
  CHECK_THROWS_AS(Tokenizer(p), reco::ParamError);
}

TEST_CASE("feature ids are fixed numbers, the same natively and in WebAssembly", "[tokenizer]") {
  // Literal ids written down from one platform: every build (g++/x86-64 and em++/wasm32)
  // must reproduce them, since the browser tokenises what the exported encoder reads.
  TokenizerParams p;
  p.buckets = 32768;
  const Tokenizer t(p);
  const std::vector<std::uint32_t> amelie{14981, 10362, 31822, 22213, 11574, 11976, 24478, 21700, 32017, 16683,
                                          6253,  20471, 31968, 15207, 25382, 21912, 4747,  11194, 7815,  12534,
                                          31688, 2519,  28438, 210,   3375,  9975,  22251, 11459, 5310,  26507};
  CHECK(t.features("Am\xc3\xa9lie \xff space") == amelie);
  const auto toy = t.features("Toy Story (1995) Adventure|Animation");
  REQUIRE(toy.size() == 84);
  CHECK(std::vector<std::uint32_t>(toy.begin(), toy.begin() + 8) ==
        std::vector<std::uint32_t>{23196, 11274, 24261, 20408, 8046, 31092, 8370, 6334});
  CHECK(toy.back() == 22724u);
}

#include <catch2/catch.hpp>

#include <string>

#include "reco/error.h"
#include "reco/text_encoding.h"

using reco::find_invalid_utf8;
constexpr auto kValid = std::string_view::npos;

TEST_CASE("parse_encoding accepts utf-8 and latin-1 spellings only", "[loaders][encoding]") {
  CHECK(reco::parse_encoding("utf-8") == reco::Encoding::Utf8);
  CHECK(reco::parse_encoding("UTF8") == reco::Encoding::Utf8);
  CHECK(reco::parse_encoding("latin-1") == reco::Encoding::Latin1);
  CHECK(reco::parse_encoding("ISO-8859-1") == reco::Encoding::Latin1);
  CHECK(reco::encoding_name(reco::Encoding::Latin1) == "latin-1");
  try {
    reco::parse_encoding("utf-16");
    FAIL("no ParamError");
  } catch (const reco::ParamError& e) {
    CHECK(e.param() == "encoding");
    CHECK_THAT(e.what(), Catch::Contains("utf-16") && Catch::Contains("utf-8") && Catch::Contains("latin-1"));
  }
}

TEST_CASE("find_invalid_utf8 accepts well-formed UTF-8 only", "[loaders][encoding]") {
  CHECK(find_invalid_utf8("") == kValid);
  CHECK(find_invalid_utf8("plain ASCII, longer than eight bytes") == kValid);
  CHECK(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xAC") == kValid);  // é € 🎬
  CHECK(find_invalid_utf8("\xEF\xBF\xBF\xF4\x8F\xBF\xBF") == kValid);               // U+FFFF, U+10FFFF
  CHECK(find_invalid_utf8("caf\xE9") == 3);                  // Latin-1 é
  CHECK(find_invalid_utf8("abcdefgh\x80") == 8);             // lone continuation after the fast path
  CHECK(find_invalid_utf8("\xC0\x80") == 0);                 // overlong NUL
  CHECK(find_invalid_utf8("\xE0\x80\x80") == 0);             // overlong 3-byte
  CHECK(find_invalid_utf8("\xF0\x80\x80\x80") == 0);         // overlong 4-byte
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);             // surrogate U+D800
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);         // above U+10FFFF
  CHECK(find_invalid_utf8("ok\xE2\x82") == 2);               // truncated at the end
  CHECK(find_invalid_utf8("\xE2\x28\xA1") == 0);             // bad continuation
  CHECK(find_invalid_utf8("\xFF") == 0);
}

TEST_CASE("latin1_to_utf8 maps every high byte to two bytes", "[loaders][encoding]") {
  CHECK(reco::latin1_to_utf8("Am\xE9lie") == "Am\xC3\xA9lie");
  CHECK(reco::latin1_to_utf8("\xFF\x80 A") == "\xC3\xBF\xC2\x80 A");
  CHECK(find_invalid_utf8(reco::latin1_to_utf8(std::string("\x00\x7F\xA0\xFF", 4))) == kValid);
}

TEST_CASE("byte-order marks are recognised", "[loaders][encoding]") {
  using namespace std::string_view_literals;
  CHECK(reco::starts_with_utf8_bom("\xEF\xBB\xBFid"));
  CHECK_FALSE(reco::starts_with_utf8_bom("\xEF\xBB"));
  CHECK(std::string(reco::unsupported_bom("\xFF\xFEu\0"sv)) == "UTF-16LE");
  CHECK(std::string(reco::unsupported_bom("\xFE\xFF\0u"sv)) == "UTF-16BE");
  CHECK(std::string(reco::unsupported_bom("\xFF\xFE\0\0"sv)) == "UTF-32LE");
  CHECK(std::string(reco::unsupported_bom("\0\0\xFE\xFF"sv)) == "UTF-32BE");
  CHECK(reco::unsupported_bom("user,item") == nullptr);
  CHECK(reco::unsupported_bom("") == nullptr);
}

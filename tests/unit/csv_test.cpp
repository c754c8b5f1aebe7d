#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "reco/csv.h"
#include "reco/error.h"

namespace {

// All records of `text`, each with the line it starts on.
struct Record {
  std::int64_t line;
  std::vector<std::string> fields;
};

std::vector<Record> read_all(std::string_view text, reco::CsvDialect dialect = {}) {
  reco::CsvReader reader(text, "t.csv", std::move(dialect));
  std::vector<Record> out;
  std::vector<std::string_view> fields;
  while (reader.next(fields)) out.push_back({reader.line(), {fields.begin(), fields.end()}});
  return out;
}

}  // namespace

TEST_CASE("CsvReader splits quoted CSV as RFC 4180 says", "[loaders][csv]") {
  const auto rows = read_all("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\r\n\"multi\nline\",,\"\"\nlast,x\"y,z");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].line == 1);
  CHECK(rows[0].fields == std::vector<std::string>{"a", "b,c", "say \"hi\""});
  CHECK(rows[1].line == 3);  // the blank line 2 holds no record
  CHECK(rows[1].fields == std::vector<std::string>{"multi\nline", "", ""});
  CHECK(rows[2].line == 5);  // the quoted line break counted
  CHECK(rows[2].fields == std::vector<std::string>{"last", "x\"y", "z"});  // quote inside an unquoted field
}

TEST_CASE("CsvReader handles multi-byte separators and unquoted dialects", "[loaders][csv]") {
  const auto rows = read_all("1::Star Wars: IV::Sci-Fi\r\n2::\"x\"::::\r", {"::", false});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields == std::vector<std::string>{"1", "Star Wars: IV", "Sci-Fi"});
  CHECK(rows[1].fields == std::vector<std::string>{"2", "\"x\"", "", ""});
  CHECK(read_all("").empty());
  CHECK(read_all("\n\r\n\n").empty());
  CHECK(read_all("a\rb\n")[0].fields == std::vector<std::string>{"a\rb"});  // a lone CR is data
}

TEST_CASE("CsvReader reports malformed quoting at its line and field", "[loaders][csv]") {
  reco::CsvReader reader("id,title\n1,\"open\n2,x\n", "t.csv", {});
  reader.set_field_names({"id", "title"});
  std::vector<std::string_view> fields;
  REQUIRE(reader.next(fields));
  try {
    reader.next(fields);
    FAIL("no DataError");
  } catch (const reco::DataError& e) {
    CHECK(e.line() == 2);
    CHECK(e.field() == "title");
    CHECK_THAT(e.what(), Catch::Contains("t.csv:2") && Catch::Contains("unterminated quoted field"));
  }
  reco::CsvReader after("\"a\"b,c\n", "u.csv", {});
  try {
    after.next(fields);
    FAIL("no DataError");
  } catch (const reco::DataError& e) {
    CHECK(e.line() == 1);
    CHECK(e.field() == "column 1");
    CHECK_THAT(e.what(), Catch::Contains("after the closing quote") && Catch::Contains("found 'b'"));
  }
  CHECK_THROWS_AS(reco::CsvReader("", "x", {"", true}), reco::ParamError);
  CHECK_THROWS_AS(reco::CsvReader("", "x", {"\"", true}), reco::ParamError);
}

TEST_CASE("parse_decimal is strict and locale-independent", "[loaders][csv]") {
  using reco::parse_decimal;
  CHECK(parse_decimal("4") == 4.0);
  CHECK(parse_decimal("3.5") == 3.5);
  CHECK(parse_decimal("-0.25") == -0.25);
  CHECK(parse_decimal("+2.") == 2.0);
  CHECK(parse_decimal(".5") == 0.5);
  CHECK(parse_decimal("1e-3") == 0.001);
  CHECK(parse_decimal("2.5E+2") == 250.0);
  CHECK(parse_decimal("0.1") == 0.1);  // correctly rounded
  CHECK(parse_decimal("123456789012345678901234567890") == Approx(1.2345678901234568e29));
  CHECK(parse_decimal("0.000000000000000000000000000001234") == Approx(1.234e-30));
  CHECK(parse_decimal("1e-400") == 0.0);
  for (const char* bad : {"", "-", ".", "e5", "1e", "1e+", "3,5", " 4", "4 ", "4.0x", "nan", "inf", "-Infinity",
                          "0x10", "1e999", "--1", "1..2"}) {
    INFO(bad);
    CHECK_FALSE(parse_decimal(bad).has_value());
  }
}

TEST_CASE("parse_int64 takes whole integers only", "[loaders][csv]") {
  using reco::parse_int64;
  CHECK(parse_int64("964982703") == 964982703);
  CHECK(parse_int64("-5") == -5);
  CHECK(parse_int64("9223372036854775807") == INT64_MAX);
  for (const char* bad : {"", "1.5", "1e9", " 1", "1 ", "+1", "9223372036854775808", "abc"}) {
    INFO(bad);
    CHECK_FALSE(parse_int64(bad).has_value());
  }
}

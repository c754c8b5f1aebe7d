#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "reco/error.h"
#include "reco/loaders.h"

namespace fs = std::filesystem;
using reco::Dataset;
using reco::DataError;
using reco::FileKind;
using reco::Format;
using namespace std::string_literals;

namespace {

std::string fixture(const std::string& name) { return RECO_TEST_FIXTURES_DIR "/"s + name; }

// A fresh folder for files written by a test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("reco-loaders-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

const std::string& title_of(const Dataset& ds, const std::string& item) {
  const std::int32_t i = ds.items.find(item);
  REQUIRE(i >= 0);
  return ds.item_info[static_cast<std::size_t>(i)].title;
}

const reco::ItemInfo& info_of(const Dataset& ds, const std::string& item) {
  const std::int32_t i = ds.items.find(item);
  REQUIRE(i >= 0);
  return ds.item_info[static_cast<std::size_t>(i)];
}

using Strings = std::vector<std::string>;

// The DataError `fn` throws; fails the test when it throws none.
template <class Fn>
DataError error_of(Fn&& fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e;
  }
  FAIL("expected a DataError");
  throw std::logic_error("unreachable");
}

DataError parse_error(const std::string& text, const std::string& name, Format format, FileKind kind,
                      reco::Encoding encoding = reco::Encoding::Utf8) {
  return error_of([&] {
    Dataset ds;
    reco::parse_file(text, name, format, kind, ds, encoding);
  });
}

// The error names the file, the line (when > 0) and the field (when any), in its
// accessors and in its message, and says `what`.
void check_error(const DataError& e, const std::string& file, std::int64_t line, const std::string& field,
                 const std::string& what) {
  const std::string message = e.what();
  INFO(message);
  CHECK(e.file() == file);
  CHECK(e.line() == line);
  CHECK(e.field() == field);
  CHECK_THAT(message, Catch::StartsWith(file + (line > 0 ? ":" + std::to_string(line) : "")));
  if (!field.empty()) CHECK_THAT(message, Catch::Contains("field '" + field + "'"));
  CHECK_THAT(message, Catch::Contains(what));
}

void check_invariants(const Dataset& ds) {
  CHECK(ds.item_info.size() == static_cast<std::size_t>(ds.items.size()));
  std::size_t out_of_range = 0;
  for (const reco::Event& e : ds.events)
    out_of_range += e.user < 0 || e.user >= ds.users.size() || e.item < 0 || e.item >= ds.items.size();
  CHECK(out_of_range == 0);
}

}  // namespace

TEST_CASE("format names round-trip and unknown names list the valid ones", "[loaders]") {
  for (Format f : {Format::Ml100k, Format::MlLatest, Format::Ml1m, Format::Csv})
    CHECK(reco::parse_format(reco::format_name(f)) == f);
  try {
    reco::parse_format("ml-20m");
    FAIL("no ParamError");
  } catch (const reco::ParamError& e) {
    CHECK(e.param() == "format");
    CHECK_THAT(e.what(), Catch::Contains("ml-20m") && Catch::Contains("ml100k, mllatest, ml1m, csv"));
  }
  CHECK_THROWS_AS(reco::load_dataset(fixture("csv-events.csv"), Format::Csv, {"utf-16"}), reco::ParamError);
}

TEST_CASE("ML-100K: catalog first, Latin-1 titles, genre flags", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("ml100k-mini"), Format::Ml100k);
  check_invariants(ds);
  REQUIRE(ds.items.size() == 5);  // 4 catalog items, then item 9 which only u.data mentions
  CHECK(ds.items.id(0) == "1");
  CHECK(ds.items.id(3) == "4");
  CHECK(ds.items.id(4) == "9");
  CHECK(ds.users.size() == 3);
  REQUIRE(ds.events.size() == 5);  // the last line has no newline
  CHECK(title_of(ds, "2") == "Les Mis\xC3\xA9rables (1995)");
  CHECK(info_of(ds, "1").genres == Strings{"Animation", "Children's", "Comedy"});
  CHECK(info_of(ds, "2").genres == Strings{"Drama", "Musical"});
  CHECK(info_of(ds, "3").genres.empty());  // only the "unknown" flag
  CHECK(info_of(ds, "9").title.empty());
  const reco::Event& last = ds.events.back();
  CHECK(ds.users.id(last.user) == "3");
  CHECK(ds.items.id(last.item) == "1");
  CHECK(last.weight == 2.0f);
  CHECK(last.timestamp == 881250953);
}

TEST_CASE("ML-100K split files map ids through the data set", "[loaders]") {
  Dataset ds = reco::load_dataset(fixture("ml100k-mini"), Format::Ml100k);
  const std::size_t events_before = ds.events.size();
  const auto test = reco::load_ml100k_events(fixture("ml100k-mini/u1.test"), ds);
  check_invariants(ds);
  REQUIRE(test.size() == 2);
  CHECK(ds.events.size() == events_before);  // returned, not appended
  CHECK(test[0].item == ds.items.find("4"));
  CHECK(ds.users.size() == 4);  // user 4 is new
  CHECK(test[1].user == ds.users.find("4"));
  CHECK(test[1].weight == 3.0f);
}

TEST_CASE("ml-latest: quoted CSV, CRLF, genres and deduplicated tags", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("mllatest-mini"), Format::MlLatest);
  check_invariants(ds);
  REQUIRE(ds.items.size() == 6);  // 5 movies, then 99 from ratings.csv
  CHECK(ds.items.id(5) == "99");
  CHECK(ds.events.size() == 4);
  CHECK(ds.users.size() == 2);  // tag authors are not users
  CHECK(title_of(ds, "11") == "American President, The (1995)");
  CHECK(title_of(ds, "20") == "The \"Quoted\" Film, Part 2 (2001)");
  CHECK(title_of(ds, "30") == "City of Lost Children, The (Cit\xC3\xA9 des enfants perdus, La) (1995)");
  CHECK(info_of(ds, "1").genres == Strings{"Adventure", "Animation", "Children"});
  CHECK(info_of(ds, "40").genres.empty());  // "(no genres listed)"
  CHECK(info_of(ds, "1").tags == Strings{"funny", "pixar"});
  CHECK(info_of(ds, "11").tags == Strings{"\"artsy\""});
  CHECK(info_of(ds, "40").tags == Strings{"dark"});
  CHECK(ds.events[1].weight == 3.5f);
  CHECK(ds.events[2].weight == 0.5f);
  CHECK(ds.events[0].timestamp == 964982703);
}

TEST_CASE("ml-latest without tags.csv loads", "[loaders]") {
  TempDir dir;
  for (const char* f : {"movies.csv", "ratings.csv"}) fs::copy_file(fixture("mllatest-mini/"s + f), dir.path() + "/" + f);
  const Dataset ds = reco::load_dataset(dir.path(), Format::MlLatest);
  CHECK(ds.events.size() == 4);
  CHECK(info_of(ds, "1").tags.empty());
}

TEST_CASE("ML-1M: '::' separators and Latin-1 titles", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("ml1m-mini"), Format::Ml1m);
  check_invariants(ds);
  CHECK(ds.items.size() == 3);
  CHECK(ds.users.size() == 2);
  CHECK(ds.events.size() == 3);
  CHECK(title_of(ds, "2") == "Am\xC3\xA9lie (2001)");
  CHECK(title_of(ds, "3") == "Star Wars: Episode IV (1977)");
  CHECK(info_of(ds, "1").genres == Strings{"Animation", "Children's", "Comedy"});
}

TEST_CASE("generic CSV folder: columns in any order, items.csv first", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("csv-mini"), Format::Csv);
  check_invariants(ds);
  REQUIRE(ds.items.size() == 4);
  CHECK(ds.items.id(2) == "d");  // in the catalog, never rated
  CHECK(ds.items.id(3) == "c");  // rated, not in the catalog
  CHECK(title_of(ds, "a") == "Alpha, the first");
  CHECK(info_of(ds, "a").genres == Strings{"Drama", "Comedy"});
  CHECK(info_of(ds, "a").tags == Strings{"Tag1", "Tag2"});
  CHECK(info_of(ds, "b").genres.empty());
  REQUIRE(ds.events.size() == 3);
  CHECK(ds.users.id(ds.events[0].user) == "u1");
  CHECK(ds.events[0].weight == 2.5f);
  CHECK(ds.events[0].timestamp == 100);
  CHECK(ds.events[2].weight == 0.5f);
}

TEST_CASE("generic CSV file: weight defaults to 1, timestamp to 0", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("csv-events.csv"), Format::Csv);
  check_invariants(ds);
  CHECK(ds.users.size() == 2);
  CHECK(ds.items.size() == 2);
  REQUIRE(ds.events.size() == 3);
  CHECK(ds.events[1].weight == 1.0f);
  CHECK(ds.events[1].timestamp == 0);
}

TEST_CASE("generic CSV: latin-1 option converts, utf-8 rejects the same bytes", "[loaders]") {
  TempDir dir;
  dir.write("items.csv", "item,title\na,Caf\xE9\n");
  dir.write("interactions.csv", "user,item\nu,a\n");
  const Dataset ds = reco::load_dataset(dir.path(), Format::Csv, {"latin-1"});
  CHECK(title_of(ds, "a") == "Caf\xC3\xA9");
  const DataError e = error_of([&] { reco::load_dataset(dir.path(), Format::Csv); });
  check_error(e, dir.path() + "/items.csv", 2, "title", "invalid UTF-8 at byte 4");
  CHECK_THAT(e.what(), Catch::Contains("Caf\\xE9"));
}

TEST_CASE("line endings, blank lines and a UTF-8 byte-order mark are accepted", "[loaders]") {
  Dataset ds;
  reco::parse_file("\xEF\xBB\xBFuser,item\r\nu1,i1\r\n\r\nu2,i2", "e.csv", Format::Csv, FileKind::Events, ds);
  REQUIRE(ds.events.size() == 2);
  CHECK(ds.users.id(0) == "u1");
  CHECK(ds.items.id(1) == "i2");
  // The mark wins over a latin-1 request: the file says it is UTF-8.
  Dataset bom;
  reco::parse_file("\xEF\xBB\xBFitem,title\ni,Caf\xC3\xA9\n", "i.csv", Format::Csv, FileKind::Items, bom,
                   reco::Encoding::Latin1);
  CHECK(bom.item_info[0].title == "Caf\xC3\xA9");
}

TEST_CASE("item id lists", "[loaders]") {
  const Dataset ds = reco::load_dataset(fixture("ml100k-mini"), Format::Ml100k);
  CHECK(reco::load_item_id_list(fixture("item-ids.txt"), ds.items) == std::vector<std::int32_t>{1, 3, 0});
  check_error(error_of([&] { reco::parse_item_id_list("1\n\n# note\n77\n", "ids.txt", ds.items); }), "ids.txt", 4,
              "item", "unknown item id '77'");
  check_error(error_of([&] { reco::parse_item_id_list("# nothing\n\n", "ids.txt", ds.items); }), "ids.txt", 0, "",
              "lists no item id");
  check_error(error_of([&] { reco::load_item_id_list(fixture("missing-ids.txt"), ds.items); }),
              fixture("missing-ids.txt"), 0, "", "cannot open");
}

TEST_CASE("missing files and folders", "[loaders]") {
  const std::string nowhere = fixture("no-such-folder");
  check_error(error_of([&] { reco::load_dataset(nowhere, Format::Ml100k); }), nowhere, 0, "",
              "expected a folder holding u.item and u.data for format ml100k");
  check_error(error_of([&] { reco::load_dataset(nowhere + ".csv", Format::Csv); }), nowhere + ".csv", 0, "",
              "cannot open the file");
  TempDir dir;
  dir.write("u.item", "1|A||||0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
  check_error(error_of([&] { reco::load_dataset(dir.path(), Format::Ml100k); }), dir.path() + "/u.data", 0, "",
              "cannot open the file");
  check_error(error_of([&] { reco::load_dataset(dir.path(), Format::Csv); }), dir.path() + "/interactions.csv", 0,
              "", "cannot open the file");
  Dataset ds;
  check_error(error_of([&] { reco::load_ml100k_events(dir.path(), ds); }), dir.path(), 0, "",
              "expected a file, found a folder");
}

TEST_CASE("empty files and header-only event files", "[loaders]") {
  check_error(parse_error("", "u.data", Format::Ml100k, FileKind::Events), "u.data", 0, "", "the file is empty");
  check_error(parse_error("\n\r\n", "movies.dat", Format::Ml1m, FileKind::Items), "movies.dat", 0, "",
              "the file is empty");
  check_error(parse_error("", "ratings.csv", Format::MlLatest, FileKind::Events), "ratings.csv", 0, "",
              "the file is empty; expected a header line");
  check_error(parse_error("user,item\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 0, "",
              "header but no records");
  Dataset ds;  // a catalog or tag file may legitimately list nothing
  reco::parse_file("userId,movieId,tag,timestamp\n", "tags.csv", Format::MlLatest, FileKind::Tags, ds);
  CHECK(ds.items.size() == 0);
}

TEST_CASE("wrong column counts say expected and found", "[loaders]") {
  check_error(parse_error("1\t2\t3\t4\n1\t2\t3\n", "u.data", Format::Ml100k, FileKind::Events), "u.data", 2, "",
              "expected 4 fields, found 3");
  check_error(parse_error("user,item\nu,i\nu,i,x\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 3, "",
              "expected 2 fields, found 3 (a field holding the separator must be quoted)");
  check_error(parse_error("1::Toy Story::Comedy::x\n", "movies.dat", Format::Ml1m, FileKind::Items), "movies.dat",
              1, "", "expected 3 fields, found 4");
  check_error(parse_error("1|Toy|||\n", "u.item", Format::Ml100k, FileKind::Items), "u.item", 1, "",
              "expected 24 fields, found 5");
}

TEST_CASE("bad ratings and weights name line and field", "[loaders]") {
  check_error(parse_error("1\t2\tfive\t0\n", "u.data", Format::Ml100k, FileKind::Events), "u.data", 1, "rating",
              "expected a finite decimal number within float range, found 'five'");
  check_error(parse_error("1::2::3,5::0\n", "ratings.dat", Format::Ml1m, FileKind::Events), "ratings.dat", 1,
              "Rating", "found '3,5'");
  for (const char* bad : {"nan", "inf", "1e999", "-Infinity", " 4", "4.0x", ""}) {
    INFO(bad);
    check_error(parse_error("userId,movieId,rating,timestamp\n1,2,4,0\n1,3,"s + bad + ",0\n", "ratings.csv",
                            Format::MlLatest, FileKind::Events),
                "ratings.csv", 3, "rating", "found '"s + bad + "'");
  }
  // A double that fits but a float that does not is non-finite too.
  check_error(parse_error("user,item,weight\nu,i,1e300\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 2,
              "weight", "finite");
}

TEST_CASE("non-integer timestamps name line and field", "[loaders]") {
  check_error(parse_error("1\t2\t3\t881250949.5\n", "u1.base", Format::Ml100k, FileKind::Events), "u1.base", 1,
              "timestamp", "expected an integer timestamp (seconds since the epoch), found '881250949.5'");
  check_error(parse_error("timestamp,user,item\n2020-01-01,u,i\n", "e.csv", Format::Csv, FileKind::Events),
              "e.csv", 2, "timestamp", "found '2020-01-01'");
  check_error(parse_error("userId,movieId,tag,timestamp\n1,2,fun,soon\n", "tags.csv", Format::MlLatest,
                          FileKind::Tags),
              "tags.csv", 2, "timestamp", "found 'soon'");
}

TEST_CASE("empty ids and empty tags", "[loaders]") {
  check_error(parse_error("user,item\n,i1\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 2, "user",
              "expected an id, found an empty field");
  check_error(parse_error("1\t\t3\t0\n", "u.data", Format::Ml100k, FileKind::Events), "u.data", 1, "item id",
              "expected an id");
  check_error(parse_error("item,title\n\"\",Nothing\n", "i.csv", Format::Csv, FileKind::Items), "i.csv", 2, "item",
              "expected an id");
  check_error(parse_error("userId,movieId,tag,timestamp\n1,2,  ,0\n", "tags.csv", Format::MlLatest, FileKind::Tags),
              "tags.csv", 2, "tag", "expected a tag");
}

TEST_CASE("headers: duplicate header lines, unknown, missing and repeated columns", "[loaders]") {
  check_error(parse_error("user,item\nu,i\nuser,item\nv,j\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 3,
              "", "duplicate header line");
  check_error(parse_error("userId,movieId,rating,timestamp\r\n1,1,4,0\r\nuserId,movieId,rating,timestamp\r\n",
                          "ratings.csv", Format::MlLatest, FileKind::Events),
              "ratings.csv", 3, "", "duplicate header line");
  check_error(parse_error("user,item,rating\nu,i,5\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 1,
              "rating", "unknown column 'rating' in the header; expected columns user, item (optional: weight, timestamp)");
  check_error(parse_error("u1,i1\nu2,i2\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 1, "u1",
              "unknown column 'u1'");
  check_error(parse_error("user,weight\nu,1\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 1, "item",
              "lacks required column 'item'");
  check_error(parse_error("user,item,User\nu,i,v\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 1, "User",
              "appears twice");
  check_error(parse_error("movieId,title\n1,x\n", "movies.csv", Format::MlLatest, FileKind::Items), "movies.csv", 1,
              "genres", "lacks required column 'genres'");
  Dataset ds;  // names match ignoring case and spaces; _columns are ignored
  reco::parse_file(" User ,ITEM,_source\nu,i,web\n", "e.csv", Format::Csv, FileKind::Events, ds);
  CHECK(ds.events.size() == 1);
}

TEST_CASE("quoting errors name the line where the field starts", "[loaders]") {
  check_error(parse_error("item,title\na,\"Alpha\nb,Beta\n", "i.csv", Format::Csv, FileKind::Items), "i.csv", 2,
              "title", "unterminated quoted field");
  check_error(parse_error("item,title\na,\"Al\"pha\"\n", "i.csv", Format::Csv, FileKind::Items), "i.csv", 2,
              "title", "after the closing quote");
}

TEST_CASE("encoding problems", "[loaders]") {
  check_error(parse_error("user,item\nu1,caf\xC3\n", "e.csv", Format::Csv, FileKind::Events), "e.csv", 2, "item",
              "invalid UTF-8 at byte 4 of the field");
  check_error(parse_error("movieId,title,genres\n1,\"Ok\",Drama\n2,Caf\xE9,Drama\n", "movies.csv", Format::MlLatest,
                          FileKind::Items),
              "movies.csv", 3, "title", "invalid UTF-8");
  const std::string utf16le("\xFF\xFEu\0s\0e\0r\0", 10);
  check_error(parse_error(utf16le, "e.csv", Format::Csv, FileKind::Events), "e.csv", 0, "",
              "unsupported encoding UTF-16LE");
  check_error(parse_error("\xFE\xFF\0u"s, "u.data", Format::Ml100k, FileKind::Events), "u.data", 0, "",
              "unsupported encoding UTF-16BE");
  check_error(parse_error("\xFF\xFE\0\0u\0\0\0"s, "e.csv", Format::Csv, FileKind::Events), "e.csv", 0, "",
              "unsupported encoding UTF-32LE");
  check_error(parse_error("user,item\nu\0,i\n"s, "e.csv", Format::Csv, FileKind::Events), "e.csv", 2, "",
              "NUL byte");
  TempDir dir;  // the same through a real file
  const std::string path = dir.write("interactions.csv", utf16le);
  check_error(error_of([&] { reco::load_dataset(path, Format::Csv); }), path, 0, "", "unsupported encoding UTF-16");
}

TEST_CASE("catalog rows: duplicate items and bad genre flags", "[loaders]") {
  check_error(parse_error("movieId,title,genres\n1,A,Drama\n2,B,Drama\n1,C,Drama\n", "movies.csv", Format::MlLatest,
                          FileKind::Items),
              "movies.csv", 4, "movieId", "item '1' is listed twice (first on line 2)");
  const std::string flags = "|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
  check_error(parse_error("1|A|||" + flags + "|0\n2|B|||" + flags + "|y\n", "u.item", Format::Ml100k, FileKind::Items),
              "u.item", 2, "Western", "expected a genre flag 0 or 1, found 'y'");
  Dataset ds;
  CHECK_THROWS_AS(reco::parse_file("item,tag\n", "t.csv", Format::Csv, FileKind::Tags, ds), reco::ParamError);
}

TEST_CASE("ML-100K from the real data set", "[loaders][data]") {
  const std::string dir = RECO_TEST_DATA_DIR "/ml-100k"s;
  if (!fs::exists(dir + "/u.data")) {
    WARN("MovieLens 100K not found at " << dir << "; skipped");
    return;
  }
  Dataset ds = reco::load_dataset(dir, Format::Ml100k);
  check_invariants(ds);
  CHECK(ds.events.size() == 100000);
  CHECK(ds.users.size() == 943);
  CHECK(ds.items.size() == 1682);
  CHECK(title_of(ds, "1") == "Toy Story (1995)");
  CHECK(info_of(ds, "1").genres == Strings{"Animation", "Children's", "Comedy"});
  const auto base = reco::load_ml100k_events(dir + "/u1.base", ds);
  const auto test = reco::load_ml100k_events(dir + "/u1.test", ds);
  CHECK(base.size() == 80000);
  CHECK(test.size() == 20000);
  CHECK(ds.users.size() == 943);  // the splits hold no new id
  CHECK(ds.items.size() == 1682);
}

TEST_CASE("ml-latest-small from the real data set", "[loaders][data]") {
  const std::string dir = RECO_TEST_DATA_DIR "/ml-latest-small"s;
  if (!fs::exists(dir + "/ratings.csv")) {
    WARN("ml-latest-small not found at " << dir << "; skipped");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  const Dataset ds = reco::load_dataset(dir, Format::MlLatest);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  check_invariants(ds);
  CHECK(ds.events.size() == 100836);
  CHECK(ds.users.size() == 610);
  CHECK(ds.items.size() == 9742);
  CHECK(title_of(ds, "11") == "American President, The (1995)");
  std::size_t tagged = 0, tags = 0;
  for (const reco::ItemInfo& info : ds.item_info) {
    tagged += info.tags.empty() ? 0 : 1;
    tags += info.tags.size();
  }
  CHECK(tagged > 1000);
  CHECK(tags > 3000);
  // Timing is reported, not asserted: CI machines vary. Expect well under a second.
  WARN("ml-latest-small loaded in " << seconds << " s: " << tagged << " items with " << tags << " tags");
}

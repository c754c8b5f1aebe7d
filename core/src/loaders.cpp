#include "reco/loaders.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "reco/csv.h"
#include "reco/error.h"

namespace reco {
namespace {

// ML-100K's genre flags in u.genre order. Flag 0 ("unknown") gives no genre.
constexpr const char* kMl100kGenres[19] = {"unknown", "Action",  "Adventure", "Animation", "Children's",
                                           "Comedy",  "Crime",   "Documentary", "Drama",   "Fantasy",
                                           "Film-Noir", "Horror", "Musical",   "Mystery",   "Romance",
                                           "Sci-Fi",  "Thriller", "War",       "Western"};
constexpr std::size_t kMl100kFirstGenreColumn = 5;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// A field's content for a message: at most 40 bytes, control bytes and invalid UTF-8
// escaped as \xNN, so that the message itself is printable UTF-8.
std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 40;
  const bool truncated = s.size() > kMax;
  if (truncated) {
    s = s.substr(0, kMax);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.remove_suffix(1);
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.remove_suffix(1);
  }
  const bool utf8 = find_invalid_utf8(s) == std::string_view::npos;
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) {
      static const char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return truncated ? out + "..." : out;
}

std::int64_t line_of(std::string_view text, std::size_t offset) {
  return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
}

std::string read_file(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw DataError(file, 0, "", "expected a file, found a folder");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(file, 0, "", "cannot open the file (missing or not readable)");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) throw DataError(file, 0, "", "cannot read the file");
  std::string data(static_cast<std::size_t>(size), '\0');
  if (!in.read(data.data(), size)) throw DataError(file, 0, "", "cannot read the file");
  return data;
}

std::string join_path(const std::string& folder, const char* name) {
  if (!folder.empty() && folder.back() == '/') return folder + name;
  return folder + "/" + name;
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

void require_folder(const std::string& path, Format format, const char* files) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec))
    throw DataError(path, 0, "",
                    "expected a folder holding " + std::string(files) + " for format " + format_name(format));
}

// A file's text ready to parse: byte-order mark handled, encoding settled.
struct Text {
  std::string_view body;
  Encoding encoding;
};

Text prepare_text(std::string_view raw, const std::string& name, Encoding declared) {
  if (const char* bom = unsupported_bom(raw))
    throw DataError(name, 0, "",
                    std::string("unsupported encoding ") + bom +
                        " (byte-order mark at the start of the file); expected UTF-8 or Latin-1, convert the file");
  if (starts_with_utf8_bom(raw)) {
    raw.remove_prefix(3);
    declared = Encoding::Utf8;  // the mark says so, whatever the caller assumed
  }
  // No text encoding we accept writes NUL; UTF-16/32 without a mark does, often.
  if (const std::size_t nul = raw.find('\0'); nul != std::string_view::npos)
    throw DataError(name, line_of(raw, nul), "",
                    "NUL byte found: the file is binary, or UTF-16/UTF-32 without a byte-order mark");
  return {raw, declared};
}

Text prepare_text(std::string_view raw, const std::string& name, Format format, Encoding csv_encoding) {
  switch (format) {
    case Format::Ml100k:
    case Format::Ml1m:
      return prepare_text(raw, name, Encoding::Latin1);
    case Format::MlLatest:
      return prepare_text(raw, name, Encoding::Utf8);
    case Format::Csv:
      break;
  }
  return prepare_text(raw, name, csv_encoding);
}

// The columns a file with a header must or may have. Position i of the result of
// Table::read_header is the column index of names[i], or -1 when an optional one is absent.
struct HeaderSpec {
  std::vector<std::string_view> names;
  std::size_t required;          // names[0, required) must be present
  bool ignore_underscore = false;  // columns named "_..." are ignored (Format::Csv)
};

// One delimited file being parsed: reads records, checks their width and converts
// fields, turning every problem into a DataError at the record's line and field.
class Table {
 public:
  Table(const Text& text, const std::string& name, CsvDialect dialect)
      : quoted_(dialect.quoted), reader_(text.body, name, std::move(dialect)), encoding_(text.encoding) {}

  // Headerless files: the columns, by the names the format's documentation gives them.
  void set_columns(std::vector<std::string> names) {
    width_ = names.size();
    reader_.set_field_names(std::move(names));
  }

  std::vector<int> read_header(const HeaderSpec& spec) {
    if (!reader_.next(fields_)) throw DataError(file(), 0, "", "the file is empty; expected a header line");
    header_.assign(fields_.begin(), fields_.end());
    width_ = fields_.size();
    std::vector<std::string> names;
    std::vector<int> index(spec.names.size(), -1);
    std::string expected, optional;
    for (std::size_t i = 0; i < spec.names.size(); ++i) {
      std::string& list = i < spec.required ? expected : optional;
      list += (list.empty() ? "" : ", ") + std::string(spec.names[i]);
    }
    if (!optional.empty()) expected += " (optional: " + optional + ")";
    for (std::size_t col = 0; col < fields_.size(); ++col) {
      const std::string name = printable(trim(text(col)));  // as messages show it
      names.push_back(name);
      const std::string key = ascii_lower(name);
      const auto known = std::find_if(spec.names.begin(), spec.names.end(),
                                      [&](std::string_view n) { return ascii_lower(n) == key; });
      if (known != spec.names.end()) {
        int& slot = index[static_cast<std::size_t>(known - spec.names.begin())];
        if (slot >= 0)
          throw DataError(file(), line(), name, "column '" + name + "' appears twice in the header");
        slot = static_cast<int>(col);
      } else if (!(spec.ignore_underscore && !name.empty() && name[0] == '_')) {
        throw DataError(file(), line(), name,
                        "unknown column '" + name + "' in the header; expected columns " + expected +
                            (spec.ignore_underscore ? " (a column named _... is ignored)" : ""));
      }
    }
    for (std::size_t i = 0; i < spec.required; ++i) {
      if (index[i] < 0)
        throw DataError(file(), line(), std::string(spec.names[i]),
                        "the header lacks required column '" + std::string(spec.names[i]) + "'; expected columns " +
                            expected + ", found '" + printable(join_fields()) + "'");
    }
    reader_.set_field_names(std::move(names));
    return index;
  }

  // Reads the next record; false at the end of the text.
  bool next() {
    if (!reader_.next(fields_)) {
      if (header_.empty() && rows_ == 0) throw DataError(file(), 0, "", "the file is empty");
      return false;
    }
    if (!header_.empty() && std::equal(fields_.begin(), fields_.end(), header_.begin(), header_.end()))
      throw DataError(file(), line(), "",
                      "duplicate header line (the header of line 1 repeats; were two files concatenated?)");
    if (fields_.size() != width_)
      throw DataError(file(), line(), "",
                      "expected " + std::to_string(width_) + " fields, found " + std::to_string(fields_.size()) +
                          (fields_.size() > width_ && quoted_ ? " (a field holding the separator must be quoted)" : ""));
    ++rows_;
    return true;
  }

  // Events files must hold at least one record after the header.
  void require_rows() const {
    if (rows_ == 0) throw DataError(file(), 0, "", "the file holds a header but no records");
  }

  const std::string& file() const { return reader_.file(); }
  std::int64_t line() const { return reader_.line(); }
  std::string_view raw(std::size_t col) const { return fields_[col]; }

  [[noreturn]] void fail(std::size_t col, const std::string& message) const {
    throw DataError(file(), line(), reader_.field_name(col), message);
  }

  // The field as UTF-8: checked in a UTF-8 file, converted in a Latin-1 one.
  std::string text(std::size_t col) const {
    const std::string_view v = fields_[col];
    if (encoding_ == Encoding::Latin1) return latin1_to_utf8(v);
    const std::size_t bad = find_invalid_utf8(v);
    if (bad != std::string_view::npos)
      fail(col, "invalid UTF-8 at byte " + std::to_string(bad + 1) + " of the field, found '" + printable(v) +
                    "' (is the file Latin-1? then load it with encoding latin-1)");
    return std::string(v);
  }

  std::string id(std::size_t col) const {
    std::string v = text(col);
    if (v.empty()) fail(col, "expected an id, found an empty field");
    return v;
  }

  float weight(std::size_t col) const {
    // Range-checked before the cast: converting a double beyond float's range is undefined.
    const std::optional<double> v = parse_decimal(raw(col));
    if (!v || std::fabs(*v) > static_cast<double>(std::numeric_limits<float>::max()))
      fail(col, "expected a finite decimal number within float range, found '" + printable(raw(col)) + "'");
    return static_cast<float>(*v);
  }

  std::int64_t timestamp(std::size_t col) const {
    const std::optional<std::int64_t> v = parse_int64(raw(col));
    if (!v) fail(col, "expected an integer timestamp (seconds since the epoch), found '" + printable(raw(col)) + "'");
    return *v;
  }

 private:
  std::string join_fields() const {
    std::string s;
    for (std::size_t i = 0; i < fields_.size(); ++i) s += (i ? "," : "") + std::string(fields_[i]);
    return s;
  }

  bool quoted_;
  CsvReader reader_;
  Encoding encoding_;
  std::vector<std::string_view> fields_;
  std::vector<std::string> header_;  // raw header fields; empty for headerless files
  std::size_t width_ = 0;
  std::int64_t rows_ = 0;
};

std::int32_t add_item(Dataset& ds, const std::string& id) {
  const std::int32_t index = ds.items.add(id);
  if (static_cast<std::size_t>(index) == ds.item_info.size()) ds.item_info.emplace_back();
  return index;
}

// Reads one event; a column index < 0 means the file has no such column (defaults apply).
Event read_event(const Table& t, Dataset& ds, int user, int item, int weight, int timestamp) {
  Event e;
  e.user = ds.users.add(t.id(static_cast<std::size_t>(user)));
  e.item = add_item(ds, t.id(static_cast<std::size_t>(item)));
  if (weight >= 0) e.weight = t.weight(static_cast<std::size_t>(weight));
  if (timestamp >= 0) e.timestamp = t.timestamp(static_cast<std::size_t>(timestamp));
  return e;
}

// Splits a '|'-separated list; pieces are trimmed, empty ones dropped, and
// case-insensitive duplicates removed (first spelling kept).
std::vector<std::string> split_labels(const std::string& list) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find('|', start);
    if (end == std::string::npos) end = list.size();
    const std::string_view piece = trim(std::string_view(list).substr(start, end - start));
    if (!piece.empty() && seen.insert(ascii_lower(piece)).second) out.emplace_back(piece);
    start = end + 1;
  }
  return out;
}

// Adds tags to items without case-insensitive duplicates, across all rows of one parse.
class TagAdder {
 public:
  explicit TagAdder(Dataset& ds) : ds_(ds) {}
  void add(std::int32_t item, std::string tag) {
    std::vector<std::string>& tags = ds_.item_info[static_cast<std::size_t>(item)].tags;
    auto [keys, fresh] = keys_.try_emplace(item);
    if (fresh) {
      for (const std::string& t : tags) keys->second.insert(ascii_lower(t));
    }
    if (keys->second.insert(ascii_lower(tag)).second) tags.push_back(std::move(tag));
  }

 private:
  Dataset& ds_;
  std::unordered_map<std::int32_t, std::unordered_set<std::string>> keys_;  // item -> lowercased tags
};

// Adds the rows of a catalog file, refusing an item listed twice in it.
class Catalog {
 public:
  explicit Catalog(Dataset& ds) : ds_(ds) {}
  // Returns the item of the current row; the reference is valid until the next add.
  ItemInfo& add(const Table& t, std::size_t id_col, std::int32_t* index_out = nullptr) {
    const std::string id = t.id(id_col);
    const std::int32_t index = add_item(ds_, id);
    const auto [first, fresh] = first_line_.try_emplace(index, t.line());
    if (!fresh)
      t.fail(id_col, "item '" + printable(id) + "' is listed twice (first on line " + std::to_string(first->second) + ")");
    if (index_out) *index_out = index;
    return ds_.item_info[static_cast<std::size_t>(index)];
  }

 private:
  Dataset& ds_;
  std::unordered_map<std::int32_t, std::int64_t> first_line_;  // item -> line in this file
};

void parse_ml100k_events(const Text& text, const std::string& name, Dataset& ds, std::vector<Event>& out) {
  Table t(text, name, {"\t", false});
  t.set_columns({"user id", "item id", "rating", "timestamp"});
  while (t.next()) out.push_back(read_event(t, ds, 0, 1, 2, 3));
}

void parse_ml100k_items(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {"|", false});
  std::vector<std::string> columns{"movie id", "movie title", "release date", "video release date", "IMDb URL"};
  columns.insert(columns.end(), std::begin(kMl100kGenres), std::end(kMl100kGenres));
  t.set_columns(std::move(columns));
  Catalog catalog(ds);
  while (t.next()) {
    ItemInfo& info = catalog.add(t, 0);
    info.title = t.text(1);
    info.genres.clear();
    for (std::size_t g = 0; g < std::size(kMl100kGenres); ++g) {
      const std::size_t col = kMl100kFirstGenreColumn + g;
      const std::string_view flag = t.raw(col);
      if (flag != "0" && flag != "1") t.fail(col, "expected a genre flag 0 or 1, found '" + printable(flag) + "'");
      if (flag == "1" && g != 0) info.genres.emplace_back(kMl100kGenres[g]);
    }
  }
}

void parse_ml1m_events(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {"::", false});
  t.set_columns({"UserID", "MovieID", "Rating", "Timestamp"});
  while (t.next()) ds.events.push_back(read_event(t, ds, 0, 1, 2, 3));
}

void parse_ml1m_items(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {"::", false});
  t.set_columns({"MovieID", "Title", "Genres"});
  Catalog catalog(ds);
  while (t.next()) {
    ItemInfo& info = catalog.add(t, 0);
    info.title = t.text(1);
    info.genres = split_labels(t.text(2));
  }
}

void parse_mllatest_events(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {});
  const std::vector<int> c = t.read_header({{"userId", "movieId", "rating", "timestamp"}, 4});
  while (t.next()) ds.events.push_back(read_event(t, ds, c[0], c[1], c[2], c[3]));
  t.require_rows();
}

void parse_mllatest_items(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {});
  const std::vector<int> c = t.read_header({{"movieId", "title", "genres"}, 3});
  Catalog catalog(ds);
  while (t.next()) {
    ItemInfo& info = catalog.add(t, static_cast<std::size_t>(c[0]));
    info.title = t.text(static_cast<std::size_t>(c[1]));
    const std::string genres = t.text(static_cast<std::size_t>(c[2]));
    info.genres = genres == "(no genres listed)" ? std::vector<std::string>{} : split_labels(genres);
  }
}

void parse_mllatest_tags(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {});
  const std::vector<int> c = t.read_header({{"userId", "movieId", "tag", "timestamp"}, 4});
  TagAdder tags(ds);
  while (t.next()) {
    t.id(static_cast<std::size_t>(c[0]));         // checked, not stored: see loaders.h
    t.timestamp(static_cast<std::size_t>(c[3]));  // checked, not stored
    const std::int32_t item = add_item(ds, t.id(static_cast<std::size_t>(c[1])));
    const std::string tag(trim(t.text(static_cast<std::size_t>(c[2]))));
    if (tag.empty()) t.fail(static_cast<std::size_t>(c[2]), "expected a tag, found an empty field");
    tags.add(item, tag);
  }
}

void parse_csv_events(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {});
  const std::vector<int> c = t.read_header({{"user", "item", "weight", "timestamp"}, 2, true});
  while (t.next()) ds.events.push_back(read_event(t, ds, c[0], c[1], c[2], c[3]));
  t.require_rows();
}

void parse_csv_items(const Text& text, const std::string& name, Dataset& ds) {
  Table t(text, name, {});
  const std::vector<int> c = t.read_header({{"item", "title", "genres", "tags", "text"}, 2, true});
  Catalog catalog(ds);
  TagAdder tags(ds);
  while (t.next()) {
    std::int32_t item = 0;
    ItemInfo& info = catalog.add(t, static_cast<std::size_t>(c[0]), &item);
    info.title = t.text(static_cast<std::size_t>(c[1]));
    if (c[2] >= 0) info.genres = split_labels(t.text(static_cast<std::size_t>(c[2])));
    if (c[4] >= 0) info.text = t.text(static_cast<std::size_t>(c[4]));
    if (c[3] >= 0) {
      for (std::string& tag : split_labels(t.text(static_cast<std::size_t>(c[3])))) tags.add(item, std::move(tag));
    }
  }
}

void load_file(const std::string& file, Format format, FileKind kind, Dataset& ds, Encoding csv_encoding) {
  const std::string raw = read_file(file);
  parse_file(raw, file, format, kind, ds, csv_encoding);
}

}  // namespace

Format parse_format(const std::string& name) {
  if (name == "ml100k") return Format::Ml100k;
  if (name == "mllatest") return Format::MlLatest;
  if (name == "ml1m") return Format::Ml1m;
  if (name == "csv") return Format::Csv;
  throw ParamError("format", "unknown format '" + name + "'; expected one of ml100k, mllatest, ml1m, csv");
}

std::string format_name(Format format) {
  switch (format) {
    case Format::Ml100k:
      return "ml100k";
    case Format::MlLatest:
      return "mllatest";
    case Format::Ml1m:
      return "ml1m";
    case Format::Csv:
      return "csv";
  }
  return "?";
}

void parse_file(std::string_view raw, const std::string& name, Format format, FileKind kind, Dataset& ds,
                Encoding csv_encoding) {
  if (kind == FileKind::Tags && format != Format::MlLatest)
    throw ParamError("kind", "tag files exist only in format mllatest, not " + format_name(format));
  const Text text = prepare_text(raw, name, format, csv_encoding);
  // Keep item_info parallel to items even if the caller's data set was not.
  ds.item_info.resize(static_cast<std::size_t>(ds.items.size()));
  const bool events = kind == FileKind::Events;
  switch (format) {
    case Format::Ml100k:
      return events ? parse_ml100k_events(text, name, ds, ds.events) : parse_ml100k_items(text, name, ds);
    case Format::Ml1m:
      return events ? parse_ml1m_events(text, name, ds) : parse_ml1m_items(text, name, ds);
    case Format::MlLatest:
      if (kind == FileKind::Tags) return parse_mllatest_tags(text, name, ds);
      return events ? parse_mllatest_events(text, name, ds) : parse_mllatest_items(text, name, ds);
    case Format::Csv:
      return events ? parse_csv_events(text, name, ds) : parse_csv_items(text, name, ds);
  }
}

Dataset load_dataset(const std::string& path, Format format) { return load_dataset(path, format, LoadOptions{}); }

Dataset load_dataset(const std::string& path, Format format, const LoadOptions& options) {
  const Encoding encoding = parse_encoding(options.encoding);
  Dataset ds;
  // Catalogs first, so catalog items take the first indices in file order.
  switch (format) {
    case Format::Ml100k:
      require_folder(path, format, "u.item and u.data");
      load_file(join_path(path, "u.item"), format, FileKind::Items, ds, encoding);
      load_file(join_path(path, "u.data"), format, FileKind::Events, ds, encoding);
      break;
    case Format::MlLatest:
      require_folder(path, format, "movies.csv, ratings.csv and optionally tags.csv");
      load_file(join_path(path, "movies.csv"), format, FileKind::Items, ds, encoding);
      load_file(join_path(path, "ratings.csv"), format, FileKind::Events, ds, encoding);
      if (is_file(join_path(path, "tags.csv")))
        load_file(join_path(path, "tags.csv"), format, FileKind::Tags, ds, encoding);
      break;
    case Format::Ml1m:
      require_folder(path, format, "movies.dat and ratings.dat");
      load_file(join_path(path, "movies.dat"), format, FileKind::Items, ds, encoding);
      load_file(join_path(path, "ratings.dat"), format, FileKind::Events, ds, encoding);
      break;
    case Format::Csv: {
      std::error_code ec;
      if (!std::filesystem::is_directory(path, ec)) {
        load_file(path, format, FileKind::Events, ds, encoding);
        break;
      }
      if (is_file(join_path(path, "items.csv")))
        load_file(join_path(path, "items.csv"), format, FileKind::Items, ds, encoding);
      load_file(join_path(path, "interactions.csv"), format, FileKind::Events, ds, encoding);
      break;
    }
  }
  return ds;
}

std::vector<Event> load_ml100k_events(const std::string& file, Dataset& ds) {
  const std::string raw = read_file(file);
  ds.item_info.resize(static_cast<std::size_t>(ds.items.size()));
  std::vector<Event> events;
  parse_ml100k_events(prepare_text(raw, file, Encoding::Latin1), file, ds, events);
  return events;
}

std::vector<std::int32_t> load_item_id_list(const std::string& file, const IdMap& items) {
  const std::string raw = read_file(file);
  return parse_item_id_list(raw, file, items);
}

std::vector<std::int32_t> parse_item_id_list(std::string_view raw, const std::string& name, const IdMap& items) {
  const std::string_view text = prepare_text(raw, name, Encoding::Utf8).body;
  std::vector<std::int32_t> out;
  std::int64_t line = 0;
  for (std::size_t start = 0; start < text.size();) {
    ++line;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view id = trim(text.substr(start, end - start));
    start = end + 1;
    if (id.empty() || id[0] == '#') continue;
    if (const std::size_t bad = find_invalid_utf8(id); bad != std::string_view::npos)
      throw DataError(name, line, "item", "invalid UTF-8 at byte " + std::to_string(bad + 1) + " of the id, found '" +
                                              printable(id) + "'");
    const std::int32_t index = items.find(std::string(id));
    if (index < 0) throw DataError(name, line, "item", "unknown item id '" + printable(id) + "' (not in the data set)");
    out.push_back(index);
  }
  if (out.empty()) throw DataError(name, 0, "", "the file lists no item id");
  return out;
}

}  // namespace reco

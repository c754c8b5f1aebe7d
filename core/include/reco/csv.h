// Delimited text held in memory (RFC 4180 CSV and MovieLens' separator formats), split
// into records of fields, and strict conversion of fields to numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

// How a file separates fields. With `quoted`, a field that starts with '"' runs to the
// matching '"', may hold separators and line breaks, and writes a quote as '""'
// (RFC 4180). A quote elsewhere in a field is an ordinary character.
struct CsvDialect {
  std::string separator = ",";  // one or more bytes: ",", "\t", "|", "::"
  bool quoted = true;
};

// Splits text into records. Lines end with "\n" or "\r\n"; the last line may lack one.
// Blank lines hold no record and are skipped. A malformed quoted field throws DataError
// naming the file, the line and (once set_field_names() was called) the field.
// Cost: one pass over the text; only quoted fields are copied.
class CsvReader {
 public:
  // `text` must outlive the reader. Throws ParamError for an empty separator or one
  // holding a quote or a line break.
  CsvReader(std::string_view text, std::string file, CsvDialect dialect);

  // Reads the next record into `fields`; false at the end of the text. The views point
  // into the text or into the reader and stay valid until the next call.
  bool next(std::vector<std::string_view>& fields);

  // 1-based line on which the record last returned by next() starts.
  std::int64_t line() const { return record_line_; }
  const std::string& file() const { return file_; }

  // Names of the columns, for messages (usually the header).
  void set_field_names(std::vector<std::string> names) { field_names_ = std::move(names); }
  // Column `index` (0-based) as messages name it: its name, else "column N" (1-based).
  std::string field_name(std::size_t index) const;

 private:
  struct Span {
    std::size_t offset;
    std::size_t length;
    bool in_scratch;  // true: unescaped copy in scratch_; false: a slice of text_
  };

  bool at_separator() const;
  void skip_blank_lines();
  void read_field();

  std::string_view text_;
  std::string file_;
  CsvDialect dialect_;
  std::vector<std::string> field_names_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;  // line of pos_
  std::int64_t record_line_ = 0;
  std::vector<Span> spans_;
  std::string scratch_;
};

// Number parsing for data fields: the whole field must be the number, ASCII only, no
// surrounding spaces, '.' as the decimal point whatever the C locale says.

// A decimal such as "4", "-0.5", "3.5e2" or ".5". nullopt on bad syntax, "nan"/"inf",
// or a magnitude beyond double's range.
std::optional<double> parse_decimal(std::string_view field);

// An optional '-' then decimal digits, within int64. nullopt otherwise.
std::optional<std::int64_t> parse_int64(std::string_view field);

}  // namespace reco

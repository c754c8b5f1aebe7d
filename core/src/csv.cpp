#include "reco/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "reco/error.h"

namespace reco {
namespace {

// A byte for a message: 'c' when printable ASCII, else its value, so that the message
// stays valid UTF-8 whatever the input holds.
std::string describe_byte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7F) return "'" + std::string(1, c) + "'";
  static const char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[b >> 4] + kHex[b & 15];
}

}  // namespace

CsvReader::CsvReader(std::string_view text, std::string file, CsvDialect dialect)
    : text_(text), file_(std::move(file)), dialect_(std::move(dialect)) {
  const std::string& sep = dialect_.separator;
  if (sep.empty() || sep.find_first_of("\r\n") != std::string::npos ||
      (dialect_.quoted && sep.find('"') != std::string::npos))
    throw ParamError("separator", "must be non-empty and hold no line break (nor a quote when quoting is on)");
}

std::string CsvReader::field_name(std::size_t index) const {
  if (index < field_names_.size()) return field_names_[index];
  return "column " + std::to_string(index + 1);
}

bool CsvReader::at_separator() const {
  const std::string& sep = dialect_.separator;
  return pos_ < text_.size() && text_[pos_] == sep[0] && text_.compare(pos_, sep.size(), sep) == 0;
}

void CsvReader::skip_blank_lines() {
  const std::size_t n = text_.size();
  while (pos_ < n) {
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (text_[pos_] == '\r' && (pos_ + 1 == n || text_[pos_ + 1] == '\n')) {
      ++pos_;
    } else {
      break;
    }
  }
}

void CsvReader::read_field() {
  const std::size_t n = text_.size();
  if (!dialect_.quoted || pos_ >= n || text_[pos_] != '"') {
    // Unquoted: up to the separator or the end of the line, without a CR of a CRLF.
    const std::size_t start = pos_;
    const char sep0 = dialect_.separator[0];
    while (pos_ < n && text_[pos_] != '\n' && !(text_[pos_] == sep0 && at_separator())) ++pos_;
    std::size_t length = pos_ - start;
    if (length > 0 && text_[pos_ - 1] == '\r' && (pos_ == n || text_[pos_] == '\n')) --length;
    spans_.push_back({start, length, false});
    return;
  }

  // Quoted: copy the content into scratch_, turning each "" into ".
  const std::int64_t open_line = line_;
  const std::size_t offset = scratch_.size();
  ++pos_;
  for (;;) {
    const std::size_t quote = text_.find('"', pos_);
    if (quote == std::string_view::npos)
      throw DataError(file_, open_line, field_name(spans_.size()),
                      "unterminated quoted field: the quote opened on this line is never closed");
    const std::string_view chunk = text_.substr(pos_, quote - pos_);
    line_ += std::count(chunk.begin(), chunk.end(), '\n');
    scratch_.append(chunk);
    pos_ = quote + 1;
    if (pos_ < n && text_[pos_] == '"') {
      scratch_.push_back('"');
      ++pos_;
      continue;
    }
    break;
  }
  spans_.push_back({offset, scratch_.size() - offset, true});

  const bool at_line_end =
      pos_ == n || text_[pos_] == '\n' || (text_[pos_] == '\r' && (pos_ + 1 == n || text_[pos_ + 1] == '\n'));
  if (!at_line_end && !at_separator())
    throw DataError(file_, line_, field_name(spans_.size() - 1),
                    "expected a separator or the end of the line after the closing quote, found " +
                        describe_byte(text_[pos_]) + " (a quote inside a quoted field is written \"\")");
}

bool CsvReader::next(std::vector<std::string_view>& fields) {
  fields.clear();
  skip_blank_lines();
  if (pos_ >= text_.size()) return false;
  record_line_ = line_;
  spans_.clear();
  scratch_.clear();
  for (;;) {
    read_field();
    if (!at_separator()) break;
    pos_ += dialect_.separator.size();
  }
  // The field ended at a line break or the end of the text: consume the break.
  if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
  if (pos_ < text_.size() && text_[pos_] == '\n') {
    ++pos_;
    ++line_;
  }
  // Views are made only now: scratch_ may have moved while the record was read.
  const std::string_view scratch(scratch_);
  for (const Span& s : spans_)
    fields.push_back(s.in_scratch ? scratch.substr(s.offset, s.length) : text_.substr(s.offset, s.length));
  return true;
}

std::optional<double> parse_decimal(std::string_view field) {
  // Hand-written rather than strtod, which reads the decimal point from the C locale.
  // The significand keeps 19 digits (exact in uint64); further digits only shift the
  // exponent, far below the float precision a weight is stored with.
  std::size_t i = 0;
  const std::size_t n = field.size();
  bool negative = false;
  if (i < n && (field[i] == '+' || field[i] == '-')) negative = field[i++] == '-';
  std::uint64_t significand = 0;
  int kept_digits = 0;
  long exponent = 0;
  bool any_digit = false;
  auto take = [&](int digit, bool fraction) {
    any_digit = true;
    if (significand == 0 && digit == 0) {
      if (fraction) --exponent;  // leading zeros carry no precision
    } else if (kept_digits < 19) {
      significand = significand * 10 + static_cast<std::uint64_t>(digit);
      ++kept_digits;
      if (fraction) --exponent;
    } else if (!fraction) {
      ++exponent;  // dropped integer digit
    }
  };
  for (; i < n && field[i] >= '0' && field[i] <= '9'; ++i) take(field[i] - '0', false);
  if (i < n && field[i] == '.') {
    for (++i; i < n && field[i] >= '0' && field[i] <= '9'; ++i) take(field[i] - '0', true);
  }
  if (!any_digit) return std::nullopt;
  if (i < n && (field[i] == 'e' || field[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (field[i] == '+' || field[i] == '-')) exp_negative = field[i++] == '-';
    if (i == n || field[i] < '0' || field[i] > '9') return std::nullopt;
    long e = 0;
    for (; i < n && field[i] >= '0' && field[i] <= '9'; ++i) e = std::min(e * 10 + (field[i] - '0'), 100000L);
    exponent += exp_negative ? -e : e;
  }
  if (i != n) return std::nullopt;

  double value = static_cast<double>(significand);
  if (significand != 0 && exponent != 0) {
    // Powers of ten up to 1e22 are exact doubles, so for a significand below 2^53 one
    // multiplication or division is correctly rounded; otherwise scale in two halves so
    // an intermediate power does not overflow or underflow early.
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (significand < (1ULL << 53) && exponent >= -22 && exponent <= 22) {
      value = exponent > 0 ? value * kPow10[exponent] : value / kPow10[-exponent];
    } else {
      const long half = exponent / 2;
      value = value * std::pow(10.0, static_cast<double>(half)) * std::pow(10.0, static_cast<double>(exponent - half));
    }
  }
  if (!std::isfinite(value)) return std::nullopt;
  return negative ? -value : value;
}

std::optional<std::int64_t> parse_int64(std::string_view field) {
  std::int64_t value = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  if (field.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace reco

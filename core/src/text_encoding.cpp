#include "reco/text_encoding.h"

#include <cstdint>
#include <cstring>

#include "reco/error.h"

namespace reco {
namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

Encoding parse_encoding(const std::string& name) {
  const std::string key = ascii_lower(name);
  if (key == "utf-8" || key == "utf8") return Encoding::Utf8;
  if (key == "latin-1" || key == "latin1" || key == "iso-8859-1") return Encoding::Latin1;
  throw ParamError("encoding", "unknown encoding '" + name + "'; expected utf-8 or latin-1");
}

std::string encoding_name(Encoding encoding) { return encoding == Encoding::Utf8 ? "utf-8" : "latin-1"; }

std::size_t find_invalid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    // Fast path: skip eight ASCII bytes at a time (most of every data file).
    if (i + 8 <= n) {
      std::uint64_t block;
      std::memcpy(&block, p + i, 8);
      if ((block & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte -> sequence length and the allowed range of the second byte, which is
    // where overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4) are excluded.
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    } else {
      return i;  // continuation byte without a lead, C0/C1 or F5..FF
    }
    if (n - i < len || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool starts_with_utf8_bom(std::string_view text) { return text.substr(0, 3) == "\xEF\xBB\xBF"; }

const char* unsupported_bom(std::string_view text) {
  using namespace std::string_view_literals;
  // UTF-32LE's mark begins with UTF-16LE's, so it is tested first.
  if (text.substr(0, 4) == "\xFF\xFE\0\0"sv) return "UTF-32LE";
  if (text.substr(0, 4) == "\0\0\xFE\xFF"sv) return "UTF-32BE";
  if (text.substr(0, 2) == "\xFF\xFE"sv) return "UTF-16LE";
  if (text.substr(0, 2) == "\xFE\xFF"sv) return "UTF-16BE";
  return nullptr;
}

}  // namespace reco

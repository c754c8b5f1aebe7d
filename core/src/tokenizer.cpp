#include "reco/tokenizer.h"

#include <climits>
#include <cstdint>

#include "reco/error.h"

namespace reco {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point at `pos` and advances it. Malformed or overlong sequences,
// surrogates and values above U+10FFFF decode to U+FFFD, consuming one byte.
char32_t next_code_point(std::string_view s, std::size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int len = 0;
  char32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return kReplacement;
  }
  if (pos + static_cast<std::size_t>(len) > s.size()) {
    ++pos;
    return kReplacement;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kReplacement;
  }
  pos += static_cast<std::size_t>(len);
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Latin-1 letters U+00C0..U+00FF folded to lower-case ASCII; nullptr for the two
// non-letters (U+00D7 multiplication sign, U+00F7 division sign).
const char* fold_latin1(char32_t cp) {
  static const char* const kFold[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // C0-CF
      "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",  // D0-DF
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",   // E0-EF
      "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "y"};  // F0-FF
  return kFold[cp - 0xC0];
}

}  // namespace

void TokenizerParams::validate() const {
  if (buckets < 1) throw ParamError("buckets", "must be >= 1");
  if (max_n < 0 || (max_n > 0 && (min_n < 1 || min_n > max_n)))
    throw ParamError("min_n", "need 1 <= min_n <= max_n (or max_n = 0), got " + std::to_string(min_n) + ".." + std::to_string(max_n));
  if (max_words < 1) throw ParamError("max_words", "must be >= 1, got " + std::to_string(max_words));
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string normalize_text(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  bool pending_space = false;
  auto emit = [&](const char* ascii, char32_t cp) {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    if (ascii) {
      out += ascii;
    } else {
      append_utf8(out, cp);
    }
  };
  char ascii[2] = {0, 0};
  for (std::size_t pos = 0; pos < utf8.size();) {
    const char32_t cp = next_code_point(utf8, pos);
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
      ascii[0] = static_cast<char>(cp);
      emit(ascii, cp);
    } else if (cp >= 'A' && cp <= 'Z') {
      ascii[0] = static_cast<char>(cp - 'A' + 'a');
      emit(ascii, cp);
    } else if (cp >= 0xC0 && cp <= 0xFF && fold_latin1(cp)) {
      emit(fold_latin1(cp), cp);
    } else if (cp > 0xFF && cp != kReplacement) {
      emit(nullptr, cp);  // other scripts: kept, so they still form words
    } else {
      pending_space = true;  // punctuation, symbols, controls, spaces, invalid bytes
    }
  }
  return out;
}

Tokenizer::Tokenizer(TokenizerParams params) : params_(params) { params_.validate(); }

std::vector<std::string> Tokenizer::words(std::string_view utf8) const {
  const std::string norm = normalize_text(utf8);
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < norm.size() && out.size() < static_cast<std::size_t>(params_.max_words)) {
    std::size_t end = norm.find(' ', start);
    if (end == std::string::npos) end = norm.size();
    out.push_back(norm.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::uint32_t Tokenizer::bucket(char space, std::string_view token) const {
  std::string key;
  key.reserve(token.size() + 2);
  key += space;
  key += ':';
  key += token;
  return static_cast<std::uint32_t>(fnv1a64(key) % params_.buckets);
}

std::vector<std::uint32_t> Tokenizer::features(std::string_view utf8) const {
  const auto ws = words(utf8);
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    out.push_back(bucket('w', ws[i]));
    if (params_.bigrams && i + 1 < ws.size()) out.push_back(bucket('b', ws[i] + " " + ws[i + 1]));
    if (params_.max_n == 0) continue;
    // Character n-grams over code points of "<word>", so the markers tell prefixes and
    // suffixes apart and multi-byte letters are never split.
    std::vector<std::size_t> starts;  // byte offset of each code point, plus the end
    const std::string marked = "<" + ws[i] + ">";
    for (std::size_t pos = 0; pos < marked.size();) {
      starts.push_back(pos);
      next_code_point(marked, pos);
    }
    starts.push_back(marked.size());
    const std::size_t n_cp = starts.size() - 1;
    for (int n = params_.min_n; n <= params_.max_n; ++n) {
      const auto len = static_cast<std::size_t>(n);
      if (len > n_cp) break;
      for (std::size_t s = 0; s + len <= n_cp; ++s)
        out.push_back(bucket('c', std::string_view(marked).substr(starts[s], starts[s + len] - starts[s])));
    }
  }
  return out;
}

nlohmann::json Tokenizer::to_json() const {
  return {{"kind", "hashed-ngrams"}, {"hash", "fnv1a64"},         {"buckets", params_.buckets},
          {"min_n", params_.min_n},  {"max_n", params_.max_n},    {"bigrams", params_.bigrams},
          {"max_words", params_.max_words}, {"normalization", "utf8-latin1-fold-v1"}};
}

namespace {

// j[key] as an integer in [lo, hi]; anything else (missing, a string, a float, out of
// range) is a DataError naming the field, never a conversion of an unrepresentable value.
std::int64_t integer_field(const nlohmann::json& j, const char* key, std::int64_t lo, std::int64_t hi,
                           const std::string& source) {
  const auto it = j.find(key);
  if (it == j.end()) throw DataError(source, 0, key, "missing");
  if (!it->is_number_integer())  // an array or object by its type: a deep one's dump overflows the stack
    throw DataError(source, 0, key, "expected an integer, found " + (it->is_structured() ? std::string("an ") + it->type_name() : it->dump()));
  if (it->is_number_unsigned() ? it->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)
                               : (it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi))
    throw DataError(source, 0, key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], found " + it->dump());
  return it->get<std::int64_t>();
}

std::string string_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Tokenizer Tokenizer::from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) throw DataError(source, 0, "", "expected a JSON object");
  if (string_field(j, "kind") != "hashed-ngrams" || string_field(j, "hash") != "fnv1a64" ||
      string_field(j, "normalization") != "utf8-latin1-fold-v1")
    throw DataError(source, 0, "kind", "unsupported tokenizer (expected hashed-ngrams, fnv1a64, utf8-latin1-fold-v1)");
  TokenizerParams p;
  p.buckets = static_cast<std::uint32_t>(integer_field(j, "buckets", 1, UINT32_MAX, source));
  p.min_n = static_cast<int>(integer_field(j, "min_n", INT32_MIN, INT32_MAX, source));
  p.max_n = static_cast<int>(integer_field(j, "max_n", INT32_MIN, INT32_MAX, source));
  p.max_words = static_cast<int>(integer_field(j, "max_words", INT32_MIN, INT32_MAX, source));
  const auto bigrams = j.find("bigrams");
  if (bigrams == j.end() || !bigrams->is_boolean()) throw DataError(source, 0, "bigrams", "expected true or false");
  p.bigrams = bigrams->get<bool>();
  try {
    return Tokenizer(p);
  } catch (const ParamError& e) {
    throw DataError(source, 0, e.param(), e.what());
  }
}

}  // namespace reco

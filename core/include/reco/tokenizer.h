// Turning item text into hashed feature ids, identically natively and in WebAssembly.
//
// normalize(): UTF-8 in (invalid bytes become U+FFFD, never an error), lower case with
// Latin-1 accented letters folded to their base letter (é -> e, ß -> ss), every
// character that is not a letter or digit becomes a space, runs of spaces collapse.
// Code points above U+00FF are kept as they are (lower-casing those needs Unicode
// tables; they still form words and character n-grams).
//
// features(): for the first `max_words` words of the normalised text, the word itself
// ("w" namespace), each pair of adjacent words ("b"), and the character n-grams of
// "<word>" for n in [min_n, max_n] ("c"), each hashed with 64-bit FNV-1a (a published,
// platform-independent hash) into `buckets` ids. Feature order follows the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace reco {

struct TokenizerParams {
  std::uint32_t buckets = 1u << 18;  // hashed feature space size; ids are in [0, buckets)
  int min_n = 3;                     // shortest character n-gram (code points, with < > markers)
  int max_n = 5;                     // longest character n-gram; 0 disables n-grams
  bool bigrams = true;               // emit adjacent word pairs
  int max_words = 256;               // words beyond this are ignored (bounds work per text)

  void validate() const;  // ParamError naming the field
};

// 64-bit FNV-1a of `bytes`.
std::uint64_t fnv1a64(std::string_view bytes);

// The normalised form described above (UTF-8 out).
std::string normalize_text(std::string_view utf8);

class Tokenizer {
 public:
  explicit Tokenizer(TokenizerParams params = {});

  const TokenizerParams& params() const { return params_; }

  // Words of the normalised text (at most max_words).
  std::vector<std::string> words(std::string_view utf8) const;
  // Hashed feature ids of the text, in text order, repeats kept.
  std::vector<std::uint32_t> features(std::string_view utf8) const;

  // The parameters as shipped beside the encoder (tokenizer.json), and back.
  nlohmann::json to_json() const;
  static Tokenizer from_json(const nlohmann::json& j, const std::string& source);

 private:
  std::uint32_t bucket(char space, std::string_view token) const;
  TokenizerParams params_;
};

}  // namespace reco

// Text encodings of input files. Everything the core keeps is UTF-8; input is either
// UTF-8 (checked) or Latin-1 (converted), and byte-order marks are recognised so that a
// UTF-16/UTF-32 file fails with a clear message instead of as garbled ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace reco {

enum class Encoding { Utf8, Latin1 };

// "utf-8" or "latin-1" (also "utf8", "latin1", "iso-8859-1"; any letter case).
// Anything else throws ParamError("encoding", ...) listing the valid names.
Encoding parse_encoding(const std::string& name);
std::string encoding_name(Encoding encoding);

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or
// std::string_view::npos when all of `bytes` is valid UTF-8.
std::size_t find_invalid_utf8(std::string_view bytes);

// Latin-1 (ISO-8859-1) bytes as UTF-8: bytes 0x80-0xFF become two-byte sequences.
std::string latin1_to_utf8(std::string_view bytes);

// True when `text` starts with the UTF-8 byte-order mark EF BB BF.
bool starts_with_utf8_bom(std::string_view text);

// The name of the encoding announced by a UTF-16 or UTF-32 byte-order mark at the start
// of `text` ("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"), or nullptr when none.
const char* unsupported_bom(std::string_view text);

}  // namespace reco

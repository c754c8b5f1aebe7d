// gzip (RFC 1952) compression of a whole response body, for `reco serve`.
//
// httplib compresses bodies itself, but by its own rules (brotli first, WebAssembly
// never, q=0 ignored) and after our handler has chosen the ETag, so the server
// compresses here instead and hands httplib finished bytes.
#pragma once

#include <string>
#include <string_view>

namespace reco::serve {

// The gzip stream of `data` (zlib level 6; the header carries no name or time, so the
// same input always gives the same bytes).
std::string gzip_compress(std::string_view data);

}  // namespace reco::serve

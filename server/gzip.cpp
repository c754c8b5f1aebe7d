#include "gzip.h"

#include <stdexcept>

#include <zlib.h>

namespace reco::serve {

std::string gzip_compress(std::string_view data) {
  // One deflate call takes 32-bit sizes; callers compress far smaller bodies.
  if (data.size() > 0xFFFF0000u) throw std::length_error("gzip: body too large to compress in one piece");
  z_stream z{};
  // windowBits 15 + 16 selects the gzip wrapper instead of zlib's own.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  // deflateBound() is enough room for one Z_FINISH call to complete.
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

}  // namespace reco::serve

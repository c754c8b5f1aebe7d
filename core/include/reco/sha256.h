// SHA-256 (FIPS 180-4), for checksums of model bundles and their sections.
//
// Written here from the standard rather than taken from OpenSSL: the core runs in
// WebAssembly, where there is no OpenSSL, and a bundle must hash to the same digest in
// the browser as on the machine that wrote it. The code is plain 32-bit integer
// arithmetic with explicit big-endian byte handling, so the result does not depend on
// the platform's byte order.
//
//   Sha256 h;
//   h.update(header, header_bytes);      // any number of pieces, of any sizes
//   h.update(section, section_bytes);
//   std::array<std::uint8_t, 32> d = h.digest();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace reco {

// Incremental hasher: hashing a message in pieces gives the digest of their
// concatenation, whatever the split. Messages up to 2^61 - 1 bytes (the standard's
// 2^64-bit length limit).
class Sha256 {
 public:
  Sha256() { reset(); }

  // Appends n bytes. `data` may be null when n == 0.
  void update(const void* data, std::size_t n);

  // Finishes the message (padding and length), returns its digest and resets the hasher
  // to the empty message, so one object can hash several messages in turn.
  std::array<std::uint8_t, 32> digest();

 private:
  void reset();
  void compress(const std::uint8_t* block);  // one 64-byte block into state_

  std::array<std::uint32_t, 8> state_{};    // H(i), the running hash value
  std::array<std::uint8_t, 64> buffer_{};   // the message's incomplete last block
  std::size_t buffered_ = 0;                // bytes used in buffer_, always < 64
  std::uint64_t length_ = 0;                // message bytes so far
};

// The digest of n bytes as 64 lowercase hex digits (the form `sha256sum` prints).
std::string sha256_hex(const void* data, std::size_t n);

}  // namespace reco

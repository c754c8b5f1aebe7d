#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "reco/sha256.h"

using reco::Sha256;
using reco::sha256_hex;

namespace {

std::string hex(const std::array<std::uint8_t, 32>& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (const std::uint8_t b : d) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

std::string hex_of(const std::string& s) { return sha256_hex(s.data(), s.size()); }

// Bytes 0, 1, 2, ... (mod 256): the inputs of the padding-edge test.
std::vector<std::uint8_t> counting_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i);
  return v;
}

}  // namespace

TEST_CASE("SHA-256 of the NIST example messages", "[sha256]") {
  CHECK(sha256_hex(nullptr, 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  const std::string million(1000000, 'a');
  CHECK(hex_of(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  // The same million bytes fed 1000 at a time, the way a large section is hashed.
  Sha256 h;
  for (int i = 0; i < 1000; ++i) h.update(million.data() + 1000 * i, 1000);
  CHECK(hex(h.digest()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 at the padding edges (55 to 65 bytes)", "[sha256]") {
  // 55 bytes leave exactly room for the 0x80 byte and the 8 length bytes; 56 to 63 push
  // the length into a second block; 64 and 65 cross a full block. Expected values from
  //   python3 -c "import sys; sys.stdout.buffer.write(bytes(i % 256 for i in range(N)))" | sha256sum
  const std::pair<std::size_t, const char*> cases[] = {
      {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
      {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
      {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
      {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
      {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
  };
  for (const auto& [n, expected] : cases) {
    INFO("length " << n);
    const std::vector<std::uint8_t> data = counting_bytes(n);
    CHECK(sha256_hex(data.data(), data.size()) == expected);
  }
}

TEST_CASE("SHA-256 in pieces equals SHA-256 in one call, whatever the split", "[sha256]") {
  // 200 bytes: more than three blocks, so splits fall before, inside and across blocks.
  // Expected value from
  //   python3 -c "import sys; sys.stdout.buffer.write(bytes((i * 37 + 11) % 256 for i in range(200)))" | sha256sum
  std::vector<std::uint8_t> data(200);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 37 + 11);
  const std::string whole = sha256_hex(data.data(), data.size());
  REQUIRE(whole == "5e48d64839a8bff5e2471507af6a49f9990817df437857f4a2007df41266e1b5");

  Sha256 h;  // reused: digest() resets it to the empty message
  for (std::size_t a = 0; a <= data.size(); ++a) {
    for (std::size_t b = a; b <= data.size(); ++b) {
      h.update(data.data(), a);
      h.update(data.data() + a, b - a);
      h.update(data.data() + b, data.size() - b);
      const std::string pieces = hex(h.digest());
      if (pieces != whole) FAIL("split at " << a << " and " << b << ": " << pieces);
    }
  }
  for (const std::uint8_t byte : data) h.update(&byte, 1);
  CHECK(hex(h.digest()) == whole);
}

TEST_CASE("Sha256 starts over after digest() and accepts empty updates", "[sha256]") {
  Sha256 h;
  h.update("abc", 3);
  h.update(nullptr, 0);
  CHECK(hex(h.digest()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(h.digest()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.update("abc", 3);
  CHECK(hex(h.digest()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

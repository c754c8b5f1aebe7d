#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "reco/error.h"
#include "reco/quantize.h"
#include "reco/random.h"

using namespace reco;

namespace {

float from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::uint32_t to_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

bool half_is_nan(std::uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

}  // namespace

TEST_CASE("int8 rows: exact values, ties to even, scale a power of two", "[quantize]") {
  // Row 0: max 127, so scale 1 and q = nearbyint(x) exactly. Row 1: max 63.5, scale 0.5.
  // Dividing by a power of two is exact, so every tie below is a true tie.
  const std::vector<float> data{
      127.0f, -63.5f, 0.5f, 1.5f,  -2.5f, 100.4f, -127.0f,
      63.5f,  0.25f,  0.75f, -1.0f, 0.0f, -0.0f,  -63.5f,
  };
  const Int8Rows q = quantize_rows_int8(data.data(), 2, 7);
  REQUIRE(q.rows == 2);
  REQUIRE(q.cols == 7);
  CHECK(q.scales == std::vector<float>{1.0f, 0.5f});
  CHECK(q.values == std::vector<std::int8_t>{127, -64, 0, 2, -2, 100, -127,  //
                                             127, 0, 2, -2, 0, 0, -127});
  std::vector<float> back(data.size());
  dequantize_rows(q, back.data());
  CHECK(back == std::vector<float>{127.0f, -64.0f, 0.0f, 2.0f, -2.0f, 100.0f, -127.0f,  //
                                   63.5f, 0.0f, 1.0f, -1.0f, 0.0f, 0.0f, -63.5f});
}

TEST_CASE("int8 rows: the round trip is within half a step per element", "[quantize]") {
  Rng rng(7);
  const std::int32_t rows = 200, cols = 33;
  std::vector<float> data(static_cast<std::size_t>(rows) * cols);
  for (std::int32_t r = 0; r < rows; ++r) {
    // Magnitudes from 1e-30 to 1e30, so scales span normal floats far from 1.
    const double magnitude = std::pow(10.0, -30.0 + 60.0 * rng.uniform());
    for (std::int32_t k = 0; k < cols; ++k)
      data[static_cast<std::size_t>(r) * cols + k] = static_cast<float>((2.0 * rng.uniform() - 1.0) * magnitude);
  }
  const Int8Rows q = quantize_rows_int8(data.data(), rows, cols);
  std::vector<float> back(data.size());
  dequantize_rows(q, back.data());
  for (std::int32_t r = 0; r < rows; ++r) {
    const double scale = q.scales[static_cast<std::size_t>(r)];
    int extreme = 0;
    for (std::int32_t k = 0; k < cols; ++k) {
      const std::size_t i = static_cast<std::size_t>(r) * cols + k;
      const std::int8_t v = q.values[i];
      REQUIRE(v >= -127);
      extreme = std::max(extreme, std::abs(static_cast<int>(v)));
      // Half a step, plus the float rounding of x / scale and q * scale (quantize.h).
      const double error = std::fabs(static_cast<double>(data[i]) - static_cast<double>(back[i]));
      if (!(error <= scale * (0.5 + std::ldexp(1.0, -14))))
        FAIL("row " << r << " column " << k << ": error " << error << " with scale " << scale);
    }
    CHECK(extreme == 127);  // the largest magnitude maps to the end of the range
  }
}

TEST_CASE("int8 rows: zero rows, empty input and invalid input", "[quantize]") {
  const std::vector<float> data{0.0f, -0.0f, 0.0f, 1e-45f, -1e-45f, 0.0f};
  const Int8Rows q = quantize_rows_int8(data.data(), 2, 3);
  // Zero row and a row too small for a nonzero scale: scale 0, values 0, exact zeros back.
  CHECK(q.scales == std::vector<float>{0.0f, 0.0f});
  CHECK(q.values == std::vector<std::int8_t>(6, 0));
  std::vector<float> back(6, 1.0f);
  dequantize_rows(q, back.data());
  CHECK(back == std::vector<float>(6, 0.0f));

  CHECK(quantize_rows_int8(nullptr, 0, 5).values.empty());
  const Int8Rows no_cols = quantize_rows_int8(nullptr, 3, 0);
  CHECK(no_cols.scales == std::vector<float>(3, 0.0f));
  CHECK(no_cols.values.empty());

  std::vector<float> bad{1.0f, 2.0f, 3.0f, 4.0f, std::numeric_limits<float>::quiet_NaN(), 6.0f};
  try {
    quantize_rows_int8(bad.data(), 2, 3);
    FAIL("NaN accepted");
  } catch (const ParamError& e) {
    CHECK(e.param() == "data");
    CHECK_THAT(e.what(), Catch::Contains("row 1, column 1 is NaN"));
  }
  bad[4] = -std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(quantize_rows_int8(bad.data(), 2, 3), Catch::Contains("row 1, column 1 is infinite"));
  CHECK_THROWS_AS(quantize_rows_int8(bad.data(), -1, 3), ParamError);
  CHECK_THROWS_AS(quantize_rows_int8(bad.data(), 2, -3), ParamError);

  Int8Rows broken = quantize_rows_int8(data.data(), 2, 3);
  broken.scales.pop_back();
  CHECK_THROWS_WITH(dequantize_rows(broken, back.data()), Catch::Contains("2 x 3 int8 rows hold 6 values and 1 scales"));
}

TEST_CASE("half: special values, limits and subnormals", "[quantize]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(1.0f) == 0x3c00);
  CHECK(float_to_half(-2.0f) == 0xc000);
  CHECK(float_to_half(65504.0f) == 0x7bff);                        // largest half
  CHECK(float_to_half(std::nextafter(65520.0f, 0.0f)) == 0x7bff);  // below the midpoint
  CHECK(float_to_half(65520.0f) == 0x7c00);                        // the midpoint ties to even: inf
  CHECK(float_to_half(-65520.0f) == 0xfc00);
  CHECK(float_to_half(std::numeric_limits<float>::max()) == 0x7c00);
  CHECK(float_to_half(inf) == 0x7c00);
  CHECK(float_to_half(-inf) == 0xfc00);
  CHECK(half_is_nan(float_to_half(std::numeric_limits<float>::quiet_NaN())));
  CHECK(half_is_nan(float_to_half(-std::numeric_limits<float>::quiet_NaN())));
  CHECK(half_is_nan(float_to_half(from_bits(0x7f800001u))));  // payload only in the low bits

  CHECK(float_to_half(std::ldexp(1.0f, -14)) == 0x0400);          // smallest normal
  CHECK(float_to_half(std::ldexp(1023.0f, -24)) == 0x03ff);       // largest subnormal
  CHECK(float_to_half(std::ldexp(1.0f, -24)) == 0x0001);          // smallest subnormal
  CHECK(float_to_half(std::ldexp(1.0f, -25)) == 0x0000);          // tie with 0: even
  CHECK(float_to_half(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 0x0001);
  CHECK(float_to_half(std::ldexp(3.0f, -25)) == 0x0002);          // tie 1 / 2: even
  CHECK(float_to_half(std::ldexp(5.0f, -25)) == 0x0002);          // tie 2 / 3: even
  CHECK(float_to_half(1e-8f) == 0x0000);
  CHECK(float_to_half(-1e-8f) == 0x8000);
  CHECK(float_to_half(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(float_to_half(std::ldexp(2047.0f, -25)) == 0x0400);       // rounds up into the normals

  CHECK(half_to_float(0x0000) == 0.0f);
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(half_to_float(0x3c00) == 1.0f);
  CHECK(half_to_float(0x3555) == 0.333251953125f);
  CHECK(half_to_float(0x7bff) == 65504.0f);
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_to_float(0x03ff) == std::ldexp(1023.0f, -24));
  CHECK(half_to_float(0x7c00) == inf);
  CHECK(half_to_float(0xfc00) == -inf);
  CHECK(std::isnan(half_to_float(0x7e00)));
}

TEST_CASE("half: round to nearest, ties to even", "[quantize]") {
  // Halves near 1 are 2^-10 apart, so 2^-11 is half a step.
  const float half_step = std::ldexp(1.0f, -11);
  CHECK(float_to_half(1.0f + half_step) == 0x3c00);                              // tie: even 1
  CHECK(float_to_half(1.0f + 3.0f * half_step) == 0x3c02);                       // tie: even 1 + 2^-9
  CHECK(float_to_half(std::nextafter(1.0f + half_step, 2.0f)) == 0x3c01);        // above the tie
  CHECK(float_to_half(std::nextafter(1.0f + 3.0f * half_step, 0.0f)) == 0x3c01); // below the tie
  CHECK(float_to_half(-(1.0f + 3.0f * half_step)) == 0xbc02);
  CHECK(float_to_half(2.0f - half_step / 2.0f) == 0x4000);  // carries into the exponent
}

TEST_CASE("half: every half survives the round trip through float", "[quantize]") {
  for (std::uint32_t bits = 0; bits <= 0xffffu; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float(h);
    if (half_is_nan(h)) {
      if (!std::isnan(f) || !half_is_nan(float_to_half(f))) FAIL("NaN " << bits << " lost its NaN-ness");
    } else if (float_to_half(f) != h) {
      FAIL("half " << bits << " -> " << f << " -> " << float_to_half(f));
    }
  }
}

TEST_CASE("half: conversion picks the nearest half for floats of every exponent", "[quantize]") {
  // A stride through the float bit patterns below 65520: each result must be at least as
  // close as its neighbours, and even when a neighbour is equally close.
  for (std::uint32_t bits = 0; bits < 0x477ff000u; bits += 4099u) {
    for (const float f : {from_bits(bits), -from_bits(bits)}) {
      const std::uint16_t h = float_to_half(f);
      const std::uint16_t magnitude = h & 0x7fffu;
      REQUIRE(magnitude <= 0x7bffu);
      const double error = std::fabs(static_cast<double>(f) - half_to_float(h));
      for (const int step : {-1, 1}) {
        const int neighbour = magnitude + step;
        if (neighbour < 0 || neighbour > 0x7bff) continue;
        const auto other = static_cast<std::uint16_t>((h & 0x8000u) | static_cast<std::uint32_t>(neighbour));
        const double other_error = std::fabs(static_cast<double>(f) - half_to_float(other));
        if (error > other_error || (error == other_error && (h & 1u)))
          FAIL("float bits " << to_bits(f) << " -> half " << h << ", but " << other << " is nearer or even");
      }
    }
  }
}

TEST_CASE("half: array conversions match the scalar ones", "[quantize]") {
  const std::vector<float> in{0.0f, -1.5f, 65504.0f, 1e-8f, 3.14159f, 1e6f};
  std::vector<std::uint16_t> halves(in.size());
  floats_to_half(in.data(), in.size(), halves.data());
  std::vector<float> out(in.size());
  half_to_floats(halves.data(), halves.size(), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CHECK(halves[i] == float_to_half(in[i]));
    CHECK(out[i] == half_to_float(halves[i]));
  }
  CHECK(out[4] == 3.140625f);
}

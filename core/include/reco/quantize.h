// Compact number formats for model bundles: symmetric int8 with one float scale per row,
// and IEEE 754 binary16 ("half") floats.
//
// A bundle written natively must decode to the same floats in the browser, so every
// function here gives bit-identical results natively and in WebAssembly: plain scalar
// float code (no fused multiply-add: the build passes -ffp-contract=off), rounding
// whose tie rule is stated, and half conversion done on the bit patterns with integer
// arithmetic only (no dependence on F16C or other hardware conversions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace reco {

// A rows x cols float matrix as int8 values with one scale per row:
//   value[r][k] ~= values[r * cols + k] * scales[r],  values in [-127, 127]
// (-128 is never produced, so negating a value cannot overflow).
// Invariant: values.size() == rows * cols, scales.size() == rows.
struct Int8Rows {
  std::int32_t rows = 0;
  std::int32_t cols = 0;
  std::vector<std::int8_t> values;  // row-major
  std::vector<float> scales;        // per row, >= 0; 0 for a row of zeros
};

// Symmetric per-row quantisation: scale = max|x| / 127 (float division) and
// q = clamp(nearbyint(x / scale), -127, 127). nearbyint rounds to nearest with ties to
// even: the core never changes the floating-point rounding mode, and WebAssembly has
// only that mode. QuantizedEncoder::quantize uses this; ease.cpp's sparsify_rows does
// not (it rounds ties away from zero and gives empty rows scale 1).
//
// Per element, |x - q * scale| <= scale / 2, plus the float rounding of x / scale and
// q * scale (well under 2^-14 scale) while the scale is a normal float, i.e.
// max|x| >= 127 * 2^-126 (about 1.5e-36); below that the scale loses precision.
//
// A row of zeros gets scale 0 (not 1) and all-zero values, so dequantising it gives
// exact zeros with no special case; so does a row so small that max|x| / 127 underflows
// to 0 (max|x| below about 9e-44).
//
// rows, cols >= 0 (ParamError "rows" / "cols" otherwise). A NaN or infinite value is a
// ParamError("data") naming its row and column: it has no int8 form, and it would
// otherwise turn its whole row's scale into NaN.
Int8Rows quantize_rows_int8(const float* data, std::int32_t rows, std::int32_t cols);

// Writes rows * cols floats: out[r * cols + k] = float(values[r * cols + k]) * scales[r].
// ParamError("q") when q breaks its size invariant (it may come from a file).
void dequantize_rows(const Int8Rows& q, float* out);

// float -> IEEE 754 binary16, rounding to nearest with ties to even. Values at or above
// 65520 in magnitude (the midpoint between 65504, the largest half, and 2^16) become
// infinity of the same sign; values at or below 2^-25 in magnitude become a zero of the
// same sign (2^-25 itself is the tie between 0 and the smallest subnormal 2^-24, and
// goes to even, i.e. zero); in between, subnormal halves are produced exactly rounded.
// Infinities stay infinities; a NaN stays a NaN (sign and the top 10 payload bits kept,
// made quiet so the payload cannot collapse to the infinity pattern).
std::uint16_t float_to_half(float f);

// binary16 -> float. Exact: every half value, subnormals included, is a float.
float half_to_float(std::uint16_t h);

// Element-wise forms of the two conversions above.
void floats_to_half(const float* in, std::size_t n, std::uint16_t* out);
void half_to_floats(const std::uint16_t* in, std::size_t n, float* out);

}  // namespace reco

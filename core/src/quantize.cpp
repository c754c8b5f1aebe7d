#include "reco/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "reco/error.h"

namespace reco {

namespace {

std::uint32_t float_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Adds 1 to `kept` when the dropped low bits `rest` (out of `half_ulp` * 2, the weight
// of kept's last bit) are above half, or exactly half and kept is odd: round to nearest,
// ties to even. A carry out of the mantissa moves into the exponent field, which is
// what the next representable value needs (up to and including infinity).
std::uint32_t round_even(std::uint32_t kept, std::uint32_t rest, std::uint32_t half_ulp) {
  return kept + ((rest > half_ulp || (rest == half_ulp && (kept & 1u))) ? 1u : 0u);
}

}  // namespace

Int8Rows quantize_rows_int8(const float* data, std::int32_t rows, std::int32_t cols) {
  if (rows < 0) throw ParamError("rows", "must be >= 0, got " + std::to_string(rows));
  if (cols < 0) throw ParamError("cols", "must be >= 0, got " + std::to_string(cols));
  Int8Rows q;
  q.rows = rows;
  q.cols = cols;
  const auto n_cols = static_cast<std::size_t>(cols);
  q.values.resize(static_cast<std::size_t>(rows) * n_cols);
  q.scales.resize(static_cast<std::size_t>(rows));
  for (std::size_t r = 0; r < q.scales.size(); ++r) {
    const float* row = data + r * n_cols;
    float max_abs = 0.0f;
    for (std::size_t k = 0; k < n_cols; ++k) {
      if (!std::isfinite(row[k]))
        throw ParamError("data", "row " + std::to_string(r) + ", column " + std::to_string(k) + " is " +
                                     (std::isnan(row[k]) ? "NaN" : "infinite") + "; int8 rows need finite values");
      max_abs = std::max(max_abs, std::fabs(row[k]));
    }
    const float scale = max_abs / 127.0f;
    q.scales[r] = scale;
    std::int8_t* out = q.values.data() + r * n_cols;
    if (scale <= 0.0f) continue;  // values are already zero
    for (std::size_t k = 0; k < n_cols; ++k)
      out[k] = static_cast<std::int8_t>(std::clamp(std::nearbyint(row[k] / scale), -127.0f, 127.0f));
  }
  return q;
}

void dequantize_rows(const Int8Rows& q, float* out) {
  if (q.rows < 0 || q.cols < 0 || q.scales.size() != static_cast<std::size_t>(q.rows) ||
      q.values.size() != static_cast<std::size_t>(q.rows) * static_cast<std::size_t>(q.cols))
    throw ParamError("q", std::to_string(q.rows) + " x " + std::to_string(q.cols) + " int8 rows hold " +
                              std::to_string(q.values.size()) + " values and " + std::to_string(q.scales.size()) +
                              " scales");
  const auto n_cols = static_cast<std::size_t>(q.cols);
  for (std::size_t r = 0; r < q.scales.size(); ++r)
    for (std::size_t k = 0; k < n_cols; ++k)
      out[r * n_cols + k] = static_cast<float>(q.values[r * n_cols + k]) * q.scales[r];
}

// Layouts: float = sign(1) exponent(8, bias 127) mantissa(23);
//          half  = sign(1) exponent(5, bias 15)  mantissa(10).
std::uint16_t float_to_half(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t exponent = (u >> 23) & 0xffu;
  const std::uint32_t mantissa = u & 0x7fffffu;
  if (exponent == 0xffu) {
    if (mantissa == 0) return static_cast<std::uint16_t>(sign | 0x7c00u);                      // infinity
    return static_cast<std::uint16_t>(sign | 0x7c00u | 0x0200u | (mantissa >> 13));          // quiet NaN
  }
  const int e = static_cast<int>(exponent) - 127;  // unbiased; float zeros and subnormals give -127
  if (e > 15) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 2^16: beyond any rounding
  if (e >= -14) {
    // Half normal range: keep the top 10 mantissa bits, round on the 13 dropped ones.
    const std::uint32_t kept = (static_cast<std::uint32_t>(e + 15) << 10) | (mantissa >> 13);
    return static_cast<std::uint16_t>(sign | round_even(kept, mantissa & 0x1fffu, 0x1000u));
  }
  // Half subnormals are m * 2^-24 with m < 1024. The float is (2^23 + mantissa) * 2^(e-23),
  // so m = (2^23 + mantissa) >> shift with shift = -1 - e, which is 14 at e = -15. At
  // shift 24 the value is in [2^-25, 2^-24) and still rounds to 0 or 2^-24; below that
  // (float subnormals included) it is under half the smallest subnormal: a signed zero.
  const int shift = -1 - e;
  if (shift > 24) return static_cast<std::uint16_t>(sign);
  const std::uint32_t full = 0x800000u | mantissa;
  const std::uint32_t dropped = full & ((1u << shift) - 1u);
  return static_cast<std::uint16_t>(sign | round_even(full >> shift, dropped, 1u << (shift - 1)));
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1fu) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // infinity, NaN
  if (exponent == 0) {
    if (mantissa == 0) return bits_float(sign);  // signed zero
    // Subnormal m * 2^-24: shift the leading 1 up to the implicit-bit position (bit 10),
    // lowering the exponent from the subnormals' -14 once per step.
    int e = -14;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    return bits_float(sign | (static_cast<std::uint32_t>(e + 127) << 23) | ((mantissa & 0x3ffu) << 13));
  }
  return bits_float(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

void floats_to_half(const float* in, std::size_t n, std::uint16_t* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = float_to_half(in[i]);
}

void half_to_floats(const std::uint16_t* in, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(in[i]);
}

}  // namespace reco

#include "reco/int8_scoring.h"

#include <cmath>
#include <string>

#include "reco/error.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace reco {

std::vector<std::int16_t> quantize_query_int16(const float* x, std::size_t n) {
  std::vector<std::int16_t> q(n, 0);
  float max_abs = 0.0f;
  for (std::size_t k = 0; k < n; ++k) {
    if (!std::isfinite(x[k])) return q;
    max_abs = std::max(max_abs, std::fabs(x[k]));
  }
  if (!(max_abs > 0.0f)) return q;
  // x / max|x| is in [-1, 1], so the product stays within +-32767 after rounding.
  for (std::size_t k = 0; k < n; ++k) q[k] = static_cast<std::int16_t>(std::nearbyint(x[k] / max_abs * 32767.0f));
  return q;
}

namespace {

// sum_k v[k] * q[k], exact in int32 (n <= kInt8ScoringMaxCols). Natively the compiler
// vectorises the plain loop well (pmaddwd, or vpdpwssd with AVX-512 VNNI); for SIMD128 it
// would widen to 32 bits and multiply four lanes at a time, so WebAssembly gets the
// 16-bit dot product instruction spelled out: eight products per step. Integer sums do
// not depend on their order, so both give the same value.
std::int32_t dot_int8_int16(const std::int8_t* v, const std::int16_t* q, std::size_t n) {
  std::size_t k = 0;
  std::int32_t sum = 0;
#ifdef __wasm_simd128__
  v128_t acc = wasm_i32x4_splat(0);
  for (; k + 8 <= n; k += 8) acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(v + k), wasm_v128_load(q + k)));
  sum = wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) + wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
#endif
  for (; k < n; ++k) sum += static_cast<std::int32_t>(v[k]) * static_cast<std::int32_t>(q[k]);
  return sum;
}

}  // namespace

void int8_rows_scores(const Int8Rows& rows, const std::int16_t* q, float* out) {
  if (rows.cols > kInt8ScoringMaxCols)
    throw ParamError("rows", std::to_string(rows.cols) + " columns; integer scoring takes at most " + std::to_string(kInt8ScoringMaxCols));
  const auto n = static_cast<std::size_t>(rows.cols);
  const std::int8_t* v = rows.values.data();
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows.rows); ++r, v += n)
    out[r] = rows.scales[r] * static_cast<float>(dot_int8_int16(v, q, n));
}

}  // namespace reco

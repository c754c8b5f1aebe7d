// Inner products of a query with every row of an int8 matrix, in integer arithmetic: the
// ranker's first stage, which picks each signal's top-N candidates out of the whole
// catalog, scores with these instead of float dot products.
//
// Why integers: an integer sum is exact, so the compiler may vectorise it in any order
// (AVX2 natively, SIMD128 in WebAssembly) and every platform still gets the same bits;
// 8-bit items and a 16-bit query move 6x fewer bytes than two float rows. The candidates'
// final scores are computed afterwards in float (portable_math.h), so the int8 rounding
// only decides which items near the N-th place make the cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "reco/quantize.h"

namespace reco {

// Widest row the int32 accumulator holds without overflow: each product is at most
// 127 * 32767 in magnitude, and 512 of them stay below 2^31.
inline constexpr std::int32_t kInt8ScoringMaxCols = 512;

// A query as int16 with one scale: q[k] = nearbyint(x[k] * 32767 / max|x|), so
// x[k] ~= q[k] * max|x| / 32767. All zeros when x is all zeros or holds a non-finite
// value (the scores are then all zero, which ranks by item index).
std::vector<std::int16_t> quantize_query_int16(const float* x, std::size_t n);

// out[r] = rows.scales[r] * (sum_k rows.values[r][k] * q[k]), the sum exact in int32 and
// one float rounding after it; proportional (by the query's positive scale) to the
// inner product of the dequantised row with the dequantised query. q holds rows.cols
// values; ParamError("rows") when rows.cols exceeds kInt8ScoringMaxCols.
void int8_rows_scores(const Int8Rows& rows, const std::int16_t* q, float* out);

}  // namespace reco

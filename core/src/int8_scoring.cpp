#include "reco/int8_scoring.h"

#include <cmath>
#include <string>

#include "reco/error.h"

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

void int8_rows_scores(const Int8Rows& rows, const std::int16_t* q, float* out) {
  if (rows.cols > kInt8ScoringMaxCols)
    throw ParamError("rows", std::to_string(rows.cols) + " columns; integer scoring takes at most " + std::to_string(kInt8ScoringMaxCols));
  const auto n = static_cast<std::size_t>(rows.cols);
  const std::int8_t* v = rows.values.data();
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows.rows); ++r, v += n) {
    std::int32_t sum = 0;
    for (std::size_t k = 0; k < n; ++k) sum += static_cast<std::int32_t>(v[k]) * static_cast<std::int32_t>(q[k]);
    out[r] = rows.scales[r] * static_cast<float>(sum);
  }
}

}  // namespace reco

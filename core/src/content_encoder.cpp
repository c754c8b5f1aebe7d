#include "reco/content_encoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "reco/error.h"
#include "reco/quantize.h"
#include "reco/random.h"

namespace reco {

namespace {

constexpr float kNormFloor = 1e-12f;  // the graph's Max(norm, eps): an all-zero z stays finite

void normalise(float* z, int dim) {
  float ss = 0.0f;
  for (int j = 0; j < dim; ++j) ss += z[j] * z[j];
  const float n = std::max(std::sqrt(ss), kNormFloor);
  for (int j = 0; j < dim; ++j) z[j] /= n;
}

}  // namespace

void EncoderShape::validate() const {
  if (buckets < 1 || buckets > (1u << 24)) throw ParamError("buckets", "must be in [1, 16777216], got " + std::to_string(buckets));
  if (hidden < 1 || hidden > 1024) throw ParamError("hidden", "must be in [1, 1024], got " + std::to_string(hidden));
  if (dim < 1 || dim > 1024) throw ParamError("dim", "must be in [1, 1024], got " + std::to_string(dim));
  if (max_features < 1 || max_features > 65536)
    throw ParamError("max_features", "must be in [1, 65536], got " + std::to_string(max_features));
}

EncoderInput encoder_input(const Tokenizer& tokenizer, std::string_view text, int max_features) {
  std::vector<std::uint32_t> f = tokenizer.features(text);
  if (f.size() > static_cast<std::size_t>(max_features)) f.resize(static_cast<std::size_t>(max_features));
  EncoderInput in;
  in.ids.assign(f.begin(), f.end());
  in.weights.assign(f.size(), f.empty() ? 0.0f : 1.0f / static_cast<float>(f.size()));
  return in;
}

EncoderWeights EncoderWeights::initial(const EncoderShape& shape, float table_scale, std::uint64_t seed) {
  shape.validate();
  EncoderWeights w;
  w.shape = shape;
  Rng rng(seed);
  w.table.resize(static_cast<std::size_t>(shape.buckets) * shape.hidden);
  for (float& x : w.table) x = static_cast<float>((2.0 * rng.uniform() - 1.0) * table_scale);
  const double glorot = std::sqrt(6.0 / (shape.hidden + shape.dim));
  w.projection.resize(static_cast<std::size_t>(shape.hidden) * shape.dim);
  for (float& x : w.projection) x = static_cast<float>((2.0 * rng.uniform() - 1.0) * glorot);
  w.bias.assign(static_cast<std::size_t>(shape.dim), 0.0f);
  return w;
}

void encode(const EncoderWeights& w, const EncoderInput& in, float* out) {
  const int hidden = w.shape.hidden, dim = w.shape.dim;
  std::vector<float> h(static_cast<std::size_t>(hidden), 0.0f);
  for (std::size_t l = 0; l < in.ids.size(); ++l) {
    const float* row = &w.table[static_cast<std::size_t>(in.ids[l]) * hidden];
    for (int k = 0; k < hidden; ++k) h[k] += in.weights[l] * row[k];
  }
  for (float& x : h) x = std::tanh(x);
  for (int j = 0; j < dim; ++j) out[j] = 0.0f;
  for (int k = 0; k < hidden; ++k) {
    const float* row = &w.projection[static_cast<std::size_t>(k) * dim];
    for (int j = 0; j < dim; ++j) out[j] += h[k] * row[j];
  }
  for (int j = 0; j < dim; ++j) out[j] += w.bias[j];
  normalise(out, dim);
}

QuantizedEncoder QuantizedEncoder::quantize(const EncoderWeights& w) {
  QuantizedEncoder q;
  q.shape = w.shape;
  const std::size_t hidden = static_cast<std::size_t>(w.shape.hidden), dim = static_cast<std::size_t>(w.shape.dim);
  Int8Rows table = quantize_rows_int8(w.table.data(), static_cast<std::int32_t>(w.shape.buckets), w.shape.hidden);
  q.table = std::move(table.values);
  q.table_scale = std::move(table.scales);
  // Per output column = per row of the transpose (dim x hidden). A column's max |x| does
  // not depend on the order it is taken in, so this is element for element the same.
  std::vector<float> transposed(w.projection.size());
  for (std::size_t k = 0; k < hidden; ++k)
    for (std::size_t j = 0; j < dim; ++j) transposed[j * hidden + k] = w.projection[k * dim + j];
  Int8Rows columns = quantize_rows_int8(transposed.data(), w.shape.dim, w.shape.hidden);
  q.projection.resize(w.projection.size());
  for (std::size_t k = 0; k < hidden; ++k)
    for (std::size_t j = 0; j < dim; ++j) q.projection[k * dim + j] = columns.values[j * hidden + k];
  q.projection_scale = std::move(columns.scales);
  q.bias = w.bias;
  return q;
}

void QuantizedEncoder::encode(const EncoderInput& in, float* out) const {
  const std::size_t hidden = static_cast<std::size_t>(shape.hidden), dim = static_cast<std::size_t>(shape.dim);
  if (in.ids.size() != in.weights.size())
    throw ParamError("weights", "has " + std::to_string(in.weights.size()) + " values for " + std::to_string(in.ids.size()) + " ids");
  // Gather + Cast + Mul(weight * row scale) + ReduceSum over the sequence.
  std::vector<float> h(hidden, 0.0f);
  for (std::size_t l = 0; l < in.ids.size(); ++l) {
    const std::int64_t id = in.ids[l];
    if (id < 0 || id >= static_cast<std::int64_t>(shape.buckets))
      throw ParamError("ids", "feature id " + std::to_string(id) + " is outside [0, " + std::to_string(shape.buckets) + ")");
    const float ws = in.weights[l] * table_scale[static_cast<std::size_t>(id)];
    const std::int8_t* row = &table[static_cast<std::size_t>(id) * hidden];
    for (std::size_t k = 0; k < hidden; ++k) h[k] += static_cast<float>(row[k]) * ws;
  }
  for (float& x : h) x = std::tanh(x);
  // MatMul with the dequantised projection, then Add bias.
  for (std::size_t j = 0; j < dim; ++j) {
    float s = 0.0f;
    for (std::size_t k = 0; k < hidden; ++k) s += h[k] * (static_cast<float>(projection[k * dim + j]) * projection_scale[j]);
    out[j] = s + bias[j];
  }
  normalise(out, static_cast<int>(dim));
}

std::int64_t QuantizedEncoder::bytes() const {
  return static_cast<std::int64_t>(table.size() + projection.size()) +
         4 * static_cast<std::int64_t>(table_scale.size() + projection_scale.size() + bias.size());
}

std::vector<float> TextEncoder::encode(std::string_view text) const {
  std::vector<float> out(static_cast<std::size_t>(dim()));
  weights.encode(input(text), out.data());
  return out;
}

}  // namespace reco

// The content encoder: item (or query) text -> a unit-length embedding.
//
//   features  = tokenizer ids of the text (repeats kept, at most max_features)
//   pooled[k] = sum_l weight_l * table[id_l][k]      weight_l = 1 / n_features (mean pooling)
//   z         = projection^T tanh(pooled) + bias     (hidden -> dim)
//   embedding = z / max(|z|, 1e-12)
//
// The float form (EncoderWeights) is what training updates; the shipped form
// (QuantizedEncoder) stores the table as int8 with one scale per row and the projection
// as int8 with one scale per output column. QuantizedEncoder::encode is the reference
// forward pass of the exported ONNX graph: it performs the graph's operations in the
// graph's order, so ONNX Runtime and this code agree to float rounding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reco/tokenizer.h"

namespace reco {

struct EncoderShape {
  std::uint32_t buckets = 1u << 15;  // rows of the feature table (= tokenizer buckets)
  int hidden = 64;                   // width of the pooled feature vector
  int dim = 64;                      // output embedding dimension
  int max_features = 256;            // features per text kept (the ONNX input length bound)

  void validate() const;  // ParamError naming the field
};

// One text as the model's inputs: feature ids and their pooling weights, same length.
struct EncoderInput {
  std::vector<std::int64_t> ids;
  std::vector<float> weights;
};

// Tokenises `text` and keeps its first `max_features` features with weight 1/n each.
// An empty or punctuation-only text gives no features (its embedding is the
// normalised bias).
EncoderInput encoder_input(const Tokenizer& tokenizer, std::string_view text, int max_features);

struct EncoderWeights {
  EncoderShape shape;
  std::vector<float> table;       // buckets x hidden, row-major
  std::vector<float> projection;  // hidden x dim, row-major
  std::vector<float> bias;        // dim

  // Table ~ uniform(+-table_scale), projection Glorot-uniform, bias 0; a function of seed.
  static EncoderWeights initial(const EncoderShape& shape, float table_scale, std::uint64_t seed);
};

// Float forward pass; writes shape.dim values to `out`.
void encode(const EncoderWeights& w, const EncoderInput& in, float* out);

struct QuantizedEncoder {
  EncoderShape shape;
  std::vector<std::int8_t> table;        // buckets x hidden
  std::vector<float> table_scale;        // buckets: row r's value k is table[r][k] * table_scale[r]
  std::vector<std::int8_t> projection;   // hidden x dim
  std::vector<float> projection_scale;   // dim: column j's value is projection[k][j] * projection_scale[j]
  std::vector<float> bias;               // dim

  // Symmetric int8 per row (table) / per column (projection): scale = max|x| / 127,
  // by quantize_rows_int8 (quantize.h). A NaN or infinite weight is a ParamError("data").
  static QuantizedEncoder quantize(const EncoderWeights& w);

  // The reference forward pass (see the file comment); writes shape.dim values.
  // Ids outside [0, buckets) throw ParamError("ids", ...).
  void encode(const EncoderInput& in, float* out) const;

  // Bytes of the parameters (int8 tables, float scales and bias).
  std::int64_t bytes() const;
};

// A trained encoder as shipped: the tokenizer that makes its inputs and the weights.
struct TextEncoder {
  Tokenizer tokenizer;
  QuantizedEncoder weights;

  int dim() const { return weights.shape.dim; }
  EncoderInput input(std::string_view text) const {
    return encoder_input(tokenizer, text, weights.shape.max_features);
  }
  std::vector<float> encode(std::string_view text) const;
};

}  // namespace reco

// The content encoder as an ONNX model (opset 13), the form ONNX Runtime Web runs.
//
// Inputs (batch and length are free dimensions):
//   ids      int64   [batch, length]  feature ids in [0, buckets); padding uses id 0
//   weights  float32 [batch, length]  pooling weight of each id; padding uses 0
// Output:
//   embedding float32 [batch, dim]    unit length (see content_encoder.h)
//
// Weights are stored as int8: the table with a per-row scale (gathered and applied after
// the lookup, so only the rows a text uses are dequantised), the projection with a
// per-column scale through DequantizeLinear. The graph computes exactly
// QuantizedEncoder::encode.
#pragma once

#include <string>

#include "reco/content_encoder.h"

namespace reco {

// Serialised ModelProto; the graph passes onnx::checker::check_model before it is returned.
std::string encoder_to_onnx(const QuantizedEncoder& encoder);

// Reads back the weights of a model written by encoder_to_onnx. A file that is not such
// a model throws DataError naming `source` and the missing or malformed part.
QuantizedEncoder encoder_from_onnx(const std::string& bytes, const std::string& source);

}  // namespace reco

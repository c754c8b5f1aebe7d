#include <catch2/catch.hpp>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "reco/error.h"
#include "reco/onnx_encoder.h"

using namespace reco;

namespace {

QuantizedEncoder sample_encoder() {
  EncoderShape s;
  s.buckets = 512;
  s.hidden = 12;
  s.dim = 6;
  s.max_features = 99;
  EncoderWeights w = EncoderWeights::initial(s, 0.3f, 11);
  for (std::size_t j = 0; j < w.bias.size(); ++j) w.bias[j] = 0.1f * static_cast<float>(j) - 0.2f;
  return QuantizedEncoder::quantize(w);
}

}  // namespace

TEST_CASE("the ONNX export passes the checker and reads back bit for bit", "[onnx]") {
  const QuantizedEncoder e = sample_encoder();
  const std::string bytes = encoder_to_onnx(e);
  onnx::ModelProto model;
  REQUIRE(model.ParseFromString(bytes));
  CHECK_NOTHROW(onnx::checker::check_model(model));
  CHECK(model.opset_import(0).version() == 13);
  REQUIRE(model.graph().input_size() == 2);
  CHECK(model.graph().input(0).name() == "ids");
  CHECK(model.graph().input(1).name() == "weights");
  CHECK(model.graph().output(0).name() == "embedding");
  // The weights are stored as int8, not float.
  CHECK(bytes.size() < 512 * 12 * 2);

  const QuantizedEncoder back = encoder_from_onnx(bytes, "encoder.onnx");
  CHECK(back.shape.buckets == 512);
  CHECK(back.shape.hidden == 12);
  CHECK(back.shape.dim == 6);
  CHECK(back.shape.max_features == 99);
  CHECK(back.table == e.table);
  CHECK(back.table_scale == e.table_scale);
  CHECK(back.projection == e.projection);
  CHECK(back.projection_scale == e.projection_scale);
  CHECK(back.bias == e.bias);
}

TEST_CASE("a file that is not an exported encoder is refused with its name", "[onnx]") {
  CHECK_THROWS_WITH(encoder_from_onnx("not a model at all \x01\x02", "x.onnx"), Catch::Contains("x.onnx"));
  const std::string bytes = encoder_to_onnx(sample_encoder());
  onnx::ModelProto model;
  REQUIRE(model.ParseFromString(bytes));
  model.mutable_graph()->mutable_initializer(1)->mutable_raw_data()->resize(7);  // truncate table_scale
  std::string broken;
  model.SerializeToString(&broken);
  CHECK_THROWS_WITH(encoder_from_onnx(broken, "y.onnx"), Catch::Contains("y.onnx") && Catch::Contains("table_scale"));
  model.mutable_graph()->clear_initializer();
  model.SerializeToString(&broken);
  CHECK_THROWS_WITH(encoder_from_onnx(broken, "z.onnx"), Catch::Contains("table_q"));
}

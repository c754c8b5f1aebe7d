// libFuzzer target for the encoder file readers: the ONNX model (`reco search --encoder`,
// and the browser bundle later) and tokenizer.json. Arbitrary bytes may only produce
// reco::DataError or reco::ParamError, never a crash; a model that reads back must
// encode a text without reading outside its table.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/content_encoder.h"
#include "reco/error.h"
#include "reco/onnx_encoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const reco::QuantizedEncoder e = reco::encoder_from_onnx(bytes, "fuzz.onnx");
    reco::TokenizerParams p;
    p.buckets = e.shape.buckets;
    const reco::TextEncoder enc{reco::Tokenizer(p), e};
    enc.encode("Toy Story (1995) Adventure|Animation|Children");
  } catch (const reco::DataError&) {
  } catch (const reco::ParamError&) {
  }
  try {
    reco::Tokenizer::from_json(nlohmann::json::parse(bytes), "fuzz.json");
  } catch (const nlohmann::json::exception&) {
  } catch (const reco::DataError&) {
  } catch (const reco::ParamError&) {
  }
  return 0;
}

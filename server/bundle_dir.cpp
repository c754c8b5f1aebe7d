#include "bundle_dir.h"

#include "reco/onnx_encoder.h"

namespace reco::cli {

LoadedBundle load_bundle_dir(const std::string& dir) {
  return decode_bundle(directory_source(dir), [](const std::vector<std::uint8_t>& onnx, const std::string& what) {
    return encoder_from_onnx(std::string(onnx.begin(), onnx.end()), what);
  });
}

}  // namespace reco::cli

// Loading a bundle folder natively: the core's reader with the ONNX encoder decoder, so
// the loaded model can encode text itself.
#pragma once

#include <string>

#include "reco/bundle.h"

namespace reco::cli {

LoadedBundle load_bundle_dir(const std::string& dir);

}  // namespace reco::cli

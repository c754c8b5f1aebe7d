// libFuzzer target for the parameter-file reader (`--params FILE`) and the --split
// parser: arbitrary bytes may only ever produce reco::DataError, reco::ParamError or a
// JSON exception from parsing, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "reco/error.h"
#include "reco/model_config.h"
#include "reco/split.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    reco::parse_split(text);
  } catch (const reco::ParamError&) {
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {  // what `reco` reports as "not valid JSON"
    return 0;
  }
  try {
    const reco::ModelConfig c = reco::model_config_from_json(j, "fuzz.json");
    // A configuration that reads back must survive a round trip unchanged.
    if (reco::to_json(reco::model_config_from_json(reco::to_json(c), "again.json")) != reco::to_json(c)) std::abort();
    reco::make_model(c);
  } catch (const reco::DataError&) {
  } catch (const reco::ParamError&) {
  }
  return 0;
}

#include "reco/error.h"

namespace reco {
namespace {

std::string describe_location(const std::string& file, std::int64_t line, const std::string& field) {
  std::string where = file.empty() ? std::string("<input>") : file;
  if (line > 0) where += ":" + std::to_string(line);
  if (!field.empty()) where += ": field '" + field + "'";
  return where;
}

}  // namespace

DataError::DataError(std::string file, std::int64_t line, std::string field, const std::string& message)
    : std::runtime_error(describe_location(file, line, field) + ": " + message),
      file_(std::move(file)),
      line_(line),
      field_(std::move(field)) {}

ParamError::ParamError(const std::string& param, const std::string& message)
    : std::invalid_argument("parameter '" + param + "': " + message), param_(param) {}

}  // namespace reco

// Errors raised by the core. Every error that comes from input carries where it came
// from (file, line, field) so a user can fix the input without reading code.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace reco {

// Bad input data: a file that cannot be read or a record that cannot be parsed.
// `line` is 1-based; 0 means "the whole file". `field` is empty when not applicable.
class DataError : public std::runtime_error {
 public:
  DataError(std::string file, std::int64_t line, std::string field, const std::string& message);

  const std::string& file() const { return file_; }
  std::int64_t line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  std::string file_;
  std::int64_t line_;
  std::string field_;
};

// A parameter outside its documented range, or a malformed option value.
class ParamError : public std::invalid_argument {
 public:
  ParamError(const std::string& param, const std::string& message);
  const std::string& param() const { return param_; }

 private:
  std::string param_;
};

}  // namespace reco

// Progress lines on stderr for long operations. On a terminal one line is rewritten in
// place; otherwise a line is printed at most once per second and at each stage's end,
// so logs stay short.
#pragma once

#include <chrono>
#include <string>

#include "reco/recommender.h"

namespace reco::cli {

class Progress {
 public:
  // `every_step`: print every report on its own line (e.g. a loss per iteration).
  explicit Progress(bool enabled, bool every_step = false);
  // A callback for the core's ProgressFn, prefixing every line with `label`.
  ProgressFn callback(const std::string& label);
  // A free-form status line.
  void note(const std::string& line);

 private:
  void report(const std::string& label, const std::string& stage, int done, int total);
  bool enabled_;
  bool every_step_;
  bool tty_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace reco::cli

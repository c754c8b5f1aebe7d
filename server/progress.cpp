#include "progress.h"

#include <cstdio>
#include <unistd.h>

namespace reco::cli {

Progress::Progress(bool enabled, bool every_step)
    : enabled_(enabled),
      every_step_(every_step),
      tty_(isatty(fileno(stderr)) != 0 && !every_step),
      last_(std::chrono::steady_clock::now()) {}

ProgressFn Progress::callback(const std::string& label) {
  if (!enabled_) return {};
  return [this, label](const std::string& stage, int done, int total) { report(label, stage, done, total); };
}

void Progress::note(const std::string& line) {
  if (!enabled_) return;
  std::fprintf(stderr, tty_ ? "\r\033[K%s\n" : "%s\n", line.c_str());
}

void Progress::report(const std::string& label, const std::string& stage, int done, int total) {
  const auto now = std::chrono::steady_clock::now();
  const bool finished = done >= total;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s: %s %d/%d", label.c_str(), stage.c_str(), done, total);
    if (finished) std::fputc('\n', stderr);
  } else if (every_step_ || finished || now - last_ >= std::chrono::seconds(1)) {
    std::fprintf(stderr, "%s: %s %d/%d\n", label.c_str(), stage.c_str(), done, total);
    last_ = now;
  }
}

}  // namespace reco::cli

#include "reco/fifo_gate.h"

#include <string>

#include "reco/error.h"

namespace reco {

FifoGate::FifoGate(int slots) : slots_(slots), free_(slots) {
  if (slots < 1) throw ParamError("slots", "must be >= 1, got " + std::to_string(slots));
}

std::size_t FifoGate::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.size();
}

void FifoGate::enter() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (free_ > 0 && waiting_.empty()) {
    --free_;
    return;
  }
  Waiter w;
  waiting_.push_back(&w);
  w.cv.wait(lock, [&] { return w.admitted; });
}

void FifoGate::leave() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (waiting_.empty()) {
    ++free_;
    return;
  }
  // The slot passes straight to the oldest waiter, so a newcomer cannot take it first.
  Waiter* next = waiting_.front();
  waiting_.pop_front();
  next->admitted = true;
  next->cv.notify_one();
}

}  // namespace reco

// A counting semaphore whose waiters enter in arrival order.
//
// `reco serve` runs one thread per connection; ranking is CPU-bound, so letting all of
// them rank at once only makes the scheduler time-slice dozens of requests over the
// cores, and a request's latency then depends on its luck with the slices (at 64
// connections on 2 cores the 99th percentile was 5x the median). Admitting a few
// rankings per core, first come first served, gives every request about the same wait:
// the queue ahead of it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace reco {

class FifoGate {
 public:
  // slots >= 1 (ParamError "slots" otherwise): how many holders may be inside at once.
  explicit FifoGate(int slots);
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  // Held while inside; leaving hands the slot to the longest waiter.
  class Pass {
   public:
    explicit Pass(FifoGate& gate) : gate_(&gate) { gate_->enter(); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() { gate_->leave(); }

   private:
    FifoGate* gate_;
  };

  int slots() const { return slots_; }
  // Holders waiting to enter now (for metrics and tests).
  std::size_t waiting() const;

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };
  void enter();
  void leave();

  const int slots_;
  mutable std::mutex mutex_;
  int free_;                     // slots nobody holds (0 while anyone waits)
  std::deque<Waiter*> waiting_;  // oldest first; each lives on its waiter's stack
};

}  // namespace reco

#include "reco/fifo_gate.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "reco/error.h"

using reco::FifoGate;

TEST_CASE("FifoGate rejects fewer than one slot", "[fifo_gate]") {
  CHECK_THROWS_AS(FifoGate(0), reco::ParamError);
  CHECK_THROWS_WITH(FifoGate(-3), Catch::Contains("slots"));
}

TEST_CASE("FifoGate lets as many holders in as it has slots without waiting", "[fifo_gate]") {
  FifoGate gate(2);
  {
    FifoGate::Pass a(gate), b(gate);
    CHECK(gate.waiting() == 0);
  }
  FifoGate::Pass again(gate);  // both slots came back
  CHECK(gate.slots() == 2);
}

#ifdef RECO_HAVE_THREADS
namespace {
// Waits (bounded) until `n` threads are queued at the gate.
bool wait_for_queue(const FifoGate& gate, std::size_t n) {
  for (int i = 0; i < 5000 && gate.waiting() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return gate.waiting() == n;
}
}  // namespace

TEST_CASE("FifoGate admits waiters in the order they arrived", "[fifo_gate]") {
  FifoGate gate(1);
  std::vector<int> order;
  std::mutex order_mutex;
  std::vector<std::thread> threads;
  {
    FifoGate::Pass held(gate);
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        FifoGate::Pass p(gate);
        std::lock_guard<std::mutex> lock(order_mutex);
        order.push_back(t);
      });
      // The next thread starts only once this one is queued, so arrival order is t.
      REQUIRE(wait_for_queue(gate, static_cast<std::size_t>(t) + 1));
    }
  }
  for (std::thread& th : threads) th.join();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(gate.waiting() == 0);
}

TEST_CASE("FifoGate never has more holders inside than slots", "[fifo_gate]") {
  FifoGate gate(2);
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        FifoGate::Pass p(gate);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
      }
      ++done;
    });
  for (std::thread& th : threads) th.join();
  CHECK(done == 8);
  CHECK(most <= 2);
  CHECK(most >= 1);
}
#endif

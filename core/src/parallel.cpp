#include "reco/parallel.h"

#include <algorithm>
#include <exception>
#include <vector>

#ifdef RECO_HAVE_THREADS
#include <thread>
#endif

namespace reco {

void parallel_for(int n, int threads, const std::function<void(int begin, int end)>& body) {
  if (n <= 0) return;
#ifdef RECO_HAVE_THREADS
  threads = std::min(threads, n);
  if (threads > 1) {
    // Interleaved small chunks balance rows of very different cost (heavy users).
    const int chunk = std::max(1, n / (threads * 16));
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (int begin = t * chunk; begin < n; begin += threads * chunk) body(begin, std::min(n, begin + chunk));
        } catch (...) {
          errors[static_cast<std::size_t>(t)] = std::current_exception();
        }
      });
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    return;
  }
#else
  (void)threads;
#endif
  body(0, n);
}

}  // namespace reco

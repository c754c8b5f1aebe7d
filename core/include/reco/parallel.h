// Splitting a loop over independent rows across threads. The core must run without
// threads (WebAssembly builds have none), so with threads <= 1, or in a build without
// RECO_HAVE_THREADS, the loop runs inline. Results never depend on the thread count
// as long as each index writes only its own output.
#pragma once

#include <functional>

namespace reco {

// Calls body(begin, end) on disjoint ranges covering [0, n).
void parallel_for(int n, int threads, const std::function<void(int begin, int end)>& body);

}  // namespace reco

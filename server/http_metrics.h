// Request counters and latency histograms of `reco serve`, rendered in the Prometheus
// text exposition format (version 0.0.4) for GET /api/v1/metrics. Thread-safe: every
// handler thread records into one instance.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

namespace reco::serve {

// The route label of a request path: the API's route patterns ("/api/v1/items/{id}"),
// "/bundles/" for bundle files, "/" for the web files; never the raw path, so the number
// of label values stays bounded whatever clients send.
std::string route_label(const std::string& path);

class HttpMetrics {
 public:
  // `seconds` is absent for requests httplib answered before routing (malformed ones):
  // they are counted but not timed.
  void record(const std::string& path, const std::string& method, int status, std::optional<double> seconds);
  // The counters and histograms as Prometheus text (no trailing model lines).
  std::string prometheus() const;

  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0.0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // route, method, status
  std::map<std::string, Histogram> latency_;                                      // by route
};

}  // namespace reco::serve

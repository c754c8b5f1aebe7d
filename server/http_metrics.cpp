#include "http_metrics.h"

#include <cstdio>

namespace reco::serve {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::string route_label(const std::string& path) {
  static const char* const kExact[] = {"/api/v1/recommendations", "/api/v1/items", "/api/v1/models", "/api/v1/health",
                                       "/api/v1/metrics", "/api/v1/interactions"};
  for (const char* r : kExact)
    if (path == r) return r;
  const auto starts = [&](const char* p) { return path.rfind(p, 0) == 0; };
  if (starts("/api/v1/items/")) return "/api/v1/items/{id}";
  if (starts("/api/v1/models/")) {
    return path.size() > 9 && path.compare(path.size() - 9, 9, "/activate") == 0 ? "/api/v1/models/{version}/activate"
                                                                                   : "/api/v1/models/{job}";
  }
  if (starts("/api/")) return "/api/other";
  if (starts("/bundles/")) return "/bundles/";
  return "/";
}

void HttpMetrics::record(const std::string& path, const std::string& method, int status, std::optional<double> seconds) {
  const std::string route = route_label(path);
  // Methods are a closed set in the labels too; anything else is "other".
  const std::string m = method == "GET" || method == "HEAD" || method == "POST" || method == "PUT" || method == "DELETE" ||
                                method == "PATCH" || method == "OPTIONS"
                            ? method
                            : "other";
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, m, status}];
  if (!seconds) return;
  Histogram& h = latency_[route];
  std::size_t b = 0;
  while (b < kBuckets.size() && *seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) ++h.counts[b];
  ++h.count;
  h.sum += *seconds;
}

std::string HttpMetrics::prometheus() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out += "# HELP reco_http_requests_total HTTP requests answered, by route, method and status.\n";
  out += "# TYPE reco_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += "reco_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(n) + "\n";
  }
  out += "# HELP reco_http_request_duration_seconds Time from routing a request to having written its response.\n";
  out += "# TYPE reco_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      out += "reco_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"" + number(kBuckets[b]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "reco_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "reco_http_request_duration_seconds_sum{route=\"" + route + "\"} " + number(h.sum) + "\n";
    out += "reco_http_request_duration_seconds_count{route=\"" + route + "\"} " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace reco::serve

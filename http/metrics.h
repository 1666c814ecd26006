// Metrics: a small thread-safe registry rendered as Prometheus text (format 0.0.4).
//
// Built in: passledger_http_requests_total{route,method,status},
// passledger_http_request_duration_seconds{route} (histogram), passledger_http_bytes_sent_total,
// passledger_http_open_connections. Other modules add gauges and counters as callbacks
// sampled at render time (e.g. the log head position, pkpass cache hits).
//
// Thread-safety: every method may be called from any thread. Callbacks run under the
// registry's mutex during Render and must not call back into the registry.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace passledger::http {

class Metrics {
 public:
  void ObserveRequest(std::string_view route, std::string_view method, unsigned status,
                      std::size_t bytes, std::chrono::microseconds duration);
  void ConnectionOpened();
  void ConnectionClosed();

  // `name` must be a valid Prometheus metric name, unique in this registry.
  void AddGauge(std::string name, std::string help, std::function<double()> sample);
  void AddCounter(std::string name, std::string help, std::function<double()> sample);

  [[nodiscard]] std::string Render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, 10> buckets{};  // cumulative counts, one per kBucketBounds entry
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Callback {
    std::string name;
    std::string help;
    std::string type;
    std::function<double()> sample;
  };

  void RenderRequests(std::string& out) const;
  void RenderDurations(std::string& out) const;
  void RenderCallbacks(std::string& out) const;

  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> durations_;
  std::uint64_t bytes_sent_ = 0;
  std::int64_t open_connections_ = 0;
  std::vector<Callback> callbacks_;
};

}  // namespace passledger::http

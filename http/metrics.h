// Metrics: a small thread-safe registry rendered as Prometheus text (format 0.0.4).
//
// Built in: passledger_http_requests_total{route,method,status},
// passledger_http_request_duration_seconds{route} (histogram), passledger_http_bytes_sent_total,
// passledger_http_open_connections. Other modules add gauges and counters as callbacks
// sampled at render time (e.g. the log head position, pkpass cache hits).
//
// Label values must come from bounded sets so that clients cannot mint series: the caller
// passes a route template (or kUnmatchedRoute) and MethodLabel(verb), never raw request text.
//
// Thread-safety: every method may be called from any thread. Render copies the request
// series under the mutex ObserveRequest takes and formats them, and runs the callbacks,
// without it: a slow callback or a large scrape never holds up a response. Callbacks run
// under a mutex of their own and must not call back into the registry.
#pragma once

#include <array>
#include <atomic>
#include <boost/beast/http/verb.hpp>
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

#include "base/mutex.h"

namespace passledger::http {

// The route label of a request that matched no route (404, 405, 400 target, or refused
// before routing).
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

// The method label: the name of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT or
// TRACE, "OTHER" for any other token (Beast accepts any token as a method).
[[nodiscard]] std::string_view MethodLabel(boost::beast::http::verb method);

class Metrics {
 public:
  void ObserveRequest(std::string_view route, std::string_view method, unsigned status,
                      std::size_t bytes, std::chrono::microseconds duration);
  void ConnectionOpened();
  void ConnectionClosed();

  // `name` must be a valid Prometheus metric name, unique in this registry.
  void AddGauge(std::string name, std::string help, std::function<double()> sample);
  void AddCounter(std::string name, std::string help, std::function<double()> sample);

  // A callback that appends whole series of its own (HELP, TYPE and samples, labels and
  // histograms included) to the rendered text. The same rules as the sampled callbacks.
  void AddRendered(std::function<void(std::string& out)> render);

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

  using RequestKey = std::tuple<std::string, std::string, unsigned>;
  // A copy of the request series taken under mutex_, rendered without it.
  struct Snapshot {
    std::map<RequestKey, std::uint64_t> requests;
    std::map<std::string, Histogram, std::less<>> durations;
    std::uint64_t bytes_sent = 0;
  };

  [[nodiscard]] Snapshot Copy() const;
  static void RenderRequests(const Snapshot& snapshot, std::string& out);
  static void RenderDurations(const Snapshot& snapshot, std::string& out);
  void RenderCallbacks(std::string& out) const;

  std::atomic<std::int64_t> open_connections_{0};

  mutable Mutex mutex_;  // taken once per response
  std::map<RequestKey, std::uint64_t> requests_ PL_GUARDED_BY(mutex_);
  std::map<std::string, Histogram, std::less<>> durations_ PL_GUARDED_BY(mutex_);
  std::uint64_t bytes_sent_ PL_GUARDED_BY(mutex_) = 0;

  mutable Mutex callbacks_mutex_;
  std::vector<Callback> callbacks_ PL_GUARDED_BY(callbacks_mutex_);
  std::vector<std::function<void(std::string&)>> rendered_ PL_GUARDED_BY(callbacks_mutex_);
};

}  // namespace passledger::http

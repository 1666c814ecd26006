#include "http/metrics.h"

#include <fmt/core.h>

#include <array>

namespace passledger::http {
namespace {

constexpr std::array<double, 10> kBucketBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,  0.1,    0.25,  1.0,  5.0};

// Escapes a label value: backslash, double quote and newline.
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view MethodLabel(boost::beast::http::verb method) {
  using boost::beast::http::verb;
  switch (method) {
    case verb::get:
    case verb::head:
    case verb::post:
    case verb::put:
    case verb::delete_:
    case verb::options:
    case verb::patch:
    case verb::connect:
    case verb::trace:
      return boost::beast::http::to_string(method);
    default:
      return "OTHER";
  }
}

void Metrics::ObserveRequest(std::string_view route, std::string_view method, unsigned status,
                             std::size_t bytes, std::chrono::microseconds duration) {
  static_assert(std::tuple_size_v<decltype(Histogram::buckets)> == kBucketBounds.size());
  const double seconds = std::chrono::duration<double>(duration).count();
  MutexLock lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
  auto found = durations_.find(route);
  if (found == durations_.end()) found = durations_.emplace(std::string(route), Histogram{}).first;
  Histogram& histogram = found->second;
  for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
    if (seconds <= kBucketBounds[i]) ++histogram.buckets[i];
  }
  ++histogram.count;
  histogram.sum += seconds;
  bytes_sent_ += bytes;
}

void Metrics::ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> sample) {
  MutexLock lock(callbacks_mutex_);
  callbacks_.push_back({std::move(name), std::move(help), "gauge", std::move(sample)});
}

void Metrics::AddCounter(std::string name, std::string help, std::function<double()> sample) {
  MutexLock lock(callbacks_mutex_);
  callbacks_.push_back({std::move(name), std::move(help), "counter", std::move(sample)});
}

void Metrics::AddRendered(std::function<void(std::string&)> render) {
  MutexLock lock(callbacks_mutex_);
  rendered_.push_back(std::move(render));
}

Metrics::Snapshot Metrics::Copy() const {
  MutexLock lock(mutex_);
  return {requests_, durations_, bytes_sent_};
}

void Metrics::RenderRequests(const Snapshot& snapshot, std::string& out) {
  out += "# HELP passledger_http_requests_total HTTP requests answered.\n";
  out += "# TYPE passledger_http_requests_total counter\n";
  for (const auto& [key, count] : snapshot.requests) {
    const auto& [route, method, status] = key;
    out += fmt::format(
        "passledger_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
        Label(route), Label(method), status, count);
  }
}

void Metrics::RenderDurations(const Snapshot& snapshot, std::string& out) {
  out +=
      "# HELP passledger_http_request_duration_seconds Time from request header to response "
      "written.\n";
  out += "# TYPE passledger_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : snapshot.durations) {
    const std::string label = Label(route);
    for (std::size_t i = 0; i < kBucketBounds.size(); ++i) {
      out += fmt::format(
          "passledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
          kBucketBounds[i], histogram.buckets[i]);
    }
    out += fmt::format(
        "passledger_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
        histogram.count);
    out += fmt::format("passledger_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                       histogram.sum);
    out += fmt::format("passledger_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label,
                       histogram.count);
  }
}

void Metrics::RenderCallbacks(std::string& out) const {
  MutexLock lock(callbacks_mutex_);
  for (const Callback& callback : callbacks_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", callback.name, callback.help,
                       callback.name, callback.type, callback.name, callback.sample());
  }
  for (const auto& render : rendered_) render(out);
}

std::string Metrics::Render() const {
  const Snapshot snapshot = Copy();
  std::string out;
  RenderRequests(snapshot, out);
  RenderDurations(snapshot, out);
  out += "# HELP passledger_http_bytes_sent_total Response bytes written (headers and bodies).\n";
  out += "# TYPE passledger_http_bytes_sent_total counter\n";
  out += fmt::format("passledger_http_bytes_sent_total {}\n", snapshot.bytes_sent);
  out += "# HELP passledger_http_open_connections Client connections currently open.\n";
  out += "# TYPE passledger_http_open_connections gauge\n";
  out += fmt::format("passledger_http_open_connections {}\n",
                     open_connections_.load(std::memory_order_relaxed));
  RenderCallbacks(out);
  return out;
}

}  // namespace passledger::http

#include "http/passkit_routes.h"

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <utility>

#include "base/time.h"
#include "http/client_address.h"

namespace passledger::http {
namespace {

constexpr std::string_view kRegistration = "/v1/devices/{device}/registrations/{passType}/{serial}";
constexpr std::string_view kRegistrations = "/v1/devices/{device}/registrations/{passType}";
constexpr std::string_view kPass = "/v1/passes/{passType}/{serial}";
constexpr std::string_view kLog = "/v1/log";

struct Counters {
  std::atomic<std::uint64_t> rejected{0};   // 503: the pool was full
  std::atomic<std::uint64_t> io_thread{0};  // answered from memory on the I/O thread
  std::atomic<std::uint64_t> deferred{0};   // tried there, needed the pool
};

struct Context {
  handlers::PassKitService& service;
  WorkerPool& workers;
  std::shared_ptr<Counters> counters;
};

using projections::ReadTier;

// Runs `work(request, responder)` on the pool; 503 when the pool is full or stopping.
template <typename Work>
Handler OnWorker(const Context& context, Work work) {
  return [context, work](Request&& request, Responder responder) {
    auto shared = std::make_shared<Request>(std::move(request));
    const std::size_t bytes = shared->ApproximateBytes();
    const bool queued = context.workers.Submit(
        [context, work, shared, responder] { work(context.service, *shared, responder); }, bytes);
    if (queued) return;
    context.counters->rejected.fetch_add(1, std::memory_order_relaxed);
    responder.Send(MakeErrorResponse(bhttp::status::service_unavailable, "server busy"));
  };
}

void Send(const Responder& responder, Result<Response> response) {
  if (!response) return responder.SendError(response.error());
  responder.Send(std::move(*response));
}

// For reads: `answer(service, request, tier)` is tried on the I/O thread at kMemoryOnly,
// which answers from RocksDB's memtables, block cache and the bundle cache without blocking;
// only when that needs a disk read or a signature (kWouldBlock) does the request go to the
// pool, at kAny.
template <typename Answer>
Handler OnIoThreadFirst(const Context& context, Answer answer) {
  auto on_worker = OnWorker(context, [answer](handlers::PassKitService& service,
                                              const Request& request, Responder responder) {
    Send(responder, answer(service, request, ReadTier::kAny));
  });
  return [context, answer, on_worker](Request&& request, Responder responder) {
    auto fast = answer(context.service, request, ReadTier::kMemoryOnly);
    if (fast || fast.error().code != ErrorCode::kWouldBlock) {
      context.counters->io_thread.fetch_add(1, std::memory_order_relaxed);
      return Send(responder, std::move(fast));
    }
    context.counters->deferred.fetch_add(1, std::memory_order_relaxed);
    on_worker(std::move(request), std::move(responder));
  };
}

std::string_view Header(const Request& request, bhttp::field field) {
  const auto it = request.message.find(field);
  if (it == request.message.end()) return {};
  return {it->value().data(), it->value().size()};
}

Response TooManyRequests(std::string_view message, std::chrono::seconds retry_after) {
  Response response = MakeErrorResponse(bhttp::status::too_many_requests, message);
  response.set(bhttp::field::retry_after, std::to_string(retry_after.count()));
  return response;
}

Response Empty(bhttp::status status) {
  Response response{status, 11};
  response.content_length(0);
  return response;
}

void Register(handlers::PassKitService& service, const Request& request, Responder responder) {
  auto registered =
      service.Register(request.Param("device"), request.Param("passType"), request.Param("serial"),
                       Header(request, bhttp::field::authorization), request.message.body(),
                       RateLimitNetwork(request.client));
  if (!registered) return responder.SendError(registered.error());
  if (registered->outcome == handlers::RegisterOutcome::kRateLimited) {
    return responder.Send(TooManyRequests("too many registrations", registered->retry_after));
  }
  const bool created = registered->outcome == handlers::RegisterOutcome::kCreated;
  responder.Send(Empty(created ? bhttp::status::created : bhttp::status::ok));
}

std::string SerialsJson(const projections::UpdatedSerials& updated) {
  boost::json::array serials;
  for (const auto& serial : updated.serials) serials.emplace_back(serial);
  boost::json::object body;
  body["serialNumbers"] = std::move(serials);
  body["lastUpdated"] = std::to_string(updated.last_updated);
  return boost::json::serialize(body);
}

Result<Response> ListUpdated(const handlers::PassKitService& service, const Request& request,
                             ReadTier tier) {
  const std::string tag = request.QueryParam("passesUpdatedSince").value_or("");
  auto updated = service.ListUpdated(request.Param("device"), request.Param("passType"), tag, tier);
  if (!updated) return updated.error();
  if (!updated->has_value()) return Empty(bhttp::status::no_content);
  return MakeJsonResponse(bhttp::status::ok, SerialsJson(**updated));
}

Response PassResponse(const handlers::LatestPassResult& pass) {
  Response response{pass.not_modified ? bhttp::status::not_modified : bhttp::status::ok, 11};
  response.set(bhttp::field::last_modified, FormatHttpDate(pass.last_modified_s));
  response.set(bhttp::field::cache_control, "no-cache");
  if (pass.not_modified) return response;
  response.set(bhttp::field::content_type, "application/vnd.apple.pkpass");
  response.body() = *pass.bundle;
  response.prepare_payload();
  return response;
}

Result<Response> LatestPass(const handlers::PassKitService& service, const Request& request,
                            ReadTier tier) {
  const auto since = ParseHttpDate(Header(request, bhttp::field::if_modified_since));
  auto pass = service.LatestPass(request.Param("passType"), request.Param("serial"),
                                 Header(request, bhttp::field::authorization), since, tier);
  if (!pass) return pass.error();
  return PassResponse(*pass);
}

void Unregister(handlers::PassKitService& service, const Request& request, Responder responder) {
  auto existed =
      service.Unregister(request.Param("device"), request.Param("passType"),
                         request.Param("serial"), Header(request, bhttp::field::authorization));
  if (!existed) return responder.SendError(existed.error());
  responder.Send(Empty(bhttp::status::ok));
}

void Log(handlers::PassKitService& service, const Request& request, Responder responder) {
  auto logged = service.Log(RateLimitNetwork(request.client), request.message.body());
  if (!logged) return responder.SendError(logged.error());
  responder.Send(Empty(bhttp::status::ok));
}

// POST /v1/log is admitted on its declared length before the body is read: a client over
// its budget costs the server a header parse, not a body. A body without a length (chunked)
// cannot be judged so and is refused (411).
Admission AdmitLog(handlers::PassKitService& service) {
  return [&service](const RequestHead& head) -> std::optional<Response> {
    if (!head.content_length) {
      return MakeErrorResponse(bhttp::status::length_required, "Content-Length is required");
    }
    const auto wait = service.AdmitLog(RateLimitNetwork(head.client), *head.content_length);
    if (!wait) return std::nullopt;
    return TooManyRequests("too many log requests", *wait);
  };
}

}  // namespace

void AddPassKitRoutes(Router& router, handlers::PassKitService& service, WorkerPool& workers,
                      Metrics* metrics) {
  const Context context{service, workers, std::make_shared<Counters>()};
  if (metrics != nullptr) {
    const auto counters = context.counters;
    metrics->AddCounter("passledger_passkit_rejected_total",
                        "PassKit requests answered 503 because the worker pool was full",
                        [counters] { return static_cast<double>(counters->rejected.load()); });
    metrics->AddCounter("passledger_passkit_io_thread_total",
                        "PassKit reads answered from memory on the I/O thread",
                        [counters] { return static_cast<double>(counters->io_thread.load()); });
    metrics->AddCounter("passledger_passkit_deferred_total",
                        "PassKit reads tried on the I/O thread that needed the worker pool",
                        [counters] { return static_cast<double>(counters->deferred.load()); });
  }
  const RouteOptions small_body{handlers::kMaxRegisterBodyBytes};
  router.Add({bhttp::verb::post}, kRegistration, OnWorker(context, Register), small_body);
  router.Add({bhttp::verb::delete_}, kRegistration, OnWorker(context, Unregister), small_body);
  router.Add({bhttp::verb::get}, kRegistrations, OnIoThreadFirst(context, ListUpdated), small_body);
  router.Add({bhttp::verb::get, bhttp::verb::head}, kPass, OnIoThreadFirst(context, LatestPass),
             small_body);
  router.Add({bhttp::verb::post}, kLog, OnWorker(context, Log),
             RouteOptions{service.log_limits().max_body_bytes, AdmitLog(service)});
}

}  // namespace passledger::http

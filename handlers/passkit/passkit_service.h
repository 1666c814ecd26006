// PassKitService: Apple's PassKit Web Service (docs/PASSKIT.md) as socket-free
// handlers, one method per route. Inputs arrive already taken apart by http/ (path
// parameters, the raw Authorization value, the body bytes); results are domain values and
// Errors that http/ alone turns into statuses:
//
//   kInvalidArgument → 400, kTooLarge → 413, kUnauthenticated → 401, kNotFound → 404,
//   kPermissionDenied (a pass at its device cap) → 403; anything else → 500/503. Rate
//   limits are outcomes, not errors: the caller answers 429 with Retry-After. A forgotten
//   member's pass downloads as a void pass without personal data (PassBundles).
//
// Token routes answer every authentication failure (no or malformed header, wrong token,
// unknown serial, a serial of another pass type, a pass type this server does not serve)
// with the same kUnauthenticated message and the same work: an HMAC is computed and compared
// in constant time even when there is no pass to compare with.
//
// Registrations append DeviceRegistered / DeviceUnregistered to the device's stream
// (events::DeviceStream) with the stream version the decision was based on as the expected
// version, so concurrent identical requests write one event (the losers re-read and find the
// registration in place). A registration is looked up by key; one that repeats the device's
// push token writes nothing and spends no rate limit. A pass takes at most
// max_devices_per_pass devices (decided under a lock per serial, so racing devices cannot
// overshoot it), and registrations are rate limited per client network (every request that
// fails or writes) and per serial (every registration that would write).
//
// Device logs (POST /v1/log) go to a projections::DeviceLogStore, never to the event log.
// AdmitLog decides from the declared length before the body is read (per client network,
// and a global byte budget); Log stores what was admitted. Neither the client address nor
// its network is stored: only a keyed hash of the network.
//
// Thread-safe: every method may be called concurrently. The EventLog and PassBundles are
// borrowed and must outlive the service; the ReadModel must read that log's projections.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passkit/passkit_inputs.h"
#include "handlers/passkit/rate_limiter.h"
#include "projections/device_log_store.h"
#include "projections/read_model.h"

namespace passledger::handlers {

enum class RegisterOutcome {
  kCreated,            // 201: a new registration
  kAlreadyRegistered,  // 200: registered with this push token already; nothing written
  kUpdated,            // 200: registered, and the device's push token was replaced
  kRateLimited,        // 429 with Retry-After: nothing was looked at or written
};

struct RegisterResult {
  RegisterOutcome outcome = RegisterOutcome::kCreated;
  std::chrono::seconds retry_after{0};  // with kRateLimited
};

struct LatestPassResult {
  bool not_modified = false;         // 304: the pass is not newer than If-Modified-Since
  std::int64_t last_modified_s = 0;  // Last-Modified, Unix seconds
  signer::Bundle bundle;             // the .pkpass bytes; null when not_modified
  std::uint64_t content_position = 0;
};

struct PassKitOptions {
  LogLimits log_limits;
  RateLimit log_rate;  // requests per client network (IPv4 address, IPv6 /64)
  // Declared body bytes per client network, and for all clients together. Each burst must be
  // at least log_limits.max_body_bytes.
  RateLimit log_bytes_per_client{1 << 20, 1 << 20, 100'000};
  RateLimit log_bytes_total{16 << 20, 16 << 20, 1};
  // Borrowed, must outlive the service; null: logs are refused (503).
  projections::DeviceLogStore* device_logs = nullptr;
  // Keys the hash of a client network stored with its logs; empty: a random key (the
  // hashes then differ after a restart).
  std::string client_hash_key;

  std::size_t max_devices_per_pass = 20;
  RateLimit register_per_pass{10, 40, 100'000};     // keyed by serial
  RateLimit register_per_client{60, 120, 100'000};  // keyed by client network
  RateLimiter::Clock clock = std::chrono::steady_clock::now;
  // How often a registration is re-decided after losing a race on the device's stream.
  int max_attempts = 16;
  // Told of every well-formed list request (the push dispatcher's "the phone came back"
  // latency); called on the request's thread, must be cheap and thread-safe. May be empty.
  std::function<void(std::string_view device)> device_asked;
};

class PassKitService {
 public:
  // `log` and `bundles` are borrowed and must outlive the service.
  PassKitService(events::EventLog* log, projections::ReadModel read, const PassBundles* bundles,
                 PassKitOptions options = {});

  // POST /v1/devices/{device}/registrations/{passType}/{serial}, body {"pushToken": "<hex>"},
  // from `client_network` (http::RateLimitNetwork of the client address).
  Result<RegisterResult> Register(std::string_view device, std::string_view pass_type,
                                  std::string_view serial, std::string_view authorization,
                                  std::string_view body, std::string_view client_network = {});

  // GET /v1/devices/{device}/registrations/{passType}?passesUpdatedSince={tag}: the serials
  // whose content changed after `tag` (absent or unparsable = all), nullopt when there are
  // none (204) — also for an unknown device. kNotFound for a pass type no factory serves.
  //
  // The two GET routes may be tried at ReadTier::kMemoryOnly first (on an I/O thread): they
  // then answer from memory or fail with kWouldBlock, having written and signed nothing, and
  // the caller asks again at kAny off that thread.
  Result<std::optional<projections::UpdatedSerials>> ListUpdated(
      std::string_view device, std::string_view pass_type, std::string_view tag,
      projections::ReadTier tier = projections::ReadTier::kAny) const;

  // GET (and HEAD) /v1/passes/{passType}/{serial}; `if_modified_since` in Unix seconds. At
  // kMemoryOnly a bundle that is not cached is kWouldBlock (it would be signed).
  Result<LatestPassResult> LatestPass(
      std::string_view pass_type, std::string_view serial, std::string_view authorization,
      std::optional<std::int64_t> if_modified_since,
      projections::ReadTier tier = projections::ReadTier::kAny) const;

  // DELETE /v1/devices/{device}/registrations/{passType}/{serial}: whether a registration
  // existed (and DeviceUnregistered was appended); 200 either way.
  Result<bool> Unregister(std::string_view device, std::string_view pass_type,
                          std::string_view serial, std::string_view authorization);

  // POST /v1/log, before its body is read: nullopt admits a body of `declared_bytes` from
  // `client_network`; otherwise how long the client should wait (nothing is taken).
  std::optional<std::chrono::seconds> AdmitLog(std::string_view client_network,
                                               std::uint64_t declared_bytes);
  // POST /v1/log, body {"logs": ["...", ...]}, once admitted: one record in the device log
  // store with a keyed hash of `client_network`; the number of lines stored.
  Result<std::size_t> Log(std::string_view client_network, std::string_view body);
  // What Log stores as a record's "client" for `client_network`.
  std::string ClientHash(std::string_view client_network) const;

  // The limits Log enforces (http/ sets the route's body limit from them).
  const LogLimits& log_limits() const { return options_.log_limits; }

 private:
  struct AuthorizedPass {
    projections::PassView record;
  };
  struct DeviceState {
    std::uint64_t stream_version = 0;
    bool registered = false;
    std::string push_token;  // the device's current one, when registered
  };

  Result<AuthorizedPass> Authorize(std::string_view pass_type, std::string_view serial,
                                   std::string_view authorization,
                                   const projections::ReadModel& read) const;
  Result<DeviceState> ReadDevice(std::string_view device, std::string_view pass_type,
                                 std::string_view serial) const;
  std::mutex& SerialLock(std::string_view serial);
  Result<std::optional<RegisterResult>> TryRegister(std::string_view device,
                                                    std::string_view pass_type,
                                                    std::string_view serial,
                                                    const std::string& push_token);
  Result<bool> AppendToDevice(std::string_view device, std::uint64_t version, std::string_view type,
                              boost::json::object payload);
  Result<std::optional<bool>> TryUnregister(std::string_view device, std::string_view pass_type,
                                            std::string_view serial);

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  const PassBundles* const bundles_;
  const PassKitOptions options_;
  const std::string dummy_secret_;  // keys the HMAC computed when there is no pass
  const std::string client_hash_key_;

  // Thread-safe themselves.
  RateLimiter log_limiter_;
  RateLimiter log_client_bytes_;
  RateLimiter log_total_bytes_;
  RateLimiter register_pass_limiter_;
  RateLimiter register_client_limiter_;
  // Registrations of one serial are decided one at a time (the device cap); serials share
  // these by hash.
  std::array<std::mutex, 64> serial_locks_;
};

}  // namespace passledger::handlers

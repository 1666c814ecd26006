// PassKitService: Apple's PassKit Web Service (DESIGN.md §7, docs/PASSKIT.md) as socket-free
// handlers, one method per route. Inputs arrive already taken apart by http/ (path
// parameters, the raw Authorization value, the body bytes); results are domain values and
// Errors that http/ alone turns into statuses:
//
//   kInvalidArgument → 400, kTooLarge → 413, kUnauthenticated → 401, kNotFound → 404,
//   kFailedPrecondition (a forgotten member's pass) → 410; anything else → 500/503.
//
// Token routes answer every authentication failure (no or malformed header, wrong token,
// unknown serial, a serial of another pass type, a pass type this server does not serve)
// with the same kUnauthenticated message and the same work: an HMAC is computed and compared
// in constant time even when there is no pass to compare with.
//
// Registrations append DeviceRegistered / DeviceUnregistered to the device's stream with the
// stream version the decision was based on as the expected version, so concurrent identical
// requests write one event (the losers re-read and find the registration in place).
//
// Thread-safe: every method may be called concurrently. The EventLog and PassBundles are
// borrowed and must outlive the service; the ReadModel must read that log's projections.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/error.h"
#include "events/event_log.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passkit/passkit_inputs.h"
#include "handlers/passkit/rate_limiter.h"
#include "projections/read_model.h"

namespace passledger::handlers {

enum class RegisterOutcome {
  kCreated,            // 201: a new registration
  kAlreadyRegistered,  // 200: registered with this push token already; nothing written
  kUpdated,            // 200: registered, and the device's push token was replaced
};

struct LatestPassResult {
  bool not_modified = false;         // 304: the pass is not newer than If-Modified-Since
  std::int64_t last_modified_s = 0;  // Last-Modified, Unix seconds
  signer::Bundle bundle;             // the .pkpass bytes; null when not_modified
  std::uint64_t content_position = 0;
};

struct LogResult {
  // 429 with Retry-After when set: nothing was read or stored.
  std::optional<std::chrono::seconds> retry_after;
  std::size_t lines_stored = 0;  // 200 otherwise
};

struct PassKitOptions {
  LogLimits log_limits;
  RateLimit log_rate;  // per client address
  RateLimiter::Clock clock = std::chrono::steady_clock::now;
  // How often a registration is re-decided after losing a race on the device's stream.
  int max_attempts = 16;
};

class PassKitService {
 public:
  // `log` and `bundles` are borrowed and must outlive the service.
  PassKitService(events::EventLog* log, projections::ReadModel read, const PassBundles* bundles,
                 PassKitOptions options = {});

  // POST /v1/devices/{device}/registrations/{passType}/{serial}, body {"pushToken": "<hex>"}.
  Result<RegisterOutcome> Register(std::string_view device, std::string_view pass_type,
                                   std::string_view serial, std::string_view authorization,
                                   std::string_view body);

  // GET /v1/devices/{device}/registrations/{passType}?passesUpdatedSince={tag}: the serials
  // whose content changed after `tag` (absent or unparsable = all), nullopt when there are
  // none (204) — also for an unknown device. kNotFound for a pass type no factory serves.
  Result<std::optional<projections::UpdatedSerials>> ListUpdated(std::string_view device,
                                                                 std::string_view pass_type,
                                                                 std::string_view tag) const;

  // GET (and HEAD) /v1/passes/{passType}/{serial}; `if_modified_since` in Unix seconds.
  Result<LatestPassResult> LatestPass(std::string_view pass_type, std::string_view serial,
                                      std::string_view authorization,
                                      std::optional<std::int64_t> if_modified_since) const;

  // DELETE /v1/devices/{device}/registrations/{passType}/{serial}: whether a registration
  // existed (and DeviceUnregistered was appended); 200 either way.
  Result<bool> Unregister(std::string_view device, std::string_view pass_type,
                          std::string_view serial, std::string_view authorization);

  // POST /v1/log, body {"logs": ["...", ...]}: one DeviceLogReceived on stream device-logs.
  // The client address is used for rate limiting only and is never stored.
  Result<LogResult> Log(std::string_view client_address, std::string_view body);

  // The limits Log enforces (http/ sets the route's body limit from them).
  const LogLimits& log_limits() const { return options_.log_limits; }

 private:
  struct AuthorizedPass {
    boost::json::object record;
  };
  struct DeviceState {
    std::uint64_t stream_version = 0;
    bool registered = false;
    std::string push_token;  // the device's current one, when registered
  };

  Result<AuthorizedPass> Authorize(std::string_view pass_type, std::string_view serial,
                                   std::string_view authorization) const;
  Result<DeviceState> ReadDevice(std::string_view device, std::string_view serial) const;
  Result<std::optional<RegisterOutcome>> TryRegister(std::string_view device,
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

  // Thread-safe itself.
  RateLimiter log_limiter_;
};

}  // namespace passledger::handlers

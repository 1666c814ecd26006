#include "handlers/passkit/passkit_service.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <functional>

#include "base/crypto.h"
#include "events/catalogue.h"
#include "events/stream_names.h"
#include "signer/auth_token.h"

namespace passledger::handlers {
namespace {

namespace ev = passledger::events;

// Hex digits of a client network's keyed hash kept with its logs (64 bits: enough to tell
// networks apart in a ring of a few hundred thousand records).
constexpr std::size_t kClientHashHexDigits = 16;

// One message for every way authentication can fail, so the answer tells nothing apart.
Error Unauthenticated() {
  return MakeError(ErrorCode::kUnauthenticated, "missing or invalid ApplePass authorization");
}

using ev::DeviceStream;

std::chrono::seconds RetryAfter(std::chrono::milliseconds wait) {
  return std::max(std::chrono::ceil<std::chrono::seconds>(wait), std::chrono::seconds(1));
}

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomSecret() {
  std::string secret(signer::kTokenSecretSize, '\0');
  passledger::RandomBytes({reinterpret_cast<std::uint8_t*>(secret.data()), secret.size()});
  return secret;
}

Result<void> CheckIds(std::string_view device, std::string_view pass_type,
                      std::string_view serial) {
  if (auto ok = CheckId("device id", device); !ok) return ok;
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok;
  return CheckId("serial number", serial);
}

bool IsConflict(const Result<ev::AppendResult>& appended) {
  return !appended && appended.error().code == ErrorCode::kConflict;
}

}  // namespace

PassKitService::PassKitService(events::EventLog* log, projections::ReadModel read,
                               const PassBundles* bundles, PassKitOptions options)
    : log_(log),
      read_(read),
      bundles_(bundles),
      options_(std::move(options)),
      dummy_secret_(RandomSecret()),
      client_hash_key_(options_.client_hash_key.empty() ? RandomSecret()
                                                        : options_.client_hash_key),
      log_limiter_(options_.log_rate, options_.clock),
      log_client_bytes_(options_.log_bytes_per_client, options_.clock),
      log_total_bytes_(options_.log_bytes_total, options_.clock),
      register_pass_limiter_(options_.register_per_pass, options_.clock),
      register_client_limiter_(options_.register_per_client, options_.clock) {}

// The same reads, one HMAC and one constant-time comparison on every path.
Result<PassKitService::AuthorizedPass> PassKitService::Authorize(
    std::string_view pass_type, std::string_view serial, std::string_view authorization,
    const projections::ReadModel& read) const {
  const std::optional<std::string_view> presented = ApplePassToken(authorization);
  auto pass = read.Pass(serial);
  if (!pass) return pass.error();
  // (ReadModel::Pass decodes a stand-in record when there is none: the same cost either way.)
  const auto factory = bundles_->Factory(pass_type);
  const bool known = factory != nullptr && pass->has_value() && (*pass)->pass_type_id == pass_type;
  const std::string expected = known ? factory->AuthToken(serial, (*pass)->token_generation)
                                     : signer::PassAuthToken(dummy_secret_, serial, 1);
  const bool matches = signer::TokenMatches(presented.value_or(std::string_view()), expected);
  if (!known || !presented || !matches) return Unauthenticated();
  return AuthorizedPass{std::move(**pass)};
}

Result<PassKitService::DeviceState> PassKitService::ReadDevice(std::string_view device,
                                                               std::string_view pass_type,
                                                               std::string_view serial) const {
  // The version first: the views read next are at least that new, so an append expecting it
  // fails if anything changed in between.
  auto version = log_->StreamVersion(DeviceStream(device));
  if (!version) return version.error();
  auto token = read_.RegisteredPushToken(device, pass_type, serial);
  if (!token) return token.error();
  DeviceState state{*version, token->has_value(), token->value_or("")};
  return state;
}

std::mutex& PassKitService::SerialLock(std::string_view serial) {
  return serial_locks_[std::hash<std::string_view>{}(serial) % serial_locks_.size()];
}

Result<RegisterResult> PassKitService::Register(std::string_view device, std::string_view pass_type,
                                                std::string_view serial,
                                                std::string_view authorization,
                                                std::string_view body,
                                                std::string_view client_network) {
  if (auto ok = CheckIds(device, pass_type, serial); !ok) return ok.error();
  // Per client before authentication (guessing tokens is throttled too). A registration
  // that repeats the device's push token writes nothing and is given its token back, so a
  // phone re-registering costs no budget; failures and writes keep it spent.
  if (const auto wait = register_client_limiter_.Admit(client_network); wait.count() > 0) {
    return RegisterResult{RegisterOutcome::kRateLimited, RetryAfter(wait)};
  }
  if (auto authorized = Authorize(pass_type, serial, authorization, read_); !authorized) {
    return authorized.error();
  }
  auto push_token = ParsePushToken(body);
  if (!push_token) return push_token.error();
  std::lock_guard lock(SerialLock(serial));
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto result = TryRegister(device, pass_type, serial, *push_token);
    if (!result) return result.error();
    if (!*result) continue;
    if ((*result)->outcome == RegisterOutcome::kAlreadyRegistered) {
      register_client_limiter_.Refund(client_network);
    }
    return **result;
  }
  return MakeError(ErrorCode::kUnavailable,
                   "device " + std::string(device) + " changed under every registration attempt");
}

// Appends one event to the device's stream, expecting `version`, with actor device:<id>;
// false when another append to that stream came first.
Result<bool> PassKitService::AppendToDevice(std::string_view device, std::uint64_t version,
                                            std::string_view type, boost::json::object payload) {
  ev::AppendRequest request;
  request.stream = DeviceStream(device);
  request.expected = ev::ExpectedVersion::Exactly(version);
  request.actor = "device:" + std::string(device);
  request.events.push_back(
      ev::NewEvent{std::string(type), 0, std::move(payload), {}, std::nullopt});
  auto appended = log_->Append(std::move(request));
  if (IsConflict(appended)) return false;
  if (!appended) return appended.error();
  return true;
}

// nullopt: another append to the device's stream came first; decide again. The serial's
// rate limit is spent only by a registration that would write (so only after
// authentication: nobody without the pass can spend its budget).
Result<std::optional<RegisterResult>> PassKitService::TryRegister(std::string_view device,
                                                                  std::string_view pass_type,
                                                                  std::string_view serial,
                                                                  const std::string& push_token) {
  auto state = ReadDevice(device, pass_type, serial);
  if (!state) return state.error();
  if (state->registered && state->push_token == push_token) {
    return RegisterResult{RegisterOutcome::kAlreadyRegistered};
  }
  if (!state->registered) {
    const std::size_t cap = options_.max_devices_per_pass;
    auto devices = read_.CountDevicesForSerial(serial, cap);
    if (!devices) return devices.error();
    if (*devices >= cap) {
      return MakeError(ErrorCode::kPermissionDenied,
                       "pass " + std::string(serial) + " already has the most devices allowed (" +
                           std::to_string(cap) + "); unregister one first");
    }
  }
  if (const auto wait = register_pass_limiter_.Admit(serial); wait.count() > 0) {
    return RegisterResult{RegisterOutcome::kRateLimited, RetryAfter(wait)};
  }
  auto appended = AppendToDevice(device, state->stream_version, ev::kDeviceRegistered,
                                 {{"deviceId", device},
                                  {"passTypeId", pass_type},
                                  {"serial", serial},
                                  {"pushToken", push_token}});
  if (!appended || !*appended) register_pass_limiter_.Refund(serial);
  if (!appended) return appended.error();
  if (!*appended) return std::nullopt;
  return RegisterResult{state->registered ? RegisterOutcome::kUpdated : RegisterOutcome::kCreated};
}

Result<std::optional<projections::UpdatedSerials>> PassKitService::ListUpdated(
    std::string_view device, std::string_view pass_type, std::string_view tag,
    projections::ReadTier tier) const {
  if (auto ok = CheckId("device id", device); !ok) return ok.error();
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok.error();
  if (bundles_->Factory(pass_type) == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     "pass type " + std::string(pass_type) + " is not served here");
  }
  auto updated = read_.WithTier(tier).SerialsUpdatedSince(device, pass_type, tag);
  if (!updated) return updated.error();
  if (options_.device_asked) options_.device_asked(device);
  if (updated->serials.empty()) return std::optional<projections::UpdatedSerials>();
  return std::optional<projections::UpdatedSerials>(std::move(*updated));
}

Result<LatestPassResult> PassKitService::LatestPass(std::string_view pass_type,
                                                    std::string_view serial,
                                                    std::string_view authorization,
                                                    std::optional<std::int64_t> if_modified_since,
                                                    projections::ReadTier tier) const {
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok.error();
  if (auto ok = CheckId("serial number", serial); !ok) return ok.error();
  auto authorized = Authorize(pass_type, serial, authorization, read_.WithTier(tier));
  if (!authorized) return authorized.error();
  const projections::PassView& record = authorized->record;
  const std::int64_t last_modified = record.last_modified_s;
  if (if_modified_since && last_modified <= *if_modified_since) {
    return LatestPassResult{true, last_modified, nullptr, record.content_position};
  }
  if (tier == projections::ReadTier::kMemoryOnly) {
    auto cached = bundles_->Cached(record);
    if (!cached) return cached.error();
    if (!*cached) return MakeError(ErrorCode::kWouldBlock, "the pass's bundle is not cached");
    return LatestPassResult{false, (*cached)->last_modified_s, std::move((*cached)->bundle),
                            (*cached)->content_position};
  }
  auto latest = bundles_->ForPass(record);
  if (!latest) return latest.error();
  return LatestPassResult{false, latest->last_modified_s, std::move(latest->bundle),
                          latest->content_position};
}

Result<bool> PassKitService::Unregister(std::string_view device, std::string_view pass_type,
                                        std::string_view serial, std::string_view authorization) {
  if (auto ok = CheckIds(device, pass_type, serial); !ok) return ok.error();
  if (auto authorized = Authorize(pass_type, serial, authorization, read_); !authorized) {
    return authorized.error();
  }
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto removed = TryUnregister(device, pass_type, serial);
    if (!removed) return removed.error();
    if (*removed) return **removed;
  }
  return MakeError(ErrorCode::kUnavailable,
                   "device " + std::string(device) + " changed under every attempt to unregister");
}

// nullopt: another append to the device's stream came first; decide again.
Result<std::optional<bool>> PassKitService::TryUnregister(std::string_view device,
                                                          std::string_view pass_type,
                                                          std::string_view serial) {
  auto version = log_->StreamVersion(DeviceStream(device));
  if (!version) return version.error();
  auto registered = read_.IsRegistered(device, pass_type, serial);
  if (!registered) return registered.error();
  if (!*registered) return false;
  auto appended = AppendToDevice(
      device, *version, ev::kDeviceUnregistered,
      {{"deviceId", device}, {"passTypeId", pass_type}, {"serial", serial}, {"reason", "device"}});
  if (!appended) return appended.error();
  if (!*appended) return std::nullopt;
  return true;
}

std::optional<std::chrono::seconds> PassKitService::AdmitLog(std::string_view client_network,
                                                             std::uint64_t declared_bytes) {
  const auto bytes = static_cast<double>(declared_bytes);
  if (const auto wait = log_limiter_.Admit(client_network); wait.count() > 0) {
    return RetryAfter(wait);
  }
  if (const auto wait = log_client_bytes_.Admit(client_network, bytes); wait.count() > 0) {
    log_limiter_.Refund(client_network);
    return RetryAfter(wait);
  }
  if (const auto wait = log_total_bytes_.Admit("", bytes); wait.count() > 0) {
    log_limiter_.Refund(client_network);
    log_client_bytes_.Refund(client_network, bytes);
    return RetryAfter(wait);
  }
  return std::nullopt;
}

std::string PassKitService::ClientHash(std::string_view client_network) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), client_hash_key_.data(), static_cast<int>(client_hash_key_.size()),
       reinterpret_cast<const unsigned char*>(client_network.data()), client_network.size(), digest,
       &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size && out.size() < kClientHashHexDigits; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<std::size_t> PassKitService::Log(std::string_view client_network, std::string_view body) {
  if (options_.device_logs == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "device logs are not kept by this server");
  }
  auto lines = ParseLogLines(body, options_.log_limits);
  if (!lines) return lines.error();
  if (lines->empty()) return std::size_t{0};
  const std::size_t count = lines->size();
  projections::DeviceLogRecord record;
  record.at_ms = NowUnixMs();
  record.client = ClientHash(client_network);
  record.lines = std::move(*lines);
  auto stored = options_.device_logs->Append(std::move(record));
  if (!stored) return stored.error();
  return count;
}

}  // namespace passledger::handlers

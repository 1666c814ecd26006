#include "handlers/passkit/passkit_service.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "events/catalogue.h"
#include "events/crypto.h"
#include "signer/auth_token.h"

namespace passledger::handlers {
namespace {

namespace ev = passledger::events;

constexpr std::string_view kLogStream = "device-logs";
constexpr std::string_view kLogActor = "device:anonymous";

std::string_view TextOf(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

std::int64_t IntOf(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  return 0;
}

bool FlagOf(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

// One message for every way authentication can fail, so the answer tells nothing apart.
Error Unauthenticated() {
  return MakeError(ErrorCode::kUnauthenticated, "missing or invalid ApplePass authorization");
}

std::string DeviceStream(std::string_view device) { return "device-" + std::string(device); }

std::string RandomSecret() {
  std::string secret(signer::kTokenSecretSize, '\0');
  ev::RandomBytes({reinterpret_cast<std::uint8_t*>(secret.data()), secret.size()});
  return secret;
}

Result<void> CheckIds(std::string_view device, std::string_view pass_type,
                      std::string_view serial) {
  if (auto ok = CheckId("device id", device); !ok) return ok;
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok;
  return CheckId("serial number", serial);
}

// Stands in for a pass record when the serial is unknown: parsing it costs what parsing a real
// record (read_.Pass) costs, so an unknown serial is not answered measurably faster.
constexpr std::string_view kStandInRecord =
    R"({"serial":"0000000000000000000000","passTypeId":"pass.org.example.member",)"
    R"("membershipId":"8-10000000","cardholderIndex":0,"cardholder":"Xxxxxx Xxxxxx",)"
    R"("tokenGeneration":1,"voided":false,"contentPosition":1000000,)"
    R"("lastModifiedS":1764000000,"emailStatus":"sent"})";

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
      log_limiter_(options_.log_rate, options_.clock) {}

// The same reads, one HMAC and one constant-time comparison on every path.
Result<PassKitService::AuthorizedPass> PassKitService::Authorize(
    std::string_view pass_type, std::string_view serial, std::string_view authorization) const {
  const std::optional<std::string_view> presented = ApplePassToken(authorization);
  auto pass = read_.Pass(serial);
  if (!pass) return pass.error();
  if (!pass->has_value()) (void)boost::json::parse(kStandInRecord);  // the cost, not the value
  const signer::PassFactory* factory = bundles_->Factory(pass_type);
  const bool known =
      factory != nullptr && pass->has_value() && TextOf(**pass, "passTypeId") == pass_type;
  const std::string expected =
      known
          ? factory->AuthToken(serial, static_cast<std::uint64_t>(IntOf(**pass, "tokenGeneration")))
          : signer::PassAuthToken(dummy_secret_, serial, 1);
  const bool matches = signer::TokenMatches(presented.value_or(std::string_view()), expected);
  if (!known || !presented || !matches) return Unauthenticated();
  return AuthorizedPass{std::move(**pass)};
}

Result<PassKitService::DeviceState> PassKitService::ReadDevice(std::string_view device,
                                                               std::string_view serial) const {
  // The version first: the views read next are at least that new, so an append expecting it
  // fails if anything changed in between.
  auto version = log_->StreamVersion(DeviceStream(device));
  if (!version) return version.error();
  auto registrations = read_.DevicesForSerial(serial);
  if (!registrations) return registrations.error();
  DeviceState state{*version, false, {}};
  for (auto& registration : *registrations) {
    if (registration.device_id != device) continue;
    state.registered = true;
    state.push_token = std::move(registration.push_token);
  }
  return state;
}

Result<RegisterOutcome> PassKitService::Register(std::string_view device,
                                                 std::string_view pass_type,
                                                 std::string_view serial,
                                                 std::string_view authorization,
                                                 std::string_view body) {
  if (auto ok = CheckIds(device, pass_type, serial); !ok) return ok.error();
  if (auto authorized = Authorize(pass_type, serial, authorization); !authorized) {
    return authorized.error();
  }
  auto push_token = ParsePushToken(body);
  if (!push_token) return push_token.error();
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    auto outcome = TryRegister(device, pass_type, serial, *push_token);
    if (!outcome) return outcome.error();
    if (*outcome) return **outcome;
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

// nullopt: another append to the device's stream came first; decide again.
Result<std::optional<RegisterOutcome>> PassKitService::TryRegister(std::string_view device,
                                                                   std::string_view pass_type,
                                                                   std::string_view serial,
                                                                   const std::string& push_token) {
  auto state = ReadDevice(device, serial);
  if (!state) return state.error();
  if (state->registered && state->push_token == push_token) {
    return RegisterOutcome::kAlreadyRegistered;
  }
  auto appended = AppendToDevice(device, state->stream_version, ev::kDeviceRegistered,
                                 {{"deviceId", device},
                                  {"passTypeId", pass_type},
                                  {"serial", serial},
                                  {"pushToken", push_token}});
  if (!appended) return appended.error();
  if (!*appended) return std::nullopt;
  return state->registered ? RegisterOutcome::kUpdated : RegisterOutcome::kCreated;
}

Result<std::optional<projections::UpdatedSerials>> PassKitService::ListUpdated(
    std::string_view device, std::string_view pass_type, std::string_view tag) const {
  if (auto ok = CheckId("device id", device); !ok) return ok.error();
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok.error();
  if (bundles_->Factory(pass_type) == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     "pass type " + std::string(pass_type) + " is not served here");
  }
  auto updated = read_.SerialsUpdatedSince(device, pass_type, tag);
  if (!updated) return updated.error();
  if (updated->serials.empty()) return std::optional<projections::UpdatedSerials>();
  return std::optional<projections::UpdatedSerials>(std::move(*updated));
}

Result<LatestPassResult> PassKitService::LatestPass(
    std::string_view pass_type, std::string_view serial, std::string_view authorization,
    std::optional<std::int64_t> if_modified_since) const {
  if (auto ok = CheckId("pass type id", pass_type); !ok) return ok.error();
  if (auto ok = CheckId("serial number", serial); !ok) return ok.error();
  auto authorized = Authorize(pass_type, serial, authorization);
  if (!authorized) return authorized.error();
  const boost::json::object& record = authorized->record;
  if (FlagOf(record, "forgotten")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + std::string(serial) + " belongs to a forgotten member");
  }
  const std::int64_t last_modified = IntOf(record, "lastModifiedS");
  if (if_modified_since && last_modified <= *if_modified_since) {
    return LatestPassResult{true, last_modified, nullptr,
                            static_cast<std::uint64_t>(IntOf(record, "contentPosition"))};
  }
  auto latest = bundles_->ForPass(record);
  if (!latest) return latest.error();
  return LatestPassResult{false, latest->last_modified_s, std::move(latest->bundle),
                          latest->content_position};
}

Result<bool> PassKitService::Unregister(std::string_view device, std::string_view pass_type,
                                        std::string_view serial, std::string_view authorization) {
  if (auto ok = CheckIds(device, pass_type, serial); !ok) return ok.error();
  if (auto authorized = Authorize(pass_type, serial, authorization); !authorized) {
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

Result<LogResult> PassKitService::Log(std::string_view client_address, std::string_view body) {
  const std::chrono::milliseconds wait = log_limiter_.Admit(client_address);
  if (wait.count() > 0) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait);
    return LogResult{std::max(seconds, std::chrono::seconds(1)), 0};
  }
  auto lines = ParseLogLines(body, options_.log_limits);
  if (!lines) return lines.error();
  if (lines->empty()) return LogResult{};
  boost::json::array stored;
  for (auto& line : *lines) stored.emplace_back(std::move(line));
  ev::AppendRequest request;
  request.stream = std::string(kLogStream);
  request.actor = std::string(kLogActor);
  request.events.push_back(ev::NewEvent{
      std::string(ev::kDeviceLogReceived), 0, {{"lines", std::move(stored)}}, {}, std::nullopt});
  const std::size_t count = lines->size();
  auto appended = log_->Append(std::move(request));
  if (!appended) return appended.error();
  return LogResult{std::nullopt, count};
}

}  // namespace passledger::handlers

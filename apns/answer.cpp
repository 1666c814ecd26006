#include "apns/answer.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>


namespace passledger::apns {
namespace {

// Apple's body is tiny; a larger one is not APNs and is not parsed.
constexpr std::size_t kMaxBody = 4096;

// 400 reasons that concern one device, not our configuration.
bool IsDeviceReason(std::string_view reason) { return reason == "BadDeviceToken"; }

// 400 reasons that mean the connection idled out: the push itself was fine.
bool IsConnectionReason(std::string_view reason) { return reason == "IdleTimeout"; }

}  // namespace

Answer ParseAnswer(int status, std::string_view body) {
  Answer answer;
  answer.status = status;
  if (body.empty() || body.size() > kMaxBody) return answer;
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return answer;
  const auto& object = doc.get_object();
  if (const auto* reason = object.if_contains("reason"); reason && reason->is_string()) {
    answer.reason = std::string(reason->get_string());
  }
  if (const auto* stamp = object.if_contains("timestamp")) {
    if (stamp->is_int64()) answer.timestamp_ms = stamp->get_int64();
    if (stamp->is_uint64() && stamp->get_uint64() <= INT64_MAX) {
      answer.timestamp_ms = static_cast<std::int64_t>(stamp->get_uint64());
    }
  }
  return answer;
}

Verdict Judge(const Answer& answer) {
  const int status = answer.status;
  const std::string_view reason = answer.reason;
  if (status == 200) return Verdict::kDelivered;
  if (status == 0 || status >= 500) return Verdict::kRetry;
  if (status == 410) return Verdict::kUnregistered;
  if (status == 429) {
    return reason == "TooManyProviderTokenUpdates" ? Verdict::kTooManyProviderTokenUpdates
                                                   : Verdict::kTooManyRequests;
  }
  if (status == 403 && reason == "ExpiredProviderToken") return Verdict::kExpiredProviderToken;
  if (status == 400 && IsDeviceReason(reason)) return Verdict::kBadDeviceToken;
  if (status == 400 && IsConnectionReason(reason)) return Verdict::kRetry;
  if (status >= 400) return Verdict::kConfiguration;
  return Verdict::kRetry;  // 1xx/3xx/other 2xx: not an answer APNs gives; try again
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kDelivered:
      return "delivered";
    case Verdict::kUnregistered:
      return "unregistered";
    case Verdict::kBadDeviceToken:
      return "bad-token";
    case Verdict::kTooManyRequests:
      return "too-many-requests";
    case Verdict::kRetry:
      return "retry";
    case Verdict::kExpiredProviderToken:
      return "expired-provider-token";
    case Verdict::kTooManyProviderTokenUpdates:
      return "too-many-provider-token-updates";
    case Verdict::kConfiguration:
      return "configuration";
  }
  return "unknown";
}

}  // namespace passledger::apns

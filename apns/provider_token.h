// ProviderToken: the ES256 JSON Web Token that authenticates a provider to APNs with a
// token-signing key (a .p8 file from Apple's developer account: a PKCS#8 PEM EC P-256 key).
//
//   header  {"alg":"ES256","kid":<key id>}
//   claims  {"iss":<team id>,"iat":<Unix seconds when signed>}
//   token   base64url(header) "." base64url(claims) "." base64url(r || s)   (no padding)
//
// One token is signed per (team, key) and handed to every request and connection until it is
// `refresh_after` old (default 45 minutes: APNs refuses tokens older than an hour and answers
// TooManyProviderTokenUpdates to one refreshed more often than every 20 minutes). After APNs
// answered 403 ExpiredProviderToken, Expired(token) makes the next Current() sign a new one,
// once, however many requests report the same token.
//
// Thread-safe: Current() and Expired() may be called from any thread; signing happens under
// the lock, at most once per refresh.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/mutex.h"
#include "base/openssl_ptr.h"

namespace passledger::apns {

struct ProviderTokenOptions {
  std::string key_id;   // the key's 10-character id from Apple (the JWT's "kid")
  std::string team_id;  // the developer team id (the JWT's "iss")
  std::chrono::seconds refresh_after = std::chrono::minutes(45);
  // Unix seconds; tests step it by hand.
  std::function<std::int64_t()> clock;  // default: the system clock
};

class ProviderToken {
 public:
  // kInvalidArgument when the PEM is not an EC P-256 private key, or an id is not 1–32
  // letters and digits.
  static Result<std::unique_ptr<ProviderToken>> FromPem(std::string_view pem,
                                                        ProviderTokenOptions options);
  // The same from a .p8 file (at most 64 KiB); kNotFound/kUnavailable when it cannot be read.
  static Result<std::unique_ptr<ProviderToken>> FromFile(const std::filesystem::path& path,
                                                         ProviderTokenOptions options);

  // The token to send as "authorization: bearer <token>"; signed now when there is none, it
  // is `refresh_after` old, or Expired() was told about it.
  Result<std::string> Current() PL_EXCLUDES(mutex_);
  // APNs rejected `token` as expired. Ignored when `token` is not the current one (a newer
  // one has been signed already).
  void Expired(std::string_view token) PL_EXCLUDES(mutex_);
  // How many tokens were signed so far.
  std::uint64_t signed_count() const PL_EXCLUDES(mutex_);

 private:
  ProviderToken(UniquePkey key, ProviderTokenOptions options);
  Result<std::string> Sign(std::int64_t issued_at) const;

  // Constant after construction.
  const UniquePkey key_;
  const ProviderTokenOptions options_;

  mutable Mutex mutex_;
  std::string token_ PL_GUARDED_BY(mutex_);
  std::int64_t issued_at_ PL_GUARDED_BY(mutex_) = 0;
  bool expired_ PL_GUARDED_BY(mutex_) = false;
  std::uint64_t signed_count_ PL_GUARDED_BY(mutex_) = 0;
};

// Base64url without padding (RFC 7515 §2), the JWT's encoding.
std::string Base64Url(std::string_view bytes);

}  // namespace passledger::apns

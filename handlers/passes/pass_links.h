// PassLinks: the download links e-mailed to members (`GET /p/<id>`, docs/PASSKIT.md "Download
// links"). An id is made and checked by the server alone, under a secret derived from the master
// key (purpose kPassLinkSecretPurpose); nothing about it is stored.
//
// What an id holds (decision). The id is base64url (RFC 4648 §5, no padding) of
//
//   version (1 byte, 1) | made-at day (u32 BE, days since 1970-01-01 UTC) |
//   token generation (u64 BE) | serial length (1 byte, 1-128) | serial |
//   HMAC-SHA256(secret, all the bytes before it), first 16 bytes
//
// (67 characters for a 20-character serial). The serial is in the clear, authenticated but not
// encrypted: serials are 20 hexadecimal digits from the CSPRNG (handlers/import/roster_import.cpp,
// NewSerial), not derived from the member, the membership or the cardholder, so they carry no
// personal data, and whoever holds the link can download the pass, which names the serial
// anyway. Encrypting it would hide nothing a link holder cannot see.
//
// When an id resolves: its MAC is right, the pass exists and is not void (so neither voided
// nor forgotten: forgetting voids), its token generation is the pass's current one (revoking
// the token kills every link made before), and, with a maximum age, today (UTC) is at most
// max_age days after the day the link was made: a link lives at least max_age × 24 h and less
// than (max_age + 1) × 24 h. It names the pass, not a version:
// a revised pass resolves to its latest record. A pass voided and later unvoided resolves
// again (the link follows the pass's state; only a token revocation or the maximum age kill a
// link for good).
//
// Every failure is kNotFound with one message and the same work: the id is decoded strictly
// (canonical base64url, at most kMaxIdChars, so every changed character changes the bytes), a
// stand-in record replaces one that does not parse, the HMAC is computed and compared in
// constant time, and one pass record is read (a fixed stand-in serial's when the MAC is wrong,
// so the read does not depend on a serial the caller chose).
//
// Thread-safe: const after construction. The secret is wiped when the object is destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "projections/read_model.h"
#include "projections/views.h"

namespace passledger::handlers {

// The purpose string of the link secret (events::EventLog::DeriveKey).
inline constexpr std::string_view kPassLinkSecretPurpose = "mail/download-links";
inline constexpr std::size_t kMinPassLinkSecretSize = 32;
inline constexpr std::size_t kMaxLinkSerialBytes = 128;  // handlers::CheckId's bound
inline constexpr std::size_t kPassLinkMacBytes = 16;
// The longest id that can be valid (a 128-byte serial); longer input is not decoded.
inline constexpr std::size_t kMaxIdChars = ((1 + 4 + 8 + 1 + 128 + 16) * 4 + 2) / 3;

class PassLinks {
 public:
  using NowFn = std::function<std::int64_t()>;  // Unix seconds

  // `secret` ≥ kMinPassLinkSecretSize bytes (aborts otherwise: a configuration bug that must
  // never make forgeable links); `max_age` 0 = links do not age.
  PassLinks(std::string secret, std::chrono::days max_age, NowFn now_unix_s = SystemNow);
  ~PassLinks();
  PassLinks(const PassLinks&) = delete;
  PassLinks& operator=(const PassLinks&) = delete;

  // A new id for `pass`, made now. REQUIRES: pass.serial is 1-kMaxLinkSerialBytes bytes (every
  // serial in the views is; aborts otherwise).
  [[nodiscard]] std::string IdFor(const projections::PassView& pass) const;
  // `public_base_url` (a trailing '/' is dropped) + "/p/" + IdFor(pass).
  [[nodiscard]] std::string UrlFor(std::string_view public_base_url,
                                   const projections::PassView& pass) const;
  // The latest record of the pass `id` names, if the link is still alive; kNotFound with one
  // message otherwise. Storage errors (and kWouldBlock at ReadTier::kMemoryOnly) pass through.
  [[nodiscard]] Result<projections::PassView> Resolve(std::string_view id,
                                                      const projections::ReadModel& read) const;

  static std::int64_t SystemNow();

 private:
  std::int64_t Today() const;
  std::string Mac(std::string_view signed_bytes) const;

  // Constant after construction.
  std::string secret_;
  const std::chrono::days max_age_;
  const NowFn now_;
};

// The error every dead or invalid link gets (its message equals the router's 404's).
Error LinkNotFound();

}  // namespace passledger::handlers

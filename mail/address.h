// E-mail address checks for recipients and senders (addr-spec only, RFC 5322 §3.4.1).
//
// Deliberately narrower than RFC 5322: a dot-atom local part (no quoted strings, no comments),
// a domain of letter-digit-hyphen labels with at least one dot (no address literals), and
// ASCII only. Internationalised addresses (SMTPUTF8, RFC 6531) are refused rather than half
// supported: not every relay speaks SMTPUTF8, and an IDN domain would need IDNA conversion
// that we do not do. An operator can still enter the punycode form (xn--...).
//
// Error messages never repeat the address: they end up in logs and import reports, and an
// address is personal data (a forgotten member's address must not survive in a log line).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::mail {

inline constexpr std::size_t kMaxLocalPart = 64;  // RFC 5321 §4.5.3.1.1
inline constexpr std::size_t kMaxDomain = 253;    // RFC 1035, without the root dot
inline constexpr std::size_t kMaxAddress = 254;   // RFC 5321 path limit minus the brackets

// `text` trimmed of surrounding spaces, if it is one valid address; otherwise
// kInvalidArgument, in this order of precedence:
//   "no e-mail address"                                        (empty or only spaces)
//   "contains a line break or control character"               (CR, LF, any C0 or DEL)
//   "more than one address or a display name"                  (, ; < > " or inner spaces)
//   "is not a valid e-mail address: <why>"                     (everything else)
Result<std::string> CheckAddress(std::string_view text);

// True when every byte is below 0x80.
bool IsAscii(std::string_view text);

// RFC 5322 dot-atom-text: atext runs separated by single dots, not empty. Also the form of
// each side of a Message-ID.
bool IsDotAtomText(std::string_view text);

}  // namespace passledger::mail

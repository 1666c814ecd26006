// Message: one e-mail, and Compose, which turns it into the exact bytes that are sent
// (RFC 5322 headers, MIME body; CRLF line ends, 7-bit ASCII throughout).
//
// Why not libcurl's MIME API (curl_mime), as the issue suggested: the same bytes go to SMTP,
// to the .eml development outbox (mail/outbox_dir.h) and to `passledger mail preview`, which
// shows a message "exactly as it would be sent"; curl_mime builds the bytes only while it
// uploads them and cannot hand them back. So we compose them here, and libcurl does only the
// SMTP transport (mail/smtp_client.h), dot-stuffing included.
//
// The layout, always the same:
//   headers: From, Reply-To (if set), To, Subject, Date, Message-ID, MIME-Version,
//            List-Unsubscribe (if set), Content-Type: multipart/mixed
//   multipart/mixed
//     multipart/alternative
//       text/plain; charset=utf-8   quoted-printable
//       text/html; charset=utf-8    quoted-printable
//     each attachment               base64, Content-Disposition: attachment
//
// Deterministic: the same Message always composes to the same bytes. The MIME boundaries are
// "=_pl" plus a SHA-256 of the message id and of every field, so they differ whenever the
// content does; they begin with "=_", which neither quoted-printable nor base64 can produce
// and no header we write contains, so a boundary never occurs in the content.
//
// Display names and the subject are written plain when they are printable ASCII (a display
// name in quotes when it is not just words), otherwise, and when a word is too long to fold
// or looks like an encoded word ("=?"), as RFC 2047 encoded-words (=?utf-8?B?...?=, at most
// 39 bytes of UTF-8 each, never splitting a character, one per folded line). Header lines are
// folded at 78 columns where there is a space to fold at; no line exceeds 998 octets.
//
// Attachment names: a name of plain ASCII file-name characters is given as is (name= and
// filename=); any other name as RFC 2231 filename*=utf-8''... in Content-Disposition, with an
// ASCII fallback (other characters as "_") in Content-Type's name=. Not both forms in one
// header: strict parsers (Python's email) take that as a duplicate parameter. A name's
// percent-encoded form is written on one line (no RFC 2231 continuations): at most 255 bytes
// give a line of at most 785 octets.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace passledger::mail {

struct Mailbox {
  std::string address;       // addr-spec, checked by CheckAddress (mail/address.h)
  std::string display_name;  // UTF-8; empty = the bare address
};

struct Attachment {
  std::string filename;      // UTF-8, at most kMaxFilename bytes, no control characters
  std::string content_type;  // "type/subtype", no parameters (e.g. application/vnd.apple.pkpass)
  std::string bytes;
};

struct Message {
  Mailbox from;
  std::optional<Mailbox> reply_to;
  Mailbox to;
  std::string subject;           // UTF-8
  std::int64_t date_unix_s = 0;  // Date header (RFC 5322 date-time, +0000); years 1970-9999
  std::string message_id;        // without angle brackets, e.g. "pl-1234.5@garden.example"
  std::string list_unsubscribe;  // header value as given ("<mailto:...>, <https://...>");
                                 // empty = no header
  std::string text;              // text/plain body, UTF-8 (LF or CRLF line ends)
  std::string html;              // text/html body, UTF-8
  std::vector<Attachment> attachments;
};

inline constexpr std::size_t kMaxFilename = 255;
inline constexpr std::size_t kMaxMessageId = 250;

// The message's bytes. kInvalidArgument, naming the field, for: CR, LF or another control
// character in any header input (addresses, names, subject, message id, List-Unsubscribe,
// attachment names and types), an address CheckAddress refuses, text that is not UTF-8, a
// message id that is not dot-atom@dot-atom, a content type that is not type/subtype, a date
// outside 1970-9999, and a List-Unsubscribe value with a part too long to fold.
Result<std::string> Compose(const Message& m);

}  // namespace passledger::mail

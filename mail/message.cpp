// Compose of mail/message.h: headers (RFC 5322, RFC 2047), MIME structure (RFC 2045/2046),
// attachment names (RFC 2231).
#include "mail/message.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/crypto.h"
#include "base/time.h"
#include "mail/address.h"

namespace passledger::mail {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kFoldAt = 78;               // RFC 5322 §2.1.1 "SHOULD"
constexpr std::size_t kMaxLine = 998;             // RFC 5322 §2.1.1 "MUST"
constexpr std::size_t kEncodedWordBytes = 39;     // 52 base64 characters: a 64-character word
constexpr std::size_t kLongestPlainWord = 76;     // longer words are encoded, so they can fold
constexpr std::size_t kBase64Line = 76;           // RFC 2045 §6.8
constexpr std::size_t kQpLine = 76;               // RFC 2045 §6.7, the soft break's "=" included
constexpr std::int64_t kLastDate = 253402300799;  // 9999-12-31T23:59:59Z

Error FieldError(std::string_view field, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " " + std::string(what));
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, surrogates or
// code points above U+10FFFF), or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
  }
  return n;
}

bool IsUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = Utf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// A header field's input: no line break or other control character, and UTF-8.
Result<void> CheckHeaderText(std::string_view field, std::string_view value) {
  if (std::any_of(value.begin(), value.end(), IsControl)) {
    return FieldError(field, "contains a line break or control character");
  }
  if (!IsUtf8(value)) return FieldError(field, "is not valid UTF-8");
  return {};
}

// ---- header values ----

// RFC 2047 B encoded-words separated by spaces; each holds whole UTF-8 characters.
std::string EncodedWords(std::string_view utf8) {
  std::string out;
  for (std::size_t start = 0; start < utf8.size();) {
    std::size_t end = start;
    while (end < utf8.size()) {
      const std::size_t n = std::max<std::size_t>(Utf8Length(utf8, end), 1);
      if (end + n - start > kEncodedWordBytes) break;
      end += n;
    }
    if (!out.empty()) out += ' ';
    out += "=?utf-8?B?" + Base64Encode(utf8.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

bool HasLongWord(std::string_view s) {
  std::size_t run = 0;
  for (const char c : s) {
    run = c == ' ' ? 0 : run + 1;
    if (run > kLongestPlainWord) return true;
  }
  return false;
}

// Plain text would not survive as itself: non-ASCII, unfoldable, or read as an encoded-word.
bool NeedsEncoding(std::string_view s) {
  return !IsPrintableAscii(s) || HasLongWord(s) || s.find("=?") != std::string_view::npos;
}

bool IsAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// Atoms separated by single spaces: a phrase that needs no quotes.
bool IsAtomPhrase(std::string_view s) {
  if (s.front() == ' ' || s.back() == ' ' || s.find("  ") != std::string_view::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || IsAtext(c); });
}

std::string QuotedString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// REQUIRES: !name.empty(), CheckHeaderText passed.
std::string Phrase(std::string_view name) {
  if (NeedsEncoding(name)) return EncodedWords(name);
  return IsAtomPhrase(name) ? std::string(name) : QuotedString(name);
}

Result<std::string> MailboxText(std::string_view field, const Mailbox& mailbox) {
  auto address = CheckAddress(mailbox.address);
  if (!address) return FieldError(std::string(field) + " address", address.error().message);
  if (mailbox.display_name.empty()) return std::move(*address);
  if (auto ok = CheckHeaderText(std::string(field) + " display name", mailbox.display_name); !ok) {
    return ok.error();
  }
  return Phrase(mailbox.display_name) + " <" + *address + ">";
}

Result<std::string> SubjectText(std::string_view subject) {
  if (auto ok = CheckHeaderText("subject", subject); !ok) return ok.error();
  return NeedsEncoding(subject) ? EncodedWords(subject) : std::string(subject);
}

Result<std::string> DateText(std::int64_t unix_s) {
  if (unix_s < 0 || unix_s > kLastDate) return FieldError("date", "is outside 1970-9999");
  std::string date = FormatHttpDate(unix_s);  // "Sun, 06 Nov 1994 08:49:37 GMT"
  date.replace(date.size() - 3, 3, "+0000");
  return date;
}

Result<std::string> MessageIdText(std::string_view id) {
  if (auto ok = CheckHeaderText("message id", id); !ok) return ok.error();
  const std::size_t at = id.find('@');
  if (id.size() > kMaxMessageId || at == std::string_view::npos ||
      !IsDotAtomText(id.substr(0, at)) || !IsDotAtomText(id.substr(at + 1))) {
    return FieldError("message id",
                      "must be left@right (dot-atoms, at most 250 characters, "
                      "without angle brackets)");
  }
  return "<" + std::string(id) + ">";
}

// ---- folding ----

// A space at `i` where a line may be folded: text before it on the line, and text after.
bool FoldableAt(std::string_view h, std::size_t i) {
  return h[i] == ' ' && h[i - 1] != ' ' && i + 1 < h.size() && h[i + 1] != ' ';
}

// Appends "Name: value" CRLF, folded before a space at 78 columns where there is one (else at
// the first space after). kInvalidArgument when a line would still exceed 998 octets.
Result<void> AppendHeader(std::string_view name, std::string_view value, std::string* out) {
  const std::string h = std::string(name) + ":" + (value.empty() ? "" : " ") + std::string(value);
  std::size_t start = 0;
  std::size_t search_from = name.size() + 2;  // never fold right after "Name:"
  while (h.size() - start > kFoldAt) {
    std::size_t fold = std::string::npos;
    for (std::size_t i = search_from; i < h.size(); ++i) {
      if (!FoldableAt(h, i)) continue;
      if (fold != std::string::npos && i - start > kFoldAt) break;
      fold = i;
      if (i - start > kFoldAt) break;
    }
    if (fold == std::string::npos) break;
    if (fold - start > kMaxLine) break;
    out->append(h, start, fold - start).append(kCrlf);
    start = fold;
    search_from = fold + 1;
  }
  if (h.size() - start > kMaxLine) return FieldError(name, "header has a part too long to fold");
  out->append(h, start).append(kCrlf);
  return {};
}

// ---- bodies ----

// "=XX" (quoted-printable) or "%XX" (RFC 2231), upper-case hex.
std::string HexByte(char c, char prefix = '=') {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto u = static_cast<unsigned char>(c);
  return {prefix, kHex[u >> 4], kHex[u & 0xf]};
}

// A line break in body text: "\n" or "\r\n" at i; its length, or 0.
std::size_t LineBreakAt(std::string_view s, std::size_t i) {
  if (i < s.size() && s[i] == '\n') return 1;
  if (i + 1 < s.size() && s[i] == '\r' && s[i + 1] == '\n') return 2;
  return 0;
}

// Quoted-printable (RFC 2045 §6.7); LF and CRLF become CRLF line breaks.
std::string QuotedPrintable(std::string_view text) {
  std::string out;
  std::size_t column = 0;
  const auto put = [&](std::string_view token) {
    if (column + token.size() > kQpLine - 1) {
      out.append("=").append(kCrlf);
      column = 0;
    }
    out.append(token);
    column += token.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (const std::size_t n = LineBreakAt(text, i); n > 0) {
      out.append(kCrlf);
      column = 0;
      i += n - 1;
      continue;
    }
    const char c = text[i];
    const bool at_line_end = i + 1 == text.size() || LineBreakAt(text, i + 1) > 0;
    const bool literal =
        (c > ' ' && c < 0x7f && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    put(literal ? std::string(1, c) : HexByte(c));
  }
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  const std::string encoded = Base64Encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += kBase64Line) {
    if (i > 0) out.append(kCrlf);
    out.append(encoded, i, kBase64Line);
  }
  return out;
}

// ---- attachments ----

// RFC 2045 token: printable ASCII without spaces and tspecials.
bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > ' ' && c < 0x7f &&
           std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
  });
}

bool IsMediaType(std::string_view s) {
  const std::size_t slash = s.find('/');
  return s.size() <= 127 && slash != std::string_view::npos && IsToken(s.substr(0, slash)) &&
         IsToken(s.substr(slash + 1));
}

// The file name reduced to characters every client takes literally inside quotes; each
// other character, and each non-ASCII one, becomes "_". Never holds "=", so never a boundary.
std::string AsciiFallback(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); i += std::max<std::size_t>(Utf8Length(name, i), 1)) {
    const char c = name[i];
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view(" .-_()+,!#&~'").find(c) != std::string_view::npos;
    out += keep ? c : '_';
  }
  return out;
}

// RFC 2231 / RFC 5987 ext-value: utf-8''percent-encoded.
std::string ExtValue(std::string_view utf8) {
  std::string out = "utf-8''";
  for (const char c : utf8) {
    const bool attr_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    out += attr_char ? std::string(1, c) : HexByte(c, '%');
  }
  return out;
}

Result<void> AppendAttachmentHeaders(const Attachment& a, std::string* out) {
  if (auto ok = CheckHeaderText("attachment file name", a.filename); !ok) return ok;
  if (a.filename.empty() || a.filename.size() > kMaxFilename) {
    return FieldError("attachment file name", "must be 1 to 255 bytes");
  }
  if (!IsMediaType(a.content_type)) {
    return FieldError("attachment content type", "must be type/subtype (e.g. application/pdf)");
  }
  // A name that needs encoding is given once per header: the RFC 2231 form in the
  // disposition, the ASCII fallback in Content-Type's name (which clients without RFC 2231
  // use). Both forms in the disposition would be a duplicate parameter to strict parsers.
  const std::string fallback = "\"" + AsciiFallback(a.filename) + "\"";
  const std::string disposition = fallback == "\"" + a.filename + "\""
                                      ? "attachment; filename=" + fallback
                                      : "attachment; filename*=" + ExtValue(a.filename);
  if (auto ok = AppendHeader("Content-Type", a.content_type + "; name=" + fallback, out); !ok) {
    return ok;
  }
  if (auto ok = AppendHeader("Content-Disposition", disposition, out); !ok) return ok;
  out->append("Content-Transfer-Encoding: base64").append(kCrlf).append(kCrlf);
  out->append(Base64Lines(a.bytes));
  return {};
}

// ---- the whole message ----

// "=_pl" and 32 hex digits of a SHA-256 over the message id and every field, each length-
// prefixed so that moving bytes between fields changes the hash.
std::string BoundaryStem(const Message& m) {
  Sha256Stream hash;
  const auto add = [&](std::string_view field) {
    hash.Update(std::to_string(field.size()) + ":");
    hash.Update(field);
  };
  add(m.message_id);
  for (const Mailbox* box : {&m.from, &m.to, m.reply_to ? &*m.reply_to : nullptr}) {
    add(box != nullptr ? box->address : "-");
    add(box != nullptr ? box->display_name : "-");
  }
  add(m.subject);
  add(std::to_string(m.date_unix_s));
  add(m.list_unsubscribe);
  add(m.text);
  add(m.html);
  for (const Attachment& a : m.attachments) {
    add(a.filename);
    add(a.content_type);
    add(a.bytes);
  }
  const Hash digest = hash.Finish();
  return "=_pl" + ToHex(digest).substr(0, 32);
}

Result<void> AppendTopHeaders(const Message& m, std::string_view boundary, std::string* out) {
  auto from = MailboxText("from", m.from);
  if (!from) return from.error();
  if (auto ok = AppendHeader("From", *from, out); !ok) return ok;
  if (m.reply_to) {
    auto reply_to = MailboxText("reply-to", *m.reply_to);
    if (!reply_to) return reply_to.error();
    if (auto ok = AppendHeader("Reply-To", *reply_to, out); !ok) return ok;
  }
  auto to = MailboxText("to", m.to);
  if (!to) return to.error();
  if (auto ok = AppendHeader("To", *to, out); !ok) return ok;
  auto subject = SubjectText(m.subject);
  if (!subject) return subject.error();
  if (auto ok = AppendHeader("Subject", *subject, out); !ok) return ok;
  auto date = DateText(m.date_unix_s);
  if (!date) return date.error();
  if (auto ok = AppendHeader("Date", *date, out); !ok) return ok;
  auto id = MessageIdText(m.message_id);
  if (!id) return id.error();
  if (auto ok = AppendHeader("Message-ID", *id, out); !ok) return ok;
  out->append("MIME-Version: 1.0").append(kCrlf);
  if (!m.list_unsubscribe.empty()) {
    if (auto ok = CheckHeaderText("list_unsubscribe", m.list_unsubscribe); !ok) return ok;
    if (!IsAscii(m.list_unsubscribe)) {
      return FieldError("list_unsubscribe", "must be ASCII (percent-encode the URLs)");
    }
    if (auto ok = AppendHeader("List-Unsubscribe", m.list_unsubscribe, out); !ok) return ok;
  }
  return AppendHeader("Content-Type", "multipart/mixed; boundary=\"" + std::string(boundary) + "\"",
                      out);
}

void AppendTextPart(std::string_view boundary, std::string_view type, std::string_view body,
                    std::string* out) {
  out->append("--").append(boundary).append(kCrlf);
  out->append("Content-Type: ").append(type).append("; charset=utf-8").append(kCrlf);
  out->append("Content-Transfer-Encoding: quoted-printable").append(kCrlf).append(kCrlf);
  out->append(QuotedPrintable(body)).append(kCrlf);
}

Result<void> AppendBody(const Message& m, const std::string& stem, std::string* out) {
  if (!IsUtf8(m.text)) return FieldError("text", "is not valid UTF-8");
  if (!IsUtf8(m.html)) return FieldError("html", "is not valid UTF-8");
  const std::string mixed = stem + ".m";
  const std::string alternative = stem + ".a";
  out->append("--").append(mixed).append(kCrlf);
  out->append("Content-Type: multipart/alternative; boundary=\"")
      .append(alternative)
      .append("\"")
      .append(kCrlf)
      .append(kCrlf);
  AppendTextPart(alternative, "text/plain", m.text, out);
  AppendTextPart(alternative, "text/html", m.html, out);
  out->append("--").append(alternative).append("--").append(kCrlf);
  for (const Attachment& a : m.attachments) {
    out->append("--").append(mixed).append(kCrlf);
    if (auto ok = AppendAttachmentHeaders(a, out); !ok) return ok;
    out->append(kCrlf);
  }
  out->append("--").append(mixed).append("--").append(kCrlf);
  return {};
}

}  // namespace

Result<std::string> Compose(const Message& m) {
  const std::string stem = BoundaryStem(m);
  std::string out;
  if (auto ok = AppendTopHeaders(m, stem + ".m", &out); !ok) return ok.error();
  out.append(kCrlf);
  if (auto ok = AppendBody(m, stem, &out); !ok) return ok.error();
  return out;
}

}  // namespace passledger::mail

// The checks of mail/address.h.
#include "mail/address.h"

#include <algorithm>

namespace passledger::mail {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext.
bool IsAtext(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A DNS label of letters, digits and inner hyphens, 1 to 63 octets.
bool IsLdhLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

Error Invalid(std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "is not a valid e-mail address: " + std::string(why));
}

// Empty when `domain` is acceptable, else why not.
std::string_view DomainProblem(std::string_view domain) {
  if (domain.empty()) return "nothing after the @";
  if (domain.size() > kMaxDomain) return "the domain is longer than 253 characters";
  if (domain.front() == '[') return "address literals ([...]) are not accepted";
  if (domain.find('.') == std::string_view::npos) {
    return "the domain needs a dot (e.g. example.org)";
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = std::min(domain.find('.', start), domain.size());
    if (!IsLdhLabel(domain.substr(start, dot - start))) {
      return "the domain must be letters, digits, hyphens and single dots";
    }
    if (dot == domain.size()) return {};
    start = dot + 1;
  }
}

}  // namespace

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool IsDotAtomText(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  if (text.find("..") != std::string_view::npos) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '.' || IsAtext(c); });
}

Result<std::string> CheckAddress(std::string_view text) {
  const std::string_view trimmed = TrimSpaces(text);
  if (trimmed.empty()) return MakeError(ErrorCode::kInvalidArgument, "no e-mail address");
  if (std::any_of(text.begin(), text.end(), IsControl)) {
    return MakeError(ErrorCode::kInvalidArgument, "contains a line break or control character");
  }
  if (trimmed.find_first_of(",; <>\"") != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "more than one address or a display name");
  }
  if (trimmed.size() > kMaxAddress) return Invalid("longer than 254 characters");
  if (!IsAscii(trimmed)) {
    return Invalid("non-ASCII addresses are not supported (use the xn-- form of the domain)");
  }
  const std::size_t at = trimmed.rfind('@');
  if (at == std::string_view::npos) return Invalid("no @");
  const std::string_view local = trimmed.substr(0, at);
  if (local.empty()) return Invalid("nothing before the @");
  if (local.size() > kMaxLocalPart) return Invalid("the part before the @ is over 64 characters");
  if (!IsDotAtomText(local)) {
    return Invalid("the part before the @ has a character or dot that is not allowed");
  }
  if (const std::string_view problem = DomainProblem(trimmed.substr(at + 1)); !problem.empty()) {
    return Invalid(problem);
  }
  return std::string(trimmed);
}

}  // namespace passledger::mail

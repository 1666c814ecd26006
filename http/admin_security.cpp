#include "http/admin_security.h"

#include <algorithm>
#include <cctype>

#include "http/header_text.h"

namespace passledger::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string CookieAttributes(bool secure) {
  return std::string("; Path=/admin; HttpOnly; SameSite=Strict") + (secure ? "; Secure" : "");
}

}  // namespace

void AddAdminSecurityHeaders(Response& response) {
  response.set("Content-Security-Policy", kAdminContentSecurityPolicy);
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  response.set("Cross-Origin-Opener-Policy", "same-origin");
  response.set("Cross-Origin-Resource-Policy", "same-origin");
  response.set(boost::beast::http::field::cache_control, "no-store");
}

std::string SessionCookie(std::string_view session_id, bool secure) {
  return std::string(kSessionCookie) + "=" + std::string(session_id) + CookieAttributes(secure);
}

std::string ClearedSessionCookie(bool secure) {
  return std::string(kSessionCookie) + "=" + CookieAttributes(secure) +
         "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
}

std::optional<std::string> SessionIdFromCookies(std::string_view header) {
  std::optional<std::string> found;
  while (!header.empty()) {
    const std::size_t semicolon = header.find(';');
    const std::string_view pair = TrimOws(header.substr(0, semicolon));
    header.remove_prefix(semicolon == std::string_view::npos ? header.size() : semicolon + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || TrimOws(pair.substr(0, equals)) != kSessionCookie) {
      continue;
    }
    if (found) return std::nullopt;  // twice: refuse
    found = std::string(TrimOws(pair.substr(equals + 1)));
  }
  if (found && found->empty()) return std::nullopt;
  return found;
}

std::string OriginOf(std::string_view url) {
  const std::string lower = Lower(url);
  std::string_view rest = lower;
  std::string scheme;
  if (rest.starts_with("https://")) {
    scheme = "https";
  } else if (rest.starts_with("http://")) {
    scheme = "http";
  } else {
    return "";
  }
  rest.remove_prefix(scheme.size() + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return "";
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (authority.ends_with(default_port)) authority.remove_suffix(default_port.size());
  return scheme + "://" + std::string(authority);
}

bool OriginAllowed(std::optional<std::string_view> origin, std::string_view host,
                   std::string_view public_origin, bool tls) {
  if (!origin) return true;
  const std::string given = OriginOf(*origin);
  if (given.empty() || given.size() != TrimOws(*origin).size()) return false;  // a path, "null"
  if (!public_origin.empty() && given == public_origin) return true;
  if (host.empty()) return false;
  return given == OriginOf(std::string(tls ? "https://" : "http://") + std::string(TrimOws(host)));
}

}  // namespace passledger::http

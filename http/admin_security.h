// The browser-facing rules of the staff admin API (docs/ADMIN.md, "Security model"): the
// headers every /admin response carries, the session cookie, and the Origin check. Pure
// functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/status.h"

namespace passledger::http {

inline constexpr std::string_view kSessionCookie = "passledger_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// No inline script or style, nothing from elsewhere, never framed.
inline constexpr std::string_view kAdminContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// Sets Content-Security-Policy, X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
// X-Frame-Options: DENY, Cross-Origin-Opener-Policy and -Resource-Policy: same-origin, and
// Cache-Control: no-store (API answers are never cached).
void AddAdminSecurityHeaders(Response& response);

// "passledger_session=<id>; Path=/admin; HttpOnly; SameSite=Strict[; Secure]". The cookie has
// no Max-Age: the server ends sessions (idle and absolute expiry), the browser at its close.
std::string SessionCookie(std::string_view session_id, bool secure);
// The same cookie emptied and expired (logout).
std::string ClearedSessionCookie(bool secure);

// The value of the session cookie in a Cookie header ("a=1; passledger_session=x"); nullopt
// when there is none, it is empty, or it appears more than once (a cookie planted by a
// sibling domain beside ours: refuse rather than guess).
std::optional<std::string> SessionIdFromCookies(std::string_view cookie_header);

// Whether a request's Origin header may change state: absent (non-browser clients, and
// same-origin GETs), equal to `public_origin` ("https://pass.example.org", from the public
// URL), or naming the host the request was sent to (its Host header) with the scheme the
// server speaks (`tls`). "null" and anything else are refused.
bool OriginAllowed(std::optional<std::string_view> origin, std::string_view host,
                   std::string_view public_origin, bool tls);

// "scheme://host[:port]" of an absolute URL, lower-cased, with the default port dropped;
// empty when `url` is not http(s)://.
std::string OriginOf(std::string_view url);

}  // namespace passledger::http

// The staff admin API (docs/ADMIN.md) on a Router: JSON routes under /admin/api/, each with
// the least role that may call it, in one table (AdminRouteTable) that the router, the
// documentation's route table and the role tests all follow.
//
// Every request, on a worker of the admin pool (Argon2 and appends never run on an I/O
// thread), except those of the operator socket (Request::local_peer, set by the session from
// the peer's credentials), which skip 1–4 and act as AdminCaller{<unix user>, kAdmin,
// "operator:<unix user>"}:
//   1. a foreign Origin → 403 (http/admin_security.h);
//   2. the session cookie → the caller (handlers::StaffSessions::Validate); none or a dead
//      session → 401 (except the login route, which needs none);
//   3. the caller's role below the route's → 403;
//   4. a state-changing method (POST, PUT, PATCH, DELETE) without X-CSRF-Token equal to the
//      session's token → 403;
//   5. the endpoint (http/admin_endpoints.h), whose Result becomes the answer: a JSON document,
//      a file, or {"error": "..."} through StatusFor.
// Every answer, errors and refusals included, carries the admin security headers and
// Cache-Control: no-store. No answer carries a pass or push token, a session id (other than in
// Set-Cookie), a password hash or a key.
//
// Borrowed: everything in AdminServices and `workers` must outlive every Server using the
// router; stop `workers` before destroying the Server.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/admin_endpoints.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/worker_pool.h"

namespace passledger::http {

struct AdminRouteSpec {
  AdminRouteId id;
  bhttp::verb method;
  std::string_view path;
  // The least role that may call it; nullopt: no session needed (logging in).
  std::optional<AdminRole> role;
  std::size_t body_limit = 0;  // bytes; 0 for routes without a body
  std::string_view summary;    // one line for docs/ADMIN.md
};

// Every admin route, in the order they are matched.
std::span<const AdminRouteSpec> AdminRouteTable();

struct AdminHttpOptions {
  bool secure_cookies = false;  // native TLS, or an https public URL (a TLS proxy in front)
  bool tls = false;             // the server itself speaks TLS (for the Origin check)
  std::string public_origin;    // OriginOf(the public URL); empty = only the Host check
  std::size_t import_body_limit = 200u << 20;  // bytes of an upload (import.max_file_mib)
};

// Registers every route of AdminRouteTable. With `metrics`, adds
// passledger_admin_rejected_total (503: the admin pool was full).
void AddAdminRoutes(Router& router, const AdminServices& services, WorkerPool& workers,
                    AdminHttpOptions options, Metrics* metrics);

}  // namespace passledger::http

// Internal to http/: the endpoints of the admin API that the `passledger` commands use through
// the operator socket (docs/ADMIN.md, "The operator socket"), beside those the admin app uses
// (admin_endpoints.cpp). Admin-only routes; the caller is authorised by admin_routes.cpp. Thin,
// like the others: each takes the request apart and calls a socket-free service.
//
// Thread-safety: as RunAdminEndpoint (admin pool workers, concurrently).
#pragma once

#include "http/admin_endpoints.h"

namespace passledger::http {

// POST /admin/api/operator/import: `passledger import` — the file as the body; the query
// carries the command's flags (file_name, dry_run, show, policy_left, encoding, pass_type).
// A file imported before runs again as a new job, as on the data directory. Dry run: 200 the
// summary; else 202 {id, existing} (existing: the file's job was queued or running).
Result<AdminAnswer> OperatorImport(const AdminServices& services, const AdminCall& call);

// POST /admin/api/push {serials?, member?}: one recorded batch now (PushDispatcher::PushNow);
// 200 {devices, delivered, unregistered, kept, failed, recordedPosition}. kFailedPrecondition
// when push is off.
Result<AdminAnswer> OperatorPush(const AdminServices& services, const AdminCall& call);

// POST /admin/api/forget {subject, stream?, reason?}: crypto-shreds any subject (a member, a
// staff account); stream defaults to member-<subject>. 200 {position, alreadyForgotten}.
Result<AdminAnswer> OperatorForget(const AdminServices& services, const AdminCall& call);

// POST /admin/api/rebuilds: 202 {id, existing: false}, or 200 {id, existing: true} for the
// rebuild already running. GET /admin/api/rebuilds/{id}[?after=<revision>]: its status
// (handlers::RebuildStatusJson), waiting up to 1 s for a revision past `after`.
Result<AdminAnswer> RebuildStart(const AdminServices& services, const AdminCall& call);
Result<AdminAnswer> RebuildGet(const AdminServices& services, const AdminCall& call);

}  // namespace passledger::http

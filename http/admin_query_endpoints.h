// The read endpoints of the staff admin API (docs/ADMIN.md, "Routes"): dashboard, members,
// member detail and timeline, pass preview, devices and device logs, the audit log, the
// import history, verification. Each takes the query string apart, runs one of the
// socket-free queries in handlers/admin/ and answers its JSON document. Called by
// RunAdminEndpoint (http/admin_endpoints.h) after the route's checks; same threads.
#pragma once

#include "http/admin_endpoints.h"

namespace passledger::http {

Result<AdminAnswer> DashboardEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> MembersEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> MemberEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> MemberTimelineEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> PassPreviewEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> PassImageEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> DevicesEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> DeviceLogsEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> EventsEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> ImportListEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> VerificationEndpoint(const AdminServices& s, const AdminCall& call);
Result<AdminAnswer> VerificationRunEndpoint(const AdminServices& s, const AdminCall& call);

}  // namespace passledger::http

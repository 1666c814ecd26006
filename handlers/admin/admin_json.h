// The JSON documents the admin API answers, one per query record (camelCase keys; times as
// RFC 3339 UTC text with microseconds, "…At"; cursors as `nextCursor`, null on the last
// page). The view records inside (a member, a pass) are in their one JSON form for users,
// projections/view_json.h. No document holds a secret: the records have no field for a pass
// authentication token, a push token (only `hasPushToken`), a password hash or a key, and the
// audit events' payloads and personal parts come redacted (handlers/admin/event_browser.h).
// The shapes are listed in docs/ADMIN.md. Pure functions.
#pragma once

#include <boost/json/object.hpp>

#include "handlers/admin/dashboard.h"
#include "handlers/admin/devices.h"
#include "handlers/admin/event_browser.h"
#include "handlers/admin/member_detail.h"
#include "handlers/admin/member_search.h"
#include "handlers/admin/pass_preview.h"
#include "handlers/admin/verification_runs.h"

namespace passledger::handlers {

boost::json::object ToJson(const Dashboard& dashboard);
boost::json::object ToJson(const MemberListEntry& entry);
boost::json::object ToJson(const MemberListPage& page);
boost::json::object ToJson(const TimelineEntry& entry);
boost::json::object ToJson(const Timeline& timeline);
boost::json::object ToJson(const MemberDetail& detail);
boost::json::object ToJson(const AuditEvent& event);
boost::json::object ToJson(const EventPage& page);
boost::json::object ToJson(const PassPreview& preview);
boost::json::object ToJson(const DeviceEntry& device);
boost::json::object ToJson(const DevicePage& page);
boost::json::object ToJson(const projections::DeviceLogRecord& record);
boost::json::object ToJson(const DeviceLogPage& page);
// One row of the import history (and the dashboard's last import): no rejected rows.
boost::json::object ImportListRowJson(const projections::ImportView& job);
boost::json::object ToJson(const VerificationRun& run);
boost::json::object ToJson(const VerificationStatus& status);

}  // namespace passledger::handlers

// The JSON form of the view records, for what users see (`passledger state`, `log`, the admin
// API): one encoder per record type, field names as in docs/STORAGE.md ("Projection views").
// Secrets are left out: a device's push token and a staff member's password hash never leave
// as JSON (`hasPushToken` / `hasPassword` say whether there is one). Pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

#include "projections/views.h"

namespace passledger::projections {

boost::json::object ToJson(const MemberView& member);
boost::json::object ToJson(const PassView& pass);
boost::json::object ToJson(const DeviceView& device);
boost::json::object ToJson(const ImportView& job);
boost::json::object ToJson(const StaffView& staff);
boost::json::object ToJson(const TemplateView& record);
boost::json::object ToJson(const CountsView& counts);
boost::json::object ToJson(const ActivityBucket& bucket);

std::string_view EmailStatusName(EmailStatus status);
std::string_view ImportStateName(ImportState state);

}  // namespace passledger::projections

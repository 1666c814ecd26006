// The endpoints of the staff admin API (docs/ADMIN.md, "Routes"): each takes an authenticated,
// authorised call (http/admin_routes.h did the checks) apart — path parameters, query, JSON
// body — calls the socket-free services in handlers/ and returns the answer. Thin: no domain
// logic here, and HTTP statuses only for successes (errors go through StatusFor).
//
// Thread-safety: RunAdminEndpoint runs on the admin pool's workers, concurrently; the services
// are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"
#include "handlers/admin/dashboard.h"
#include "handlers/admin/verification_runs.h"
#include "handlers/import/import_jobs.h"
#include "handlers/mail/mail_requests.h"
#include "handlers/operations/rebuild_jobs.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/push/push_dispatcher.h"
#include "handlers/staff/staff_accounts.h"
#include "handlers/staff/staff_sessions.h"
#include "handlers/templates/template_service.h"
#include "http/router.h"
#include "http/status.h"
#include "projections/device_log_store.h"
#include "projections/projections.h"
#include "projections/read_model.h"

namespace passledger::http {

// Least to most: every role may do what the ones before it may.
enum class AdminRole { kAuditor = 0, kStaff = 1, kAdmin = 2 };

std::optional<AdminRole> ParseAdminRole(std::string_view name);
std::string_view AdminRoleName(AdminRole role);

enum class AdminRouteId {
  kLogin,
  kWhoAmI,
  kLogout,
  kMemberEmail,
  kBulkEmail,
  kPassVoid,
  kPassUnvoid,
  kPassRevokeToken,
  kPassFile,
  kStaffList,
  kStaffCreate,
  kStaffChange,
  kMemberForget,
  kImportUpload,
  kImportGet,
  kImportEvents,
  kImportList,
  kDashboard,
  kMembers,
  kMember,
  kMemberTimeline,
  kPassPreview,
  kPassImage,
  kDevices,
  kDeviceLogs,
  kEvents,
  kVerification,
  kVerificationRun,
  kTemplateGet,  // http/admin_template_endpoints.h
  kTemplatePut,
  kTemplateImage,
  kTemplatePreview,
  kTemplatePublish,
  // The operator's commands (http/admin_operator_endpoints.cpp; `passledger …` through the
  // operator socket, docs/ADMIN.md).
  kOperatorImport,
  kPush,
  kForget,
  kRebuildStart,
  kRebuildGet,
};

// Who is calling, as the session (or the operator socket) says.
struct AdminCaller {
  std::string username;
  AdminRole role = AdminRole::kAuditor;
  std::string actor;  // recorded with every event: "staff:<username>", "operator:<unix user>"
};

// Borrowed services; every pointer must outlive the routes.
struct AdminServices {
  events::EventLog* log = nullptr;
  projections::Projections* projections = nullptr;  // forgetting
  const projections::ReadModel* read = nullptr;
  const handlers::PassBundles* bundles = nullptr;
  handlers::StaffAccounts* accounts = nullptr;
  handlers::StaffSessions* sessions = nullptr;
  handlers::ImportJobs* imports = nullptr;
  const projections::DeviceLogStore* device_logs = nullptr;  // nullptr: none kept
  handlers::VerificationRuns* verification = nullptr;
  handlers::DashboardOptions dashboard;  // the organisation's time zone for days
  std::string organization_name;         // organization.name, for the staff app's session
  handlers::TemplateService* templates = nullptr;  // nullptr: the template routes answer 503
  handlers::RebuildJobs* rebuilds = nullptr;
  handlers::PushDispatcher* push = nullptr;  // nullptr: push is off, and push_off says why
  std::string push_off;
};

// What an endpoint answers: a JSON document, or bytes of a type (a pass file).
struct AdminAnswer {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;                              // serialised JSON unless content_type is set
  std::string content_type;                      // empty: application/json
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Set-Cookie, Retry-After
};

struct AdminCall {
  const Request& request;
  std::shared_ptr<const Request> shared;  // the same request, for work that outlives the call
  const AdminCaller* caller = nullptr;  // nullptr only for the login route
  std::string_view session_id;          // the cookie's session, when there is one
  bool secure_cookies = false;
};

// kInvalidArgument for a bad body or parameter (the message names it), and the services'
// errors as they give them.
Result<AdminAnswer> RunAdminEndpoint(AdminRouteId id, const AdminServices& services,
                                     const AdminCall& call);

}  // namespace passledger::http

#include "http/admin_endpoints.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <variant>

#include "handlers/passes/pass_actions.h"
#include "handlers/passes/pass_tokens.h"
#include "http/admin_endpoint_support.h"
#include "http/admin_query_endpoints.h"
#include "http/admin_operator_endpoints.h"
#include "http/admin_security.h"
#include "http/admin_template_endpoints.h"
#include "http/client_address.h"
#include "http/multipart.h"
#include "projections/view_json.h"

namespace passledger::http {
namespace {

namespace json = boost::json;
using bhttp::status;

json::object UserJson(std::string_view username, std::string_view role) {
  return json::object{{"username", username}, {"role", role}};
}

// --- sessions ---

// What the staff app shows in every page: whose server this is, and the zone it gives times in.
json::object OrganizationJson(const AdminServices& s) {
  return {{"name", s.organization_name}, {"timeZone", s.dashboard.time_zone.name()}};
}

Result<AdminAnswer> Login(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto username = StringField(*body, "username", true);
  if (!username) return username.error();
  auto password = StringField(*body, "password", true);
  if (!password) return password.error();
  auto outcome = s.sessions->Login(*username, *password, RateLimitNetwork(call.request.client));
  if (!outcome) return outcome.error();
  if (const auto* locked = std::get_if<handlers::LoginLocked>(&*outcome)) {
    const std::int64_t minutes = (locked->retry_after_seconds + 59) / 60;
    AdminAnswer answer = JsonAnswer(status::too_many_requests,
                              json::object{{"error", "too many failed sign-ins: try again in " +
                                                         std::to_string(minutes) + " minute(s)"}});
    answer.headers.emplace_back("Retry-After", std::to_string(locked->retry_after_seconds));
    return answer;
  }
  const auto* success = std::get_if<handlers::LoginSuccess>(&*outcome);
  if (!success) {
    return MakeError(ErrorCode::kUnauthenticated, std::string(handlers::kInvalidLoginReason));
  }
  AdminAnswer answer =
      JsonAnswer(status::ok, json::object{{"user", UserJson(success->user.username, success->user.role)},
                                    {"csrfToken", success->csrf_token},
                                    {"organization", OrganizationJson(s)}});
  answer.headers.emplace_back("Set-Cookie", SessionCookie(success->session_id, call.secure_cookies));
  return answer;
}

Result<AdminAnswer> WhoAmI(const AdminServices& s, const AdminCall& call) {
  const std::string csrf = handlers::StaffSessions::CsrfTokenFor(call.session_id);
  return JsonAnswer(status::ok,
              json::object{{"user", UserJson(call.caller->username, AdminRoleName(call.caller->role))},
                           {"csrfToken", csrf},
                           {"organization", OrganizationJson(s)}});
}

Result<AdminAnswer> Logout(const AdminServices& s, const AdminCall& call) {
  if (auto ended = s.sessions->Logout(call.session_id); !ended) return ended.error();
  AdminAnswer answer;
  answer.status = status::no_content;
  answer.headers.emplace_back("Set-Cookie", ClearedSessionCookie(call.secure_cookies));
  return answer;
}

// --- e-mail ---

Result<AdminAnswer> MemberEmail(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto resend = BoolField(*body, "resend");
  if (!resend) return resend.error();
  handlers::MailRequests requests(s.log, *s.read);
  auto outcome = requests.RequestMember(call.request.Param("id"), {call.caller->actor, *resend});
  if (!outcome) return outcome.error();
  if (!outcome->queued) {
    return JsonAnswer(status::unprocessable_entity,
                json::object{{"error", outcome->refusal}, {"queued", false}});
  }
  json::array serials;
  for (const auto& serial : outcome->serials) serials.emplace_back(serial);
  return JsonAnswer(status::accepted, json::object{{"queued", true},
                                             {"serials", std::move(serials)},
                                             {"position", outcome->first_position}});
}

Result<AdminAnswer> BulkEmail(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto never_sent = BoolField(*body, "neverSent");
  if (!never_sent) return never_sent.error();
  if (!*never_sent) {
    return InvalidInput("give {\"neverSent\": true}: bulk e-mail goes to members never e-mailed");
  }
  handlers::MailRequests requests(s.log, *s.read);
  auto bulk = requests.RequestNeverSent({call.caller->actor, false});
  if (!bulk) return bulk.error();
  json::array skipped;
  std::uint64_t skipped_total = 0;
  for (const auto& [reason, count] : bulk->skipped) {
    skipped.emplace_back(json::object{{"reason", reason}, {"members", count}});
    skipped_total += count;
  }
  return JsonAnswer(status::accepted, json::object{{"queued", bulk->queued},
                                             {"passes", bulk->passes},
                                             {"skippedTotal", skipped_total},
                                             {"skipped", std::move(skipped)}});
}

// --- passes ---

AdminAnswer ActionAnswer(const handlers::PassActionOutcome& outcome) {
  return JsonAnswer(status::ok,
              json::object{{"position", outcome.position}, {"devicesToUpdate", outcome.devices}});
}

Result<AdminAnswer> PassVoid(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto reason = StringField(*body, "reason", true);
  if (!reason) return reason.error();
  auto done = handlers::VoidPass(*s.log, *s.read, call.request.Param("serial"), *reason,
                                 call.caller->actor);
  if (!done) return done.error();
  return ActionAnswer(*done);
}

Result<AdminAnswer> PassUnvoid(const AdminServices& s, const AdminCall& call) {
  auto done = handlers::UnvoidPass(*s.log, *s.read, call.request.Param("serial"), call.caller->actor);
  if (!done) return done.error();
  return ActionAnswer(*done);
}

Result<AdminAnswer> PassRevokeToken(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto reason = StringField(*body, "reason", false);
  if (!reason) return reason.error();
  const std::string_view serial = call.request.Param("serial");
  auto devices = s.read->CountDevicesForSerial(serial, 1'000'000);
  if (!devices) return devices.error();
  auto revoked =
      handlers::RevokePassToken(*s.log, *s.read, serial, call.caller->actor, std::move(*reason));
  if (!revoked) return revoked.error();
  return JsonAnswer(status::ok, json::object{{"position", revoked->position},
                                       {"tokenGeneration", revoked->generation},
                                       {"previousTokenGeneration", revoked->previous_generation},
                                       {"devicesToUpdate", *devices}});
}

Result<AdminAnswer> PassFile(const AdminServices& s, const AdminCall& call) {
  auto latest = s.bundles->ForSerial(call.request.Param("serial"));
  if (!latest) return latest.error();
  AdminAnswer answer;
  answer.content_type = "application/vnd.apple.pkpass";
  answer.body = *latest->bundle;
  answer.headers.emplace_back("Content-Disposition",
                              "attachment; filename=\"" + latest->serial + ".pkpass\"");
  return answer;
}

// --- staff accounts ---

Result<AdminAnswer> StaffList(const AdminServices& s, const AdminCall&) {
  auto staff = s.accounts->List();
  if (!staff) return staff.error();
  json::array list;
  for (const auto& account : *staff) {
    list.emplace_back(json::object{{"username", account.username},
                                   {"role", account.role},
                                   {"disabled", account.disabled}});
  }
  return JsonAnswer(status::ok, json::object{{"staff", std::move(list)}});
}

Result<AdminAnswer> StaffCreate(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto username = StringField(*body, "username", true);
  if (!username) return username.error();
  auto role = StringField(*body, "role", true);
  if (!role) return role.error();
  auto password = StringField(*body, "password", true);
  if (!password) return password.error();
  auto created = s.accounts->Create(*username, *role, *password, call.caller->actor);
  if (!created) return created.error();
  return JsonAnswer(status::created, json::object{{"user", UserJson(*username, *role)},
                                                  {"position", created->created_position}});
}

Result<AdminAnswer> StaffChange(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  const std::string username(call.request.Param("username"));
  const int given = body->contains("role") + body->contains("password") + body->contains("disabled");
  if (given != 1) return InvalidInput("give exactly one of \"role\", \"password\" or \"disabled\"");
  Result<handlers::StaffSummary> changed = MakeError(ErrorCode::kInternal, "no change");
  if (body->contains("role")) {
    auto role = StringField(*body, "role", true);
    if (!role) return role.error();
    changed = s.accounts->ChangeRole(username, *role, call.caller->actor);
  } else if (body->contains("password")) {
    auto password = StringField(*body, "password", true);
    if (!password) return password.error();
    changed = s.accounts->ChangePassword(username, *password, call.caller->actor);
  } else {
    auto disabled = BoolField(*body, "disabled");
    if (!disabled) return disabled.error();
    if (!*disabled) return InvalidInput("accounts are disabled for good: create a new one instead");
    auto reason = StringField(*body, "reason", false);
    if (!reason) return reason.error();
    changed = s.accounts->Disable(username, *reason, call.caller->actor);
  }
  if (!changed) return changed.error();
  return JsonAnswer(status::ok, json::object{{"username", username}, {"role", changed->role}});
}

// --- members ---

Result<AdminAnswer> MemberForget(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  const std::string id(call.request.Param("id"));
  auto confirm = StringField(*body, "confirm", true);
  if (!confirm) return confirm.error();
  if (*confirm != id) {
    return InvalidInput("to forget member " + id + ", give {\"confirm\": \"" + id + "\"}");
  }
  auto reason = StringField(*body, "reason", false);
  if (!reason) return reason.error();
  auto member = s.read->Member(id);
  if (!member) return member.error();
  if (!*member) return MakeError(ErrorCode::kNotFound, "no member with id " + id);
  auto forgotten = s.projections->Forget(id, "member-" + id, call.caller->actor,
                                         reason->empty() ? "forgotten by staff" : *reason);
  if (!forgotten) return forgotten.error();
  return JsonAnswer(status::ok, json::object{{"position", forgotten->position},
                                       {"alreadyForgotten", forgotten->already_forgotten}});
}

// --- imports ---

Result<AdminAnswer> ImportUpload(const AdminServices& s, const AdminCall& call) {
  auto file = UploadedFile(call);
  if (!file) return file.error();
  if (file->bytes.empty()) return InvalidInput("the file is empty");
  const std::string name = SafeFileName(file->filename);
  const bool dry_run = call.request.QueryParam("dry_run").value_or("0") != "0";
  if (dry_run) {
    auto preview = s.imports->DryRun(file->bytes, name, call.caller->actor);
    if (!preview) return preview.error();
    return JsonAnswer(status::ok, ImportSummaryJson(*preview));
  }
  // The job holds the request, and so its body: the upload is never copied.
  auto started = s.imports->Start(call.shared, file->bytes, name, call.caller->actor);
  if (!started) return started.error();
  return JsonAnswer(started->existing ? status::ok : status::accepted,
              json::object{{"id", started->import_id}, {"existing", started->existing}});
}

// A live job's status, else the job as the views have it; kNotFound for neither.
Result<json::object> ImportDocument(const AdminServices& s, std::string_view id) {
  if (auto live = s.imports->Live(id)) return ImportJobStatusJson(*live);
  auto view = s.read->Import(id);
  if (!view) return view.error();
  if (!*view) return MakeError(ErrorCode::kNotFound, "no import " + std::string(id));
  return projections::ToJson(**view);
}

Result<AdminAnswer> ImportGet(const AdminServices& s, const AdminCall& call) {
  auto document = ImportDocument(s, call.request.Param("id"));
  if (!document) return document.error();
  return JsonAnswer(status::ok, *document);
}

// One Server-Sent Events response: the job's next change after Last-Event-ID (waiting up to a
// second for it), then the response ends and the browser's EventSource asks again after
// `retry` ms. So no worker is held for longer than the wait; event "done" ends the stream.
Result<AdminAnswer> ImportEvents(const AdminServices& s, const AdminCall& call) {
  const std::string id(call.request.Param("id"));
  std::uint64_t after = 0;
  if (const auto last = call.request.message.find("Last-Event-ID");
      last != call.request.message.end()) {
    after = std::strtoull(std::string(last->value()).c_str(), nullptr, 10);
  }
  std::string event = "done";
  json::object data;
  std::uint64_t revision = after;
  if (auto live = s.imports->WaitForChange(id, after, std::chrono::seconds(1))) {
    revision = live->revision;
    data = ImportJobStatusJson(*live);
    const bool ended =
        live->state == handlers::ImportJobState::kCompleted || live->state == handlers::ImportJobState::kFailed;
    if (!ended) event = "progress";
  } else {
    auto document = ImportDocument(s, id);
    if (!document) return document.error();
    data = std::move(*document);
  }
  AdminAnswer answer;
  answer.content_type = "text/event-stream";
  answer.body = "retry: 250\nid: " + std::to_string(revision) + "\nevent: " + event +
                "\ndata: " + json::serialize(data) + "\n\n";
  return answer;
}

}  // namespace

Result<AdminAnswer> RunAdminEndpoint(AdminRouteId id, const AdminServices& s,
                                     const AdminCall& call) {
  switch (id) {
    case AdminRouteId::kLogin:
      return Login(s, call);
    case AdminRouteId::kWhoAmI:
      return WhoAmI(s, call);
    case AdminRouteId::kLogout:
      return Logout(s, call);
    case AdminRouteId::kMemberEmail:
      return MemberEmail(s, call);
    case AdminRouteId::kBulkEmail:
      return BulkEmail(s, call);
    case AdminRouteId::kPassVoid:
      return PassVoid(s, call);
    case AdminRouteId::kPassUnvoid:
      return PassUnvoid(s, call);
    case AdminRouteId::kPassRevokeToken:
      return PassRevokeToken(s, call);
    case AdminRouteId::kPassFile:
      return PassFile(s, call);
    case AdminRouteId::kStaffList:
      return StaffList(s, call);
    case AdminRouteId::kStaffCreate:
      return StaffCreate(s, call);
    case AdminRouteId::kStaffChange:
      return StaffChange(s, call);
    case AdminRouteId::kMemberForget:
      return MemberForget(s, call);
    case AdminRouteId::kImportUpload:
      return ImportUpload(s, call);
    case AdminRouteId::kImportGet:
      return ImportGet(s, call);
    case AdminRouteId::kImportEvents:
      return ImportEvents(s, call);
    case AdminRouteId::kImportList:
      return ImportListEndpoint(s, call);
    case AdminRouteId::kDashboard:
      return DashboardEndpoint(s, call);
    case AdminRouteId::kMembers:
      return MembersEndpoint(s, call);
    case AdminRouteId::kMember:
      return MemberEndpoint(s, call);
    case AdminRouteId::kMemberTimeline:
      return MemberTimelineEndpoint(s, call);
    case AdminRouteId::kPassPreview:
      return PassPreviewEndpoint(s, call);
    case AdminRouteId::kPassImage:
      return PassImageEndpoint(s, call);
    case AdminRouteId::kDevices:
      return DevicesEndpoint(s, call);
    case AdminRouteId::kDeviceLogs:
      return DeviceLogsEndpoint(s, call);
    case AdminRouteId::kEvents:
      return EventsEndpoint(s, call);
    case AdminRouteId::kVerification:
      return VerificationEndpoint(s, call);
    case AdminRouteId::kVerificationRun:
      return VerificationRunEndpoint(s, call);
    case AdminRouteId::kTemplateGet:
    case AdminRouteId::kTemplatePut:
    case AdminRouteId::kTemplateImage:
    case AdminRouteId::kTemplatePreview:
    case AdminRouteId::kTemplatePublish:
      return RunTemplateEndpoint(id, s, call);
    case AdminRouteId::kOperatorImport:
      return OperatorImport(s, call);
    case AdminRouteId::kPush:
      return OperatorPush(s, call);
    case AdminRouteId::kForget:
      return OperatorForget(s, call);
    case AdminRouteId::kRebuildStart:
      return RebuildStart(s, call);
    case AdminRouteId::kRebuildGet:
      return RebuildGet(s, call);
  }
  return MakeError(ErrorCode::kInternal, "unknown admin route");
}

}  // namespace passledger::http

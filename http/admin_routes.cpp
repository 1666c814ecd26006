#include "http/admin_routes.h"

#include <atomic>
#include <memory>
#include <utility>

#include "http/admin_security.h"

namespace passledger::http {
namespace {

using bhttp::verb;
using R = AdminRole;
using Id = AdminRouteId;

constexpr std::size_t kSmallJson = 16 << 10;
constexpr std::size_t kImportBody = SIZE_MAX;  // AdminHttpOptions::import_body_limit
// A draft: 4 MiB of template files in base64, and the JSON around them.
constexpr std::size_t kTemplateJson = 6 << 20;

constexpr AdminRouteSpec kRoutes[] = {
    {Id::kLogin, verb::post, "/admin/api/session", std::nullopt, kSmallJson,
     "log in: {username, password} → {user, csrfToken} and the session cookie"},
    {Id::kWhoAmI, verb::get, "/admin/api/session", R::kAuditor, 0, "who am I"},
    {Id::kLogout, verb::delete_, "/admin/api/session", R::kAuditor, 0, "log out (204)"},
    {Id::kMemberEmail, verb::post, "/admin/api/members/{id}/email", R::kStaff, kSmallJson,
     "e-mail one member's passes: {resend}"},
    {Id::kBulkEmail, verb::post, "/admin/api/emails", R::kStaff, kSmallJson,
     "e-mail every member never e-mailed: {neverSent: true}"},
    {Id::kPassVoid, verb::post, "/admin/api/passes/{serial}/void", R::kStaff, kSmallJson,
     "void a pass: {reason}"},
    {Id::kPassUnvoid, verb::post, "/admin/api/passes/{serial}/unvoid", R::kStaff, kSmallJson,
     "unvoid a pass"},
    {Id::kPassRevokeToken, verb::post, "/admin/api/passes/{serial}/revoke-token", R::kStaff,
     kSmallJson, "revoke a pass's authentication token: {reason}"},
    {Id::kPassFile, verb::get, "/admin/api/passes/{serial}/pkpass", R::kAuditor, 0,
     "the signed pass file"},
    {Id::kStaffList, verb::get, "/admin/api/staff", R::kAdmin, 0, "staff accounts"},
    {Id::kStaffCreate, verb::post, "/admin/api/staff", R::kAdmin, kSmallJson,
     "create an account: {username, role, password}"},
    {Id::kStaffChange, verb::patch, "/admin/api/staff/{username}", R::kAdmin, kSmallJson,
     "change an account: {role} | {password} | {disabled: true, reason}"},
    {Id::kMemberForget, verb::post, "/admin/api/members/{id}/forget", R::kAdmin, kSmallJson,
     "forget a member: {confirm: \"<membership id>\", reason}"},
    {Id::kImportUpload, verb::post, "/admin/api/imports", R::kStaff, kImportBody,
     "import a roster (text/csv, or multipart/form-data field file; ?dry_run=1 previews)"},
    {Id::kImportGet, verb::get, "/admin/api/imports/{id}", R::kAuditor, 0,
     "one import: state, progress, counts, rejected rows"},
    {Id::kImportEvents, verb::get, "/admin/api/imports/{id}/events", R::kAuditor, 0,
     "an import's progress as text/event-stream"},
    {Id::kImportList, verb::get, "/admin/api/imports", R::kAuditor, 0,
     "the import history, newest first (?cursor=&limit=)"},
    {Id::kDashboard, verb::get, "/admin/api/dashboard", R::kAuditor, 0,
     "members, passes, devices, e-mails, pushes, last import, verification, events per day"},
    {Id::kMembers, verb::get, "/admin/api/members", R::kAuditor, 0,
     "search members (?q=&status=&level=&emailed=&on_device=&cursor=&limit=)"},
    {Id::kMember, verb::get, "/admin/api/members/{id}", R::kAuditor, 0,
     "one member: fields, cardholders, add-ons, passes, the newest of the timeline"},
    {Id::kMemberTimeline, verb::get, "/admin/api/members/{id}/timeline", R::kAuditor, 0,
     "a member's timeline, newest first (?cursor=&limit=)"},
    {Id::kPassPreview, verb::get, "/admin/api/passes/{serial}", R::kAuditor, 0,
     "a pass as rendered: fields by zone, colours, barcode"},
    {Id::kPassImage, verb::get, "/admin/api/passes/{serial}/image", R::kAuditor, 0,
     "one image of the pass's template: ?path=logo@2x.png"},
    {Id::kDevices, verb::get, "/admin/api/devices", R::kAuditor, 0,
     "registered devices, no push tokens (?cursor=&limit=)"},
    {Id::kDeviceLogs, verb::get, "/admin/api/device-logs", R::kAuditor, 0,
     "the devices' log lines (?device=&client=&since=&cursor=&limit=)"},
    {Id::kEvents, verb::get, "/admin/api/events", R::kAuditor, 0,
     "the audit log, newest first (?stream=&type=&actor=&from=&to=&cursor=&limit=)"},
    {Id::kVerification, verb::get, "/admin/api/verification", R::kAuditor, 0,
     "the last verification run and the last verified digest"},
    {Id::kVerificationRun, verb::post, "/admin/api/verification", R::kStaff, kSmallJson,
     "verify the chain now and sign a digest (202, a background run)"},
    {Id::kTemplateGet, verb::get, "/admin/api/templates/{passType}", R::kAuditor, 0,
     "a pass type's template draft: look, files, field labels, published version"},
    {Id::kTemplatePut, verb::put, "/admin/api/templates/{passType}", R::kAdmin, kTemplateJson,
     "replace the draft: {colors, texts, passJson, images, strings}"},
    {Id::kTemplateImage, verb::get, "/admin/api/templates/{passType}/image", R::kAuditor, 0,
     "one image of the draft: ?path=logo@2x.png"},
    {Id::kTemplatePreview, verb::post, "/admin/api/templates/{passType}/preview", R::kAdmin,
     kSmallJson, "a member's pass rendered from the draft: {membershipId, serial}"},
    {Id::kTemplatePublish, verb::post, "/admin/api/templates/{passType}/publish", R::kAdmin,
     kSmallJson, "publish the draft: every pass of the type revised, its devices pushed"},
    {Id::kOperatorImport, verb::post, "/admin/api/operator/import", R::kAdmin, kImportBody,
     "`passledger import`: the file as the body; ?file_name, dry_run, show, policy_left, "
     "encoding, pass_type; a file imported before runs again"},
    {Id::kPush, verb::post, "/admin/api/push", R::kAdmin, kSmallJson,
     "push to the devices of passes now: {serials?, member?}"},
    {Id::kForget, verb::post, "/admin/api/forget", R::kAdmin, kSmallJson,
     "forget any subject: {subject, stream, reason?}"},
    {Id::kRebuildStart, verb::post, "/admin/api/rebuilds", R::kAdmin, kSmallJson,
     "rebuild the views online, in the background"},
    {Id::kRebuildGet, verb::get, "/admin/api/rebuilds/{id}", R::kAdmin, 0,
     "a rebuild's progress (?after=<revision> waits up to 1 s for a change)"},
};

bool ChangesState(verb method) {
  return method == verb::post || method == verb::put || method == verb::patch ||
         method == verb::delete_;
}

struct Counters {
  std::atomic<std::uint64_t> rejected{0};
};

struct Context {
  const AdminServices services;
  WorkerPool& workers;
  const AdminHttpOptions options;
  std::shared_ptr<Counters> counters;
};

Response Refusal(bhttp::status status, std::string_view message) {
  Response response = MakeErrorResponse(status, message);
  AddAdminSecurityHeaders(response);
  return response;
}

Response ToResponse(AdminAnswer answer) {
  Response response{answer.status, 11};
  response.set(bhttp::field::content_type,
               answer.content_type.empty() ? "application/json" : answer.content_type);
  for (auto& [name, value] : answer.headers) response.insert(name, value);
  response.body() = std::move(answer.body);
  response.prepare_payload();
  AddAdminSecurityHeaders(response);
  return response;
}

std::optional<std::string_view> Header(const Request& request, bhttp::field field) {
  const auto it = request.message.find(field);
  if (it == request.message.end()) return std::nullopt;
  return std::string_view(it->value().data(), it->value().size());
}

// Steps 1–4 of the header's pipeline: the refusal, or the caller (nullopt for the login route).
struct Admitted {
  std::optional<Response> refusal;
  std::optional<AdminCaller> caller;
  std::string session_id;
};

// A request of the operator socket: its peer's uid was checked by the Server (the server's own
// or root) and the socket is 0600 in the private data directory, which is the authentication;
// no cookie session, role or CSRF token applies. It acts as an admin named after the Unix user.
AdminCaller OperatorCaller(const LocalPeer& peer) {
  return AdminCaller{peer.user, AdminRole::kAdmin, "operator:" + peer.user};
}

Result<Admitted> Admit(const Context& context, const AdminRouteSpec& spec,
                       const Request& request) {
  Admitted out;
  if (request.local_peer) {
    out.caller = OperatorCaller(*request.local_peer);
    return out;
  }
  const auto origin = Header(request, bhttp::field::origin);
  const std::string_view host = Header(request, bhttp::field::host).value_or("");
  if (!OriginAllowed(origin, host, context.options.public_origin, context.options.tls)) {
    out.refusal = Refusal(bhttp::status::forbidden, "this request came from another site");
    return out;
  }
  const auto cookies = Header(request, bhttp::field::cookie);
  if (auto id = cookies ? SessionIdFromCookies(*cookies) : std::nullopt) out.session_id = *id;
  if (!spec.role) return out;
  if (out.session_id.empty()) {
    out.refusal = Refusal(bhttp::status::unauthorized, "sign in first");
    return out;
  }
  auto session = context.services.sessions->Validate(out.session_id);
  if (!session) return session.error();
  const auto role = *session ? ParseAdminRole((*session)->role) : std::nullopt;
  if (!role) {
    out.refusal = Refusal(bhttp::status::unauthorized, "your session has ended: sign in again");
    return out;
  }
  if (*role < *spec.role) {
    out.refusal = Refusal(bhttp::status::forbidden,
                          "your role (" + std::string(AdminRoleName(*role)) + ") may not do this");
    return out;
  }
  if (ChangesState(spec.method)) {
    const auto it = request.message.find(kCsrfHeader);
    const std::string_view given =
        it == request.message.end() ? std::string_view() : std::string_view(it->value());
    if (given.empty() || !handlers::StaffSessions::CsrfMatches(**session, given)) {
      out.refusal = Refusal(bhttp::status::forbidden,
                            "missing or wrong X-CSRF-Token: reload the page and try again");
      return out;
    }
  }
  out.caller = AdminCaller{(*session)->username, *role, "staff:" + (*session)->username};
  return out;
}

// For the upload route, on the I/O thread before the body is read: a caller who could not
// make the request (foreign Origin, no live session, wrong CSRF token) is answered from the
// headers, and the connection closed, instead of after up to import.max_file_mib of body.
// The role and the account are checked on the worker, once the body is in (Admit).
std::optional<Response> AdmitHead(const Context& context, const RequestHead& head) {
  if (head.local_peer) return std::nullopt;  // the operator socket: its peer was checked
  const auto field = [&](bhttp::field f) -> std::optional<std::string_view> {
    const auto it = head.header.find(f);
    if (it == head.header.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
  };
  if (!OriginAllowed(field(bhttp::field::origin), field(bhttp::field::host).value_or(""),
                     context.options.public_origin, context.options.tls)) {
    return Refusal(bhttp::status::forbidden, "this request came from another site");
  }
  const auto cookies = field(bhttp::field::cookie);
  const auto id = cookies ? SessionIdFromCookies(*cookies) : std::nullopt;
  const auto csrf = head.header.find(kCsrfHeader);
  const std::string_view token =
      csrf == head.header.end() ? std::string_view() : std::string_view(csrf->value());
  switch (context.services.sessions->Peek(id.value_or(""), token)) {
    case handlers::StaffSessions::PeekResult::kNoSession:
      return Refusal(bhttp::status::unauthorized, "sign in first");
    case handlers::StaffSessions::PeekResult::kWrongToken:
      return Refusal(bhttp::status::forbidden,
                     "missing or wrong X-CSRF-Token: reload the page and try again");
    case handlers::StaffSessions::PeekResult::kLive:
      break;
  }
  return std::nullopt;
}

void Serve(const Context& context, const AdminRouteSpec& spec,
           const std::shared_ptr<const Request>& shared, const Responder& responder) {
  const Request& request = *shared;
  auto admitted = Admit(context, spec, request);
  if (!admitted) return responder.SendError(admitted.error(), AddAdminSecurityHeaders);
  if (admitted->refusal) return responder.Send(std::move(*admitted->refusal));
  const AdminCall call{request, shared, admitted->caller ? &*admitted->caller : nullptr,
                       admitted->session_id, context.options.secure_cookies};
  auto answer = RunAdminEndpoint(spec.id, context.services, call);
  if (!answer) return responder.SendError(answer.error(), AddAdminSecurityHeaders);
  responder.Send(ToResponse(std::move(*answer)));
}

}  // namespace

std::optional<AdminRole> ParseAdminRole(std::string_view name) {
  if (name == "auditor") return AdminRole::kAuditor;
  if (name == "staff") return AdminRole::kStaff;
  if (name == "admin") return AdminRole::kAdmin;
  return std::nullopt;
}

std::string_view AdminRoleName(AdminRole role) {
  switch (role) {
    case AdminRole::kAuditor:
      return "auditor";
    case AdminRole::kStaff:
      return "staff";
    case AdminRole::kAdmin:
      return "admin";
  }
  return "auditor";
}

std::span<const AdminRouteSpec> AdminRouteTable() { return kRoutes; }

void AddAdminRoutes(Router& router, const AdminServices& services, WorkerPool& workers,
                    AdminHttpOptions options, Metrics* metrics) {
  auto context = std::make_shared<Context>(
      Context{services, workers, std::move(options), std::make_shared<Counters>()});
  for (const AdminRouteSpec& spec : kRoutes) {
    auto handler = [context, &spec](Request&& request, Responder responder) {
      auto shared = std::make_shared<Request>(std::move(request));
      const std::size_t bytes = shared->ApproximateBytes();
      if (context->workers.Submit([context, &spec, shared, responder] {
            Serve(*context, spec, shared, responder);
          }, bytes)) {
        return;
      }
      context->counters->rejected.fetch_add(1, std::memory_order_relaxed);
      responder.Send(Refusal(bhttp::status::service_unavailable, "server busy: try again"));
    };
    RouteOptions route{spec.body_limit, nullptr};
    if (spec.body_limit == kImportBody) {
      route.body_limit = context->options.import_body_limit;
      route.admit = [context](const RequestHead& head) { return AdmitHead(*context, head); };
    }
    router.Add({spec.method}, spec.path, std::move(handler), std::move(route));
  }
  if (metrics) {
    metrics->AddCounter("passledger_admin_rejected_total",
                        "Admin API requests answered 503 because the admin pool was full",
                        [counters = context->counters] {
                          return static_cast<double>(counters->rejected.load());
                        });
  }
}

}  // namespace passledger::http

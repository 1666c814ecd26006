#include "http/admin_template_endpoints.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "handlers/admin/admin_json.h"
#include "handlers/templates/template_json.h"
#include "handlers/templates/template_service.h"

namespace passledger::http {
namespace {

namespace json = boost::json;
using bhttp::status;

// A publish answers when its revision job is done, or after this long with the counts so far
// (202); GET /admin/api/templates/{passType} shows the rest.
constexpr std::chrono::milliseconds kPublishWait{3000};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

AdminAnswer Json(status code, const json::value& document) {
  AdminAnswer answer;
  answer.status = code;
  answer.body = json::serialize(document);
  return answer;
}

Result<json::object> Body(const AdminCall& call) {
  const std::string& body = call.request.message.body();
  if (body.empty()) return json::object();
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return Invalid("the body is not JSON: " + ec.message());
  if (!parsed.is_object()) return Invalid("the body must be a JSON object");
  return std::move(parsed.as_object());
}

Result<std::string> OptionalString(const json::object& body, std::string_view name) {
  const json::value* value = body.if_contains(name);
  if (!value || value->is_null()) return std::string();
  if (!value->is_string()) return Invalid("\"" + std::string(name) + "\" must be a string");
  return std::string(value->as_string());
}

Result<AdminAnswer> Get(handlers::TemplateService& t, const AdminCall& call) {
  auto doc = t.Get(call.request.Param("passType"));
  if (!doc) return doc.error();
  return Json(status::ok, handlers::ToJson(*doc));
}

Result<AdminAnswer> Put(handlers::TemplateService& t, const AdminCall& call) {
  const std::string_view type = call.request.Param("passType");
  auto body = Body(call);
  if (!body) return body.error();
  bool saved = false;
  auto current = t.CurrentDraft(type, &saved);
  if (!current) return current.error();
  auto draft = handlers::DraftFromJson(*body, *current);
  if (!draft) return draft.error();
  auto doc = t.Put(type, std::move(*draft));
  if (!doc) return doc.error();
  return Json(status::ok, handlers::ToJson(*doc));
}

Result<AdminAnswer> Image(handlers::TemplateService& t, const AdminCall& call) {
  const auto path = call.request.QueryParam("path");
  if (!path || !path->ends_with(".png")) {
    return Invalid("give ?path=<image>, e.g. ?path=logo@2x.png or ?path=de.lproj/logo.png");
  }
  auto file = t.File(call.request.Param("passType"), *path);
  if (!file) return file.error();
  AdminAnswer answer;
  answer.content_type = "image/png";
  answer.body = std::move(file->bytes);
  return answer;
}

Result<AdminAnswer> Preview(handlers::TemplateService& t, const AdminCall& call) {
  auto body = Body(call);
  if (!body) return body.error();
  auto member = OptionalString(*body, "membershipId");
  if (!member) return member.error();
  if (member->empty()) return Invalid("\"membershipId\" is required: whose pass to preview");
  auto serial = OptionalString(*body, "serial");
  if (!serial) return serial.error();
  auto preview = t.Preview(call.request.Param("passType"), *member, *serial);
  if (!preview) return preview.error();
  return Json(status::ok, handlers::ToJson(*preview));
}

Result<AdminAnswer> Publish(handlers::TemplateService& t, const AdminCall& call) {
  auto outcome = t.Publish(call.request.Param("passType"), call.caller->actor, kPublishWait);
  if (!outcome) return outcome.error();
  return Json(outcome->revision.done ? status::ok : status::accepted, handlers::ToJson(*outcome));
}

}  // namespace

Result<AdminAnswer> RunTemplateEndpoint(AdminRouteId id, const AdminServices& s,
                                        const AdminCall& call) {
  if (!s.templates) {
    return MakeError(ErrorCode::kUnavailable, "template editing is not available on this server");
  }
  switch (id) {
    case AdminRouteId::kTemplateGet:
      return Get(*s.templates, call);
    case AdminRouteId::kTemplatePut:
      return Put(*s.templates, call);
    case AdminRouteId::kTemplateImage:
      return Image(*s.templates, call);
    case AdminRouteId::kTemplatePreview:
      return Preview(*s.templates, call);
    case AdminRouteId::kTemplatePublish:
      return Publish(*s.templates, call);
    default:
      break;
  }
  return MakeError(ErrorCode::kInternal, "not a template route");
}

}  // namespace passledger::http

#include "http/admin_operator_endpoints.h"

#include "http/admin_endpoint_support.h"

#include <charconv>

#include "handlers/push/push_targets.h"

namespace passledger::http {
namespace {

namespace json = boost::json;
using bhttp::status;

Result<std::uint64_t> UnsignedParam(const Request& request, std::string_view name,
                                    std::uint64_t fallback) {
  const auto text = request.QueryParam(name);
  if (!text) return fallback;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return InvalidInput("?" + std::string(name) + "= must be a whole number");
  }
  return value;
}

// The server's import configuration with the command's flags applied (the values
// `passledger import` accepts: tools/passledger/config.cpp checks them the same way).
Result<handlers::ImportConfig> ImportConfigOf(handlers::ImportConfig config,
                                              const Request& request) {
  if (const auto policy = request.QueryParam("policy_left")) {
    if (*policy == "keep") {
      config.left_policy = handlers::LeftPolicy::kKeep;
    } else if (*policy == "void") {
      config.left_policy = handlers::LeftPolicy::kVoid;
    } else {
      return InvalidInput("\"" + *policy + "\" is not keep or void");
    }
  }
  if (const auto encoding = request.QueryParam("encoding")) {
    if (*encoding == "utf-8") {
      config.csv.encoding = handlers::SourceEncoding::kUtf8;
    } else if (*encoding == "windows-1252") {
      config.csv.encoding = handlers::SourceEncoding::kWindows1252;
    } else if (*encoding == "latin-1") {
      config.csv.encoding = handlers::SourceEncoding::kLatin1;
    } else {
      return InvalidInput("\"" + *encoding + "\" is not utf-8, windows-1252 or latin-1");
    }
  }
  if (const auto pass_type = request.QueryParam("pass_type")) {
    if (pass_type->empty()) return InvalidInput("the pass type id must not be empty");
    config.pass_type_id = *pass_type;
  }
  return config;
}

Result<handlers::ImportJobOptions> ImportJobOptionsOf(const AdminServices& s,
                                                      const AdminCall& call) {
  const Request& request = call.request;
  handlers::ImportJobOptions options;
  options.file_name = SafeFileName(request.QueryParam("file_name").value_or("upload.csv"));
  options.actor = call.caller->actor;
  options.again = true;
  auto show = UnsignedParam(request, "show", options.preview_changes);
  if (!show) return show.error();
  options.preview_changes = static_cast<std::size_t>(*show);
  auto config = ImportConfigOf(s.imports->config(), request);
  if (!config) return config.error();
  options.config = std::move(*config);
  return options;
}

Result<std::vector<std::string>> StringList(const json::object& body, std::string_view name) {
  std::vector<std::string> out;
  const json::value* value = body.if_contains(name);
  if (!value || value->is_null()) return out;
  const auto* array = value->if_array();
  if (!array) return InvalidInput("\"" + std::string(name) + "\" must be a list of strings");
  for (const json::value& item : *array) {
    if (!item.is_string()) {
      return InvalidInput("\"" + std::string(name) + "\" must be a list of strings");
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace

Result<AdminAnswer> OperatorImport(const AdminServices& s, const AdminCall& call) {
  auto options = ImportJobOptionsOf(s, call);
  if (!options) return options.error();
  const std::string& file = call.request.message.body();
  if (call.request.QueryParam("dry_run").value_or("0") != "0") {
    auto preview = s.imports->DryRun(file, *options);
    if (!preview) return preview.error();
    return JsonAnswer(status::ok, handlers::ImportSummaryJson(*preview));
  }
  // The job holds the request, and so its body: the file is never copied.
  auto started = s.imports->Start(call.shared, file, std::move(*options));
  if (!started) return started.error();
  return JsonAnswer(started->existing ? status::ok : status::accepted,
                    json::object{{"id", started->import_id}, {"existing", started->existing}});
}

Result<AdminAnswer> OperatorPush(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto serials = StringList(*body, "serials");
  if (!serials) return serials.error();
  auto member = StringField(*body, "member", false);
  if (!member) return member.error();
  if (s.push == nullptr) return MakeError(ErrorCode::kFailedPrecondition, s.push_off);
  auto targets = handlers::PushTargets(*s.read, std::move(*serials), *member);
  if (!targets) return targets.error();
  auto report = s.push->PushNow(*targets);
  if (!report) return report.error();
  return JsonAnswer(status::ok, json::object{{"devices", report->devices},
                                             {"delivered", report->delivered},
                                             {"unregistered", report->unregistered},
                                             {"kept", report->kept},
                                             {"failed", report->failed},
                                             {"recordedPosition", report->recorded_position}});
}

Result<AdminAnswer> OperatorForget(const AdminServices& s, const AdminCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto subject = StringField(*body, "subject", true);
  if (!subject) return subject.error();
  auto stream = StringField(*body, "stream", false);
  if (!stream) return stream.error();
  auto reason = StringField(*body, "reason", false);
  if (!reason) return reason.error();
  const std::string target = stream->empty() ? "member-" + *subject : *stream;
  auto forgotten = s.projections->Forget(*subject, target, call.caller->actor, *reason);
  if (!forgotten) return forgotten.error();
  return JsonAnswer(status::ok, json::object{{"position", forgotten->position},
                                             {"alreadyForgotten", forgotten->already_forgotten}});
}

Result<AdminAnswer> RebuildStart(const AdminServices& s, const AdminCall& call) {
  const handlers::RebuildStart started = s.rebuilds->Start(call.caller->actor);
  return JsonAnswer(started.existing ? status::ok : status::accepted,
                    json::object{{"id", started.id}, {"existing", started.existing}});
}

Result<AdminAnswer> RebuildGet(const AdminServices& s, const AdminCall& call) {
  const std::string_view text = call.request.Param("id");
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return MakeError(ErrorCode::kNotFound, "no rebuild " + std::string(text));
  }
  const bool wait = call.request.QueryParam("after").has_value();
  auto after = UnsignedParam(call.request, "after", 0);
  if (!after) return after.error();
  auto job = wait ? s.rebuilds->WaitForChange(id, *after, std::chrono::seconds(1))
                  : s.rebuilds->Get(id);
  if (!job) {
    return MakeError(ErrorCode::kNotFound,
                     "no rebuild " + std::string(text) + " in this server's memory");
  }
  return JsonAnswer(status::ok, handlers::RebuildStatusJson(*job));
}

}  // namespace passledger::http

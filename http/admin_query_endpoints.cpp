#include "http/admin_query_endpoints.h"

#include <charconv>

#include "handlers/admin/admin_json.h"
#include "http/admin_endpoint_support.h"

namespace passledger::http {
namespace {

namespace json = boost::json;
using bhttp::status;

std::string Query(const AdminCall& call, std::string_view name) {
  return call.request.QueryParam(name).value_or("");
}

Result<std::uint64_t> PositionParam(const AdminCall& call, std::string_view name) {
  const std::string text = Query(call, name);
  if (text.empty()) return std::uint64_t{0};
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidInput(std::string(name) + " must be a cursor this API gave");
  }
  return value;
}

Result<projections::MemberQuery> MemberQueryOf(const AdminCall& call) {
  projections::MemberQuery query;
  query.search = Query(call, "q");
  if (const std::string text = Query(call, "status"); !text.empty()) {
    auto filter = handlers::ParseMemberFilter(text);
    if (!filter) return filter.error();
    query.filter = *filter;
  }
  query.level = Query(call, "level");
  auto emailed = handlers::ParseYesNo(Query(call, "emailed"));
  if (!emailed) return emailed.error();
  query.emailed = *emailed;
  auto on_device = handlers::ParseYesNo(Query(call, "on_device"));
  if (!on_device) return on_device.error();
  query.on_device = *on_device;
  query.after = Query(call, "cursor");
  auto limit = SizeParam(call.request, "limit", 50, 1, 500);
  if (!limit) return limit.error();
  query.limit = *limit;
  return query;
}

Result<handlers::EventQuery> EventQueryOf(const AdminCall& call) {
  handlers::EventQuery query;
  query.stream = Query(call, "stream");
  query.type = Query(call, "type");
  query.actor = Query(call, "actor");
  auto from = TimeParam(call.request, "from");
  if (!from) return from.error();
  query.from_us = *from;
  auto to = TimeParam(call.request, "to");
  if (!to) return to.error();
  query.to_us = *to;
  query.cursor = Query(call, "cursor");
  auto limit = SizeParam(call.request, "limit", 50, 1, 200);
  if (!limit) return limit.error();
  query.limit = *limit;
  query.personal = handlers::PersonalAccessOf(AdminRoleName(call.caller->role));
  return query;
}

template <class Document>
Result<AdminAnswer> Answer(Result<Document> result) {
  if (!result) return result.error();
  return JsonAnswer(status::ok, handlers::ToJson(*result));
}

}  // namespace

Result<AdminAnswer> DashboardEndpoint(const AdminServices& s, const AdminCall&) {
  return Answer(handlers::DashboardQuery(s.log, *s.read, s.dashboard).Get());
}

Result<AdminAnswer> MembersEndpoint(const AdminServices& s, const AdminCall& call) {
  auto query = MemberQueryOf(call);
  if (!query) return query.error();
  return Answer(handlers::MemberSearch(*s.read).Find(*query));
}

Result<AdminAnswer> MemberEndpoint(const AdminServices& s, const AdminCall& call) {
  auto limit = SizeParam(call.request, "timeline_limit", 50, 1, 200);
  if (!limit) return limit.error();
  return Answer(handlers::MemberDetails(s.log, *s.read).Get(call.request.Param("id"), *limit));
}

Result<AdminAnswer> MemberTimelineEndpoint(const AdminServices& s, const AdminCall& call) {
  auto limit = SizeParam(call.request, "limit", 50, 1, 200);
  if (!limit) return limit.error();
  return Answer(handlers::MemberDetails(s.log, *s.read)
                    .TimelineOf(call.request.Param("id"), Query(call, "cursor"), *limit));
}

Result<AdminAnswer> PassPreviewEndpoint(const AdminServices& s, const AdminCall& call) {
  return Answer(handlers::PassPreviews(s.read, s.bundles).Get(call.request.Param("serial")));
}

Result<AdminAnswer> PassImageEndpoint(const AdminServices& s, const AdminCall& call) {
  const auto path = call.request.QueryParam("path");
  if (!path || !path->ends_with(".png")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "give ?path=<image>, one of the preview's images, e.g. ?path=logo@2x.png");
  }
  auto bytes = handlers::PassPreviews(s.read, s.bundles).Image(call.request.Param("serial"), *path);
  if (!bytes) return bytes.error();
  AdminAnswer answer;
  answer.content_type = "image/png";
  answer.body = std::move(*bytes);
  return answer;
}

Result<AdminAnswer> DevicesEndpoint(const AdminServices& s, const AdminCall& call) {
  handlers::DeviceListQuery query;
  query.cursor = Query(call, "cursor");
  auto limit = SizeParam(call.request, "limit", 50, 1, 500);
  if (!limit) return limit.error();
  query.limit = *limit;
  return Answer(handlers::DeviceList(*s.read, s.device_logs).Find(query));
}

Result<AdminAnswer> DeviceLogsEndpoint(const AdminServices& s, const AdminCall& call) {
  handlers::DeviceLogSearch search;
  search.device = Query(call, "device");
  search.client = Query(call, "client");
  auto since = TimeParam(call.request, "since");
  if (!since) return since.error();
  search.since_ms = since->value_or(0) / 1000;
  search.cursor = Query(call, "cursor");
  auto limit = SizeParam(call.request, "limit", 100, 1, 1000);
  if (!limit) return limit.error();
  search.limit = *limit;
  if (!s.device_logs) return MakeError(ErrorCode::kUnavailable, "device logs are not kept here");
  return Answer(handlers::DeviceList(*s.read, s.device_logs).Logs(search));
}

Result<AdminAnswer> EventsEndpoint(const AdminServices& s, const AdminCall& call) {
  auto query = EventQueryOf(call);
  if (!query) return query.error();
  return Answer(handlers::EventBrowser(s.log).Find(*query));
}

// Newest first; the cursor is the position of the last row's start.
Result<AdminAnswer> ImportListEndpoint(const AdminServices& s, const AdminCall& call) {
  auto before = PositionParam(call, "cursor");
  if (!before) return before.error();
  auto limit = SizeParam(call.request, "limit", 20, 1, 200);
  if (!limit) return limit.error();
  auto jobs = s.read->Imports(*before, *limit + 1);
  if (!jobs) return jobs.error();
  const bool more = jobs->size() > *limit;
  if (more) jobs->resize(*limit);
  json::array rows;
  for (const auto& job : *jobs) {
    json::object row = handlers::ImportListRowJson(job);
    if (auto live = s.imports->Live(job.import_id)) {  // running: its progress too
      row["progress"] = handlers::ImportJobStatusJson(*live)["progress"];
    }
    rows.push_back(std::move(row));
  }
  json::value next = nullptr;
  if (more && !jobs->empty()) next = std::to_string(jobs->back().started_position);
  return JsonAnswer(status::ok, json::object{{"imports", std::move(rows)}, {"nextCursor", next}});
}

Result<AdminAnswer> VerificationEndpoint(const AdminServices& s, const AdminCall&) {
  return Answer(s.verification->Status());
}

Result<AdminAnswer> VerificationRunEndpoint(const AdminServices& s, const AdminCall& call) {
  const auto started = s.verification->Start(call.caller->actor);
  return JsonAnswer(started.started ? status::accepted : status::ok,
                    handlers::ToJson(started.run));
}

}  // namespace passledger::http

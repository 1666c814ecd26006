#include "handlers/admin/admin_json.h"

#include <boost/json/array.hpp>

#include "base/time.h"
#include "projections/view_json.h"

namespace passledger::handlers {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

std::string Time(std::int64_t us) { return FormatTimestamp(us); }

// Times and texts that may be unknown are left out rather than written as 0 or "".
void PutTime(object& o, std::string_view key, std::int64_t us) {
  if (us != 0) o[key] = Time(us);
}

void PutText(object& o, std::string_view key, const std::string& text) {
  if (!text.empty()) o[key] = text;
}

value Cursor(const std::string& cursor) { return cursor.empty() ? value(nullptr) : value(cursor); }

template <class T>
array List(const std::vector<T>& items) {
  array out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(ToJson(item));
  return out;
}

// A page of a bounded scan: its items under `key`, the cursor, and how the scan went.
template <class Page>
object ScanPage(std::string_view key, const Page& page, const array& items) {
  return object{{key, items},
                {"nextCursor", Cursor(page.next_cursor)},
                {"scanned", page.scanned},
                {"capped", page.capped}};
}

}  // namespace

object ImportListRowJson(const projections::ImportView& job) {
  object o{{"importId", job.import_id},
           {"fileName", job.file_name},
           {"state", projections::ImportStateName(job.state)},
           {"actor", job.actor},
           {"startedAt", Time(job.started_at_us)},
           {"rowCount", job.row_count},
           {"rejected", job.rejected}};
  PutTime(o, "finishedAt", job.finished_at_us);
  object counts;
  for (const auto& [name, n] : job.counts) counts[name] = n;
  o["counts"] = std::move(counts);
  PutText(o, "reason", job.reason);
  return o;
}

namespace {

value LastVerification(const Dashboard& d) {
  if (!d.last_verification) return "never";
  const events::VerifiedDigest& v = *d.last_verification;
  return object{{"position", v.position},
                {"headHash", v.head_hash_hex},
                {"signedAt", v.signed_at},
                {"eventsSince", d.head_position >= v.position ? d.head_position - v.position : 0}};
}

object DayJson(const DashboardDay& day) {
  return object{{"date", day.date},
                {"events", day.events},
                {"pushesSent", day.pushes_sent},
                {"pushesFailed", day.pushes_failed},
                {"emailsSent", day.emails_sent}};
}

object FieldJson(const PreviewField& f) {
  object o{{"key", f.key}, {"label", f.label}, {"value", f.value}};
  PutText(o, "dateStyle", f.date_style);
  PutText(o, "timeStyle", f.time_style);
  if (f.ignores_time_zone) o["ignoresTimeZone"] = true;
  PutText(o, "textAlignment", f.text_alignment);
  return o;
}

array Fields(const std::vector<PreviewField>& fields) {
  array out;
  for (const auto& f : fields) out.push_back(FieldJson(f));
  return out;
}

// "sealed" / "forgotten", the revealed object, or nothing (the event has no personal part).
void PutPersonal(object& o, const AuditEvent& e) {
  switch (e.personal_state) {
    case events::PersonalState::kNone:
      return;
    case events::PersonalState::kSealed:
      o["personal"] = "sealed";
      return;
    case events::PersonalState::kForgotten:
      o["personal"] = "forgotten";
      return;
    case events::PersonalState::kRevealed:
      o["personal"] = e.personal;
      o["personalSchemaVersion"] = e.upcast_payload ? e.upcast_schema_version : e.schema_version;
      return;
  }
}

}  // namespace

object ToJson(const Dashboard& d) {
  array days;
  for (const auto& day : d.days) days.push_back(DayJson(day));
  object o{{"generatedAt", Time(d.generated_at_us)},
           {"timeZone", d.time_zone},
           {"members", object{{"total", d.members.total},
                              {"active", d.members.active},
                              {"lapsed", d.members.lapsed},
                              {"leftRoster", d.members.left_roster},
                              {"forgotten", d.members.forgotten}}},
           {"passes", object{{"total", d.passes.total},
                             {"active", d.passes.active},
                             {"voided", d.passes.voided},
                             {"installed", d.passes.installed}}},
           {"devices", object{{"registered", d.devices.registered},
                              {"known", d.devices.known},
                              {"registrations", d.devices.registrations}}},
           {"emails", object{{"pending", d.emails.pending()},
                             {"requested", d.emails.requested},
                             {"retrying", d.emails.retrying},
                             {"sent", d.emails.sent},
                             {"failed", d.emails.failed}}},
           {"pushes24h", object{{"sent", d.pushes_sent_24h}, {"failed", d.pushes_failed_24h}}},
           {"lastImport", d.last_import ? value(ImportListRowJson(*d.last_import)) : value(nullptr)},
           {"head", object{{"position", d.head_position}, {"hash", d.head_hash}}},
           {"viewsPosition", d.views_position},
           {"lastVerification", LastVerification(d)},
           {"eventsPerDay", std::move(days)}};
  PutText(o, "verificationProblem", d.verification_problem);
  return o;
}

object ToJson(const MemberListEntry& e) {
  object o{{"membershipId", e.membership_id},
           {"level", e.level},
           {"status", e.status},
           {"active", e.active},
           {"leftRoster", e.left_roster},
           {"forgotten", e.forgotten},
           {"hasEmail", e.has_email},
           {"emailStatus", projections::EmailStatusName(e.email_status)},
           {"passes", e.passes},
           {"passesInstalled", e.passes_installed},
           {"passesEmailed", e.passes_emailed},
           {"installed", e.passes_installed > 0}};
  PutText(o, "name", e.name);
  PutText(o, "expires", e.expires);
  return o;
}

object ToJson(const MemberListPage& page) { return ScanPage("members", page, List(page.members)); }

object ToJson(const TimelineEntry& e) {
  return object{{"position", e.position}, {"recordedAt", Time(e.recorded_at_us)},
                {"stream", e.stream},     {"type", e.type},
                {"actor", e.actor},       {"summary", e.summary}};
}

object ToJson(const Timeline& timeline) {
  return object{{"entries", List(timeline.entries)}, {"nextCursor", Cursor(timeline.next_cursor)}};
}

object ToJson(const MemberDetail& detail) {
  array passes;
  for (const auto& pass : detail.passes) passes.push_back(projections::ToJson(pass));
  return object{{"member", projections::ToJson(detail.member)},
                {"passes", std::move(passes)},
                {"timeline", ToJson(detail.timeline)}};
}

object ToJson(const AuditEvent& e) {
  object o{{"position", e.position},
           {"stream", e.stream},
           {"version", e.version},
           {"type", e.type},
           {"schemaVersion", e.schema_version},
           {"recordedAt", Time(e.recorded_at_us)},
           {"actor", e.actor},
           {"correlationId", e.correlation_id},
           {"causation", e.causation},
           {"subject", e.subject},
           {"payload", e.payload}};
  if (e.upcast_payload) {
    o["upcastSchemaVersion"] = e.upcast_schema_version;
    o["upcastPayload"] = *e.upcast_payload;
  }
  PutPersonal(o, e);
  o["summary"] = e.summary;
  o["prevHash"] = e.prev_hash;
  o["hash"] = e.hash;
  return o;
}

object ToJson(const EventPage& page) { return ScanPage("events", page, List(page.events)); }

object ToJson(const PassPreview& p) {
  object o{{"serial", p.serial},
           {"passTypeId", p.pass_type_id},
           {"style", p.style},
           {"organizationName", p.organization_name},
           {"description", p.description},
           {"logoText", p.logo_text},
           {"foregroundColor", p.foreground_color},
           {"backgroundColor", p.background_color},
           {"labelColor", p.label_color},
           {"fields", object{{"header", Fields(p.header_fields)},
                             {"primary", Fields(p.primary_fields)},
                             {"secondary", Fields(p.secondary_fields)},
                             {"auxiliary", Fields(p.auxiliary_fields)},
                             {"back", Fields(p.back_fields)}}},
           {"voided", p.voided}};
  if (p.barcode) {
    o["barcode"] = object{{"format", p.barcode->format},
                          {"message", p.barcode->message},
                          {"altText", p.barcode->alt_text},
                          {"messageEncoding", p.barcode->encoding}};
    if (!p.barcode->svg.empty()) o["barcode"].as_object()["svg"] = p.barcode->svg;
    if (!p.barcode->svg_error.empty()) {
      o["barcode"].as_object()["svgError"] = p.barcode->svg_error;
    }
  } else {
    o["barcode"] = nullptr;
  }
  PutText(o, "expirationDate", p.expiration_date);
  PutText(o, "relevantDate", p.relevant_date);
  array images;
  for (const std::string& path : p.images) images.emplace_back(path);
  o["images"] = std::move(images);
  return o;
}

object ToJson(const DeviceEntry& d) {
  object o{{"deviceId", d.device_id}, {"passes", d.passes}, {"hasPushToken", d.has_push_token}};
  PutTime(o, "registeredAt", d.registered_at_us);
  PutTime(o, "lastSeenAt", d.changed_at_us);
  return o;
}

object ToJson(const DevicePage& page) {
  return object{{"devices", List(page.devices)}, {"nextCursor", Cursor(page.next_cursor)}};
}

object ToJson(const projections::DeviceLogRecord& r) {
  array lines;
  for (const auto& line : r.lines) lines.emplace_back(line);
  object o{{"sequence", r.sequence},
           {"receivedAt", Time(r.at_ms * 1000)},
           {"client", r.client},
           {"lines", std::move(lines)}};
  PutText(o, "device", r.device);
  return o;
}

object ToJson(const DeviceLogPage& page) { return ScanPage("records", page, List(page.records)); }

object ToJson(const VerificationRun& run) {
  object o{{"run", run.run},
           {"actor", run.actor},
           {"state", VerificationStateName(run.state)},
           {"startedAt", Time(run.started_at_us)}};
  PutTime(o, "finishedAt", run.finished_at_us);
  if (run.state == VerificationState::kRunning) return o;
  o["verifiedFrom"] = run.verified_from;
  o["checked"] = run.checked;
  if (run.state == VerificationState::kVerified) {
    o["position"] = run.position;
    o["headHash"] = run.head_hash_hex;
  }
  PutText(o, "error", run.error);
  return o;
}

object ToJson(const VerificationStatus& status) {
  value digest = nullptr;
  if (status.last_digest) {
    const events::VerifiedDigest& v = *status.last_digest;
    digest = object{{"position", v.position},
                    {"headHash", v.head_hash_hex},
                    {"signedAt", v.signed_at},
                    {"eventsSince", status.head >= v.position ? status.head - v.position : 0}};
  }
  return object{{"head", status.head},
                {"lastDigest", std::move(digest)},
                {"lastRun", status.last_run ? value(ToJson(*status.last_run)) : value(nullptr)}};
}

}  // namespace passledger::handlers

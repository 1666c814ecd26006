#include "handlers/admin/event_summary.h"

#include <array>
#include <functional>
#include <utility>

#include "base/time.h"
#include "events/catalogue.h"

namespace passledger::handlers {
namespace {

namespace ev = events;
using boost::json::object;
using boost::json::value;

std::string Text(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string Number(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  if (v && v->is_int64()) return std::to_string(v->as_int64());
  if (v && v->is_uint64()) return std::to_string(v->as_uint64());
  return {};
}

bool Flag(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// "head: detail", or just the head when there is no detail.
std::string Line(std::string head, const std::string& detail) {
  if (!detail.empty()) head += ": " + detail;
  return head;
}

// " (detail)", or nothing.
std::string Aside(const std::string& detail) { return detail.empty() ? "" : " (" + detail + ")"; }

// A changed value as text: strings as they are, null or absent as "none", others as JSON.
std::string ValueText(const value* v) {
  if (!v || v->is_null()) return "none";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_bool()) return v->as_bool() ? "yes" : "no";
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_array()) return std::to_string(v->as_array().size()) + " items";
  return "changed";
}

std::string Enrolled(const object& p, const ev::RecordedEvent&) {
  std::string detail = Text(p, "level");
  const std::string status = Text(p, "status");
  if (!status.empty()) detail += (detail.empty() ? "" : ", ") + status;
  const std::string expires = Text(p, "expires");
  if (!expires.empty()) detail += ", expires " + expires;
  return Line("Enrolled", detail);
}

std::string Changed(const object& p, const ev::RecordedEvent& event) {
  std::string detail;
  if (const value* changes = p.if_contains("changes"); changes && changes->is_object()) {
    for (const auto& [field, change] : changes->as_object()) {
      const object* c = change.if_object();
      if (!detail.empty()) detail += "; ";
      detail += std::string(field) + " " + ValueText(c ? c->if_contains("old") : nullptr) + " → " +
                ValueText(c ? c->if_contains("new") : nullptr);
    }
  }
  if (!event.envelope.sealed.empty()) {
    detail += (detail.empty() ? "" : "; ") + std::string("personal details changed");
  }
  return Line("Member changed", detail);
}

std::string Lapsed(const object& p, const ev::RecordedEvent&) {
  const std::string previous = Text(p, "previousStatus");
  return Line("Lapsed", Text(p, "status") + (previous.empty() ? "" : " (was " + previous + ")"));
}

std::string Reinstated(const object& p, const ev::RecordedEvent&) {
  return Line("Reinstated", Text(p, "status"));
}

std::string LeftRoster(const object& p, const ev::RecordedEvent&) {
  return "Left the roster" + Aside(Line("policy", Text(p, "policy")));
}

std::string Forgotten(const object& p, const ev::RecordedEvent&) {
  return Line("Forgotten", Text(p, "reason"));
}

std::string Issued(const object& p, const ev::RecordedEvent&) {
  const value* index = p.if_contains("cardholderIndex");
  if (!index || !index->is_int64()) return "Pass issued";
  return "Pass issued (cardholder " + std::to_string(index->as_int64() + 1) + ")";
}

std::string Revised(const object& p, const ev::RecordedEvent&) {
  return Line("Pass revised", Text(p, "reason"));
}

std::string Voided(const object& p, const ev::RecordedEvent&) {
  return Line("Pass voided", Text(p, "reason"));
}

std::string Unvoided(const object& p, const ev::RecordedEvent&) {
  return Line("Pass unvoided", Text(p, "reason"));
}

std::string EmailRequested(const object& p, const ev::RecordedEvent&) {
  const std::string attempt = Number(p, "attempt");
  return "E-mail requested" + Aside(attempt.empty() ? "" : "attempt " + attempt);
}

std::string EmailSent(const object& p, const ev::RecordedEvent&) {
  const std::string reply = Text(p, "reply");
  return "E-mail sent" + Aside(reply.empty() ? Text(p, "messageId") : reply);
}

std::string EmailFailed(const object& p, const ev::RecordedEvent&) {
  return Line("E-mail failed", Text(p, "error")) +
         (Flag(p, "willRetry") ? " (will retry)" : " (given up)");
}

std::string TokenRevoked(const object& p, const ev::RecordedEvent&) {
  return Line("Authentication token revoked", Text(p, "reason")) +
         Aside(Line("new generation", Number(p, "tokenGeneration")));
}

std::string Registered(const object& p, const ev::RecordedEvent&) {
  return "Device " + Text(p, "deviceId") + " registered for pass " + Text(p, "serial");
}

std::string Unregistered(const object& p, const ev::RecordedEvent&) {
  return "Device " + Text(p, "deviceId") + " unregistered from pass " + Text(p, "serial") +
         Aside(Text(p, "reason"));
}

std::string PushBatch(const object& p, const ev::RecordedEvent&) {
  std::string detail = Number(p, "sent") + " sent, " + Number(p, "failed") + " failed";
  const std::string unregistered = Number(p, "unregistered");
  if (!unregistered.empty()) detail += ", " + unregistered + " unregistered";
  return Line("Push batch", detail);
}

std::string DeviceLog(const object& p, const ev::RecordedEvent&) {
  const value* lines = p.if_contains("lines");
  const std::size_t n = lines && lines->is_array() ? lines->as_array().size() : 0;
  return "Device log received (" + std::to_string(n) + " lines)";
}

std::string ImportStarted(const object& p, const ev::RecordedEvent&) {
  const std::string rows = Number(p, "rowCount");
  return Line("Import started", Text(p, "fileName")) + Aside(rows.empty() ? "" : rows + " rows");
}

std::string RowRejected(const object& p, const ev::RecordedEvent&) {
  const std::string column = Text(p, "column");
  return "Row " + Number(p, "line") + " rejected: " + (column.empty() ? "" : column + ": ") +
         Text(p, "reason");
}

std::string ImportCompleted(const object& p, const ev::RecordedEvent&) {
  std::string detail;
  if (const value* counts = p.if_contains("counts"); counts && counts->is_object()) {
    for (const auto& [name, n] : counts->as_object()) {
      if (n.is_number() && n.to_number<double>() == 0) continue;  // the non-zero ones say it
      if (!detail.empty()) detail += ", ";
      detail += std::string(name) + " " + ValueText(&n);
    }
  }
  return Line("Import completed", detail);
}

std::string ImportFailed(const object& p, const ev::RecordedEvent&) {
  return Line("Import failed", Text(p, "reason"));
}

std::string TemplatePublished(const object& p, const ev::RecordedEvent&) {
  return "Template " + Text(p, "passTypeId") + " published (version " + Number(p, "version") + ")";
}

std::string StaffCreated(const object& p, const ev::RecordedEvent&) {
  return "Staff account " + Text(p, "username") + " created (role " + Text(p, "role") + ")";
}

std::string StaffRole(const object& p, const ev::RecordedEvent&) {
  const std::string previous = Text(p, "previousRole");
  return "Role of " + Text(p, "username") + ": " + (previous.empty() ? "" : previous + " → ") +
         Text(p, "role");
}

std::string StaffPassword(const object& p, const ev::RecordedEvent&) {
  return "Password of " + Text(p, "username") + " changed";
}

std::string StaffDisabled(const object& p, const ev::RecordedEvent&) {
  return "Staff account " + Text(p, "username") + " disabled" + Aside(Text(p, "reason"));
}

std::string StaffLoginFailed(const object& p, const ev::RecordedEvent&) {
  std::string detail = Number(p, "failures") + " failures";
  const value* until = p.if_contains("lockedUntilUs");
  if (until && until->is_int64() && until->as_int64() > 0) {
    detail += ", locked until " + FormatTimestamp(until->as_int64(), Precision::kSeconds);
  }
  return "Login of " + Text(p, "username") + " failed (" + detail + ")";
}

using Summarizer = std::string (*)(const object&, const ev::RecordedEvent&);

constexpr std::array<std::pair<std::string_view, Summarizer>, 28> kSummarizers = {{
    {ev::kMemberEnrolled, Enrolled},
    {ev::kMemberChanged, Changed},
    {ev::kMemberLapsed, Lapsed},
    {ev::kMemberReinstated, Reinstated},
    {ev::kMemberLeftRoster, LeftRoster},
    {ev::kSubjectForgotten, Forgotten},
    {ev::kPassIssued, Issued},
    {ev::kPassRevised, Revised},
    {ev::kPassVoided, Voided},
    {ev::kPassUnvoided, Unvoided},
    {ev::kPassEmailRequested, EmailRequested},
    {ev::kPassEmailSent, EmailSent},
    {ev::kPassEmailFailed, EmailFailed},
    {ev::kPassTokenRevoked, TokenRevoked},
    {ev::kDeviceRegistered, Registered},
    {ev::kDeviceUnregistered, Unregistered},
    {ev::kPushBatchCompleted, PushBatch},
    {ev::kDeviceLogReceived, DeviceLog},
    {ev::kImportStarted, ImportStarted},
    {ev::kImportRowRejected, RowRejected},
    {ev::kImportCompleted, ImportCompleted},
    {ev::kImportFailed, ImportFailed},
    {ev::kTemplatePublished, TemplatePublished},
    {ev::kStaffCreated, StaffCreated},
    {ev::kStaffRoleChanged, StaffRole},
    {ev::kStaffPasswordChanged, StaffPassword},
    {ev::kStaffDisabled, StaffDisabled},
    {ev::kStaffLoginFailed, StaffLoginFailed},
}};

}  // namespace

std::string EventSummary(const events::RecordedEvent& event) {
  for (const auto& [type, summarize] : kSummarizers) {
    if (type == event.envelope.type) return summarize(event.payload, event);
  }
  return event.envelope.type;
}

}  // namespace passledger::handlers

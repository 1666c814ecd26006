#include "projections/view_json.h"

#include <boost/json/array.hpp>

namespace passledger::projections {
namespace {

using boost::json::array;
using boost::json::object;

// Text fields are written only when present (an empty string is an absent field).
void PutText(object& o, std::string_view key, const std::string& text) {
  if (!text.empty()) o[key] = text;
}

array Strings(const std::vector<std::string>& list) {
  array out;
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

object Personal(const MemberPersonal& p) {
  object o;
  PutText(o, "name", p.name);
  PutText(o, "firstName", p.first_name);
  PutText(o, "lastName", p.last_name);
  PutText(o, "email", p.email);
  if (!p.address.empty()) {
    object address;
    PutText(address, "line1", p.address.line1);
    PutText(address, "line2", p.address.line2);
    PutText(address, "city", p.address.city);
    PutText(address, "state", p.address.state);
    PutText(address, "zip", p.address.zip);
    o["address"] = std::move(address);
  }
  o["cardholders"] = Strings(p.cardholders);
  return o;
}

}  // namespace

std::string_view EmailStatusName(EmailStatus status) {
  switch (status) {
    case EmailStatus::kNone:
      return "none";
    case EmailStatus::kRequested:
      return "requested";
    case EmailStatus::kSent:
      return "sent";
    case EmailStatus::kRetrying:
      return "retrying";
    case EmailStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string_view ImportStateName(ImportState state) {
  switch (state) {
    case ImportState::kRunning:
      return "running";
    case ImportState::kCompleted:
      return "completed";
    case ImportState::kFailed:
      return "failed";
  }
  return "unknown";
}

object ToJson(const MemberView& m) {
  object o;
  o["membershipId"] = m.membership_id;
  PutText(o, "level", m.level);
  PutText(o, "status", m.status);
  o["active"] = m.active;
  PutText(o, "expires", m.expires);
  array add_ons;
  for (const auto& a : m.add_ons)
    add_ons.push_back(object{{"name", a.name}, {"quantity", a.quantity}});
  o["addOns"] = std::move(add_ons);
  o["emailable"] = m.emailable;
  if (m.personal) o["personal"] = Personal(*m.personal);
  o["forgotten"] = m.forgotten;
  o["leftRoster"] = m.left_roster;
  PutText(o, "leftPolicy", m.left_policy);
  o["serials"] = Strings(m.serials);
  o["enrolledPosition"] = m.enrolled_position;
  o["updatedPosition"] = m.updated_position;
  o["rowHash"] = m.row_hash;
  o["passesInstalled"] = m.passes_installed;
  o["passesEmailed"] = m.passes_emailed;
  o["emailStatus"] = EmailStatusName(m.email_status);
  return o;
}

object ToJson(const PassView& p) {
  object o;
  o["serial"] = p.serial;
  o["passTypeId"] = p.pass_type_id;
  o["membershipId"] = p.membership_id;
  o["cardholderIndex"] = p.cardholder_index;
  PutText(o, "cardholder", p.cardholder);
  o["tokenGeneration"] = p.token_generation;
  o["voided"] = p.voided;
  PutText(o, "voidReason", p.void_reason);
  o["contentPosition"] = p.content_position;
  o["lastModifiedS"] = p.last_modified_s;
  o["issuedPosition"] = p.issued_position;
  object email{{"status", EmailStatusName(p.email.status)}};
  if (p.email.position != 0) email["position"] = p.email.position;
  PutText(email, "error", p.email.error);
  PutText(email, "messageId", p.email.message_id);
  if (p.email.attempt != 0) email["attempt"] = p.email.attempt;
  o["email"] = std::move(email);
  o["forgotten"] = p.forgotten;
  o["devices"] = p.devices;
  return o;
}

object ToJson(const DeviceView& d) {
  return object{{"deviceId", d.device_id},
                {"hasPushToken", !d.push_token.empty()},
                {"updatedPosition", d.updated_position},
                {"passes", d.passes},
                {"registeredAtUs", d.registered_at_us},
                {"changedAtUs", d.changed_at_us}};
}

object ToJson(const ImportView& j) {
  object o;
  o["importId"] = j.import_id;
  o["fileName"] = j.file_name;
  o["sha256"] = j.sha256;
  o["rowCount"] = j.row_count;
  o["bytes"] = j.bytes;
  o["state"] = ImportStateName(j.state);
  o["actor"] = j.actor;
  o["startedAtUs"] = j.started_at_us;
  if (j.finished_at_us != 0) o["finishedAtUs"] = j.finished_at_us;
  o["startedPosition"] = j.started_position;
  if (j.finished_position != 0) o["finishedPosition"] = j.finished_position;
  if (!j.counts.empty()) {
    object counts;
    for (const auto& [name, n] : j.counts) counts[name] = n;
    o["counts"] = std::move(counts);
  }
  o["rejected"] = j.rejected;
  array rejections;
  for (const auto& r : j.rejections) {
    object row{{"line", r.line}, {"reason", r.reason}};
    PutText(row, "column", r.column);
    PutText(row, "value", r.value);
    rejections.push_back(std::move(row));
  }
  o["rejections"] = std::move(rejections);
  PutText(o, "reason", j.reason);
  return o;
}

object ToJson(const StaffView& s) {
  return object{{"username", s.username},
                {"role", s.role},
                {"disabled", s.disabled},
                {"hasPassword", !s.password_hash.empty()},
                {"failures", s.failures},
                {"lockedUntilUs", s.locked_until_us},
                {"createdPosition", s.created_position},
                {"forgotten", s.forgotten}};
}

object ToJson(const TemplateView& t) {
  return object{{"passTypeId", t.pass_type_id},
                {"version", t.version},
                {"contentHash", t.content_hash},
                {"position", t.position}};
}

object ToJson(const CountsView& c) {
  return object{{"members", c.members},
                {"membersActive", c.members_active},
                {"membersLeft", c.members_left},
                {"membersForgotten", c.members_forgotten},
                {"passes", c.passes},
                {"passesVoided", c.passes_voided},
                {"devices", c.devices},
                {"registrations", c.registrations},
                {"imports", c.imports},
                {"staff", c.staff},
                {"membersActiveOnRoster", c.members_active_on_roster},
                {"passesInstalled", c.passes_installed},
                {"devicesRegistered", c.devices_registered},
                {"emailsRequested", c.emails_requested},
                {"emailsRetrying", c.emails_retrying},
                {"emailsSent", c.emails_sent},
                {"emailsFailed", c.emails_failed},
                {"activityNewestS", c.activity_newest_s}};
}

object ToJson(const ActivityBucket& b) {
  return object{{"startS", b.start_s},
                {"events", b.events},
                {"pushesSent", b.pushes_sent},
                {"pushesFailed", b.pushes_failed},
                {"emailsSent", b.emails_sent}};
}

}  // namespace passledger::projections

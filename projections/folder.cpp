#include "projections/folder.h"

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>

#include "base/time.h"
#include "events/catalogue.h"
#include "projections/member_fields.h"
#include "projections/view_format.h"

namespace passledger::projections {
namespace {

namespace ev = passledger::events;
using boost::json::object;
using boost::json::value;
using format::Key;
using format::View;

std::string_view Str(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

std::int64_t Number(const boost::json::value* v) {
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

std::int64_t Int(const object& o, std::string_view key) { return Number(o.if_contains(key)); }

bool Bool(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// Payload fields into typed values. A field of another JSON type than the catalogue says reads
// as absent (the catalogue validates appends; this keeps replays of older logs total).
std::string Text(const object& o, std::string_view key) { return std::string(Str(o, key)); }

std::string Text(const value* v) {
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<MemberAddOn> AddOnsOf(const value* v) {
  std::vector<MemberAddOn> out;
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (!item.is_object()) continue;
    out.push_back({Text(item.as_object(), "name"), Int(item.as_object(), "quantity")});
  }
  return out;
}

std::vector<std::string> StringsOf(const value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

MemberAddress AddressOf(const value* v) {
  if (!v || !v->is_object()) return {};
  const object& a = v->as_object();
  return {Text(a, "line1"), Text(a, "line2"), Text(a, "city"), Text(a, "state"), Text(a, "zip")};
}

// Sets one public field from an event's value; null or absent clears it.
void SetPublicField(MemberView& m, std::string_view field, const value* v) {
  if (field == "level") {
    m.level = Text(v);
  } else if (field == "status") {
    m.status = Text(v);
  } else if (field == "active") {
    m.active = v && v->is_bool() && v->as_bool();
  } else if (field == "expires") {
    m.expires = Text(v);
  } else if (field == "addOns") {
    m.add_ons = AddOnsOf(v);
  } else if (field == "emailable") {
    m.emailable = v && v->is_bool() && v->as_bool();
  }
  // Other public fields are not part of the members view.
}

void SetPersonalField(MemberPersonal& p, std::string_view field, const value* v) {
  if (field == "name") {
    p.name = Text(v);
  } else if (field == "firstName") {
    p.first_name = Text(v);
  } else if (field == "lastName") {
    p.last_name = Text(v);
  } else if (field == "email") {
    p.email = Text(v);
  } else if (field == "address") {
    p.address = AddressOf(v);
  } else if (field == "cardholders") {
    p.cardholders = StringsOf(v);
  }
}

MemberPersonal PersonalOf(const object& personal) {
  MemberPersonal p;
  for (auto field : kPersonalMemberFields) SetPersonalField(p, field, personal.if_contains(field));
  return p;
}

// The folding context of one event.
class EventFolder {
 public:
  EventFolder(const FoldEvent& event, ViewCache& views) : e_(event), views_(views) {}

  Result<void> Run();

 private:
  Result<void> Dispatch();
  // The activity bucket of the event's quarter hour, and the rolling window's end.
  Result<void> CountActivity();
  void DropActivityBuckets(std::int64_t newest_s, std::int64_t next_s);
  // Members.
  Result<void> MemberEnrolled();
  Result<void> MemberChanged();
  Result<void> MemberStatus(bool active, bool reinstated);
  Result<void> MemberLeftRoster();
  Result<void> SubjectForgotten();
  Result<void> ForgetMember(std::string_view membership_id);
  // Passes.
  Result<void> PassIssued();
  Result<void> PassContentChanged(std::optional<bool> voided);
  Result<void> PassEmail(EmailStatus status);
  Result<void> PassTokenRevoked();
  // Devices.
  Result<void> DeviceRegistered();
  Result<void> DeviceUnregistered();
  // Imports, templates, staff.
  Result<void> ImportStarted();
  Result<void> ImportRowRejected();
  Result<void> ImportFinished(ImportState state);
  Result<void> TemplatePublished();
  Result<void> Staff();

  // Runs `change` on the member record and keeps counters and search index in step.
  Result<void> UpdateMember(std::string_view id, const std::function<void(MemberView&)>& change);
  Result<void> UpdatePass(std::string_view serial, const std::function<void(PassView&)>& change);
  // Keeps the pass counters (global and its member's) in step with one change of a pass.
  struct PassClass;
  Result<void> AccountPass(const PassClass& before, const PassClass& after);
  Result<void> CountEmail(EmailStatus status, std::int64_t delta);
  Result<void> AddToMember(std::string_view id, std::int64_t installed, std::int64_t emailed);
  void MoveContent(PassView& pass);
  // A forgotten member's pass: no cardholder, void (reason "forgotten"), new content.
  void EndForgottenPass(PassView& pass);
  Result<void> Count(std::int64_t CountsView::*counter, std::int64_t delta);

  std::uint64_t position() const { return e_.envelope.position; }
  const FoldEvent& e_;
  ViewCache& views_;
};

// Counter classes of a member record: each true flag counts once.
struct MemberClass {
  bool member = false, active = false, left = false, forgotten = false, active_on_roster = false;
  static MemberClass Of(const MemberView* m) {
    if (!m || !m->enrolled()) return {};
    return {true, m->active, m->left_roster, m->forgotten, m->active && !m->left_roster};
  }
};

// Counter classes of a pass record, and the member it counts for.
struct EventFolder::PassClass {
  bool exists = false, voided = false, installed = false, emailed = false;
  EmailStatus email = EmailStatus::kNone;
  std::string member;
  static PassClass Of(const PassView& p) {
    if (p.issued_position == 0) return {};  // created just now: not issued before
    return {true,           p.voided,       p.devices > 0, p.email.status == EmailStatus::kSent,
            p.email.status, p.membership_id};
  }
};

Result<void> EventFolder::Count(std::int64_t CountsView::*counter, std::int64_t delta) {
  if (delta == 0) return {};
  auto counts = views_.Upsert<CountsView>(Key(View::kCounts, format::kCountsId));
  if (!counts) return counts.error();
  (*counts)->*counter += delta;
  return {};
}

Result<void> EventFolder::UpdateMember(std::string_view id,
                                       const std::function<void(MemberView&)>& change) {
  auto found = views_.Find<MemberView>(Key(View::kMembers, id));
  if (!found) return found.error();
  const MemberClass before = MemberClass::Of(*found);
  std::vector<std::string> old_terms;
  if (*found && (*found)->personal) old_terms = SearchTerms(*(*found)->personal);
  const std::string old_entry = *found ? codec::EncodeSearchEntry(**found) : std::string();
  auto record = views_.Upsert<MemberView>(Key(View::kMembers, id));
  if (!record) return record.error();
  MemberView& m = **record;
  if (m.membership_id.empty()) m.membership_id = std::string(id);
  change(m);
  m.updated_position = position();
  const std::vector<std::string> new_terms =
      m.personal ? SearchTerms(*m.personal) : std::vector<std::string>();
  for (const auto& term : old_terms) {
    if (!std::binary_search(new_terms.begin(), new_terms.end(), term)) {
      views_.Erase(Key(View::kMemberSearch, term, id));
    }
  }
  // Each entry holds what the member list filters on: all are written again when that changed.
  const std::string new_entry = codec::EncodeSearchEntry(m);
  for (const auto& term : new_terms) {
    if (new_entry != old_entry || !std::binary_search(old_terms.begin(), old_terms.end(), term)) {
      views_.PutRaw(Key(View::kMemberSearch, term, id), new_entry);
    }
  }
  const MemberClass after = MemberClass::Of(&m);
  if (auto ok = Count(&CountsView::members, after.member - before.member); !ok) return ok;
  if (auto ok = Count(&CountsView::members_active, after.active - before.active); !ok) return ok;
  if (auto ok = Count(&CountsView::members_left, after.left - before.left); !ok) return ok;
  if (auto ok = Count(&CountsView::members_active_on_roster,
                      after.active_on_roster - before.active_on_roster);
      !ok) {
    return ok;
  }
  return Count(&CountsView::members_forgotten, after.forgotten - before.forgotten);
}

Result<void> EventFolder::MemberEnrolled() {
  const object& p = e_.payload;
  return UpdateMember(Str(p, "membershipId"), [&](MemberView& m) {
    for (auto field : kPublicMemberFields) SetPublicField(m, field, p.if_contains(field));
    m.left_roster = false;
    if (!m.enrolled()) m.enrolled_position = position();
    if (e_.personal && !m.forgotten) m.personal = PersonalOf(*e_.personal);
  });
}

Result<void> EventFolder::MemberChanged() {
  const object& p = e_.payload;
  return UpdateMember(Str(p, "membershipId"), [&](MemberView& m) {
    auto next = [](const value& change) {
      return change.is_object() ? change.as_object().if_contains("new") : nullptr;
    };
    if (const auto* changes = p.if_contains("changes"); changes && changes->is_object()) {
      for (const auto& [field, change] : changes->as_object()) {
        SetPublicField(m, field, next(change));
      }
    }
    const auto* personal_changes = e_.personal ? e_.personal->if_contains("changes") : nullptr;
    if (personal_changes && personal_changes->is_object() && !m.forgotten) {
      MemberPersonal& personal = m.personal ? *m.personal : m.personal.emplace();
      for (const auto& [field, change] : personal_changes->as_object()) {
        SetPersonalField(personal, field, next(change));
      }
    }
  });
}

Result<void> EventFolder::MemberStatus(bool active, bool reinstated) {
  return UpdateMember(Str(e_.payload, "membershipId"), [&](MemberView& m) {
    m.status = Text(e_.payload, "status");
    m.active = active;
    // A status read from a roster puts the member back on it; MemberLeftRoster takes it off.
    if (reinstated || e_.payload.contains("importId")) m.left_roster = false;
  });
}

Result<void> EventFolder::MemberLeftRoster() {
  return UpdateMember(Str(e_.payload, "membershipId"), [&](MemberView& m) {
    m.left_roster = true;
    m.left_policy = Text(e_.payload, "policy");
  });
}

Result<void> EventFolder::SubjectForgotten() {
  const std::string_view subject = Str(e_.payload, "subject");
  if (subject.starts_with("staff:")) {
    auto staff = views_.Find<StaffView>(Key(View::kStaff, subject.substr(6)));
    if (!staff) return staff.error();
    if (*staff) {
      (*staff)->password_hash.clear();
      (*staff)->forgotten = true;
    }
    return {};
  }
  return ForgetMember(subject);
}

Result<void> EventFolder::ForgetMember(std::string_view membership_id) {
  std::vector<std::string> serials;
  auto ok = UpdateMember(membership_id, [&](MemberView& m) {
    m.personal.reset();
    m.forgotten = true;
    serials = m.serials;
  });
  if (!ok) return ok;
  // Each pass becomes a void pass without personal data, with new content: the phones that
  // hold it are pushed and download the void version (PassBundles makes it).
  for (const auto& serial : serials) {
    auto ended = UpdatePass(serial, [&](PassView& pass) { EndForgottenPass(pass); });
    if (!ended) return ended;
  }
  return {};
}

void EventFolder::EndForgottenPass(PassView& pass) {
  pass.cardholder.clear();
  pass.forgotten = true;
  pass.voided = true;
  pass.void_reason = std::string(kForgottenVoidReason);
  if (pass.content_position != position()) MoveContent(pass);
}

// A content change: new content position, a fresh change-index entry, and a last-modified
// second that is strictly later than the previous one (HTTP dates have one-second resolution).
void EventFolder::MoveContent(PassView& pass) {
  if (pass.content_position != 0) {
    views_.Erase(format::ChangeKey(pass.pass_type_id, pass.content_position));
  }
  const bool first = pass.content_position == 0;
  pass.content_position = position();
  views_.PutRaw(format::ChangeKey(pass.pass_type_id, position()), pass.serial);
  const std::int64_t recorded_s = e_.envelope.recorded_at_us / 1'000'000;
  pass.last_modified_s = first ? recorded_s : std::max(recorded_s, pass.last_modified_s + 1);
}

Result<void> EventFolder::UpdatePass(std::string_view serial,
                                     const std::function<void(PassView&)>& change) {
  auto found = views_.Find<PassView>(Key(View::kPasses, serial));
  if (!found) return found.error();
  if (!*found) return {};  // events for a pass never issued change nothing
  const PassClass before = PassClass::Of(**found);
  change(**found);
  return AccountPass(before, PassClass::Of(**found));
}

Result<void> EventFolder::AccountPass(const PassClass& before, const PassClass& after) {
  if (auto ok = Count(&CountsView::passes, after.exists - before.exists); !ok) return ok;
  if (auto ok = Count(&CountsView::passes_voided, after.voided - before.voided); !ok) return ok;
  if (auto ok = Count(&CountsView::passes_installed, after.installed - before.installed); !ok) {
    return ok;
  }
  if (before.email != after.email) {
    if (auto ok = CountEmail(before.email, -1); !ok) return ok;
    if (auto ok = CountEmail(after.email, 1); !ok) return ok;
  }
  if (before.member == after.member) {
    return AddToMember(after.member, after.installed - before.installed,
                       after.emailed - before.emailed);
  }
  if (auto ok = AddToMember(before.member, -before.installed, -before.emailed); !ok) return ok;
  return AddToMember(after.member, after.installed, after.emailed);
}

Result<void> EventFolder::CountEmail(EmailStatus status, std::int64_t delta) {
  switch (status) {
    case EmailStatus::kNone:
      return {};
    case EmailStatus::kRequested:
      return Count(&CountsView::emails_requested, delta);
    case EmailStatus::kSent:
      return Count(&CountsView::emails_sent, delta);
    case EmailStatus::kRetrying:
      return Count(&CountsView::emails_retrying, delta);
    case EmailStatus::kFailed:
      return Count(&CountsView::emails_failed, delta);
  }
  return {};
}

// A pass's share of its member's counts. Not through UpdateMember: the member's own fields
// (and its updated position) do not change.
Result<void> EventFolder::AddToMember(std::string_view id, std::int64_t installed,
                                      std::int64_t emailed) {
  if (id.empty() || (installed == 0 && emailed == 0)) return {};
  auto member = views_.Find<MemberView>(Key(View::kMembers, id));
  if (!member) return member.error();
  if (!*member) return {};
  MemberView& m = **member;
  const std::string old_entry = codec::EncodeSearchEntry(m);
  m.passes_installed += installed;
  m.passes_emailed += emailed;
  const std::string new_entry = codec::EncodeSearchEntry(m);
  if (new_entry == old_entry || !m.personal) return {};
  for (const auto& term : SearchTerms(*m.personal)) {
    views_.PutRaw(Key(View::kMemberSearch, term, id), new_entry);
  }
  return {};
}

Result<void> EventFolder::PassIssued() {
  const object& p = e_.payload;
  const std::string_view serial = Str(p, "serial");
  const std::string_view member = Str(p, "membershipId");
  auto record = views_.Upsert<PassView>(Key(View::kPasses, serial));
  if (!record) return record.error();
  PassView& pass = **record;
  const PassClass before = PassClass::Of(pass);
  const bool is_new = pass.issued_position == 0;
  if (!is_new && pass.pass_type_id != Str(p, "passTypeId") && pass.content_position != 0) {
    // Re-issued under another pass type: its change-index entry moves with it (MoveContent
    // below erases under the new type).
    views_.Erase(format::ChangeKey(pass.pass_type_id, pass.content_position));
  }
  pass.serial = std::string(serial);
  pass.pass_type_id = Text(p, "passTypeId");
  pass.membership_id = std::string(member);
  pass.cardholder_index = Int(p, "cardholderIndex");
  // A pass issued again keeps a generation that was revoked past (a revoked token stays dead).
  pass.token_generation = std::max<std::uint64_t>(
      pass.token_generation,
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, Int(p, "tokenGeneration"))));
  pass.voided = false;
  pass.void_reason.clear();
  pass.issued_position = position();
  pass.cardholder = e_.personal ? Text(*e_.personal, "cardholder") : std::string();
  MoveContent(pass);
  bool forgotten = false;
  auto added = UpdateMember(member, [&](MemberView& m) {
    if (std::find(m.serials.begin(), m.serials.end(), serial) == m.serials.end()) {
      m.serials.emplace_back(serial);
    }
    forgotten = m.forgotten;
  });
  if (!added) return added;
  // A pass issued to a forgotten member (nothing issues one; the fold stays total) is void.
  if (forgotten) EndForgottenPass(pass);
  return AccountPass(before, PassClass::Of(pass));
}

Result<void> EventFolder::PassContentChanged(std::optional<bool> voided) {
  return UpdatePass(Str(e_.payload, "serial"), [&](PassView& pass) {
    if (voided && !pass.forgotten) {  // a forgotten member's pass stays void
      pass.voided = *voided;
      pass.void_reason = *voided ? Text(e_.payload, "reason") : std::string();
    }
    if (e_.personal && e_.personal->contains("cardholder") && !pass.forgotten) {
      pass.cardholder = Text(*e_.personal, "cardholder");
    }
    MoveContent(pass);
  });
}

// The e-mail status of a pass, and its entry in the waiting index: at most one per pass,
// keyed by the position of its last e-mail event.
Result<void> EventFolder::PassEmail(EmailStatus status) {
  std::string member;
  auto ok = UpdatePass(Str(e_.payload, "serial"), [&](PassView& pass) {
    if (IsWaiting(pass.email.status)) views_.Erase(format::EmailWaitingKey(pass.email.position));
    pass.email = projections::PassEmail{status, position(), Text(e_.payload, "error"),
                                        Text(e_.payload, "messageId"), Int(e_.payload, "attempt")};
    if (IsWaiting(status)) views_.PutRaw(format::EmailWaitingKey(position()), pass.serial);
    member = pass.membership_id;
  });
  if (!ok || member.empty()) return ok;
  auto record = views_.Find<MemberView>(Key(View::kMembers, member));
  if (!record) return record.error();
  if (*record) (*record)->email_status = status;
  return {};
}

// The new token changes the pass (its pass.json carries it): a content change. Generations
// only grow.
Result<void> EventFolder::PassTokenRevoked() {
  return UpdatePass(Str(e_.payload, "serial"), [&](PassView& pass) {
    pass.token_generation = std::max<std::uint64_t>(
        pass.token_generation,
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, Int(e_.payload, "tokenGeneration"))));
    MoveContent(pass);
  });
}

Result<void> EventFolder::DeviceRegistered() {
  const object& p = e_.payload;
  const std::string_view device = Str(p, "deviceId");
  auto record = views_.Upsert<DeviceView>(Key(View::kDevices, device));
  if (!record) return record.error();
  DeviceView& d = **record;
  const bool new_device = d.updated_position == 0;
  d.device_id = std::string(device);
  d.push_token = Text(p, "pushToken");
  d.updated_position = position();
  if (d.registered_at_us == 0) d.registered_at_us = e_.envelope.recorded_at_us;
  d.changed_at_us = e_.envelope.recorded_at_us;
  const std::string registration =
      Key(View::kRegistrations, device, Str(p, "passTypeId"), Str(p, "serial"));
  auto was = views_.GetRaw(registration);
  if (!was) return was.error();
  views_.PutRaw(registration, "");
  views_.PutRaw(Key(View::kPassDevices, Str(p, "serial"), device), Text(p, "passTypeId"));
  if (auto ok = Count(&CountsView::devices, new_device ? 1 : 0); !ok) return ok;
  if (was->has_value()) return {};  // a new push token for a registration it had
  if (++d.passes == 1) {
    if (auto ok = Count(&CountsView::devices_registered, 1); !ok) return ok;
  }
  auto added = UpdatePass(Str(p, "serial"), [](PassView& pass) { ++pass.devices; });
  if (!added) return added;
  return Count(&CountsView::registrations, 1);
}

Result<void> EventFolder::DeviceUnregistered() {
  const object& p = e_.payload;
  const std::string registration =
      Key(View::kRegistrations, Str(p, "deviceId"), Str(p, "passTypeId"), Str(p, "serial"));
  auto was = views_.GetRaw(registration);
  if (!was) return was.error();
  if (!was->has_value()) return {};
  views_.Erase(registration);
  views_.Erase(Key(View::kPassDevices, Str(p, "serial"), Str(p, "deviceId")));
  auto device = views_.Find<DeviceView>(Key(View::kDevices, Str(p, "deviceId")));
  if (!device) return device.error();
  if (*device) {
    (*device)->changed_at_us = e_.envelope.recorded_at_us;
    if (--(*device)->passes == 0) {
      if (auto ok = Count(&CountsView::devices_registered, -1); !ok) return ok;
    }
  }
  auto removed = UpdatePass(Str(p, "serial"), [](PassView& pass) { --pass.devices; });
  if (!removed) return removed;
  return Count(&CountsView::registrations, -1);
}

Result<void> EventFolder::ImportStarted() {
  const object& p = e_.payload;
  auto record = views_.Upsert<ImportView>(Key(View::kImports, Str(p, "importId")));
  if (!record) return record.error();
  ImportView& job = **record;
  const bool is_new = job.started_position == 0;
  // Started again (a resumed job): it moves to the front of the imports by start.
  if (!is_new) views_.Erase(format::ImportStartKey(job.started_position));
  views_.PutRaw(format::ImportStartKey(position()), Text(p, "importId"));
  job = ImportView{};
  job.import_id = Text(p, "importId");
  job.file_name = Text(p, "fileName");
  job.sha256 = Text(p, "sha256");
  job.row_count = Int(p, "rowCount");
  job.bytes = Int(p, "bytes");
  job.state = ImportState::kRunning;
  job.actor = e_.envelope.actor;
  job.started_at_us = e_.envelope.recorded_at_us;
  job.started_position = position();
  return Count(&CountsView::imports, is_new ? 1 : 0);
}

Result<void> EventFolder::ImportRowRejected() {
  auto record = views_.Find<ImportView>(Key(View::kImports, Str(e_.payload, "importId")));
  if (!record) return record.error();
  if (!*record) return {};
  ImportView& job = **record;
  ++job.rejected;
  if (job.rejections.size() < ImportView::kKeptRejections) {
    job.rejections.push_back({Int(e_.payload, "line"), Text(e_.payload, "column"),
                              Text(e_.payload, "reason"), Text(e_.payload, "value")});
  }
  return {};
}

Result<void> EventFolder::ImportFinished(ImportState state) {
  auto record = views_.Find<ImportView>(Key(View::kImports, Str(e_.payload, "importId")));
  if (!record) return record.error();
  if (!*record) return {};
  ImportView& job = **record;
  job.state = state;
  job.finished_at_us = e_.envelope.recorded_at_us;
  job.finished_position = position();
  if (const auto* counts = e_.payload.if_contains("counts"); counts && counts->is_object()) {
    job.counts.clear();
    for (const auto& [name, n] : counts->as_object()) job.counts.emplace_back(name, Number(&n));
  }
  if (e_.payload.contains("reason")) job.reason = Text(e_.payload, "reason");
  return {};
}

Result<void> EventFolder::TemplatePublished() {
  const object& p = e_.payload;
  auto record = views_.Upsert<TemplateView>(Key(View::kTemplates, Str(p, "passTypeId")));
  if (!record) return record.error();
  **record =
      TemplateView{Text(p, "passTypeId"), Int(p, "version"), Text(p, "contentHash"), position()};
  return {};
}

Result<void> EventFolder::Staff() {
  const object& p = e_.payload;
  const std::string_view type = e_.envelope.type;
  auto record = views_.Upsert<StaffView>(Key(View::kStaff, Str(p, "username")));
  if (!record) return record.error();
  StaffView& staff = **record;
  const bool is_new = staff.username.empty();
  staff.username = Text(p, "username");
  if (type == ev::kStaffCreated) {
    staff.role = Text(p, "role");
    staff.disabled = false;
    staff.failures = 0;
    staff.created_position = position();
  } else if (type == ev::kStaffRoleChanged) {
    staff.role = Text(p, "role");
  } else if (type == ev::kStaffDisabled) {
    staff.disabled = true;
  } else if (type == ev::kStaffLoginFailed) {
    staff.failures = Int(p, "failures");
    staff.locked_until_us = Int(p, "lockedUntilUs");
  }
  if (e_.personal && e_.personal->contains("passwordHash") && !staff.forgotten) {
    staff.password_hash = Text(*e_.personal, "passwordHash");
    if (type == ev::kStaffPasswordChanged) staff.failures = 0;
  }
  return Count(&CountsView::staff, is_new ? 1 : 0);
}

Result<void> EventFolder::Run() {
  if (auto ok = CountActivity(); !ok) return ok;
  return Dispatch();
}

Result<void> EventFolder::CountActivity() {
  const std::int64_t bucket_us = kActivityBucketS * 1'000'000;
  const std::int64_t start =
      std::max<std::int64_t>(0, FloorDiv(e_.envelope.recorded_at_us, bucket_us) * kActivityBucketS);
  auto counts = views_.Upsert<CountsView>(Key(View::kCounts, format::kCountsId));
  if (!counts) return counts.error();
  CountsView& c = **counts;
  if (start > c.activity_newest_s) {
    DropActivityBuckets(c.activity_newest_s, start);
    c.activity_newest_s = start;
  } else if (start <= c.activity_newest_s - kActivityWindowS) {
    return {};  // before the window (recorded times do not go back; this keeps the fold total)
  }
  auto bucket = views_.Upsert<ActivityBucket>(format::ActivityKey(start));
  if (!bucket) return bucket.error();
  ActivityBucket& b = **bucket;
  b.start_s = start;
  ++b.events;
  const std::string_view type = e_.envelope.type;
  if (type == ev::kPushBatchCompleted) {
    b.pushes_sent += Int(e_.payload, "sent");
    b.pushes_failed += Int(e_.payload, "failed");
  } else if (type == ev::kPassEmailSent) {
    ++b.emails_sent;
  }
  return {};
}

// The window moves from ending at `newest_s` to ending at `next_s`: the buckets it leaves
// behind are erased. Every bucket kept starts after newest_s - kActivityWindowS, so at most a
// window's worth of keys is visited, however long nothing happened.
void EventFolder::DropActivityBuckets(std::int64_t newest_s, std::int64_t next_s) {
  const std::int64_t first =
      std::max<std::int64_t>(0, newest_s - kActivityWindowS + kActivityBucketS);
  const std::int64_t last = std::min(newest_s, next_s - kActivityWindowS);
  for (std::int64_t s = first; s <= last; s += kActivityBucketS) {
    views_.Erase(format::ActivityKey(s));
  }
}

Result<void> EventFolder::Dispatch() {
  const std::string_view type = e_.envelope.type;
  if (type == ev::kMemberEnrolled) return MemberEnrolled();
  if (type == ev::kMemberChanged) return MemberChanged();
  if (type == ev::kMemberLapsed) return MemberStatus(false, false);
  if (type == ev::kMemberReinstated) return MemberStatus(true, true);
  if (type == ev::kMemberLeftRoster) return MemberLeftRoster();
  if (type == ev::kSubjectForgotten) return SubjectForgotten();
  if (type == ev::kPassIssued) return PassIssued();
  if (type == ev::kPassRevised) return PassContentChanged(std::nullopt);
  if (type == ev::kPassVoided) return PassContentChanged(true);
  if (type == ev::kPassUnvoided) return PassContentChanged(false);
  if (type == ev::kPassEmailRequested) return PassEmail(EmailStatus::kRequested);
  if (type == ev::kPassEmailSent) return PassEmail(EmailStatus::kSent);
  if (type == ev::kPassEmailFailed) {
    return PassEmail(Bool(e_.payload, "willRetry") ? EmailStatus::kRetrying : EmailStatus::kFailed);
  }
  if (type == ev::kPassTokenRevoked) return PassTokenRevoked();
  if (type == ev::kDeviceRegistered) return DeviceRegistered();
  if (type == ev::kDeviceUnregistered) return DeviceUnregistered();
  if (type == ev::kImportStarted) return ImportStarted();
  if (type == ev::kImportRowRejected) return ImportRowRejected();
  if (type == ev::kImportCompleted) return ImportFinished(ImportState::kCompleted);
  if (type == ev::kImportFailed) return ImportFinished(ImportState::kFailed);
  if (type == ev::kTemplatePublished) return TemplatePublished();
  if (type.starts_with("Staff")) return Staff();
  return {};  // PushBatchCompleted, DeviceLogReceived, uncatalogued: history only
}

}  // namespace

Result<void> Fold(const FoldEvent& event, ViewCache& views) {
  auto ok = EventFolder(event, views).Run();
  if (!ok) {
    return MakeError(ok.error().code, "folding " + event.envelope.type + " at position " +
                                          std::to_string(event.envelope.position) + ": " +
                                          ok.error().message);
  }
  return {};
}

void FinalizeRecord(ViewRecord& record) {
  if (auto* member = std::get_if<MemberView>(&record)) member->row_hash = MemberRowHash(*member);
}

void WriteCheckpoint(ViewCache& views, std::uint64_t position) {
  views.PutRaw(Key(View::kCheckpoint, format::kCheckpointId), passledger::U64BE(position));
  views.PutRaw(Key(View::kCheckpoint, format::kFormatId),
               std::string(1, static_cast<char>(codec::kRecordFormat)));
}

}  // namespace passledger::projections

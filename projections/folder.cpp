#include "projections/folder.h"

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>

#include "events/catalogue.h"
#include "projections/member_fields.h"
#include "projections/view_format.h"

namespace passledger::projections {
namespace {

namespace ev = passledger::events;
using boost::json::array;
using boost::json::object;
using boost::json::value;
using format::Key;
using format::View;

std::string_view Str(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

std::int64_t Int(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

bool Bool(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// Fields are removed with stable_erase, never erase (which moves the last field into the gap):
// the live views saw personal fields that a replay after forgetting never sees, and both must
// serialise the remaining fields in the same order, or verify and rebuild disagree.

// The folding context of one event.
class EventFolder {
 public:
  EventFolder(const FoldEvent& event, ViewCache& views) : e_(event), views_(views) {}

  Result<void> Run();

 private:
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
  Result<void> PassEmail(std::string_view status);
  Result<void> PassTokenRevoked();
  // Devices.
  Result<void> DeviceRegistered();
  Result<void> DeviceUnregistered();
  // Imports, templates, staff.
  Result<void> ImportStarted();
  Result<void> ImportRowRejected();
  Result<void> ImportFinished(std::string_view state);
  Result<void> TemplatePublished();
  Result<void> Staff();

  // Runs `change` on the member record and keeps counters, row hash and search index in step.
  Result<void> UpdateMember(std::string_view id, const std::function<void(object&)>& change);
  Result<void> UpdatePass(std::string_view serial, const std::function<void(object&)>& change);
  void MoveContent(object& pass);
  Result<void> Count(std::string_view counter, std::int64_t delta);

  std::uint64_t position() const { return e_.envelope.position; }
  const FoldEvent& e_;
  ViewCache& views_;
};

// Counter classes of a member record: each true flag counts once.
struct MemberClass {
  bool member = false, active = false, left = false, forgotten = false;
  static MemberClass Of(const object* m) {
    if (!m || !m->contains("enrolledPosition")) return {};
    return {true, Bool(*m, "active"), Bool(*m, "leftRoster"), Bool(*m, "forgotten")};
  }
};

Result<void> EventFolder::Count(std::string_view counter, std::int64_t delta) {
  if (delta == 0) return {};
  auto counts = views_.Upsert(Key(View::kCounts, format::kCountsId));
  if (!counts) return counts.error();
  (**counts)[counter] = Int(**counts, counter) + delta;
  return {};
}

Result<void> EventFolder::UpdateMember(std::string_view id,
                                       const std::function<void(object&)>& change) {
  auto found = views_.Find(Key(View::kMembers, id));
  if (!found) return found.error();
  const MemberClass before = MemberClass::Of(*found);
  std::vector<std::string> old_terms;
  if (*found) {
    if (const auto* p = (*found)->if_contains("personal"); p && p->is_object()) {
      old_terms = SearchTerms(p->as_object());
    }
  }
  auto record = views_.Upsert(Key(View::kMembers, id));
  if (!record) return record.error();
  object& m = **record;
  if (!m.contains("membershipId")) {
    m["membershipId"] = id;
    m["serials"] = array();
  }
  change(m);
  m["updatedPosition"] = position();
  const auto* personal = m.if_contains("personal");
  const object* personal_object =
      personal && personal->is_object() ? &personal->as_object() : nullptr;
  const std::vector<std::string> new_terms =
      personal_object ? SearchTerms(*personal_object) : std::vector<std::string>();
  for (const auto& term : old_terms) {
    if (!std::binary_search(new_terms.begin(), new_terms.end(), term)) {
      views_.Erase(Key(View::kMemberSearch, term, id));
    }
  }
  for (const auto& term : new_terms) {
    if (!std::binary_search(old_terms.begin(), old_terms.end(), term)) {
      views_.PutRaw(Key(View::kMemberSearch, term, id), "");
    }
  }
  const MemberClass after = MemberClass::Of(&m);
  if (auto ok = Count("members", after.member - before.member); !ok) return ok;
  if (auto ok = Count("membersActive", after.active - before.active); !ok) return ok;
  if (auto ok = Count("membersLeft", after.left - before.left); !ok) return ok;
  return Count("membersForgotten", after.forgotten - before.forgotten);
}

Result<void> EventFolder::MemberEnrolled() {
  const object& p = e_.payload;
  return UpdateMember(Str(p, "membershipId"), [&](object& m) {
    for (auto field : kPublicMemberFields) {
      if (const auto* v = p.if_contains(field)) {
        m[field] = *v;
      } else {
        m.stable_erase(field);
      }
    }
    if (!m.contains("addOns")) m["addOns"] = array();
    m["leftRoster"] = false;
    if (!m.contains("enrolledPosition")) m["enrolledPosition"] = position();
    if (e_.personal && !Bool(m, "forgotten")) {
      m["personal"] = *e_.personal;
    }
  });
}

Result<void> EventFolder::MemberChanged() {
  const object& p = e_.payload;
  return UpdateMember(Str(p, "membershipId"), [&](object& m) {
    auto apply = [](object& target, const object& changes) {
      for (const auto& [field, change] : changes) {
        const auto* next = change.as_object().if_contains("new");
        if (!next || next->is_null()) {
          target.stable_erase(field);
        } else {
          target[field] = *next;
        }
      }
    };
    apply(m, p.at("changes").as_object());
    const auto* personal_changes = e_.personal ? e_.personal->if_contains("changes") : nullptr;
    auto* personal = m.if_contains("personal");
    if (personal_changes && !Bool(m, "forgotten")) {
      if (!personal || !personal->is_object()) personal = &(m["personal"] = object());
      apply(personal->as_object(), personal_changes->as_object());
    }
  });
}

Result<void> EventFolder::MemberStatus(bool active, bool reinstated) {
  return UpdateMember(Str(e_.payload, "membershipId"), [&](object& m) {
    m["status"] = Str(e_.payload, "status");
    m["active"] = active;
    // A status read from a roster puts the member back on it; MemberLeftRoster takes it off.
    if (reinstated || e_.payload.contains("importId")) m["leftRoster"] = false;
  });
}

Result<void> EventFolder::MemberLeftRoster() {
  return UpdateMember(Str(e_.payload, "membershipId"), [&](object& m) {
    m["leftRoster"] = true;
    m["leftPolicy"] = Str(e_.payload, "policy");
  });
}

Result<void> EventFolder::SubjectForgotten() {
  const std::string_view subject = Str(e_.payload, "subject");
  if (subject.starts_with("staff:")) {
    auto staff = views_.Find(Key(View::kStaff, subject.substr(6)));
    if (!staff) return staff.error();
    if (*staff) {
      (*staff)->stable_erase("passwordHash");
      (**staff)["forgotten"] = true;
    }
    return {};
  }
  return ForgetMember(subject);
}

Result<void> EventFolder::ForgetMember(std::string_view membership_id) {
  std::vector<std::string> serials;
  auto ok = UpdateMember(membership_id, [&](object& m) {
    m.stable_erase("personal");
    m["forgotten"] = true;
    for (const auto& s : m["serials"].as_array()) serials.emplace_back(s.as_string());
  });
  if (!ok) return ok;
  for (const auto& serial : serials) {
    auto pass = views_.Find(Key(View::kPasses, serial));
    if (!pass) return pass.error();
    if (*pass) {
      (*pass)->stable_erase("cardholder");
      (**pass)["forgotten"] = true;
    }
  }
  return {};
}

// A content change: new content position, a fresh change-index entry, and a last-modified
// second that is strictly later than the previous one (HTTP dates have one-second resolution).
void EventFolder::MoveContent(object& pass) {
  const std::string_view pass_type = Str(pass, "passTypeId");
  if (pass.contains("contentPosition")) {
    views_.Erase(
        format::ChangeKey(pass_type, static_cast<std::uint64_t>(Int(pass, "contentPosition"))));
  }
  pass["contentPosition"] = position();
  views_.PutRaw(format::ChangeKey(pass_type, position()), std::string(Str(pass, "serial")));
  const std::int64_t recorded_s = e_.envelope.recorded_at_us / 1'000'000;
  const std::int64_t previous = pass.contains("lastModifiedS") ? Int(pass, "lastModifiedS") : -1;
  pass["lastModifiedS"] = std::max(recorded_s, previous + 1);
}

Result<void> EventFolder::UpdatePass(std::string_view serial,
                                     const std::function<void(object&)>& change) {
  auto found = views_.Find(Key(View::kPasses, serial));
  if (!found) return found.error();
  if (!*found) return {};  // events for a pass never issued change nothing
  const bool was_voided = Bool(**found, "voided");
  change(**found);
  return Count("passesVoided", Bool(**found, "voided") - was_voided);
}

Result<void> EventFolder::PassIssued() {
  const object& p = e_.payload;
  const std::string_view serial = Str(p, "serial");
  const std::string_view member = Str(p, "membershipId");
  auto existing = views_.Find(Key(View::kPasses, serial));
  if (!existing) return existing.error();
  const bool is_new = *existing == nullptr;
  const bool was_voided = !is_new && Bool(**existing, "voided");
  auto record = views_.Upsert(Key(View::kPasses, serial));
  if (!record) return record.error();
  object& pass = **record;
  pass["serial"] = serial;
  pass["passTypeId"] = Str(p, "passTypeId");
  pass["membershipId"] = member;
  pass["cardholderIndex"] = Int(p, "cardholderIndex");
  // A pass issued again keeps a generation that was revoked past (a revoked token stays dead).
  pass["tokenGeneration"] = std::max(Int(pass, "tokenGeneration"), Int(p, "tokenGeneration"));
  pass["voided"] = false;
  pass["issuedPosition"] = position();
  if (!pass.contains("email")) pass["email"] = object{{"status", "none"}};
  if (e_.personal) {
    pass["cardholder"] = Str(*e_.personal, "cardholder");
  } else {
    pass.stable_erase("cardholder");
  }
  MoveContent(pass);
  if (auto ok = Count("passes", is_new ? 1 : 0); !ok) return ok;
  if (auto ok = Count("passesVoided", -static_cast<int>(was_voided)); !ok) return ok;
  return UpdateMember(member, [&](object& m) {
    auto& serials = m["serials"].as_array();
    if (std::find(serials.begin(), serials.end(), value(serial)) == serials.end()) {
      serials.push_back(value(serial));
    }
    if (Bool(m, "forgotten")) {
      pass.stable_erase("cardholder");
      pass["forgotten"] = true;
    }
  });
}

Result<void> EventFolder::PassContentChanged(std::optional<bool> voided) {
  return UpdatePass(Str(e_.payload, "serial"), [&](object& pass) {
    if (voided) {
      pass["voided"] = *voided;
      if (*voided) {
        pass["voidReason"] = Str(e_.payload, "reason");
      } else {
        pass.stable_erase("voidReason");
      }
    }
    if (e_.personal && e_.personal->contains("cardholder") && !Bool(pass, "forgotten")) {
      pass["cardholder"] = Str(*e_.personal, "cardholder");
    }
    MoveContent(pass);
  });
}

Result<void> EventFolder::PassEmail(std::string_view status) {
  return UpdatePass(Str(e_.payload, "serial"), [&](object& pass) {
    object email{{"status", status}, {"position", position()}};
    if (const auto* error = e_.payload.if_contains("error")) email["error"] = *error;
    if (const auto* id = e_.payload.if_contains("messageId")) email["messageId"] = *id;
    if (const auto* attempt = e_.payload.if_contains("attempt")) email["attempt"] = *attempt;
    pass["email"] = std::move(email);
  });
}

// The new token changes the pass (its pass.json carries it): a content change. Generations
// only grow.
Result<void> EventFolder::PassTokenRevoked() {
  return UpdatePass(Str(e_.payload, "serial"), [&](object& pass) {
    pass["tokenGeneration"] =
        std::max(Int(pass, "tokenGeneration"), Int(e_.payload, "tokenGeneration"));
    MoveContent(pass);
  });
}

Result<void> EventFolder::DeviceRegistered() {
  const object& p = e_.payload;
  const std::string_view device = Str(p, "deviceId");
  auto existing = views_.Find(Key(View::kDevices, device));
  if (!existing) return existing.error();
  const bool new_device = *existing == nullptr;
  auto record = views_.Upsert(Key(View::kDevices, device));
  if (!record) return record.error();
  (**record)["deviceId"] = device;
  (**record)["pushToken"] = Str(p, "pushToken");
  (**record)["updatedPosition"] = position();
  const std::string registration =
      Key(View::kRegistrations, device, Str(p, "passTypeId"), Str(p, "serial"));
  auto was = views_.GetRaw(registration);
  if (!was) return was.error();
  views_.PutRaw(registration, "");
  views_.PutRaw(Key(View::kPassDevices, Str(p, "serial"), device),
                std::string(Str(p, "passTypeId")));
  if (auto ok = Count("devices", new_device ? 1 : 0); !ok) return ok;
  return Count("registrations", was->has_value() ? 0 : 1);
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
  return Count("registrations", -1);
}

Result<void> EventFolder::ImportStarted() {
  const object& p = e_.payload;
  auto record = views_.Upsert(Key(View::kImports, Str(p, "importId")));
  if (!record) return record.error();
  object& job = **record;
  const bool is_new = !job.contains("importId");
  job = p;
  job["state"] = "running";
  job["actor"] = e_.envelope.actor;
  job["startedAtUs"] = e_.envelope.recorded_at_us;
  job["startedPosition"] = position();
  job["rejected"] = 0;
  job["rejections"] = array();
  return Count("imports", is_new ? 1 : 0);
}

Result<void> EventFolder::ImportRowRejected() {
  constexpr std::size_t kKeptRejections = 200;
  auto record = views_.Find(Key(View::kImports, Str(e_.payload, "importId")));
  if (!record) return record.error();
  if (!*record) return {};
  object& job = **record;
  job["rejected"] = Int(job, "rejected") + 1;
  auto& kept = job["rejections"].as_array();
  if (kept.size() < kKeptRejections) {
    object rejection = e_.payload;
    rejection.erase("importId");
    kept.push_back(std::move(rejection));
  }
  return {};
}

Result<void> EventFolder::ImportFinished(std::string_view state) {
  auto record = views_.Find(Key(View::kImports, Str(e_.payload, "importId")));
  if (!record) return record.error();
  if (!*record) return {};
  object& job = **record;
  job["state"] = state;
  job["finishedAtUs"] = e_.envelope.recorded_at_us;
  job["finishedPosition"] = position();
  if (const auto* counts = e_.payload.if_contains("counts")) job["counts"] = *counts;
  if (const auto* reason = e_.payload.if_contains("reason")) job["reason"] = *reason;
  return {};
}

Result<void> EventFolder::TemplatePublished() {
  const object& p = e_.payload;
  auto record = views_.Upsert(Key(View::kTemplates, Str(p, "passTypeId")));
  if (!record) return record.error();
  **record = p;
  (**record)["position"] = position();
  return {};
}

Result<void> EventFolder::Staff() {
  const object& p = e_.payload;
  const std::string_view type = e_.envelope.type;
  auto record = views_.Upsert(Key(View::kStaff, Str(p, "username")));
  if (!record) return record.error();
  object& staff = **record;
  const bool is_new = !staff.contains("username");
  staff["username"] = Str(p, "username");
  if (type == ev::kStaffCreated) {
    staff["role"] = Str(p, "role");
    staff["disabled"] = false;
    staff["failures"] = 0;
    staff["createdPosition"] = position();
  } else if (type == ev::kStaffRoleChanged) {
    staff["role"] = Str(p, "role");
  } else if (type == ev::kStaffDisabled) {
    staff["disabled"] = true;
  } else if (type == ev::kStaffLoginFailed) {
    staff["failures"] = Int(p, "failures");
    staff["lockedUntilUs"] = Int(p, "lockedUntilUs");
  }
  if (e_.personal && e_.personal->contains("passwordHash") && !Bool(staff, "forgotten")) {
    staff["passwordHash"] = Str(*e_.personal, "passwordHash");
    if (type == ev::kStaffPasswordChanged) staff["failures"] = 0;
  }
  return Count("staff", is_new ? 1 : 0);
}

Result<void> EventFolder::Run() {
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
  if (type == ev::kPassEmailRequested) return PassEmail("requested");
  if (type == ev::kPassEmailSent) return PassEmail("sent");
  if (type == ev::kPassEmailFailed) {
    return PassEmail(Bool(e_.payload, "willRetry") ? "retrying" : "failed");
  }
  if (type == ev::kPassTokenRevoked) return PassTokenRevoked();
  if (type == ev::kDeviceRegistered) return DeviceRegistered();
  if (type == ev::kDeviceUnregistered) return DeviceUnregistered();
  if (type == ev::kImportStarted) return ImportStarted();
  if (type == ev::kImportRowRejected) return ImportRowRejected();
  if (type == ev::kImportCompleted) return ImportFinished("completed");
  if (type == ev::kImportFailed) return ImportFinished("failed");
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

void FinalizeRecord(std::string_view key, object& record) {
  if (key.empty() || key[0] != static_cast<char>(View::kMembers)) return;
  const auto* personal = record.if_contains("personal");
  std::string hash =
      MemberRowHash(record, personal && personal->is_object() ? &personal->as_object() : nullptr);
  // Always the last field, however the record's writes were batched.
  record.stable_erase("rowHash");
  record["rowHash"] = hash;
}

void WriteCheckpoint(ViewCache& views, std::uint64_t position) {
  views.PutRaw(Key(View::kCheckpoint, format::kCheckpointId), passledger::U64BE(position));
}

}  // namespace passledger::projections

#include "handlers/import/roster_diff.h"

#include <algorithm>

#include "events/catalogue.h"
#include "projections/member_fields.h"

namespace passledger::handlers {
namespace {

namespace ev = passledger::events;
using boost::json::array;
using boost::json::object;
using boost::json::value;

// Fields a pass template can show (signer/pass_json.h's context, docs/TEMPLATES.md): a change
// to one of them revises the passes. The address is not offered to templates.
constexpr std::string_view kPassContentFields[] = {
    "level", "expires", "addOns", "status", "name", "firstName", "lastName", "email", "cardholders"};

std::string MemberStream(std::string_view id) { return "member-" + std::string(id); }
std::string PassStream(std::string_view serial) { return "pass-" + std::string(serial); }

const value* Field(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

bool SameField(const object& a, const object& b, std::string_view key) {
  const value* x = Field(a, key);
  const value* y = Field(b, key);
  if (!x || !y) return x == y;
  return *x == *y;
}

// {field: {old, new}} for every listed field that differs; nulls for absent sides.
void AddChanges(const object& before, const object& after, std::span<const std::string_view> keys,
                object& changes, std::vector<std::string>& names) {
  for (std::string_view key : keys) {
    if (SameField(before, after, key)) continue;
    const value* old_value = Field(before, key);
    const value* new_value = Field(after, key);
    changes[key] = object{{"old", old_value ? *old_value : value(nullptr)},
                          {"new", new_value ? *new_value : value(nullptr)}};
    names.emplace_back(key);
  }
}

bool IsImporterVoid(std::string_view reason) {
  return reason == kVoidLapsed || reason == kVoidLeftRoster || reason == kVoidCardholderRemoved;
}

}  // namespace

std::uint64_t MembershipPlan::events() const {
  std::uint64_t n = 0;
  for (const auto& r : requests) n += r.events.size();
  return n;
}

// Collects one membership's events, one request per stream, in order.
class RosterDiff::Builder {
 public:
  Builder(const RosterDiff& diff, std::string_view membership_id)
      : diff_(diff), id_(membership_id) {}

  void Member(std::string_view type, object payload, std::optional<object> personal = {}) {
    payload["importId"] = diff_.import_id_;
    Add(MemberStream(id_),
        ev::NewEvent{std::string(type), 0, std::move(payload),
                     personal ? std::string(id_) : std::string(), std::move(personal)});
  }

  void Pass(std::string_view serial, std::string_view type, object payload,
            std::optional<object> personal = {}) {
    payload["serial"] = serial;
    Add(PassStream(serial), ev::NewEvent{std::string(type), 0, std::move(payload), std::string(id_),
                                         std::move(personal)});
  }

  void Issue(std::string_view serial, std::int64_t index, const std::string& cardholder) {
    Pass(serial, ev::kPassIssued,
         object{{"passTypeId", diff_.config_.pass_type_id},
                {"membershipId", id_},
                {"cardholderIndex", index},
                {"tokenGeneration", 1}},
         object{{"cardholder", cardholder}});
    ++plan_.passes_issued;
  }

  void Void(std::string_view serial, std::string_view reason) {
    Pass(serial, ev::kPassVoided, object{{"reason", reason}});
    ++plan_.passes_voided;
  }

  void Unvoid(std::string_view serial, std::string_view reason) {
    Pass(serial, ev::kPassUnvoided, object{{"reason", reason}});
    ++plan_.passes_unvoided;
  }

  void Revise(std::string_view serial, std::string_view reason) {
    Pass(serial, ev::kPassRevised, object{{"reason", reason}});
    ++plan_.passes_revised;
  }

  MembershipPlan Finish(Outcome outcome, std::string preview) {
    plan_.outcome = outcome;
    plan_.preview = plan_.requests.empty() ? std::string() : std::move(preview);
    return std::move(plan_);
  }

 private:
  void Add(std::string stream, ev::NewEvent event) {
    auto it = std::find_if(plan_.requests.begin(), plan_.requests.end(),
                           [&](const ev::AppendRequest& r) { return r.stream == stream; });
    if (it == plan_.requests.end()) {
      ev::AppendRequest request;
      request.stream = std::move(stream);
      request.actor = diff_.actor_;
      request.correlation_id = "import-" + diff_.import_id_;
      plan_.requests.push_back(std::move(request));
      it = plan_.requests.end() - 1;
    }
    it->events.push_back(std::move(event));
  }

  const RosterDiff& diff_;
  std::string id_;
  MembershipPlan plan_;
};

RosterDiff::RosterDiff(const ImportConfig& config, std::string import_id, std::string actor,
                       SerialFn new_serial)
    : config_(config),
      import_id_(std::move(import_id)),
      actor_(std::move(actor)),
      new_serial_(std::move(new_serial)) {}

projections::MemberView RosterDiff::AsView(const Membership& m) {
  projections::MemberView v;
  v.membership_id = m.id;
  v.level = m.level;
  v.status = m.status;
  v.active = m.active;
  v.expires = m.expires;
  for (const auto& a : m.add_ons) v.add_ons.push_back({a.name, a.quantity});
  v.emailable = m.emailable;
  projections::MemberPersonal& p = v.personal.emplace();
  p.name = m.name;
  p.first_name = m.first_name;
  p.last_name = m.last_name;
  p.email = m.email;
  p.address = {m.address.line1, m.address.line2, m.address.city, m.address.state, m.address.zip};
  p.cardholders = m.cardholders;
  return v;
}

object RosterDiff::PublicFields(const projections::MemberView& m) {
  object o{{"level", m.level}, {"status", m.status}, {"active", m.active}};
  if (!m.expires.empty()) o["expires"] = m.expires;
  array add_ons;
  for (const auto& a : m.add_ons) {
    add_ons.push_back(object{{"name", a.name}, {"quantity", a.quantity}});
  }
  o["addOns"] = std::move(add_ons);
  o["emailable"] = m.emailable;
  return o;
}

object RosterDiff::PersonalFields(const projections::MemberPersonal& p) {
  object o;
  auto put = [](object& target, std::string_view key, const std::string& text) {
    if (!text.empty()) target[key] = text;
  };
  put(o, "name", p.name);
  put(o, "firstName", p.first_name);
  put(o, "lastName", p.last_name);
  put(o, "email", p.email);
  object address;
  put(address, "line1", p.address.line1);
  put(address, "line2", p.address.line2);
  put(address, "city", p.address.city);
  put(address, "state", p.address.state);
  put(address, "zip", p.address.zip);
  if (!address.empty()) o["address"] = std::move(address);
  array cardholders;
  for (const auto& c : p.cardholders) cardholders.emplace_back(c);
  o["cardholders"] = std::move(cardholders);
  return o;
}

object RosterDiff::PublicFields(const Membership& m) { return PublicFields(AsView(m)); }

object RosterDiff::PersonalFields(const Membership& m) { return PersonalFields(*AsView(m).personal); }

std::string RosterDiff::RowHash(const Membership& m) {
  return projections::MemberRowHash(AsView(m));
}

MembershipPlan RosterDiff::ForNew(const Membership& m) const {
  Builder b(*this, m.id);
  const projections::MemberView incoming_view = AsView(m);
  object payload = PublicFields(incoming_view);
  payload["membershipId"] = m.id;
  b.Member(ev::kMemberEnrolled, std::move(payload), PersonalFields(*incoming_view.personal));
  std::int64_t index = 0;
  for (const auto& cardholder : m.cardholders) {
    const std::string serial = new_serial_();
    b.Issue(serial, index++, cardholder);
    if (!m.active && config_.void_on_lapse) b.Void(serial, kVoidLapsed);
  }
  return b.Finish(Outcome::kEnrolled, m.id + ": enrol, " + std::to_string(m.cardholders.size()) +
                                          " pass(es)" + (m.active ? "" : ", voided (not active)"));
}

MembershipPlan RosterDiff::ForExisting(const Membership& m, const ExistingMember& existing) const {
  const projections::MemberView& stored = existing.record;
  if (stored.forgotten) return Builder(*this, m.id).Finish(Outcome::kForgotten, "");
  Builder b(*this, m.id);
  // Both sides in the form events carry them, so that equal fields compare equal.
  const object record = PublicFields(stored);
  const projections::MemberView incoming_view = AsView(m);  // once: both parts come from it
  const object incoming = PublicFields(incoming_view);
  const object incoming_personal = PersonalFields(*incoming_view.personal);
  const object old_personal = stored.personal ? PersonalFields(*stored.personal) : object();

  // Field changes. Status moves by itself when only its wording changed; active ↔ inactive
  // is a lapse or a reinstatement.
  const bool was_active = stored.active;
  const bool was_left = stored.left_roster;
  object changes, personal_changes;
  std::vector<std::string> changed;
  constexpr std::string_view kPublic[] = {"level", "expires", "addOns", "emailable"};
  AddChanges(record, incoming, kPublic, changes, changed);
  if (was_active == m.active && !SameField(record, incoming, "status")) {
    AddChanges(record, incoming, std::array<std::string_view, 1>{"status"}, changes, changed);
  }
  constexpr std::string_view kPersonal[] = {"name",  "firstName", "lastName",
                                            "email", "address",   "cardholders"};
  AddChanges(old_personal, incoming_personal, kPersonal, personal_changes, changed);
  if (!changes.empty() || !personal_changes.empty()) {
    std::optional<object> sealed;
    if (!personal_changes.empty()) sealed = object{{"changes", std::move(personal_changes)}};
    b.Member(ev::kMemberChanged, object{{"membershipId", m.id}, {"changes", std::move(changes)}},
             std::move(sealed));
  }
  Outcome outcome = changed.empty() ? Outcome::kUnchanged : Outcome::kChanged;
  object status{{"membershipId", m.id}, {"status", m.status}};
  if (!stored.status.empty()) status["previousStatus"] = stored.status;
  if (m.active && (!was_active || was_left)) {
    b.Member(ev::kMemberReinstated, std::move(status));
    outcome = Outcome::kReinstated;
  } else if (!m.active && (was_active || was_left)) {
    b.Member(ev::kMemberLapsed, std::move(status));
    outcome = Outcome::kLapsed;
  }

  // Passes: one per distinct cardholder name.
  const bool content_changed = std::any_of(
      std::begin(kPassContentFields), std::end(kPassContentFields), [&](std::string_view f) {
        return std::find(changed.begin(), changed.end(), f) != changed.end();
      });
  const bool void_all = !m.active && config_.void_on_lapse;
  std::int64_t next_index = 0;
  for (const auto& p : existing.passes) next_index = std::max(next_index, p.cardholder_index + 1);
  std::vector<bool> matched(existing.passes.size(), false);
  for (const auto& cardholder : m.cardholders) {
    std::size_t found = existing.passes.size();
    for (std::size_t i = 0; i < existing.passes.size(); ++i) {
      if (matched[i] || existing.passes[i].cardholder != cardholder) continue;
      if (found == existing.passes.size() || existing.passes[found].voided) found = i;
    }
    if (found == existing.passes.size()) {
      const std::string serial = new_serial_();
      b.Issue(serial, next_index++, cardholder);
      if (void_all) b.Void(serial, kVoidLapsed);
      continue;
    }
    matched[found] = true;
    const ExistingPass& pass = existing.passes[found];
    if (pass.voided) {
      // Only the importer's own voids are undone; a pass voided by staff stays voided.
      if (!void_all && IsImporterVoid(pass.void_reason))
        b.Unvoid(pass.serial, "back on the roster");
    } else if (void_all) {
      b.Void(pass.serial, kVoidLapsed);
    } else if (content_changed) {
      b.Revise(pass.serial, "roster change");
    }
  }
  for (std::size_t i = 0; i < existing.passes.size(); ++i) {
    if (!matched[i] && !existing.passes[i].voided && !existing.passes[i].cardholder.empty()) {
      b.Void(existing.passes[i].serial, kVoidCardholderRemoved);
    }
  }
  std::string preview = m.id + ":";
  if (outcome == Outcome::kLapsed) preview += " lapsed;";
  if (outcome == Outcome::kReinstated) preview += " reinstated;";
  if (!changed.empty()) {
    preview += " changed";
    for (const auto& f : changed) preview += " " + f;
    preview += ";";
  }
  auto plan = b.Finish(outcome, std::move(preview));
  plan.preview += " passes +" + std::to_string(plan.passes_issued) + " revised " +
                  std::to_string(plan.passes_revised) + " voided " +
                  std::to_string(plan.passes_voided) + " unvoided " +
                  std::to_string(plan.passes_unvoided);
  if (plan.outcome == Outcome::kUnchanged && !plan.requests.empty())
    plan.outcome = Outcome::kChanged;
  return plan;
}

MembershipPlan RosterDiff::ForDeparted(std::string_view membership_id,
                                       const ExistingMember& existing) const {
  if (existing.record.forgotten || existing.record.left_roster) {
    return Builder(*this, membership_id).Finish(Outcome::kUnchanged, "");
  }
  Builder b(*this, membership_id);
  const bool void_passes = config_.left_policy == LeftPolicy::kVoid;
  b.Member(ev::kMemberLeftRoster,
           object{{"membershipId", membership_id}, {"policy", void_passes ? "void" : "keep"}});
  if (void_passes) {
    for (const auto& pass : existing.passes) {
      if (!pass.voided) b.Void(pass.serial, kVoidLeftRoster);
    }
  }
  return b.Finish(Outcome::kLeft, std::string(membership_id) + ": left the roster" +
                                      (void_passes ? ", passes voided" : ", passes kept"));
}

}  // namespace passledger::handlers

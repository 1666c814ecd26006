// RosterDiff without an event log: what a new, an existing and a departed membership become —
// the events in order with their streams and payloads, the plan's counters and outcome, every
// event valid for the catalogue, and a preview without personal data. Each table row is what
// the views hold, what the roster says and the events that must follow.
#include "handlers/import/roster_diff.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "events/catalogue.h"
#include "projections/member_fields.h"
#include "tests/testing/event_log_helpers.h"

namespace passledger::handlers {
namespace {

namespace ev = passledger::events;
using boost::json::array;
using boost::json::object;
using passledger::testing::Succeeded;

constexpr std::string_view kImportId = "0123456789abcdef-1";
constexpr std::string_view kActor = "system:import/0123456789abcdef-1";

// A family membership of two cardholders, one add-on, every personal field set.
Membership Quill() {
  Membership m;
  m.id = "8-10000001";
  m.level = "Family";
  m.status = "Active";
  m.active = true;
  m.expires = "2027-12-31";
  m.name = "Avery Quill";
  m.first_name = "Avery";
  m.last_name = "Quill";
  m.email = "avery.quill@example.org";
  m.emailable = true;
  m.address = {"12 Fernleaf Row", "Flat 2", "Pittsburgh", "PA", "15210"};
  m.cardholders = {"Avery Quill", "Jordan Quill"};
  m.add_ons = {{"Parking", 1}};
  m.first_line = 2;
  return m;
}

Membership With(Membership m, const std::function<void(Membership&)>& change) {
  change(m);
  return m;
}

void Lapse(Membership& m) {
  m.status = "Lapsed";
  m.active = false;
}

ExistingPass Pass(std::string serial, std::int64_t index, std::string cardholder,
                  std::string void_reason = "") {
  return {std::move(serial), index, std::move(cardholder), !void_reason.empty(),
          std::move(void_reason)};
}

// Quill()'s passes as the views hold them, valid.
std::vector<ExistingPass> QuillPasses() {
  return {Pass("S0", 0, "Avery Quill"), Pass("S1", 1, "Jordan Quill")};
}

// Quill()'s passes, both voided for `reason`.
std::vector<ExistingPass> QuillPassesVoided(const std::string& reason) {
  return {Pass("S0", 0, "Avery Quill", reason), Pass("S1", 1, "Jordan Quill", reason)};
}

// Where the member stands beyond its roster fields.
struct Standing {
  bool left_roster = false;
  std::string left_policy = {};  // "keep" or "void" once it left
  bool forgotten = false;
};

// The members view's record of `m` (projections/views.h), written out here field by field
// rather than through RosterDiff::AsView. Every ExistingMember of this file is built here.
ExistingMember Existing(const Membership& m, std::vector<ExistingPass> passes,
                        const Standing& standing = {}) {
  projections::MemberView record;
  record.membership_id = m.id;
  record.level = m.level;
  record.status = m.status;
  record.active = m.active;
  record.expires = m.expires;
  for (const AddOn& a : m.add_ons) record.add_ons.push_back({a.name, a.quantity});
  record.emailable = m.emailable;
  if (standing.forgotten) {
    record.forgotten = true;  // and no personal fields
  } else {
    projections::MemberPersonal& personal = record.personal.emplace();
    personal.name = m.name;
    personal.first_name = m.first_name;
    personal.last_name = m.last_name;
    personal.email = m.email;
    personal.address = {m.address.line1, m.address.line2, m.address.city, m.address.state,
                        m.address.zip};
    personal.cardholders = m.cardholders;
  }
  record.left_roster = standing.left_roster;
  record.left_policy = standing.left_policy;
  for (const ExistingPass& p : passes) record.serials.push_back(p.serial);
  record.enrolled_position = 3;
  record.updated_position = 9;
  record.row_hash = projections::MemberRowHash(record);
  return {std::move(record), std::move(passes)};
}

// Beside Existing(), the only code that reads the record itself: its stored row hash, and the
// hash of its fields computed as the folder does (projections/member_fields.h).
struct RowHashes {
  std::string stored, of_fields;
};
RowHashes RowHashesOf(const ExistingMember& existing) {
  return {existing.record.row_hash, projections::MemberRowHash(existing.record)};
}

// A RosterDiff with its config and a serial generator ("N1", "N2", …) that outlive it.
class Differ {
 public:
  explicit Differ(ImportConfig config = {})
      : config_(std::move(config)),
        diff_(config_, std::string(kImportId), std::string(kActor),
              [this] { return "N" + std::to_string(++serials_); }) {}
  Differ(const Differ&) = delete;
  Differ& operator=(const Differ&) = delete;
  const RosterDiff* operator->() const { return &diff_; }

 private:
  ImportConfig config_;
  int serials_ = 0;
  RosterDiff diff_;
};

ImportConfig Config(bool void_on_lapse, LeftPolicy left_policy = LeftPolicy::kKeep) {
  ImportConfig config;
  config.void_on_lapse = void_on_lapse;
  config.left_policy = left_policy;
  return config;
}

std::string_view Name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kUnchanged:
      return "unchanged";
    case Outcome::kEnrolled:
      return "enrolled";
    case Outcome::kChanged:
      return "changed";
    case Outcome::kLapsed:
      return "lapsed";
    case Outcome::kReinstated:
      return "reinstated";
    case Outcome::kLeft:
      return "left";
    case Outcome::kForgotten:
      return "forgotten";
  }
  return "?";
}

std::string_view Str(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

std::string Keys(const object& o) {
  std::string out;
  for (const auto& [key, value] : o) out += (out.empty() ? "" : ",") + std::string(key);
  return out;
}

// "pass-N1 PassIssued #0 Avery Quill", "member-8-1 MemberChanged [level] sealed [email,…]",
// "member-8-1 MemberLapsed Active->Lapsed", "pass-S0 PassVoided lapsed".
std::string Show(const ev::AppendRequest& request, const ev::NewEvent& e) {
  std::string out = request.stream + " " + e.type;
  const object& p = e.payload;
  if (e.type == ev::kPassIssued) {
    out += " #" + std::to_string(p.at("cardholderIndex").as_int64()) + " " +
           std::string(e.personal ? Str(*e.personal, "cardholder") : "");
  } else if (e.type == ev::kPassVoided || e.type == ev::kPassUnvoided ||
             e.type == ev::kPassRevised) {
    out += " " + std::string(Str(p, "reason"));
  } else if (e.type == ev::kMemberChanged) {
    out += " [" + Keys(p.at("changes").as_object()) + "]";
    if (e.personal) out += " sealed [" + Keys(e.personal->at("changes").as_object()) + "]";
  } else if (e.type == ev::kMemberLapsed || e.type == ev::kMemberReinstated) {
    out += " " + std::string(Str(p, "previousStatus")) + "->" + std::string(Str(p, "status"));
  } else if (e.type == ev::kMemberLeftRoster) {
    out += " " + std::string(Str(p, "policy"));
  }
  return out;
}

std::vector<std::string> Show(const MembershipPlan& plan) {
  std::vector<std::string> out;
  for (const auto& request : plan.requests) {
    for (const auto& e : request.events) out.push_back(Show(request, e));
  }
  return out;
}

struct PassCounts {
  std::uint64_t issued = 0, revised = 0, voided = 0, unvoided = 0;
};

std::string Show(const PassCounts& c) {
  return "issued " + std::to_string(c.issued) + ", revised " + std::to_string(c.revised) +
         ", voided " + std::to_string(c.voided) + ", unvoided " + std::to_string(c.unvoided);
}

PassCounts CountsOf(const MembershipPlan& plan) {
  return {plan.passes_issued, plan.passes_revised, plan.passes_voided, plan.passes_unvoided};
}

// The personal values of `members` found in `text`.
std::vector<std::string> PersonalValuesIn(std::string_view text,
                                          const std::vector<const Membership*>& members) {
  std::vector<std::string> found;
  for (const Membership* m : members) {
    std::vector<std::string> values = {m->name,         m->first_name,    m->last_name,
                                       m->email,        m->address.line1, m->address.line2,
                                       m->address.city, m->address.state, m->address.zip};
    values.insert(values.end(), m->cardholders.begin(), m->cardholders.end());
    for (const std::string& v : values) {
      if (!v.empty() && text.find(v) != std::string_view::npos) found.push_back(v);
    }
  }
  return found;
}

// What holds for every plan: one request per stream, the member's first, the import's actor
// and correlation id, the catalogue's shapes, personal data only in sealed parts under the
// membership's subject, counters that match the events, and no personal data in the preview.
void CheckPlan(const MembershipPlan& plan, std::string_view id,
               const std::vector<const Membership*>& members) {
  const std::string member_stream = "member-" + std::string(id);
  PassCounts counted;
  std::uint64_t events = 0;
  std::vector<std::string> streams;
  for (std::size_t r = 0; r < plan.requests.size(); ++r) {
    const ev::AppendRequest& request = plan.requests[r];
    BOOST_TEST_CONTEXT("request " << r << " to " << request.stream) {
      BOOST_TEST((std::find(streams.begin(), streams.end(), request.stream) == streams.end()));
      streams.push_back(request.stream);
      BOOST_TEST((request.stream.starts_with("pass-") || request.stream == member_stream));
      if (request.stream == member_stream) BOOST_TEST(r == 0u);
      BOOST_TEST(request.actor == kActor);
      BOOST_TEST(request.correlation_id == "import-" + std::string(kImportId));
      BOOST_TEST(!request.events.empty());
      for (const ev::NewEvent& e : request.events) {
        BOOST_TEST_CONTEXT(e.type) {
          ++events;
          const ev::EventSpec* spec = ev::FindEventSpec(e.type);
          BOOST_TEST_REQUIRE(spec != nullptr);
          BOOST_TEST(e.schema_version == 0u);  // the current one
          BOOST_TEST(
              Succeeded(ev::ValidateCatalogued(request.stream, e.type, spec->version, e.payload,
                                               e.personal ? &*e.personal : nullptr, e.subject)));
          if (e.personal) BOOST_TEST(e.subject == id);
          BOOST_TEST(PersonalValuesIn(boost::json::serialize(e.payload), members).empty(),
                     "personal data in the public payload: " << boost::json::serialize(e.payload));
          if (request.stream == member_stream) {
            BOOST_TEST(Str(e.payload, "importId") == kImportId);
            BOOST_TEST(Str(e.payload, "membershipId") == id);
          } else {
            BOOST_TEST("pass-" + std::string(Str(e.payload, "serial")) == request.stream);
            BOOST_TEST(e.subject == id);  // a pass's events belong to its member
          }
          counted.issued += e.type == ev::kPassIssued;
          counted.revised += e.type == ev::kPassRevised;
          counted.voided += e.type == ev::kPassVoided;
          counted.unvoided += e.type == ev::kPassUnvoided;
        }
      }
    }
  }
  BOOST_TEST(Show(CountsOf(plan)) == Show(counted));
  BOOST_TEST(plan.events() == events);
  BOOST_TEST(PersonalValuesIn(plan.preview, members).empty(),
             "personal data in the preview: " << plan.preview);
  if (!plan.requests.empty()) BOOST_TEST(plan.preview.starts_with(std::string(id) + ":"));
}

BOOST_AUTO_TEST_SUITE(roster_diff)

BOOST_AUTO_TEST_CASE(the_personal_data_check_sees_personal_data) {
  // The check CheckPlan runs on every preview and public payload, shown to find what it must.
  const Membership m = Quill();
  const Membership other = With(Quill(), [](Membership& x) { x.email = "new@example.org"; });
  BOOST_TEST(PersonalValuesIn("8-10000001: changed email; passes +0", {&m, &other}).empty());
  BOOST_TEST(PersonalValuesIn("8-10000001: enrol Avery Quill", {&m}) ==
                 (std::vector<std::string>{"Avery Quill", "Avery", "Quill", "Avery Quill"}),
             boost::test_tools::per_element());
  BOOST_TEST(PersonalValuesIn("was new@example.org", {&m, &other}) ==
                 (std::vector<std::string>{"new@example.org"}),
             boost::test_tools::per_element());
  BOOST_TEST(PersonalValuesIn("{\"zip\":\"15210\"}", {&m}) == (std::vector<std::string>{"15210"}),
             boost::test_tools::per_element());
  // And on a real preview with the name put in.
  Differ diff;
  const MembershipPlan plan = diff->ForNew(m);
  BOOST_TEST_REQUIRE(!plan.preview.empty());
  BOOST_TEST(PersonalValuesIn(plan.preview, {&m}).empty());
  BOOST_TEST(!PersonalValuesIn(plan.preview + " " + m.name, {&m}).empty());
}

BOOST_AUTO_TEST_CASE(the_test_record_hashes_to_its_row_hash) {
  // The record Existing() writes holds the fields the folder hashes: hashing them as the
  // folder does (projections/member_fields.h) gives RosterDiff::RowHash of the membership.
  for (const Membership& m : {Quill(), With(Quill(), [](Membership& x) {
                                x.expires.clear();
                                x.address = {};
                                x.first_name.clear();
                                x.add_ons.clear();
                              })}) {
    const RowHashes hashes = RowHashesOf(Existing(m, {}));
    BOOST_TEST(hashes.of_fields == RosterDiff::RowHash(m));
    BOOST_TEST(hashes.stored == RosterDiff::RowHash(m));
  }
  // Any roster field the view holds moves the hash; the line it was read from does not.
  const std::string base = RosterDiff::RowHash(Quill());
  const std::vector<std::function<void(Membership&)>> changes = {
      [](Membership& m) { m.level = "Patron"; },
      [](Membership& m) { m.status = "ACTIVE"; },
      [](Membership& m) { m.active = false; },
      [](Membership& m) { m.expires = "2028-12-31"; },
      [](Membership& m) { m.name = "Avery Q. Quill"; },
      [](Membership& m) { m.first_name = "Ave"; },
      [](Membership& m) { m.last_name = "Quil"; },
      [](Membership& m) { m.email = "new@example.org"; },
      [](Membership& m) { m.emailable = false; },
      [](Membership& m) { m.address.zip = "01520"; },
      [](Membership& m) { m.address.line2.clear(); },
      [](Membership& m) { m.cardholders.pop_back(); },
      [](Membership& m) { m.add_ons[0].quantity = 2; },
      [](Membership& m) { m.add_ons.clear(); },
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    BOOST_TEST_CONTEXT("change " << i) {
      BOOST_TEST(RosterDiff::RowHash(With(Quill(), changes[i])) != base);
    }
  }
  BOOST_TEST(RosterDiff::RowHash(With(Quill(), [](Membership& m) { m.first_line = 99; })) == base);
}

struct NewCase {
  std::string name;
  Membership m;
  std::vector<std::string> events;
  PassCounts counts;
  bool void_on_lapse = true;
};

BOOST_AUTO_TEST_CASE(for_new_enrols_and_issues_a_pass_per_cardholder) {
  const std::vector<NewCase> cases = {
      {
          .name = "active, two cardholders",
          .m = Quill(),
          .events = {"member-8-10000001 MemberEnrolled", "pass-N1 PassIssued #0 Avery Quill",
                     "pass-N2 PassIssued #1 Jordan Quill"},
          .counts = {.issued = 2},
      },
      {
          .name = "not active: each pass voided right after it is issued",
          .m = With(Quill(), Lapse),
          .events = {"member-8-10000001 MemberEnrolled", "pass-N1 PassIssued #0 Avery Quill",
                     "pass-N1 PassVoided lapsed", "pass-N2 PassIssued #1 Jordan Quill",
                     "pass-N2 PassVoided lapsed"},
          .counts = {.issued = 2, .voided = 2},
      },
      {
          .name = "not active without void_on_lapse: issued, not voided",
          .m = With(Quill(), Lapse),
          .events = {"member-8-10000001 MemberEnrolled", "pass-N1 PassIssued #0 Avery Quill",
                     "pass-N2 PassIssued #1 Jordan Quill"},
          .counts = {.issued = 2},
          .void_on_lapse = false,
      },
      {
          .name = "an organisation, no e-mail, no expiry, one cardholder",
          .m = With(Quill(),
                    [](Membership& m) {
                      m.first_name.clear();
                      m.last_name = m.name = "Greenhouse Partners LLC";
                      m.email.clear();
                      m.emailable = false;
                      m.expires.clear();
                      m.cardholders = {"Greenhouse Partners LLC"};
                    }),
          .events = {"member-8-10000001 MemberEnrolled",
                     "pass-N1 PassIssued #0 Greenhouse Partners LLC"},
          .counts = {.issued = 1},
      },
  };
  for (const NewCase& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Differ diff(Config(c.void_on_lapse));
      const MembershipPlan plan = diff->ForNew(c.m);
      BOOST_TEST(Name(plan.outcome) == Name(Outcome::kEnrolled));
      BOOST_TEST(Show(plan) == c.events, boost::test_tools::per_element());
      BOOST_TEST(Show(CountsOf(plan)) == Show(c.counts));
      CheckPlan(plan, c.m.id, {&c.m});
    }
  }
}

BOOST_AUTO_TEST_CASE(for_new_payloads_hold_public_fields_and_seal_personal_ones) {
  Differ diff;
  const Membership m = Quill();
  const MembershipPlan plan = diff->ForNew(m);
  BOOST_TEST_REQUIRE(plan.requests.size() == 3u);
  const ev::NewEvent& enrolled = plan.requests[0].events.at(0);
  BOOST_TEST(boost::json::serialize(enrolled.payload) ==
             R"({"level":"Family","status":"Active","active":true,"expires":"2027-12-31",)"
             R"("addOns":[{"name":"Parking","quantity":1}],"emailable":true,)"
             R"("membershipId":"8-10000001","importId":"0123456789abcdef-1"})");
  BOOST_TEST(enrolled.subject == "8-10000001");
  BOOST_TEST_REQUIRE(enrolled.personal.has_value());
  BOOST_TEST(boost::json::serialize(*enrolled.personal) ==
             R"({"name":"Avery Quill","firstName":"Avery","lastName":"Quill",)"
             R"("email":"avery.quill@example.org","address":{"line1":"12 Fernleaf Row",)"
             R"("line2":"Flat 2","city":"Pittsburgh","state":"PA","zip":"15210"},)"
             R"("cardholders":["Avery Quill","Jordan Quill"]})");
  for (std::size_t i = 1; i <= 2; ++i) {
    const ev::AppendRequest& request = plan.requests[i];
    BOOST_TEST(request.stream == "pass-N" + std::to_string(i));
    BOOST_TEST_REQUIRE(request.events.size() == 1u);
    const ev::NewEvent& issued = request.events[0];
    BOOST_TEST(boost::json::serialize(issued.payload) ==
               R"({"passTypeId":"pass.org.example.member","membershipId":"8-10000001",)"
               R"("cardholderIndex":)" +
                   std::to_string(i - 1) + R"(,"tokenGeneration":1,"serial":"N)" +
                   std::to_string(i) + R"("})");
    BOOST_TEST_REQUIRE(issued.personal.has_value());
    BOOST_TEST(Str(*issued.personal, "cardholder") == m.cardholders[i - 1]);
  }
  // The configured pass type goes on every pass.
  ImportConfig config;
  config.pass_type_id = "pass.org.museum.card";
  Differ museum(config);
  const MembershipPlan other = museum->ForNew(m);
  BOOST_TEST(Str(other.requests.at(1).events.at(0).payload, "passTypeId") ==
             "pass.org.museum.card");
  // Empty values are not sent: no expiry, no address, no e-mail.
  const Membership bare = With(m, [](Membership& x) {
    x.expires.clear();
    x.email.clear();
    x.emailable = false;
    x.address = {};
  });
  const MembershipPlan bare_plan = diff->ForNew(bare);
  const ev::NewEvent& bare_enrolled = bare_plan.requests.at(0).events.at(0);
  BOOST_TEST(!bare_enrolled.payload.contains("expires"));
  BOOST_TEST(Keys(*bare_enrolled.personal) == "name,firstName,lastName,cardholders");
}

struct ExistingCase {
  std::string name;
  Membership before;  // what the views hold
  std::vector<ExistingPass> passes;
  Membership after;  // what the roster says
  Outcome outcome;
  std::vector<std::string> events;
  PassCounts counts;
  Standing standing = {};
  bool void_on_lapse = true;
};

std::vector<ExistingCase> ExistingCases() {
  const Membership quill = Quill();
  const Membership lapsed = With(quill, Lapse);
  const std::string member = "member-8-10000001 ";
  return {
      {
          .name = "the same row",
          .before = quill,
          .passes = QuillPasses(),
          .after = quill,
          .outcome = Outcome::kUnchanged,
          .events = {},
          .counts = {},
      },
      {
          .name = "a changed e-mail: sealed change, the passes show it",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill, [](Membership& m) { m.email = "new@example.org"; }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [email]",
                     "pass-S0 PassRevised roster change", "pass-S1 PassRevised roster change"},
          .counts = {.revised = 2},
      },
      {
          .name = "a malformed e-mail: not e-mailable any more",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill,
                        [](Membership& m) {
                          m.email = "avery.quill@example";
                          m.emailable = false;
                        }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [emailable] sealed [email]",
                     "pass-S0 PassRevised roster change", "pass-S1 PassRevised roster change"},
          .counts = {.revised = 2},
      },
      {
          .name = "level, expiry and add-ons",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill,
                        [](Membership& m) {
                          m.level = "Patron";
                          m.expires = "2028-12-31";
                          m.add_ons = {{"Guest Pass", 2}, {"Parking", 1}};
                        }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [level,expires,addOns]",
                     "pass-S0 PassRevised roster change", "pass-S1 PassRevised roster change"},
          .counts = {.revised = 2},
      },
      {
          .name = "only the address: no pass shows it",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill, [](Membership& m) { m.address.zip = "15213"; }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [address]"},
          .counts = {},
      },
      {
          .name = "another active wording: a status change, not a reinstatement",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill, [](Membership& m) { m.status = "ACTIVE"; }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [status]", "pass-S0 PassRevised roster change",
                     "pass-S1 PassRevised roster change"},
          .counts = {.revised = 2},
      },
      {
          .name = "lapsed: its valid passes voided",
          .before = quill,
          .passes = {Pass("S0", 0, "Avery Quill"), Pass("S1", 1, "Jordan Quill", "lost card")},
          .after = lapsed,
          .outcome = Outcome::kLapsed,
          .events = {member + "MemberLapsed Active->Lapsed", "pass-S0 PassVoided lapsed"},
          .counts = {.voided = 1},
      },
      {
          .name = "lapsed without void_on_lapse: passes kept",
          .before = quill,
          .passes = QuillPasses(),
          .after = lapsed,
          .outcome = Outcome::kLapsed,
          .events = {member + "MemberLapsed Active->Lapsed"},
          .counts = {},
          .void_on_lapse = false,
      },
      {
          .name = "lapsed and a field changed: the change, the lapse, voids instead of revisions",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(lapsed, [](Membership& m) { m.level = "Student"; }),
          .outcome = Outcome::kLapsed,
          .events = {member + "MemberChanged [level]", member + "MemberLapsed Active->Lapsed",
                     "pass-S0 PassVoided lapsed", "pass-S1 PassVoided lapsed"},
          .counts = {.voided = 2},
      },
      {
          .name = "still lapsed, the same row",
          .before = lapsed,
          .passes = QuillPassesVoided("lapsed"),
          .after = lapsed,
          .outcome = Outcome::kUnchanged,
          .events = {},
          .counts = {},
      },
      {
          .name = "reinstated: the importer's voids undone, a staff void kept",
          .before = lapsed,
          .passes = {Pass("S0", 0, "Avery Quill", "lapsed"),
                     Pass("S1", 1, "Jordan Quill", "lost card")},
          .after = quill,
          .outcome = Outcome::kReinstated,
          .events = {member + "MemberReinstated Lapsed->Active",
                     "pass-S0 PassUnvoided back on the roster"},
          .counts = {.unvoided = 1},
      },
      {
          .name = "a cardholder removed: its pass voided, the other revised",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill, [](Membership& m) { m.cardholders = {"Avery Quill"}; }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [cardholders]",
                     "pass-S0 PassRevised roster change", "pass-S1 PassVoided cardholder removed"},
          .counts = {.revised = 1, .voided = 1},
      },
      {
          .name = "a cardholder added: a new pass with the next index",
          .before = quill,
          .passes = QuillPasses(),
          .after = With(quill,
                        [](Membership& m) {
                          m.cardholders = {"Avery Quill", "Jordan Quill", "Sam Quill"};
                        }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [cardholders]",
                     "pass-S0 PassRevised roster change", "pass-S1 PassRevised roster change",
                     "pass-N1 PassIssued #2 Sam Quill"},
          .counts = {.issued = 1, .revised = 2},
      },
      {
          .name = "a removed cardholder back: the same pass unvoided",
          .before = With(quill, [](Membership& m) { m.cardholders = {"Avery Quill"}; }),
          .passes = {Pass("S0", 0, "Avery Quill"),
                     Pass("S1", 1, "Jordan Quill", "cardholder removed")},
          .after = quill,
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [cardholders]",
                     "pass-S0 PassRevised roster change",
                     "pass-S1 PassUnvoided back on the roster"},
          .counts = {.revised = 1, .unvoided = 1},
      },
      {
          .name = "a cardholder added to a lapsed membership: issued and voided",
          .before = lapsed,
          .passes = QuillPassesVoided("lapsed"),
          .after = With(lapsed,
                        [](Membership& m) {
                          m.cardholders = {"Avery Quill", "Jordan Quill", "Sam Quill"};
                        }),
          .outcome = Outcome::kChanged,
          .events = {member + "MemberChanged [] sealed [cardholders]",
                     "pass-N1 PassIssued #2 Sam Quill", "pass-N1 PassVoided lapsed"},
          .counts = {.issued = 1, .voided = 1},
      },
      {
          .name = "back on the roster, active, after leaving under the void policy",
          .before = quill,
          .passes = QuillPassesVoided("left roster"),
          .after = quill,
          .outcome = Outcome::kReinstated,
          .events = {member + "MemberReinstated Active->Active",
                     "pass-S0 PassUnvoided back on the roster",
                     "pass-S1 PassUnvoided back on the roster"},
          .counts = {.unvoided = 2},
          .standing = {.left_roster = true, .left_policy = "void"},
      },
      {
          .name = "back on the roster, lapsed, after leaving under the keep policy",
          .before = quill,
          .passes = QuillPasses(),
          .after = lapsed,
          .outcome = Outcome::kLapsed,
          .events = {member + "MemberLapsed Active->Lapsed", "pass-S0 PassVoided lapsed",
                     "pass-S1 PassVoided lapsed"},
          .counts = {.voided = 2},
          .standing = {.left_roster = true, .left_policy = "keep"},
      },
      {
          .name = "forgotten: nothing, whatever the roster says",
          .before = quill,
          .passes = {Pass("S0", 0, ""), Pass("S1", 1, "")},
          .after = With(lapsed, [](Membership& m) { m.cardholders = {"Sam Quill"}; }),
          .outcome = Outcome::kForgotten,
          .events = {},
          .counts = {},
          .standing = {.forgotten = true},
      },
  };
}

BOOST_AUTO_TEST_CASE(for_existing_writes_only_what_changed) {
  for (const ExistingCase& c : ExistingCases()) {
    BOOST_TEST_CONTEXT(c.name) {
      Differ diff(Config(c.void_on_lapse));
      const MembershipPlan plan =
          diff->ForExisting(c.after, Existing(c.before, c.passes, c.standing));
      BOOST_TEST(Name(plan.outcome) == Name(c.outcome));
      BOOST_TEST(Show(plan) == c.events, boost::test_tools::per_element());
      BOOST_TEST(Show(CountsOf(plan)) == Show(c.counts));
      if (c.events.empty()) BOOST_TEST(plan.requests.empty());
      CheckPlan(plan, c.after.id, {&c.before, &c.after});
    }
  }
}

BOOST_AUTO_TEST_CASE(for_existing_payloads_carry_old_and_new_values) {
  Differ diff;
  const Membership before = Quill();
  const Membership after = With(before, [](Membership& m) {
    m.email = "new@example.org";
    m.level = "Patron";
  });
  const MembershipPlan plan = diff->ForExisting(after, Existing(before, QuillPasses()));
  BOOST_TEST_REQUIRE(!plan.requests.empty());
  const ev::NewEvent& changed = plan.requests[0].events.at(0);
  BOOST_TEST(changed.type == ev::kMemberChanged);
  BOOST_TEST(boost::json::serialize(changed.payload) ==
             R"({"membershipId":"8-10000001","changes":{"level":{"old":"Family","new":"Patron"}},)"
             R"("importId":"0123456789abcdef-1"})");
  BOOST_TEST(changed.subject == "8-10000001");
  BOOST_TEST_REQUIRE(changed.personal.has_value());
  BOOST_TEST(boost::json::serialize(*changed.personal) ==
             R"({"changes":{"email":{"old":"avery.quill@example.org","new":"new@example.org"}}})");

  // A field the views have and the roster no longer has: its new value is null.
  const MembershipPlan cleared =
      diff->ForExisting(With(before, [](Membership& m) { m.address.line2.clear(); }),
                        Existing(before, QuillPasses()));
  const ev::NewEvent& cleared_event = cleared.requests.at(0).events.at(0);
  BOOST_TEST_REQUIRE(cleared_event.personal.has_value());
  BOOST_TEST(boost::json::serialize(cleared_event.personal->at("changes").at("address")) ==
             R"({"old":{"line1":"12 Fernleaf Row","line2":"Flat 2","city":"Pittsburgh",)"
             R"("state":"PA","zip":"15210"},"new":{"line1":"12 Fernleaf Row",)"
             R"("city":"Pittsburgh","state":"PA","zip":"15210"}})");
  const MembershipPlan no_expiry = diff->ForExisting(
      With(before, [](Membership& m) { m.expires.clear(); }), Existing(before, QuillPasses()));
  BOOST_TEST(boost::json::serialize(no_expiry.requests.at(0).events.at(0).payload.at("changes")) ==
             R"({"expires":{"old":"2027-12-31","new":null}})");

  // A lapse names the status it replaces.
  const MembershipPlan lapse =
      diff->ForExisting(With(before, Lapse), Existing(before, QuillPasses()));
  BOOST_TEST_REQUIRE(!lapse.requests.empty());
  BOOST_TEST_REQUIRE(lapse.requests[0].events.size() == 1u);
  BOOST_TEST(boost::json::serialize(lapse.requests[0].events[0].payload) ==
             R"({"membershipId":"8-10000001","status":"Lapsed","previousStatus":"Active",)"
             R"("importId":"0123456789abcdef-1"})");
}

struct DepartedCase {
  std::string name;
  Membership before;
  std::vector<ExistingPass> passes;
  LeftPolicy policy;
  Outcome outcome;
  std::vector<std::string> events;
  PassCounts counts;
  Standing standing = {};
};

BOOST_AUTO_TEST_CASE(for_departed_follows_the_left_policy) {
  const Membership quill = Quill();
  const std::vector<ExistingPass> one_voided = {Pass("S0", 0, "Avery Quill"),
                                                Pass("S1", 1, "Jordan Quill", "lost card")};
  const std::vector<DepartedCase> cases = {
      {
          .name = "keep: the passes stay valid",
          .before = quill,
          .passes = one_voided,
          .policy = LeftPolicy::kKeep,
          .outcome = Outcome::kLeft,
          .events = {"member-8-10000001 MemberLeftRoster keep"},
          .counts = {},
      },
      {
          .name = "void: the valid passes voided",
          .before = quill,
          .passes = one_voided,
          .policy = LeftPolicy::kVoid,
          .outcome = Outcome::kLeft,
          .events = {"member-8-10000001 MemberLeftRoster void", "pass-S0 PassVoided left roster"},
          .counts = {.voided = 1},
      },
      {
          .name = "void, a lapsed member: its passes are already voided",
          .before = With(quill, Lapse),
          .passes = QuillPassesVoided("lapsed"),
          .policy = LeftPolicy::kVoid,
          .outcome = Outcome::kLeft,
          .events = {"member-8-10000001 MemberLeftRoster void"},
          .counts = {},
      },
      {
          .name = "already off the roster: nothing",
          .before = quill,
          .passes = QuillPassesVoided("left roster"),
          .policy = LeftPolicy::kVoid,
          .outcome = Outcome::kUnchanged,
          .events = {},
          .counts = {},
          .standing = {.left_roster = true, .left_policy = "void"},
      },
      {
          .name = "forgotten: nothing",
          .before = quill,
          .passes = {Pass("S0", 0, ""), Pass("S1", 1, "")},
          .policy = LeftPolicy::kVoid,
          .outcome = Outcome::kUnchanged,
          .events = {},
          .counts = {},
          .standing = {.forgotten = true},
      },
  };
  for (const DepartedCase& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Differ diff(Config(true, c.policy));
      const MembershipPlan plan =
          diff->ForDeparted(c.before.id, Existing(c.before, c.passes, c.standing));
      BOOST_TEST(Name(plan.outcome) == Name(c.outcome));
      BOOST_TEST(Show(plan) == c.events, boost::test_tools::per_element());
      BOOST_TEST(Show(CountsOf(plan)) == Show(c.counts));
      if (c.events.empty()) BOOST_TEST(plan.requests.empty());
      CheckPlan(plan, c.before.id, {&c.before});
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

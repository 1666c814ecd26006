// Folder: how each event changes the views, observed through the ReadModel after a scripted
// story (enrol, issue, change, lapse, void, e-mail, leave, reinstate), and the content
// position / last-modified rules that Apple's "passesUpdatedSince" and If-Modified-Since
// depend on. This file also defines the test module.
#define BOOST_TEST_MODULE projections
#include "projections/folder.h"

#include <stdlib.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/bytes.h"
#include "events/storage_format.h"
#include "projections/read_model.h"
#include "projections/view_codec.h"
#include "projections/view_format.h"
#include "projections/view_json.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::Change;
using passledger::testing::Json;
using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
namespace catalogued = passledger::testing::catalogued;

// A master key in the developer's environment would change what every case opens.
struct NoMasterKeyInEnvironment {
  NoMasterKeyInEnvironment() { ::unsetenv(std::string(events::format::kMasterKeyEnv).c_str()); }
};
BOOST_TEST_GLOBAL_FIXTURE(NoMasterKeyInEnvironment);

constexpr std::string_view kMemberPass = "pass.org.garden.member";
constexpr std::string_view kFamilyPass = "pass.org.garden.family";

std::int64_t NowSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t Int(const boost::json::object& o, std::string_view key) {
  const auto& v = o.at(key);
  return v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
}

std::uint64_t U64(const boost::json::object& o, std::string_view key) {
  return static_cast<std::uint64_t>(Int(o, key));
}

std::string Str(const boost::json::object& o, std::string_view key) {
  return std::string(o.at(key).as_string());
}

// The records in their JSON form (projections/view_json.h), field names as documented.
boost::json::object MemberOf(const ProjectedLog& p, std::string_view id) {
  auto member = p.read().Member(id);
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST_REQUIRE(member->has_value(), "no member " << id);
  return ToJson(**member);
}

boost::json::object PassOf(const ProjectedLog& p, std::string_view serial) {
  auto pass = p.read().Pass(serial);
  BOOST_TEST_REQUIRE(Succeeded(pass));
  BOOST_TEST_REQUIRE(pass->has_value(), "no pass " << serial);
  return ToJson(**pass);
}

boost::json::object CountsOf(const ProjectedLog& p) {
  auto counts = p.read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  return ToJson(*counts);
}

// Membership ids a search returns (one page of up to 500).
std::vector<std::string> Search(const ProjectedLog& p, std::string search,
                                MemberFilter filter = MemberFilter::kAll) {
  auto page = p.read().Members(passledger::testing::Query(std::move(search), filter, 500));
  BOOST_TEST_REQUIRE(Succeeded(page));
  std::vector<std::string> ids;
  for (const auto& m : page->members) ids.push_back(m.membership_id);
  return ids;
}

std::int64_t RecordedSeconds(const ProjectedLog& p, std::uint64_t position) {
  auto events = p.log().ReadRange(position, 1);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST_REQUIRE(events->size() == 1u);
  return events->front().envelope.recorded_at_us / 1'000'000;
}

void RequireViewsMatchReplay(const ProjectedLog& p) {
  auto report = p.projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  for (const auto& d : report->differences) {
    BOOST_TEST_MESSAGE(d.view << " " << d.key << ": live " << d.live << " / replay " << d.replay);
  }
  BOOST_TEST(report->ok());
}

const Personal kAda{.name = "Ada Lovelace",
                    .first_name = "Ada",
                    .last_name = "Lovelace",
                    .email = "ada@example.com",
                    .cardholders = {"Ada Lovelace", "William King"}};

BOOST_AUTO_TEST_SUITE(folder)

BOOST_AUTO_TEST_CASE(ViewsFollowAMembersStory) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  const std::int64_t start_s = NowSeconds();

  // Enrolled with two cardholders: one pass each, in one atomic append like the importer's.
  auto appended = p->log().AppendAtomic(
      {catalogued::Enrol("1001", "Family", true, kAda,
                         boost::json::array{boost::json::object{{"name", "Parking"}}},
                         "2027-06-30"),
       catalogued::IssuePass("S-A", "1001", kMemberPass, "Ada Lovelace", 0),
       catalogued::IssuePass("S-B", "1001", kMemberPass, "William King", 1)});
  BOOST_TEST_REQUIRE(Succeeded(appended));
  const std::uint64_t enrolled_at = (*appended)[0].last_position;
  const std::uint64_t issued_a = (*appended)[1].last_position;
  const std::uint64_t issued_b = (*appended)[2].last_position;
  p->Enrol("1002", "Individual", false, std::nullopt);  // lapsed from the start, no personal

  auto member = MemberOf(*p, "1001");
  BOOST_TEST(Str(member, "membershipId") == "1001");
  BOOST_TEST(Str(member, "level") == "Family");
  BOOST_TEST(Str(member, "status") == "Active");
  BOOST_TEST(member.at("active").as_bool());
  BOOST_TEST(Str(member, "expires") == "2027-06-30");
  BOOST_TEST(Json(member.at("addOns")) == R"([{"name":"Parking","quantity":0}])");
  BOOST_TEST(Json(member.at("personal")) == Json(kAda.ToJson()));
  BOOST_TEST(Json(member.at("serials")) == R"(["S-A","S-B"])");
  BOOST_TEST(U64(member, "enrolledPosition") == enrolled_at);
  BOOST_TEST(Str(member, "rowHash").size() == 64u);
  BOOST_TEST(!member.at("leftRoster").as_bool());
  BOOST_TEST(!member.at("forgotten").as_bool());
  const std::string first_row_hash = Str(member, "rowHash");

  for (const auto& [serial, holder, position] :
       {std::tuple{"S-A", "Ada Lovelace", issued_a}, {"S-B", "William King", issued_b}}) {
    BOOST_TEST_CONTEXT("pass " << serial) {
      auto pass = PassOf(*p, serial);
      BOOST_TEST(Str(pass, "serial") == serial);
      BOOST_TEST(Str(pass, "membershipId") == "1001");
      BOOST_TEST(Str(pass, "passTypeId") == kMemberPass);
      BOOST_TEST(Str(pass, "cardholder") == holder);
      BOOST_TEST(!pass.at("voided").as_bool());
      BOOST_TEST(U64(pass, "contentPosition") == position);
      BOOST_TEST(U64(pass, "issuedPosition") == position);
      BOOST_TEST(Int(pass, "lastModifiedS") >= start_s);
      BOOST_TEST(Int(pass, "lastModifiedS") >= RecordedSeconds(*p, position));
      BOOST_TEST(Str(pass.at("email").as_object(), "status") == "none");
    }
  }
  BOOST_TEST(Int(PassOf(*p, "S-B"), "cardholderIndex") == 1);
  auto of_member = p->read().PassesOfMember("1001");
  BOOST_TEST_REQUIRE(Succeeded(of_member));
  BOOST_TEST(of_member->size() == 2u);

  auto counts = CountsOf(*p);
  BOOST_TEST(Int(counts, "members") == 2);
  BOOST_TEST(Int(counts, "membersActive") == 1);
  BOOST_TEST(Int(counts, "passes") == 2);
  BOOST_TEST(Int(counts, "passesVoided") == 0);
  BOOST_TEST(Int(counts, "membersLeft") == 0);

  // A public and a personal change in one event: the record and the search index follow.
  BOOST_TEST(Search(*p, "ada@example.com") == std::vector<std::string>{"1001"});
  const std::uint64_t changed_at =
      p->ChangeMember("1001", {{"level", Change("Family", "Patron")}},
                      {{"email", Change("ada@example.com", "ada@lovelace.org")}});
  member = MemberOf(*p, "1001");
  BOOST_TEST(Str(member, "level") == "Patron");
  BOOST_TEST(Str(member.at("personal").as_object(), "email") == "ada@lovelace.org");
  BOOST_TEST(Str(member.at("personal").as_object(), "name") == "Ada Lovelace");
  BOOST_TEST(U64(member, "updatedPosition") == changed_at);
  BOOST_TEST(Str(member, "rowHash") != first_row_hash);
  BOOST_TEST(Search(*p, "ada@lovelace.org") == std::vector<std::string>{"1001"});
  BOOST_TEST(Search(*p, "ADA@LOVELACE") == std::vector<std::string>{"1001"});
  BOOST_TEST(Search(*p, "ada@example.com").empty());
  BOOST_TEST(Search(*p, "lovelace") == std::vector<std::string>{"1001"});
  // A member change is not a content change of its passes (the importer appends PassRevised).
  BOOST_TEST(U64(PassOf(*p, "S-A"), "contentPosition") == issued_a);

  // A field whose new value is null is removed.
  p->ChangeMember("1001", {{"expires", Change("2027-06-30", nullptr)}});
  BOOST_TEST(!MemberOf(*p, "1001").contains("expires"));

  // Lapse.
  p->Lapse("1001");
  member = MemberOf(*p, "1001");
  BOOST_TEST(!member.at("active").as_bool());
  BOOST_TEST(Str(member, "status") == "Lapsed");
  BOOST_TEST(Int(CountsOf(*p), "membersActive") == 0);
  BOOST_TEST(Int(CountsOf(*p), "members") == 2);
  BOOST_TEST(Search(*p, "1001", MemberFilter::kLapsed) == std::vector<std::string>{"1001"});
  BOOST_TEST(Search(*p, "1001", MemberFilter::kActive).empty());

  // Void: a content change.
  const auto before_void = PassOf(*p, "S-A");
  const std::uint64_t voided_at = p->Void("S-A");
  auto pass = PassOf(*p, "S-A");
  BOOST_TEST(pass.at("voided").as_bool());
  BOOST_TEST(U64(pass, "contentPosition") == voided_at);
  BOOST_TEST(Int(pass, "lastModifiedS") > Int(before_void, "lastModifiedS"));
  BOOST_TEST(Int(CountsOf(*p), "passesVoided") == 1);
  p->Void("S-A");  // voiding twice counts once
  BOOST_TEST(Int(CountsOf(*p), "passesVoided") == 1);

  // E-mail events change the e-mail status, never the content.
  const auto before_email = PassOf(*p, "S-B");
  struct EmailStep {
    std::function<std::uint64_t()> append;
    std::string status;
  };
  const std::vector<EmailStep> email_steps = {
      {[&] { return p->EmailRequested("S-B", "1001", "ada@lovelace.org"); }, "requested"},
      {[&] { return p->EmailFailed("S-B", true); }, "retrying"},
      {[&] { return p->EmailFailed("S-B", false); }, "failed"},
      {[&] { return p->EmailSent("S-B"); }, "sent"},
  };
  for (const auto& step : email_steps) {
    const std::uint64_t at = step.append();
    BOOST_TEST_CONTEXT("e-mail status " << step.status) {
      pass = PassOf(*p, "S-B");
      const auto& email = pass.at("email").as_object();
      BOOST_TEST(Str(email, "status") == step.status);
      BOOST_TEST(U64(email, "position") == at);
      BOOST_TEST(U64(pass, "contentPosition") == U64(before_email, "contentPosition"));
      BOOST_TEST(Int(pass, "lastModifiedS") == Int(before_email, "lastModifiedS"));
    }
  }
  BOOST_TEST(Str(pass.at("email").as_object(), "messageId") == "<msg-S-B>");
  BOOST_TEST(!pass.at("email").as_object().contains("error"));

  // Left the roster, then reinstated.
  p->LeftRoster("1001");
  member = MemberOf(*p, "1001");
  BOOST_TEST(member.at("leftRoster").as_bool());
  BOOST_TEST(Str(member, "leftPolicy") == "keep");
  BOOST_TEST(Int(CountsOf(*p), "membersLeft") == 1);
  BOOST_TEST(Search(*p, "100", MemberFilter::kLeftRoster) == std::vector<std::string>{"1001"});
  p->Reinstate("1001");
  member = MemberOf(*p, "1001");
  BOOST_TEST(member.at("active").as_bool());
  BOOST_TEST(Str(member, "status") == "Active");
  BOOST_TEST(!member.at("leftRoster").as_bool());
  counts = CountsOf(*p);
  BOOST_TEST(Int(counts, "membersLeft") == 0);
  BOOST_TEST(Int(counts, "membersActive") == 1);
  BOOST_TEST(Search(*p, "100", MemberFilter::kActive) == std::vector<std::string>{"1001"});

  const std::uint64_t unvoided_at = p->Unvoid("S-A");
  pass = PassOf(*p, "S-A");
  BOOST_TEST(!pass.at("voided").as_bool());
  BOOST_TEST(U64(pass, "contentPosition") == unvoided_at);
  BOOST_TEST(Int(CountsOf(*p), "passesVoided") == 0);

  // A revision may rename the cardholder.
  p->Append(catalogued::Revise("S-B", "renamed", 0, "1001", "Lord King"));
  BOOST_TEST(Str(PassOf(*p, "S-B"), "cardholder") == "Lord King");

  auto checkpoint = p->read().Checkpoint();
  BOOST_TEST_REQUIRE(Succeeded(checkpoint));
  BOOST_TEST(*checkpoint == p->log().GetHead().position);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(EventsForUnknownEntitiesChangeNothingButTheCheckpoint) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Individual", true, kAda);
  const auto before = passledger::testing::ViewEntries(p->projections());
  p->Void("NEVER-ISSUED");
  p->EmailSent("NEVER-ISSUED");
  p->Unregister("device-x", kMemberPass, "NEVER-REGISTERED");
  p->Append(catalogued::ImportRowRejected("no-such-import", 3, "Status", "bad"));
  p->Append(catalogued::PushBatchCompleted(3, 0));
  p->Append(catalogued::DeviceLogReceived("hello"));
  p->Append(passledger::testing::TickRequest("misc-1"));
  auto after = passledger::testing::ViewEntries(p->projections());
  const std::string checkpoint_key = format::Key(format::View::kCheckpoint, format::kCheckpointId);
  BOOST_TEST(after.at(checkpoint_key) == passledger::U64BE(p->log().GetHead().position));
  // Every event counts in the activity buckets (and may move their window in the counts):
  // the events are there, and the pushes the batch reported.
  auto activity = p->read().Activity(0, std::numeric_limits<std::int64_t>::max());
  BOOST_TEST_REQUIRE(Succeeded(activity));
  std::int64_t events = 0, pushes = 0;
  for (const auto& bucket : *activity) events += bucket.events, pushes += bucket.pushes_sent;
  BOOST_TEST(events == static_cast<std::int64_t>(p->log().GetHead().position));
  BOOST_TEST(pushes == 3);
  auto without_activity = [&](std::map<std::string, std::string> entries) {
    entries.erase(checkpoint_key);
    std::erase_if(entries, [](const auto& e) { return e.first[0] == 'H'; });
    const std::string counts_key = format::Key(format::View::kCounts, format::kCountsId);
    auto counts = codec::DecodeCounts(entries.at(counts_key));
    BOOST_TEST_REQUIRE(Succeeded(counts));
    counts->activity_newest_s = 0;
    entries[counts_key] = codec::Encoded(*counts);
    return entries;
  };
  BOOST_TEST((without_activity(after) == without_activity(before)));
}

BOOST_AUTO_TEST_CASE(ReissueRevivesAVoidedPass) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Individual", true, kAda);
  p->IssuePass("S1", "1", kMemberPass, "Ada Lovelace");
  p->EmailSent("S1");
  p->Void("S1");
  BOOST_TEST(Int(CountsOf(*p), "passesVoided") == 1);
  const std::uint64_t reissued =
      p->Append(catalogued::IssuePass("S1", "1", kMemberPass, "Ada King", 0, 2));
  const auto pass = PassOf(*p, "S1");
  BOOST_TEST(!pass.at("voided").as_bool());
  BOOST_TEST(Int(pass, "tokenGeneration") == 2);
  BOOST_TEST(Str(pass, "cardholder") == "Ada King");
  BOOST_TEST(U64(pass, "contentPosition") == reissued);
  BOOST_TEST(U64(pass, "issuedPosition") == reissued);
  BOOST_TEST(Str(pass.at("email").as_object(), "status") == "sent");  // kept
  const auto counts = CountsOf(*p);
  BOOST_TEST(Int(counts, "passes") == 1);
  BOOST_TEST(Int(counts, "passesVoided") == 0);
  BOOST_TEST(Json(MemberOf(*p, "1").at("serials")) == R"(["S1"])");
  auto changed = p->read().PassesChangedSince(kMemberPass, 0, 10);
  BOOST_TEST_REQUIRE(Succeeded(changed));
  BOOST_TEST(changed->size() == 1u);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(FailedAtomicAppendLeavesTheViewsAlone) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Individual", true, kAda);
  const auto before = passledger::testing::ViewEntries(p->projections());
  auto conflict = catalogued::Lapse("1");
  conflict.expected = events::ExpectedVersion::Exactly(7);
  auto failed = p->log().AppendAtomic(
      {catalogued::Enrol("2", "Dual", true, kAda),
       catalogued::IssuePass("S2", "2", kMemberPass, "Ada Lovelace"), std::move(conflict)});
  BOOST_TEST(passledger::testing::FailedWith(failed, ErrorCode::kConflict));
  BOOST_TEST((passledger::testing::ViewEntries(p->projections()) == before));
  auto member = p->read().Member("2");
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST(!member->has_value());
  p->Enrol("3", "Individual", true, std::nullopt);  // the writer goes on
  BOOST_TEST(Int(CountsOf(*p), "members") == 2);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(ImportsStaffAndTemplatesAreFolded) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  const std::uint64_t started = p->ImportStarted("imp-1");
  p->ImportRowRejected("imp-1", 7);
  p->ImportRowRejected("imp-1", 9);
  const std::uint64_t finished = p->ImportCompleted("imp-1", {{"rows", 120}, {"rejected", 2}});
  auto job = p->read().Import("imp-1");
  BOOST_TEST_REQUIRE(Succeeded(job));
  BOOST_TEST_REQUIRE(job->has_value());
  BOOST_TEST(((**job).state == ImportState::kCompleted));
  BOOST_TEST((**job).file_name == "imp-1.csv");
  BOOST_TEST((**job).rejected == 2);
  BOOST_TEST_REQUIRE((**job).rejections.size() == 2u);
  BOOST_TEST((**job).rejections[1].line == 9);
  BOOST_TEST((**job).started_position == started);
  BOOST_TEST((**job).finished_position == finished);
  const auto counted =
      std::vector<std::pair<std::string, std::int64_t>>{{"rows", 120}, {"rejected", 2}};
  BOOST_TEST(((**job).counts == counted));
  const auto job_json = ToJson(**job);
  BOOST_TEST(Str(job_json, "state") == "completed");
  BOOST_TEST(Int(job_json.at("counts").as_object(), "rows") == 120);
  p->Append(catalogued::ImportStarted("imp-2", "bad.csv", "11"));
  p->Append(catalogued::ImportFailed("imp-2", "not CSV"));
  job = p->read().Import("imp-2");
  BOOST_TEST_REQUIRE(Succeeded(job));
  BOOST_TEST(((**job).state == ImportState::kFailed));
  BOOST_TEST((**job).reason == "not CSV");

  p->StaffCreated("alice", "staff");
  p->Append(catalogued::StaffRoleChanged("alice", "admin", "staff"));
  p->Append(catalogued::StaffLoginFailed("alice", 3, 1'900'000'000'000'000));
  auto staff = p->read().Staff("alice");
  BOOST_TEST_REQUIRE(Succeeded(staff));
  BOOST_TEST((**staff).role == "admin");
  BOOST_TEST((**staff).failures == 3);
  BOOST_TEST((**staff).password_hash == "$argon2id$v=19$stub");
  // The JSON form never carries the hash, only that there is one.
  BOOST_TEST(!ToJson(**staff).contains("passwordHash"));
  BOOST_TEST(ToJson(**staff).at("hasPassword").as_bool());
  p->Append(catalogued::StaffPasswordChanged("alice", "$argon2id$new"));
  p->Append(catalogued::StaffDisabled("alice"));
  staff = p->read().Staff("alice");
  BOOST_TEST((**staff).failures == 0);
  BOOST_TEST((**staff).password_hash == "$argon2id$new");
  BOOST_TEST((**staff).disabled);

  const std::uint64_t published = p->TemplatePublished(kFamilyPass, 3);
  auto found = p->read().Template(kFamilyPass);
  BOOST_TEST_REQUIRE(Succeeded(found));
  BOOST_TEST((**found).version == 3);
  BOOST_TEST((**found).position == published);

  auto counts = CountsOf(*p);
  BOOST_TEST(Int(counts, "imports") == 2);
  BOOST_TEST(Int(counts, "staff") == 1);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(content_position)

BOOST_AUTO_TEST_CASE(ContentChangesInOneSecondGetDistinctLastModified) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Individual", true, kAda);
  p->IssuePass("S1", "1", kMemberPass, "Ada Lovelace");
  std::int64_t previous = Int(PassOf(*p, "S1"), "lastModifiedS");
  // Five content changes within a few milliseconds: each must be a later HTTP date, or a
  // device that saw the earlier one would get 304 for the later content.
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t at = i % 2 == 0 ? p->Revise("S1") : p->Void("S1");
    const auto pass = PassOf(*p, "S1");
    BOOST_TEST(U64(pass, "contentPosition") == at);
    BOOST_TEST(Int(pass, "lastModifiedS") >= previous + 1);
    BOOST_TEST(Int(pass, "lastModifiedS") >= RecordedSeconds(*p, at));
    previous = Int(pass, "lastModifiedS");
  }
  // Two content changes of one pass in one atomic append, too.
  auto appended =
      p->log().AppendAtomic({catalogued::Revise("S1", "one"), catalogued::Revise("S1", "two")});
  BOOST_TEST_REQUIRE(Succeeded(appended));
  const auto pass = PassOf(*p, "S1");
  BOOST_TEST(U64(pass, "contentPosition") == appended->back().last_position);
  BOOST_TEST(Int(pass, "lastModifiedS") >= previous + 2);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(EmailEventsDoNotMoveContent) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Individual", true, kAda);
  const std::uint64_t issued = p->IssuePass("S1", "1", kMemberPass, "Ada Lovelace");
  const auto before = PassOf(*p, "S1");
  p->EmailRequested("S1", "1", "ada@example.com");
  p->EmailFailed("S1", true);
  p->EmailSent("S1");
  const auto after = PassOf(*p, "S1");
  BOOST_TEST(U64(after, "contentPosition") == issued);
  BOOST_TEST(Int(after, "lastModifiedS") == Int(before, "lastModifiedS"));
  auto changed = p->read().PassesChangedSince(kMemberPass, 0, 100);
  BOOST_TEST_REQUIRE(Succeeded(changed));
  BOOST_TEST_REQUIRE(changed->size() == 1u);
  BOOST_TEST(changed->front().first == issued);
}

BOOST_AUTO_TEST_CASE(ChangeIndexHoldsOneEntryPerPass) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Family", true, kAda);
  p->IssuePass("S1", "1", kMemberPass, "Ada Lovelace", 0);
  p->IssuePass("S2", "1", kMemberPass, "William King", 1);
  p->IssuePass("S3", "1", kMemberPass, "Ada Lovelace", 0);
  p->IssuePass("F1", "1", kFamilyPass, "Ada Lovelace", 0);
  for (int round = 0; round < 4; ++round) {
    p->Revise("S1");
    p->Revise("S2");
    if (round % 2 == 0) p->Void("S1");
    p->EmailSent("S3");
  }
  p->Revise("F1");
  const std::uint64_t mark = p->Revise("S2");  // S2 is now the newest member pass
  p->Revise("S1");

  auto changed = p->read().PassesChangedSince(kMemberPass, 0, 100);
  BOOST_TEST_REQUIRE(Succeeded(changed));
  BOOST_TEST_REQUIRE(changed->size() == 3u);
  std::set<std::string> serials;
  std::uint64_t last = 0;
  for (const auto& [position, serial] : *changed) {
    BOOST_TEST(position > last);  // position order
    last = position;
    serials.insert(serial);
    BOOST_TEST(U64(PassOf(*p, serial), "contentPosition") == position);
  }
  BOOST_TEST((serials == std::set<std::string>{"S1", "S2", "S3"}));
  BOOST_TEST(changed->back().second == "S1");

  auto since = p->read().PassesChangedSince(kMemberPass, mark - 1, 100);
  BOOST_TEST_REQUIRE(Succeeded(since));
  BOOST_TEST_REQUIRE(since->size() == 2u);
  BOOST_TEST((*since)[0].second == "S2");
  BOOST_TEST((*since)[1].second == "S1");
  auto limited = p->read().PassesChangedSince(kMemberPass, 0, 1);
  BOOST_TEST_REQUIRE(Succeeded(limited));
  BOOST_TEST(limited->size() == 1u);

  auto family = p->read().PassesChangedSince(kFamilyPass, 0, 100);
  BOOST_TEST_REQUIRE(Succeeded(family));
  BOOST_TEST_REQUIRE(family->size() == 1u);
  BOOST_TEST(family->front().second == "F1");

  // The raw index agrees: exactly one 'C' entry per pass.
  std::size_t change_entries = 0;
  for (const auto& [key, value] : passledger::testing::ViewEntries(p->projections())) {
    change_entries += key[0] == static_cast<char>(format::View::kPassChanges);
  }
  BOOST_TEST(change_entries == 4u);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

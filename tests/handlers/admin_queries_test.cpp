// The read side of the staff admin API (handlers/admin/): the dashboard's counts against what
// was imported, e-mailed, voided and registered, and against a recount and a rebuild; events
// per day in the organisation's zone and the rolling window; the member list's search,
// filters and pages; a member's detail and timeline; the audit log browser's filters, pages
// and personal parts by role; the pass preview from the signer's pass.json without the token;
// devices and their logs. Every case starts from the sample roster through the real importer.
#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"
#include "events/catalogue.h"
#include "events/digest.h"
#include "handlers/admin/admin_json.h"
#include "handlers/mail/mail_requests.h"
#include "projections/device_log_store.h"
#include "projections/view_json.h"
#include "signer/pass_json.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using boost::json::object;
using passledger::testing::FailedWith;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using projections::MemberFilter;
namespace catalogued = passledger::testing::catalogued;

constexpr std::string_view kFamily = "8-10000001";  // Avery and Jordan Quill: two passes
constexpr std::string_view kReyes = "8-10000002";
constexpr std::string_view kLapsed = "8-10000003";  // lapsed: its pass is voided
constexpr std::string_view kCorporate = "8-10000004";
constexpr std::string_view kNunez = "8-10000005";
constexpr std::string_view kNoEmail = "8-10000006";
constexpr std::string_view kPassType = "pass.org.example.member";  // the importer's default
constexpr std::string_view kPushToken = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeed";
constexpr std::string_view kPasswordHash = "$argon2id$v=19$m=65536,t=3,p=1$c2VjcmV0$aGFzaA";

// 2026-01-14T12:00:00Z: winter, so New York is UTC-5.
constexpr std::int64_t kStartUs = 1'768'392'000'000'000;
constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kHourUs = 60 * kMinuteUs;
constexpr std::int64_t kDayUs = 24 * kHourUs;

std::int64_t Int(const object& o, std::string_view key) {
  return o.at(key).to_number<std::int64_t>();
}

std::string Serialized(const object& o) { return boost::json::serialize(o); }

// A log whose recorded times the test sets (the writer never lets them go back).
class Fixture {
 public:
  Fixture() : now_(std::make_shared<std::atomic<std::int64_t>>(kStartUs)) {
    events::OpenOptions options = passledger::testing::TestOptions(dir_.path() / "data");
    options.clock = [now = now_] { return now->load(); };
    auto opened = ProjectedLog::TryOpen(options);
    BOOST_TEST_REQUIRE(Succeeded(opened));
    log_ = std::move(*opened);
  }

  void Import() { imported_ = passledger::testing::ImportRoster(*log_, SampleRoster()); }
  void Advance(std::int64_t us) { *now_ += us; }
  void SetTime(std::int64_t us) { *now_ = us; }
  projections::ReadModel read() const { return log_->read(); }
  events::EventLog& log() const { return log_->log(); }

  std::vector<std::string> Serials(std::string_view member) const {
    auto passes = read().PassesOfMember(member);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    std::vector<std::string> serials;
    for (const auto& pass : *passes) serials.push_back(pass.serial);
    return serials;
  }

  std::uint64_t EmailSent(std::string_view serial) {
    return log_->Append(catalogued::One(
        catalogued::PassStream(serial),
        catalogued::Event(events::kPassEmailSent, {{"serial", serial},
                                                   {"messageId", "<m-" + std::string(serial) + ">"},
                                                   {"reply", "250 2.0.0 Ok"}})));
  }

  // Every active pass e-mailed through the real requests, then the dispatcher's answers:
  // the family's two sent, Reyes's failed for good, Corporate's to be retried, Núñez's still
  // waiting.
  void Mail() {
    MailRequests requests(&log(), read());
    auto bulk = requests.RequestNeverSent({"staff:alice", false});
    BOOST_TEST_REQUIRE(Succeeded(bulk));
    BOOST_TEST_REQUIRE(bulk->passes == 5u);
    for (const auto& serial : Serials(kFamily)) EmailSent(serial);
    log_->Append(catalogued::EmailFailed(Serials(kReyes)[0], "550 5.1.1 no such user", false));
    log_->Append(catalogued::EmailFailed(Serials(kCorporate)[0], "451 4.3.0 try later", true));
  }

  // Two phones hold the family's first pass, one holds Reyes's; a push batch reports 3 + 1.
  void Devices() {
    const auto family = Serials(kFamily);
    log_->Register("phone-a", kPassType, family[0], kPushToken);
    log_->Register("phone-b", kPassType, family[0], "0b0b");
    log_->Register("phone-c", kPassType, Serials(kReyes)[0], "0c0c");
    log_->Append(catalogued::PushBatchCompleted(3, 1));
  }

  TempDir dir_;
  std::shared_ptr<std::atomic<std::int64_t>> now_;
  std::unique_ptr<ProjectedLog> log_;
  ImportSummary imported_;
};

DashboardQuery DashboardOf(const Fixture& f, signer::TimeZone zone = signer::TimeZone::Utc()) {
  return DashboardQuery(&f.log(), f.read(), {zone, [now = f.now_] { return now->load(); }});
}

Dashboard GetDashboard(const Fixture& f, signer::TimeZone zone = signer::TimeZone::Utc()) {
  auto dashboard = DashboardOf(f, std::move(zone)).Get();
  BOOST_TEST_REQUIRE(Succeeded(dashboard));
  return *dashboard;
}

// Every page of a member query.
std::vector<MemberListEntry> AllMembers(const Fixture& f, projections::MemberQuery query) {
  std::vector<MemberListEntry> out;
  for (int pages = 0;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 100);
    auto page = MemberSearch(f.read()).Find(query);
    BOOST_TEST_REQUIRE(Succeeded(page));
    out.insert(out.end(), page->members.begin(), page->members.end());
    if (page->next_cursor.empty()) return out;
    query.after = page->next_cursor;
  }
}

std::vector<std::string> Ids(const std::vector<MemberListEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.membership_id);
  return ids;
}

projections::MemberQuery Query(std::string search = {}, MemberFilter filter = MemberFilter::kAll,
                               std::size_t limit = 50) {
  return passledger::testing::Query(std::move(search), filter, limit);
}

// Every page of an event query.
std::vector<AuditEvent> AllEvents(const Fixture& f, EventQuery query, int* pages_out = nullptr) {
  std::vector<AuditEvent> out;
  int pages = 0;
  for (;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 10'000);
    auto page = EventBrowser(&f.log()).Find(query);
    BOOST_TEST_REQUIRE(Succeeded(page));
    BOOST_TEST(page->events.size() <= query.limit);
    out.insert(out.end(), page->events.begin(), page->events.end());
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  if (pages_out) *pages_out = pages + 1;
  return out;
}

std::vector<std::uint64_t> Positions(const std::vector<AuditEvent>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.position);
  return out;
}

// Every event of the log, oldest first, as the log reads them (the positive controls).
std::vector<events::RecordedEvent> RawEvents(const Fixture& f, bool reveal) {
  auto events = f.log().ReadRange(1, 100'000, events::ReadOptions{reveal});
  BOOST_TEST_REQUIRE(Succeeded(events));
  return *events;
}

BOOST_FIXTURE_TEST_SUITE(admin_dashboard, Fixture)

BOOST_AUTO_TEST_CASE(counts_match_what_was_imported_emailed_voided_and_registered) {
  Import();
  Mail();
  Devices();
  log_->Append(catalogued::Void(Serials(kCorporate)[0], "lost card"));
  const Dashboard d = GetDashboard(*this);
  // Six memberships, 8-10000003 lapsed; seven passes, the lapsed one's and Corporate's void.
  BOOST_TEST(d.members.total == 6);
  BOOST_TEST(d.members.active == 5);
  BOOST_TEST(d.members.lapsed == 1);
  BOOST_TEST(d.members.left_roster == 0);
  BOOST_TEST(d.members.forgotten == 0);
  BOOST_TEST(d.passes.total == 7);
  BOOST_TEST(d.passes.voided == 2);
  BOOST_TEST(d.passes.active == 5);
  BOOST_TEST(d.passes.installed == 2);
  BOOST_TEST(d.devices.registered == 3);
  BOOST_TEST(d.devices.known == 3);
  BOOST_TEST(d.devices.registrations == 3);
  BOOST_TEST(d.emails.sent == 2);
  BOOST_TEST(d.emails.failed == 1);
  BOOST_TEST(d.emails.retrying == 1);
  BOOST_TEST(d.emails.requested == 1);
  BOOST_TEST(d.emails.pending() == 2);
  BOOST_TEST(d.pushes_sent_24h == 3);
  BOOST_TEST(d.pushes_failed_24h == 1);
  BOOST_TEST_REQUIRE(d.last_import.has_value());
  BOOST_TEST(d.last_import->import_id == imported_.import_id);
  BOOST_TEST(d.last_import->file_name == "roster.csv");
  BOOST_TEST((d.last_import->state == projections::ImportState::kCompleted));
  BOOST_TEST(d.head_position == log().GetHead().position);
  BOOST_TEST(d.views_position == d.head_position);
  BOOST_TEST(d.head_hash == ToHex(log().GetHead().hash));
  BOOST_TEST(!d.last_verification.has_value());
  BOOST_TEST(d.verification_problem.empty());
  BOOST_TEST_REQUIRE(d.days.size() == 30u);
  BOOST_TEST(d.days.back().date == "2026-01-14");
  BOOST_TEST(d.days.front().date == "2025-12-16");
  BOOST_TEST(d.days.back().events == static_cast<std::int64_t>(d.head_position));
  BOOST_TEST(d.days.back().emails_sent == 2);
  BOOST_TEST(d.days.back().pushes_sent == 3);

  const object json = ToJson(d);
  BOOST_TEST(json.at("lastVerification").as_string() == "never");
  BOOST_TEST(Int(json.at("members").as_object(), "active") == 5);
  BOOST_TEST(Int(json.at("emails").as_object(), "pending") == 2);
  BOOST_TEST(Int(json.at("passes").as_object(), "installed") == 2);
  BOOST_TEST(json.at("lastImport").at("state").as_string() == "completed");
  BOOST_TEST(json.at("lastImport").at("counts").as_object().contains("enrolled"));
  BOOST_TEST(json.at("eventsPerDay").as_array().size() == 30u);
  BOOST_TEST(json.at("timeZone").as_string() == "UTC");
}

// The counters equal a count of the records they stand for, and a rebuild from the log
// (blue/green, as `passledger rebuild`) gives the same dashboard.
BOOST_AUTO_TEST_CASE(counters_equal_a_recount_and_survive_a_rebuild) {
  Import();
  Mail();
  Devices();
  log_->Unregister("phone-b", kPassType, Serials(kFamily)[0]);
  log_->Append(catalogued::LeftRoster(kNunez, "void"));
  log_->Forget(kNoEmail);
  const Dashboard before = GetDashboard(*this);

  DashboardMembers members;
  DashboardPasses passes;
  DashboardEmails emails;
  for (const auto& m : AllMembers(*this, Query())) {
    ++members.total;
    members.active += m.active && !m.left_roster;
    members.lapsed += !m.active;
    members.left_roster += m.left_roster;
    members.forgotten += m.forgotten;
    auto records = read().PassesOfMember(m.membership_id);
    BOOST_TEST_REQUIRE(Succeeded(records));
    std::int64_t installed = 0;
    for (const auto& p : *records) {
      ++passes.total;
      passes.voided += p.voided;
      passes.installed += p.devices > 0;
      installed += p.devices > 0;
      auto devices = read().CountDevicesForSerial(p.serial, 100);
      BOOST_TEST_REQUIRE(Succeeded(devices));
      BOOST_TEST(p.devices == static_cast<std::int64_t>(*devices));
      emails.requested += p.email.status == projections::EmailStatus::kRequested;
      emails.retrying += p.email.status == projections::EmailStatus::kRetrying;
      emails.sent += p.email.status == projections::EmailStatus::kSent;
      emails.failed += p.email.status == projections::EmailStatus::kFailed;
    }
    BOOST_TEST(m.passes_installed == installed, m.membership_id);
  }
  BOOST_TEST(before.members.total == members.total);
  BOOST_TEST(before.members.active == members.active);
  BOOST_TEST(before.members.lapsed == members.lapsed);
  BOOST_TEST(before.members.left_roster == members.left_roster);
  BOOST_TEST(before.members.forgotten == members.forgotten);
  BOOST_TEST(before.members.forgotten == 1);
  BOOST_TEST(before.passes.total == passes.total);
  BOOST_TEST(before.passes.voided == passes.voided);
  BOOST_TEST(before.passes.installed == passes.installed);
  BOOST_TEST(before.passes.installed == 2);  // phone-a still holds the family's first pass
  BOOST_TEST(before.devices.registered == 2);
  BOOST_TEST(before.emails.requested == emails.requested);
  BOOST_TEST(before.emails.retrying == emails.retrying);
  BOOST_TEST(before.emails.sent == emails.sent);
  BOOST_TEST(before.emails.failed == emails.failed);

  auto report = log_->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok());
  const auto generation = log_->projections().ActiveGenerationId();
  BOOST_TEST_REQUIRE(Succeeded(log_->projections().Rebuild()));
  BOOST_TEST(log_->projections().ActiveGenerationId() > generation);
  BOOST_TEST(Serialized(ToJson(GetDashboard(*this))) == Serialized(ToJson(before)));
}

// Days are the zone's: the same two events fall on one UTC day each, both on the evening
// before in New York, and quarter hours apart on two days in Kolkata (+05:30).
BOOST_AUTO_TEST_CASE(events_per_day_are_the_days_of_the_zone) {
  SetTime(kStartUs + 6 * kHourUs + 20 * kMinuteUs);  // 18:20Z = 23:50 in Kolkata
  log_->Append(passledger::testing::TickRequest("tick-a"));
  SetTime(kStartUs + 6 * kHourUs + 40 * kMinuteUs);  // 18:40Z = 00:10 the next day there
  log_->Append(passledger::testing::TickRequest("tick-b"));
  SetTime(kStartUs + 12 * kHourUs + 30 * kMinuteUs);  // 00:30Z on the 15th = 19:30 in NY
  log_->Append(passledger::testing::TickRequest("tick-c"));
  auto day = [](const Dashboard& d, std::string_view date) {
    for (const auto& each : d.days) {
      if (each.date == date) return each.events;
    }
    return std::int64_t{-1};
  };
  const Dashboard utc = GetDashboard(*this);
  BOOST_TEST(utc.days.back().date == "2026-01-15");
  BOOST_TEST(day(utc, "2026-01-14") == 2);
  BOOST_TEST(day(utc, "2026-01-15") == 1);
  auto new_york = signer::TimeZone::Load("America/New_York");
  BOOST_TEST_REQUIRE(Succeeded(new_york));
  const Dashboard ny = GetDashboard(*this, *new_york);
  BOOST_TEST(ny.time_zone == "America/New_York");
  BOOST_TEST(ny.days.back().date == "2026-01-14");
  BOOST_TEST(day(ny, "2026-01-14") == 3);
  auto kolkata = signer::TimeZone::Load("Asia/Kolkata");
  BOOST_TEST_REQUIRE(Succeeded(kolkata));
  const Dashboard in = GetDashboard(*this, *kolkata);
  BOOST_TEST(day(in, "2026-01-14") == 1);
  BOOST_TEST(day(in, "2026-01-15") == 2);
}

// The activity window rolls: buckets more than 32 days behind the newest are gone, in the
// live views and in a rebuild alike, and the dashboard counts only its 30 days.
BOOST_AUTO_TEST_CASE(the_activity_window_drops_old_buckets) {
  for (int i = 0; i < 3; ++i) {
    log_->Append(passledger::testing::TickRequest("tick-old" + std::to_string(i)));
    Advance(kHourUs);
  }
  const auto all = [&] {
    auto buckets = read().Activity(0, std::numeric_limits<std::int64_t>::max());
    BOOST_TEST_REQUIRE(Succeeded(buckets));
    return *buckets;
  };
  BOOST_TEST(all().size() == 3u);  // the positive control: they are there
  Advance(31 * kDayUs);
  log_->Append(passledger::testing::TickRequest("tick-later"));
  BOOST_TEST(all().size() == 4u);  // 31 days on: still in the window
  Advance(2 * kDayUs);
  log_->Append(passledger::testing::TickRequest("tick-much-later"));
  const auto kept = all();
  BOOST_TEST_REQUIRE(kept.size() == 2u);
  BOOST_TEST(kept.back().start_s - kept.front().start_s == 2 * kDayUs / 1'000'000);
  const Dashboard d = GetDashboard(*this);
  std::int64_t events = 0;
  for (const auto& day : d.days) events += day.events;
  BOOST_TEST(events == 2);
  auto report = log_->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok());
  BOOST_TEST_REQUIRE(Succeeded(log_->projections().Rebuild()));
  BOOST_TEST(all().size() == 2u);
}

// The last verification is the last digest signed; before one, "never".
BOOST_AUTO_TEST_CASE(the_last_verification_is_the_last_digest_signed) {
  Import();
  BOOST_TEST(ToJson(GetDashboard(*this)).at("lastVerification").as_string() == "never");
  auto digest = events::MakeDigest(log());
  BOOST_TEST_REQUIRE(Succeeded(digest));
  Mail();
  const Dashboard d = GetDashboard(*this);
  BOOST_TEST_REQUIRE(d.last_verification.has_value());
  BOOST_TEST(d.last_verification->position == digest->at("position").to_number<std::uint64_t>());
  BOOST_TEST(d.last_verification->head_hash_hex == digest->at("head_hash").as_string());
  const object json = ToJson(d);
  const object& verification = json.at("lastVerification").as_object();
  BOOST_TEST(verification.at("signedAt").as_string() == digest->at("signed_at").as_string());
  BOOST_TEST(Int(verification, "eventsSince") ==
             static_cast<std::int64_t>(d.head_position - d.last_verification->position));
  BOOST_TEST(Int(verification, "eventsSince") > 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_member_search, Fixture)

BOOST_AUTO_TEST_CASE(search_finds_by_id_name_and_email_and_shows_summaries) {
  Import();
  Mail();
  Devices();
  BOOST_TEST(Ids(AllMembers(*this, Query("quill"))) ==
             std::vector<std::string>{std::string(kFamily)});
  BOOST_TEST(Ids(AllMembers(*this, Query("M.REYES@"))) ==
             std::vector<std::string>{std::string(kReyes)});
  BOOST_TEST(Ids(AllMembers(*this, Query("8-1000000"))).size() == 6u);
  BOOST_TEST(AllMembers(*this, Query("nobody")).empty());
  const auto family = AllMembers(*this, Query(std::string(kFamily)));
  BOOST_TEST_REQUIRE(family.size() == 1u);
  const MemberListEntry& e = family[0];
  BOOST_TEST(e.name == "Avery Quill");
  BOOST_TEST(e.level == "Family");
  BOOST_TEST(e.status == "Active");
  BOOST_TEST(e.expires == "2027-12-31");
  BOOST_TEST(e.has_email);
  BOOST_TEST((e.email_status == projections::EmailStatus::kSent));
  BOOST_TEST(e.passes == 2);
  BOOST_TEST(e.passes_installed == 1);
  BOOST_TEST(e.passes_emailed == 2);
  const object json = ToJson(e);
  BOOST_TEST(json.at("installed").as_bool());
  BOOST_TEST(json.at("emailStatus").as_string() == "sent");
  const auto no_email = AllMembers(*this, Query(std::string(kNoEmail)));
  BOOST_TEST_REQUIRE(no_email.size() == 1u);
  BOOST_TEST(!no_email[0].has_email);
  BOOST_TEST((no_email[0].email_status == projections::EmailStatus::kNone));
}

BOOST_AUTO_TEST_CASE(every_filter_alone_and_combined) {
  Import();
  Mail();
  Devices();
  log_->Append(catalogued::LeftRoster(kNunez, "keep"));
  log_->Forget(kNoEmail);
  struct Case {
    std::string name;
    MemberFilter status;
    std::string level;
    std::optional<bool> emailed, on_device;
    std::vector<std::string_view> expected;
  };
  const Case cases[] = {
      {"all",
       MemberFilter::kAll,
       "",
       {},
       {},
       {kFamily, kReyes, kLapsed, kCorporate, kNunez, kNoEmail}},
      {"active", MemberFilter::kActive, "", {}, {}, {kFamily, kReyes, kCorporate, kNoEmail}},
      {"lapsed", MemberFilter::kLapsed, "", {}, {}, {kLapsed}},
      {"left", MemberFilter::kLeftRoster, "", {}, {}, {kNunez}},
      {"forgotten", MemberFilter::kForgotten, "", {}, {}, {kNoEmail}},
      {"level", MemberFilter::kAll, "individual", {}, {}, {kReyes, kNoEmail}},
      {"emailed", MemberFilter::kAll, "", true, {}, {kFamily}},
      {"not emailed",
       MemberFilter::kAll,
       "",
       false,
       {},
       {kReyes, kLapsed, kCorporate, kNunez, kNoEmail}},
      {"on a device", MemberFilter::kAll, "", {}, true, {kFamily, kReyes}},
      {"on no device", MemberFilter::kAll, "", {}, false, {kLapsed, kCorporate, kNunez, kNoEmail}},
      {"active, individual, on a device, not e-mailed",
       MemberFilter::kActive,
       "Individual",
       false,
       true,
       {kReyes}},
      {"active and e-mailed but on no device", MemberFilter::kActive, "", true, false, {}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      projections::MemberQuery query = Query("", c.status, 2);  // pages of two
      query.level = c.level;
      query.emailed = c.emailed;
      query.on_device = c.on_device;
      std::vector<std::string> expected(c.expected.begin(), c.expected.end());
      BOOST_TEST(Ids(AllMembers(*this, query)) == expected, boost::test_tools::per_element());
      query.search = "8-";  // the same through the search's id phase
      BOOST_TEST(Ids(AllMembers(*this, query)) == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(pages_are_bounded_and_cursors_are_checked) {
  Import();
  projections::MemberQuery query = Query("", MemberFilter::kLapsed, 10);
  query.max_scanned = 2;
  auto first = MemberSearch(read()).Find(query);
  BOOST_TEST_REQUIRE(Succeeded(first));
  BOOST_TEST(first->members.empty());  // 8-10000001 and -02 are active
  BOOST_TEST(first->capped);
  BOOST_TEST(first->scanned == 2u);
  BOOST_TEST(!first->next_cursor.empty());
  BOOST_TEST(Ids(AllMembers(*this, query)) == std::vector<std::string>{std::string(kLapsed)});
  const object json = ToJson(*first);
  BOOST_TEST(json.at("capped").as_bool());
  BOOST_TEST(json.at("nextCursor").is_string());

  auto full = MemberSearch(read()).Find(Query("", MemberFilter::kAll, 6));
  BOOST_TEST_REQUIRE(Succeeded(full));
  BOOST_TEST(full->members.size() == 6u);
  BOOST_TEST(full->next_cursor.empty());  // the page holds the last member
  BOOST_TEST(ToJson(*full).at("nextCursor").is_null());

  query.after = "not-a-cursor";
  BOOST_TEST(FailedWith(MemberSearch(read()).Find(query), ErrorCode::kInvalidArgument));
  auto search_page = MemberSearch(read()).Find(Query("8-", MemberFilter::kAll, 1));
  BOOST_TEST_REQUIRE(Succeeded(search_page));
  BOOST_TEST_REQUIRE(!search_page->next_cursor.empty());
  projections::MemberQuery other = Query("q", MemberFilter::kAll, 1);
  other.after = search_page->next_cursor;  // a cursor of another search
  BOOST_TEST(FailedWith(MemberSearch(read()).Find(other), ErrorCode::kInvalidArgument));

  BOOST_TEST((*ParseMemberFilter("left") == MemberFilter::kLeftRoster));
  BOOST_TEST((*ParseMemberFilter("") == MemberFilter::kAll));
  BOOST_TEST(FailedWith(ParseMemberFilter("gone"), ErrorCode::kInvalidArgument));
  BOOST_TEST(MemberFilterName(MemberFilter::kForgotten) == "forgotten");
  BOOST_TEST(ParseYesNo("yes")->value_or(false));
  BOOST_TEST(!ParseYesNo("")->has_value());
  BOOST_TEST(FailedWith(ParseYesNo("maybe"), ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_member_detail, Fixture)

BOOST_AUTO_TEST_CASE(detail_holds_fields_passes_and_a_timeline_newest_first) {
  Import();
  Mail();
  Devices();
  Advance(kHourUs);
  const auto serials = Serials(kFamily);
  log_->Append(catalogued::Void(serials[1], "lost card"));
  auto detail = MemberDetails(&log(), read()).Get(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(detail));
  BOOST_TEST(detail->member.level == "Family");
  BOOST_TEST_REQUIRE(detail->member.personal.has_value());
  BOOST_TEST((detail->member.personal->cardholders ==
              std::vector<std::string>{"Avery Quill", "Jordan Quill"}));
  BOOST_TEST_REQUIRE(detail->passes.size() == 2u);
  BOOST_TEST(detail->passes[0].devices == 2);
  BOOST_TEST(detail->passes[1].devices == 0);
  BOOST_TEST(detail->passes[1].voided);
  BOOST_TEST(detail->passes[1].void_reason == "lost card");
  BOOST_TEST((detail->passes[0].email.status == projections::EmailStatus::kSent));

  // The member's stream and both pass streams, every event, newest first.
  std::vector<std::uint64_t> expected;
  for (const std::string& stream :
       {"member-" + std::string(kFamily), "pass-" + serials[0], "pass-" + serials[1]}) {
    auto events = log().ReadStream(stream, 1, 1000);
    BOOST_TEST_REQUIRE(Succeeded(events));
    for (const auto& e : *events) expected.push_back(e.envelope.position);
  }
  std::sort(expected.rbegin(), expected.rend());
  std::vector<std::uint64_t> got;
  for (const auto& e : detail->timeline.entries) got.push_back(e.position);
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(detail->timeline.next_cursor.empty());
  const TimelineEntry& newest = detail->timeline.entries.front();
  BOOST_TEST(newest.type == events::kPassVoided);
  BOOST_TEST(newest.summary == "Pass voided: lost card");
  BOOST_TEST(newest.stream == "pass-" + serials[1]);
  BOOST_TEST(newest.actor == passledger::testing::kTestActor);
  BOOST_TEST(newest.recorded_at_us == kStartUs + kHourUs);
  std::set<std::string> summaries;
  for (const auto& e : detail->timeline.entries) summaries.insert(e.summary);
  BOOST_TEST(summaries.count("E-mail sent (250 2.0.0 Ok)") == 1u);
  BOOST_TEST(summaries.count("E-mail requested") == 1u);
  BOOST_TEST(summaries.count("Enrolled: Family, Active, expires 2027-12-31") == 1u);
  BOOST_TEST(summaries.count("Pass issued (cardholder 1)") == 1u);
  BOOST_TEST(summaries.count("Pass issued (cardholder 2)") == 1u);

  // Pages of three come out as the whole, in order, and end without a cursor.
  std::vector<std::uint64_t> paged;
  std::string cursor;
  for (int pages = 0;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 20);
    auto page = MemberDetails(&log(), read()).TimelineOf(kFamily, cursor, 3);
    BOOST_TEST_REQUIRE(Succeeded(page));
    BOOST_TEST(page->entries.size() <= 3u);
    for (const auto& e : page->entries) paged.push_back(e.position);
    if (page->next_cursor.empty()) break;
    cursor = page->next_cursor;
  }
  BOOST_TEST(paged == expected, boost::test_tools::per_element());
  const object json = ToJson(*detail);
  BOOST_TEST(json.at("passes").as_array().size() == 2u);
  BOOST_TEST(json.at("passes").at(0).at("devices").to_number<int>() == 2);
  BOOST_TEST(json.at("timeline").at("entries").at(0).at("summary").as_string() ==
             "Pass voided: lost card");
  BOOST_TEST(json.at("timeline").at("nextCursor").is_null());
}

BOOST_AUTO_TEST_CASE(unknown_members_and_foreign_cursors_are_refused) {
  Import();
  BOOST_TEST(FailedWith(MemberDetails(&log(), read()).Get("8-99999999"), ErrorCode::kNotFound));
  auto page = MemberDetails(&log(), read()).TimelineOf(kFamily, "", 1);
  BOOST_TEST_REQUIRE(Succeeded(page));
  BOOST_TEST_REQUIRE(!page->next_cursor.empty());
  // A timeline cursor of the family (three streams) names too many for Reyes (two).
  BOOST_TEST(FailedWith(MemberDetails(&log(), read()).TimelineOf(kReyes, page->next_cursor, 1),
                        ErrorCode::kInvalidArgument));
  auto devices = DeviceList(read(), nullptr).Find({page->next_cursor, 10});
  BOOST_TEST(FailedWith(devices, ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_event_browser, Fixture)

BOOST_AUTO_TEST_CASE(pages_walk_the_whole_log_newest_first) {
  Import();
  Mail();
  const std::uint64_t head = log().GetHead().position;
  EventQuery query;
  query.limit = 7;
  int pages = 0;
  const auto events = AllEvents(*this, query, &pages);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t p = head; p >= 1; --p) expected.push_back(p);
  BOOST_TEST(Positions(events) == expected, boost::test_tools::per_element());
  BOOST_TEST(pages == static_cast<int>((head + 6) / 7));  // the last page has no cursor
  const AuditEvent& first = events.back();
  BOOST_TEST(first.type == events::kImportStarted);
  BOOST_TEST(first.summary == "Import started: roster.csv (8 rows)");
  BOOST_TEST(first.prev_hash == ToHex(events::GenesisHash()));
}

BOOST_AUTO_TEST_CASE(filters_by_stream_type_actor_and_time) {
  Import();
  Advance(kHourUs);
  const std::int64_t mail_from = now_->load();
  Mail();
  Advance(kHourUs);
  Devices();
  const auto raw = RawEvents(*this, false);
  auto expect = [&](auto predicate) {
    std::vector<std::uint64_t> out;
    for (auto it = raw.rbegin(); it != raw.rend(); ++it) {
      if (predicate(it->envelope)) out.push_back(it->envelope.position);
    }
    return out;
  };
  struct Case {
    std::string name;
    std::function<void(EventQuery&)> set;
    std::function<bool(const events::Envelope&)> predicate;
  };
  const std::string family_stream = "member-" + std::string(kFamily);
  const std::string pass_stream = "pass-" + Serials(kFamily)[0];
  const Case cases[] = {
      {"stream",
       [&](EventQuery& q) {
         q.stream = family_stream;
         q.limit = 2;
       },
       [&](const events::Envelope& e) { return e.stream == family_stream; }},
      {"pass stream",
       [&](EventQuery& q) {
         q.stream = pass_stream;
         q.limit = 1;
       },
       [&](const events::Envelope& e) { return e.stream == pass_stream; }},
      {"type",
       [&](EventQuery& q) {
         q.type = std::string(events::kPassEmailRequested);
         q.limit = 2;
       },
       [](const events::Envelope& e) { return e.type == events::kPassEmailRequested; }},
      {"actor",
       [&](EventQuery& q) {
         q.actor = "staff:alice";
         q.limit = 3;
       },
       [](const events::Envelope& e) { return e.actor == "staff:alice"; }},
      {"actor prefix",
       [&](EventQuery& q) {
         q.actor = "system:import*";
         q.limit = 5;
       },
       [](const events::Envelope& e) { return e.actor.starts_with("system:import"); }},
      {"from",
       [&](EventQuery& q) {
         q.from_us = mail_from;
         q.limit = 4;
       },
       [&](const events::Envelope& e) { return e.recorded_at_us >= mail_from; }},
      {"to",
       [&](EventQuery& q) {
         q.to_us = mail_from;
         q.limit = 4;
       },
       [&](const events::Envelope& e) { return e.recorded_at_us < mail_from; }},
      {"from and to, and type",
       [&](EventQuery& q) {
         q.type = std::string(events::kPassEmailFailed);
         q.from_us = mail_from;
         q.to_us = mail_from + kHourUs;
         q.limit = 1;
       },
       [&](const events::Envelope& e) {
         return e.type == events::kPassEmailFailed && e.recorded_at_us >= mail_from &&
                e.recorded_at_us < mail_from + kHourUs;
       }},
      {"stream and to",
       [&](EventQuery& q) {
         q.stream = pass_stream;
         q.to_us = mail_from;
         q.limit = 1;
       },
       [&](const events::Envelope& e) {
         return e.stream == pass_stream && e.recorded_at_us < mail_from;
       }},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto expected = expect(c.predicate);
      BOOST_TEST(!expected.empty());
      EventQuery query;
      c.set(query);
      BOOST_TEST(Positions(AllEvents(*this, query)) == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_sparse_filter_is_capped_and_goes_on) {
  Import();
  Mail();
  EventQuery query;
  query.type = std::string(events::kImportStarted);  // the first event only
  query.max_scanned = 5;
  auto first = EventBrowser(&log()).Find(query);
  BOOST_TEST_REQUIRE(Succeeded(first));
  BOOST_TEST(first->events.empty());
  BOOST_TEST(first->capped);
  BOOST_TEST(first->scanned == 5u);
  const auto all = AllEvents(*this, query);
  BOOST_TEST_REQUIRE(all.size() == 1u);
  BOOST_TEST(all[0].position == 1u);
  query.cursor = first->next_cursor;
  query.stream = "member-" + std::string(kFamily);  // a log cursor is not a stream's
  BOOST_TEST(FailedWith(EventBrowser(&log()).Find(query), ErrorCode::kInvalidArgument));
}

// Admin and staff read the personal parts, auditors see them sealed, and a forgotten
// subject's are gone for everyone.
BOOST_AUTO_TEST_CASE(personal_parts_by_role_and_forgotten_for_everyone) {
  Import();
  log_->Forget(kNoEmail);
  auto enrolment = [&](PersonalAccess access, std::string_view member) {
    EventQuery query;
    query.stream = "member-" + std::string(member);
    query.type = std::string(events::kMemberEnrolled);
    query.personal = access;
    auto page = EventBrowser(&log()).Find(query);
    BOOST_TEST_REQUIRE(Succeeded(page));
    BOOST_TEST_REQUIRE(page->events.size() == 1u);
    return page->events.front();
  };
  BOOST_TEST((PersonalAccessOf("admin") == PersonalAccess::kRevealed));
  BOOST_TEST((PersonalAccessOf("staff") == PersonalAccess::kRevealed));
  BOOST_TEST((PersonalAccessOf("auditor") == PersonalAccess::kSealed));
  BOOST_TEST((PersonalAccessOf("root") == PersonalAccess::kSealed));
  const AuditEvent revealed = enrolment(PersonalAccessOf("staff"), kFamily);
  BOOST_TEST((revealed.personal_state == events::PersonalState::kRevealed));
  BOOST_TEST(revealed.personal.at("name").as_string() == "Avery Quill");
  const object revealed_json = ToJson(revealed);
  BOOST_TEST(revealed_json.at("personal").at("email").as_string() == "avery.quill@example.org");
  BOOST_TEST(revealed_json.at("personalSchemaVersion").to_number<int>() == 1);
  const AuditEvent sealed = enrolment(PersonalAccessOf("auditor"), kFamily);
  BOOST_TEST((sealed.personal_state == events::PersonalState::kSealed));
  BOOST_TEST(sealed.personal.empty());
  const object sealed_json = ToJson(sealed);
  BOOST_TEST(sealed_json.at("personal").as_string() == "sealed");
  BOOST_TEST(Serialized(sealed_json).find("Quill") == std::string::npos);
  BOOST_TEST(sealed_json.at("payload").at("level").as_string() == "Family");  // public part
  for (const PersonalAccess access : {PersonalAccess::kRevealed, PersonalAccess::kSealed}) {
    const AuditEvent gone = enrolment(access, kNoEmail);
    BOOST_TEST((gone.personal_state == events::PersonalState::kForgotten));
    BOOST_TEST(ToJson(gone).at("personal").as_string() == "forgotten");
  }
}

// Secrets in payloads and personal parts are redacted; the positive control shows the log
// holds them, so the checks could fail.
BOOST_AUTO_TEST_CASE(push_tokens_and_password_hashes_are_redacted) {
  Import();
  Devices();
  log_->Append(catalogued::StaffCreated("alice", "admin", kPasswordHash));
  std::string raw_text;
  for (const auto& event : RawEvents(*this, true)) {
    raw_text += event.envelope.payload;
    raw_text += Serialized(event.personal);
  }
  BOOST_TEST(raw_text.find(kPushToken) != std::string::npos);
  BOOST_TEST(raw_text.find(kPasswordHash) != std::string::npos);
  EventQuery query;
  query.personal = PersonalAccess::kRevealed;
  query.limit = 200;
  auto page = EventBrowser(&log()).Find(query);
  BOOST_TEST_REQUIRE(Succeeded(page));
  BOOST_TEST(page->next_cursor.empty());
  const std::string shown = Serialized(ToJson(*page));
  BOOST_TEST(shown.find(kPushToken) == std::string::npos);
  BOOST_TEST(shown.find(kPasswordHash) == std::string::npos);
  bool registered = false, staff = false;
  for (const auto& e : page->events) {
    if (e.type == events::kDeviceRegistered) {
      registered = true;
      BOOST_TEST(e.payload.at("pushToken").as_string() == kRedacted);
      BOOST_TEST(e.summary.find("registered for pass") != std::string::npos);
    }
    if (e.type == events::kStaffCreated) {
      staff = true;
      BOOST_TEST(e.personal.at("passwordHash").as_string() == kRedacted);
      BOOST_TEST(e.summary == "Staff account alice created (role admin)");
    }
  }
  BOOST_TEST(registered);
  BOOST_TEST(staff);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_pass_preview, Fixture)

BOOST_AUTO_TEST_CASE(the_preview_is_the_signers_pass_json_without_the_token) {
  Import();
  const auto factory = passledger::testing::DevPassFactory(dir_.path() / "certs");
  const projections::ReadModel model = read();
  const PassBundles bundles(&model, {factory});
  const std::string serial = Serials(kFamily)[1];
  // The positive control: the pass.json phones get has the token and the web service URL.
  auto latest = bundles.ForSerial(serial);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  const object pass_json = passledger::testing::PassJsonOf(latest->bundle);
  const std::string token = factory->AuthToken(serial, 1);
  BOOST_TEST(pass_json.at("authenticationToken").as_string() == token);
  BOOST_TEST(pass_json.contains("webServiceURL"));

  auto preview = PassPreviews(&model, &bundles).Get(serial);
  BOOST_TEST_REQUIRE(Succeeded(preview));
  const signer::PassTypeConfig& config = factory->config();
  BOOST_TEST(preview->serial == serial);
  BOOST_TEST(preview->pass_type_id == config.pass_type_id);
  BOOST_TEST(preview->style == "generic");
  BOOST_TEST(preview->organization_name == config.organization_name);
  BOOST_TEST(preview->description == config.description);
  BOOST_TEST(preview->logo_text == config.logo_text);
  BOOST_TEST(preview->background_color == signer::RgbString(config.background));
  BOOST_TEST(preview->foreground_color == signer::RgbString(config.foreground));
  BOOST_TEST(preview->label_color == signer::RgbString(config.label));
  BOOST_TEST_REQUIRE(preview->primary_fields.size() == 1u);
  BOOST_TEST(preview->primary_fields[0].label == "Member");
  BOOST_TEST(preview->primary_fields[0].value == "Jordan Quill");
  BOOST_TEST_REQUIRE(preview->secondary_fields.size() == 2u);
  BOOST_TEST(preview->secondary_fields[0].value == "Family");
  BOOST_TEST(preview->secondary_fields[1].value == kFamily);
  BOOST_TEST_REQUIRE(!preview->auxiliary_fields.empty());
  BOOST_TEST(preview->auxiliary_fields[0].key == "expires");
  BOOST_TEST(preview->auxiliary_fields[0].date_style == "PKDateStyleMedium");
  BOOST_TEST(preview->auxiliary_fields[0].ignores_time_zone);
  BOOST_TEST(!preview->back_fields.empty());
  BOOST_TEST(preview->header_fields.empty());
  BOOST_TEST_REQUIRE(preview->barcode.has_value());
  BOOST_TEST(preview->barcode->message == kFamily);
  BOOST_TEST(preview->barcode->format == "PKBarcodeFormatPDF417");
  BOOST_TEST(preview->barcode->alt_text == kFamily);
  BOOST_TEST(!preview->voided);
  BOOST_TEST(preview->expiration_date == pass_json.at("expirationDate").as_string());
  // Every field the phones see, the preview shows alike.
  const auto& aux = pass_json.at("generic").at("auxiliaryFields").as_array();
  BOOST_TEST(preview->auxiliary_fields.size() == aux.size());
  BOOST_TEST(preview->auxiliary_fields[0].value == aux.at(0).at("value").as_string());

  const std::string json = Serialized(ToJson(*preview));
  BOOST_TEST(json.find("authenticationToken") == std::string::npos);
  BOOST_TEST(json.find(token) == std::string::npos);
  BOOST_TEST(json.find("webServiceURL") == std::string::npos);
  BOOST_TEST(json.find(config.web_service_url) == std::string::npos);
  BOOST_TEST(ToJson(*preview).at("fields").at("primary").at(0).at("value").as_string() ==
             "Jordan Quill");
}

BOOST_AUTO_TEST_CASE(void_forgotten_and_unknown_passes) {
  Import();
  const auto factory = passledger::testing::DevPassFactory(dir_.path() / "certs");
  const projections::ReadModel model = read();
  const PassBundles bundles(&model, {factory});
  const PassPreviews previews(&model, &bundles);
  auto lapsed = previews.Get(Serials(kLapsed)[0]);
  BOOST_TEST_REQUIRE(Succeeded(lapsed));
  BOOST_TEST(lapsed->voided);
  log_->Forget(kReyes);
  auto forgotten = previews.Get(Serials(kReyes)[0]);
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  BOOST_TEST(forgotten->voided);
  BOOST_TEST(!forgotten->barcode.has_value());
  BOOST_TEST(Serialized(ToJson(*forgotten)).find("Reyes") == std::string::npos);
  BOOST_TEST(FailedWith(previews.Get("NO-SUCH-SERIAL"), ErrorCode::kNotFound));
  const PassBundles none(&model, {});
  BOOST_TEST(
      FailedWith(PassPreviews(&model, &none).Get(Serials(kFamily)[0]), ErrorCode::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(admin_devices, Fixture)

BOOST_AUTO_TEST_CASE(devices_are_paged_without_push_tokens) {
  Import();
  Devices();
  Advance(kHourUs);
  log_->Unregister("phone-b", kPassType, Serials(kFamily)[0]);
  const DeviceList list(read(), nullptr);
  std::vector<DeviceEntry> all;
  DeviceListQuery query;
  query.limit = 2;
  for (int pages = 0;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 10);
    auto page = list.Find(query);
    BOOST_TEST_REQUIRE(Succeeded(page));
    BOOST_TEST(page->devices.size() <= 2u);
    BOOST_TEST(Serialized(ToJson(*page)).find(kPushToken) == std::string::npos);
    all.insert(all.end(), page->devices.begin(), page->devices.end());
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].device_id == "phone-a");
  BOOST_TEST(all[0].passes == 1);
  BOOST_TEST(all[0].has_push_token);
  BOOST_TEST(all[0].registered_at_us == kStartUs);
  BOOST_TEST(all[1].device_id == "phone-b");
  BOOST_TEST(all[1].passes == 0);
  BOOST_TEST(all[1].changed_at_us == kStartUs + kHourUs);
  // The positive control: the device record holds the token the page leaves out.
  auto device = read().Device("phone-a");
  BOOST_TEST_REQUIRE(Succeeded(device));
  BOOST_TEST((*device)->push_token == kPushToken);
  const object json = ToJson(all[1]);
  BOOST_TEST(json.at("lastSeenAt").as_string() == FormatTimestamp(kStartUs + kHourUs));
  BOOST_TEST(!json.contains("pushToken"));
}

BOOST_AUTO_TEST_CASE(device_logs_are_filtered_and_paged) {
  auto store = projections::DeviceLogStore::Open(&log(), 1 << 20);
  BOOST_TEST_REQUIRE(Succeeded(store));
  for (int i = 1; i <= 9; ++i) {
    projections::DeviceLogRecord record;
    record.at_ms = 1000 * i;
    record.client = "client-" + std::to_string(i % 2);
    record.device = i % 3 == 0 ? "phone-a" : "";
    record.lines = {"line " + std::to_string(i)};
    BOOST_TEST_REQUIRE(Succeeded((*store)->Append(std::move(record))));
  }
  const DeviceList list(read(), store->get());
  DeviceLogSearch search;
  search.device = "phone-a";
  search.limit = 1;
  search.max_scanned = 4;
  std::vector<std::uint64_t> sequences;
  int capped = 0;
  for (int pages = 0;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 20);
    auto page = list.Logs(search);
    BOOST_TEST_REQUIRE(Succeeded(page));
    capped += page->capped;
    for (const auto& r : page->records) sequences.push_back(r.sequence);
    if (page->next_cursor.empty()) break;
    search.cursor = page->next_cursor;
  }
  BOOST_TEST((sequences == std::vector<std::uint64_t>{3, 6, 9}));
  BOOST_TEST(capped > 0);
  DeviceLogSearch since;
  since.since_ms = 8000;
  since.limit = 10;
  auto recent = list.Logs(since);
  BOOST_TEST_REQUIRE(Succeeded(recent));
  BOOST_TEST(recent->records.size() == 2u);
  BOOST_TEST(recent->next_cursor.empty());
  const object json = ToJson(recent->records[0]);
  BOOST_TEST(json.at("receivedAt").as_string() == FormatTimestamp(8'000'000));
  BOOST_TEST(json.at("lines").at(0).as_string() == "line 8");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// ReadModel: the PassKit queries (serials updated since a tag, registrations, push tokens) and
// the admin member list (paging with cursors, filters, search by id, name word and e-mail), the
// scan of every staff record.
#include "projections/read_model.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "projections/member_fields.h"
#include "projections/view_json.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::Query;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
namespace catalogued = passledger::testing::catalogued;

constexpr std::string_view kMemberPass = "pass.org.garden.member";
constexpr std::string_view kGuestPass = "pass.org.garden.guest";

std::int64_t Int(const boost::json::object& o, std::string_view key) {
  const auto& v = o.at(key);
  return v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
}

std::uint64_t ContentPosition(const ProjectedLog& p, std::string_view serial) {
  auto pass = p.read().Pass(serial);
  BOOST_TEST_REQUIRE(Succeeded(pass));
  BOOST_TEST_REQUIRE(pass->has_value());
  return (**pass).content_position;
}

UpdatedSerials Updated(const ProjectedLog& p, std::string_view device, std::string_view type,
                       std::string_view tag) {
  auto updated = p.read().SerialsUpdatedSince(device, type, tag);
  BOOST_TEST_REQUIRE(Succeeded(updated));
  return *updated;
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

BOOST_AUTO_TEST_SUITE(passkit_queries)

BOOST_AUTO_TEST_CASE(SerialsUpdatedSinceFollowsTagsAndRegistrations) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("1", "Family", true, Personal::Named("Ada Lovelace", {"Ada Lovelace", "William King"}));
  p->IssuePass("M1", "1", kMemberPass, "Ada Lovelace", 0);
  p->IssuePass("M2", "1", kMemberPass, "William King", 1);
  p->IssuePass("G1", "1", kGuestPass, "Ada Lovelace", 0);
  p->IssuePass("M3", "1", kMemberPass, "Not registered", 0);
  p->Register("phone", kMemberPass, "M1", "tok-phone");
  p->Register("phone", kMemberPass, "M2", "tok-phone");
  p->Register("phone", kGuestPass, "G1", "tok-phone");
  p->Register("watch", kMemberPass, "M1", "tok-watch");
  // A device id that is a prefix of another must not see the other's registrations.
  p->Register("phon", kMemberPass, "M3", "tok-phon");

  const std::uint64_t m1 = ContentPosition(*p, "M1");
  const std::uint64_t m2 = ContentPosition(*p, "M2");
  // No tag, or a tag that is not a decimal position: everything registered.
  for (std::string_view tag : {"", "abc", "12x", "-1", " 5"}) {
    BOOST_TEST_CONTEXT("tag \"" << tag << "\"") {
      const auto all = Updated(*p, "phone", kMemberPass, tag);
      BOOST_TEST((AsSet(all.serials) == std::set<std::string>{"M1", "M2"}));
      BOOST_TEST(all.last_updated == std::max(m1, m2));
    }
  }
  const auto guest = Updated(*p, "phone", kGuestPass, "");
  BOOST_TEST(guest.serials == std::vector<std::string>{"G1"});

  // The tag the device got back: nothing newer.
  const std::string tag = std::to_string(Updated(*p, "phone", kMemberPass, "").last_updated);
  const auto none = Updated(*p, "phone", kMemberPass, tag);
  BOOST_TEST(none.serials.empty());
  // A tag between the two passes' content positions: only the newer one.
  const auto newer = Updated(*p, "phone", kMemberPass, std::to_string(std::min(m1, m2)));
  BOOST_TEST(newer.serials.size() == 1u);

  // A revision of one pass: exactly that serial, and a larger lastUpdated.
  const std::uint64_t revised = p->Revise("M2");
  const auto after = Updated(*p, "phone", kMemberPass, tag);
  BOOST_TEST(after.serials == std::vector<std::string>{"M2"});
  BOOST_TEST(after.last_updated == revised);
  BOOST_TEST(after.last_updated > std::stoull(tag));
  // E-mail events are not content changes.
  p->EmailSent("M1");
  BOOST_TEST(Updated(*p, "phone", kMemberPass, std::to_string(revised)).serials.empty());
  // The other pass type did not change.
  BOOST_TEST(Updated(*p, "phone", kGuestPass, std::to_string(revised)).serials.empty());

  BOOST_TEST(Updated(*p, "unknown-device", kMemberPass, "").serials.empty());
  BOOST_TEST(Updated(*p, "unknown-device", kMemberPass, "").last_updated == 0u);
  BOOST_TEST(Updated(*p, "phon", kMemberPass, "").serials == std::vector<std::string>{"M3"});
  BOOST_TEST(Updated(*p, "phone", "pass.org.garden.unknown", "").serials.empty());

  for (const auto& [device, type, serial, registered] :
       {std::tuple{"phone", kMemberPass, "M1", true},
        {"phone", kGuestPass, "G1", true},
        {"phone", kGuestPass, "M1", false},
        {"watch", kMemberPass, "M2", false},
        {"phon", kMemberPass, "M1", false},
        {"nobody", kMemberPass, "M1", false}}) {
    auto is = p->read().IsRegistered(device, type, serial);
    BOOST_TEST_REQUIRE(Succeeded(is));
    BOOST_TEST(*is == registered, device << " " << type << " " << serial);
  }

  auto devices = p->read().DevicesForSerial("M1");
  BOOST_TEST_REQUIRE(Succeeded(devices));
  BOOST_TEST_REQUIRE(devices->size() == 2u);
  BOOST_TEST((*devices)[0].device_id == "phone");
  BOOST_TEST((*devices)[0].pass_type_id == kMemberPass);
  BOOST_TEST((*devices)[0].push_token == "tok-phone");
  BOOST_TEST((*devices)[1].device_id == "watch");
  BOOST_TEST((*devices)[1].push_token == "tok-watch");

  auto counts = p->read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  BOOST_TEST(Int(ToJson(*counts), "devices") == 3);
  BOOST_TEST(Int(ToJson(*counts), "registrations") == 5);

  // Registering again refreshes the push token and counts nothing twice.
  p->Register("watch", kMemberPass, "M1", "tok-watch-2");
  devices = p->read().DevicesForSerial("M1");
  BOOST_TEST_REQUIRE(Succeeded(devices));
  BOOST_TEST((*devices)[1].push_token == "tok-watch-2");
  counts = p->read().Counts();
  BOOST_TEST(Int(ToJson(*counts), "registrations") == 5);

  // Unregistered: gone from every query; unregistering twice changes nothing.
  p->Unregister("phone", kMemberPass, "M2");
  p->Unregister("phone", kMemberPass, "M2");
  BOOST_TEST(Updated(*p, "phone", kMemberPass, "").serials == std::vector<std::string>{"M1"});
  auto is = p->read().IsRegistered("phone", kMemberPass, "M2");
  BOOST_TEST_REQUIRE(Succeeded(is));
  BOOST_TEST(!*is);
  devices = p->read().DevicesForSerial("M2");
  BOOST_TEST_REQUIRE(Succeeded(devices));
  BOOST_TEST(devices->empty());
  counts = p->read().Counts();
  BOOST_TEST(Int(ToJson(*counts), "registrations") == 4);
  BOOST_TEST(Int(ToJson(*counts), "devices") == 3);

  auto report = p->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok());
}

// kMemoryOnly answers only what RocksDB holds in memory. After a reopen the views are in
// table files and the block cache is empty: a pass read first says kWouldBlock (a disk read
// would be needed), then, once a kAny query has read that block, answers exactly what kAny
// answers; so does the list of updated serials.
BOOST_AUTO_TEST_CASE(MemoryOnlyReadsAnswerFromMemoryOrSayWouldBlock) {
  TempDir dir;
  constexpr int kPasses = 1500;  // views over many 16 KiB blocks
  {
    auto p = ProjectedLog::Open(dir / "data");
    for (int i = 0; i < kPasses; ++i) {
      const std::string id = std::to_string(100000 + i);
      p->Enrol(id, "Individual", true, Personal::Named("Member " + id, {"Member " + id}));
      p->IssuePass("S" + id, id, kMemberPass, "Member " + id, 0);
    }
    p->Register("phone", kMemberPass, "S100000", "tok-phone");
    const auto memory = p->read().WithTier(ReadTier::kMemoryOnly);
    auto in_memtable = memory.Pass("S100000");  // just written: still in the memtable
    BOOST_TEST_REQUIRE(Succeeded(in_memtable));
    BOOST_TEST(in_memtable->has_value());
  }
  { passledger::testing::RawDb(dir / "data").FlushAll(); }

  auto p = ProjectedLog::Open(dir / "data");
  const auto memory = p->read().WithTier(ReadTier::kMemoryOnly);
  auto cold = memory.Pass("S100000");
  BOOST_TEST_REQUIRE(!cold.has_value());
  BOOST_TEST(cold.error().code == ErrorCode::kWouldBlock);

  auto disk = p->read().Pass("S100000");
  BOOST_TEST_REQUIRE(Succeeded(disk));
  const auto disk_list = Updated(*p, "phone", kMemberPass, "");
  auto warm = memory.Pass("S100000");
  BOOST_TEST_REQUIRE(Succeeded(warm));
  BOOST_TEST_REQUIRE(warm->has_value());
  BOOST_TEST((*warm)->content_position == (*disk)->content_position);
  BOOST_TEST((*warm)->cardholder == "Member 100000");
  auto warm_list = memory.SerialsUpdatedSince("phone", kMemberPass, "");
  BOOST_TEST_REQUIRE(Succeeded(warm_list));
  BOOST_TEST(warm_list->serials == disk_list.serials);
  BOOST_TEST(warm_list->last_updated == disk_list.last_updated);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(member_list)

constexpr int kMembers = 130;
const char* const kFirst[] = {"Ada",     "Grace",  "Alan",     "Barbara", "Edsger",
                              "Frances", "Donald", "Margaret", "Linus",   "Radia"};
const char* const kLast[] = {"Lovelace", "Hopper", "Turing",   "Liskov",   "Dijkstra",
                             "Allen",    "Knuth",  "Hamilton", "Torvalds", "Perlman"};

std::string Id(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "m%04d", i);
  return id;
}
std::string First(int i) { return kFirst[i % 10]; }
std::string Email(int i) {
  std::string email = First(i) + "." + kLast[(i / 10) % 10] + std::to_string(i) + "@Example.org";
  return email;
}
bool Lapsed(int i) { return i % 5 == 0; }
bool Left(int i) { return i % 7 == 0; }
bool Forgotten(int i) { return i % 11 == 0; }

// kMembers members with their statuses, and one stub (a pass issued to a member never enrolled).
std::unique_ptr<ProjectedLog> Roster(const TempDir& dir) {
  auto p = ProjectedLog::Open(dir / "data");
  std::vector<events::AppendRequest> batch;
  for (int i = 1; i <= kMembers; ++i) {
    const Personal personal{.name = First(i) + " " + kLast[(i / 10) % 10],
                            .first_name = First(i),
                            .last_name = kLast[(i / 10) % 10],
                            .email = Email(i),
                            .cardholders = {First(i)}};
    batch.push_back(catalogued::Enrol(Id(i), "Individual", true, personal));
    if (Lapsed(i)) batch.push_back(catalogued::Lapse(Id(i)));
    if (Left(i)) batch.push_back(catalogued::LeftRoster(Id(i)));
    if (batch.size() >= 20) p->AppendAtomic(std::exchange(batch, {}));
  }
  if (!batch.empty()) p->AppendAtomic(std::move(batch));
  for (int i = 1; i <= kMembers; ++i) {
    if (Forgotten(i)) p->Forget(Id(i));
  }
  p->IssuePass("STUB-1", "m9999", kMemberPass, "Nobody");
  return p;
}

template <class Fn>
std::vector<std::string> Expected(Fn predicate) {
  std::vector<std::string> ids;
  for (int i = 1; i <= kMembers; ++i) {
    if (predicate(i)) ids.push_back(Id(i));
  }
  return ids;
}

// Pages through a query with `limit`; checks that pages are full but the last, and that the
// cursor stops at the end.
std::vector<std::string> AllPages(const ProjectedLog& p, MemberQuery query) {
  std::vector<std::string> ids;
  for (int pages = 0;; ++pages) {
    BOOST_TEST_REQUIRE(pages < 1000);
    auto page = p.read().Members(query);
    BOOST_TEST_REQUIRE(Succeeded(page));
    for (const auto& m : page->members) ids.push_back(m.membership_id);
    if (page->next_cursor.empty()) break;
    BOOST_TEST(page->members.size() == query.limit);
    BOOST_TEST(!page->capped);
    query.after = page->next_cursor;
  }
  return ids;
}

BOOST_AUTO_TEST_CASE(PagesThroughEveryMemberInIdOrder) {
  TempDir dir;
  auto p = Roster(dir);
  const auto ids = AllPages(*p, Query("", MemberFilter::kAll, 50));
  BOOST_TEST(ids == Expected([](int) { return true; }), boost::test_tools::per_element());
  BOOST_TEST(AsSet(ids).size() == ids.size());  // no duplicates
  BOOST_TEST(std::is_sorted(ids.begin(), ids.end()));

  auto first = p->read().Members(Query("", MemberFilter::kAll, 50));
  BOOST_TEST_REQUIRE(Succeeded(first));
  BOOST_TEST(first->members.size() == 50u);
  // A page that ends exactly at the last member has no cursor.
  auto most = p->read().Members(Query("", MemberFilter::kAll, kMembers - 3));
  BOOST_TEST_REQUIRE(Succeeded(most));
  BOOST_TEST(most->members.back().membership_id == Id(kMembers - 3));
  auto last = p->read().Members(Query("", MemberFilter::kAll, 3, most->next_cursor));
  BOOST_TEST_REQUIRE(Succeeded(last));
  BOOST_TEST(last->members.size() == 3u);
  BOOST_TEST(last->next_cursor.empty());
  // A cursor is opaque: a membership id is not one.
  auto bad = p->read().Members(Query("", MemberFilter::kAll, 3, Id(kMembers - 3)));
  BOOST_TEST(passledger::testing::FailedWith(bad, ErrorCode::kInvalidArgument));

  // The stub of a member never enrolled is not a member.
  auto stub = p->read().Member("m9999");
  BOOST_TEST_REQUIRE(Succeeded(stub));
  BOOST_TEST(!stub->has_value());
  auto counts = p->read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  BOOST_TEST(Int(ToJson(*counts), "members") == kMembers);
}

BOOST_AUTO_TEST_CASE(FiltersSelectByStatus) {
  TempDir dir;
  auto p = Roster(dir);
  struct Case {
    MemberFilter filter;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {MemberFilter::kAll, Expected([](int) { return true; })},
      {MemberFilter::kActive, Expected([](int i) { return !Lapsed(i) && !Left(i); })},
      {MemberFilter::kLapsed, Expected(Lapsed)},
      {MemberFilter::kLeftRoster, Expected(Left)},
      {MemberFilter::kForgotten, Expected(Forgotten)},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("filter " << static_cast<int>(c.filter)) {
      BOOST_TEST(AllPages(*p, Query("", c.filter, 7)) == c.expected,
                 boost::test_tools::per_element());
    }
  }
  auto counts = p->read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  BOOST_TEST(Int(ToJson(*counts), "membersActive") ==
             static_cast<std::int64_t>(Expected([](int i) { return !Lapsed(i); }).size()));
  BOOST_TEST(Int(ToJson(*counts), "membersLeft") ==
             static_cast<std::int64_t>(Expected(Left).size()));
  BOOST_TEST(Int(ToJson(*counts), "membersForgotten") ==
             static_cast<std::int64_t>(Expected(Forgotten).size()));
}

BOOST_AUTO_TEST_CASE(SearchesByIdPrefixNameWordAndEmail) {
  TempDir dir;
  auto p = Roster(dir);
  struct Case {
    std::string search;
    MemberFilter filter;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      // Membership id prefixes (forgotten members keep their id).
      {"m01", MemberFilter::kAll, Expected([](int i) { return i >= 100; })},
      {"m0042", MemberFilter::kAll, {"m0042"}},
      {"m01", MemberFilter::kLapsed, Expected([](int i) { return i >= 100 && Lapsed(i); })},
      // First-name words, case-insensitively; forgotten members are no longer found by name.
      {"grace", MemberFilter::kAll, Expected([](int i) { return i % 10 == 1 && !Forgotten(i); })},
      {"GRACE", MemberFilter::kAll, Expected([](int i) { return i % 10 == 1 && !Forgotten(i); })},
      {"Gra", MemberFilter::kAll, Expected([](int i) { return i % 10 == 1 && !Forgotten(i); })},
      {"grace", MemberFilter::kActive,
       Expected([](int i) { return i % 10 == 1 && !Forgotten(i) && !Lapsed(i) && !Left(i); })},
      // Last-name words.
      {"hopper", MemberFilter::kAll,
       Expected([](int i) { return (i / 10) % 10 == 1 && !Forgotten(i); })},
      // E-mail addresses (stored lowercased), whole or by their start.
      {Email(12), MemberFilter::kAll, {"m0012"}},
      {"alan.hopper12@example.org", MemberFilter::kAll, {"m0012"}},
      {"ada.lovelace100@", MemberFilter::kAll, {"m0100"}},
      {Email(22), MemberFilter::kAll, {}},  // m0022 is forgotten
      {"nobody", MemberFilter::kAll, {}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("search \"" << c.search << "\"") {
      BOOST_TEST(AllPages(*p, Query(c.search, c.filter, 4)) == c.expected,
                 boost::test_tools::per_element());
    }
  }
}

// A member found by several of its words (first name, last name, e-mail) is listed once,
// under the first of them; a member found by its id is not listed again by a name.
BOOST_AUTO_TEST_CASE(ASearchListsEachMemberOnceInTheOrderOfItsWords) {
  TempDir dir;
  auto p = Roster(dir);
  std::vector<std::pair<std::string, std::string>> by_term;  // (first matching word, id)
  for (int i = 1; i <= kMembers; ++i) {
    if (Forgotten(i)) continue;
    std::string first = LowerAscii(First(i)), last = LowerAscii(kLast[(i / 10) % 10]);
    std::string word = std::min(first, last);
    if (!first.starts_with("a")) word = last;
    if (!last.starts_with("a")) word = first;
    if (word.starts_with("a")) by_term.emplace_back(word, Id(i));
  }
  std::sort(by_term.begin(), by_term.end());
  std::vector<std::string> expected;
  for (const auto& [word, id] : by_term) expected.push_back(id);
  BOOST_TEST_REQUIRE(expected.size() > 20u);
  BOOST_TEST(AllPages(*p, Query("a", MemberFilter::kAll, 6)) == expected,
             boost::test_tools::per_element());
  // "m" starts every id and the first name Margaret: each member once, in id order.
  BOOST_TEST(AllPages(*p, Query("m", MemberFilter::kAll, 9)) == Expected([](int) { return true; }),
             boost::test_tools::per_element());
}

// A sparse filter stops at the scan cap with a short page and a cursor that goes on.
BOOST_AUTO_TEST_CASE(TheScanCapEndsAShortPageWithACursorThatGoesOn) {
  TempDir dir;
  auto p = Roster(dir);
  for (const std::string search : {"", "a"}) {
    MemberQuery query = Query(search, MemberFilter::kForgotten, 50);
    query.max_scanned = 20;
    std::vector<std::string> ids;
    int capped = 0;
    for (int pages = 0;; ++pages) {
      BOOST_TEST_REQUIRE(pages < 100);
      auto page = p->read().Members(query);
      BOOST_TEST_REQUIRE(Succeeded(page));
      BOOST_TEST(page->scanned <= 20u);
      capped += page->capped ? 1 : 0;
      for (const auto& m : page->members) ids.push_back(m.membership_id);
      if (page->next_cursor.empty()) break;
      query.after = page->next_cursor;
    }
    BOOST_TEST_CONTEXT("search \"" << search << "\"") {
      // Forgotten members have no name words left: the search finds none of them.
      BOOST_TEST(ids == (search.empty() ? Expected(Forgotten) : std::vector<std::string>()),
                 boost::test_tools::per_element());
      BOOST_TEST(capped > 0);
    }
  }
}

// Level, e-mailed and on-device filters, alone and together, from counts the folder keeps on
// each member (an e-mail sent, a device registered and unregistered again).
BOOST_AUTO_TEST_CASE(LevelEmailedAndOnDeviceFiltersCombine) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  const char* const levels[] = {"Individual", "Family", "family"};
  for (int i = 1; i <= 12; ++i) {
    p->Append(catalogued::Enrol(Id(i), levels[i % 3], true,
                                Personal::Named("Member " + Id(i), {"Member " + Id(i)})));
    p->IssuePass("S" + Id(i), Id(i), kMemberPass, "Member " + Id(i));
  }
  for (int i : {2, 3, 4}) {
    p->EmailRequested("S" + Id(i), Id(i), "m@example.org");
    p->EmailSent("S" + Id(i));
  }
  p->EmailRequested("S" + Id(5), Id(5), "m@example.org");
  p->EmailFailed("S" + Id(5), /*will_retry=*/false);
  for (int i : {3, 6}) p->Register("dev-" + Id(i), kMemberPass, "S" + Id(i), "tok");
  p->Register("dev-x", kMemberPass, "S" + Id(7), "tok");
  p->Unregister("dev-x", kMemberPass, "S" + Id(7));
  // Each query twice: over the member records, and through the search index's name phase
  // ("mem" starts every member's name "Member m00nn"), whose entries hold the same fields.
  auto ids = [&](std::string level, std::optional<bool> emailed, std::optional<bool> on_device) {
    MemberQuery query = Query("", MemberFilter::kAll, 500);
    query.level = std::move(level);
    query.emailed = emailed;
    query.on_device = on_device;
    const auto listed = AllPages(*p, query);
    query.search = "mem";
    query.limit = 2;
    BOOST_TEST(AllPages(*p, query) == listed, boost::test_tools::per_element());
    return listed;
  };
  auto numbered = [](std::vector<int> numbers) {
    std::vector<std::string> out;
    for (int i : numbers) out.push_back(Id(i));
    return out;
  };
  BOOST_TEST(ids("FAMILY", {}, {}) == numbered({1, 2, 4, 5, 7, 8, 10, 11}),
             boost::test_tools::per_element());
  BOOST_TEST(ids("", true, {}) == numbered({2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(ids("", {}, true) == numbered({3, 6}), boost::test_tools::per_element());
  BOOST_TEST(ids("", true, true) == numbered({3}), boost::test_tools::per_element());
  BOOST_TEST(ids("family", true, false) == numbered({2, 4}), boost::test_tools::per_element());
  BOOST_TEST(ids("", false, false).size() == 12u - 4u);
  auto member = p->read().Member(Id(3));
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST((*member)->passes_installed == 1);
  BOOST_TEST((*member)->passes_emailed == 1);
  BOOST_TEST(((*member)->email_status == EmailStatus::kSent));
  auto failed = p->read().Member(Id(5));
  BOOST_TEST_REQUIRE(Succeeded(failed));
  BOOST_TEST(((*failed)->email_status == EmailStatus::kFailed));
  auto counts = p->read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  BOOST_TEST(counts->passes_installed == 2);
  BOOST_TEST(counts->devices_registered == 2);
  BOOST_TEST(counts->devices == 3);
  BOOST_TEST(counts->emails_sent == 3);
  BOOST_TEST(counts->emails_failed == 1);
  auto report = p->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(staff_scan)

// Every staff record in username order, disabled and forgotten ones too, no other view's
// records (the members around them share the snapshot), and an early stop.
BOOST_AUTO_TEST_CASE(ScanStaffVisitsEveryStaffRecordInUsernameOrder) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  log->Enrol("8-1", "Individual", true, Personal::Named("Avery Quill", {"Avery Quill"}));
  log->StaffCreated("carol", "auditor");
  log->StaffCreated("alice", "admin");
  log->StaffCreated("bob", "staff");
  log->Append(catalogued::StaffDisabled("bob"));
  BOOST_TEST_REQUIRE(
      Succeeded(log->log().Forget("staff:carol", "staff-carol", "test:runner", "request")));
  log->Enrol("9-1", "Individual", true, Personal::Named("Morgan Reyes", {"Morgan Reyes"}));
  std::vector<StaffView> seen;
  auto scanned = log->read().ScanStaff([&](const StaffView& staff) {
    seen.push_back(staff);
    return true;
  });
  BOOST_TEST_REQUIRE(Succeeded(scanned));
  BOOST_TEST_REQUIRE(seen.size() == 3u);
  BOOST_TEST(seen[0].username == "alice");
  BOOST_TEST(seen[0].role == "admin");
  BOOST_TEST(seen[1].username == "bob");
  BOOST_TEST(seen[1].disabled);
  BOOST_TEST(seen[2].username == "carol");
  BOOST_TEST(seen[2].forgotten);
  BOOST_TEST(seen[2].password_hash.empty());
  std::size_t visited = 0;
  BOOST_TEST(Succeeded(log->read().ScanStaff([&](const StaffView&) { return ++visited < 2; })));
  BOOST_TEST(visited == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

// Forgetting a member (crypto-shredding, docs/STORAGE.md "Forgetting"): the views drop the member's personal
// fields and search terms, keep everything public, and stay equal to a replay of the log, in
// which the forgotten personal parts can no longer be read.
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "projections/projections.h"
#include "projections/read_model.h"
#include "projections/view_format.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::Change;
using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::ViewEntries;
namespace catalogued = passledger::testing::catalogued;

constexpr std::string_view kMemberPass = "pass.org.garden.member";

const Personal kAda{.name = "Ada Lovelace",
                    .first_name = "Ada",
                    .last_name = "Lovelace",
                    .email = "ada@example.com",
                    .cardholders = {"Ada Lovelace", "William King"}};
const Personal kGrace{.name = "Grace Hopper",
                      .first_name = "Grace",
                      .last_name = "Hopper",
                      .email = "grace@example.com",
                      .cardholders = {"Grace Hopper"}};

std::vector<std::string> Search(const ProjectedLog& p, std::string search) {
  auto page =
      p.read().Members(passledger::testing::Query(std::move(search), MemberFilter::kAll, 500));
  BOOST_TEST_REQUIRE(Succeeded(page));
  std::vector<std::string> ids;
  for (const auto& m : page->members) ids.push_back(m.membership_id);
  return ids;
}

// The member_search keys that point at `id`.
std::vector<std::string> SearchEntriesOf(const ProjectedLog& p, std::string_view id) {
  std::vector<std::string> terms;
  for (const auto& [key, value] : ViewEntries(p.projections())) {
    if (key[0] != static_cast<char>(format::View::kMemberSearch)) continue;
    const auto zero = key.find('\0');
    if (key.substr(zero + 1) == id) terms.push_back(key.substr(1, zero - 1));
  }
  return terms;
}

void RequireViewsMatchReplay(const ProjectedLog& p) {
  auto report = p.projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  for (const auto& d : report->differences) {
    BOOST_TEST_MESSAGE(d.view << " " << d.key << ":\n  live   " << d.live << "\n  replay "
                              << d.replay);
  }
  BOOST_TEST(report->differences.empty());
  BOOST_TEST((report->live == report->replay));
}

BOOST_AUTO_TEST_SUITE(forget)

BOOST_AUTO_TEST_CASE(ForgottenMemberLosesPersonalFieldsOnly) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->AppendAtomic({catalogued::Enrol("1", "Family", true, kAda),
                   catalogued::IssuePass("A1", "1", kMemberPass, "Ada Lovelace", 0),
                   catalogued::IssuePass("A2", "1", kMemberPass, "William King", 1)});
  p->AppendAtomic({catalogued::Enrol("2", "Individual", true, kGrace),
                   catalogued::IssuePass("G1", "2", kMemberPass, "Grace Hopper", 0)});
  p->ChangeMember("1", {}, {{"address", Change(nullptr, boost::json::object{{"zip", "01520"}})}});
  p->EmailRequested("A1", "1", "ada@example.com");
  p->Register("phone", kMemberPass, "A1", "tok");
  p->StaffCreated("alice", "staff");
  BOOST_TEST(Search(*p, "ada") == std::vector<std::string>{"1"});
  BOOST_TEST(!SearchEntriesOf(*p, "1").empty());
  auto grace_before = p->read().Member("2");
  auto grace_pass_before = p->read().Pass("G1");
  BOOST_TEST_REQUIRE(Succeeded(grace_before));
  BOOST_TEST_REQUIRE(Succeeded(grace_pass_before));
  const std::uint64_t a1_content = (**p->read().Pass("A1")).content_position;

  p->Forget("1");

  auto member = p->read().Member("1");
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST_REQUIRE(member->has_value());
  BOOST_TEST(!(*member)->personal.has_value());
  BOOST_TEST((*member)->forgotten);
  BOOST_TEST((*member)->level == "Family");  // public fields stay
  BOOST_TEST(((*member)->serials == std::vector<std::string>{"A1", "A2"}));
  for (std::string serial : {"A1", "A2"}) {
    BOOST_TEST_CONTEXT("pass " << serial) {
      auto pass = p->read().Pass(serial);  // still addressable by serial
      BOOST_TEST_REQUIRE(Succeeded(pass));
      BOOST_TEST_REQUIRE(pass->has_value());
      BOOST_TEST((*pass)->cardholder.empty());
      BOOST_TEST((*pass)->forgotten);
      BOOST_TEST((*pass)->membership_id == "1");
      // Void for good, with new content: the phones holding it are pushed a void pass.
      BOOST_TEST((*pass)->voided);
      BOOST_TEST((*pass)->void_reason == "forgotten");
      BOOST_TEST((*pass)->content_position > a1_content);
    }
  }
  // Unvoiding a forgotten member's pass moves its content but leaves it void.
  p->Append(catalogued::Unvoid("A1"));
  BOOST_TEST((**p->read().Pass("A1")).voided);
  auto registered = p->read().IsRegistered("phone", kMemberPass, "A1");
  BOOST_TEST_REQUIRE(Succeeded(registered));
  BOOST_TEST(*registered);

  // No search finds the member by what was personal; the index entries are gone.
  for (std::string term : {"ada", "lovelace", "ada@example.com", "william"}) {
    BOOST_TEST(Search(*p, term).empty(), term);
  }
  BOOST_TEST(SearchEntriesOf(*p, "1").empty());
  BOOST_TEST(Search(*p, "1") == std::vector<std::string>{"1"});  // the id still works

  auto counts = p->read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  BOOST_TEST(counts->members_forgotten == 1);
  BOOST_TEST(counts->members == 2);
  BOOST_TEST(counts->passes == 3);

  // The other member is untouched.
  auto grace = p->read().Member("2");
  BOOST_TEST_REQUIRE(Succeeded(grace));
  BOOST_TEST((**grace == **grace_before));
  auto grace_pass = p->read().Pass("G1");
  BOOST_TEST_REQUIRE(Succeeded(grace_pass));
  BOOST_TEST((**grace_pass == **grace_pass_before));
  BOOST_TEST(Search(*p, "grace") == std::vector<std::string>{"2"});

  RequireViewsMatchReplay(*p);

  // Public events after forgetting are still folded.
  p->ChangeMember("1", {{"level", Change("Family", "Patron")}});
  p->Revise("A1");
  p->EmailSent("A1");
  member = p->read().Member("1");
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST((*member)->level == "Patron");
  BOOST_TEST(!(*member)->personal.has_value());
  RequireViewsMatchReplay(*p);

  // A rebuild replays the forgotten personal parts as unreadable and lands on the same views.
  auto before = p->projections().LiveDigests();
  BOOST_TEST_REQUIRE(Succeeded(before));
  auto rebuilt = p->projections().Rebuild();
  BOOST_TEST_REQUIRE(Succeeded(rebuilt));
  auto after = p->projections().LiveDigests();
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST((*before == *after));
  for (const auto& [view, digest] : *before) {
    BOOST_TEST(digest == after->at(view), view);
  }
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(ForgottenStaffLosesThePasswordHash) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->StaffCreated("alice", "admin");
  p->StaffCreated("bob", "staff");
  // Fields added after the password hash: forgetting must not reorder them.
  p->Append(catalogued::StaffLoginFailed("bob", 2, 1'900'000'000'000'000));
  auto forgotten = p->log().Forget("staff:bob", "staff-bob", "test:runner", "left");
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  auto bob = p->read().Staff("bob");
  BOOST_TEST_REQUIRE(Succeeded(bob));
  BOOST_TEST((**bob).password_hash.empty());
  BOOST_TEST((**bob).forgotten);
  BOOST_TEST((**bob).role == "staff");
  auto alice = p->read().Staff("alice");
  BOOST_TEST_REQUIRE(Succeeded(alice));
  BOOST_TEST(!(**alice).password_hash.empty());  // the check above would see a hash
  p->Append(catalogued::StaffLoginFailed("bob", 1));
  RequireViewsMatchReplay(*p);
  auto before = p->projections().LiveDigests();
  BOOST_TEST_REQUIRE(Succeeded(p->projections().Rebuild()));
  auto after = p->projections().LiveDigests();
  BOOST_TEST_REQUIRE(Succeeded(before));
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST((*before == *after));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

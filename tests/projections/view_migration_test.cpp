// Opening a data directory whose views were written by a build before the binary record
// format (record format 1: JSON values, no '~format' entry): Attach rebuilds them from the log
// into a new generation, says so before and after, and lands on the views a fresh build
// makes; a read-only open refuses with a message that says what to do. The event log is not
// touched. (tests/tools/view_migration_test.sh does the same with a directory written by the
// former binary itself.)
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "projections/view_format.h"
#include "projections/view_json.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"
#include "projections/view_codec.h"

namespace passledger::projections {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::RawDb;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::ViewEntries;

constexpr std::string_view kMemberPass = "pass.org.garden.member";

const Personal kAda{.name = "Ada Lovelace",
                    .first_name = "Ada",
                    .last_name = "Lovelace",
                    .email = "ada@example.com",
                    .cardholders = {"Ada Lovelace"}};

void Populate(ProjectedLog& p) {
  p.Enrol("1", "Family", true, kAda);
  p.IssuePass("S1", "1", kMemberPass, "Ada Lovelace");
  p.Register("phone", kMemberPass, "S1", "00ff");
  p.EmailSent("S1");
  p.ImportStarted("imp-1");
  p.StaffCreated("alice", "admin");
  p.TemplatePublished(kMemberPass, 2);
}

// Rewrites every record of generation `cf` as JSON text and removes the format entry: what
// the former build left on disk, as far as Attach can tell.
void MakeFormatOne(const std::filesystem::path& data_dir, const std::string& cf,
                   const std::map<std::string, std::string>& entries) {
  RawDb raw(data_dir);
  for (const auto& [key, value] : entries) {
    if (key[0] == static_cast<char>(format::View::kCheckpoint)) continue;
    if (value.empty() || static_cast<std::uint8_t>(value[0]) != codec::kRecordFormat) continue;
    raw.Put(cf, key, R"({"formerFormat":true})");
  }
  raw.Delete(cf, format::Key(format::View::kCheckpoint, format::kFormatId));
}

BOOST_AUTO_TEST_SUITE(view_migration)

BOOST_AUTO_TEST_CASE(FormerFormatViewsAreRebuiltOnOpen) {
  TempDir dir;
  std::map<std::string, std::string> fresh;
  std::uint64_t head = 0;
  {
    auto p = ProjectedLog::Open(dir / "data");
    Populate(*p);
    head = p->log().GetHead().position;
    fresh = ViewEntries(p->projections());
    BOOST_TEST(p->projections().active()->id() == 1u);
  }
  BOOST_TEST_REQUIRE(fresh.count(format::Key(format::View::kCheckpoint, format::kFormatId)) == 1u);
  MakeFormatOne(dir / "data", format::GenerationCfName(1), fresh);

  // Read-only: nothing can be rebuilt, and the answer says what to do.
  {
    auto options = passledger::testing::TestOptions(dir / "data");
    options.read_only = true;
    auto opened = ProjectedLog::TryOpen(options);
    BOOST_TEST_REQUIRE(FailedWith(opened, ErrorCode::kFailedPrecondition));
    BOOST_TEST(opened.error().message.find("record format 1") != std::string::npos);
    BOOST_TEST(opened.error().message.find("passledger rebuild") != std::string::npos);
  }

  std::vector<std::string> notices;
  std::uint64_t progressed = 0;
  auto options = passledger::testing::TestOptions(dir / "data");
  auto opened = ProjectedLog::TryOpen(
      options, [&](const ReplayProgress& progress) { progressed = progress.position; },
      [&](const std::string& line) { notices.push_back(line); });
  BOOST_TEST_REQUIRE(Succeeded(opened));
  auto& p = **opened;
  BOOST_TEST_REQUIRE(notices.size() == 2u);
  BOOST_TEST(notices[0].find("record format 1") != std::string::npos);
  BOOST_TEST(notices[0].find("rebuilding") != std::string::npos);
  BOOST_TEST(notices[1].find("views rebuilt in record format 5") != std::string::npos);
  BOOST_TEST(progressed == head);
  BOOST_TEST(p.projections().active()->id() == 2u);
  BOOST_TEST(p.log().GetHead().position == head);  // the log is read, not written

  // The same views a fresh build makes, and readable through the read model.
  BOOST_TEST((ViewEntries(p.projections()) == fresh));
  auto member = p.read().Member("1");
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST_REQUIRE(member->has_value());
  BOOST_TEST((*member)->personal->email == "ada@example.com");
  auto verified = p.projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(verified));
  BOOST_TEST(verified->ok());

  // Appends go on into the new generation; the next open has nothing to migrate.
  p.Revise("S1");
  opened->reset();
  notices.clear();
  auto again = ProjectedLog::TryOpen(options, {}, [&](const std::string& line) {
    notices.push_back(line);
  });
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(notices.empty());
  BOOST_TEST((*again)->projections().active()->id() == 2u);
}

BOOST_AUTO_TEST_CASE(AnEmptyLogHasNothingToMigrate) {
  TempDir dir;
  { auto p = ProjectedLog::Open(dir / "data"); }
  std::vector<std::string> notices;
  auto opened = ProjectedLog::TryOpen(passledger::testing::TestOptions(dir / "data"), {},
                                      [&](const std::string& line) { notices.push_back(line); });
  BOOST_TEST_REQUIRE(Succeeded(opened));
  BOOST_TEST(notices.empty());
  BOOST_TEST((*opened)->projections().active()->id() == 1u);
}

BOOST_AUTO_TEST_CASE(AReadOfAFormerRecordSaysRebuild) {
  // Views that claim the current format but hold a JSON record (a half-migrated directory
  // copied by hand): the read fails with a message that says what to do, not garbage.
  TempDir dir;
  std::map<std::string, std::string> fresh;
  {
    auto p = ProjectedLog::Open(dir / "data");
    Populate(*p);
    fresh = ViewEntries(p->projections());
  }
  {
    RawDb raw(dir / "data");
    raw.Put(format::GenerationCfName(1), format::Key(format::View::kPasses, "S1"),
            R"({"serial":"S1"})");
  }
  auto p = ProjectedLog::Open(dir / "data");
  auto pass = p->read().Pass("S1");
  BOOST_TEST_REQUIRE(FailedWith(pass, ErrorCode::kCorruption));
  BOOST_TEST(pass.error().message.find("view format 1 (JSON)") != std::string::npos);
  auto verified = p->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(verified));
  BOOST_TEST_REQUIRE(!verified->ok());
  BOOST_TEST_REQUIRE(!verified->differences.empty());
  // The difference is shown readably: the live side's damage, the replay's record as JSON.
  BOOST_TEST(verified->differences[0].live.find("does not decode") != std::string::npos);
  BOOST_TEST(verified->differences[0].replay.find("\"serial\":\"S1\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

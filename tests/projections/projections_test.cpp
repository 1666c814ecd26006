// Projections: generations and their life cycle — Attach catching up with a log written
// without projections, stale generations left by an interrupted rebuild, the online rebuild
// while appends go on, and read-only attachment beside another process's writer.
#include "projections/projections.h"

#include <rocksdb/db.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "events/storage_format.h"
#include "projections/read_model.h"
#include "projections/view_format.h"
#include "projections/view_json.h"
#include "tests/projections/random_history.h"
#include "tests/testing/child_process.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"
#include "events/storage_access.h"

namespace passledger::projections {
namespace {

using namespace std::chrono_literals;
using passledger::testing::ApplyHistory;
using passledger::testing::ChildProcess;
using passledger::testing::FailedWith;
using passledger::testing::OpenLog;
using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::RandomHistory;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
namespace catalogued = passledger::testing::catalogued;

constexpr std::string_view kMemberPass = "pass.org.garden.member";

void RequireViewsMatchReplay(const ProjectedLog& p) {
  auto report = p.projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  for (const auto& d : report->differences) {
    BOOST_TEST_MESSAGE(d.view << " " << d.key << ":\n  live   " << d.live << "\n  replay "
                              << d.replay);
  }
  BOOST_TEST(report->ok());
}

std::uint64_t CheckpointOf(const ProjectedLog& p) {
  auto checkpoint = p.read().Checkpoint();
  BOOST_TEST_REQUIRE(Succeeded(checkpoint));
  return *checkpoint;
}

std::int64_t Count(const ProjectedLog& p, const char* name) {
  auto counts = p.read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  return ToJson(*counts).at(name).to_number<std::int64_t>();
}

std::vector<std::string> ColumnFamilies(const std::filesystem::path& data_dir) {
  std::vector<std::string> names;
  const auto status = rocksdb::DB::ListColumnFamilies(
      rocksdb::DBOptions(), (data_dir / events::format::kDbDir).string(), &names);
  BOOST_TEST_REQUIRE(status.ok(), status.ToString());
  return names;
}

std::vector<std::string> GenerationCfs(const std::filesystem::path& data_dir) {
  std::vector<std::string> generations;
  for (const auto& name : ColumnFamilies(data_dir)) {
    if (name.starts_with(format::kViewsCfPrefix)) generations.push_back(name);
  }
  std::sort(generations.begin(), generations.end());
  return generations;
}

// Adds column families with one junk entry each, straight through RocksDB, the way an
// interrupted rebuild leaves its half-filled generation behind. The log must be closed.
void AddColumnFamilies(const std::filesystem::path& data_dir,
                       const std::vector<std::string>& names) {
  const std::string path = (data_dir / events::format::kDbDir).string();
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : ColumnFamilies(data_dir))
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw);
  BOOST_TEST_REQUIRE(status.ok(), status.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (const auto& name : names) {
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    status = db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), name, &cf);
    BOOST_TEST_REQUIRE(status.ok(), status.ToString());
    handles.push_back(cf);
    status = db->Put(rocksdb::WriteOptions(), cf, "Mjunk", "{\"half\":true}");
    BOOST_TEST_REQUIRE(status.ok(), status.ToString());
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  BOOST_TEST_REQUIRE(db->Close().ok());
}

// A small catalogued story: `members` members with a pass each, from `first`.
std::vector<events::AppendRequest> Members(int first, int members) {
  std::vector<events::AppendRequest> requests;
  for (int i = first; i < first + members; ++i) {
    const std::string id = "m" + std::to_string(i);
    requests.push_back(
        catalogued::Enrol(id, "Individual", true, Personal::Named("Member " + id, {"Holder"})));
    requests.push_back(catalogued::IssuePass("S" + std::to_string(i), id, kMemberPass, "Holder"));
  }
  return requests;
}

BOOST_AUTO_TEST_SUITE(attach)

// An altered view is caught by the replay comparison, which names the view and the key.
BOOST_AUTO_TEST_CASE(VerifyAgainstReplayNamesAnAlteredRecord) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->Enrol("8-1", "Family", true, Personal::Named("Ada Quill", {"Ada Quill"}));
  p->Enrol("8-2", "Individual", true, Personal::Named("Bo Reyes", {"Bo Reyes"}));
  RequireViewsMatchReplay(*p);
  auto generation = p->projections().active();
  rocksdb::WriteOptions write;
  const std::string key = format::Key(format::View::kMembers, "8-2");
  std::string value;
  BOOST_TEST_REQUIRE(
      events::StorageAccess::Db(p->log())->Get(rocksdb::ReadOptions(), generation->cf(), key, &value).ok());
  const auto at = value.find("Individual");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  value.replace(at, 10, "Benefactor");
  BOOST_TEST_REQUIRE(events::StorageAccess::Db(p->log())->Put(write, generation->cf(), key, value).ok());
  auto report = p->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(!report->ok());
  BOOST_TEST_REQUIRE(report->differences.size() == 1u);
  BOOST_TEST(report->differences[0].view == "members");
  BOOST_TEST(report->differences[0].key == "M8-2");
  BOOST_TEST(report->differences[0].live.find("Benefactor") != std::string::npos);
  BOOST_TEST(report->differences[0].replay.find("Individual") != std::string::npos);
  BOOST_TEST(report->live.at("members") != report->replay.at("members"));
  BOOST_TEST(report->live.at("passes") == report->replay.at("passes"));
}

BOOST_AUTO_TEST_CASE(AttachFoldsWhatALogWithoutProjectionsAppended) {
  TempDir dir;
  const auto data = dir / "data";
  RandomHistory history(99, 60);
  const auto steps = history.Generate(800);
  {
    auto log = OpenLog(data);  // no projections at all
    ApplyHistory(*log, steps, /*pipelined=*/true);
  }
  BOOST_TEST(GenerationCfs(data).empty());

  std::uint64_t head = 0;
  {
    std::uint64_t last_progress = 0;
    auto p = ProjectedLog::Open(
        data, false, [&](const ReplayProgress& progress) { last_progress = progress.position; });
    head = p->log().GetHead().position;
    BOOST_TEST(last_progress == head);
    BOOST_TEST(CheckpointOf(*p) == head);
    BOOST_TEST(p->projections().active()->id() == 1u);
    RequireViewsMatchReplay(*p);
    BOOST_TEST(Count(*p, "members") == history.Expect().members);
    BOOST_TEST(Count(*p, "passes") == history.Expect().passes);
    p->AppendAtomic(Members(0, 3));  // inline from now on
  }
  BOOST_TEST(GenerationCfs(data) == std::vector<std::string>{"views@g1"});

  {
    int progress_calls = 0;
    auto p = ProjectedLog::Open(data, false, [&](const ReplayProgress&) { ++progress_calls; });
    BOOST_TEST(progress_calls == 0);  // nothing to fold
    BOOST_TEST(p->projections().active()->id() == 1u);
    BOOST_TEST(CheckpointOf(*p) == head + 6);
    RequireViewsMatchReplay(*p);
  }

  // Written without projections again: only the tail is folded.
  {
    auto log = OpenLog(data);
    BOOST_TEST_REQUIRE(Succeeded(log->AppendAtomic(Members(10, 5))));
  }
  {
    std::vector<ReplayProgress> calls;
    auto p = ProjectedLog::Open(data, false,
                                [&](const ReplayProgress& progress) { calls.push_back(progress); });
    BOOST_TEST_REQUIRE(!calls.empty());
    BOOST_TEST(calls.back().position == head + 16);
    BOOST_TEST(CheckpointOf(*p) == head + 16);
    BOOST_TEST(p->projections().active()->id() == 1u);
    BOOST_TEST(Count(*p, "members") == history.Expect().members + 8);
    RequireViewsMatchReplay(*p);
  }
}

BOOST_AUTO_TEST_CASE(AttachDropsStaleGenerationsAndRebuildStillWorks) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto p = ProjectedLog::Open(data);
    p->AppendAtomic(Members(0, 20));
  }
  // views@g2 is what a rebuild interrupted by a crash leaves; views@g7 any other leftover.
  AddColumnFamilies(data, {"views@g2", "views@g7"});
  BOOST_TEST((GenerationCfs(data) == std::vector<std::string>{"views@g1", "views@g2", "views@g7"}));
  {
    auto p = ProjectedLog::Open(data);
    BOOST_TEST(p->projections().active()->id() == 1u);
    BOOST_TEST(GenerationCfs(data) == std::vector<std::string>{"views@g1"});
    RequireViewsMatchReplay(*p);
    auto junk = p->read().Member("junk");
    BOOST_TEST_REQUIRE(Succeeded(junk));
    BOOST_TEST(!junk->has_value());

    // The next rebuild must not trip over the generation that was just dropped.
    auto rebuilt = p->projections().Rebuild();
    BOOST_TEST_REQUIRE(Succeeded(rebuilt));
    const std::uint64_t generation = p->projections().active()->id();
    BOOST_TEST(generation > 1u);
    RequireViewsMatchReplay(*p);
    p->AppendAtomic(Members(20, 2));
    BOOST_TEST(Count(*p, "members") == 22);
    RequireViewsMatchReplay(*p);
  }
  {
    auto p = ProjectedLog::Open(data);
    BOOST_TEST(p->projections().active()->id() > 1u);
    BOOST_TEST(GenerationCfs(data).size() == 1u);
    BOOST_TEST(Count(*p, "members") == 22);
    RequireViewsMatchReplay(*p);
  }
}

// Attach folds the missing events without the WAL; the next append writes the checkpoint with
// it. A crash right after must not leave a checkpoint that claims events the views lost.
BOOST_AUTO_TEST_CASE(AttachCatchUpSurvivesACrash) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto log = OpenLog(data);  // without projections
    BOOST_TEST_REQUIRE(Succeeded(log->AppendAtomic(Members(0, 50))));
  }
  auto child = ChildProcess::Start({PASSLEDGER_ATTACH_CHILD, data.string()});
  const auto ready = child.ReadLine(60s);
  BOOST_TEST_REQUIRE(ready.has_value());
  BOOST_TEST_REQUIRE(*ready == "ready 101");
  child.Kill(SIGKILL);
  child.Wait();

  auto p = ProjectedLog::Open(data);
  BOOST_TEST(CheckpointOf(*p) == 101u);
  BOOST_TEST(Count(*p, "members") == 51);
  BOOST_TEST(Count(*p, "passes") == 50);
  auto member = p->read().Member("m7");
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST(member->has_value());
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(ReadOnlyAttachAnswersBesideAnotherWriter) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto p = ProjectedLog::Open(data);
    p->AppendAtomic(Members(0, 4));
    p->Register("phone", kMemberPass, "S1", "tok");
    p->Revise("S1");
  }
  std::uint64_t written = 0;
  {
    auto p = ProjectedLog::Open(data);
    written = p->log().GetHead().position;
  }
  const auto cfs_before = ColumnFamilies(data);

  // Another process holds the writer and appends three (uncatalogued) events without
  // projections.
  auto child = ChildProcess::Start({PASSLEDGER_CRASH_CHILD, "hold", data.string(), "3"});
  const auto ready = child.ReadLine(60s);
  BOOST_TEST_REQUIRE(ready.has_value());
  BOOST_TEST_REQUIRE(ready->starts_with("ready "));
  BOOST_TEST(ready->ends_with(" " + std::to_string(written + 3)));

  // A second writer is refused; a read-only log with projections attached answers.
  events::OpenOptions writable = passledger::testing::TestOptions(data);
  auto refused = ProjectedLog::TryOpen(writable);
  BOOST_TEST(!refused.has_value());
  {
    auto p = ProjectedLog::Open(data, /*read_only=*/true);
    BOOST_TEST(p->log().read_only());
    BOOST_TEST(CheckpointOf(*p) == written);  // the views as they were
    auto member = p->read().Member("m2");
    BOOST_TEST_REQUIRE(Succeeded(member));
    BOOST_TEST_REQUIRE(member->has_value());
    BOOST_TEST((**member).personal->name == "Member m2");
    auto updated = p->read().SerialsUpdatedSince("phone", kMemberPass, "");
    BOOST_TEST_REQUIRE(Succeeded(updated));
    BOOST_TEST(updated->serials == std::vector<std::string>{"S1"});
    auto page = p->read().Members(passledger::testing::Query("member", MemberFilter::kAll, 10));
    BOOST_TEST_REQUIRE(Succeeded(page));
    BOOST_TEST(page->members.size() == 4u);
    BOOST_TEST(Count(*p, "passes") == 4);
    BOOST_TEST(FailedWith(p->projections().Rebuild(), ErrorCode::kFailedPrecondition));
    RequireViewsMatchReplay(*p);
  }
  BOOST_TEST(ColumnFamilies(data) == cfs_before);  // read-only created nothing

  child.CloseStdin();
  const int status = child.Wait();
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);

  // The writer's three events are folded at the next writable attach.
  auto p = ProjectedLog::Open(data);
  BOOST_TEST(CheckpointOf(*p) == written + 3);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_CASE(ReadOnlyAttachCreatesNoGeneration) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto log = OpenLog(data);  // never opened with projections
    BOOST_TEST_REQUIRE(Succeeded(log->AppendAtomic(Members(0, 2))));
  }
  events::OpenOptions options = passledger::testing::TestOptions(data);
  options.read_only = true;
  auto p = ProjectedLog::TryOpen(options);
  BOOST_TEST(FailedWith(p, ErrorCode::kNotFound));
  BOOST_TEST(GenerationCfs(data).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rebuild)

BOOST_AUTO_TEST_CASE(OnlineRebuildWhileAppendsContinue) {
  TempDir dir;
  const auto data = dir / "data";
  auto p = ProjectedLog::Open(data);
  // More events than the rebuild folds with commits paused, so that it chases the head.
  RandomHistory history(4242, 300);
  ApplyHistory(p->log(), history.Generate(7'000), /*pipelined=*/true);
  const std::uint64_t generation = p->projections().active()->id();
  const std::int64_t members_before = Count(*p, "members");
  const std::int64_t passes_before = Count(*p, "passes");

  constexpr int kAppends = 1'000;  // 2 events each
  std::atomic<int> appended{0};
  std::atomic<int> failed{0};
  std::string first_failure;
  std::jthread appender([&] {
    for (int i = 0; i < kAppends; ++i) {
      auto result = p->log().AppendAtomic(Members(100'000 + i, 1));
      if (!result) {
        if (failed++ == 0) first_failure = result.error().ToString();
      }
      appended.fetch_add(1);
    }
  });
  while (appended.load() < 20) std::this_thread::sleep_for(1ms);
  const int at_start = appended.load();
  std::uint64_t progress_calls = 0;
  auto rebuilt = p->projections().Rebuild([&](const ReplayProgress&) { ++progress_calls; });
  const int at_end = appended.load();
  appender.join();

  BOOST_TEST_REQUIRE(Succeeded(rebuilt));
  BOOST_TEST(failed.load() == 0, first_failure);
  BOOST_TEST_MESSAGE("rebuild folded " << rebuilt->events << " events in " << rebuilt->seconds
                                       << " s while " << at_end - at_start << " of " << kAppends
                                       << " appends went on");
  BOOST_WARN_MESSAGE(at_end > at_start, "no append overlapped the rebuild");
  BOOST_TEST(progress_calls > 0u);
  BOOST_TEST(p->projections().active()->id() == generation + 1);
  BOOST_TEST(!p->log().FailStopError().has_value());

  const std::uint64_t head = p->log().GetHead().position;
  BOOST_TEST(CheckpointOf(*p) == head);
  BOOST_TEST(Count(*p, "members") == members_before + kAppends);
  BOOST_TEST(Count(*p, "passes") == passes_before + kAppends);
  for (int i = 0; i < kAppends; i += 97) {
    auto member = p->read().Member("m" + std::to_string(100'000 + i));
    BOOST_TEST_REQUIRE(Succeeded(member));
    BOOST_TEST(member->has_value(), i);
  }
  RequireViewsMatchReplay(*p);

  // The old generation is gone (once nothing reads it), on disk too after a reopen.
  p.reset();
  BOOST_TEST(GenerationCfs(data) ==
             std::vector<std::string>{format::GenerationCfName(generation + 1)});
  auto reopened = ProjectedLog::Open(data);
  BOOST_TEST(reopened->projections().active()->id() == generation + 1);
  BOOST_TEST(Count(*reopened, "members") == members_before + kAppends);
  RequireViewsMatchReplay(*reopened);
}

BOOST_AUTO_TEST_CASE(ReadersKeepTheirGenerationAcrossARebuild) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  p->AppendAtomic(Members(0, 10));
  auto held = p->projections().active();  // a reader in the middle of a query
  auto rebuilt = p->projections().Rebuild();
  BOOST_TEST_REQUIRE(Succeeded(rebuilt));
  BOOST_TEST(p->projections().active()->id() == held->id() + 1);
  // The old generation still reads until released.
  std::string value;
  const auto status = held->db()->Get(rocksdb::ReadOptions(), held->cf(),
                                      format::Key(format::View::kMembers, "m3"), &value);
  BOOST_TEST(status.ok(), status.ToString());
  held.reset();
  p->AppendAtomic(Members(10, 1));
  BOOST_TEST(Count(*p, "members") == 11);
  RequireViewsMatchReplay(*p);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

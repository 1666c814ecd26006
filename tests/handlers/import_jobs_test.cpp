// Background imports for the admin API (issue 16): a job runs to completion with live
// progress, the same file again is the same job, a dry run writes nothing, a bad file fails
// with a reason, and the queue is bounded.
#include "handlers/import/import_jobs.h"

#include <boost/test/unit_test.hpp>

#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {

std::ostream& operator<<(std::ostream& os, ImportJobState state) {
  return os << ImportJobStateName(state);
}

namespace {

using passledger::testing::FailedWith;
using passledger::testing::ProjectedLog;
using passledger::testing::RosterHeader;
using passledger::testing::RosterRow;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

// Starts an import of `bytes`, which the job keeps alive.
Result<ImportStart> StartImport(ImportJobs& jobs, std::string bytes, std::string name,
                                std::string actor) {
  auto owner = std::make_shared<const std::string>(std::move(bytes));
  const std::string_view view = *owner;
  return jobs.Start(std::move(owner), view, std::move(name), std::move(actor));
}

// Follows the job's changes until it ends; the revisions seen, in order.
ImportJobStatus WaitUntilDone(const ImportJobs& jobs, const std::string& id,
                              std::vector<std::uint64_t>* revisions = nullptr) {
  std::uint64_t seen = 0;
  for (int i = 0; i < 100'000; ++i) {
    auto status = jobs.WaitForChange(id, seen, std::chrono::seconds(30));
    BOOST_TEST_REQUIRE(status.has_value());
    BOOST_TEST_REQUIRE(status->revision > seen);
    seen = status->revision;
    if (revisions) revisions->push_back(seen);
    if (status->state == ImportJobState::kCompleted || status->state == ImportJobState::kFailed) {
      return *status;
    }
  }
  BOOST_FAIL("the import did not end");
  return {};
}

std::string ManyRows(int count, int first = 1) {
  std::string roster = RosterHeader();
  for (int i = first; i < first + count; ++i) {
    roster += RosterRow("9-" + std::to_string(20000000 + i), "m" + std::to_string(i) + "@example.org");
  }
  return roster;
}

BOOST_AUTO_TEST_SUITE(import_jobs)

BOOST_AUTO_TEST_CASE(AJobRunsToTheEndAndTheSameFileIsTheSameJob) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  ImportJobs jobs(&log->log(), &log->projections(), {});
  auto started = StartImport(jobs, SampleRoster(), "altru-roster.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(started));
  BOOST_TEST(!started->existing);
  std::vector<std::uint64_t> revisions;
  const ImportJobStatus done = WaitUntilDone(jobs, started->import_id, &revisions);
  BOOST_TEST_REQUIRE(done.state == ImportJobState::kCompleted);
  BOOST_TEST_REQUIRE(done.summary.has_value());
  BOOST_TEST(done.summary->import_id == started->import_id);
  BOOST_TEST(done.summary->counts.enrolled == 6u);
  BOOST_TEST((done.progress.phase == ImportProgress::Phase::kDone));
  BOOST_TEST(revisions.size() >= 2u);  // running, then done at least
  auto view = log->read().Import(started->import_id);
  BOOST_TEST_REQUIRE(Succeeded(view));
  BOOST_TEST_REQUIRE(view->has_value());
  BOOST_TEST((*view)->actor == "staff:alice");

  const std::uint64_t head = log->log().GetHead().position;
  auto again = StartImport(jobs, SampleRoster(), "copy.csv", "staff:bob");
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->existing);
  BOOST_TEST(again->import_id == started->import_id);
  BOOST_TEST(log->log().GetHead().position == head);  // nothing was started
}

BOOST_AUTO_TEST_CASE(ADryRunWritesNothing) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  const ImportJobs jobs(&log->log(), &log->projections(), {});
  auto preview = jobs.DryRun(SampleRoster(), "altru-roster.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(preview));
  BOOST_TEST(preview->dry_run);
  BOOST_TEST(preview->counts.enrolled == 6u);
  BOOST_TEST(!preview->changes.empty());
  BOOST_TEST(log->log().GetHead().position == 0u);
}

BOOST_AUTO_TEST_CASE(ABadFileFailsWithAReason) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  ImportJobs jobs(&log->log(), &log->projections(), {});
  auto started = StartImport(jobs, "not,a,roster\n1,2,3\n", "junk.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(started));
  const ImportJobStatus done = WaitUntilDone(jobs, started->import_id);
  BOOST_TEST(done.state == ImportJobState::kFailed);
  BOOST_TEST(!done.error.empty());
  BOOST_TEST(log->log().GetHead().position == 0u);  // a rejected file writes nothing
  // Failed: the same file is tried again as a new job.
  auto again = StartImport(jobs, "not,a,roster\n1,2,3\n", "junk.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(!again->existing);
}

BOOST_AUTO_TEST_CASE(TheQueueIsBounded) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  ImportJobs jobs(&log->log(), &log->projections(), {}, /*max_queued=*/1);
  auto first = StartImport(jobs, ManyRows(20'000), "big.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(first));
  // The first leaves the queue when it starts; wait for that, so the next one is what waits.
  for (auto s = jobs.Live(first->import_id); s && s->state == ImportJobState::kQueued;
       s = jobs.Live(first->import_id)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto second = StartImport(jobs, ManyRows(10, 900'000), "small.csv", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(second));
  auto third = StartImport(jobs, ManyRows(10, 800'000), "other.csv", "staff:alice");
  BOOST_TEST(FailedWith(third, ErrorCode::kUnavailable));
  BOOST_TEST(WaitUntilDone(jobs, first->import_id).state == ImportJobState::kCompleted);
  BOOST_TEST(WaitUntilDone(jobs, second->import_id).state == ImportJobState::kCompleted);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

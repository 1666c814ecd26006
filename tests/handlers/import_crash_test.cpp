// Crash resume: `passledger import` of a 100,000-row roster is killed with SIGKILL at random
// points, ten times; running it again finishes the job. The result must equal a clean
// single-run import of the same file — same members, same passes (serials are random, so
// passes are compared by member, cardholder and state), the same number of events of every
// type — and no event may be written twice.
#include <signal.h>
#include <sys/wait.h>

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/child_process.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"
#include "projections/view_json.h"

namespace passledger::handlers {
namespace {

using boost::json::object;
using passledger::testing::ChildProcess;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kRows = 100'000;
constexpr int kKills = 10;

// Runs the passledger command to its end; returns its exit status and stdout.
std::pair<int, std::vector<std::string>> RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {PASSLEDGER_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child = ChildProcess::Start(argv);
  child.CloseStdin();
  auto lines = child.ReadLinesUntil(Clock::now() + std::chrono::minutes(10));
  const int status = child.Wait();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), lines};
}

struct KilledRun {
  bool killed = false;  // false: the run ended on its own before the kill
  int status = 0;       // exit status when it ended on its own
  std::vector<std::string> lines;
};

// Starts an import and kills it with SIGKILL after `delay` unless it has ended by then.
KilledRun ImportKilledAfter(const fs::path& data, const fs::path& roster,
                            std::chrono::milliseconds delay) {
  ChildProcess child =
      ChildProcess::Start({PASSLEDGER_CLI, "--data", data.string(), "import", roster.string()});
  child.CloseStdin();
  KilledRun run;
  run.lines = child.ReadLinesUntil(Clock::now() + delay);  // keeps the pipe drained
  child.Kill(SIGKILL);
  const int status = child.Wait();
  run.killed = WIFSIGNALED(status);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

std::string Without(object record, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) record.erase(key);
  return boost::json::serialize(record);
}

// Members and their passes in a form that does not depend on positions, times or serials.
std::map<std::string, std::string> Canonical(const ProjectedLog& p) {
  std::map<std::string, std::string> out;
  std::vector<std::string> ids;
  auto scanned = p.read().ScanMemberSummaries([&](const projections::MemberSummary& member) {
    ids.push_back(member.membership_id);
    return true;
  });
  BOOST_TEST_REQUIRE(Succeeded(scanned));
  for (const auto& id : ids) {
    auto member = p.read().Member(id);
    BOOST_TEST_REQUIRE(Succeeded(member));
    std::string text =
        Without(projections::ToJson(**member), {"serials", "enrolledPosition", "updatedPosition"});
    auto passes = p.read().PassesOfMember(id);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    std::vector<std::string> shown;
    for (const auto& pass : *passes) {
      shown.push_back(
          Without(projections::ToJson(pass),
                  {"serial", "issuedPosition", "contentPosition", "lastModifiedS"}));
    }
    std::sort(shown.begin(), shown.end());
    for (const auto& s : shown) text += "\n  " + s;
    out[id] = std::move(text);
  }
  return out;
}

std::map<std::string, int> EventTypes(const ProjectedLog& p) {
  std::map<std::string, int> types;
  for (std::uint64_t next = 1;;) {
    auto events = p.log().ReadRange(next, 20'000);
    BOOST_TEST_REQUIRE(Succeeded(events));
    if (events->empty()) break;
    for (const auto& e : *events) ++types[e.envelope.type];
    next = events->back().envelope.position + 1;
  }
  return types;
}

BOOST_AUTO_TEST_SUITE(import_crash)

BOOST_AUTO_TEST_CASE(an_import_killed_ten_times_resumes_to_the_clean_result,
                     *boost::unit_test::timeout(1500)) {
  TempDir dir;
  const fs::path roster = dir.path() / "roster.csv";
  auto [gen_status, gen_out] = RunCli({"gen-roster", std::to_string(kRows), "--seed", "11",
                                       "--bad-rows", "20", "--out", roster.string()});
  BOOST_TEST_REQUIRE(gen_status == 0);

  // The reference: one uninterrupted import.
  const auto clean_start = Clock::now();
  auto [clean_status, clean_out] =
      RunCli({"--data", (dir.path() / "clean").string(), "import", roster.string()});
  BOOST_TEST_REQUIRE(clean_status == 0);
  const auto clean_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - clean_start);
  BOOST_TEST_MESSAGE("clean import: " << clean_ms.count() << " ms");

  // Killed at random points: early ones in the reading phase, later ones mid-write. Each
  // resumed run has less left to do, so one may finish before its kill: that run completed
  // the job, and running the file again would be a new job, so the kills stop there.
  std::mt19937_64 rng(20261129);
  int killed_running = 0;
  std::optional<KilledRun> finished;
  for (int round = 0; round < kKills && !finished; ++round) {
    const auto delay = std::chrono::milliseconds(
        100 + static_cast<long>(rng() % static_cast<std::uint64_t>(clean_ms.count() / 3 + 1)));
    KilledRun run = ImportKilledAfter(dir.path() / "crashed", roster, delay);
    if (run.killed) {
      ++killed_running;
    } else {
      finished = std::move(run);
    }
  }
  BOOST_TEST_MESSAGE(killed_running << " runs were killed mid-way"
                                    << (finished ? ", then one finished the job" : ""));
  BOOST_TEST(killed_running >= 3);
  if (!finished) {
    auto [status, lines] =
        RunCli({"--data", (dir.path() / "crashed").string(), "import", roster.string()});
    finished = KilledRun{false, status, std::move(lines)};
  }
  BOOST_TEST_REQUIRE(finished->status == 0);
  const std::vector<std::string>& final_out = finished->lines;
  for (const auto& line : final_out) BOOST_TEST_MESSAGE("final: " << line);

  auto clean = ProjectedLog::Open(dir.path() / "clean");
  auto crashed = ProjectedLog::Open(dir.path() / "crashed");
  const auto clean_types = EventTypes(*clean);
  const auto crashed_types = EventTypes(*crashed);
  for (const auto& [type, count] : clean_types) {
    BOOST_TEST_CONTEXT(type) {
      const auto it = crashed_types.find(type);
      BOOST_TEST((it != crashed_types.end() && it->second == count),
                 "clean " << count << ", crashed " << (it == crashed_types.end() ? 0 : it->second));
    }
  }
  BOOST_TEST(crashed_types.size() == clean_types.size());
  BOOST_TEST(crashed_types.at("ImportStarted") == 1);
  BOOST_TEST(crashed_types.at("ImportCompleted") == 1);
  // gen-roster's bad rows take turns: no id, bad date, no status, bad e-mail (not a rejection).
  BOOST_TEST(crashed_types.at("ImportRowRejected") == 15);

  const auto a = Canonical(*clean);
  const auto b = Canonical(*crashed);
  BOOST_TEST(a.size() > 50'000u);
  BOOST_TEST_REQUIRE(a.size() == b.size());
  int shown = 0;
  for (const auto& [id, text] : a) {
    const auto it = b.find(id);
    if ((it == b.end() || it->second != text) && shown++ < 3) {
      BOOST_ERROR("member " << id << " differs:\nclean   " << text << "\ncrashed "
                            << (it == b.end() ? "(absent)" : it->second));
    }
  }
  BOOST_TEST(shown == 0);
  // The summary of the finishing run counts the whole job.
  std::string summary;
  for (const auto& line : final_out) summary += line + "\n";
  std::string clean_summary;
  for (const auto& line : clean_out) clean_summary += line + "\n";
  auto count_of = [](const std::string& text, std::string_view label) {
    const auto at = text.find(std::string("  ") + std::string(label));
    return at == std::string::npos ? std::string("?") : text.substr(at, 34);
  };
  for (auto label : {"enrolled", "lapsed", "rejected rows"}) {
    BOOST_TEST(count_of(summary, label) == count_of(clean_summary, label), label);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

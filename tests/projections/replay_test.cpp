// The property the projections rest on: whatever the history and however its appends were
// grouped, the views folded inline equal a replay of the log (rebuild, verify, a fresh data
// directory fed the same events). Seeded random histories of over 10,000 catalogued events.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "projections/projections.h"
#include "projections/read_model.h"
#include "projections/view_format.h"
#include "projections/view_json.h"
#include "tests/projections/random_history.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::ApplyHistory;
using passledger::testing::HistoryStep;
using passledger::testing::ProjectedLog;
using passledger::testing::RandomHistory;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::ViewEntries;

constexpr std::size_t kMinEvents = 10'000;
constexpr std::size_t kMembers = 340;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ViewDigests Digests(const ProjectedLog& p) {
  auto digests = p.projections().LiveDigests();
  BOOST_TEST_REQUIRE(Succeeded(digests));
  return *digests;
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
  BOOST_TEST(report->position == p.log().GetHead().position);
}

void RequireSameDigests(const ViewDigests& a, const ViewDigests& b) {
  BOOST_TEST_REQUIRE(a.size() == b.size());
  for (const auto& [view, digest] : a) BOOST_TEST(digest == b.at(view), view);
}

// Event types in the log, counted.
std::map<std::string, std::size_t> TypesInLog(const events::EventLog& log) {
  std::map<std::string, std::size_t> types;
  for (std::uint64_t next = 1;;) {
    auto events = log.ReadRange(next, 5000);
    BOOST_TEST_REQUIRE(Succeeded(events));
    if (events->empty()) break;
    for (const auto& e : *events) ++types[e.envelope.type];
    next = events->back().envelope.position + 1;
  }
  return types;
}

// Both data directories record every event at this time (OpenOptions::clock): fed the same
// events at different moments, their views are then equal byte for byte, clock fields too.
constexpr std::int64_t kRecordedAtUs = 1'764'000'000'000'000;

std::unique_ptr<ProjectedLog> OpenAtFixedTime(const std::filesystem::path& data_dir) {
  auto options = passledger::testing::TestOptions(data_dir);
  options.clock = [] { return kRecordedAtUs; };
  auto opened = ProjectedLog::TryOpen(options);
  BOOST_TEST_REQUIRE(Succeeded(opened));
  return std::move(*opened);
}

void RequireCountsMatchModel(const ProjectedLog& p, const RandomHistory::Expected& expected) {
  auto counts = p.read().Counts();
  BOOST_TEST_REQUIRE(Succeeded(counts));
  auto count = [&](const char* name) { return ToJson(*counts).at(name).to_number<std::int64_t>(); };
  BOOST_TEST(count("members") == expected.members);
  BOOST_TEST(count("membersActive") == expected.members_active);
  BOOST_TEST(count("membersLeft") == expected.members_left);
  BOOST_TEST(count("membersForgotten") == expected.members_forgotten);
  BOOST_TEST(count("passes") == expected.passes);
  BOOST_TEST(count("passesVoided") == expected.passes_voided);
  BOOST_TEST(count("devices") == expected.devices);
  BOOST_TEST(count("registrations") == expected.registrations);
  BOOST_TEST(count("staff") == expected.staff);
  BOOST_TEST(count("imports") == expected.imports);
}

BOOST_AUTO_TEST_SUITE(replay)

BOOST_DATA_TEST_CASE(RandomHistoryFoldsToTheSameViewsEveryWay,
                     boost::unit_test::data::make(std::vector<std::uint64_t>{1, 20260501,
                                                                             0x5eed5eed5eedULL}),
                     seed) {
  const auto started = std::chrono::steady_clock::now();
  TempDir dir;
  RandomHistory history(seed, kMembers);
  const std::vector<HistoryStep> steps = history.Generate(kMinEvents);
  std::size_t atomic_groups = 0, forgets = 0;
  for (const auto& step : steps) {
    atomic_groups += step.requests.size() > 1;
    forgets += !step.forget_subject.empty();
  }

  // Inline: the events reach the views through the writer, in pipelined groups.
  auto live = OpenAtFixedTime(dir / "a");
  const std::size_t duplicates = ApplyHistory(live->log(), steps, /*pipelined=*/true, seed);
  const std::uint64_t head = live->log().GetHead().position;
  BOOST_TEST_MESSAGE("seed " << seed << ": " << head << " events in " << steps.size() << " steps ("
                             << atomic_groups << " atomic groups, " << forgets << " forgets, "
                             << duplicates << " duplicate requests) in " << SecondsSince(started)
                             << " s");
  BOOST_TEST_REQUIRE(head >= kMinEvents);
  BOOST_TEST(head == history.events());
  BOOST_TEST(atomic_groups > 100u);
  BOOST_TEST(forgets >= 2u);
  BOOST_TEST(duplicates > 0u);

  // Every catalogued type occurred.
  const auto types = TypesInLog(live->log());
  for (const auto& spec : events::AllEventSpecs()) {
    const auto found = types.find(std::string(spec.type));
    BOOST_TEST((found != types.end() && found->second > 0), "no " << spec.type << " event");
  }
  auto checkpoint = live->read().Checkpoint();
  BOOST_TEST_REQUIRE(Succeeded(checkpoint));
  BOOST_TEST(*checkpoint == head);
  const auto expected = history.Expect();
  BOOST_TEST(expected.members >= 300);
  RequireCountsMatchModel(*live, expected);

  // (c) The live views equal a replay in memory.
  RequireViewsMatchReplay(*live);

  // (a) A rebuild lands on the same views; (b) so does a second one, with small chunks and a
  // small bulk-load bound: part bulk load, part replay through RocksDB.
  const ViewDigests inline_digests = Digests(*live);
  const std::uint64_t generation = live->projections().active()->id();
  for (int round = 1; round <= 2; ++round) {
    if (round == 2)
      live->projections().set_replay_tuning({.chunk_events = 700, .bulk_entries = 2000});
    BOOST_TEST_CONTEXT("rebuild " << round) {
      auto rebuilt = live->projections().Rebuild();
      BOOST_TEST_REQUIRE(Succeeded(rebuilt));
      BOOST_TEST(rebuilt->events == head);
      BOOST_TEST(live->projections().active()->id() == generation + round);
      RequireSameDigests(inline_digests, Digests(*live));
    }
  }
  RequireViewsMatchReplay(*live);

  // (d) A fresh data directory fed the same events, one blocking append per step.
  auto fresh = OpenAtFixedTime(dir / "b");
  ApplyHistory(fresh->log(), steps, /*pipelined=*/false);
  BOOST_TEST_REQUIRE(fresh->log().GetHead().position == head);
  const ViewDigests fresh_digests = Digests(*fresh);
  for (const auto& [view, digest] : inline_digests) {
    BOOST_TEST(digest == fresh_digests.at(view), view);
  }
  const auto live_views = ViewEntries(live->projections());
  const auto fresh_views = ViewEntries(fresh->projections());
  BOOST_TEST(live_views.size() == fresh_views.size());
  int shown = 0;
  for (const auto& [key, value] : live_views) {
    auto it = fresh_views.find(key);
    const std::string other = it == fresh_views.end() ? "(absent)" : it->second;
    if (other != value && shown++ < 5) {
      BOOST_ERROR("view entry " << key << " differs:\n  a " << value << "\n  b " << other);
    }
  }
  BOOST_TEST(shown == 0);
  RequireViewsMatchReplay(*fresh);
  BOOST_TEST_MESSAGE("seed " << seed << ": done in " << SecondsSince(started) << " s");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

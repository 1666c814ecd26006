// EventLog: append and read round trips, reads by range and by stream, waiting for the head,
// and read-only opens. This file also defines the test module.
#define BOOST_TEST_MODULE events
#include "events/event_log.h"

#include <stdlib.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "events/storage_format.h"
#include "tests/events/child_writer.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using namespace std::chrono_literals;
using passledger::testing::FailedWith;
using passledger::testing::Iota;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::Positions;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TickRequest;

// A master key in the developer's environment would change what every case opens; the cases
// that need one set it themselves (ScopedEnv).
struct NoMasterKeyInEnvironment {
  NoMasterKeyInEnvironment() { ::unsetenv(std::string(format::kMasterKeyEnv).c_str()); }
};
BOOST_TEST_GLOBAL_FIXTURE(NoMasterKeyInEnvironment);

std::int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

bool IsLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

BOOST_AUTO_TEST_SUITE(event_log)

// What the round trip expects of one stored event.
struct ExpectedEvent {
  std::uint64_t position;
  std::string stream;
  std::uint64_t version;
  std::string type;
  std::string actor;
  std::string correlation_id;  // empty: a fresh random id
  std::uint64_t causation;
  std::string subject;
  boost::json::object payload;
  std::optional<boost::json::object> personal;
};

void CheckEvents(const std::vector<RecordedEvent>& events,
                 const std::vector<ExpectedEvent>& expected, bool revealed) {
  BOOST_TEST_REQUIRE(events.size() == expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST_CONTEXT("position " << expected[i].position) {
      const RecordedEvent& got = events[i];
      const ExpectedEvent& want = expected[i];
      BOOST_TEST(got.envelope.position == want.position);
      BOOST_TEST(got.envelope.stream == want.stream);
      BOOST_TEST(got.envelope.version == want.version);
      BOOST_TEST(got.envelope.type == want.type);
      BOOST_TEST(got.envelope.schema_version == 1u);
      BOOST_TEST(got.schema_version == 1u);
      BOOST_TEST(got.envelope.actor == want.actor);
      if (want.correlation_id.empty()) {
        BOOST_TEST(got.envelope.correlation_id.size() == 32u);
        BOOST_TEST(IsLowerHex(got.envelope.correlation_id));
      } else {
        BOOST_TEST(got.envelope.correlation_id == want.correlation_id);
      }
      BOOST_TEST(got.envelope.causation == want.causation);
      BOOST_TEST(got.envelope.subject == want.subject);
      BOOST_TEST(got.payload == want.payload);
      if (!want.personal) {
        BOOST_TEST(got.personal_state == PersonalState::kNone);
        BOOST_TEST(got.envelope.sealed.empty());
      } else if (!revealed) {
        BOOST_TEST(got.personal_state == PersonalState::kSealed);
        BOOST_TEST(got.personal.empty());
        // The ciphertext must not carry the plain text.
        const std::string plain = boost::json::serialize(*want.personal);
        BOOST_TEST(got.envelope.sealed.find(plain) == std::string::npos);
      } else {
        BOOST_TEST(got.personal_state == PersonalState::kRevealed);
        BOOST_TEST(got.personal == *want.personal);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(AppendedEventsReadBackWithTheirEnvelopes) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  const boost::json::object ada = {{"name", "Ada Lovelace"}, {"email", "ada@example.com"}};
  const boost::json::object ada_moved = {{"email", "ada@example.org"}};
  const boost::json::object bob = {{"name", "Bob"}, {"phone", "+44 20 7946 0000"}};
  const boost::json::object gold = {{"tier", "gold"}};
  const boost::json::object points = {{"points", 10}};
  const boost::json::object serial = {{"serial", "Q7XK2M9F"}};
  const boost::json::object fields = {{"fields", 1}};
  const boost::json::object blue = {{"tier", "blue"}};

  AppendRequest joined = MakeRequest(
      "member-1",
      {MakePersonalEvent("MemberJoined", gold, "member-1", ada), MakeEvent("PointsAdded", points)});
  joined.actor = "staff:alice";
  joined.correlation_id = "corr-1";
  AppendRequest issued = MakeRequest("pass-Q7XK2M9F", {MakeEvent("PassPrinted", serial)});
  issued.actor = "device:abc";
  issued.causation = 1;
  AppendRequest moved =
      MakeRequest("member-1", {MakePersonalEvent("MemberUpdated", fields, "member-1", ada_moved)},
                  ExpectedVersion::Exactly(2));
  moved.correlation_id = "corr-1";
  moved.causation = 2;
  AppendRequest bob_joined =
      MakeRequest("member-2", {MakePersonalEvent("MemberJoined", blue, "member-2", bob)},
                  ExpectedVersion::NoStream());

  const std::int64_t before_us = NowMicros();
  struct ExpectedResult {
    std::uint64_t first, last, version;
  };
  const std::vector<std::pair<AppendRequest, ExpectedResult>> appends = {
      {joined, {1, 2, 2}}, {issued, {3, 3, 1}}, {moved, {4, 4, 3}}, {bob_joined, {5, 5, 1}}};
  for (const auto& [request, want] : appends) {
    BOOST_TEST_CONTEXT("append to " << request.stream) {
      auto result = log->Append(request);
      BOOST_TEST_REQUIRE(Succeeded(result));
      BOOST_TEST(result->first_position == want.first);
      BOOST_TEST(result->last_position == want.last);
      BOOST_TEST(result->stream_version == want.version);
      BOOST_TEST(!result->duplicate);
    }
  }
  const std::int64_t after_us = NowMicros();

  const std::string runner(passledger::testing::kTestActor);
  const std::vector<ExpectedEvent> expected = {
      {1, "member-1", 1, "MemberJoined", "staff:alice", "corr-1", 0, "member-1", gold, ada},
      {2, "member-1", 2, "PointsAdded", "staff:alice", "corr-1", 0, "", points, {}},
      {3, "pass-Q7XK2M9F", 1, "PassPrinted", "device:abc", "", 1, "", serial, {}},
      {4, "member-1", 3, "MemberUpdated", runner, "corr-1", 2, "member-1", fields, ada_moved},
      {5, "member-2", 1, "MemberJoined", runner, "", 0, "member-2", blue, bob},
  };

  auto sealed = log->ReadRange(1, 100);
  BOOST_TEST_REQUIRE(Succeeded(sealed));
  CheckEvents(*sealed, expected, /*revealed=*/false);
  auto revealed = log->ReadRange(1, 100, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(revealed));
  CheckEvents(*revealed, expected, /*revealed=*/true);

  // A fresh correlation id per request, shared by the request's events.
  BOOST_TEST((*sealed)[2].envelope.correlation_id != (*sealed)[4].envelope.correlation_id);

  // recorded_at never goes backwards and lies within the appends.
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    const std::int64_t at = (*sealed)[i].envelope.recorded_at_us;
    BOOST_TEST(at >= before_us);
    BOOST_TEST(at <= after_us);
    if (i > 0) BOOST_TEST(at >= (*sealed)[i - 1].envelope.recorded_at_us);
  }

  // The hash chain links every event to the one before, from the genesis hash to the head.
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    const Hash& prev = i == 0 ? GenesisHash() : (*sealed)[i - 1].envelope.hash;
    BOOST_TEST(((*sealed)[i].envelope.prev_hash == prev), "position " << i + 1);
  }
  const Head head = log->GetHead();
  BOOST_TEST(head.position == 5u);
  BOOST_TEST((head.hash == sealed->back().envelope.hash));

  // By stream, with the same envelopes.
  auto member = log->ReadStream("member-1", 1, 100, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(member));
  CheckEvents(*member, {expected[0], expected[1], expected[3]}, /*revealed=*/true);
  auto version = log->StreamVersion("member-1");
  BOOST_TEST_REQUIRE(Succeeded(version));
  BOOST_TEST(*version == 3u);

  // Everything, sealed parts included, survives closing and reopening.
  log.reset();
  log = OpenLog(dir / "data");
  BOOST_TEST(log->GetHead().position == 5u);
  BOOST_TEST((log->GetHead().hash == head.hash));
  auto reopened = log->ReadRange(1, 100, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(reopened));
  CheckEvents(*reopened, expected, /*revealed=*/true);
  for (std::size_t i = 0; i < reopened->size(); ++i) {
    BOOST_TEST(((*reopened)[i].envelope.recorded_at_us == (*sealed)[i].envelope.recorded_at_us));
    BOOST_TEST(((*reopened)[i].envelope.correlation_id == (*sealed)[i].envelope.correlation_id));
  }
}

// The reads below run over requests of several sizes, so that windows start and end inside
// and across the events of one request and one group commit.
//   position  1-3   member-a  v1-3        position 11-15  member-b  v3-7
//   position  4-5   member-b  v1-2        position 16     member-a  v8
//   position  6-9   member-a  v4-7        position 17-18  member-ab v1-2
//   position 10     pass-x    v1
void AppendReadFixture(EventLog& log) {
  const std::vector<std::pair<std::string, std::size_t>> requests = {
      {"member-a", 3}, {"member-b", 2}, {"member-a", 4}, {"pass-x", 1},
      {"member-b", 5}, {"member-a", 1}, {"member-ab", 2}};
  for (const auto& [stream, count] : requests) {
    BOOST_TEST_REQUIRE(Succeeded(log.Append(TickRequest(stream, count))));
  }
  BOOST_TEST_REQUIRE(log.GetHead().position == 18u);
}

BOOST_AUTO_TEST_CASE(RecordedTimesComeFromTheInjectedClockAndNeverGoBack) {
  TempDir dir;
  // A clock the test steps by hand, backwards once: no sleeping for distinct times.
  std::atomic<std::int64_t> now{1'000'000};
  auto options = passledger::testing::TestOptions(dir / "data");
  options.clock = [&now] { return now.load(); };
  auto log = OpenLog(options);
  std::vector<std::int64_t> recorded;
  for (std::int64_t at : {5'000'000, 7'000'000, 6'000'000, 9'000'000}) {
    now = at;
    BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-clock"))));
    auto last = log->ReadRange(log->GetHead().position, 1);
    BOOST_TEST_REQUIRE(Succeeded(last));
    recorded.push_back(last->at(0).envelope.recorded_at_us);
  }
  // The clock's times, except that the step back is held at the previous time.
  BOOST_TEST((recorded == std::vector<std::int64_t>{5'000'000, 7'000'000, 7'000'000, 9'000'000}));
}

BOOST_AUTO_TEST_CASE(ReadRangeReturnsWindowsOfPositions) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  AppendReadFixture(*log);
  struct Case {
    std::uint64_t from;
    std::size_t max_count;
    std::vector<std::uint64_t> want;
  };
  const std::vector<Case> cases = {
      {0, 3, {1, 2, 3}},  // position 0 does not exist: reading starts at 1
      {1, 0, {}},        {3, 4, {3, 4, 5, 6}}, {9, 3, {9, 10, 11}},    {15, 10, {15, 16, 17, 18}},
      {18, 1, {18}},     {19, 5, {}},          {1, 1000, Iota(1, 18)},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("from " << c.from << " max " << c.max_count) {
      auto events = log->ReadRange(c.from, c.max_count);
      BOOST_TEST_REQUIRE(Succeeded(events));
      BOOST_TEST(Positions(*events) == c.want, boost::test_tools::per_element());
    }
  }
  // Paging through the log in windows of 5 sees every event once, in order.
  std::vector<std::uint64_t> paged;
  for (std::uint64_t from = 1;;) {
    auto page = log->ReadRange(from, 5);
    BOOST_TEST_REQUIRE(Succeeded(page));
    if (page->empty()) break;
    for (auto p : Positions(*page)) paged.push_back(p);
    from = page->back().envelope.position + 1;
  }
  BOOST_TEST(paged == Iota(1, 18), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ReadStreamReturnsWindowsOfVersions) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  AppendReadFixture(*log);
  struct Case {
    std::string stream;
    std::uint64_t from_version;
    std::size_t max_count;
    std::vector<std::uint64_t> want_positions;
  };
  const std::vector<Case> cases = {
      {"member-a", 1, 100, {1, 2, 3, 6, 7, 8, 9, 16}},  // not member-ab's 17-18
      {"member-a", 3, 3, {3, 6, 7}},
      {"member-a", 8, 5, {16}},
      {"member-a", 9, 5, {}},
      {"member-a", 2, 0, {}},
      {"member-b", 0, 2, {4, 5}},  // version 0 does not exist: reading starts at 1
      {"member-b", 2, 4, {5, 11, 12, 13}},
      {"member-ab", 1, 10, {17, 18}},
      {"pass-x", 1, 1, {10}},
      {"member-c", 1, 10, {}},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.stream << " from v" << c.from_version << " max " << c.max_count) {
      auto events = log->ReadStream(c.stream, c.from_version, c.max_count);
      BOOST_TEST_REQUIRE(Succeeded(events));
      BOOST_TEST(Positions(*events) == c.want_positions, boost::test_tools::per_element());
      std::uint64_t version = std::max<std::uint64_t>(c.from_version, 1);
      for (const auto& event : *events) {
        BOOST_TEST(event.envelope.stream == c.stream);
        BOOST_TEST(event.envelope.version == version++);
      }
    }
  }
  const std::vector<std::pair<std::string, std::uint64_t>> versions = {
      {"member-a", 8}, {"member-b", 7}, {"member-ab", 2}, {"pass-x", 1}, {"member-c", 0}};
  for (const auto& [stream, want] : versions) {
    auto version = log->StreamVersion(stream);
    BOOST_TEST_REQUIRE(Succeeded(version));
    BOOST_TEST(*version == want, stream);
  }
  BOOST_TEST(FailedWith(log->ReadStream("member", 1, 10), ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(WaitForHeadReturnsWhenAnotherThreadAppends) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1"))));

  // Already past: no waiting.
  auto past = log->WaitForHead(0, 0ms);
  BOOST_TEST_REQUIRE(Succeeded(past));
  BOOST_TEST(*past == 1u);

  const auto start = std::chrono::steady_clock::now();
  std::optional<Result<AppendResult>> appended;  // Boost.Test asserts on the main thread only
  std::jthread appender([&log, &appended] {
    std::this_thread::sleep_for(50ms);
    appended = log->Append(TickRequest("member-1", 2));
  });
  auto waited = log->WaitForHead(1, 30s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  appender.join();
  BOOST_TEST_REQUIRE(Succeeded(*appended));
  BOOST_TEST_REQUIRE(Succeeded(waited));
  BOOST_TEST(*waited == 3u);  // the whole request is visible at once
  BOOST_TEST((elapsed >= 50ms));
  BOOST_TEST((elapsed < 30s));
}

BOOST_AUTO_TEST_CASE(WaitForHeadTimesOut) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1"))));
  const auto start = std::chrono::steady_clock::now();
  auto waited = log->WaitForHead(1, 100ms);
  BOOST_TEST(FailedWith(waited, ErrorCode::kTimeout));
  BOOST_TEST((std::chrono::steady_clock::now() - start >= 100ms));
}

BOOST_AUTO_TEST_CASE(WaitForHeadIsCancelledByItsStopToken) {
  TempDir dir;
  auto log = OpenLog(dir / "data");

  std::stop_source already_stopped;
  already_stopped.request_stop();
  BOOST_TEST(
      FailedWith(log->WaitForHead(0, 30s, already_stopped.get_token()), ErrorCode::kCancelled));

  std::stop_source stop;
  const auto start = std::chrono::steady_clock::now();
  std::jthread canceller([&stop] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  auto waited = log->WaitForHead(0, 30s, stop.get_token());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST(FailedWith(waited, ErrorCode::kCancelled));
  BOOST_TEST((elapsed >= 50ms));
  BOOST_TEST((elapsed < 30s));
}

BOOST_AUTO_TEST_CASE(ReadOnlyOpenWorksWhileAnotherProcessWrites) {
  TempDir dir;
  const auto data = dir / "data";
  auto writer = passledger::testing::StartHoldingWriter(data, 6);

  OpenOptions options = passledger::testing::TestOptions(data);
  options.read_only = true;
  auto log = OpenLog(options);
  BOOST_TEST(log->read_only());
  BOOST_TEST(log->GetHead().position == 6u);
  auto events = log->ReadRange(1, 100, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST(Positions(*events) == Iota(1, 6), boost::test_tools::per_element());
  BOOST_TEST((*events)[0].personal_state == PersonalState::kRevealed);
  BOOST_TEST((*events)[1].personal_state == PersonalState::kNone);
  auto stream = log->ReadStream("hold-1", 4, 10);
  BOOST_TEST_REQUIRE(Succeeded(stream));
  BOOST_TEST(Positions(*stream) == Iota(4, 3), boost::test_tools::per_element());
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
  BOOST_TEST(report->checked == 6u);

  BOOST_TEST(FailedWith(log->Append(TickRequest("member-1")), ErrorCode::kFailedPrecondition));
  BOOST_TEST(FailedWith(log->Forget("member-1", "member-1", "staff:alice", ""),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(!log->FailStopError().has_value());

  // Nothing was written: the writer's view has not moved either.
  writer.CloseStdin();
  const int status = writer.Wait();
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  log.reset();
  log = OpenLog(data);
  BOOST_TEST(log->GetHead().position == 6u);
}

BOOST_AUTO_TEST_CASE(derived_keys_are_stable_per_purpose_and_master_key) {
  TempDir dir;
  Key first{};
  {
    auto log = OpenLog(dir / "a");
    auto token = log->DeriveKey("pass-authentication-token");
    auto other = log->DeriveKey("something-else");
    BOOST_TEST_REQUIRE(Succeeded(token));
    BOOST_TEST_REQUIRE(Succeeded(other));
    BOOST_TEST((*token != *other));
    first = *token;
  }
  auto reopened = OpenLog(dir / "a");
  BOOST_TEST((*reopened->DeriveKey("pass-authentication-token") == first));
  auto another = OpenLog(dir / "b");  // another database, another master key
  BOOST_TEST((*another->DeriveKey("pass-authentication-token") != first));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

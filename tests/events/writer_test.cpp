// The single writer: expected versions, idempotency keys, atomic multi-request appends,
// group commit under concurrency, size limits, fail-stop after a failed write, and inline
// projections folding each group (reading earlier groups' writes before they are durable).
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <latch>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.h"
#include "events/inline_projection.h"
#include "events/storage_format.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"
#include "events/storage_access.h"

namespace passledger::events {
namespace {

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

std::uint64_t VersionOf(const EventLog& log, const std::string& stream) {
  auto version = log.StreamVersion(stream);
  BOOST_TEST_REQUIRE(Succeeded(version));
  return *version;
}

BOOST_AUTO_TEST_SUITE(writer)

BOOST_AUTO_TEST_CASE(ExpectedVersionIsCheckedBeforeWriting) {
  struct Case {
    std::string name;
    std::uint64_t existing;  // events in the stream before the append
    ExpectedVersion expected;
    bool conflict;
  };
  const std::vector<Case> cases = {
      {"any on a new stream", 0, ExpectedVersion::Any(), false},
      {"any on an existing stream", 2, ExpectedVersion::Any(), false},
      {"no stream on a new stream", 0, ExpectedVersion::NoStream(), false},
      {"no stream on an existing stream", 2, ExpectedVersion::NoStream(), true},
      {"exactly 0 on a new stream", 0, ExpectedVersion::Exactly(0), false},
      {"exactly 0 on an existing stream", 2, ExpectedVersion::Exactly(0), true},
      {"exactly the current version", 2, ExpectedVersion::Exactly(2), false},
      {"exactly an older version", 2, ExpectedVersion::Exactly(1), true},
      {"exactly a newer version", 2, ExpectedVersion::Exactly(3), true},
      {"exactly 1 on a new stream", 0, ExpectedVersion::Exactly(1), true},
  };
  TempDir dir;
  auto log = OpenLog(dir / "data");
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string stream = "member-" + std::to_string(++n);
      if (c.existing > 0)
        BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest(stream, c.existing))));
      const Head before = log->GetHead();

      auto result = log->Append(TickRequest(stream, 2, c.expected));

      if (c.conflict) {
        BOOST_TEST(FailedWith(result, ErrorCode::kConflict));
        if (!result) BOOST_TEST(result.error().message.find(stream) != std::string::npos);
        BOOST_TEST(log->GetHead().position == before.position);
        BOOST_TEST((log->GetHead().hash == before.hash));
        BOOST_TEST(VersionOf(*log, stream) == c.existing);
        auto after = log->ReadRange(before.position + 1, 10);
        BOOST_TEST_REQUIRE(Succeeded(after));
        BOOST_TEST(after->empty());
      } else {
        BOOST_TEST_REQUIRE(Succeeded(result));
        BOOST_TEST(result->first_position == before.position + 1);
        BOOST_TEST(result->last_position == before.position + 2);
        BOOST_TEST(result->stream_version == c.existing + 2);
        BOOST_TEST(VersionOf(*log, stream) == c.existing + 2);
      }
    }
  }
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
}

BOOST_AUTO_TEST_CASE(RepeatedIdempotencyKeyReturnsTheOriginalPositions) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-0"))));
  AppendRequest request = TickRequest("member-1", 2, ExpectedVersion::NoStream());
  request.idempotency_key = "order-42";
  auto first = log->Append(request);
  BOOST_TEST_REQUIRE(Succeeded(first));
  BOOST_TEST(!first->duplicate);
  BOOST_TEST(first->first_position == 2u);
  BOOST_TEST(first->last_position == 3u);
  BOOST_TEST(first->stream_version == 2u);
  const Head head = log->GetHead();

  // A retry is answered from the key even though its expected version would now conflict.
  auto again = log->Append(request);
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->duplicate);
  BOOST_TEST(again->first_position == first->first_position);
  BOOST_TEST(again->last_position == first->last_position);
  BOOST_TEST(again->stream_version == first->stream_version);
  BOOST_TEST(log->GetHead().position == head.position);

  // The key with another request is a conflict, not a silent replay of an unrelated result:
  // keys are global, and compared with what their first request asked for.
  AppendRequest other_stream = TickRequest("member-9", 1);
  AppendRequest other_payload = TickRequest("member-1", 3, ExpectedVersion::NoStream());
  AppendRequest other_expected = TickRequest("member-1", 2, ExpectedVersion::Any());
  AppendRequest other_actor = request;
  other_actor.actor = "test:someone-else";
  for (AppendRequest* other : {&other_stream, &other_payload, &other_expected, &other_actor}) {
    BOOST_TEST_CONTEXT("the key reused for " << other->stream << " with "
                                             << other->events.size() << " events") {
      other->idempotency_key = "order-42";
      auto conflict = log->Append(*other);
      BOOST_TEST_REQUIRE(FailedWith(conflict, ErrorCode::kConflict));
      BOOST_TEST(conflict.error().message.find("used before with a different request") !=
                     std::string::npos,
                 conflict.error().message);
      BOOST_TEST(log->GetHead().position == head.position);
    }
  }
  BOOST_TEST(VersionOf(*log, "member-1") == 2u);
  BOOST_TEST(VersionOf(*log, "member-9") == 0u);

  // The key is as durable as the events, and so is what it is compared with.
  log.reset();
  log = OpenLog(dir / "data");
  auto after_reopen = log->Append(request);
  BOOST_TEST_REQUIRE(Succeeded(after_reopen));
  BOOST_TEST(after_reopen->duplicate);
  BOOST_TEST(after_reopen->first_position == 2u);
  BOOST_TEST(FailedWith(log->Append(other_stream), ErrorCode::kConflict));
  BOOST_TEST(log->GetHead().position == head.position);

  // Within one atomic call the second use of a key is a duplicate of the first when it is the
  // same request; a different one fails the whole call.
  AppendRequest a = TickRequest("member-2", 1);
  a.idempotency_key = "order-43";
  AppendRequest b = TickRequest("member-3", 1);
  b.idempotency_key = "order-43";
  BOOST_TEST(FailedWith(log->AppendAtomic({a, b}), ErrorCode::kConflict));
  BOOST_TEST(log->GetHead().position == head.position);
  auto both = log->AppendAtomic({a, a});
  BOOST_TEST_REQUIRE(Succeeded(both));
  BOOST_TEST(!(*both)[0].duplicate);
  BOOST_TEST((*both)[1].duplicate);
  BOOST_TEST((*both)[1].first_position == (*both)[0].first_position);
  BOOST_TEST(log->GetHead().position == head.position + 1);
  BOOST_TEST(VersionOf(*log, "member-3") == 0u);

  // Keys stored before fingerprints (24-byte entries) are compared by key alone.
  log.reset();
  {
    passledger::testing::RawDb raw(dir / "data");
    const std::string dedup(format::kCfDedup);
    const std::string entry = raw.Get(dedup, "order-42");
    BOOST_TEST_REQUIRE(entry.size() == 24u + 32u);
    raw.Put(dedup, "order-42", entry.substr(0, 24));
  }
  log = OpenLog(dir / "data");
  auto legacy = log->Append(other_stream);
  BOOST_TEST_REQUIRE(Succeeded(legacy));
  BOOST_TEST(legacy->duplicate);
  BOOST_TEST(legacy->first_position == 2u);
}

BOOST_AUTO_TEST_CASE(AtomicAppendWritesAllOrNothing) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-3", 2))));
  const Head head = log->GetHead();

  AppendRequest first = TickRequest("member-1", 2);
  first.idempotency_key = "batch-1";
  AppendRequest second =
      MakeRequest("member-2", {MakePersonalEvent("MemberJoined", {}, "member-2", {{"n", "B"}})});
  AppendRequest third = TickRequest("member-3", 1, ExpectedVersion::Exactly(5));  // it is at 2
  auto failed = log->AppendAtomic({first, second, third});
  BOOST_TEST(FailedWith(failed, ErrorCode::kConflict));
  BOOST_TEST(log->GetHead().position == head.position);
  BOOST_TEST((log->GetHead().hash == head.hash));
  BOOST_TEST(VersionOf(*log, "member-1") == 0u);
  BOOST_TEST(VersionOf(*log, "member-2") == 0u);
  BOOST_TEST(VersionOf(*log, "member-3") == 2u);
  auto after = log->ReadRange(head.position + 1, 10);
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST(after->empty());

  // The failed call left no idempotency key behind: the same request now writes.
  auto retried = log->Append(first);
  BOOST_TEST_REQUIRE(Succeeded(retried));
  BOOST_TEST(!retried->duplicate);
  BOOST_TEST(retried->first_position == head.position + 1);
}

BOOST_AUTO_TEST_CASE(AtomicAppendToOneStreamGetsConsecutiveVersions) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  auto results = log->AppendAtomic({TickRequest("member-1", 2, ExpectedVersion::NoStream()),
                                    TickRequest("pass-1", 1),
                                    TickRequest("member-1", 1, ExpectedVersion::Exactly(2))});
  BOOST_TEST_REQUIRE(Succeeded(results));
  BOOST_TEST_REQUIRE(results->size() == 3u);
  BOOST_TEST((*results)[0].first_position == 1u);
  BOOST_TEST((*results)[0].stream_version == 2u);
  BOOST_TEST((*results)[1].first_position == 3u);
  BOOST_TEST((*results)[1].stream_version == 1u);
  BOOST_TEST((*results)[2].first_position == 4u);
  BOOST_TEST((*results)[2].stream_version == 3u);
  auto stream = log->ReadStream("member-1", 1, 10);
  BOOST_TEST_REQUIRE(Succeeded(stream));
  BOOST_TEST(Positions(*stream) == std::vector<std::uint64_t>({1, 2, 4}),
             boost::test_tools::per_element());
  for (std::size_t i = 0; i < stream->size(); ++i) {
    BOOST_TEST((*stream)[i].envelope.version == i + 1);
  }
  BOOST_TEST(FailedWith(log->AppendAtomic({}), ErrorCode::kInvalidArgument));
}

// Submissions that share a group commit are staged one after another: a failing one leaves
// no gap and no trace in the others.
BOOST_AUTO_TEST_CASE(FailedSubmissionDoesNotDisturbItsGroup) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  constexpr int kSubmissions = 40;
  std::vector<std::optional<Result<std::vector<AppendResult>>>> outcomes(kSubmissions);
  std::latch done(kSubmissions);
  for (int i = 0; i < kSubmissions; ++i) {
    const auto expected = i % 2 == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exactly(5);
    log->AppendAsync({TickRequest("member-" + std::to_string(i), 1, expected)},
                     [&outcomes, &done, i](Result<std::vector<AppendResult>> result) {
                       outcomes[i] = std::move(result);
                       done.count_down();
                     });
  }
  done.wait();
  std::vector<std::uint64_t> positions;
  for (int i = 0; i < kSubmissions; ++i) {
    BOOST_TEST_CONTEXT("submission " << i) {
      if (i % 2 == 0) {
        BOOST_TEST_REQUIRE(Succeeded(*outcomes[i]));
        positions.push_back((**outcomes[i])[0].first_position);
      } else {
        BOOST_TEST(FailedWith(*outcomes[i], ErrorCode::kConflict));
      }
    }
  }
  std::sort(positions.begin(), positions.end());
  BOOST_TEST(positions == Iota(1, kSubmissions / 2), boost::test_tools::per_element());
  BOOST_TEST(log->GetHead().position == kSubmissions / 2u);
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
}

BOOST_AUTO_TEST_CASE(OversizedEventIsRejectedAndNothingIsWritten) {
  // {"blob":"<n bytes>"} serialises to n + 11 bytes; {"p":"<m bytes>"} to m + 8.
  constexpr std::size_t kLimit = format::kMaxEventBytes;
  struct Case {
    std::string name;
    std::size_t payload_bytes;
    std::optional<std::size_t> personal_bytes;
    bool small_event_first;  // the oversized event is the second of its request
    bool too_large;
  };
  const std::vector<Case> cases = {
      {"payload exactly at the limit", kLimit - 11, {}, false, false},
      {"payload one byte over", kLimit - 10, {}, false, true},
      {"payload twice the limit", 2 * kLimit, {}, false, true},
      {"payload and personal part together over", kLimit / 2, kLimit / 2, false, true},
      {"personal part alone over", 0, kLimit, false, true},
      {"second event of a request over", kLimit, {}, true, true},
  };
  TempDir dir;
  auto log = OpenLog(dir / "data");
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::vector<NewEvent> events;
      if (c.small_event_first) events.push_back(MakeEvent("Tick", {{"n", 0}}));
      boost::json::object payload = {{"blob", std::string(c.payload_bytes, 'x')}};
      if (c.personal_bytes) {
        events.push_back(MakePersonalEvent("Big", std::move(payload), "member-1",
                                           {{"p", std::string(*c.personal_bytes, 'y')}}));
      } else {
        events.push_back(MakeEvent("Big", std::move(payload)));
      }
      const Head before = log->GetHead();
      auto result = log->Append(MakeRequest("member-1", std::move(events)));
      if (c.too_large) {
        BOOST_TEST(FailedWith(result, ErrorCode::kTooLarge));
        BOOST_TEST(log->GetHead().position == before.position);
      } else {
        BOOST_TEST_REQUIRE(Succeeded(result));
        auto read = log->ReadRange(result->last_position, 1);
        BOOST_TEST_REQUIRE(Succeeded(read));
        BOOST_TEST(read->front().payload.at("blob").as_string().size() == c.payload_bytes);
      }
    }
  }
  BOOST_TEST(log->GetHead().position == 1u);
}

BOOST_AUTO_TEST_CASE(ConcurrentAppendsGetGaplessPositionsAndVersions) {
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 10'000;
  constexpr int kStreams = 50;
  constexpr std::uint64_t kTotal = std::uint64_t{kThreads} * kAppendsPerThread;
  TempDir dir;
  auto log = OpenLog(dir / "data");

  // positions[t][j]: where thread t's j-th append landed. Boost.Test asserts only on this
  // thread, so the appenders record and the checks come after the join.
  std::vector<std::vector<std::uint64_t>> positions(kThreads);
  std::vector<std::optional<Error>> errors(kThreads);
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, &positions, &errors, t] {
        positions[t].reserve(kAppendsPerThread);
        for (int j = 0; j < kAppendsPerThread; ++j) {
          const std::string stream = "member-" + std::to_string((t * 7 + j) % kStreams);
          auto result = log->Append(MakeRequest(stream, {MakeEvent("Tick", {{"t", t}, {"j", j}})}));
          if (!result) {
            errors[t] = result.error();
            return;
          }
          positions[t].push_back(result->first_position);
        }
      });
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE(
      kTotal << " concurrent appends took "
             << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms");
  for (int t = 0; t < kThreads; ++t) {
    if (errors[t]) BOOST_TEST_REQUIRE(false, "thread " << t << ": " << errors[t]->ToString());
    // A thread's appends are sequential, so their positions increase.
    BOOST_TEST(std::is_sorted(positions[t].begin(), positions[t].end()), "thread " << t);
  }

  std::vector<std::uint64_t> all;
  for (const auto& p : positions) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  BOOST_TEST_REQUIRE(all.size() == kTotal);
  BOOST_TEST((all == Iota(1, kTotal)), "positions are not exactly 1.." << kTotal);
  BOOST_TEST(log->GetHead().position == kTotal);

  // Every event sits at the position its append was told.
  std::uint64_t checked = 0;
  for (std::uint64_t from = 1; from <= kTotal; from += 10'000) {
    auto page = log->ReadRange(from, 10'000);
    BOOST_TEST_REQUIRE(Succeeded(page));
    for (const auto& event : *page) {
      const auto t = event.payload.at("t").to_number<std::size_t>();
      const auto j = event.payload.at("j").to_number<std::size_t>();
      BOOST_TEST_REQUIRE((t < kThreads && j < kAppendsPerThread));
      if (positions[t][j] != event.envelope.position) {
        BOOST_TEST(positions[t][j] == event.envelope.position, "thread " << t << " append " << j);
      }
      ++checked;
    }
  }
  BOOST_TEST(checked == kTotal);

  // Every stream's versions are gapless from 1, in position order.
  std::uint64_t in_streams = 0;
  for (int s = 0; s < kStreams; ++s) {
    const std::string stream = "member-" + std::to_string(s);
    auto events = log->ReadStream(stream, 1, kTotal);
    BOOST_TEST_REQUIRE(Succeeded(events));
    bool gapless = true;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const auto& e = (*events)[i].envelope;
      gapless = gapless && e.version == i + 1 && e.stream == stream &&
                (i == 0 || e.position > (*events)[i - 1].envelope.position);
    }
    BOOST_TEST(gapless, stream);
    BOOST_TEST(VersionOf(*log, stream) == events->size(), stream);
    in_streams += events->size();
  }
  BOOST_TEST(in_streams == kTotal);

  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
  BOOST_TEST(report->checked == kTotal);
}

// Restores a resource limit and a signal disposition on scope exit.
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(rlim_t bytes) {
    // Past the limit the kernel sends SIGXFSZ, whose default action kills the process;
    // ignored, write() fails with EFBIG instead, which RocksDB reports as an I/O error.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    BOOST_TEST_REQUIRE(::sigaction(SIGXFSZ, &ignore, &old_action_) == 0);
    BOOST_TEST_REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit_) == 0);
    rlimit limit = old_limit_;
    limit.rlim_cur = bytes;
    BOOST_TEST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~ScopedFileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_limit_);
    ::sigaction(SIGXFSZ, &old_action_, nullptr);
  }
  ScopedFileSizeLimit(const ScopedFileSizeLimit&) = delete;
  ScopedFileSizeLimit& operator=(const ScopedFileSizeLimit&) = delete;

 private:
  rlimit old_limit_{};
  struct sigaction old_action_ {};
};

// The size of the largest write-ahead log file in the database.
std::uintmax_t LargestWalBytes(const std::filesystem::path& db_dir) {
  std::uintmax_t largest = 0;
  for (const auto& entry : std::filesystem::directory_iterator(db_dir)) {
    if (entry.path().extension() == ".log") largest = std::max(largest, entry.file_size());
  }
  return largest;
}

// A real write failure: the file size limit (RLIMIT_FSIZE) stops the write-ahead log from
// growing, so RocksDB's Write fails with an I/O error.
BOOST_AUTO_TEST_CASE(FailedWriteStopsTheWriterUntilRestart) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  const auto event = [](int n) {
    return MakeRequest("member-1",
                       {MakeEvent("Blob", {{"n", n}, {"blob", std::string(16384, 'z')}})});
  };
  for (int n = 0; n < 3; ++n) BOOST_TEST_REQUIRE(Succeeded(log->Append(event(n))));
  std::uint64_t acknowledged = log->GetHead().position;

  std::optional<Error> failure;
  {
    ScopedFileSizeLimit limit(LargestWalBytes(data / format::kDbDir) + 40'000);
    for (int n = 3; n < 100 && !failure; ++n) {
      auto result = log->Append(event(n));
      if (result) {
        acknowledged = result->last_position;
      } else {
        failure = result.error();
      }
    }
  }
  BOOST_TEST_REQUIRE(failure.has_value(), "the file size limit never made a write fail");
  BOOST_TEST(failure->code == ErrorCode::kUnavailable, failure->ToString());
  BOOST_TEST(acknowledged >= 3u);
  BOOST_TEST(log->GetHead().position == acknowledged);
  BOOST_TEST_REQUIRE(log->FailStopError().has_value());
  BOOST_TEST(log->FailStopError()->code == ErrorCode::kUnavailable);

  // Fail-stop: with the limit gone, later appends still fail, and write nothing.
  BOOST_TEST(FailedWith(log->Append(TickRequest("member-2")), ErrorCode::kUnavailable));
  BOOST_TEST(
      FailedWith(log->Forget("member-1", "member-1", "staff:alice", ""), ErrorCode::kUnavailable));
  BOOST_TEST(log->GetHead().position == acknowledged);
  auto readable = log->ReadRange(1, 100);
  BOOST_TEST_REQUIRE(Succeeded(readable));
  BOOST_TEST(Positions(*readable) == Iota(1, acknowledged), boost::test_tools::per_element());

  // A restart recovers every acknowledged event and writes again.
  log.reset();
  log = OpenLog(data);
  BOOST_TEST(log->GetHead().position == acknowledged);
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
  BOOST_TEST(report->checked == acknowledged);
  auto next = log->Append(TickRequest("member-2"));
  BOOST_TEST_REQUIRE(Succeeded(next));
  BOOST_TEST(next->first_position == acknowledged + 1);
}

// Counts the events it is given in one key of its own column family, by reading the count
// the groups before left and writing it back; fails on a "Poison" event.
class CountingProjection final : public InlineProjection {
 public:
  Result<void> Apply(std::span<const PendingEvent> events, ProjectionContext& context) override {
    if (!cf) return {};
    for (const auto& e : events) {
      if (e.envelope->type == "Poison") return MakeError(ErrorCode::kInternal, "poisoned");
    }
    auto stored = context.Get(cf, "count");
    if (!stored) return stored.error();
    const std::uint64_t count = (*stored ? std::stoull(**stored) : 0) + events.size();
    context.Put(cf, "count", std::to_string(count));
    return {};
  }
  rocksdb::ColumnFamilyHandle* cf = nullptr;
};

std::uint64_t StoredCount(EventLog& log, rocksdb::ColumnFamilyHandle* cf) {
  std::string value;
  const auto status = StorageAccess::Db(log)->Get(rocksdb::ReadOptions(), cf, "count", &value);
  BOOST_TEST_REQUIRE(status.ok(), status.ToString());
  return std::stoull(value);
}

BOOST_AUTO_TEST_CASE(InlineProjectionsReadWhatEarlierGroupsWroteBeforeItIsDurable) {
  // Concurrent appenders keep the pipeline full: each group is projected while the one before
  // is still being synced, so a count read from the database alone would lose increments.
  TempDir dir;
  CountingProjection counter;
  auto options = passledger::testing::TestOptions(dir / "data");
  options.inline_projections = {&counter};
  auto log = OpenLog(options);
  auto cf = StorageAccess::CreateColumnFamily(*log, "counter");
  BOOST_TEST_REQUIRE(Succeeded(cf));
  counter.cf = cf->get();

  constexpr int kThreads = 8, kAppends = 150;
  // Boost.Test asserts only on this thread: each appender counts its failures and keeps the
  // first one, and the checks come after the join.
  std::vector<int> failures(kThreads, 0);
  std::vector<std::optional<Error>> first_errors(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, &failures, &first_errors, t] {
        for (int i = 0; i < kAppends; ++i) {
          auto result = log->Append(TickRequest("member-" + std::to_string(t)));
          if (result) continue;
          if (failures[t]++ == 0) first_errors[t] = result.error();
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST(failures[t] == 0, "thread " << t << " failed " << failures[t] << " appends, first: "
                                           << (first_errors[t] ? first_errors[t]->ToString() : ""));
  }
  BOOST_TEST(log->GetHead().position == std::uint64_t{kThreads * kAppends});
  BOOST_TEST(StoredCount(*log, counter.cf) == std::uint64_t{kThreads * kAppends});

  // A failing projection fails its group and stops the writer; nothing of it is written.
  BOOST_TEST(FailedWith(log->Append(MakeRequest("member-1", {MakeEvent("Poison", {})})),
                        ErrorCode::kUnavailable));
  BOOST_TEST(FailedWith(log->Append(TickRequest("member-2")), ErrorCode::kUnavailable));
  BOOST_TEST(log->GetHead().position == std::uint64_t{kThreads * kAppends});
  BOOST_TEST(StoredCount(*log, counter.cf) == std::uint64_t{kThreads * kAppends});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

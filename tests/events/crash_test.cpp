// Crash safety: a writer process is killed with SIGKILL at a random moment, again and again
// on the same data directory; every append it acknowledged must survive, the chain must
// verify and nothing may follow the recovered head.
#include <signal.h>
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "tests/events/child_writer.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using namespace std::chrono_literals;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

// One line of the child's output: the event it was told is durable at `position`.
struct Ack {
  std::uint64_t position = 0;
  std::uint64_t thread = 0;
  std::uint64_t seq = 0;
  std::uint64_t index = 0;  // within its request
};

Ack ParseAck(const std::string& line) {
  std::istringstream in(line);
  Ack ack;
  in >> ack.position >> ack.thread >> ack.seq >> ack.index;
  BOOST_TEST_REQUIRE((!in.fail() && ack.position > 0), "bad line from the child: " << line);
  return ack;
}

// Checks an event the child wrote against what its payload and the child's rules say.
void CheckChildEvent(const RecordedEvent& event) {
  const auto thread = event.payload.at("t").to_number<std::uint64_t>();
  const auto seq = event.payload.at("seq").to_number<std::uint64_t>();
  const std::string stream = seq % 4 == 0 ? "crash-shared" : "crash-t" + std::to_string(thread);
  BOOST_TEST(event.envelope.stream == stream);
  if (seq % 3 == 0) {
    // The subject's key is durable with the first event sealed under it.
    BOOST_TEST(event.personal_state == PersonalState::kRevealed);
    BOOST_TEST(event.personal.at("seq").to_number<std::uint64_t>() == seq);
  } else {
    BOOST_TEST(event.personal_state == PersonalState::kNone);
  }
}

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(AcknowledgedAppendsSurviveSigkill) {
  constexpr int kRounds = 20;
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(10, 200);

  TempDir dir;
  const auto data = dir / "data";
  std::map<std::uint64_t, Ack> acked;  // over all rounds, by position
  std::uint64_t head = 0;              // recovered after the previous round
  std::ostringstream per_round;        // "<acknowledged>@<delay>" for the log
  for (int round = 0; round < kRounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      auto child = passledger::testing::StartCrashChild("append", data);
      const auto delay = std::chrono::milliseconds(delay_ms(random));
      auto lines = child.ReadLinesUntil(std::chrono::steady_clock::now() + delay);
      child.Kill(SIGKILL);
      // Everything the child wrote before it died is still in the pipe.
      for (auto& line : child.ReadLinesUntil(std::chrono::steady_clock::now() + 30s)) {
        lines.push_back(std::move(line));
      }
      const int status = child.Wait();
      BOOST_TEST_REQUIRE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
                         "the child ended by itself, status " << status);

      std::uint64_t max_acked = head;
      for (const auto& line : lines) {
        const Ack ack = ParseAck(line);
        // A position acknowledged now must be new: reusing one means an acknowledged event
        // of an earlier round was lost.
        BOOST_TEST_REQUIRE(ack.position > head, "position " << ack.position << " reused");
        BOOST_TEST_REQUIRE(acked.emplace(ack.position, ack).second);
        max_acked = std::max(max_acked, ack.position);
      }

      auto log = OpenLog(data);
      const std::uint64_t recovered = log->GetHead().position;
      per_round << " " << lines.size() << "@" << delay.count() << "ms";
      BOOST_TEST_REQUIRE(recovered >= max_acked);
      auto events = log->ReadRange(head + 1, recovered, ReadOptions{.reveal = true});
      BOOST_TEST_REQUIRE(Succeeded(events));
      BOOST_TEST_REQUIRE(events->size() == recovered - head);
      for (std::size_t i = 0; i < events->size(); ++i) {
        const RecordedEvent& event = (*events)[i];
        BOOST_TEST_REQUIRE(event.envelope.position == head + 1 + i);
        CheckChildEvent(event);
        if (auto it = acked.find(event.envelope.position); it != acked.end()) {
          BOOST_TEST(event.payload.at("t").to_number<std::uint64_t>() == it->second.thread);
          BOOST_TEST(event.payload.at("seq").to_number<std::uint64_t>() == it->second.seq);
          BOOST_TEST(event.payload.at("k").to_number<std::uint64_t>() == it->second.index);
        }
      }
      auto beyond = log->ReadRange(recovered + 1, 10);
      BOOST_TEST_REQUIRE(Succeeded(beyond));
      BOOST_TEST(beyond->empty());
      auto report = log->Verify();
      BOOST_TEST_REQUIRE(Succeeded(report));
      BOOST_TEST_REQUIRE(report->ok(), report->problem);
      BOOST_TEST(report->checked == recovered);
      head = recovered;
    }
  }
  BOOST_TEST_MESSAGE(acked.size() << " acknowledged appends over " << kRounds << " rounds, head "
                                  << head << "; per round:" << per_round.str());
  // The test means something only if the child got to append.
  BOOST_TEST(acked.size() >= static_cast<std::size_t>(kRounds));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

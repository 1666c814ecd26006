// State as of a position or a time: a member's and a pass's records replayed from their
// streams up to a point in history, and the parsing of "as of" arguments.
#include "projections/state_as_of.h"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "base/time.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using namespace std::chrono_literals;
using passledger::testing::Change;
using passledger::testing::FailedWith;
using passledger::testing::Personal;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kMemberPass = "pass.org.garden.member";

std::int64_t RecordedAt(const ProjectedLog& p, std::uint64_t position) {
  auto events = p.log().ReadRange(position, 1);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST_REQUIRE(events->size() == 1u);
  return events->front().envelope.recorded_at_us;
}

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" for a time in microseconds.
std::string Iso(std::int64_t us) { return FormatTimestamp(us); }

AsOf AtPosition(std::uint64_t position) {
  AsOf at;
  at.position = position;
  return at;
}

AsOf AtTime(std::int64_t time_us) {
  AsOf at;
  at.time_us = time_us;
  return at;
}

std::string LevelOf(const EntityState& state) {
  BOOST_TEST_REQUIRE(state.member.has_value());
  return state.member->level;
}

BOOST_AUTO_TEST_SUITE(state_as_of)

BOOST_AUTO_TEST_CASE(MemberAndPassAsOfPositionAndTime) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  const std::uint64_t enrolled = p->Enrol(
      "1", "Individual", true, Personal::Named("Ada Lovelace", {"Ada"}, "ada@example.com"));
  const std::uint64_t issued = p->IssuePass("S1", "1", kMemberPass, "Ada");
  p->Enrol("2", "Dual", true, std::nullopt);  // another stream in between
  std::this_thread::sleep_for(5ms);           // distinct recorded times around the change
  const std::uint64_t changed = p->ChangeMember("1", {{"level", Change("Individual", "Patron")}},
                                                {{"email", Change("ada@example.com", "a@l.org")}});
  std::this_thread::sleep_for(5ms);
  const std::uint64_t voided = p->Void("S1");
  const ReadModel views = p->read();

  auto at = [&](AsOf as_of) {
    auto state = MemberStateAsOf(p->log(), views, "1", as_of);
    BOOST_TEST_REQUIRE(Succeeded(state));
    return *state;
  };
  const auto before = at(AtPosition(changed - 1));
  BOOST_TEST(LevelOf(before) == "Individual");
  BOOST_TEST(before.position == issued);  // the last event of this member's streams
  BOOST_TEST(before.member->personal->email == "ada@example.com");
  BOOST_TEST_REQUIRE(before.passes.size() == 1u);
  BOOST_TEST(!before.passes[0].voided);

  const auto then = at(AtPosition(changed));
  BOOST_TEST(LevelOf(then) == "Patron");
  BOOST_TEST(then.member->personal->email == "a@l.org");
  BOOST_TEST(then.position == changed);

  const auto now = at(AsOf());
  BOOST_TEST(LevelOf(now) == "Patron");
  BOOST_TEST(now.passes.at(0).voided);
  BOOST_TEST(now.position == voided);

  const auto not_yet = at(AtPosition(enrolled - 1));
  BOOST_TEST(!not_yet.member.has_value());
  BOOST_TEST(not_yet.passes.empty());
  BOOST_TEST(not_yet.position == 0u);
  const auto enrolled_only = at(AtPosition(enrolled));
  BOOST_TEST(LevelOf(enrolled_only) == "Individual");
  BOOST_TEST(enrolled_only.passes.empty());  // the pass did not exist yet

  // By time: just before the change, and at it.
  const std::int64_t changed_us = RecordedAt(*p, changed);
  BOOST_TEST_REQUIRE(changed_us > RecordedAt(*p, changed - 1));
  BOOST_TEST(LevelOf(at(AtTime(changed_us - 1))) == "Individual");
  BOOST_TEST(LevelOf(at(AtTime(changed_us))) == "Patron");
  // The same through ParseAsOf, as the CLI and the admin API take it.
  auto parsed = ParseAsOf(Iso(changed_us - 1));
  BOOST_TEST_REQUIRE(Succeeded(parsed));
  BOOST_TEST(parsed->time_us.value_or(0) == changed_us - 1);
  BOOST_TEST(LevelOf(at(*parsed)) == "Individual");
  parsed = ParseAsOf(std::to_string(changed));
  BOOST_TEST_REQUIRE(Succeeded(parsed));
  BOOST_TEST(LevelOf(at(*parsed)) == "Patron");

  // A pass on its own.
  auto pass_at = [&](AsOf as_of) {
    auto state = PassStateAsOf(p->log(), "S1", as_of);
    BOOST_TEST_REQUIRE(Succeeded(state));
    return *state;
  };
  BOOST_TEST(pass_at(AtPosition(issued - 1)).passes.empty());
  const auto issued_state = pass_at(AtPosition(voided - 1));
  BOOST_TEST_REQUIRE(issued_state.passes.size() == 1u);
  BOOST_TEST(!issued_state.passes[0].voided);
  BOOST_TEST(issued_state.passes[0].cardholder == "Ada");
  BOOST_TEST(!issued_state.member.has_value());
  const auto voided_state = pass_at(AtTime(RecordedAt(*p, voided)));
  BOOST_TEST_REQUIRE(voided_state.passes.size() == 1u);
  BOOST_TEST(voided_state.passes[0].voided);
  BOOST_TEST(pass_at(AtTime(RecordedAt(*p, voided) - 1)).passes.at(0).voided == false);
  BOOST_TEST(pass_at(AsOf()).position == voided);
  BOOST_TEST(pass_at(AsOf()).passes.size() == 1u);

  auto unknown = PassStateAsOf(p->log(), "NOPE", {});
  BOOST_TEST_REQUIRE(Succeeded(unknown));
  BOOST_TEST(unknown->passes.empty());
  auto unknown_member = MemberStateAsOf(p->log(), views, "NOPE", {});
  BOOST_TEST_REQUIRE(Succeeded(unknown_member));
  BOOST_TEST(!unknown_member->member.has_value());
}

BOOST_AUTO_TEST_CASE(StateAsOfAfterForgettingHasNoPersonalFields) {
  TempDir dir;
  auto p = ProjectedLog::Open(dir / "data");
  const std::uint64_t enrolled =
      p->Enrol("1", "Individual", true, Personal::Named("Ada Lovelace", {"Ada"}));
  p->IssuePass("S1", "1", kMemberPass, "Ada");
  p->Forget("1");
  auto state = MemberStateAsOf(p->log(), p->read(), "1", AtPosition(enrolled + 1));
  BOOST_TEST_REQUIRE(Succeeded(state));
  BOOST_TEST_REQUIRE(state->member.has_value());
  BOOST_TEST(!state->member->personal.has_value());  // unreadable for good, even in history
  BOOST_TEST_REQUIRE(state->passes.size() == 1u);
  BOOST_TEST(state->passes[0].cardholder.empty());
}

// Parses `text` from a heap buffer of exactly its size, so that AddressSanitizer reports any
// read past its end.
Result<AsOf> ParseExact(std::string_view text) {
  auto buffer = std::make_unique<char[]>(text.size());
  std::copy(text.begin(), text.end(), buffer.get());
  return ParseAsOf(std::string_view(buffer.get(), text.size()));
}

constexpr std::int64_t kNoon = 1'795'867'200;  // 2026-11-28T12:00:00Z

BOOST_AUTO_TEST_CASE(ParseAsOfAcceptsPositionsAndIsoTimes) {
  struct Case {
    std::string text;
    std::optional<std::uint64_t> position;
    std::optional<std::int64_t> time_us;
  };
  const Case cases[] = {
      {"0", 0, std::nullopt},
      {"1234", 1234, std::nullopt},
      {"2026", 2026, std::nullopt},  // digits alone are always a position
      {"18446744073709551615", 18'446'744'073'709'551'615u, std::nullopt},
      {"2026-11-28T12:00:00Z", std::nullopt, kNoon * 1'000'000},
      {"2026-11-28 12:00:00Z", std::nullopt, kNoon * 1'000'000},
      {"2026-11-28T12:00:00", std::nullopt, kNoon * 1'000'000},  // no offset: UTC
      {"2026-11-28T12:00:00.5Z", std::nullopt, kNoon * 1'000'000 + 500'000},
      {"2026-11-28T12:00:00.123456Z", std::nullopt, kNoon * 1'000'000 + 123'456},
      {"2026-11-28T12:00:00.1234567Z", std::nullopt, kNoon * 1'000'000 + 123'456},
      {"2026-11-28T13:00:00+01:00", std::nullopt, kNoon * 1'000'000},
      {"2026-11-28T06:30:00-05:30", std::nullopt, kNoon * 1'000'000},
      {"2026-11-28T13:00:00.25+01:00", std::nullopt, kNoon * 1'000'000 + 250'000},
      // A bare date is the end of that day (UTC), so "as of" a date includes the date.
      {"2026-11-28", std::nullopt, (kNoon + 12 * 3600) * 1'000'000 - 1},
      {"2024-02-29", std::nullopt, 1'709'251'199LL * 1'000'000 + 999'999},
      {"1970-01-01T00:00:00Z", std::nullopt, 0},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("\"" << c.text << "\"") {
      auto parsed = ParseExact(c.text);
      BOOST_TEST_REQUIRE(Succeeded(parsed));
      BOOST_TEST((parsed->position == c.position));
      BOOST_TEST((parsed->time_us == c.time_us));
      if (parsed->time_us && c.time_us) BOOST_TEST(*parsed->time_us == *c.time_us);
    }
  }
}

BOOST_AUTO_TEST_CASE(ParseAsOfRejectsJunk) {
  for (std::string_view junk : {"",
                                "abc",
                                "-5",
                                "12abc",
                                "1e5",
                                "18446744073709551616x",
                                "2026-11",
                                "2026/11/28",
                                "2026-13-01",
                                "2026-00-10",
                                "2026-11-32",
                                "2026-04-31",  // no such day (not May 1)
                                "2026-04-31T12:00:00Z",
                                "2026-02-29",
                                "2026-11-28T",
                                "2026-11-28T12",
                                "2026-11-28T12:00",
                                "2026-11-28T12:00Z",
                                "2026-11-28T24:00:00Z",
                                "2026-11-28T12:60:00Z",
                                "2026-11-28T12:00:00+0100",
                                "2026-11-28T12:00:00+01",
                                "2026-11-28T12:00:00Zjunk",
                                "2026-11-28Tjunk",
                                "2026-11-28x",
                                " 2026-11-28"}) {
    BOOST_TEST(FailedWith(ParseExact(junk), ErrorCode::kInvalidArgument), "\"" << junk << "\"");
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

// Input rules for stored identifiers (validation.h), directly and through EventLog::Append,
// which must reject a bad request before anything is written.
#include "events/validation.h"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TickRequest;

BOOST_AUTO_TEST_SUITE(validation)

BOOST_AUTO_TEST_CASE(StreamIdsFollowTheCategoryIdRule) {
  struct Case {
    std::string stream;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"", false},
      {"member", false},
      {"-x", false},
      {"Member-1", false},
      {"member-", false},
      {"member-a b", false},
      {"member-" + std::string(194, 'a'), false},  // 201 bytes
      {"member-\xc3\xa9", false},                  // non-ASCII id
      {std::string(33, 'a') + "-1", false},        // category longer than 32 letters
      {"member-" + std::string(193, 'a'), true},   // exactly 200 bytes
      {"member-8-10000001", true},
      {"pass-Q7XK2M9F", true},
      {"device-logs", true},
      {"x-a.b_c:d@e+f=g~h-i", true},
  };
  TempDir dir;
  auto log = OpenLog(dir / "data");
  std::uint64_t head = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("stream id \"" << c.stream.substr(0, 40) << "\" (" << c.stream.size()
                                      << " bytes)") {
      auto appended = log->Append(TickRequest(c.stream));
      if (c.valid) {
        BOOST_TEST(Succeeded(ValidateStreamId(c.stream)));
        BOOST_TEST_REQUIRE(Succeeded(appended));
        ++head;
      } else {
        BOOST_TEST(FailedWith(ValidateStreamId(c.stream), ErrorCode::kInvalidArgument));
        BOOST_TEST(FailedWith(appended, ErrorCode::kInvalidArgument));
        BOOST_TEST(FailedWith(log->ReadStream(c.stream, 1, 10), ErrorCode::kInvalidArgument));
      }
      BOOST_TEST(log->GetHead().position == head);
    }
  }
}

BOOST_AUTO_TEST_CASE(Utf8IsCheckedStrictly) {
  BOOST_TEST(IsValidUtf8(""));
  BOOST_TEST(IsValidUtf8("plain ASCII"));
  BOOST_TEST(IsValidUtf8("Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x8c\xb3"));  // ë € 🌳
  BOOST_TEST(!IsValidUtf8("caf\xe9"));                            // Latin-1
  BOOST_TEST(!IsValidUtf8("\xc0\xaf"));                           // overlong '/'
  BOOST_TEST(!IsValidUtf8("\xe0\x80\xaf"));                       // overlong, 3 bytes
  BOOST_TEST(!IsValidUtf8("\xed\xa0\x80"));                       // surrogate U+D800
  BOOST_TEST(!IsValidUtf8("\xf4\x90\x80\x80"));                   // past U+10FFFF
  BOOST_TEST(!IsValidUtf8("\xe2\x82"));                           // cut short
  BOOST_TEST(!IsValidUtf8("\x80"));                               // lone continuation
}

BOOST_AUTO_TEST_CASE(MalformedRequestsAreRejectedBeforeWriting) {
  // Each case spoils a copy of a valid call: one request of two events.
  using Requests = std::vector<AppendRequest>;
  struct Case {
    std::string name;
    std::function<void(Requests&)> spoil;
  };
  const std::vector<Case> cases = {
      {"no events", [](Requests& r) { r[0].events.clear(); }},
      {"empty actor", [](Requests& r) { r[0].actor.clear(); }},
      {"actor with a space", [](Requests& r) { r[0].actor = "staff: alice"; }},
      {"lowercase event type", [](Requests& r) { r[0].events[0].type = "tick"; }},
      {"event type with a dash", [](Requests& r) { r[0].events[1].type = "Tick-Tock"; }},
      {"event type over 64 bytes",
       [](Requests& r) { r[0].events[0].type = "T" + std::string(64, 'x'); }},
      {"personal part without a subject",
       [](Requests& r) {
         r[0].events[0].personal = boost::json::object{{"name", "Ada"}};
       }},
      {"personal part with a bad subject",
       [](Requests& r) {
         r[0].events[0] = MakePersonalEvent("Tick", {}, "member 1", {{"name", "Ada"}});
       }},
      {"idempotency key with a control character",
       [](Requests& r) { r[0].idempotency_key = "key\n1"; }},
      {"idempotency key over 256 bytes",
       [](Requests& r) { r[0].idempotency_key = std::string(257, 'k'); }},
      {"correlation id over 256 bytes",
       [](Requests& r) { r[0].correlation_id = std::string(257, 'c'); }},
      {"schema version newer than this build knows",
       [](Requests& r) { r[0].events[0].schema_version = 2; }},
      {"NaN in the payload",
       [](Requests& r) {
         r[0].events[1].payload["x"] = std::numeric_limits<double>::quiet_NaN();
       }},
      {"infinity deep in the personal part",
       [](Requests& r) {
         r[0].events[0] = MakePersonalEvent(
             "Tick", {}, "member-1",
             {{"list", boost::json::array{1, boost::json::object{
                                                 {"y", std::numeric_limits<double>::infinity()}}}}});
       }},
      {"payload string that is not UTF-8",
       [](Requests& r) { r[0].events[1].payload["note"] = "caf\xe9"; }},
      {"personal string that is not UTF-8",
       [](Requests& r) {
         r[0].events[0] = MakePersonalEvent("Tick", {}, "member-1", {{"name", "\xed\xa0\x80"}});
       }},
      {"no requests", [](Requests& r) { r.clear(); }},
      {"bad second request", [](Requests& r) { r.push_back(TickRequest("member 2")); }},
  };
  const Requests valid = {MakeRequest("member-1", {MakeEvent("Tick", {}), MakeEvent("Tock", {})})};
  TempDir dir;
  auto log = OpenLog(dir / "data");
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Requests requests = valid;
      c.spoil(requests);
      BOOST_TEST(FailedWith(log->AppendAtomic(requests), ErrorCode::kInvalidArgument));
      BOOST_TEST(log->GetHead().position == 0u);
    }
  }
  BOOST_TEST(Succeeded(log->AppendAtomic(valid)));
  BOOST_TEST(log->GetHead().position == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

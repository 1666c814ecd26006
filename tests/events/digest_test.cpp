// Signed digests of the head: MakeDigest signs (position, head hash, time); CheckDigest proves
// that the log still extends exactly that history.
#include "events/digest.h"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <functional>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::OpenLog;
using passledger::testing::RawDb;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TickRequest;

// Changes the first hex digit of digest[field] to another hex digit.
void FlipHexDigit(boost::json::object& digest, std::string_view field) {
  std::string text(digest.at(field).as_string());
  text[0] = text[0] == '0' ? '1' : '0';
  digest[field] = text;
}

BOOST_AUTO_TEST_SUITE(digest)

BOOST_AUTO_TEST_CASE(DigestChecksNowAndAfterMoreAppends) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  auto empty = MakeDigest(*log);
  BOOST_TEST_REQUIRE(Succeeded(empty));
  BOOST_TEST(empty->at("position").to_number<std::uint64_t>() == 0u);

  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  auto digest = MakeDigest(*log);
  BOOST_TEST_REQUIRE(Succeeded(digest));
  BOOST_TEST(digest->at("position").to_number<std::uint64_t>() == 5u);
  BOOST_TEST(digest->at("head_hash").as_string() == ToHex(log->GetHead().hash));

  auto now = CheckDigest(*log, *digest);
  BOOST_TEST_REQUIRE(Succeeded(now));
  BOOST_TEST(now->position == 5u);
  BOOST_TEST(now->head == 5u);

  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-2", 3))));
  for (const auto* d : {&*empty, &*digest}) {
    auto later = CheckDigest(*log, *d);
    BOOST_TEST_REQUIRE(Succeeded(later));
    BOOST_TEST(later->head == 8u);
  }
}

BOOST_AUTO_TEST_CASE(AlteredDigestFails) {
  struct Case {
    std::string name;
    std::function<void(boost::json::object&)> alter;
    ErrorCode want;
  };
  const std::vector<Case> cases = {
      {"head hash", [](auto& d) { FlipHexDigit(d, "head_hash"); }, ErrorCode::kCorruption},
      {"signature", [](auto& d) { FlipHexDigit(d, "signature"); }, ErrorCode::kCorruption},
      {"position", [](auto& d) { d["position"] = 4; }, ErrorCode::kCorruption},
      {"signing time", [](auto& d) { d["signed_at"] = "2000-01-01T00:00:00Z"; },
       ErrorCode::kCorruption},
      {"public key", [](auto& d) { FlipHexDigit(d, "public_key"); }, ErrorCode::kCorruption},
      {"signature not hex", [](auto& d) { d["signature"] = "zz"; }, ErrorCode::kInvalidArgument},
      {"no position", [](auto& d) { d.erase("position"); }, ErrorCode::kInvalidArgument},
  };
  TempDir dir;
  auto log = OpenLog(dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  auto digest = MakeDigest(*log);
  BOOST_TEST_REQUIRE(Succeeded(digest));
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      boost::json::object altered = *digest;
      c.alter(altered);
      BOOST_TEST(FailedWith(CheckDigest(*log, altered), c.want));
    }
  }
  BOOST_TEST(Succeeded(CheckDigest(*log, *digest)));
}

BOOST_AUTO_TEST_CASE(DigestOfAnotherServerFails) {
  TempDir dir;
  auto ours = OpenLog(dir / "ours");
  auto theirs = OpenLog(dir / "theirs");
  BOOST_TEST_REQUIRE(Succeeded(ours->Append(TickRequest("member-1"))));
  BOOST_TEST_REQUIRE(Succeeded(theirs->Append(TickRequest("member-1"))));
  auto digest = MakeDigest(*theirs);
  BOOST_TEST_REQUIRE(Succeeded(digest));
  auto checked = CheckDigest(*ours, *digest);
  BOOST_TEST_REQUIRE(FailedWith(checked, ErrorCode::kCorruption));
  BOOST_TEST(checked.error().message.find("another key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(DigestFailsAfterHistoryIsAltered) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  auto digest = MakeDigest(*log);
  BOOST_TEST_REQUIRE(Succeeded(digest));
  log.reset();
  {
    RawDb db(data);
    db.DeleteRecord(3);
  }
  log = OpenLog(data);
  BOOST_TEST(FailedWith(CheckDigest(*log, *digest), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

// Signed digests of the head: MakeDigest signs (position, head hash, time); CheckDigest proves
// that the log still extends exactly that history.
#include "events/digest.h"

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
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

// Issue 12: a digest signs a head only after verifying the chain up to it.
BOOST_AUTO_TEST_CASE(DigestRefusesAnAlteredChainAndSignsNothing) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  log.reset();
  {
    RawDb db(data);
    std::string record = db.GetRecord(3);
    record[record.size() / 2] ^= 0x01;
    db.PutRecord(3, record);
  }
  auto options = passledger::testing::TestOptions(data);
  options.read_only = true;  // as `passledger digest` opens it
  log = OpenLog(options);
  BOOST_TEST(log->GetHead().position == 5u);  // the head itself recovers
  auto digest = MakeDigest(*log);
  BOOST_TEST_REQUIRE(FailedWith(digest, ErrorCode::kCorruption));
  BOOST_TEST(digest.error().message.find("does not verify at position 3") != std::string::npos,
             digest.error().message);
  BOOST_TEST(digest.error().message.find("nothing signed") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(data / "digest.verified"));
}

BOOST_AUTO_TEST_CASE(DigestRefusesAHeadThatCannotBeRecovered) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  log.reset();
  {
    RawDb db(data);
    db.DeleteRecord(5);  // the head record still says 5
  }
  auto options = passledger::testing::TestOptions(data);
  options.read_only = true;
  log = OpenLog(options);  // a read-only open does not fail: it shows an empty head
  BOOST_TEST(log->GetHead().position == 0u);
  BOOST_TEST(FailedWith(MakeDigest(*log), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_CASE(DigestVerifiesFromTheLastDigestItSigned) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1", 5))));
  DigestStats stats;
  BOOST_TEST_REQUIRE(Succeeded(MakeDigest(*log, &stats)));
  BOOST_TEST(stats.verified_from == 1u);
  BOOST_TEST(stats.checked == 5u);

  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-2", 3))));
  auto second = MakeDigest(*log, &stats);
  BOOST_TEST_REQUIRE(Succeeded(second));
  BOOST_TEST(stats.verified_from == 5u);  // the last digest's event is checked again
  BOOST_TEST(stats.checked == 4u);
  BOOST_TEST(Succeeded(CheckDigest(*log, *second)));

  // Corruption after the last digest is still found.
  BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-3", 2))));
  log.reset();
  {
    RawDb db(data);
    std::string record = db.GetRecord(9);
    record[record.size() / 2] ^= 0x01;
    db.PutRecord(9, record);
  }
  log = OpenLog(data);
  BOOST_TEST(FailedWith(MakeDigest(*log), ErrorCode::kCorruption));
  log.reset();

  // A digest.verified not signed by this server's key is ignored: the whole chain is checked.
  TempDir other_dir;
  auto other = OpenLog(other_dir / "data");
  BOOST_TEST_REQUIRE(Succeeded(other->Append(TickRequest("member-1", 2))));
  BOOST_TEST_REQUIRE(Succeeded(MakeDigest(*other)));
  BOOST_TEST_REQUIRE(Succeeded(other->Append(TickRequest("member-1", 2))));
  std::filesystem::copy_file(data / "digest.verified", other_dir / "data" / "digest.verified",
                             std::filesystem::copy_options::overwrite_existing);
  BOOST_TEST_REQUIRE(Succeeded(MakeDigest(*other, &stats)));
  BOOST_TEST(stats.verified_from == 1u);
  BOOST_TEST(stats.checked == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

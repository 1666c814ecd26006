// Envelope encoding: canonical round trip, strict decoding of hostile bytes.
#include "events/envelope.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "events/storage_format.h"
#include "tests/testing/event_log_helpers.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::Succeeded;

Envelope SampleEnvelope() {
  Envelope e;
  e.position = 42;
  e.stream = "member-8-10000001";
  e.version = 3;
  e.type = "MemberChanged";
  e.schema_version = 2;
  e.recorded_at_us = 1'790'000'000'123'456;
  e.actor = "staff:alice";
  e.correlation_id = "corr";
  e.causation = 41;
  e.subject = "8-10000001";
  e.payload = R"({"changes":{"level":{"old":"Family","new":"Patron"}}})";
  e.sealed = std::string(40, '\x7f');
  e.prev_hash = GenesisHash();
  e.hash = ComputeHash(e.prev_hash, EncodeCanonical(e));
  return e;
}

BOOST_AUTO_TEST_SUITE(envelope)

BOOST_AUTO_TEST_CASE(RecordRoundTripsExactly) {
  const Envelope e = SampleEnvelope();
  const std::string record = EncodeRecord(e);
  auto decoded = DecodeRecord(record);
  BOOST_TEST_REQUIRE(Succeeded(decoded));
  BOOST_TEST(EncodeRecord(*decoded) == record);
  BOOST_TEST(decoded->stream == e.stream);
  BOOST_TEST(decoded->recorded_at_us == e.recorded_at_us);
  BOOST_TEST(decoded->sealed == e.sealed);
  auto view = ViewRecord(record);
  BOOST_TEST_REQUIRE(Succeeded(view));
  BOOST_TEST(view->position == 42u);
  BOOST_TEST((view->stored_hash == e.hash));
  BOOST_TEST((ComputeHash(view->prev_hash, view->canonical) == e.hash));
}

BOOST_AUTO_TEST_CASE(HostileRecordsAreCorruptionNotCrashes) {
  const std::string good = EncodeRecord(SampleEnvelope());
  // Offset of the stream's length byte: format (1) + position (8).
  std::string non_minimal = good;
  non_minimal.replace(9, 1, std::string("\x91\x00", 2));  // 17 as two bytes
  std::string huge_length = good;
  huge_length.replace(9, 1, std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"format byte only", good.substr(0, 1)},
      {"unknown format", "\x02" + good.substr(1)},
      {"truncated by one byte", good.substr(0, good.size() - 1)},
      {"one trailing byte", good + "x"},
      {"non-minimal length", non_minimal},
      {"length past the end", huge_length},
  };
  for (const auto& [name, bytes] : cases) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(FailedWith(DecodeRecord(bytes), ErrorCode::kCorruption));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

// EventLog::Verify and ChainVerifier: the hash chain finds altered, missing and extra records,
// and names the first bad position. The records are altered through RocksDB directly, as a
// broken disk or an attacker with file access would.
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/chain_verifier.h"
#include "events/envelope.h"
#include "events/event_log.h"
#include "events/storage_format.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::RawDb;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

constexpr std::uint64_t kEvents = 10;
constexpr std::string_view kMark = "tamper-me";  // in every payload, to find a byte to flip

// Ten events in requests of 1, 2, 3 and 4, every third one with a personal part.
void WriteTenEvents(const std::filesystem::path& data) {
  auto log = OpenLog(data);
  std::uint64_t n = 0;
  for (std::size_t count = 1; count <= 4; ++count) {
    std::vector<NewEvent> events;
    for (std::size_t i = 0; i < count; ++i, ++n) {
      boost::json::object payload = {{"n", n}, {"note", kMark}};
      events.push_back(n % 3 == 0 ? MakePersonalEvent("Tick", payload, "member-1", {{"p", n}})
                                  : MakeEvent("Tick", payload));
    }
    BOOST_TEST_REQUIRE(Succeeded(log->Append(MakeRequest("member-1", std::move(events)))));
  }
  BOOST_TEST_REQUIRE(log->GetHead().position == kEvents);
}

void FlipByte(std::string& record, std::size_t offset) {
  BOOST_TEST_REQUIRE(offset < record.size());
  record[offset] = static_cast<char>(record[offset] ^ 0x20);
}

enum class Tamper {
  kNone,
  kFlipPayloadByte,  // the record still decodes; only the hash shows the change
  kFlipStoredHash,   // the last 32 bytes
  kFlipPrevHash,     // the 32 bytes before them
  kDelete,           // remove the record
  kAppendAfterHead,  // a well-chained record after the last one, without moving the head
};

void ApplyTamper(RawDb& db, Tamper tamper, std::uint64_t position) {
  if (tamper == Tamper::kNone) return;
  if (tamper == Tamper::kDelete) return db.DeleteRecord(position);
  if (tamper == Tamper::kAppendAfterHead) {
    auto last = DecodeRecord(db.GetRecord(position - 1));
    BOOST_TEST_REQUIRE(Succeeded(last));
    Envelope extra = *last;
    extra.position = position;
    extra.version = last->version + 1;
    extra.prev_hash = last->hash;
    extra.hash = ComputeHash(extra.prev_hash, EncodeCanonical(extra));
    return db.PutRecord(position, EncodeRecord(extra));
  }
  std::string record = db.GetRecord(position);
  if (tamper == Tamper::kFlipPayloadByte) {
    const auto mark = record.find(kMark);
    BOOST_TEST_REQUIRE(mark != std::string::npos);
    FlipByte(record, mark);  // 't' -> 'T': still valid JSON
  } else if (tamper == Tamper::kFlipStoredHash) {
    FlipByte(record, record.size() - 1);
  } else {
    FlipByte(record, record.size() - format::kHashSize - 1);
  }
  db.PutRecord(position, record);
}

BOOST_AUTO_TEST_SUITE(verify)

BOOST_AUTO_TEST_CASE(VerifyNamesTheFirstBadPosition) {
  struct Case {
    std::string name;
    Tamper tamper;
    std::uint64_t position;
    std::optional<std::uint64_t> want_first_bad;
    bool writable_open_fails;  // with kCorruption: the head no longer matches the log
  };
  const std::vector<Case> cases = {
      {"untouched", Tamper::kNone, 0, {}, false},
      {"payload byte of the first", Tamper::kFlipPayloadByte, 1, 1, false},
      {"payload byte of one inside", Tamper::kFlipPayloadByte, 6, 6, false},
      {"payload byte of the last", Tamper::kFlipPayloadByte, kEvents, kEvents, true},
      {"stored hash", Tamper::kFlipStoredHash, 4, 4, false},
      {"stored hash of the last", Tamper::kFlipStoredHash, kEvents, kEvents, true},
      {"previous hash", Tamper::kFlipPrevHash, 7, 7, false},
      {"delete the first", Tamper::kDelete, 1, 1, false},
      {"delete one inside", Tamper::kDelete, 6, 6, false},
      {"delete the last", Tamper::kDelete, kEvents, kEvents, true},
      {"extra record after the head", Tamper::kAppendAfterHead, kEvents + 1, kEvents + 1, true},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      TempDir dir;
      const auto data = dir / "data";
      WriteTenEvents(data);
      {
        RawDb db(data);
        ApplyTamper(db, c.tamper, c.position);
      }

      // Writable open checks the last record and the head; Verify walks the whole chain.
      auto writable = EventLog::Open(TestOptions(data));
      if (c.writable_open_fails) {
        BOOST_TEST_REQUIRE(FailedWith(writable, ErrorCode::kCorruption));
        BOOST_TEST(writable.error().message.find("run `passledger verify`") != std::string::npos,
                   writable.error().message);
      } else {
        BOOST_TEST_REQUIRE(Succeeded(writable));
        auto report = (*writable)->Verify();
        BOOST_TEST_REQUIRE(Succeeded(report));
        BOOST_TEST((report->first_bad == c.want_first_bad),
                   "first bad " << report->first_bad.value_or(0) << ": " << report->problem);
      }
      if (writable) writable->reset();

      OpenOptions read_only = TestOptions(data);
      read_only.read_only = true;
      auto log = OpenLog(read_only);
      auto report = log->Verify();
      BOOST_TEST_REQUIRE(Succeeded(report));
      BOOST_TEST((report->first_bad == c.want_first_bad),
                 "first bad " << report->first_bad.value_or(0) << ": " << report->problem);
      BOOST_TEST(report->ok() == !c.want_first_bad.has_value());
      BOOST_TEST(report->problem.empty() == !c.want_first_bad.has_value());
      if (!c.want_first_bad) {
        BOOST_TEST(report->checked == kEvents);
        BOOST_TEST(report->head.position == kEvents);
      } else if (*c.want_first_bad > 1) {
        // Everything before the first bad position still verifies on its own.
        auto before = log->Verify(1, *c.want_first_bad - 1);
        BOOST_TEST_REQUIRE(Succeeded(before));
        BOOST_TEST(before->ok(), before->problem);
        BOOST_TEST(before->checked == *c.want_first_bad - 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ChainVerifierChecksOrderAndLinks) {
  // Three well-chained records, fed in different orders.
  std::vector<std::string> records;
  Hash prev = GenesisHash();
  for (std::uint64_t p = 1; p <= 3; ++p) {
    Envelope e;
    e.position = p;
    e.stream = "member-1";
    e.version = p;
    e.type = "Tick";
    e.payload = "{}";
    e.prev_hash = prev;
    e.hash = ComputeHash(prev, EncodeCanonical(e));
    prev = e.hash;
    records.push_back(EncodeRecord(e));
  }
  struct Case {
    std::string name;
    std::vector<std::pair<std::uint64_t, int>> feed;  // position, index into records
    std::optional<std::uint64_t> expected_last;
    std::optional<std::uint64_t> want_first_bad;
  };
  const std::vector<Case> cases = {
      {"in order", {{1, 0}, {2, 1}, {3, 2}}, 3, {}},
      {"ends early", {{1, 0}, {2, 1}}, 3, 3},
      {"gap", {{1, 0}, {3, 2}}, {}, 2},
      {"stored under the wrong position", {{1, 0}, {2, 2}}, {}, 2},
      {"repeated position", {{1, 0}, {1, 0}}, {}, 1},
      {"record of another position", {{1, 1}}, {}, 1},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      ChainVerifier verifier(1, GenesisHash());
      for (const auto& [position, index] : c.feed) verifier.Feed(position, records[index]);
      const bool ok = verifier.Finish(c.expected_last);
      BOOST_TEST(ok == !c.want_first_bad.has_value());
      BOOST_TEST((verifier.first_bad() == c.want_first_bad), verifier.problem());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

// Sealing and crypto-shredding: personal parts are sealed under a per-subject key (KeyRing);
// EventLog::Forget destroys the key, so the subject's personal parts stay unreadable for
// good while the chain and every other subject are untouched.
#include <rocksdb/db.h>

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "events/event_log.h"
#include "events/key_ring.h"
#include "events/storage_format.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"
#include "events/storage_access.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

// The subject_keys entry of `subject`, read straight from RocksDB ("" when absent).
std::string StoredSubjectKey(const EventLog& log, const std::string& subject) {
  std::string value;
  const auto status = StorageAccess::Db(log)->Get(rocksdb::ReadOptions(),
                                    StorageAccess::ColumnFamily(log, format::kCfSubjectKeys), subject, &value);
  BOOST_TEST_REQUIRE((status.ok() || status.IsNotFound()), status.ToString());
  return value;
}

// Every value in the subject_keys column family.
std::vector<std::string> AllSubjectKeyValues(const EventLog& log) {
  std::vector<std::string> values;
  std::unique_ptr<rocksdb::Iterator> it(
      StorageAccess::Db(log)->NewIterator(rocksdb::ReadOptions(), StorageAccess::ColumnFamily(log, format::kCfSubjectKeys)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) values.push_back(it->value().ToString());
  BOOST_TEST_REQUIRE(it->status().ok(), it->status().ToString());
  return values;
}

// Whether any file under `dir` (the database's SST, WAL and manifest files) holds `bytes`.
bool AnyFileContains(const std::filesystem::path& dir, const std::string& bytes) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string contents((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (contents.find(bytes) != std::string::npos) return true;
  }
  return false;
}

BOOST_AUTO_TEST_SUITE(forget)

BOOST_AUTO_TEST_CASE(ForgottenSubjectStaysSealedForGood) {
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  const boost::json::object ada = {{"name", "Ada"}};
  const boost::json::object ada_email = {{"email", "ada@example.com"}};
  const boost::json::object bob = {{"name", "Bob"}};
  BOOST_TEST_REQUIRE(Succeeded(log->Append(MakeRequest(
      "member-1", {MakePersonalEvent("MemberJoined", {{"tier", "gold"}}, "member-1", ada),
                   MakeEvent("PointsAdded", {{"points", 5}})}))));
  BOOST_TEST_REQUIRE(Succeeded(log->Append(
      MakeRequest("member-2", {MakePersonalEvent("MemberJoined", {}, "member-2", bob)}))));
  BOOST_TEST_REQUIRE(Succeeded(log->Append(
      MakeRequest("member-1", {MakePersonalEvent("MemberUpdated", {}, "member-1", ada_email)}))));

  const std::string wrapped = StoredSubjectKey(*log, "member-1");
  BOOST_TEST_REQUIRE(wrapped.size() == format::kNonceSize + format::kKeySize + format::kTagSize);
  // A key that has lived a while sits in a table file, not only in the memtable and the WAL:
  // Forget must compact it away, not merely overwrite it.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  const auto flushed = StorageAccess::Db(*log)->Flush(flush, StorageAccess::ColumnFamily(*log, format::kCfSubjectKeys));
  BOOST_TEST_REQUIRE(flushed.ok(), flushed.ToString());
  // The check below that the wrapped key left the files is only meaningful if it was there.
  BOOST_TEST_REQUIRE(AnyFileContains(data / format::kDbDir, wrapped));

  auto forgotten = log->Forget("member-1", "member-1", "staff:alice", "member asked");
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  BOOST_TEST(forgotten->first_position == 5u);
  BOOST_TEST(forgotten->stream_version == 4u);

  // The first five events as Forget left them; later appends come after.
  const auto check = [&](const EventLog& l) {
    auto events = l.ReadRange(1, 5, ReadOptions{.reveal = true});
    BOOST_TEST_REQUIRE(Succeeded(events));
    BOOST_TEST_REQUIRE(events->size() == 5u);
    struct Want {
      PersonalState state;
      boost::json::object personal;
    };
    const std::vector<Want> want = {{PersonalState::kForgotten, {}},
                                    {PersonalState::kNone, {}},
                                    {PersonalState::kRevealed, bob},
                                    {PersonalState::kForgotten, {}},
                                    {PersonalState::kNone, {}}};
    for (std::size_t i = 0; i < want.size(); ++i) {
      BOOST_TEST_CONTEXT("position " << i + 1) {
        BOOST_TEST((*events)[i].personal_state == want[i].state);
        BOOST_TEST((*events)[i].personal == want[i].personal);
      }
    }
    const RecordedEvent& marker = (*events)[4];
    BOOST_TEST(marker.envelope.type == kSubjectForgotten);
    BOOST_TEST(marker.envelope.actor == "staff:alice");
    BOOST_TEST(marker.envelope.subject == "member-1");
    BOOST_TEST(marker.schema_version == kSubjectForgottenVersion);
    BOOST_TEST(marker.payload ==
               boost::json::object({{"subject", "member-1"}, {"reason", "member asked"}}));
    // Without reveal nothing tells a forgotten part from a sealed one.
    auto sealed = l.ReadStream("member-1", 1, 100);
    BOOST_TEST_REQUIRE(Succeeded(sealed));
    BOOST_TEST((*sealed)[0].personal_state == PersonalState::kSealed);
    auto report = l.Verify();
    BOOST_TEST_REQUIRE(Succeeded(report));
    BOOST_TEST(report->ok(), report->problem);
    BOOST_TEST(report->checked == l.GetHead().position);
  };
  check(*log);

  // The wrapped key is gone from the column family and from the database's files.
  BOOST_TEST(StoredSubjectKey(*log, "member-1") == format::kForgottenMarker);
  for (const auto& value : AllSubjectKeyValues(*log)) BOOST_TEST((value != wrapped));
  BOOST_TEST(!AnyFileContains(data / format::kDbDir, wrapped));

  // No new personal data for a forgotten subject; others are unaffected.
  const auto head = log->GetHead().position;
  BOOST_TEST(FailedWith(log->Append(MakeRequest(
                            "member-1", {MakePersonalEvent("MemberUpdated", {}, "member-1", ada)})),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(log->GetHead().position == head);
  auto second = log->Forget("member-1", "member-1", "staff:alice", "again");
  BOOST_TEST_REQUIRE(FailedWith(second, ErrorCode::kNotFound));
  BOOST_TEST(second.error().message.find("already been forgotten") != std::string::npos);
  BOOST_TEST(log->GetHead().position == head);
  auto bob_again = log->Append(
      MakeRequest("member-2", {MakePersonalEvent("MemberUpdated", {}, "member-2", bob)}));
  BOOST_TEST_REQUIRE(Succeeded(bob_again));

  // All of it holds after a restart, when no key cache remembers anything.
  log.reset();
  log = OpenLog(data);
  check(*log);
  BOOST_TEST(FailedWith(log->Append(MakeRequest(
                            "member-1", {MakePersonalEvent("MemberUpdated", {}, "member-1", ada)})),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(
      FailedWith(log->Forget("member-1", "member-1", "staff:alice", ""), ErrorCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(ForgettingASubjectWithoutDataBlocksFutureData) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  auto forgotten = log->Forget("member-77", "member-77", "staff:alice", "");
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  auto read = log->ReadRange(forgotten->first_position, 1);
  BOOST_TEST_REQUIRE(Succeeded(read));
  BOOST_TEST(read->front().payload.at("reason") == "unspecified");
  BOOST_TEST(FailedWith(
      log->Append(MakeRequest(
          "member-77", {MakePersonalEvent("MemberJoined", {}, "member-77", {{"name", "Zed"}})})),
      ErrorCode::kFailedPrecondition));
  BOOST_TEST(FailedWith(log->Forget("not a subject", "member-77", "staff:alice", ""),
                        ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_CASE(KeyRingWrapsKeysForOneSubjectUnderOneMasterKey) {
  const KeyRing ring(RandomKey());
  const KeyRing other(RandomKey());
  const Key data_key = RandomKey();
  const std::string wrapped = ring.Wrap("member-1", data_key);
  auto unwrapped = ring.Unwrap("member-1", wrapped);
  BOOST_TEST_REQUIRE(Succeeded(unwrapped));
  BOOST_TEST((*unwrapped == data_key));
  BOOST_TEST(FailedWith(ring.Unwrap("member-2", wrapped), ErrorCode::kCorruption));
  BOOST_TEST(FailedWith(other.Unwrap("member-1", wrapped), ErrorCode::kCorruption));
  BOOST_TEST(ring.MatchesCheckValue(ring.MakeCheckValue()));
  BOOST_TEST(!other.MatchesCheckValue(ring.MakeCheckValue()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

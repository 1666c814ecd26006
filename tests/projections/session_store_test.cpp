// SessionStore: staff sessions beside the log — put, get, touch and erase by the id's hash,
// every session of a user ended at once, the bound kept by dropping expired sessions and then
// the least recently seen, records surviving a reopen, undecodable records dropped, a
// read-only open, none of it in the hash chain, and the session id itself on no disk.
#include "projections/session_store.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/testing/event_log_helpers.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::OpenLog;
using passledger::testing::RawDb;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

constexpr std::int64_t kMinute = 60'000'000;

StaffSession Session(std::string username, std::int64_t last_seen_us,
                     std::int64_t expires_us = 1'000 * kMinute, std::string client = "192.0.2.7") {
  StaffSession s;
  s.username = std::move(username);
  s.csrf_token_hash = Sha256("csrf of " + s.username);
  s.password_stamp = Sha256("stamp of " + s.username);
  s.created_us = last_seen_us;
  s.last_seen_us = last_seen_us;
  s.expires_us = expires_us;
  s.client = std::move(client);
  return s;
}

std::unique_ptr<SessionStore> OpenStore(events::EventLog& log, std::size_t max_records = 10'000) {
  auto store = SessionStore::Open(&log, max_records);
  BOOST_TEST_REQUIRE(Succeeded(store));
  return std::move(*store);
}

void Put(SessionStore& store, std::string_view id, StaffSession session) {
  BOOST_TEST_REQUIRE(Succeeded(store.Put(Sha256(id), std::move(session))));
}

// Every file of the data directory, concatenated (WAL, tables, manifests).
std::string AllBytes(const std::filesystem::path& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  return bytes;
}

BOOST_AUTO_TEST_SUITE(session_store_test)

BOOST_AUTO_TEST_CASE(sessions_are_put_got_touched_and_erased_by_the_ids_hash) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log);
  Put(*store, "id-1", Session("alice", 10 * kMinute));
  Put(*store, "id-2", Session("bob", 11 * kMinute));
  BOOST_TEST(store->size() == 2u);
  const auto got = store->Get(Sha256("id-1"));
  BOOST_TEST_REQUIRE(got.has_value());
  BOOST_TEST((*got == Session("alice", 10 * kMinute)));
  BOOST_TEST(!store->Get(Sha256("id-3")).has_value());

  auto touched = store->Touch(Sha256("id-1"), 20 * kMinute, 50 * kMinute);
  BOOST_TEST_REQUIRE(Succeeded(touched));
  BOOST_TEST(*touched);
  BOOST_TEST(store->Get(Sha256("id-1"))->last_seen_us == 20 * kMinute);
  BOOST_TEST(store->Get(Sha256("id-1"))->expires_us == 50 * kMinute);
  BOOST_TEST(store->Get(Sha256("id-1"))->created_us == 10 * kMinute);
  BOOST_TEST(!*store->Touch(Sha256("id-3"), 1, 2));

  BOOST_TEST(*store->Erase(Sha256("id-1")));
  BOOST_TEST(!*store->Erase(Sha256("id-1")));
  BOOST_TEST(!store->Get(Sha256("id-1")).has_value());
  BOOST_TEST(store->size() == 1u);
  // Not in the hash chain: the log is as empty as it was.
  BOOST_TEST(log->GetHead().position == 0u);
}

BOOST_AUTO_TEST_CASE(erasing_a_user_ends_all_of_its_sessions_and_no_others) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log);
  Put(*store, "a1", Session("alice", 1));
  Put(*store, "a2", Session("alice", 2));
  Put(*store, "b1", Session("bob", 3));
  auto erased = store->EraseUser("alice");
  BOOST_TEST_REQUIRE(Succeeded(erased));
  BOOST_TEST(*erased == 2u);
  BOOST_TEST(!store->Get(Sha256("a1")).has_value());
  BOOST_TEST(!store->Get(Sha256("a2")).has_value());
  BOOST_TEST(store->Get(Sha256("b1")).has_value());
  BOOST_TEST(*store->EraseUser("alice") == 0u);
}

BOOST_AUTO_TEST_CASE(pruning_drops_exactly_the_expired_sessions) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log);
  Put(*store, "old", Session("alice", 1, /*expires_us=*/100));
  Put(*store, "edge", Session("bob", 1, /*expires_us=*/200));
  Put(*store, "new", Session("carol", 1, /*expires_us=*/201));
  auto pruned = store->PruneExpired(200);
  BOOST_TEST_REQUIRE(Succeeded(pruned));
  BOOST_TEST(*pruned == 2u);
  BOOST_TEST(store->size() == 1u);
  BOOST_TEST(store->Get(Sha256("new")).has_value());
}

// The bound holds however many logins come; what goes first is what is expired, then what
// was seen least recently. The control: below the bound nothing is dropped.
BOOST_AUTO_TEST_CASE(a_full_store_drops_expired_sessions_first_then_the_least_recently_seen) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log, /*max_records=*/3);
  Put(*store, "expired", Session("alice", 5 * kMinute, /*expires_us=*/6 * kMinute));
  Put(*store, "seen-1", Session("bob", 1 * kMinute));
  Put(*store, "seen-3", Session("carol", 3 * kMinute));
  BOOST_TEST(store->size() == 3u);
  BOOST_TEST(store->Get(Sha256("expired")).has_value());

  Put(*store, "new-10", Session("dave", 10 * kMinute));  // "expired" goes, though seen later
  BOOST_TEST(store->size() == 3u);
  BOOST_TEST(!store->Get(Sha256("expired")).has_value());
  BOOST_TEST(store->Get(Sha256("seen-1")).has_value());

  Put(*store, "new-11", Session("erin", 11 * kMinute));  // none expired: the least recent goes
  BOOST_TEST(store->size() == 3u);
  BOOST_TEST(!store->Get(Sha256("seen-1")).has_value());
  BOOST_TEST(store->Get(Sha256("seen-3")).has_value());
  BOOST_TEST(store->Get(Sha256("new-10")).has_value());

  // Replacing a session that is there makes no room and drops nothing.
  Put(*store, "new-11", Session("erin", 12 * kMinute));
  BOOST_TEST(store->size() == 3u);
  BOOST_TEST(store->Get(Sha256("seen-3")).has_value());

  for (int i = 0; i < 50; ++i)
    Put(*store, "flood-" + std::to_string(i), Session("x", 20 * kMinute + i));
  BOOST_TEST(store->size() == 3u);
}

BOOST_AUTO_TEST_CASE(sessions_survive_reopening_the_log) {
  TempDir dir;
  {
    auto log = OpenLog(TestOptions(dir.path() / "data"));
    auto store = OpenStore(*log);
    Put(*store, "kept", Session("alice", 7 * kMinute));
    Put(*store, "ended", Session("bob", 8 * kMinute));
    BOOST_TEST_REQUIRE(Succeeded(store->Erase(Sha256("ended"))));
  }
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log);
  BOOST_TEST(store->size() == 1u);
  const auto kept = store->Get(Sha256("kept"));
  BOOST_TEST_REQUIRE(kept.has_value());
  BOOST_TEST((*kept == Session("alice", 7 * kMinute)));
  BOOST_TEST(!store->Get(Sha256("ended")).has_value());
}

BOOST_AUTO_TEST_CASE(a_long_client_is_cut_to_its_bound) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log);
  Put(*store, "id", Session("alice", 1, 100, std::string(1000, 'c')));
  BOOST_TEST(store->Get(Sha256("id"))->client.size() == kMaxSessionClientBytes);
}

// A record that does not decode ends its session rather than the server's start.
BOOST_AUTO_TEST_CASE(an_undecodable_record_is_dropped_at_open) {
  TempDir dir;
  const auto data = dir.path() / "data";
  {
    auto log = OpenLog(TestOptions(data));
    auto store = OpenStore(*log);
    Put(*store, "good", Session("alice", 1));
    Put(*store, "bad", Session("bob", 1));
  }
  {
    RawDb raw(data);
    const Hash bad = Sha256("bad");
    raw.Put(std::string(kStaffSessionsColumnFamily),
            "s" + std::string(reinterpret_cast<const char*>(bad.data()), bad.size()),
            "\x01truncated");
    raw.Put(std::string(kStaffSessionsColumnFamily), "not a session key", "whatever");
  }
  {
    auto log = OpenLog(TestOptions(data));
    auto store = OpenStore(*log);
    BOOST_TEST(store->dropped_at_open() == 2u);
    BOOST_TEST(store->size() == 1u);
    BOOST_TEST(store->Get(Sha256("good")).has_value());
  }
  auto log = OpenLog(TestOptions(data));
  BOOST_TEST(OpenStore(*log)->dropped_at_open() == 0u);  // deleted, not merely skipped
}

BOOST_AUTO_TEST_CASE(a_read_only_log_reads_the_sessions_and_refuses_writes) {
  TempDir dir;
  const auto data = dir.path() / "data";
  { auto log = OpenLog(TestOptions(data)); }  // a log without the column family
  {
    auto options = TestOptions(data);
    options.read_only = true;
    auto log = OpenLog(options);
    auto store = OpenStore(*log);
    BOOST_TEST(store->size() == 0u);
    const auto put = store->Put(Sha256("id"), Session("alice", 1));
    BOOST_TEST_REQUIRE(!put.has_value());
    BOOST_TEST((put.error().code == ErrorCode::kFailedPrecondition));
  }
  {
    auto log = OpenLog(TestOptions(data));
    Put(*OpenStore(*log), "id", Session("alice", 1));
  }
  auto options = TestOptions(data);
  options.read_only = true;
  auto log = OpenLog(options);
  auto store = OpenStore(*log);
  BOOST_TEST(store->Get(Sha256("id")).has_value());
  BOOST_TEST((store->EraseUser("alice").error().code == ErrorCode::kFailedPrecondition));
}

// The id is the credential: only its hash may reach the disk. The control: the same search
// finds the id's hash and the session's client marker in the files, so it would find the id.
BOOST_AUTO_TEST_CASE(the_session_id_itself_is_on_no_disk) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const std::string id = "Zm9vYmFyLXNlc3Npb24taWQtZm9yLXRoZS10ZXN0LTE";  // 43 characters
  const Hash id_hash = Sha256(id);
  {
    auto log = OpenLog(TestOptions(data));
    auto store = OpenStore(*log);
    Put(*store, id, Session("alice", 1, 100, "client-marker-7f3a"));
  }
  const std::string bytes = AllBytes(data);
  BOOST_TEST(bytes.find("client-marker-7f3a") != std::string::npos);
  BOOST_TEST(bytes.find(std::string(reinterpret_cast<const char*>(id_hash.data()),
                                    id_hash.size())) != std::string::npos);
  BOOST_TEST(bytes.find(id) == std::string::npos);
  BOOST_TEST(bytes.find(id.substr(0, 20)) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

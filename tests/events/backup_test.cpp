// Backups and restores (backup.h): a backup verifies and restores to a log equal to the
// original up to the backup's head, also when taken beside another process that holds the
// log; the master key is copied only when asked; a restore refuses a bad target, a missing
// key, a wrong key and an altered backup, and then leaves nothing behind.
#include "events/backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "events/data_dir.h"
#include "events/storage_format.h"
#include "tests/events/child_writer.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/scoped_env.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

namespace fs = std::filesystem;
using passledger::testing::FailedWith;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::ScopedEnv;
using passledger::testing::StartHoldingWriter;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

// The tests pick their key source explicitly; an operator's variable must not interfere.
ScopedEnv NoKeyFromEnv() { return ScopedEnv(std::string(format::kMasterKeyEnv), std::nullopt); }

Key MasterKeyOf(const fs::path& data_dir) {
  auto text = ReadSmallFile(data_dir / format::kMasterKeyFile, 256);
  BOOST_TEST_REQUIRE(Succeeded(text));
  auto key = ParseHexKey(*text, "master.key");
  BOOST_TEST_REQUIRE(Succeeded(key));
  return *key;
}

// `count` events on two streams, every other one with a personal part.
void Append(EventLog& log, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string member = "member-" + std::to_string(i % 2);
    auto event = i % 2 == 0 ? MakePersonalEvent("Tick", {{"n", i}}, member, {{"name", member}})
                            : MakeEvent("Tick", {{"n", i}});
    BOOST_TEST_REQUIRE(Succeeded(log.Append(MakeRequest(member, {std::move(event)}))));
  }
}

// Every record of the log up to `last`, with its revealed personal part.
std::vector<std::string> Contents(const EventLog& log, std::uint64_t last) {
  auto events = log.ReadRange(1, last, ReadOptions{true});
  BOOST_TEST_REQUIRE(Succeeded(events));
  std::vector<std::string> out;
  for (const auto& event : *events) {
    out.push_back(EncodeRecord(event.envelope) + boost::json::serialize(event.personal));
  }
  return out;
}

void ExpectSameUpTo(const fs::path& original, const fs::path& restored, const Head& head) {
  OpenOptions read_only = TestOptions(original);
  read_only.read_only = true;
  auto a = OpenLog(read_only);
  auto b = OpenLog(TestOptions(restored));
  BOOST_TEST(b->GetHead().position == head.position);
  BOOST_TEST((b->GetHead().hash == head.hash));
  BOOST_TEST((Contents(*a, head.position) == Contents(*b, head.position)));
  auto verified = b->Verify();
  BOOST_TEST_REQUIRE(Succeeded(verified));
  BOOST_TEST(verified->ok(), verified->problem);
}

unsigned ModeOf(const fs::path& path) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

bool HasFile(const BackupManifest& manifest, std::string_view path) {
  for (const auto& file : manifest.files) {
    if (file.path == path) return true;
  }
  return false;
}

// Nothing but `names` in `dir` (restores assemble beside their target; no litter may stay).
std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

BOOST_AUTO_TEST_SUITE(backup)

BOOST_AUTO_TEST_CASE(BackupOfAnOpenLogRestoresToTheSameLog) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  auto log = OpenLog(data);
  Append(*log, 20);
  const Head head = log->GetHead();

  auto manifest = CreateBackup(*log, dir / "backup", {});
  BOOST_TEST_REQUIRE(Succeeded(manifest));
  BOOST_TEST(manifest->head.position == head.position);
  BOOST_TEST((manifest->head.hash == head.hash));
  BOOST_TEST(!manifest->master_key_included);
  BOOST_TEST(HasFile(*manifest, "PASSLEDGER"));
  BOOST_TEST(HasFile(*manifest, "signing.key"));
  BOOST_TEST(HasFile(*manifest, "db/CURRENT"));
  BOOST_TEST(!fs::exists(dir / "backup" / "master.key"));
  BOOST_TEST(ModeOf(dir / "backup" / "signing.key") == 0600u);
  auto reread = ReadBackupManifest(dir / "backup");
  BOOST_TEST_REQUIRE(Succeeded(reread));
  BOOST_TEST((boost::json::serialize(BackupManifestToJson(*reread)) ==
              boost::json::serialize(BackupManifestToJson(*manifest))));

  // The log goes on; the backup stays at its head.
  Append(*log, 5);
  log.reset();

  RestoreOptions options;
  options.master_key = MasterKeyOf(data);
  auto restored = RestoreBackup(dir / "backup", dir / "restored", options);
  BOOST_TEST_REQUIRE(Succeeded(restored));
  BOOST_TEST(restored->verified.checked == head.position);
  BOOST_TEST(restored->master_key_source == "--master-key");
  BOOST_TEST(ModeOf(dir / "restored" / "master.key") == 0600u);
  ExpectSameUpTo(data, dir / "restored", head);
  BOOST_TEST((Entries(dir.path()) == std::vector<std::string>{"backup", "data", "restored"}));
}

BOOST_AUTO_TEST_CASE(BackupBesideAnotherProcessThatHoldsTheLog) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  auto holder = StartHoldingWriter(data, 30);

  auto backup = BackupDataDir(data, dir / "backup", {});
  BOOST_TEST_REQUIRE(Succeeded(backup));
  BOOST_TEST(backup->writer_pid == std::to_string(holder.pid()));
  BOOST_TEST(backup->lock_error.find("in use by process") != std::string::npos);
  BOOST_TEST(backup->manifest.head.position == 30u);

  holder.CloseStdin();
  BOOST_TEST(holder.Wait() == 0);
  RestoreOptions options;
  options.master_key = MasterKeyOf(data);
  auto restored = RestoreBackup(dir / "backup", dir / "restored", options);
  BOOST_TEST_REQUIRE(Succeeded(restored));
  ExpectSameUpTo(data, dir / "restored", backup->manifest.head);
}

BOOST_AUTO_TEST_CASE(BackupOfAnIdleDataDirHoldsItsLock) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  Append(*OpenLog(data), 3);

  fs::create_directories(dir / "backup");  // an empty directory is fine too
  auto backup = BackupDataDir(data, dir / "backup", {});
  BOOST_TEST_REQUIRE(Succeeded(backup));
  BOOST_TEST(backup->lock_error.empty());
  BOOST_TEST(backup->attempts == 1);
  BOOST_TEST(backup->manifest.head.position == 3u);
  // The lock is released again.
  BOOST_TEST(Succeeded(EventLog::Open(TestOptions(data))));
}

BOOST_AUTO_TEST_CASE(MasterKeyIsCopiedOnlyWhenAsked) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  Append(*OpenLog(data), 4);

  auto with_key = BackupDataDir(data, dir / "with-key", {.include_master_key = true});
  BOOST_TEST_REQUIRE(Succeeded(with_key));
  BOOST_TEST(with_key->manifest.master_key_included);
  BOOST_TEST(!HasFile(with_key->manifest, "master.key"));  // not listed with its digest
  BOOST_TEST(ModeOf(dir / "with-key" / "master.key") == 0600u);
  auto restored = RestoreBackup(dir / "with-key", dir / "restored", {});
  BOOST_TEST_REQUIRE(Succeeded(restored));
  BOOST_TEST(restored->master_key_source == "the backup");
  ExpectSameUpTo(data, dir / "restored", with_key->manifest.head);

  // Without a key anywhere, the restore says where to get one.
  auto without_key = BackupDataDir(data, dir / "without-key", {});
  BOOST_TEST_REQUIRE(Succeeded(without_key));
  auto refused = RestoreBackup(dir / "without-key", dir / "restored-2", {});
  BOOST_TEST_REQUIRE(FailedWith(refused, ErrorCode::kInvalidArgument));
  BOOST_TEST(refused.error().message.find("--master-key") != std::string::npos);
  BOOST_TEST(!fs::exists(dir / "restored-2"));

  // $PASSLEDGER_MASTER_KEY is the third source: used at open, not written to the directory.
  ScopedEnv key_env(std::string(format::kMasterKeyEnv), ToHex(MasterKeyOf(data)));
  auto from_env = RestoreBackup(dir / "without-key", dir / "restored-3", {});
  BOOST_TEST_REQUIRE(Succeeded(from_env));
  BOOST_TEST(from_env->master_key_source == "$PASSLEDGER_MASTER_KEY");
  BOOST_TEST(!fs::exists(dir / "restored-3" / "master.key"));
}

BOOST_AUTO_TEST_CASE(RefusalsLeaveNothingBehind) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  Append(*OpenLog(data), 4);
  auto backup = BackupDataDir(data, dir / "backup", {});
  BOOST_TEST_REQUIRE(Succeeded(backup));
  const Key key = MasterKeyOf(data);

  // Backup targets must be absent or empty; sources must be data directories.
  fs::create_directories(dir / "full");
  std::ofstream(dir / "full" / "file") << "x";
  BOOST_TEST(FailedWith(BackupDataDir(data, dir / "full", {}), ErrorCode::kAlreadyExists));
  BOOST_TEST(
      FailedWith(BackupDataDir(dir / "full", dir / "other", {}), ErrorCode::kFailedPrecondition));
  BOOST_TEST(!fs::exists(dir / "other"));
  BOOST_TEST(FailedWith(BackupDataDir(dir / "missing", dir / "other", {}),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(!fs::exists(dir / "missing"));

  RestoreOptions options;
  options.master_key = key;
  BOOST_TEST(
      FailedWith(RestoreBackup(dir / "backup", dir / "full", options), ErrorCode::kAlreadyExists));
  BOOST_TEST(FailedWith(RestoreBackup(dir / "full", dir / "restored", options),
                        ErrorCode::kNotFound));  // no BACKUP.json: incomplete

  RestoreOptions wrong = options;
  wrong.master_key->front() ^= 1;
  auto wrong_key = RestoreBackup(dir / "backup", dir / "restored", wrong);
  BOOST_TEST_REQUIRE(!wrong_key.has_value());
  BOOST_TEST(wrong_key.error().message.find("master key does not match") != std::string::npos,
             wrong_key.error().message);

  // An altered file (signing.key is a copy; db/ files may be hard links to the live ones).
  std::ofstream(dir / "backup" / "signing.key", std::ios::app) << "\n";
  auto altered = RestoreBackup(dir / "backup", dir / "restored", options);
  BOOST_TEST_REQUIRE(FailedWith(altered, ErrorCode::kCorruption));
  BOOST_TEST(altered.error().message.find("signing.key") != std::string::npos);

  BOOST_TEST((Entries(dir.path()) == std::vector<std::string>{"backup", "data", "full"}));
}

BOOST_AUTO_TEST_CASE(ManifestRejectsBadPaths) {
  auto env = NoKeyFromEnv();
  TempDir dir;
  const auto data = dir / "data";
  Append(*OpenLog(data), 2);
  auto backup = BackupDataDir(data, dir / "backup", {});
  BOOST_TEST_REQUIRE(Succeeded(backup));
  for (const std::string bad : {"../data/master.key", "/etc/passwd", "db/../../x", "master.key"}) {
    BOOST_TEST_CONTEXT(bad) {
      BackupManifest manifest = backup->manifest;
      manifest.files.push_back({bad, 0, std::string(64, '0')});
      const std::string text = boost::json::serialize(BackupManifestToJson(manifest));
      fs::remove(dir / "backup" / "BACKUP.json");
      BOOST_TEST_REQUIRE(
          Succeeded(WriteFileAtomically(dir / "backup" / "BACKUP.json", text, 0644)));
      RestoreOptions options;
      options.master_key = MasterKeyOf(data);
      auto restored = RestoreBackup(dir / "backup", dir / "restored", options);
      BOOST_TEST_REQUIRE(FailedWith(restored, ErrorCode::kCorruption));
      BOOST_TEST(restored.error().message.find("bad path") != std::string::npos);
      BOOST_TEST(!fs::exists(dir / "restored"));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

// DataDir and EventLog::Open: the marker, the single-writer lock, and the master key from
// OpenOptions, $PASSLEDGER_MASTER_KEY or master.key.
#include "events/data_dir.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "events/storage_format.h"
#include "tests/events/child_writer.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/scoped_env.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

namespace fs = std::filesystem;
using passledger::testing::FailedWith;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::ScopedEnv;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;
using passledger::testing::TickRequest;

const std::string kKeyEnv(format::kMasterKeyEnv);

void WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

std::string ReadFile(const fs::path& path) {
  auto text = ReadSmallFile(path, 1 << 16);
  BOOST_TEST_REQUIRE(Succeeded(text));
  return *text;
}

std::vector<std::string> DirectoryNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

BOOST_AUTO_TEST_SUITE(data_dir)

BOOST_AUTO_TEST_CASE(NewDirectoryIsInitialised) {
  TempDir dir;
  const auto data = dir / "nested" / "data";
  auto log = OpenLog(data);
  BOOST_TEST(ReadFile(data / format::kMarkerFile) == "passledger-data 1\n");
  BOOST_TEST(ReadFile(data / format::kLockFile) == std::to_string(::getpid()) + "\n");
  for (const auto secret : {format::kMasterKeyFile, format::kSigningKeyFile}) {
    const auto perms = fs::status(data / secret).permissions();
    BOOST_TEST((perms == (fs::perms::owner_read | fs::perms::owner_write)), secret);
  }
  BOOST_TEST(Succeeded(ParseHexKey(ReadFile(data / format::kMasterKeyFile), "master.key")));
  BOOST_TEST(fs::is_directory(data / format::kDbDir));
}

// A crash while a fresh directory is initialised leaves at most a marker and half-written
// temporary files (keys are written under *.tmp and renamed); the next open finishes the job.
BOOST_AUTO_TEST_CASE(InterruptedInitialisationIsCompletedByTheNextOpen) {
  TempDir dir;
  const auto data = dir / "data";
  fs::create_directories(data);
  WriteFile(data / format::kMarkerFile, "passledger-data 1\n");
  WriteFile(data / "master.key.tmp", "0123");
  WriteFile(data / "signing.key.tmp", "-----BEGIN");
  {
    auto log = OpenLog(data);
    BOOST_TEST_REQUIRE(Succeeded(log->Append(
        MakeRequest("member-1", {MakePersonalEvent("Tick", {}, "member-1", {{"name", "Ada"}})}))));
  }
  BOOST_TEST(Succeeded(ParseHexKey(ReadFile(data / format::kMasterKeyFile), "master.key")));
  BOOST_TEST(!fs::exists(data / "master.key.tmp"));
  BOOST_TEST(!fs::exists(data / "signing.key.tmp"));
  auto log = OpenLog(data);
  auto events = log->ReadRange(1, 1, ReadOptions{true});
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST((events->front().personal_state == PersonalState::kRevealed));
}

enum class Foreign { kOtherFiles, kNewerFormat, kRegularFile };

void MakeForeign(const fs::path& path, Foreign kind) {
  if (kind == Foreign::kRegularFile) return WriteFile(path, "not a directory\n");
  fs::create_directories(path);
  if (kind == Foreign::kOtherFiles) WriteFile(path / "notes.txt", "mine\n");
  if (kind == Foreign::kNewerFormat) WriteFile(path / format::kMarkerFile, "passledger-data 2\n");
}

BOOST_AUTO_TEST_CASE(ForeignDirectoryIsRefusedAndLeftAlone) {
  struct Case {
    std::string name;
    Foreign kind;
    std::string want_message;
    std::string want_message_read_only;
  };
  const std::string not_ours = "is not a PassLedger data directory";
  const std::vector<Case> cases = {
      {"a non-empty directory", Foreign::kOtherFiles, not_ours, not_ours},
      {"a newer data format", Foreign::kNewerFormat, "unknown data format", "unknown data format"},
      {"a regular file", Foreign::kRegularFile, "is not a directory", not_ours},
  };
  for (const auto& c : cases) {
    for (const bool read_only : {false, true}) {
      BOOST_TEST_CONTEXT(c.name << (read_only ? ", read-only" : "")) {
        TempDir dir;
        const auto path = dir / "data";
        MakeForeign(path, c.kind);
        const std::vector<std::string> before =
            fs::is_directory(path) ? DirectoryNames(path) : std::vector<std::string>();
        OpenOptions options = TestOptions(path);
        options.read_only = read_only;

        auto log = EventLog::Open(options);

        BOOST_TEST_REQUIRE(FailedWith(log, ErrorCode::kFailedPrecondition));
        const std::string& message = log.error().message;
        const std::string& want = read_only ? c.want_message_read_only : c.want_message;
        BOOST_TEST(message.find(want) != std::string::npos, message);
        BOOST_TEST(message.find(path.string()) != std::string::npos, message);
        // Nothing was created in someone else's directory.
        if (fs::is_directory(path)) {
          BOOST_TEST(DirectoryNames(path) == before, boost::test_tools::per_element());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(SecondWriterIsToldWhichProcessHoldsTheLock) {
  TempDir dir;
  const auto data = dir / "data";
  auto holder = passledger::testing::StartHoldingWriter(data, 1);
  auto second = EventLog::Open(TestOptions(data));
  BOOST_TEST_REQUIRE(FailedWith(second, ErrorCode::kUnavailable));
  BOOST_TEST(second.error().message.find("in use by process " + std::to_string(holder.pid())) !=
                 std::string::npos,
             second.error().message);

  // Once the holder exits, the lock is free.
  holder.CloseStdin();
  const int status = holder.Wait();
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  auto log = OpenLog(data);
  BOOST_TEST(log->GetHead().position == 1u);
  BOOST_TEST(ReadFile(data / format::kLockFile) == std::to_string(::getpid()) + "\n");
}

// Where the master key comes from in a MasterKeyMustMatchTheDatabase case.
enum class KeyFile { kKeep, kDelete, kPadded, kOther, kNotHex, kShort };
enum class KeyEnv { kUnset, kSame, kOther, kNotHex };

BOOST_AUTO_TEST_CASE(MasterKeyMustMatchTheDatabase) {
  struct Case {
    std::string name;
    KeyFile file;
    KeyEnv env;
    bool other_key_in_options;
    std::optional<ErrorCode> want;  // nullopt: the log opens
    std::string want_message;
  };
  const std::string not_hex = "not 64 hexadecimal digits";
  const std::string mismatch = "does not match this database";
  const std::vector<Case> cases = {
      {"the generated key file", KeyFile::kKeep, KeyEnv::kUnset, false, {}, ""},
      {"the key file with whitespace", KeyFile::kPadded, KeyEnv::kUnset, false, {}, ""},
      {"the key in the environment only", KeyFile::kDelete, KeyEnv::kSame, false, {}, ""},
      {"a key file that is not hex", KeyFile::kNotHex, KeyEnv::kUnset, false,
       ErrorCode::kInvalidArgument, not_hex},
      {"a key file one digit short", KeyFile::kShort, KeyEnv::kUnset, false,
       ErrorCode::kInvalidArgument, not_hex},
      {"an environment key that is not hex", KeyFile::kKeep, KeyEnv::kNotHex, false,
       ErrorCode::kInvalidArgument, "$" + kKeyEnv},
      {"another key file", KeyFile::kOther, KeyEnv::kUnset, false, ErrorCode::kFailedPrecondition,
       mismatch},
      {"another key in the environment", KeyFile::kKeep, KeyEnv::kOther, false,
       ErrorCode::kFailedPrecondition, mismatch},
      {"another key in the options", KeyFile::kKeep, KeyEnv::kUnset, true,
       ErrorCode::kFailedPrecondition, mismatch},
      {"the key file missing", KeyFile::kDelete, KeyEnv::kUnset, false,
       ErrorCode::kFailedPrecondition, "is missing"},
  };
  const Key other_key = RandomKey();
  const std::string other_hex = ToHex(other_key);
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      TempDir dir;
      const auto data = dir / "data";
      {
        auto log = OpenLog(data);
        BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1"))));
      }
      const auto key_file = data / format::kMasterKeyFile;
      const std::string key_hex = ReadFile(key_file).substr(0, 64);
      switch (c.file) {
        case KeyFile::kKeep:
          break;
        case KeyFile::kDelete:
          fs::remove(key_file);
          break;
        case KeyFile::kPadded:
          WriteFile(key_file, "  " + key_hex + "\n\n");
          break;
        case KeyFile::kOther:
          WriteFile(key_file, other_hex + "\n");
          break;
        case KeyFile::kNotHex:
          WriteFile(key_file, std::string(64, 'g') + "\n");
          break;
        case KeyFile::kShort:
          WriteFile(key_file, key_hex.substr(1) + "\n");
          break;
      }
      std::optional<std::string> env;
      if (c.env == KeyEnv::kSame) env = key_hex;
      if (c.env == KeyEnv::kOther) env = other_hex;
      if (c.env == KeyEnv::kNotHex) env = "secret";
      ScopedEnv scoped_env(kKeyEnv, env);
      OpenOptions options = TestOptions(data);
      if (c.other_key_in_options) options.master_key = other_key;

      auto log = EventLog::Open(options);
      if (!c.want) {
        BOOST_TEST_REQUIRE(Succeeded(log));
        BOOST_TEST((*log)->GetHead().position == 1u);
        BOOST_TEST(Succeeded((*log)->Append(TickRequest("member-1"))));
      } else {
        BOOST_TEST_REQUIRE(FailedWith(log, *c.want));
        BOOST_TEST(log.error().message.find(c.want_message) != std::string::npos,
                   log.error().message);
      }
    }
  }
  BOOST_TEST(std::getenv(kKeyEnv.c_str()) == nullptr);
}

BOOST_AUTO_TEST_CASE(ReadOnlyOpenWithoutTheMasterKeyReadsSealedParts) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto log = OpenLog(data);
    BOOST_TEST_REQUIRE(Succeeded(log->Append(passledger::testing::MakeRequest(
        "member-1", {passledger::testing::MakePersonalEvent("MemberJoined", {}, "member-1",
                                                            {{"name", "Ada"}})}))));
  }
  fs::remove(data / format::kMasterKeyFile);
  OpenOptions options = TestOptions(data);
  options.read_only = true;
  auto log = OpenLog(options);
  auto sealed = log->ReadRange(1, 10);
  BOOST_TEST_REQUIRE(Succeeded(sealed));
  BOOST_TEST(sealed->front().personal_state == PersonalState::kSealed);
  auto revealed = log->ReadRange(1, 10, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(FailedWith(revealed, ErrorCode::kFailedPrecondition));
  BOOST_TEST(revealed.error().message.find("is missing") != std::string::npos);
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
}

fs::perms PermsOf(const fs::path& path) { return fs::status(path).permissions(); }

constexpr fs::perms kOwnerRw = fs::perms::owner_read | fs::perms::owner_write;

// Private whatever the process's umask: the directory 0700, every file the log itself writes
// 0600 (RocksDB's own files follow the umask, which `passledger` sets to 077 at start).
BOOST_AUTO_TEST_CASE(NewDirectoryAndItsFilesArePrivate) {
  const mode_t old_umask = ::umask(022);
  TempDir dir;
  const auto data = dir / "data";
  {
    auto log = OpenLog(data);
    BOOST_TEST_REQUIRE(Succeeded(log->Append(TickRequest("member-1"))));
  }
  ::umask(old_umask);
  BOOST_TEST((PermsOf(data) == fs::perms::owner_all));
  for (const auto name : {format::kMarkerFile, format::kLockFile, format::kMasterKeyFile,
                          format::kSigningKeyFile}) {
    BOOST_TEST((PermsOf(data / name) == kOwnerRw), name);
  }
}

// As ssh refuses a private key others can read: the message names the file and the fix.
BOOST_AUTO_TEST_CASE(MasterKeyOthersMayReadIsRefused) {
  TempDir dir;
  const auto data = dir / "data";
  {
    auto log = OpenLog(data);
    BOOST_TEST_REQUIRE(Succeeded(log->Append(
        MakeRequest("member-1", {MakePersonalEvent("Tick", {}, "member-1", {{"name", "Ada"}})}))));
  }
  const auto key_file = data / format::kMasterKeyFile;
  const std::string advice = "run `chmod 600 " + key_file.string() + "`";
  for (const auto perms : {fs::perms::group_read, fs::perms::others_read}) {
    BOOST_TEST_CONTEXT("extra permission " << static_cast<unsigned>(perms)) {
      fs::permissions(key_file, kOwnerRw | perms, fs::perm_options::replace);
      for (const bool read_only : {false, true}) {
        OpenOptions options = TestOptions(data);
        options.read_only = read_only;
        auto log = EventLog::Open(options);
        if (read_only) {  // opens, but the sealed parts stay closed and say why
          BOOST_TEST_REQUIRE(Succeeded(log));
          auto revealed = (*log)->ReadRange(1, 1, ReadOptions{true});
          BOOST_TEST_REQUIRE(FailedWith(revealed, ErrorCode::kFailedPrecondition));
          BOOST_TEST(revealed.error().message.find(advice) != std::string::npos,
                     revealed.error().message);
          continue;
        }
        BOOST_TEST_REQUIRE(FailedWith(log, ErrorCode::kFailedPrecondition));
        BOOST_TEST(log.error().message.find(advice) != std::string::npos, log.error().message);
      }
    }
  }
  fs::permissions(key_file, kOwnerRw, fs::perm_options::replace);
  BOOST_TEST(Succeeded(EventLog::Open(TestOptions(data))));
}

// The key is taken out of the environment by the first open that reads it.
BOOST_AUTO_TEST_CASE(MasterKeyLeavesTheEnvironmentOnceRead) {
  TempDir dir;
  const auto data = dir / "data";
  { auto log = OpenLog(data); }
  const std::string key_hex = ReadFile(data / format::kMasterKeyFile).substr(0, 64);
  fs::remove(data / format::kMasterKeyFile);
  ScopedEnv env(kKeyEnv, key_hex);
  BOOST_TEST_REQUIRE(std::getenv(kKeyEnv.c_str()) != nullptr);  // the check would see it
  auto log = OpenLog(data);
  BOOST_TEST(std::getenv(kKeyEnv.c_str()) == nullptr);
  BOOST_TEST(Succeeded(log->Append(TickRequest("member-1"))));
}

// `passledger dev-certs` is often the first command: it writes <data>/dev-certs before the
// directory is initialised, and the next command must initialise it, not refuse it.
BOOST_AUTO_TEST_CASE(DirectoryHoldingOnlyDevCertsIsInitialised) {
  TempDir dir;
  const auto data = dir / "data";
  fs::create_directories(data / "dev-certs");
  WriteFile(data / "dev-certs" / "pass.pem", "certificate");
  {
    auto opened = DataDir::Open(data, DataDir::Mode::kReadWrite);
    BOOST_TEST_REQUIRE(Succeeded(opened));
    BOOST_TEST(opened->fresh());
  }
  auto log = OpenLog(data);
  BOOST_TEST(Succeeded(log->Append(TickRequest("member-1"))));
  BOOST_TEST(ReadFile(data / "dev-certs" / "pass.pem") == "certificate");
  // Anything else still makes it someone else's directory.
  const auto other = dir / "other";
  fs::create_directories(other / "dev-certs");
  WriteFile(other / "notes.txt", "mine\n");
  BOOST_TEST(FailedWith(EventLog::Open(TestOptions(other)), ErrorCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

// Key schemes (events/key_ring.h): the master key neither wraps nor derives directly; a
// database from before the schemes is migrated on its first writable open and keeps the
// secrets derived from it (the pass tokens on members' phones).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "base/crypto.h"
#include "events/event_log.h"
#include "events/key_ring.h"
#include "events/storage_format.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::RawDb;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

const std::string kSubjectKeys(format::kCfSubjectKeys);
const std::string kMeta(format::kCfMeta);
constexpr std::string_view kPurpose = "pass-authentication-token";

// What the builds before key schemes did, written out independently of KeyRing.
std::string LegacyAad(std::string_view subject) {
  return "passledger subject key v1:" + std::string(subject);
}
Key LegacyDerive(const Key& master, std::string_view purpose) {
  const std::string label = "passledger/" + std::string(purpose);
  Key out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), master.data(), static_cast<int>(master.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), out.data(), &length);
  return out;
}

OpenOptions WithKey(const std::filesystem::path& data, const Key& master, bool read_only = false) {
  OpenOptions options = TestOptions(data);
  options.master_key = master;
  options.read_only = read_only;
  return options;
}

void AppendAda(EventLog& log) {
  BOOST_TEST_REQUIRE(Succeeded(log.Append(
      MakeRequest("member-1", {MakePersonalEvent("Tick", {}, "member-1", {{"name", "Ada"}})}))));
}

std::string RevealedName(EventLog& log) {
  auto events = log.ReadRange(1, 1, ReadOptions{true});
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST_REQUIRE((events->front().personal_state == PersonalState::kRevealed));
  return std::string(events->front().personal.at("name").as_string());
}

BOOST_AUTO_TEST_SUITE(key_schemes)

BOOST_AUTO_TEST_CASE(NewDatabaseNeitherWrapsNorDerivesWithTheMasterKey) {
  TempDir dir;
  const auto data = dir / "data";
  const Key master = RandomKey();
  Key derived{};
  {
    auto log = OpenLog(WithKey(data, master));
    AppendAda(*log);
    derived = *log->DeriveKey(kPurpose);
  }
  BOOST_TEST((derived != LegacyDerive(master, kPurpose)));
  RawDb raw(data);
  BOOST_TEST(raw.Get(kMeta, std::string(format::kMetaKeySchemes)) == "wrap=2 derive=2");
  const std::string wrapped = raw.Get(kSubjectKeys, "member-1");
  // Positive control: the wrapped key opens under the scheme-2 ring...
  BOOST_TEST(Succeeded(KeyRing(master).Unwrap("member-1", wrapped)));
  // ...and not under the master key itself.
  BOOST_TEST(!AesGcmOpen(master, wrapped, LegacyAad("member-1")).has_value());
}

// A database as a build before key schemes left it: subject keys and the check value under
// the master key itself, no key_schemes entry.
void MakeLegacy(const std::filesystem::path& data, const Key& master) {
  RawDb raw(data);
  const std::string wrapped = raw.Get(kSubjectKeys, "member-1");
  auto data_key = KeyRing(master).Unwrap("member-1", wrapped);
  BOOST_TEST_REQUIRE(Succeeded(data_key));
  const KeyRing legacy(master, KeySchemes{1, 1});
  raw.Put(kSubjectKeys, "member-1", legacy.Wrap("member-1", *data_key));
  raw.Put(kMeta, std::string(format::kMetaMasterKeyCheck), legacy.MakeCheckValue());
  raw.Delete(kMeta, std::string(format::kMetaKeySchemes));
  // The legacy shape really is the old one: it opens under the master key directly.
  BOOST_TEST_REQUIRE(AesGcmOpen(master, raw.Get(kSubjectKeys, "member-1"), LegacyAad("member-1"))
                         .has_value());
}

BOOST_AUTO_TEST_CASE(LegacyDatabaseIsMigratedAndKeepsItsDerivedSecrets) {
  TempDir dir;
  const auto data = dir / "data";
  const Key master = RandomKey();
  { AppendAda(*OpenLog(WithKey(data, master))); }
  MakeLegacy(data, master);

  // Read-only: read as it is, nothing changed.
  {
    auto log = OpenLog(WithKey(data, master, /*read_only=*/true));
    BOOST_TEST(RevealedName(*log) == "Ada");
  }
  {
    RawDb raw(data);
    BOOST_TEST(AesGcmOpen(master, raw.Get(kSubjectKeys, "member-1"), LegacyAad("member-1"))
                   .has_value());
  }
  // Writable: migrated, personal data still readable, derived secrets unchanged.
  for (int open = 0; open < 2; ++open) {
    BOOST_TEST_CONTEXT("writable open " << open + 1) {
      auto log = OpenLog(WithKey(data, master));
      BOOST_TEST(RevealedName(*log) == "Ada");
      BOOST_TEST((*log->DeriveKey(kPurpose) == LegacyDerive(master, kPurpose)));
      AppendAda(*log);
    }
  }
  RawDb raw(data);
  BOOST_TEST(raw.Get(kMeta, std::string(format::kMetaKeySchemes)) == "wrap=2 derive=1");
  BOOST_TEST(!AesGcmOpen(master, raw.Get(kSubjectKeys, "member-1"), LegacyAad("member-1"))
                  .has_value());
}

BOOST_AUTO_TEST_CASE(WrongMasterKeyIsRefusedInEveryScheme) {
  TempDir dir;
  const auto data = dir / "data";
  const Key master = RandomKey();
  { AppendAda(*OpenLog(WithKey(data, master))); }
  BOOST_TEST(!EventLog::Open(WithKey(data, RandomKey())).has_value());
  MakeLegacy(data, master);
  BOOST_TEST(!EventLog::Open(WithKey(data, RandomKey())).has_value());
  BOOST_TEST(EventLog::Open(WithKey(data, master)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

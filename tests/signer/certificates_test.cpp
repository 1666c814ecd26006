// Loading and checking the signing identity (PEM, PKCS#12, passwords, ids, key, validity,
// files) and the development certificates (files, modes, reuse).
#include "signer/certificates.h"

#include <openssl/pem.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>

#include "signer/dev_certs.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/files.h"
#include "tests/testing/scoped_env.h"
#include "tests/testing/temp_dir.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using passledger::testing::ReadAll;
using passledger::testing::ScopedEnv;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::WriteFile;
using std::chrono::days;
using std::chrono::hours;

const std::string kPassTypeId = "pass.org.example";
const std::string kTeamId = "TEAM123456";
const std::string kPassword = "s3cret-Pa55";

// Fails unless `result` is an error with `code` whose message contains every one of `parts`.
template <class T>
boost::test_tools::predicate_result FailsWith(const Result<T>& result, ErrorCode code,
                                              std::initializer_list<std::string_view> parts) {
  boost::test_tools::predicate_result failed(false);
  if (result.has_value()) {
    failed.message() << "succeeded; expected " << ErrorCodeName(code);
    return failed;
  }
  const Error& error = result.error();
  if (error.code != code) {
    failed.message() << "failed with " << error.ToString() << "; expected " << ErrorCodeName(code);
    return failed;
  }
  for (const std::string_view part : parts) {
    if (error.message.find(part) == std::string::npos) {
      failed.message() << "message \"" << error.message << "\" lacks \"" << part << "\"";
      return failed;
    }
  }
  return true;
}

// A root, a WWDR stand-in and keys, made once per process (RSA key generation is slow); each
// test issues its own pass certificates from them.
struct Pki {
  UniquePkey root_key = detail::MakeRsaKey(2048).value();
  UniquePkey wwdr_key = detail::MakeRsaKey(2048).value();
  UniquePkey pass_key = detail::MakeRsaKey(2048).value();
  UniquePkey other_key = detail::MakeEcKey().value();
  UniqueX509 root =
      detail::MakeCertificate(CaSpec("Test Root"), root_key.get(), nullptr, root_key.get()).value();
  UniqueX509 wwdr =
      detail::MakeCertificate(CaSpec("Test WWDR"), wwdr_key.get(), root.get(), root_key.get())
          .value();

  static detail::CertificateSpec CaSpec(std::string name) {
    const auto now = Clock::now();
    return {std::move(name), "", "", "Test", true, now - days(1), now + days(3650)};
  }
};

const Pki& SharedPki() {
  static const Pki pki;
  return pki;
}

detail::CertificateSpec PassSpec(std::string uid = kPassTypeId, std::string ou = kTeamId,
                                 Clock::time_point not_before = Clock::now() - days(1),
                                 Clock::time_point not_after = Clock::now() + days(365)) {
  return {"Pass Type ID: " + uid, uid, ou, "Test", false, not_before, not_after};
}

UniqueX509 IssuePass(const detail::CertificateSpec& spec, EVP_PKEY* key = nullptr) {
  const Pki& pki = SharedPki();
  return detail::MakeCertificate(spec, key != nullptr ? key : pki.pass_key.get(), pki.wwdr.get(),
                                 pki.wwdr_key.get())
      .value();
}

std::string KeyPem(EVP_PKEY* key, const std::string& password = "") {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = password.empty() ? nullptr : EVP_aes_256_cbc();
  BOOST_TEST_REQUIRE(
      PEM_write_bio_PrivateKey(bio.get(), key, cipher,
                               reinterpret_cast<const unsigned char*>(password.data()),
                               static_cast<int>(password.size()), nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string Pkcs12Der(X509* cert, EVP_PKEY* key, const std::string& password) {
  UniquePkcs12 p12(PKCS12_create(password.c_str(), "pass", key, cert, nullptr, 0, 0, 0, 0, 0));
  BOOST_TEST_REQUIRE(static_cast<bool>(p12));
  unsigned char* der = nullptr;
  const int size = i2d_PKCS12(p12.get(), &der);
  BOOST_TEST_REQUIRE(size > 0);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return bytes;
}

// Writes pass.pem, key.pem and wwdr.pem into `dir` and returns the configuration for them.
CertificateConfig WritePem(const TempDir& dir, X509* cert, EVP_PKEY* key,
                           const std::string& password = "") {
  CertificateConfig config;
  config.certificate = dir / "pass.pem";
  config.key = dir / "key.pem";
  config.wwdr_certificate = dir / "wwdr.pem";
  config.pass_type_id = kPassTypeId;
  config.team_id = kTeamId;
  WriteFile(config.certificate, detail::CertificatePem(cert).value());
  WriteFile(config.key, KeyPem(key, password));
  WriteFile(config.wwdr_certificate, detail::CertificatePem(SharedPki().wwdr.get()).value());
  return config;
}

CertificateConfig WriteValidPem(const TempDir& dir) {
  return WritePem(dir, IssuePass(PassSpec()).get(), SharedPki().pass_key.get());
}

CertificateConfig WritePkcs12(const TempDir& dir, const std::string& password) {
  const UniqueX509 cert = IssuePass(PassSpec());
  CertificateConfig config = WritePem(dir, cert.get(), SharedPki().pass_key.get());
  fs::remove(config.key);
  config.key.clear();
  config.certificate = dir / "pass.p12";
  WriteFile(config.certificate, Pkcs12Der(cert.get(), SharedPki().pass_key.get(), password));
  return config;
}

unsigned Mode(const fs::path& path) {
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

BOOST_AUTO_TEST_SUITE(certificates)

BOOST_AUTO_TEST_CASE(LoadsPemIdentity) {
  TempDir dir;
  const auto config = WriteValidPem(dir);
  auto identity = LoadSigningIdentity(config, Clock::now());
  BOOST_TEST_REQUIRE(Succeeded(identity));
  const SigningIdentity& id = **identity;
  BOOST_TEST(id.warnings().empty());
  BOOST_TEST(id.pass_type_id() == kPassTypeId);
  BOOST_TEST(id.team_id() == kTeamId);
  BOOST_TEST(id.subject().find("UID=" + kPassTypeId) != std::string::npos, id.subject());
  BOOST_TEST(id.subject().find("OU=" + kTeamId) != std::string::npos, id.subject());
  BOOST_TEST(EVP_PKEY_eq(id.key(), SharedPki().pass_key.get()) == 1);
  BOOST_TEST(X509_cmp(id.wwdr(), SharedPki().wwdr.get()) == 0);
  const auto left = id.not_after() - Clock::now();
  BOOST_TEST((left > days(364) && left < days(366)));
}

BOOST_AUTO_TEST_CASE(LoadsDerWwdrCertificate) {
  TempDir dir;
  auto config = WriteValidPem(dir);
  unsigned char* der = nullptr;
  const int size = i2d_X509(SharedPki().wwdr.get(), &der);
  BOOST_TEST_REQUIRE(size > 0);
  config.wwdr_certificate = dir / "AppleWWDRCAG4.cer";
  WriteFile(config.wwdr_certificate, std::string(reinterpret_cast<char*>(der), size));
  OPENSSL_free(der);
  BOOST_TEST(Succeeded(LoadSigningIdentity(config, Clock::now())));
}

BOOST_AUTO_TEST_CASE(Pkcs12PasswordFromEachSource) {
  TempDir dir;
  const CertificateConfig base = WritePkcs12(dir, kPassword);
  WriteFile(dir / "password.txt", kPassword + "\n");
  ScopedEnv env("PASSLEDGER_TEST_KEY_PASSWORD", kPassword);
  for (int source = 0; source < 3; ++source) {
    CertificateConfig config = base;
    if (source == 0) config.key_password = kPassword;
    if (source == 1) config.key_password_env = "PASSLEDGER_TEST_KEY_PASSWORD";
    if (source == 2) config.key_password_file = dir / "password.txt";
    auto identity = LoadSigningIdentity(config, Clock::now());
    BOOST_TEST_REQUIRE(Succeeded(identity), "password source " << source);
    BOOST_TEST(EVP_PKEY_eq((*identity)->key(), SharedPki().pass_key.get()) == 1);
  }
}

BOOST_AUTO_TEST_CASE(Pkcs12WrongOrMissingPassword) {
  TempDir dir;
  CertificateConfig config = WritePkcs12(dir, kPassword);
  config.key_password = "not-the-password";
  auto wrong = LoadSigningIdentity(config, Clock::now());
  BOOST_TEST(FailsWith(wrong, ErrorCode::kInvalidArgument,
                       {config.certificate.string(), "wrong key password"}));
  BOOST_TEST(wrong.error().message.find("not-the-password") == std::string::npos);
  config.key_password.clear();
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"no key password is configured"}));
}

BOOST_AUTO_TEST_CASE(Pkcs12WithoutPassword) {
  TempDir dir;
  const CertificateConfig config = WritePkcs12(dir, "");
  BOOST_TEST(Succeeded(LoadSigningIdentity(config, Clock::now())));
}

BOOST_AUTO_TEST_CASE(Pkcs12WithKeyFileIsRejected) {
  TempDir dir;
  CertificateConfig config = WritePkcs12(dir, kPassword);
  config.key_password = kPassword;
  config.key = dir / "wwdr.pem";
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"PKCS#12", "leave the key setting empty"}));
}

BOOST_AUTO_TEST_CASE(EncryptedPemKey) {
  TempDir dir;
  CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec()).get(), SharedPki().pass_key.get(), kPassword);
  config.key_password = kPassword;
  BOOST_TEST(Succeeded(LoadSigningIdentity(config, Clock::now())));

  config.key_password = "wrong-password-123";
  auto wrong = LoadSigningIdentity(config, Clock::now());
  BOOST_TEST(FailsWith(wrong, ErrorCode::kInvalidArgument,
                       {"key " + config.key.string(), "wrong key password"}));
  BOOST_TEST(wrong.error().message.find("wrong-password-123") == std::string::npos);

  config.key_password.clear();
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"encrypted and no key password is configured"}));
}

BOOST_AUTO_TEST_CASE(PasswordForUnencryptedKeyIsAWarning) {
  TempDir dir;
  CertificateConfig config = WriteValidPem(dir);
  config.key_password = kPassword;
  auto identity = LoadSigningIdentity(config, Clock::now());
  BOOST_TEST_REQUIRE(Succeeded(identity));
  BOOST_TEST_REQUIRE((*identity)->warnings().size() == 1u);
  BOOST_TEST((*identity)->warnings()[0].find("not encrypted") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(PasswordSourceProblems) {
  TempDir dir;
  CertificateConfig config = WritePkcs12(dir, kPassword);
  config.key_password = kPassword;
  config.key_password_env = "PASSLEDGER_TEST_KEY_PASSWORD";
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"more than one key password source"}));
  config.key_password.clear();
  ScopedEnv env("PASSLEDGER_TEST_KEY_PASSWORD", std::nullopt);
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kFailedPrecondition,
                       {"environment variable PASSLEDGER_TEST_KEY_PASSWORD", "not set"}));
  config.key_password_env.clear();
  config.key_password_file = dir / "no-such-password-file";
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kNotFound,
                       {"key password file " + config.key_password_file.string()}));
}

BOOST_AUTO_TEST_CASE(UidMismatch) {
  TempDir dir;
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec("pass.com.other")).get(), SharedPki().pass_key.get());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"certificate " + config.certificate.string() +
                        ": subject UID is pass.com.other, expected pass.org.example (pass type "
                        "id)"}));
}

BOOST_AUTO_TEST_CASE(MissingUid) {
  TempDir dir;
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec("")).get(), SharedPki().pass_key.get());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"subject has no UID, expected pass.org.example"}));
}

BOOST_AUTO_TEST_CASE(OuMismatch) {
  TempDir dir;
  const CertificateConfig config = WritePem(
      dir, IssuePass(PassSpec(kPassTypeId, "OTHERTEAM")).get(), SharedPki().pass_key.get());
  BOOST_TEST(FailsWith(
      LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
      {config.certificate.string(), "subject OU is OTHERTEAM, expected TEAM123456 (team id)"}));
}

BOOST_AUTO_TEST_CASE(KeyDoesNotMatchCertificate) {
  TempDir dir;
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec()).get(), SharedPki().other_key.get());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"key " + config.key.string(), "does not match certificate"}));
}

BOOST_AUTO_TEST_CASE(EcIdentityLoads) {
  TempDir dir;
  const CertificateConfig config = WritePem(
      dir, IssuePass(PassSpec(), SharedPki().other_key.get()).get(), SharedPki().other_key.get());
  BOOST_TEST(Succeeded(LoadSigningIdentity(config, Clock::now())));
}

BOOST_AUTO_TEST_CASE(WwdrThatDidNotIssueTheCertificate) {
  TempDir dir;
  CertificateConfig config = WriteValidPem(dir);
  WriteFile(config.wwdr_certificate, detail::CertificatePem(SharedPki().root.get()).value());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"WWDR certificate " + config.wwdr_certificate.string(),
                        "did not issue certificate", "CN=Test WWDR"}));
}

BOOST_AUTO_TEST_CASE(ExpiredCertificate) {
  TempDir dir;
  const auto now = Clock::now();
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec(kPassTypeId, kTeamId, now - days(400), now - days(2))).get(),
               SharedPki().pass_key.get());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, now), ErrorCode::kFailedPrecondition,
                       {"pass certificate " + config.certificate.string(),
                        "expired on " + detail::FormatDate(now - days(2))}));
}

BOOST_AUTO_TEST_CASE(NotYetValidCertificate) {
  TempDir dir;
  const auto now = Clock::now();
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec(kPassTypeId, kTeamId, now + days(3), now + days(300))).get(),
               SharedPki().pass_key.get());
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, now), ErrorCode::kFailedPrecondition,
                       {"not valid before " + detail::FormatDate(now + days(3))}));
}

BOOST_AUTO_TEST_CASE(ValidityIsCheckedAtTheGivenTime) {
  TempDir dir;
  const CertificateConfig config = WriteValidPem(dir);
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now() + days(400)),
                       ErrorCode::kFailedPrecondition, {"expired on"}));
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now() - days(30)),
                       ErrorCode::kFailedPrecondition, {"not valid before"}));
}

BOOST_AUTO_TEST_CASE(ExpiringSoonIsAWarning) {
  TempDir dir;
  const auto now = Clock::now();
  const auto not_after = now + days(12) + hours(5);
  const CertificateConfig config =
      WritePem(dir, IssuePass(PassSpec(kPassTypeId, kTeamId, now - days(300), not_after)).get(),
               SharedPki().pass_key.get());
  auto identity = LoadSigningIdentity(config, now);
  BOOST_TEST_REQUIRE(Succeeded(identity));
  BOOST_TEST_REQUIRE((*identity)->warnings().size() == 1u);
  BOOST_TEST((*identity)->warnings()[0] ==
             "pass certificate expires in 12 days (" + detail::FormatDate(not_after) + ")");
  // 30 days and an hour ahead: no warning.
  TempDir later_dir;
  const CertificateConfig later_config = WritePem(
      later_dir,
      IssuePass(PassSpec(kPassTypeId, kTeamId, now - days(300), now + days(30) + hours(1))).get(),
      SharedPki().pass_key.get());
  auto later = LoadSigningIdentity(later_config, now);
  BOOST_TEST_REQUIRE(Succeeded(later));
  BOOST_TEST((*later)->warnings().empty());
}

BOOST_AUTO_TEST_CASE(WwdrExpiringSoonIsAWarning) {
  TempDir dir;
  CertificateConfig config = WriteValidPem(dir);
  const auto now = Clock::now();
  const Pki& pki = SharedPki();
  detail::CertificateSpec spec = Pki::CaSpec("Test WWDR");
  spec.not_after = now + days(5) + hours(1);
  // Same key and name as the shared WWDR, so it still issued the pass certificate.
  auto wwdr = detail::MakeCertificate(spec, pki.wwdr_key.get(), pki.root.get(), pki.root_key.get());
  BOOST_TEST_REQUIRE(Succeeded(wwdr));
  WriteFile(config.wwdr_certificate, detail::CertificatePem(wwdr->get()).value());
  auto identity = LoadSigningIdentity(config, now);
  BOOST_TEST_REQUIRE(Succeeded(identity));
  BOOST_TEST_REQUIRE((*identity)->warnings().size() == 1u);
  BOOST_TEST((*identity)->warnings()[0].starts_with("WWDR certificate expires in 5 days"));
}

BOOST_AUTO_TEST_CASE(MissingFilesAreNamed) {
  TempDir dir;
  const CertificateConfig valid = WriteValidPem(dir);
  struct Case {
    std::string role;
    fs::path CertificateConfig::*field;
  };
  for (const Case& c : {Case{"certificate ", &CertificateConfig::certificate},
                        Case{"key ", &CertificateConfig::key},
                        Case{"WWDR certificate ", &CertificateConfig::wwdr_certificate}}) {
    CertificateConfig config = valid;
    config.*c.field = dir / "missing.pem";
    BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kNotFound,
                         {c.role + (dir / "missing.pem").string() + ": no such file"}));
  }
}

BOOST_AUTO_TEST_CASE(GarbageFilesAreRejected) {
  TempDir dir;
  const CertificateConfig valid = WriteValidPem(dir);
  WriteFile(dir / "garbage", "this is not a certificate\n");
  WriteFile(dir / "garbage.pem",
            "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n");
  WriteFile(dir / "empty", "");
  struct Case {
    fs::path CertificateConfig::*field;
    std::string file;
    std::string want;
  };
  const Case cases[] = {
      {&CertificateConfig::certificate, "garbage", "neither a PEM nor a DER certificate"},
      {&CertificateConfig::certificate, "garbage.pem", "not a PEM certificate"},
      {&CertificateConfig::certificate, "empty", "the file is empty"},
      {&CertificateConfig::key, "garbage", "not a PEM private key"},
      {&CertificateConfig::key, "pass.pem", "not a PEM private key"},
      {&CertificateConfig::wwdr_certificate, "garbage", "neither a PEM nor a DER certificate"},
      {&CertificateConfig::wwdr_certificate, "key.pem", "not a PEM certificate"},
  };
  for (const Case& c : cases) {
    CertificateConfig config = valid;
    config.*c.field = dir / c.file;
    BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                         {(dir / c.file).string() + ": ", c.want}),
               "file " << c.file);
  }
}

BOOST_AUTO_TEST_CASE(IdsMustBeConfigured) {
  TempDir dir;
  CertificateConfig config = WriteValidPem(dir);
  config.team_id.clear();
  BOOST_TEST(FailsWith(LoadSigningIdentity(config, Clock::now()), ErrorCode::kInvalidArgument,
                       {"no team id is configured"}));
}

// --- development certificates ---------------------------------------------------------------

CertificateConfig DevConfig(const DevCertificates& files, std::string_view pass_type_id,
                            std::string_view team_id) {
  CertificateConfig config;
  config.certificate = files.certificate;
  config.key = files.key;
  config.wwdr_certificate = files.wwdr;
  config.pass_type_id = pass_type_id;
  config.team_id = team_id;
  return config;
}

BOOST_AUTO_TEST_CASE(DevCertificatesLoadAndChainToTheRoot) {
  TempDir dir;
  auto files = MakeDevCertificates(dir / "dev-certs", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(files));
  for (const auto* path : {&files->root_ca, &files->wwdr, &files->certificate, &files->key}) {
    BOOST_TEST(fs::is_regular_file(*path), *path);
    BOOST_TEST(path->parent_path() == dir / "dev-certs");
  }
  BOOST_TEST(Mode(files->key) == 0600u);
  BOOST_TEST(Mode(dir / "dev-certs") == 0700u);
  auto identity = LoadSigningIdentity(DevConfig(*files, kPassTypeId, kTeamId), Clock::now());
  BOOST_TEST_REQUIRE(Succeeded(identity));
  BOOST_TEST((*identity)->warnings().empty());
  BOOST_TEST(EVP_PKEY_get_base_id((*identity)->key()) == EVP_PKEY_RSA);
  BOOST_TEST(EVP_PKEY_get_bits((*identity)->key()) == 2048);
  BOOST_TEST((*identity)->subject().find("CN=Pass Type ID: " + kPassTypeId) != std::string::npos,
             (*identity)->subject());
  auto root = detail::ParseCertificate(ReadAll(files->root_ca), "root");
  BOOST_TEST_REQUIRE(Succeeded(root));
  BOOST_TEST(detail::IssuedBy((*identity)->wwdr(), root->get()));
  BOOST_TEST(detail::IssuedBy(root->get(), root->get()));
}

BOOST_AUTO_TEST_CASE(DevCertificatesRejectBadIds) {
  TempDir dir;
  BOOST_TEST(FailsWith(MakeDevCertificates(dir / "a", "", kTeamId), ErrorCode::kInvalidArgument,
                       {"pass type id is empty"}));
  BOOST_TEST(FailsWith(MakeDevCertificates(dir / "a", kPassTypeId, "TEAM\n1"),
                       ErrorCode::kInvalidArgument, {"team id contains a control character"}));
  BOOST_TEST(FailsWith(MakeDevCertificates(dir / "a", std::string(51, 'p'), kTeamId),
                       ErrorCode::kInvalidArgument, {"longer than 50"}));
  BOOST_TEST(!fs::exists(dir / "a"));
}

BOOST_AUTO_TEST_CASE(EnsureReusesMatchingCertificates) {
  TempDir dir;
  auto first = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(first));
  const std::string cert = ReadAll(first->certificate);
  const std::string key = ReadAll(first->key);
  const std::string root = ReadAll(first->root_ca);
  auto second = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(second));
  BOOST_TEST(second->certificate == first->certificate);
  BOOST_TEST(ReadAll(second->certificate) == cert);
  BOOST_TEST(ReadAll(second->key) == key);
  BOOST_TEST(ReadAll(second->root_ca) == root);
}

BOOST_AUTO_TEST_CASE(EnsureReplacesCertificatesForOtherIds) {
  TempDir dir;
  auto first = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(first));
  const std::string cert = ReadAll(first->certificate);
  auto other = EnsureDevCertificates(dir / "dev", "pass.org.other", kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(other));
  BOOST_TEST(ReadAll(other->certificate) != cert);
  BOOST_TEST(
      Succeeded(LoadSigningIdentity(DevConfig(*other, "pass.org.other", kTeamId), Clock::now())));
  auto team = EnsureDevCertificates(dir / "dev", "pass.org.other", "OTHERTEAM");
  BOOST_TEST_REQUIRE(Succeeded(team));
  BOOST_TEST(Succeeded(
      LoadSigningIdentity(DevConfig(*team, "pass.org.other", "OTHERTEAM"), Clock::now())));
  BOOST_TEST(Mode(team->key) == 0600u);
}

BOOST_AUTO_TEST_CASE(EnsureReplacesIncompleteOrDamagedSets) {
  TempDir dir;
  auto first = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(first));
  const std::string cert = ReadAll(first->certificate);
  fs::remove(first->root_ca);
  auto second = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(second));
  BOOST_TEST(fs::exists(second->root_ca));
  BOOST_TEST(ReadAll(second->certificate) != cert);

  const std::string cert2 = ReadAll(second->certificate);
  WriteFile(second->key, KeyPem(SharedPki().other_key.get()));  // key of another certificate
  auto third = EnsureDevCertificates(dir / "dev", kPassTypeId, kTeamId);
  BOOST_TEST_REQUIRE(Succeeded(third));
  BOOST_TEST(ReadAll(third->certificate) != cert2);
  BOOST_TEST(Succeeded(LoadSigningIdentity(DevConfig(*third, kPassTypeId, kTeamId), Clock::now())));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

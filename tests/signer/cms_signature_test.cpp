// The pass signature: CmsSigner::Sign against OpenSSL's own CMS_sign (the reference), checked
// with the real `openssl cms -verify` command and by parsing the DER.
#include "signer/cms_signature.h"

#include <openssl/cms.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/crypto.h"
#include "base/time.h"
#include "signer/dev_certs.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/files.h"
#include "tests/testing/temp_dir.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using passledger::testing::ReadAll;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::WriteFile;
using std::chrono::days;
using std::chrono::seconds;

const std::string kPassTypeId = "pass.org.example";
const std::string kTeamId = "TEAM123456";
const std::string kManifest =
    R"({"icon.png":"0a5e0a4bfc1c9d5c6f3a8b2e7d4c1f0e9a8b7c6d","pass.json":"5b3c..."})";

Clock::time_point At(std::int64_t year, unsigned month, unsigned day, unsigned hour,
                     unsigned minute, unsigned second) {
  return Clock::time_point(
      seconds(passledger::UnixSecondsFromCivilTime({{year, month, day}, hour, minute, second})));
}

// A directory with a signing identity and the root that anchors it.
struct Identity {
  std::shared_ptr<const SigningIdentity> identity;
  std::string root_pem;
};

Identity LoadIdentity(const CertificateConfig& config, std::string root_pem) {
  auto identity = LoadSigningIdentity(config, Clock::now());
  BOOST_TEST_REQUIRE(Succeeded(identity));
  return {std::move(*identity), std::move(root_pem)};
}

// The RSA development certificates, made once per process (RSA key generation is slow) and
// copied into each test's directory.
struct DevPems {
  std::string root, wwdr, certificate, key;
};

const DevPems& SharedDevPems() {
  static const DevPems pems = [] {
    TempDir dir;
    auto files = MakeDevCertificates(dir / "dev", kPassTypeId, kTeamId).value();
    return DevPems{ReadAll(files.root_ca), ReadAll(files.wwdr), ReadAll(files.certificate),
                   ReadAll(files.key)};
  }();
  return pems;
}

Identity DevIdentity(const TempDir& dir) {
  const DevPems& pems = SharedDevPems();
  CertificateConfig config;
  config.certificate = dir / "pass.pem";
  config.key = dir / "pass-key.pem";
  config.wwdr_certificate = dir / "wwdr.pem";
  config.pass_type_id = kPassTypeId;
  config.team_id = kTeamId;
  WriteFile(dir / "root.pem", pems.root);
  WriteFile(config.wwdr_certificate, pems.wwdr);
  WriteFile(config.certificate, pems.certificate);
  WriteFile(config.key, pems.key);
  return LoadIdentity(config, pems.root);
}

// The same chain with P-256 keys throughout (ECDSA signatures).
Identity EcIdentity(const TempDir& dir) {
  const auto now = Clock::now();
  auto root_key = detail::MakeEcKey().value();
  auto wwdr_key = detail::MakeEcKey().value();
  auto pass_key = detail::MakeEcKey().value();
  auto root =
      detail::MakeCertificate({"EC Root", "", "", "Test", true, now - days(1), now + days(100)},
                              root_key.get(), nullptr, root_key.get())
          .value();
  auto wwdr =
      detail::MakeCertificate({"EC WWDR", "", "", "Test", true, now - days(1), now + days(100)},
                              wwdr_key.get(), root.get(), root_key.get())
          .value();
  auto pass = detail::MakeCertificate({"Pass Type ID: " + kPassTypeId, kPassTypeId, kTeamId, "Test",
                                       false, now - days(1), now + days(100)},
                                      pass_key.get(), wwdr.get(), wwdr_key.get())
                  .value();
  CertificateConfig config;
  config.certificate = dir / "pass.pem";
  config.key = dir / "pass-key.pem";
  config.wwdr_certificate = dir / "wwdr.pem";
  config.pass_type_id = kPassTypeId;
  config.team_id = kTeamId;
  const std::string root_pem = detail::CertificatePem(root.get()).value();
  WriteFile(dir / "root.pem", root_pem);
  WriteFile(config.wwdr_certificate, detail::CertificatePem(wwdr.get()).value());
  WriteFile(config.certificate, detail::CertificatePem(pass.get()).value());
  WriteFile(config.key, detail::PrivateKeyPem(pass_key.get()).value());
  return LoadIdentity(config, root_pem);
}

// Runs the real `openssl cms -verify` on `signature` over `content`, anchored at root.pem in
// `dir`; true when it exits 0. Its stderr goes to the test log.
bool OpensslVerifies(const TempDir& dir, std::string_view signature, std::string_view content) {
  static std::atomic<int> counter{0};
  const std::string n = std::to_string(counter++);
  const fs::path sig = dir / ("signature-" + n + ".der");
  const fs::path manifest = dir / ("manifest-" + n + ".json");
  const fs::path err = dir / ("openssl-" + n + ".err");
  WriteFile(sig, signature);
  WriteFile(manifest, content);
  const std::string command = "openssl cms -verify -binary -inform DER -in '" + sig.string() +
                              "' -content '" + manifest.string() + "' -CAfile '" +
                              (dir / "root.pem").string() + "' -out /dev/null 2>'" + err.string() +
                              "'";
  const int status = std::system(command.c_str());
  BOOST_TEST_MESSAGE("openssl cms -verify exit status " << status << ": " << ReadAll(err));
  return status == 0;
}

using UniqueStore = OpenSslPtr<X509_STORE, X509_STORE_free>;

// The same verification in process (for many signatures from many threads).
bool CmsVerifies(std::string_view signature, std::string_view content,
                 const std::string& root_pem) {
  const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
  UniqueCms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(signature.size())));
  auto root = detail::ParseCertificate(root_pem, "root");
  UniqueStore store(X509_STORE_new());
  if (!cms || !root || !store || X509_STORE_add_cert(store.get(), root->get()) != 1) return false;
  UniqueBio data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  const bool ok = CMS_verify(cms.get(), nullptr, store.get(), data.get(), nullptr, CMS_BINARY) == 1;
  ERR_clear_error();
  return ok;
}

UniqueCms Parse(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  UniqueCms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  BOOST_TEST_REQUIRE(static_cast<bool>(cms), "d2i_CMS_ContentInfo failed");
  BOOST_TEST(p == reinterpret_cast<const unsigned char*>(der.data() + der.size()),
             "trailing bytes after the ContentInfo");
  return cms;
}

CMS_SignerInfo* OnlySigner(CMS_ContentInfo* cms) {
  STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms);
  BOOST_TEST_REQUIRE(sk_CMS_SignerInfo_num(signers) == 1);
  return sk_CMS_SignerInfo_value(signers, 0);
}

// The signed attribute `nid`'s single value.
ASN1_TYPE* SignedAttribute(CMS_SignerInfo* signer, int nid) {
  const int index = CMS_signed_get_attr_by_NID(signer, nid, -1);
  BOOST_TEST_REQUIRE(index >= 0, "no signed attribute " << OBJ_nid2sn(nid));
  X509_ATTRIBUTE* attribute = CMS_signed_get_attr(signer, index);
  BOOST_TEST_REQUIRE(X509_ATTRIBUTE_count(attribute) == 1);
  return X509_ATTRIBUTE_get0_type(attribute, 0);
}

// Equal DER; otherwise says where the encodings first differ.
boost::test_tools::predicate_result SameBytes(std::string_view ours, std::string_view reference) {
  if (ours == reference) return true;
  std::size_t at = 0;
  while (at < ours.size() && at < reference.size() && ours[at] == reference[at]) ++at;
  boost::test_tools::predicate_result failed(false);
  failed.message() << "DER differs from CMS_sign's at byte " << at << " of " << ours.size()
                   << " (reference " << reference.size() << " bytes): ours "
                   << passledger::ToHex(ours.substr(at, 16)) << "..., reference "
                   << passledger::ToHex(reference.substr(at, 16)) << "...";
  return failed;
}

// True when CMS_sign wrote the three attributes Sign writes (see MatchesTheCmsSignReference).
bool SameAttributesAsOurs(std::string_view reference) {
  UniqueCms cms = Parse(reference);
  return CMS_signed_get_attr_count(OnlySigner(cms.get())) == 3;
}

// Checks the structure of a signature made by `identity` over `manifest` at `when`.
void CheckStructure(std::string_view der, const SigningIdentity& identity,
                    std::string_view manifest, Clock::time_point when, int time_type) {
  UniqueCms cms = Parse(der);
  BOOST_TEST(OBJ_obj2nid(CMS_get0_type(cms.get())) == NID_pkcs7_signed);
  BOOST_TEST(OBJ_obj2nid(CMS_get0_eContentType(cms.get())) == NID_pkcs7_data);
  BOOST_TEST(CMS_is_detached(cms.get()) == 1);
  CMS_SignerInfo* signer = OnlySigner(cms.get());
  BOOST_TEST(CMS_SignerInfo_cert_cmp(signer, identity.certificate()) == 0);
  EVP_PKEY* pkey = nullptr;
  X509* cert = nullptr;
  X509_ALGOR* digest_algorithm = nullptr;
  X509_ALGOR* signature_algorithm = nullptr;
  CMS_SignerInfo_get0_algs(signer, &pkey, &cert, &digest_algorithm, &signature_algorithm);
  const ASN1_OBJECT* digest_oid = nullptr;
  X509_ALGOR_get0(&digest_oid, nullptr, nullptr, digest_algorithm);
  BOOST_TEST(OBJ_obj2nid(digest_oid) == NID_sha256);
  BOOST_TEST(CMS_signed_get_attr_count(signer) == 3);

  ASN1_TYPE* time = SignedAttribute(signer, NID_pkcs9_signingTime);
  BOOST_TEST(ASN1_TYPE_get(time) == time_type);
  std::tm tm{};
  BOOST_TEST_REQUIRE(ASN1_TIME_to_tm(time->value.utctime, &tm) == 1);
  BOOST_TEST(::timegm(&tm) == Clock::to_time_t(when));

  ASN1_TYPE* digest = SignedAttribute(signer, NID_pkcs9_messageDigest);
  BOOST_TEST_REQUIRE(ASN1_TYPE_get(digest) == V_ASN1_OCTET_STRING);
  const passledger::Hash want = passledger::Sha256(manifest);
  const ASN1_OCTET_STRING* got = digest->value.octet_string;
  BOOST_TEST(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(got)),
                              static_cast<std::size_t>(ASN1_STRING_length(got))) ==
             std::string_view(reinterpret_cast<const char*>(want.data()), want.size()));

  ASN1_TYPE* content_type = SignedAttribute(signer, NID_pkcs9_contentType);
  BOOST_TEST_REQUIRE(ASN1_TYPE_get(content_type) == V_ASN1_OBJECT);
  BOOST_TEST(OBJ_obj2nid(content_type->value.object) == NID_pkcs7_data);

  UniqueX509Stack certs(CMS_get1_certs(cms.get()));
  BOOST_TEST_REQUIRE(sk_X509_num(certs.get()) == 2);
  int found = 0;
  for (int i = 0; i < 2; ++i) {
    X509* c = sk_X509_value(certs.get(), i);
    found += X509_cmp(c, identity.certificate()) == 0 ? 1 : 0;
    found += X509_cmp(c, identity.wwdr()) == 0 ? 2 : 0;
  }
  BOOST_TEST(found == 3, "the pass and the WWDR certificate");
}

BOOST_AUTO_TEST_SUITE(cms_signature)

BOOST_AUTO_TEST_CASE(RsaSignatureVerifiesWithOpenssl) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  const Clock::time_point when = At(2026, 3, 14, 15, 9, 26);
  auto signature = signer->Sign(kManifest, when);
  BOOST_TEST_REQUIRE(Succeeded(signature));
  BOOST_TEST(OpensslVerifies(dir, *signature, kManifest));
  BOOST_TEST(CmsVerifies(*signature, kManifest, id.root_pem));
  CheckStructure(*signature, *id.identity, kManifest, when, V_ASN1_UTCTIME);
}

// RSA PKCS#1 v1.5 is deterministic, so the hand-assembled DER must equal CMS_sign's byte for
// byte when CMS_sign adds the same three attributes (OpenSSL 3.0 and 3.1, Debian 12's 3.0
// among them). OpenSSL 3.2 and later also add CMSAlgorithmProtection: there both must verify
// and ours is checked for its structure, not compared byte for byte — hence the name.
BOOST_AUTO_TEST_CASE(EqualsCmsSignByteForByteOnOpenssl30And31ElseVerifiesAndHasOurStructure) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  const Clock::time_point when = At(2031, 12, 31, 23, 59, 59);
  auto ours = signer->Sign(kManifest, when);
  BOOST_TEST_REQUIRE(Succeeded(ours));
  auto reference = detail::SignWithCmsSign(*id.identity, kManifest, when);
  BOOST_TEST_REQUIRE(Succeeded(reference));
  BOOST_TEST(OpensslVerifies(dir, *reference, kManifest));
  BOOST_TEST(OpensslVerifies(dir, *ours, kManifest));
  if (SameAttributesAsOurs(*reference)) {
    BOOST_TEST(SameBytes(*ours, *reference));
  } else {
    BOOST_TEST_MESSAGE(
        "CMS_sign adds more signed attributes here (OpenSSL >= 3.2): byte-for-byte "
        "comparison skipped, both verify, structure checked");
  }
  CheckStructure(*ours, *id.identity, kManifest, when, V_ASN1_UTCTIME);
}

BOOST_AUTO_TEST_CASE(EcdsaSignatureVerifiesWithOpenssl) {
  TempDir dir;
  const Identity id = EcIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  const Clock::time_point when = At(2027, 1, 2, 3, 4, 5);
  auto signature = signer->Sign(kManifest, when);
  BOOST_TEST_REQUIRE(Succeeded(signature));
  BOOST_TEST(OpensslVerifies(dir, *signature, kManifest));
  CheckStructure(*signature, *id.identity, kManifest, when, V_ASN1_UTCTIME);
  auto reference = detail::SignWithCmsSign(*id.identity, kManifest, when);
  BOOST_TEST_REQUIRE(Succeeded(reference));
  BOOST_TEST(OpensslVerifies(dir, *reference, kManifest));
}

BOOST_AUTO_TEST_CASE(OtherContentDoesNotVerify) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  auto signature = signer->Sign(kManifest, Clock::now());
  BOOST_TEST_REQUIRE(Succeeded(signature));
  std::string altered = kManifest;
  altered[5] ^= 1;
  BOOST_TEST(!OpensslVerifies(dir, *signature, altered));
  BOOST_TEST(!OpensslVerifies(dir, *signature, kManifest + "\n"));
  BOOST_TEST(!CmsVerifies(*signature, altered, id.root_pem));
  // A flipped bit in the signature value (the last bytes) breaks it too.
  std::string damaged = *signature;
  damaged[damaged.size() - 3] ^= 0x40;
  BOOST_TEST(!OpensslVerifies(dir, damaged, kManifest));
  // And another root does not anchor it.
  TempDir other;
  const Identity ec = EcIdentity(other);
  BOOST_TEST(!OpensslVerifies(other, *signature, kManifest));
}

BOOST_AUTO_TEST_CASE(SigningTimeEncoding) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  struct Case {
    Clock::time_point when;
    int type;
  };
  const Case cases[] = {
      {At(1950, 1, 1, 0, 0, 0), V_ASN1_UTCTIME},
      {At(1949, 12, 31, 23, 59, 59), V_ASN1_GENERALIZEDTIME},
      {At(2049, 12, 31, 23, 59, 59), V_ASN1_UTCTIME},
      {At(2050, 1, 1, 0, 0, 0), V_ASN1_GENERALIZEDTIME},
      {At(2026, 7, 1, 12, 0, 0), V_ASN1_UTCTIME},
  };
  for (const Case& c : cases) {
    auto signature = signer->Sign(kManifest, c.when);
    BOOST_TEST_REQUIRE(Succeeded(signature));
    CheckStructure(*signature, *id.identity, kManifest, c.when, c.type);
    auto reference = detail::SignWithCmsSign(*id.identity, kManifest, c.when);
    BOOST_TEST_REQUIRE(Succeeded(reference));
    if (SameAttributesAsOurs(*reference)) {
      BOOST_TEST(SameBytes(*signature, *reference));
    }
  }
  // Sub-second parts are dropped, not rounded.
  auto rounded = signer->Sign(kManifest, At(2026, 7, 1, 12, 0, 0) + std::chrono::milliseconds(999));
  BOOST_TEST_REQUIRE(Succeeded(rounded));
  CheckStructure(*rounded, *id.identity, kManifest, At(2026, 7, 1, 12, 0, 0), V_ASN1_UTCTIME);
  BOOST_TEST(OpensslVerifies(dir, *signer->Sign(kManifest, At(2050, 1, 1, 0, 0, 0)), kManifest));
}

BOOST_AUTO_TEST_CASE(EmptyAndLargeManifests) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto signer = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(signer));
  const std::string large(300000, 'x');
  for (const std::string& manifest : {std::string(), large}) {
    auto signature = signer->Sign(manifest, Clock::now());
    BOOST_TEST_REQUIRE(Succeeded(signature));
    BOOST_TEST(CmsVerifies(*signature, manifest, id.root_pem));
  }
}

BOOST_AUTO_TEST_CASE(ConcurrentSignsAllVerify) {
  TempDir dir;
  const Identity id = DevIdentity(dir);
  auto created = CmsSigner::Create(id.identity);
  BOOST_TEST_REQUIRE(Succeeded(created));
  const CmsSigner signer = *created;  // copies share one state
  constexpr int kThreads = 8;
  constexpr int kPerThread = 6;
  std::vector<std::vector<std::string>> signatures(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string manifest = kManifest + std::to_string(t * 100 + i);
        auto signature = signer.Sign(manifest, Clock::now());
        if (!signature) {
          ++failures;
          continue;
        }
        signatures[t].push_back(std::move(*signature));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);
  for (int t = 0; t < kThreads; ++t) {
    BOOST_TEST_REQUIRE(signatures[t].size() == static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      const std::string manifest = kManifest + std::to_string(t * 100 + i);
      BOOST_TEST(CmsVerifies(signatures[t][i], manifest, id.root_pem), "thread " << t << " #" << i);
    }
  }
  BOOST_TEST(OpensslVerifies(dir, signatures[7][5], kManifest + "705"));
}

BOOST_AUTO_TEST_CASE(CreateNeedsAnIdentity) {
  auto signer = CmsSigner::Create(nullptr);
  BOOST_TEST_REQUIRE(!signer.has_value());
  BOOST_TEST((signer.error().code == ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

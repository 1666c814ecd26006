#include "signer/dev_certs.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <array>
#include <system_error>

#include "base/crypto.h"
#include "base/files.h"
#include "signer/certificates.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using std::chrono::days;
using std::chrono::hours;

// Upper bounds of X.520 (RFC 5280 appendix A): the CN is "Pass Type ID: " + id.
constexpr std::size_t kMaxPassTypeIdSize = 64 - 14;
constexpr std::size_t kMaxTeamIdSize = 64;
constexpr std::string_view kOrganization = "PassLedger development (not Apple)";

Error OpenSslError(std::string_view call) {
  return MakeError(ErrorCode::kInternal, OpenSslErrorText(call));
}

Result<void> CheckId(std::string_view id, std::string_view what, std::size_t max_size) {
  if (id.empty()) return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is empty");
  if (id.size() > max_size) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is longer than " +
                                                      std::to_string(max_size) + " characters");
  }
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + " contains a control character");
    }
  }
  return {};
}

Result<void> AddNameEntry(X509_NAME* name, int nid, std::string_view value) {
  if (value.empty()) return {};
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return OpenSslError("X509_NAME_add_entry_by_NID");
  }
  return {};
}

Result<UniqueX509Name> MakeName(const detail::CertificateSpec& spec) {
  UniqueX509Name name(X509_NAME_new());
  if (!name) return OpenSslError("X509_NAME_new");
  // The order of Apple's Pass Type ID certificates: UID, CN, OU, O, C.
  for (const auto& [nid, value] : {std::pair{NID_userId, std::string_view(spec.user_id)},
                                   {NID_commonName, spec.common_name},
                                   {NID_organizationalUnitName, spec.org_unit},
                                   {NID_organizationName, spec.organization},
                                   {NID_countryName, std::string_view("US")}}) {
    if (auto ok = AddNameEntry(name.get(), nid, value); !ok) return ok.error();
  }
  return name;
}

Result<void> SetRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return OpenSslError("RAND_bytes");
  }
  bytes[0] = (bytes[0] & 0x7f) | 0x40;  // positive, and always 16 bytes long
  UniqueBignum bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) return OpenSslError("BN_bin2bn");
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("BN_to_ASN1_INTEGER");
  }
  return {};
}

Result<void> SetValidity(X509* cert, const detail::CertificateSpec& spec) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), Clock::to_time_t(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), Clock::to_time_t(spec.not_after)) == nullptr) {
    return OpenSslError("ASN1_TIME_set");
  }
  return {};
}

Result<void> AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  UniqueX509Extension ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext) return OpenSslError("X509V3_EXT_nconf_nid");
  if (X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("X509_add_ext");
  return {};
}

Result<void> AddExtensions(X509* cert, X509* issuer, bool is_ca) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert, cert, nullptr, nullptr, 0);
  const std::pair<int, const char*> ca[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
  };
  // No extendedKeyUsage: `openssl cms -verify` checks the S/MIME signing purpose.
  const std::pair<int, const char*> leaf[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : is_ca ? std::span(ca) : std::span(leaf)) {
    if (auto ok = AddExtension(cert, &ctx, nid, value); !ok) return ok;
  }
  if (issuer != nullptr) return AddExtension(cert, &ctx, NID_authority_key_identifier, "keyid");
  return {};
}

struct Paths {
  explicit Paths(const fs::path& dir)
      : files{dir / "root-ca.pem", dir / "wwdr.pem", dir / "pass.pem", dir / "pass-key.pem"} {}
  DevCertificates files;
};

Result<void> CreateDirectory(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) {
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create directory " + dir.string() + ": " + ec.message());
  }
  return {};
}

// The three certificates and the pass key, as PEM texts.
struct Pems {
  std::string root;
  std::string wwdr;
  std::string pass;
  std::string key;
};

Result<Pems> MakePems(std::string_view pass_type_id, std::string_view team_id) {
  const Clock::time_point now = Clock::now();
  const Clock::time_point not_before = now - hours(1);  // tolerate small clock skew
  auto root_key = detail::MakeRsaKey(2048);
  if (!root_key) return root_key.error();
  auto root =
      detail::MakeCertificate({"PassLedger Development Root CA", "", "", std::string(kOrganization),
                               true, not_before, now + days(3650)},
                              root_key->get(), nullptr, root_key->get());
  if (!root) return root.error();
  auto wwdr_key = detail::MakeRsaKey(2048);
  if (!wwdr_key) return wwdr_key.error();
  auto wwdr =
      detail::MakeCertificate({"PassLedger Development WWDR (stands in for Apple WWDR)", "", "G4",
                               std::string(kOrganization), true, not_before, now + days(3650)},
                              wwdr_key->get(), root->get(), root_key->get());
  if (!wwdr) return wwdr.error();
  auto pass_key = detail::MakeRsaKey(2048);
  if (!pass_key) return pass_key.error();
  auto pass = detail::MakeCertificate(
      {"Pass Type ID: " + std::string(pass_type_id), std::string(pass_type_id),
       std::string(team_id), std::string(kOrganization), false, not_before, now + days(365)},
      pass_key->get(), wwdr->get(), wwdr_key->get());
  if (!pass) return pass.error();
  Pems pems;
  for (auto [cert, out] :
       {std::pair{root->get(), &pems.root}, {wwdr->get(), &pems.wwdr}, {pass->get(), &pems.pass}}) {
    auto pem = detail::CertificatePem(cert);
    if (!pem) return pem.error();
    *out = std::move(*pem);
  }
  auto key_pem = detail::PrivateKeyPem(pass_key->get());
  if (!key_pem) return key_pem.error();
  pems.key = std::move(*key_pem);
  return pems;
}

// True when the files in `files` can be used as they are for another 30 days.
bool Reusable(const DevCertificates& files, std::string_view pass_type_id, std::string_view team_id,
              Clock::time_point now) {
  std::error_code ec;
  for (const auto* path : {&files.root_ca, &files.wwdr, &files.certificate, &files.key}) {
    if (!fs::is_regular_file(*path, ec)) return false;
  }
  CertificateConfig config;
  config.certificate = files.certificate;
  config.key = files.key;
  config.wwdr_certificate = files.wwdr;
  config.pass_type_id = pass_type_id;
  config.team_id = team_id;
  auto identity = LoadSigningIdentity(config, now);
  if (!identity || !(*identity)->warnings().empty()) return false;  // e.g. expires soon
  auto root_bytes = passledger::ReadSmallFile(files.root_ca, 1 << 20);
  if (!root_bytes) return false;
  auto root = detail::ParseCertificate(*root_bytes, files.root_ca.string());
  if (!root || !detail::IssuedBy((*identity)->wwdr(), root->get()) ||
      !detail::IssuedBy(root->get(), root->get())) {
    return false;
  }
  auto root_not_after = detail::ToTimePoint(X509_get0_notAfter(root->get()));
  auto root_not_before = detail::ToTimePoint(X509_get0_notBefore(root->get()));
  return root_not_after && root_not_before && *root_not_before <= now &&
         *root_not_after - now >= kExpiryWarning;
}

}  // namespace

Result<DevCertificates> MakeDevCertificates(const fs::path& dir, std::string_view pass_type_id,
                                            std::string_view team_id) {
  if (auto ok = CheckId(pass_type_id, "pass type id", kMaxPassTypeIdSize); !ok) return ok.error();
  if (auto ok = CheckId(team_id, "team id", kMaxTeamIdSize); !ok) return ok.error();
  auto pems = MakePems(pass_type_id, team_id);
  if (!pems) return pems.error();
  if (auto ok = CreateDirectory(dir); !ok) return ok.error();
  const Paths paths(dir);
  const DevCertificates& files = paths.files;
  for (const auto& [path, text, mode] : {std::tuple{&files.root_ca, &pems->root, 0644u},
                                         {&files.wwdr, &pems->wwdr, 0644u},
                                         {&files.certificate, &pems->pass, 0644u},
                                         {&files.key, &pems->key, 0600u}}) {
    if (auto ok = passledger::WriteFileAtomically(*path, *text, mode); !ok) return ok.error();
  }
  OPENSSL_cleanse(pems->key.data(), pems->key.size());
  return files;
}

Result<DevCertificates> EnsureDevCertificates(const fs::path& dir, std::string_view pass_type_id,
                                              std::string_view team_id) {
  const Paths paths(dir);
  if (Reusable(paths.files, pass_type_id, team_id, Clock::now())) return paths.files;
  return MakeDevCertificates(dir, pass_type_id, team_id);
}

namespace detail {

Result<UniquePkey> MakeRsaKey(int bits) {
  UniquePkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (!key) return OpenSslError("EVP_PKEY_Q_keygen(RSA)");
  return key;
}

Result<UniquePkey> MakeEcKey() {
  UniquePkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("EVP_PKEY_Q_keygen(EC)");
  return key;
}

Result<UniqueX509> MakeCertificate(const CertificateSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                   EVP_PKEY* issuer_key) {
  if (issuer == nullptr && issuer_key != subject_key) {
    return MakeError(ErrorCode::kInvalidArgument, "a self-signed certificate signs with its key");
  }
  UniqueX509 cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_set_version");
  if (auto ok = SetRandomSerial(cert.get()); !ok) return ok.error();
  if (auto ok = SetValidity(cert.get(), spec); !ok) return ok.error();
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return OpenSslError("X509_set_pubkey");
  auto name = MakeName(spec);
  if (!name) return name.error();
  if (X509_set_subject_name(cert.get(), name->get()) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuer != nullptr ? X509_get_subject_name(issuer) : name->get()) != 1) {
    return OpenSslError("X509_set_subject_name");
  }
  if (auto ok = AddExtensions(cert.get(), issuer, spec.is_ca); !ok) return ok.error();
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  return cert;
}

Result<std::string> CertificatePem(X509* cert) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio) return OpenSslError("BIO_new");
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> PrivateKeyPem(EVP_PKEY* key) {
  UniqueBio bio(BIO_new(BIO_s_secmem()));
  if (!bio) return OpenSslError("BIO_new");
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace detail

}  // namespace passledger::signer

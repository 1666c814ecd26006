#include "signer/certificates.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/openssl_ptr.h"
#include "base/time.h"
#include "base/unique_fd.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxFileSize = 1 << 20;  // certificates and keys are a few KB

std::string Where(std::string_view role, const fs::path& path) {
  return std::string(role) + " " + path.string();
}

Error Invalid(std::string_view role, const fs::path& path, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, Where(role, path) + ": " + std::string(what));
}

// The whole file; kNotFound when it does not exist.
Result<std::string> ReadFile(const fs::path& path, std::string_view role) {
  passledger::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return MakeError(ErrorCode::kNotFound, Where(role, path) + ": no such file");
    return MakeError(ErrorCode::kFailedPrecondition,
                     Where(role, path) + ": cannot open: " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Invalid(role, path, "not a regular file");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileSize) {
    return Invalid(role, path, "larger than 1 MiB; not a certificate or key");
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       Where(role, path) + ": cannot read: " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return data;
}

UniqueBio MemBio(std::string_view bytes) {
  return UniqueBio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

bool LooksLikePem(std::string_view bytes) {
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

// --- key password -------------------------------------------------------------------------

Result<std::string> ResolvePassword(const CertificateConfig& config) {
  const int sources = !config.key_password.empty() + !config.key_password_env.empty() +
                      !config.key_password_file.empty();
  if (sources > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "more than one key password source is configured (key_password, "
                     "key_password_env, key_password_file); set only one");
  }
  if (!config.key_password_env.empty()) {
    const char* value = std::getenv(config.key_password_env.c_str());
    if (value == nullptr) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "environment variable " + config.key_password_env + " (key password) is not set");
    }
    return std::string(value);
  }
  if (!config.key_password_file.empty()) {
    auto text = ReadFile(config.key_password_file, "key password file");
    if (!text) return text.error();
    if (text->ends_with('\n')) text->pop_back();
    if (text->ends_with('\r')) text->pop_back();
    return std::move(*text);
  }
  return config.key_password;
}

// Hands the configured password to OpenSSL and records that one was asked for (the key is
// encrypted), so that a failure can be reported as a password problem.
struct PasswordRequest {
  const std::string* password = nullptr;
  bool asked = false;
};

int PasswordCallback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PasswordRequest*>(user);
  request->asked = true;
  const std::string& password = *request->password;
  if (password.empty() || password.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, password.data(), password.size());
  return static_cast<int>(password.size());
}

// --- files --------------------------------------------------------------------------------

Result<UniquePkey> ParsePemKey(std::string_view bytes, const fs::path& path,
                               const std::string& password, std::vector<std::string>& warnings) {
  UniqueBio bio = MemBio(bytes);
  if (!bio) return MakeError(ErrorCode::kInternal, OpenSslErrorText("BIO_new_mem_buf"));
  PasswordRequest request{&password};
  UniquePkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordCallback, &request));
  if (!key) {
    if (request.asked && password.empty()) {
      ERR_clear_error();
      return Invalid("key", path, "the key is encrypted and no key password is configured");
    }
    if (request.asked) {
      ERR_clear_error();
      return Invalid("key", path, "wrong key password (the key does not decrypt)");
    }
    return Invalid("key", path,
                   "not a PEM private key (" + OpenSslErrorText("PEM_read_bio_PrivateKey") + ")");
  }
  if (!request.asked && !password.empty()) {
    warnings.push_back("a key password is configured but key " + path.string() +
                       " is not encrypted");
  }
  return key;
}

struct Pkcs12Contents {
  UniqueX509 certificate;
  UniquePkey key;
};

Result<UniquePkcs12> ReadPkcs12(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  UniquePkcs12 p12(d2i_PKCS12(nullptr, &p, static_cast<long>(bytes.size())));
  if (!p12) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalidArgument, "not PKCS#12");
  }
  return p12;
}

// The password that verifies the PKCS#12 MAC: `password`, or for an empty one either of the
// two encodings of "no password" (NULL and "") that exporters use.
Result<const char*> CheckPkcs12Mac(PKCS12* p12, const fs::path& path, const std::string& password) {
  if (!PKCS12_mac_present(p12)) return password.empty() ? nullptr : password.c_str();
  if (!password.empty()) {
    if (PKCS12_verify_mac(p12, password.c_str(), -1) == 1) return password.c_str();
    ERR_clear_error();
    return Invalid("certificate", path, "wrong key password (the PKCS#12 MAC does not verify)");
  }
  if (PKCS12_verify_mac(p12, nullptr, 0) == 1) return nullptr;
  if (PKCS12_verify_mac(p12, "", 0) == 1) return "";
  ERR_clear_error();
  return Invalid("certificate", path,
                 "the PKCS#12 file is password-protected and no key password is configured");
}

Result<Pkcs12Contents> ParsePkcs12(PKCS12* p12, const fs::path& path, const std::string& password) {
  auto pass = CheckPkcs12Mac(p12, path, password);
  if (!pass) return pass.error();
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  const int ok = PKCS12_parse(p12, *pass, &raw_key, &raw_cert, &raw_ca);
  Pkcs12Contents out{UniqueX509(raw_cert), UniquePkey(raw_key)};
  UniqueX509Stack ca(raw_ca);
  if (ok != 1) {
    return Invalid("certificate", path,
                   OpenSslErrorText("PKCS12_parse") +
                       " (PKCS#12 files encrypted with RC2-40, as older Keychain exports are, "
                       "need OpenSSL's legacy provider: re-export them as docs/CERTIFICATES.md "
                       "shows)");
  }
  if (!out.certificate)
    return Invalid("certificate", path, "the PKCS#12 file holds no certificate");
  if (!out.key) return Invalid("certificate", path, "the PKCS#12 file holds no private key");
  return out;
}

// The signer's certificate and key, from a PKCS#12 file or from a certificate and a key file.
Result<Pkcs12Contents> LoadCertificateAndKey(const CertificateConfig& config,
                                             std::vector<std::string>& warnings) {
  auto cert_bytes = ReadFile(config.certificate, "certificate");
  if (!cert_bytes) return cert_bytes.error();
  auto password = ResolvePassword(config);
  if (!password) return password.error();
  if (auto p12 = ReadPkcs12(*cert_bytes)) {
    if (!config.key.empty()) {
      return Invalid("certificate", config.certificate,
                     "is a PKCS#12 file holding the key: leave the key setting empty");
    }
    return ParsePkcs12(p12->get(), config.certificate, *password);
  }
  auto cert = detail::ParseCertificate(*cert_bytes, Where("certificate", config.certificate));
  if (!cert) return cert.error();
  if (config.key.empty()) {
    return Invalid("certificate", config.certificate,
                   "no private key: set the key file, or use a PKCS#12 (.p12) file");
  }
  auto key_bytes = ReadFile(config.key, "key");
  if (!key_bytes) return key_bytes.error();
  auto key = ParsePemKey(*key_bytes, config.key, *password, warnings);
  if (!key) return key.error();
  return Pkcs12Contents{std::move(*cert), std::move(*key)};
}

// --- checks -------------------------------------------------------------------------------

Result<void> CheckSubject(X509* cert, const CertificateConfig& config) {
  if (config.pass_type_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no pass type id is configured");
  }
  if (config.team_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no team id is configured");
  }
  const X509_NAME* subject = X509_get_subject_name(cert);
  const std::string uid = detail::NameEntry(subject, NID_userId);
  if (uid != config.pass_type_id) {
    return Invalid("certificate", config.certificate,
                   (uid.empty() ? std::string("subject has no UID") : "subject UID is " + uid) +
                       ", expected " + config.pass_type_id + " (pass type id)");
  }
  const std::string ou = detail::NameEntry(subject, NID_organizationalUnitName);
  if (ou != config.team_id) {
    return Invalid("certificate", config.certificate,
                   (ou.empty() ? std::string("subject has no OU") : "subject OU is " + ou) +
                       ", expected " + config.team_id + " (team id)");
  }
  return {};
}

Result<void> CheckKey(X509* cert, EVP_PKEY* key, const CertificateConfig& config) {
  const fs::path& key_path = config.key.empty() ? config.certificate : config.key;
  const int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
    return Invalid("key", key_path, "an RSA or EC key is required");
  }
  if (X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return Invalid("key", key_path,
                   "does not match certificate " + config.certificate.string() +
                       " (the certificate's public key is another key's)");
  }
  return {};
}

std::string NameText(const X509_NAME* name) {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return "(unprintable name)";
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Result<void> CheckIssuer(X509* cert, X509* wwdr, const CertificateConfig& config) {
  if (detail::IssuedBy(cert, wwdr)) return {};
  return Invalid("WWDR certificate", config.wwdr_certificate,
                 "did not issue certificate " + config.certificate.string() + " (its issuer is " +
                     NameText(X509_get_issuer_name(cert)) + "; this certificate is " +
                     NameText(X509_get_subject_name(wwdr)) +
                     "): configure the Apple WWDR intermediate that issued it (G4)");
}

// Errors when `cert` is not valid at `now`; a warning when it expires within kExpiryWarning.
Result<Clock::time_point> CheckValidity(X509* cert, std::string_view role, const fs::path& path,
                                        Clock::time_point now, std::vector<std::string>& warnings) {
  auto not_before = detail::ToTimePoint(X509_get0_notBefore(cert));
  auto not_after = detail::ToTimePoint(X509_get0_notAfter(cert));
  if (!not_before || !not_after) return Invalid(role, path, "malformed validity period");
  if (now < *not_before) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     Where(role, path) + ": not valid before " + detail::FormatDate(*not_before) +
                         " (today is " + detail::FormatDate(now) + ")");
  }
  if (now > *not_after) {
    return MakeError(ErrorCode::kFailedPrecondition, Where(role, path) + ": expired on " +
                                                         detail::FormatDate(*not_after) +
                                                         "; renew it (docs/CERTIFICATES.md)");
  }
  if (*not_after - now < kExpiryWarning) {
    const auto days = std::chrono::floor<std::chrono::days>(*not_after - now).count();
    warnings.push_back(std::string(role) + " expires in " + std::to_string(days) +
                       (days == 1 ? " day (" : " days (") + detail::FormatDate(*not_after) + ")");
  }
  return *not_after;
}

}  // namespace

std::string SigningIdentity::subject() const {
  return NameText(X509_get_subject_name(certificate_.get()));
}

Result<std::shared_ptr<const SigningIdentity>> LoadSigningIdentity(const CertificateConfig& config,
                                                                   Clock::time_point now) {
  std::shared_ptr<SigningIdentity> identity(new SigningIdentity());
  auto pair = LoadCertificateAndKey(config, identity->warnings_);
  if (!pair) return pair.error();
  auto wwdr_bytes = ReadFile(config.wwdr_certificate, "WWDR certificate");
  if (!wwdr_bytes) return wwdr_bytes.error();
  auto wwdr =
      detail::ParseCertificate(*wwdr_bytes, Where("WWDR certificate", config.wwdr_certificate));
  if (!wwdr) return wwdr.error();
  X509* cert = pair->certificate.get();
  if (auto ok = CheckSubject(cert, config); !ok) return ok.error();
  if (auto ok = CheckKey(cert, pair->key.get(), config); !ok) return ok.error();
  if (auto ok = CheckIssuer(cert, wwdr->get(), config); !ok) return ok.error();
  auto not_after =
      CheckValidity(cert, "pass certificate", config.certificate, now, identity->warnings_);
  if (!not_after) return not_after.error();
  auto wwdr_ok = CheckValidity(wwdr->get(), "WWDR certificate", config.wwdr_certificate, now,
                               identity->warnings_);
  if (!wwdr_ok) return wwdr_ok.error();
  identity->certificate_ = std::move(pair->certificate);
  identity->key_ = std::move(pair->key);
  identity->wwdr_ = std::move(*wwdr);
  identity->not_after_ = *not_after;
  identity->pass_type_id_ = config.pass_type_id;
  identity->team_id_ = config.team_id;
  return std::shared_ptr<const SigningIdentity>(std::move(identity));
}

namespace detail {

std::string NameEntry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, data);
  if (size < 0) {
    ERR_clear_error();
    return {};
  }
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return text;
}

Result<Clock::time_point> ToTimePoint(const ASN1_TIME* time) {
  // OpenSSL reads what the certificate holds (UTCTime or GeneralizedTime, in any form it
  // accepts) and hands back the normalised GeneralizedTime "YYYYMMDDHHMMSSZ"; base/time
  // reads that. (ASN1_TIME_to_generalizedtime(nullptr) would mean "now".)
  OpenSslPtr<ASN1_GENERALIZEDTIME, ASN1_GENERALIZEDTIME_free> normalised(
      time == nullptr ? nullptr : ASN1_TIME_to_generalizedtime(time, nullptr));
  if (!normalised) {
    return MakeError(ErrorCode::kInvalidArgument, OpenSslErrorText("ASN1_TIME_to_generalizedtime"));
  }
  const std::string_view text(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(normalised.get())),
      static_cast<std::size_t>(ASN1_STRING_length(normalised.get())));
  const auto seconds = ParseAsn1Time(Asn1TimeType::kGeneralizedTime, text);
  if (!seconds) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ASN.1 time \"" + std::string(text) + "\" is not YYYYMMDDHHMMSSZ");
  }
  // The clock counts nanoseconds (years 1677-2262); a certificate may say 9999-12-31
  // (RFC 5280 §4.1.2.5), which saturates instead of overflowing.
  constexpr auto kMax =
      std::chrono::floor<std::chrono::seconds>(Clock::time_point::max()).time_since_epoch();
  constexpr auto kMin =
      std::chrono::ceil<std::chrono::seconds>(Clock::time_point::min()).time_since_epoch();
  if (*seconds > kMax.count()) return Clock::time_point::max();
  if (*seconds < kMin.count()) return Clock::time_point::min();
  return Clock::time_point(std::chrono::seconds(*seconds));
}

std::string FormatDate(Clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  return FormatIsoDate(CivilTimeFromUnixSeconds(seconds).date);
}

Result<UniqueX509> ParseCertificate(std::string_view bytes, const std::string& source) {
  UniqueX509 cert;
  if (LooksLikePem(bytes)) {
    UniqueBio bio = MemBio(bytes);
    if (!bio) return MakeError(ErrorCode::kInternal, OpenSslErrorText("BIO_new_mem_buf"));
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          source + ": not a PEM certificate (" + OpenSslErrorText("PEM_read_bio_X509") + ")");
    }
    return cert;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  cert.reset(d2i_X509(nullptr, &p, static_cast<long>(bytes.size())));
  if (!cert) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalidArgument,
                     source + ": neither a PEM nor a DER certificate" +
                         (bytes.empty() ? " (the file is empty)" : ""));
  }
  return cert;
}

bool IssuedBy(X509* subject, X509* issuer) {
  const bool ok = X509_check_issued(issuer, subject) == X509_V_OK &&
                  X509_verify(subject, X509_get0_pubkey(issuer)) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace detail

}  // namespace passledger::signer

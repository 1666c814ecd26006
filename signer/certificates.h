// The pass signing identity: the Pass Type ID certificate, its private key and the Apple WWDR
// intermediate, loaded from files and checked once before first use (docs/CERTIFICATES.md,
// "The checks at start-up").
//
// LoadSigningIdentity reads the files, checks that the certificate belongs to the configured
// pass type and team, that the key matches it, that the WWDR certificate issued it and that
// both are valid now, and collects warnings (expiry within 30 days). The SigningIdentity owns
// its OpenSSL objects; it is immutable after load and safe to share between threads (callers
// hold it through shared_ptr<const SigningIdentity>). Pointers returned by its accessors live
// as long as the identity and must not be modified or freed.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "signer/openssl_handles.h"

namespace passledger::signer {

// Warn this long before a certificate expires.
inline constexpr std::chrono::hours kExpiryWarning{24 * 30};

struct CertificateConfig {
  std::filesystem::path certificate;  // PEM certificate, or PKCS#12 (.p12/.pfx) holding cert + key
  std::filesystem::path key;          // PEM private key; empty when `certificate` is PKCS#12
  // At most one of the three password sources may be set; none means "not encrypted".
  std::string key_password;                 // literal password (config)
  std::string key_password_env;             // or: name of an environment variable holding it
  std::filesystem::path key_password_file;  // or: a file holding it (trailing newline stripped)
  std::filesystem::path wwdr_certificate;   // Apple WWDR intermediate (G4), PEM or DER
  std::string pass_type_id;                 // must equal the pass certificate's subject UID
  std::string team_id;                      // must equal the pass certificate's subject OU
};

class SigningIdentity {
 public:
  SigningIdentity(const SigningIdentity&) = delete;
  SigningIdentity& operator=(const SigningIdentity&) = delete;

  X509* certificate() const { return certificate_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  X509* wwdr() const { return wwdr_.get(); }
  // Non-fatal findings of the load, e.g. "pass certificate expires in 12 days (2026-12-10)".
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The pass certificate's notAfter.
  std::chrono::system_clock::time_point not_after() const { return not_after_; }
  // The pass certificate's subject, RFC 2253 ("UID=pass.org.example,CN=Pass Type ID: ...").
  std::string subject() const;
  const std::string& pass_type_id() const { return pass_type_id_; }
  const std::string& team_id() const { return team_id_; }

 private:
  friend Result<std::shared_ptr<const SigningIdentity>> LoadSigningIdentity(
      const CertificateConfig& config, std::chrono::system_clock::time_point now);
  SigningIdentity() = default;

  UniqueX509 certificate_;
  UniquePkey key_;
  UniqueX509 wwdr_;
  std::vector<std::string> warnings_;
  std::chrono::system_clock::time_point not_after_;
  std::string pass_type_id_;
  std::string team_id_;
};

// Loads and checks the identity as of `now`. Errors name the file and the mismatch, e.g.
// "certificate /x/pass.pem: subject UID is pass.com.other, expected pass.org.example (pass
// type id)": kNotFound for a missing file; kInvalidArgument for files or settings that do not
// fit (garbage file, wrong or missing key password, key not matching, another pass type or
// team, a WWDR certificate that did not issue the pass certificate); kFailedPrecondition for
// certificates that are expired or not yet valid at `now`, or an unset password variable.
// Passwords never appear in messages.
Result<std::shared_ptr<const SigningIdentity>> LoadSigningIdentity(
    const CertificateConfig& config, std::chrono::system_clock::time_point now);

// Helpers shared with dev_certs.cpp and the tests.
namespace detail {

// The first value of `nid` in `name` as UTF-8; empty when absent.
std::string NameEntry(const X509_NAME* name, int nid);
// An ASN1_TIME as a time point; fails on a malformed time.
Result<std::chrono::system_clock::time_point> ToTimePoint(const ASN1_TIME* time);
// "2026-12-10".
std::string FormatDate(std::chrono::system_clock::time_point t);
// The certificate in `bytes`: PEM or DER.
Result<UniqueX509> ParseCertificate(std::string_view bytes, const std::string& source);
// True when `issuer` is the issuer of `subject` and its key verifies `subject`'s signature.
bool IssuedBy(X509* subject, X509* issuer);

}  // namespace detail

}  // namespace passledger::signer

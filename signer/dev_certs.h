// Throwaway development certificates (`passledger dev-certs`, and the server's "dev
// certificates generated on first start"): a root CA, an intermediate standing in for Apple
// WWDR, and a Pass Type ID certificate with its RSA-2048 key, as PEM files in one directory.
// Passes signed with them verify with OpenSSL against the root but will NOT install on an
// iPhone, which trusts only Apple's WWDR. The CA keys are discarded after signing.
//
// Files are written atomically (temporary file, fsync, rename); the key file has mode 0600.
// Functions are thread-safe, but two processes writing the same directory race (last wins).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"
#include "signer/openssl_handles.h"

namespace passledger::signer {

// The PEM files in the directory.
struct DevCertificates {
  std::filesystem::path root_ca;      // root-ca.pem: the trust anchor for `openssl cms -verify`
  std::filesystem::path wwdr;         // wwdr.pem: CertificateConfig::wwdr_certificate
  std::filesystem::path certificate;  // pass.pem: CertificateConfig::certificate
  std::filesystem::path key;          // pass-key.pem (unencrypted, 0600): CertificateConfig::key
};

// Makes new certificates in `dir` (created, mode 0700, if missing), replacing any there.
// kInvalidArgument for an empty id or one with control characters or '/'.
Result<DevCertificates> MakeDevCertificates(const std::filesystem::path& dir,
                                            std::string_view pass_type_id,
                                            std::string_view team_id);

// Reuses the certificates in `dir` when all four files exist, load as a signing identity for
// these ids, chain to the root, and are valid for 30 more days; otherwise makes new ones.
Result<DevCertificates> EnsureDevCertificates(const std::filesystem::path& dir,
                                              std::string_view pass_type_id,
                                              std::string_view team_id);

// Building blocks, exposed for tests that need odd certificates (expired, other ids, ...).
namespace detail {

struct CertificateSpec {
  std::string common_name;
  std::string user_id;       // subject UID; empty: none
  std::string org_unit;      // subject OU; empty: none
  std::string organization;  // subject O; empty: none
  bool is_ca = false;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

Result<UniquePkey> MakeRsaKey(int bits);
Result<UniquePkey> MakeEcKey();  // P-256
// A certificate for `subject_key` signed with SHA-256 by `issuer_key`; self-signed when
// `issuer` is null (then `issuer_key` must be `subject_key`). Random 128-bit serial.
Result<UniqueX509> MakeCertificate(const CertificateSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                   EVP_PKEY* issuer_key);
Result<std::string> CertificatePem(X509* cert);
Result<std::string> PrivateKeyPem(EVP_PKEY* key);  // PKCS#8, unencrypted

}  // namespace detail

}  // namespace passledger::signer

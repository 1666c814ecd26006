// The pass signature: a detached CMS SignedData (RFC 5652) over manifest.json, as Apple
// Wallet requires (docs/CERTIFICATES.md, "The signature"): SHA-256 digest, RSA PKCS#1 v1.5
// or ECDSA per the key, signed attributes contentType, signingTime and messageDigest, and the
// pass certificate plus the WWDR intermediate in `certificates`. The encoding is DER.
//
// CmsSigner encodes every constant part once, in Create(); a Sign() then costs two SHA-256
// runs, the private-key operation and a few small allocations. CmsSigner is a cheap
// handle (copies share state) and is thread-safe: each concurrent Sign() borrows its own
// key context (with its own copy of the key) from a pool, so threads never share an OpenSSL
// key object's blinding state and lock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "signer/certificates.h"

namespace passledger::signer {

class CmsSigner {
 public:
  // kInvalidArgument for a null identity or a key that is neither RSA nor EC.
  static Result<CmsSigner> Create(std::shared_ptr<const SigningIdentity> identity);

  // DER ContentInfo of a detached SignedData over exactly `manifest`, with signingTime =
  // `signing_time` (seconds; UTCTime for 1950-2049, GeneralizedTime otherwise).
  // kInvalidArgument for a signing time outside years 0-9999; kInternal if OpenSSL fails.
  Result<std::string> Sign(std::string_view manifest,
                           std::chrono::system_clock::time_point signing_time) const;

  const std::shared_ptr<const SigningIdentity>& identity() const;

  struct State;  // opaque: the pre-encoded parts and the key contexts (cms_signature.cpp)

 private:
  explicit CmsSigner(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;
};

namespace detail {

// The same signature made with OpenSSL's CMS_sign(): the reference that CmsSigner::Sign is
// tested against. Slower (it re-encodes the certificates on every call).
Result<std::string> SignWithCmsSign(const SigningIdentity& identity, std::string_view manifest,
                                    std::chrono::system_clock::time_point signing_time);

}  // namespace detail

}  // namespace passledger::signer

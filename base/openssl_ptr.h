// RAII owners for OpenSSL handles: unique_ptr with the matching free function, so every
// handle is owned on the line it is acquired, and OpenSslErrorText() for errors. Header-only;
// add aliases as modules need them.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace passledger {

template <class T, void (*Free)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { Free(p); }
};

template <class T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, Free>>;

namespace openssl_detail {
inline void FreeBio(BIO* b) { BIO_free(b); }  // BIO_free returns int
}  // namespace openssl_detail

using UniqueBio = OpenSslPtr<BIO, openssl_detail::FreeBio>;
using UniqueCipherCtx = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using UniqueMdCtx = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using UniquePkey = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;

// "<call>: <reason of the oldest queued OpenSSL error>", and clears this thread's error queue
// so that a later failure does not report a stale reason.
inline std::string OpenSslErrorText(std::string_view call) {
  const unsigned long code = ERR_get_error();
  std::string text(call);
  if (code == 0) {
    text += ": failed (no OpenSSL error queued)";
  } else {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text += ": ";
    text += buf;
  }
  ERR_clear_error();
  return text;
}

}  // namespace passledger

// RAII owners for OpenSSL handles: unique_ptr with the matching free function, so every
// handle is owned on the line it is acquired. Header-only; add aliases as modules need them.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

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

}  // namespace passledger

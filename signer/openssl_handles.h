// RAII owners for the OpenSSL handles the signer uses (certificates, keys, CMS, PKCS#12),
// built on base/openssl_ptr.h (which also has OpenSslErrorText() for naming a failed call in
// an error). Header-only; the aliases are plain unique_ptrs (movable, not copyable).
#pragma once

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "base/openssl_ptr.h"

namespace passledger::signer {

using UniqueX509 = OpenSslPtr<X509, X509_free>;
using UniquePkeyCtx = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using UniqueCms = OpenSslPtr<CMS_ContentInfo, CMS_ContentInfo_free>;
using UniquePkcs12 = OpenSslPtr<PKCS12, PKCS12_free>;
using UniqueX509Name = OpenSslPtr<X509_NAME, X509_NAME_free>;
using UniqueX509Extension = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using UniqueBignum = OpenSslPtr<BIGNUM, BN_free>;

namespace openssl_detail {
inline void FreeX509Stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
}  // namespace openssl_detail

// A stack of certificates that owns its elements.
using UniqueX509Stack = OpenSslPtr<STACK_OF(X509), openssl_detail::FreeX509Stack>;

// OpenSslErrorText() is base/openssl_ptr.h's.

}  // namespace passledger::signer

#include "signer/cms_signature.h"

#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/crypto.h"
#include "base/time.h"

namespace passledger::signer {
namespace {

using Clock = std::chrono::system_clock;

// --- DER (X.690) ----------------------------------------------------------------------------

constexpr char kTagInteger = 0x02;
constexpr char kTagOctetString = 0x04;
constexpr char kTagUtcTime = 0x17;
constexpr char kTagGeneralizedTime = 0x18;
constexpr char kTagSequence = 0x30;
constexpr char kTagSet = 0x31;
constexpr char kTagContext0 = static_cast<char>(0xa0);  // [0], constructed

// Full encodings (tag, length, value) of the object identifiers we use.
constexpr std::string_view kOidSignedData("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 11);
constexpr std::string_view kOidData("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01", 11);
constexpr std::string_view kOidSha256("\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01", 11);
constexpr std::string_view kOidRsaEncryption("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 11);
constexpr std::string_view kOidEcdsaSha256("\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10);
constexpr std::string_view kOidContentType("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03", 11);
constexpr std::string_view kOidMessageDigest("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04", 11);
constexpr std::string_view kOidSigningTime("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05", 11);
constexpr std::string_view kNull("\x05\x00", 2);
constexpr std::string_view kVersion1("\x02\x01\x01", 3);

constexpr std::size_t kMaxSignatureSize = 1024;  // RSA-8192

// Bytes of a DER tag + length for `length` content bytes.
constexpr std::size_t HeaderSize(std::size_t length) {
  std::size_t size = 2;
  if (length >= 0x80) {
    for (std::size_t n = length; n > 0; n >>= 8) ++size;
  }
  return size;
}

constexpr std::size_t TlvSize(std::size_t length) { return HeaderSize(length) + length; }

void AppendHeader(std::string& out, char tag, std::size_t length) {
  out += tag;
  if (length < 0x80) {
    out += static_cast<char>(length);
    return;
  }
  const std::size_t length_bytes = HeaderSize(length) - 2;
  out += static_cast<char>(0x80 | length_bytes);
  for (std::size_t i = length_bytes; i > 0; --i) {
    out += static_cast<char>((length >> (8 * (i - 1))) & 0xff);
  }
}

std::string Tlv(char tag, std::string_view content) {
  std::string out;
  out.reserve(TlvSize(content.size()));
  AppendHeader(out, tag, content.size());
  out += content;
  return out;
}

std::string_view AsView(const passledger::Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

// The DER encoding of an OpenSSL object through its i2d function.
template <class T>
Result<std::string> ToDer(int (*i2d)(const T*, unsigned char**), const T* object,
                          std::string_view what) {
  const int size = i2d(object, nullptr);
  if (size <= 0) return MakeError(ErrorCode::kInternal, OpenSslErrorText(what));
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d(object, &p) != size) return MakeError(ErrorCode::kInternal, OpenSslErrorText(what));
  return der;
}

// signingTime's value: UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5652 §11.3).
Result<std::string> EncodeSigningTime(Clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  const auto time = FormatAsn1Time(seconds);
  if (!time) {
    return MakeError(ErrorCode::kInvalidArgument, "signing time is outside the years 0-9999");
  }
  return Tlv(time->type == Asn1TimeType::kUtcTime ? kTagUtcTime : kTagGeneralizedTime, time->text);
}

// DER orders the elements of a SET OF by their encodings (X.690 §11.6).
bool DerLess(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  return c != 0 ? c < 0 : a.size() < b.size();
}

// --- the constant parts -----------------------------------------------------------------------

// [0] IMPLICIT CertificateSet: the pass certificate and the WWDR certificate.
Result<std::string> CertificatesField(const SigningIdentity& identity) {
  std::vector<std::string> certs;
  for (X509* cert : {identity.certificate(), identity.wwdr()}) {
    auto der = ToDer<X509>(i2d_X509, cert, "i2d_X509");
    if (!der) return der.error();
    certs.push_back(std::move(*der));
  }
  std::sort(certs.begin(), certs.end(), DerLess);
  certs.erase(std::unique(certs.begin(), certs.end()), certs.end());
  std::string content;
  for (const auto& cert : certs) content += cert;
  return Tlv(kTagContext0, content);
}

// SignerInfo's sid: IssuerAndSerialNumber of the pass certificate.
Result<std::string> IssuerAndSerial(X509* cert) {
  auto issuer = ToDer<X509_NAME>(i2d_X509_NAME, X509_get_issuer_name(cert), "i2d_X509_NAME");
  if (!issuer) return issuer.error();
  auto serial =
      ToDer<ASN1_INTEGER>(i2d_ASN1_INTEGER, X509_get0_serialNumber(cert), "i2d_ASN1_INTEGER");
  if (!serial) return serial.error();
  return Tlv(kTagSequence, *issuer + *serial);
}

Result<std::string> SignatureAlgorithm(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:  // what CMS_sign writes for PKCS#1 v1.5: rsaEncryption, NULL
      return Tlv(kTagSequence, std::string(kOidRsaEncryption) + std::string(kNull));
    case EVP_PKEY_EC:
      return Tlv(kTagSequence, kOidEcdsaSha256);
    default:
      return MakeError(
          ErrorCode::kInvalidArgument,
          "CMS signing needs an RSA or EC key, not " +
              std::string(EVP_PKEY_get0_type_name(key) != nullptr ? EVP_PKEY_get0_type_name(key)
                                                                  : "an unknown type"));
  }
}

const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

// Constant after construction, except the pool of key contexts (guarded by mutex).
struct CmsSigner::State {
  std::shared_ptr<const SigningIdentity> identity;
  std::string signed_data_head;  // SignedData: version, digestAlgorithms, encapContentInfo,
                                 // certificates
  std::string signer_head;       // SignerInfo: version, sid, digestAlgorithm
  std::string signature_algorithm;
  std::string content_type_attribute;  // Attribute contentType = id-data
  std::string message_digest_prefix;   // Attribute messageDigest up to the 32 hash bytes

  mutable std::mutex mutex;
  mutable std::vector<UniquePkeyCtx> idle_contexts;  // guarded by mutex

  Result<UniquePkeyCtx> NewContext() const;
  UniquePkeyCtx Borrow() const;
  void Return(UniquePkeyCtx ctx) const;
};

namespace {

// How many idle key contexts a signer keeps (about the number of signing threads).
constexpr std::size_t kMaxIdleContexts = 64;

}  // namespace

// Each context owns a copy of the key: OpenSSL keeps RSA blinding state per key, bound to the
// thread that made it and shared by the others under the key's lock. The copy removes that
// lock from the signing path (measured: under 1 % at 2 threads, docs/CERTIFICATES.md).
Result<UniquePkeyCtx> CmsSigner::State::NewContext() const {
  UniquePkey key(EVP_PKEY_dup(identity->key()));
  if (!key) return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_dup"));
  UniquePkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx) return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_CTX_new_from_pkey"));
  if (EVP_PKEY_sign_init(ctx.get()) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_sign_init"));
  }
  if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_CTX_set_rsa_padding"));
  }
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), Sha256Md()) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_CTX_set_signature_md"));
  }
  return ctx;
}

UniquePkeyCtx CmsSigner::State::Borrow() const {
  std::lock_guard lock(mutex);
  if (idle_contexts.empty()) return nullptr;
  UniquePkeyCtx ctx = std::move(idle_contexts.back());
  idle_contexts.pop_back();
  return ctx;
}

void CmsSigner::State::Return(UniquePkeyCtx ctx) const {
  std::lock_guard lock(mutex);
  if (idle_contexts.size() < kMaxIdleContexts) idle_contexts.push_back(std::move(ctx));
}

namespace {

Result<std::shared_ptr<CmsSigner::State>> MakeState(
    std::shared_ptr<const SigningIdentity> identity) {
  auto state = std::make_shared<CmsSigner::State>();
  const SigningIdentity& id = *identity;
  auto signature_algorithm = SignatureAlgorithm(id.key());
  if (!signature_algorithm) return signature_algorithm.error();
  auto certificates = CertificatesField(id);
  if (!certificates) return certificates.error();
  auto sid = IssuerAndSerial(id.certificate());
  if (!sid) return sid.error();
  const int signature_size = EVP_PKEY_get_size(id.key());
  if (signature_size <= 0 || static_cast<std::size_t>(signature_size) > kMaxSignatureSize) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "CMS signing key is too large (" + std::to_string(signature_size) + "-byte signatures)");
  }
  const std::string digest_algorithm = Tlv(kTagSequence, kOidSha256);  // parameters absent
  state->signed_data_head = std::string(kVersion1) + Tlv(kTagSet, digest_algorithm) +
                            Tlv(kTagSequence, kOidData) + *certificates;
  state->signer_head = std::string(kVersion1) + *sid + digest_algorithm;
  state->signature_algorithm = std::move(*signature_algorithm);
  state->content_type_attribute =
      Tlv(kTagSequence, std::string(kOidContentType) + Tlv(kTagSet, kOidData));
  std::string digest_value = Tlv(kTagOctetString, std::string(32, '\0'));
  state->message_digest_prefix =
      Tlv(kTagSequence, std::string(kOidMessageDigest) + Tlv(kTagSet, digest_value));
  state->message_digest_prefix.resize(state->message_digest_prefix.size() - 32);
  state->identity = std::move(identity);
  return state;
}

// The signed attributes' content, in DER order (the SET OF is sorted by encoding; the
// encodings here differ in their length byte: contentType 0x18, signingTime 0x1c or 0x1e,
// messageDigest 0x2f).
std::string SignedAttributes(const CmsSigner::State& state, std::string_view signing_time,
                             const passledger::Hash& digest) {
  std::string attributes;
  attributes.reserve(128);
  attributes += state.content_type_attribute;
  AppendHeader(attributes, kTagSequence, kOidSigningTime.size() + TlvSize(signing_time.size()));
  attributes += kOidSigningTime;
  AppendHeader(attributes, kTagSet, signing_time.size());
  attributes += signing_time;
  attributes += state.message_digest_prefix;
  attributes += AsView(digest);
  return attributes;
}

// ContentInfo { signedData, [0] SignedData { head, SignerInfos { SignerInfo } } }.
std::string Assemble(const CmsSigner::State& state, std::string_view attributes,
                     std::string_view signature) {
  const std::size_t signer_content = state.signer_head.size() + TlvSize(attributes.size()) +
                                     state.signature_algorithm.size() + TlvSize(signature.size());
  const std::size_t signer_infos = TlvSize(TlvSize(signer_content));
  const std::size_t signed_data = state.signed_data_head.size() + signer_infos;
  const std::size_t content_info = kOidSignedData.size() + TlvSize(TlvSize(signed_data));
  std::string out;
  out.reserve(TlvSize(content_info));
  AppendHeader(out, kTagSequence, content_info);
  out += kOidSignedData;
  AppendHeader(out, kTagContext0, TlvSize(signed_data));
  AppendHeader(out, kTagSequence, signed_data);
  out += state.signed_data_head;
  AppendHeader(out, kTagSet, TlvSize(signer_content));
  AppendHeader(out, kTagSequence, signer_content);
  out += state.signer_head;
  AppendHeader(out, kTagContext0, attributes.size());  // [0] IMPLICIT SET OF Attribute
  out += attributes;
  out += state.signature_algorithm;
  AppendHeader(out, kTagOctetString, signature.size());
  out += signature;
  return out;
}

}  // namespace

Result<CmsSigner> CmsSigner::Create(std::shared_ptr<const SigningIdentity> identity) {
  if (!identity) return MakeError(ErrorCode::kInvalidArgument, "no signing identity");
  if (Sha256Md() == nullptr) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_MD_fetch(SHA256)"));
  }
  auto state = MakeState(std::move(identity));
  if (!state) return state.error();
  // One context up front: a key OpenSSL cannot sign with fails here, not on first use.
  auto ctx = (*state)->NewContext();
  if (!ctx) return ctx.error();
  (*state)->Return(std::move(*ctx));
  return CmsSigner(std::move(*state));
}

const std::shared_ptr<const SigningIdentity>& CmsSigner::identity() const {
  return state_->identity;
}

Result<std::string> CmsSigner::Sign(std::string_view manifest,
                                    Clock::time_point signing_time) const {
  auto time = EncodeSigningTime(signing_time);
  if (!time) return time.error();
  const std::string attributes = SignedAttributes(*state_, *time, passledger::Sha256(manifest));
  // What is signed is the attributes' DER as a SET (tag 0x31), not as the [0] in the output.
  std::string header;
  AppendHeader(header, kTagSet, attributes.size());
  const passledger::Hash to_sign = passledger::Sha256(header, attributes);

  UniquePkeyCtx ctx = state_->Borrow();
  if (!ctx) {
    auto fresh = state_->NewContext();
    if (!fresh) return fresh.error();
    ctx = std::move(*fresh);
  }
  std::array<unsigned char, kMaxSignatureSize> signature;
  std::size_t signature_size = signature.size();
  if (EVP_PKEY_sign(ctx.get(), signature.data(), &signature_size, to_sign.data(), to_sign.size()) !=
      1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_PKEY_sign"));  // ctx dropped
  }
  state_->Return(std::move(ctx));
  return Assemble(*state_, attributes,
                  {reinterpret_cast<const char*>(signature.data()), signature_size});
}

namespace detail {

namespace {

Result<UniqueX509Stack> ExtraCertificates(const SigningIdentity& identity) {
  UniqueX509Stack certs(sk_X509_new_null());
  if (!certs) return MakeError(ErrorCode::kInternal, OpenSslErrorText("sk_X509_new_null"));
  if (X509_up_ref(identity.wwdr()) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("X509_up_ref"));
  }
  if (sk_X509_push(certs.get(), identity.wwdr()) <= 0) {
    X509_free(identity.wwdr());
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("sk_X509_push"));
  }
  return certs;
}

}  // namespace

Result<std::string> SignWithCmsSign(const SigningIdentity& identity, std::string_view manifest,
                                    Clock::time_point signing_time) {
  constexpr unsigned kFlags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
  auto certs = ExtraCertificates(identity);
  if (!certs) return certs.error();
  UniqueCms cms(CMS_sign(nullptr, nullptr, certs->get(), nullptr, kFlags));
  if (!cms) return MakeError(ErrorCode::kInternal, OpenSslErrorText("CMS_sign"));
  CMS_SignerInfo* signer =  // owned by cms
      CMS_add1_signer(cms.get(), identity.certificate(), identity.key(), EVP_sha256(), kFlags);
  if (signer == nullptr)
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("CMS_add1_signer"));
  using UniqueAsn1Time = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
  UniqueAsn1Time time(ASN1_TIME_set(nullptr, Clock::to_time_t(signing_time)));
  if (!time) return MakeError(ErrorCode::kInternal, OpenSslErrorText("ASN1_TIME_set"));
  if (CMS_signed_add1_attr_by_NID(signer, NID_pkcs9_signingTime, ASN1_STRING_type(time.get()),
                                  time.get(), -1) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("CMS_signed_add1_attr_by_NID"));
  }
  UniqueBio content(BIO_new_mem_buf(manifest.data(), static_cast<int>(manifest.size())));
  if (!content) return MakeError(ErrorCode::kInternal, OpenSslErrorText("BIO_new_mem_buf"));
  if (CMS_final(cms.get(), content.get(), nullptr, kFlags) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("CMS_final"));
  }
  return ToDer<CMS_ContentInfo>(i2d_CMS_ContentInfo, cms.get(), "i2d_CMS_ContentInfo");
}

}  // namespace detail

}  // namespace passledger::signer

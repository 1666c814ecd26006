#include "apns/provider_token.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "base/crypto.h"
#include "base/files.h"

namespace passledger::apns {
namespace {

using UniqueEcdsaSig = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;

constexpr std::size_t kMaxKeyFileBytes = 64 << 10;
constexpr std::size_t kCoordinateBytes = 32;  // P-256

std::int64_t SystemSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> CheckId(std::string_view what, std::string_view id) {
  const bool alnum = !id.empty() && id.size() <= 32 && [&] {
    for (const char c : id) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!ok) return false;
    }
    return true;
  }();
  if (alnum) return {};
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string(what) + " must be 1 to 32 letters and digits (Apple's are 10)");
}

Result<UniquePkey> ReadP256Key(std::string_view pem) {
  UniqueBio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return MakeError(ErrorCode::kInternal, OpenSslErrorText("BIO_new_mem_buf"));
  UniquePkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return MakeError(ErrorCode::kInvalidArgument, "the APNs key is not a PEM private key (" +
                                                      OpenSslErrorText("PEM_read_bio_PrivateKey") +
                                                      ")");
  }
  char group[64] = {};
  std::size_t length = 0;
  const bool is_ec = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
  if (!is_ec ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &length) != 1 ||
      std::string_view(group, length) != "prime256v1") {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalidArgument,
                     "the APNs key must be an EC P-256 key (Apple's .p8 token-signing key)");
  }
  return key;
}

// ECDSA's DER signature as JWS wants it: r and s, each 32 bytes big-endian (RFC 7518 §3.4).
Result<std::string> RawSignature(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  UniqueEcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return MakeError(ErrorCode::kInternal, OpenSslErrorText("d2i_ECDSA_SIG"));
  std::string raw(2 * kCoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kCoordinateBytes) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kCoordinateBytes, kCoordinateBytes) < 0) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("BN_bn2binpad"));
  }
  return raw;
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::unique_ptr<ProviderToken>> ProviderToken::FromPem(std::string_view pem,
                                                              ProviderTokenOptions options) {
  if (auto ok = CheckId("apns.key_id", options.key_id); !ok) return ok.error();
  if (auto ok = CheckId("apns.team_id", options.team_id); !ok) return ok.error();
  if (options.refresh_after <= std::chrono::seconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "the token refresh interval must be positive");
  }
  auto key = ReadP256Key(pem);
  if (!key) return key.error();
  if (!options.clock) options.clock = SystemSeconds;
  return std::unique_ptr<ProviderToken>(new ProviderToken(std::move(*key), std::move(options)));
}

Result<std::unique_ptr<ProviderToken>> ProviderToken::FromFile(const std::filesystem::path& path,
                                                               ProviderTokenOptions options) {
  auto pem = ReadSmallFile(path, kMaxKeyFileBytes);
  if (!pem) return pem.error();
  auto token = FromPem(*pem, std::move(options));
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!token) {
    return MakeError(token.error().code, path.string() + ": " + token.error().message);
  }
  return token;
}

ProviderToken::ProviderToken(UniquePkey key, ProviderTokenOptions options)
    : key_(std::move(key)), options_(std::move(options)) {}

Result<std::string> ProviderToken::Current() {
  MutexLock lock(mutex_);
  const std::int64_t now = options_.clock();
  const bool stale = token_.empty() || expired_ || now < issued_at_ ||
                     now - issued_at_ >= options_.refresh_after.count();
  if (!stale) return token_;
  auto token = Sign(now);
  if (!token) return token.error();
  token_ = std::move(*token);
  issued_at_ = now;
  expired_ = false;
  ++signed_count_;
  return token_;
}

void ProviderToken::Expired(std::string_view token) {
  MutexLock lock(mutex_);
  if (!token_.empty() && token == token_) expired_ = true;
}

std::uint64_t ProviderToken::signed_count() const {
  MutexLock lock(mutex_);
  return signed_count_;
}

Result<std::string> ProviderToken::Sign(std::int64_t issued_at) const {
  const boost::json::object header = {{"alg", "ES256"}, {"kid", options_.key_id}};
  const boost::json::object claims = {{"iss", options_.team_id}, {"iat", issued_at}};
  std::string input =
      Base64Url(boost::json::serialize(header)) + "." + Base64Url(boost::json::serialize(claims));
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) !=
          1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_DigestSign"));
  }
  std::string der(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &size,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return MakeError(ErrorCode::kInternal, OpenSslErrorText("EVP_DigestSign"));
  }
  der.resize(size);
  auto raw = RawSignature(der);
  if (!raw) return raw.error();
  return input + "." + Base64Url(*raw);
}

}  // namespace passledger::apns

#include "events/digest.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "base/openssl_ptr.h"
#include "base/time.h"
#include "events/storage_format.h"

namespace passledger::events {
namespace {

using Pkey = UniquePkey;
using MdCtx = UniqueMdCtx;
using Bio = UniqueBio;

Error CryptoError(std::string_view call) {
  return MakeError(ErrorCode::kInternal, std::string(call) + " failed");
}

Result<Pkey> LoadSigningKey(const DataDir& dir) {
  auto pem = ReadSmallFile(dir.file(format::kSigningKeyFile), 4096);
  if (!pem) return pem.error();
  Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) return CryptoError("BIO_new_mem_buf");
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return MakeError(ErrorCode::kCorruption,
                     dir.file(format::kSigningKeyFile).string() + " is not a PEM private key");
  }
  return key;
}

Result<std::string> RawPublicKey(EVP_PKEY* key) {
  std::size_t len = 32;
  std::string out(len, '\0');
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    return CryptoError("EVP_PKEY_get_raw_public_key");
  }
  out.resize(len);
  return out;
}

std::string DigestMessage(std::uint64_t position, std::string_view hash_hex,
                          std::string_view signed_at) {
  return "passledger digest v1\n" + std::to_string(position) + "\n" + std::string(hash_hex) + "\n" +
         std::string(signed_at) + "\n";
}

// "2026-11-28T22:57:07Z": whole seconds, as the digest message has always had them.
std::string NowIso8601() {
  const auto now = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
  return FormatTimestamp(now.time_since_epoch().count(), Precision::kSeconds);
}

std::string_view Str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

}  // namespace

Result<void> EnsureSigningKey(const DataDir& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir.file(format::kSigningKeyFile), ec)) return {};
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return CryptoError("EVP_PKEY_Q_keygen(ED25519)");
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return CryptoError("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return WriteSecretFile(dir.file(format::kSigningKeyFile),
                         std::string_view(data, static_cast<std::size_t>(len)));
}

namespace {

Result<boost::json::object> Sign(EVP_PKEY* key, const Head& head) {
  const std::string hash_hex = ToHex(head.hash);
  const std::string signed_at = NowIso8601();
  const std::string message = DigestMessage(head.position, hash_hex, signed_at);
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t sig_len = 64;
  std::string sig(sig_len, '\0');
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return CryptoError("EVP_DigestSign(Ed25519)");
  }
  sig.resize(sig_len);
  auto pub = RawPublicKey(key);
  if (!pub) return pub.error();
  return boost::json::object{{"position", head.position},
                             {"head_hash", hash_hex},
                             {"signed_at", signed_at},
                             {"public_key", ToHex(*pub)},
                             {"signature", ToHex(sig)}};
}

struct SignedPoint {
  std::uint64_t position = 0;
  std::string hash_hex;
  std::string signed_at;
};

// Checks that `digest` is signed by `key` (null: by the public key it names) and returns what
// it states.
Result<SignedPoint> CheckSignature(EVP_PKEY* key, const boost::json::object& digest) {
  const auto* position_value = digest.if_contains("position");
  if (!position_value || !position_value->is_number()) {
    return MakeError(ErrorCode::kInvalidArgument, "digest has no numeric \"position\"");
  }
  boost::system::error_code ec;
  const auto position = position_value->to_number<std::uint64_t>(ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "digest position is not a u64");
  const std::string_view hash_hex = Str(digest, "head_hash");
  const std::string message = DigestMessage(position, hash_hex, Str(digest, "signed_at"));
  std::array<std::uint8_t, 64> sig{};
  std::array<std::uint8_t, 32> claimed_pub{};
  if (!FromHex(Str(digest, "signature"), sig) || !FromHex(Str(digest, "public_key"), claimed_pub)) {
    return MakeError(ErrorCode::kInvalidArgument, "digest signature or public key is not hex");
  }
  Pkey embedded;
  if (key == nullptr) {  // offline: the key the digest names
    embedded.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, claimed_pub.data(),
                                               claimed_pub.size()));
    if (!embedded) return MakeError(ErrorCode::kInvalidArgument, "digest public key is invalid");
    key = embedded.get();
  }
  auto pub = RawPublicKey(key);
  if (!pub) return pub.error();
  if (ToHex(*pub) != ToHex(claimed_pub)) {
    return MakeError(ErrorCode::kCorruption, "digest was signed by another key than this server's");
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
    return MakeError(ErrorCode::kCorruption, "digest signature does not verify");
  }
  return SignedPoint{position, std::string(hash_hex), std::string(Str(digest, "signed_at"))};
}

// The last digest MakeDigest signed in this data directory, if its file holds one we signed.
std::optional<SignedPoint> LastVerified(const DataDir& dir, EVP_PKEY* key) {
  auto text = ReadSmallFile(dir.file(format::kVerifiedDigestFile), 4096);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  auto point = CheckSignature(key, value.as_object());
  if (!point) return std::nullopt;
  return *point;
}

Error NotSigned(std::string message) {
  return MakeError(ErrorCode::kCorruption, std::move(message) + "; nothing signed");
}

// The stored hash of the event at `position` (the genesis hash for 0), hex.
Result<std::string> HashAt(const EventLog& log, std::uint64_t position) {
  if (position == 0) return ToHex(GenesisHash());
  auto events = log.ReadRange(position, 1);
  if (!events) return events.error();
  if (events->empty() || events->front().envelope.position != position) {
    return MakeError(ErrorCode::kCorruption,
                     "position " + std::to_string(position) + " is missing");
  }
  return ToHex(events->front().envelope.hash);
}

}  // namespace

Result<boost::json::object> MakeDigest(const EventLog& log, DigestStats* stats) {
  auto dir = DataDir::Open(log.data_dir(), DataDir::Mode::kReadOnly);
  if (!dir) return dir.error();
  auto key = LoadSigningKey(*dir);
  if (!key) return key.error();
  const Head head = log.GetHead();
  // Verify from the last verified digest when it still holds: the event at its position is
  // checked again (its record against its hash) and must still have the digest's hash.
  std::uint64_t from = 1;
  if (auto last = LastVerified(*dir, key->get()); last && last->position > 0) {
    if (last->position > head.position) {
      return NotSigned("the log ends at position " + std::to_string(head.position) +
                       ", before the last digest signed (position " +
                       std::to_string(last->position) + ")");
    }
    auto hash = HashAt(log, last->position);
    if (!hash) return NotSigned(hash.error().message);
    if (*hash != last->hash_hex) {
      return NotSigned("the event at position " + std::to_string(last->position) +
                       " no longer has the hash of the last digest signed: history was rewritten");
    }
    from = last->position;
  }
  // Up to the head recovered at open (0 = to the end: an empty head, or one that could not
  // be recovered, is then compared with where the chain really ends).
  auto report = log.Verify(from, head.position);
  if (!report) return report.error();
  if (!report->ok()) {
    return NotSigned("the log does not verify at position " + std::to_string(*report->first_bad) +
                     ": " + report->problem);
  }
  if (report->head.position != head.position || report->head.hash != head.hash) {
    return NotSigned("the head recovered when the log was opened (position " +
                     std::to_string(head.position) + ") is not the end of the verified chain " +
                     "(position " + std::to_string(report->head.position) + ")");
  }
  if (stats) *stats = DigestStats{from, report->checked};
  auto digest = Sign(key->get(), head);
  if (!digest) return digest.error();
  // Best effort (see digest.h). Not WriteSecretFile: that refuses to replace a file.
  (void)WriteFileAtomically(dir->file(format::kVerifiedDigestFile), boost::json::serialize(*digest),
                            0600);
  return digest;
}

Result<std::optional<VerifiedDigest>> LastVerifiedDigest(const EventLog& log) {
  auto dir = DataDir::Open(log.data_dir(), DataDir::Mode::kReadOnly);
  if (!dir) return dir.error();
  auto key = LoadSigningKey(*dir);
  if (!key) return key.error();
  auto last = LastVerified(*dir, key->get());
  if (!last) return std::optional<VerifiedDigest>();
  return std::optional<VerifiedDigest>(
      VerifiedDigest{last->position, std::move(last->hash_hex), std::move(last->signed_at)});
}

Result<SignedDigest> ReadSignedDigest(const boost::json::object& digest) {
  auto point = CheckSignature(nullptr, digest);
  if (!point) return point.error();
  SignedDigest out;
  out.position = point->position;
  if (!FromHex(point->hash_hex, out.head_hash)) {
    return MakeError(ErrorCode::kInvalidArgument, "digest head_hash is not 64 hex digits");
  }
  out.public_key_hex = std::string(Str(digest, "public_key"));
  return out;
}

Result<DigestCheck> CheckDigest(const EventLog& log, const boost::json::object& digest) {
  auto dir = DataDir::Open(log.data_dir(), DataDir::Mode::kReadOnly);
  if (!dir) return dir.error();
  auto key = LoadSigningKey(*dir);
  if (!key) return key.error();
  auto point = CheckSignature(key->get(), digest);
  if (!point) return point.error();
  const std::uint64_t position = point->position;
  const std::string& hash_hex = point->hash_hex;
  auto report = log.Verify();
  if (!report) return report.error();
  if (!report->ok()) {
    return MakeError(ErrorCode::kCorruption, "the log does not verify at position " +
                                                 std::to_string(*report->first_bad) + ": " +
                                                 report->problem);
  }
  if (report->head.position < position) {
    return MakeError(ErrorCode::kCorruption,
                     "the log ends at " + std::to_string(report->head.position) +
                         ", before the digest's position " + std::to_string(position));
  }
  if (position > 0) {
    auto events = log.ReadRange(position, 1);
    if (!events) return events.error();
    if (events->empty() || ToHex(events->front().envelope.hash) != hash_hex) {
      return MakeError(ErrorCode::kCorruption, "the event at position " + std::to_string(position) +
                                                   " no longer has the digest's hash: history "
                                                   "was rewritten");
    }
  } else if (hash_hex != ToHex(GenesisHash())) {
    return MakeError(ErrorCode::kCorruption, "digest of an empty log has a wrong hash");
  }
  return DigestCheck{position, report->head.position};
}

}  // namespace passledger::events

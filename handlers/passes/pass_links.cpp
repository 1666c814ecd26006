#include "handlers/passes/pass_links.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/bytes.h"
#include "base/crypto.h"
#include "base/mac.h"

namespace passledger::handlers {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 1 + 4 + 8 + 1;  // version, day, generation, serial length
constexpr std::int64_t kSecondsPerDay = 86'400;
[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "passledger: fatal: %s\n", what);
  std::abort();
}

// Read when the MAC is wrong: never a serial (no serial contains '~').
constexpr std::string_view kStandInSerial = "~link-stand-in~~~~~~";

// An id taken apart; `signed_bytes` is everything before the MAC.
struct LinkFields {
  std::uint32_t made_day = 0;
  std::uint64_t generation = 0;
  std::string serial;
  std::string signed_bytes;
  std::string mac;
};

std::string SignedBytes(std::uint32_t day, std::uint64_t generation, std::string_view serial) {
  std::string out;
  out.reserve(kHeaderBytes + serial.size() + kPassLinkMacBytes);
  out += static_cast<char>(kVersion);
  PutU32BE(&out, day);
  PutU64BE(&out, generation);
  out += static_cast<char>(serial.size());
  out += serial;
  return out;
}

std::optional<LinkFields> Parse(std::string_view id) {
  if (id.size() > kMaxIdChars) return std::nullopt;
  auto bytes = Base64UrlDecode(id);
  if (!bytes || bytes->size() < kHeaderBytes + 1 + kPassLinkMacBytes) return std::nullopt;
  ByteReader in(*bytes);
  const auto version = in.U8();
  const auto day = in.U32BE();
  const auto generation = in.U64BE();
  const auto serial_size = in.U8();
  if (version != kVersion || !day || !generation || !serial_size || *serial_size == 0 ||
      bytes->size() != kHeaderBytes + *serial_size + kPassLinkMacBytes) {
    return std::nullopt;
  }
  const std::string_view all(*bytes);
  LinkFields fields;
  fields.made_day = *day;
  fields.generation = *generation;
  fields.serial = std::string(all.substr(kHeaderBytes, *serial_size));
  fields.signed_bytes = std::string(all.substr(0, kHeaderBytes + *serial_size));
  fields.mac = std::string(all.substr(kHeaderBytes + *serial_size));
  return fields;
}

// What an id that does not parse is checked as: a record of the usual shape (so the HMAC costs
// what a real id's does) whose MAC never counts.
const LinkFields& StandIn() {
  static const LinkFields fields = [] {
    LinkFields f;
    f.serial = std::string(kStandInSerial);
    f.signed_bytes = SignedBytes(0, 1, f.serial);
    f.mac = std::string(kPassLinkMacBytes, '\0');
    return f;
  }();
  return fields;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && a < 0); }

}  // namespace

Error LinkNotFound() { return MakeError(ErrorCode::kNotFound, "not found"); }

std::int64_t PassLinks::SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PassLinks::PassLinks(std::string secret, std::chrono::days max_age, NowFn now_unix_s)
    : secret_(std::move(secret)), max_age_(max_age), now_(std::move(now_unix_s)) {
  if (secret_.size() < kMinPassLinkSecretSize) Abort("PassLinks: the link secret is too short");
  if (max_age_.count() < 0) Abort("PassLinks: a negative maximum age");
}

PassLinks::~PassLinks() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::int64_t PassLinks::Today() const { return FloorDiv(now_(), kSecondsPerDay); }

std::string PassLinks::Mac(std::string_view signed_bytes) const {
  const Hash mac = HmacSha256(secret_, signed_bytes);
  return std::string(reinterpret_cast<const char*>(mac.data()), kPassLinkMacBytes);
}

std::string PassLinks::IdFor(const projections::PassView& pass) const {
  if (pass.serial.empty() || pass.serial.size() > kMaxLinkSerialBytes) {
    Abort("PassLinks::IdFor: a serial outside 1-128 bytes");
  }
  const auto day = static_cast<std::uint32_t>(std::max<std::int64_t>(Today(), 0));
  std::string bytes = SignedBytes(day, pass.token_generation, pass.serial);
  bytes += Mac(bytes);
  return Base64UrlEncode(bytes);
}

std::string PassLinks::UrlFor(std::string_view public_base_url,
                              const projections::PassView& pass) const {
  while (public_base_url.ends_with('/')) public_base_url.remove_suffix(1);
  return std::string(public_base_url) + "/p/" + IdFor(pass);
}

Result<projections::PassView> PassLinks::Resolve(std::string_view id,
                                                 const projections::ReadModel& read) const {
  const std::optional<LinkFields> parsed = Parse(id);
  const LinkFields& fields = parsed ? *parsed : StandIn();
  const bool mac_ok = ConstantTimeEquals(fields.mac, Mac(fields.signed_bytes));
  const bool authentic = parsed.has_value() && mac_ok;
  auto pass = read.Pass(authentic ? std::string_view(fields.serial) : kStandInSerial);
  if (!pass) return pass.error();
  if (!authentic || !pass->has_value()) return LinkNotFound();
  const projections::PassView& record = **pass;
  const bool young = max_age_.count() == 0 ||
                     Today() - static_cast<std::int64_t>(fields.made_day) <= max_age_.count();
  if (record.voided || record.forgotten || record.token_generation != fields.generation || !young) {
    return LinkNotFound();
  }
  return std::move(**pass);
}

}  // namespace passledger::handlers

#include "handlers/staff/passwords.h"

#include <argon2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/crypto.h"
#include "handlers/staff/common_passwords.h"

namespace passledger::handlers {
namespace {

// Longer than any string within the bounds (64-byte salt and tag: about 200 characters).
constexpr std::size_t kMaxEncodedBytes = 256;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Consumes `literal` from the front of `in`.
bool Take(std::string_view& in, std::string_view literal) {
  if (!in.starts_with(literal)) return false;
  in.remove_prefix(literal.size());
  return true;
}

// A decimal number without leading zeros that fits 32 bits, from the front of `in`.
std::optional<std::uint32_t> TakeNumber(std::string_view& in) {
  std::size_t digits = 0;
  while (digits < in.size() && digits <= 10 && in[digits] >= '0' && in[digits] <= '9') ++digits;
  if (digits == 0 || digits > 10 || (digits > 1 && in[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(in.data(), in.data() + digits, value);
  if (value > UINT32_MAX) return std::nullopt;
  in.remove_prefix(digits);
  return static_cast<std::uint32_t>(value);
}

// The bytes an unpadded standard base64 text stands for; nullopt for any other text.
std::optional<std::size_t> Base64Bytes(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  for (const char c : text) {
    const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!alphabet) return std::nullopt;
  }
  return text.size() * 3 / 4;
}

bool InBounds(const Argon2Params& p) {
  return p.memory_kib >= kMinArgon2MemoryKiB && p.memory_kib <= kMaxArgon2MemoryKiB &&
         p.passes >= 1 && p.passes <= kMaxArgon2Passes && p.lanes >= 1 &&
         p.lanes <= kMaxArgon2Lanes && p.salt_bytes >= kMinArgon2SaltBytes &&
         p.salt_bytes <= kMaxArgon2SaltBytes && p.tag_bytes >= kMinArgon2TagBytes &&
         p.tag_bytes <= kMaxArgon2TagBytes;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The shipped list, lower case and sorted, read once from the compiled-in text.
const std::vector<std::string>& CommonPasswords() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> out;
    std::string_view text = CommonPasswordsText();
    while (!text.empty()) {
      const std::size_t end = std::min(text.find('\n'), text.size());
      std::string_view line = text.substr(0, end);
      text.remove_prefix(std::min(end + 1, text.size()));
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (!line.empty() && !line.starts_with('#')) out.push_back(AsciiLower(line));
    }
    std::sort(out.begin(), out.end());
    return out;
  }();
  return list;
}

// The code point at text[i], advancing i past it; nullopt for an invalid sequence (a stray
// continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
std::optional<char32_t> NextCodePoint(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = 0;
  char32_t code_point = 0, smallest = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, smallest = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() - i < length) return std::nullopt;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    code_point = code_point << 6 | (next & 0x3F);
  }
  if (code_point < smallest || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return std::nullopt;
  }
  i += length;
  return code_point;
}

// C0, DEL and C1.
bool IsControl(char32_t code_point) {
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

// The number of code points, or the reason the text is not an acceptable password.
Result<std::size_t> CountCharacters(std::string_view password) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < password.size(); ++count) {
    const auto code_point = NextCodePoint(password, i);
    if (!code_point) return Invalid("the password is not valid UTF-8");
    if (IsControl(*code_point)) {
      return Invalid(
          "the password contains a control character (a tab, a line break or the like); use "
          "letters, digits, spaces and punctuation");
    }
  }
  return count;
}

bool ContainsUsername(std::string_view password, std::string_view username) {
  if (username.empty()) return false;
  const std::string lower_password = AsciiLower(password);
  const std::string lower_username = AsciiLower(username);
  if (lower_username.size() < 3) return lower_password == lower_username;
  return lower_password.find(lower_username) != std::string::npos;
}

}  // namespace

std::optional<Argon2Params> ParseArgon2Params(std::string_view encoded) {
  if (encoded.size() > kMaxEncodedBytes) return std::nullopt;
  std::string_view in = encoded;
  Argon2Params params;
  std::optional<std::uint32_t> m, t, p;
  if (!Take(in, "$argon2id$v=19$m=") || !(m = TakeNumber(in)) || !Take(in, ",t=") ||
      !(t = TakeNumber(in)) || !Take(in, ",p=") || !(p = TakeNumber(in)) || !Take(in, "$")) {
    return std::nullopt;
  }
  const std::size_t dollar = in.find('$');
  if (dollar == std::string_view::npos) return std::nullopt;
  const auto salt = Base64Bytes(in.substr(0, dollar));
  const auto tag = Base64Bytes(in.substr(dollar + 1));
  if (!salt || !tag) return std::nullopt;
  params = Argon2Params{*m, *t, *p, *salt, *tag};
  if (!InBounds(params)) return std::nullopt;
  return params;
}

Result<std::string> HashPassword(std::string_view password) {
  std::array<std::uint8_t, kArgon2SaltBytes> salt{};
  RandomBytes(salt);
  std::string encoded(argon2_encodedlen(kArgon2Passes, kArgon2MemoryKiB, kArgon2Lanes, salt.size(),
                                        kArgon2TagBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(kArgon2Passes, kArgon2MemoryKiB, kArgon2Lanes,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kArgon2TagBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return MakeError(ErrorCode::kInternal,
                     std::string("argon2id_hash_encoded: ") + argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));  // the length counted the terminating NUL
  return encoded;
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  if (!ParseArgon2Params(encoded)) return false;
  const std::string terminated(encoded);
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& DummyPasswordHash() {
  static const std::string hash = [] {
    std::array<std::uint8_t, 32> password{};
    RandomBytes(password);
    auto hashed = HashPassword({reinterpret_cast<const char*>(password.data()), password.size()});
    if (!hashed) {
      // Without it an unknown user's login would be measurably faster than a real one's.
      std::fprintf(stderr, "passledger: the dummy password hash: %s\n",
                   hashed.error().message.c_str());
      std::abort();
    }
    return std::move(*hashed);
  }();
  return hash;
}

bool IsCommonPassword(std::string_view password) {
  const auto& list = CommonPasswords();
  return std::binary_search(list.begin(), list.end(), AsciiLower(password));
}

Result<void> CheckNewPassword(std::string_view password, std::string_view username) {
  if (password.size() > kMaxPasswordBytes) {
    return Invalid("the password is longer than " + std::to_string(kMaxPasswordBytes) +
                   " bytes; use a shorter one");
  }
  auto characters = CountCharacters(password);
  if (!characters) return characters.error();
  if (*characters < kMinPasswordCodePoints) {
    return Invalid("the password has " + std::to_string(*characters) +
                   " characters; use at least " + std::to_string(kMinPasswordCodePoints) +
                   " (a few unrelated words make a long password that is easy to remember)");
  }
  if (IsCommonPassword(password)) {
    return Invalid("the password is on the list of commonly used passwords; choose another");
  }
  if (ContainsUsername(password, username)) {
    return Invalid("the password contains the username; choose one that does not");
  }
  return {};
}

}  // namespace passledger::handlers

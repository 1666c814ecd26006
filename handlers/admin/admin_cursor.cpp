#include "handlers/admin/admin_cursor.h"

#include "base/bytes.h"
#include "base/mac.h"

namespace passledger::handlers {

namespace {

Error NotACursor(char kind) {
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string("not a cursor of this query (kind '") + kind + "')");
}

}  // namespace

std::string EncodeCursor(char kind, std::string_view bytes) {
  std::string raw(1, kind);
  raw.append(bytes);
  return Base64UrlEncode(raw);
}

Result<std::string> DecodeCursor(std::string_view text, char kind) {
  auto raw = Base64UrlDecode(text);
  if (!raw || raw->empty() || (*raw)[0] != kind) return NotACursor(kind);
  return raw->substr(1);
}

std::string EncodeNumbers(char kind, std::span<const std::uint64_t> numbers) {
  std::string bytes;
  for (const std::uint64_t n : numbers) PutVarU64(&bytes, n);
  return EncodeCursor(kind, bytes);
}

Result<std::vector<std::uint64_t>> DecodeNumbers(std::string_view text, char kind) {
  auto bytes = DecodeCursor(text, kind);
  if (!bytes) return bytes.error();
  ByteReader in(*bytes);
  std::vector<std::uint64_t> numbers;
  while (!in.empty()) {
    auto n = in.VarU64();
    if (!n) return NotACursor(kind);
    numbers.push_back(*n);
  }
  return numbers;
}

}  // namespace passledger::handlers

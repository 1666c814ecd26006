// Byte encodings used by the storage format: big-endian fixed integers (so RocksDB's
// bytewise order is numeric order) and LEB128-length-prefixed byte strings. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passledger {

inline void PutU64BE(std::string* out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline void PutU32BE(std::string* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

inline std::string U64BE(std::uint64_t v) {
  std::string out;
  out.reserve(8);
  PutU64BE(&out, v);
  return out;
}

inline std::uint64_t LoadU64BE(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<std::uint8_t>(p[i]);
  return v;
}

// LEB128: seven bits a byte, low bits first, the high bit set on every byte but the last.
inline void PutVarU64(std::string* out, std::uint64_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>(n | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

inline void PutVarBytes(std::string* out, std::string_view bytes) {
  PutVarU64(out, bytes.size());
  out->append(bytes);
}

// Consumes from the front of `in`; every read fails (nullopt) instead of running past the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  std::optional<std::uint8_t> U8() {
    if (in_.empty()) return std::nullopt;
    const auto v = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  std::optional<std::uint64_t> U64BE() {
    if (in_.size() < 8) return std::nullopt;
    const std::uint64_t v = LoadU64BE(in_.data());
    in_.remove_prefix(8);
    return v;
  }
  std::optional<std::uint32_t> U32BE() {
    if (in_.size() < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(4);
    return v;
  }
  std::optional<std::string_view> Fixed(std::size_t n) {
    if (in_.size() < n) return std::nullopt;
    std::string_view v = in_.substr(0, n);
    in_.remove_prefix(n);
    return v;
  }
  // Only the shortest encoding is valid, so that decoding then encoding gives back the same
  // bytes (hashes cover them).
  std::optional<std::uint64_t> VarU64() {
    std::uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      auto b = U8();
      if (!b) return std::nullopt;
      if (shift == 63 && *b > 1) return std::nullopt;  // past 64 bits
      n |= static_cast<std::uint64_t>(*b & 0x7f) << shift;
      if ((*b & 0x80) == 0) {
        if (*b == 0 && shift > 0) return std::nullopt;
        return n;
      }
    }
    return std::nullopt;
  }
  std::optional<std::string_view> VarBytes() {
    auto n = VarU64();
    if (!n) return std::nullopt;
    return Fixed(*n);
  }
  bool empty() const { return in_.empty(); }
  std::size_t size() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace passledger

// The envelope: one stored event exactly as it is hashed, and its canonical byte encoding
// (layout in storage_format.h). Encoding and decoding are pure functions; Decode never trusts
// its input (every length is checked, trailing bytes are corruption).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/crypto.h"
#include "base/error.h"

namespace passledger::events {

// The fixed previous-hash of position 1: SHA-256 of format::kGenesisSeed.
const Hash& GenesisHash();

struct Envelope {
  std::uint64_t position = 0;
  std::string stream;
  std::uint64_t version = 0;  // 1-based version within the stream
  std::string type;
  std::uint32_t schema_version = 1;
  std::int64_t recorded_at_us = 0;  // UTC microseconds since the Unix epoch
  std::string actor;
  std::string correlation_id;
  std::uint64_t causation = 0;  // position of the event that caused this one; 0 = none
  std::string subject;          // member the sealed part belongs to; empty = none
  std::string payload;          // JSON object text, public part
  std::string sealed;           // nonce | ciphertext | tag of the personal JSON; empty = none
  Hash prev_hash{};
  Hash hash{};
};

// Canonical bytes of everything except `hash`.
std::string EncodeCanonical(const Envelope& e);

// SHA-256(prev_hash | canonical bytes).
Hash ComputeHash(const Hash& prev_hash, std::string_view canonical);

// The stored record: canonical bytes followed by the 32-byte hash.
std::string EncodeRecord(const Envelope& e);
Result<Envelope> DecodeRecord(std::string_view record);

// Splits a record into (canonical bytes, stored hash) and reads the position and previous
// hash without decoding the rest: the verifier's fast path.
struct RecordView {
  std::string_view canonical;
  Hash stored_hash{};
  Hash prev_hash{};
  std::uint64_t position = 0;
};
Result<RecordView> ViewRecord(std::string_view record);

// The associated data that binds a sealed part to its place in the log.
std::string SealAad(std::string_view stream, std::uint64_t position, std::string_view subject);

}  // namespace passledger::events

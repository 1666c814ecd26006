#include "events/envelope.h"

#include <algorithm>

#include "base/bytes.h"
#include "events/storage_format.h"

namespace passledger::events {

static_assert(format::kHashSize == kSha256Size && format::kKeySize == kAesKeySize);

const Hash& GenesisHash() {
  static const Hash genesis = Sha256(format::kGenesisSeed);
  return genesis;
}

std::string EncodeCanonical(const Envelope& e) {
  std::string out;
  out.reserve(96 + e.stream.size() + e.type.size() + e.actor.size() + e.correlation_id.size() +
              e.subject.size() + e.payload.size() + e.sealed.size());
  out.push_back(static_cast<char>(format::kEnvelopeFormat));
  PutU64BE(&out, e.position);
  PutVarBytes(&out, e.stream);
  PutU64BE(&out, e.version);
  PutVarBytes(&out, e.type);
  PutU32BE(&out, e.schema_version);
  PutU64BE(&out, static_cast<std::uint64_t>(e.recorded_at_us));
  PutVarBytes(&out, e.actor);
  PutVarBytes(&out, e.correlation_id);
  PutU64BE(&out, e.causation);
  PutVarBytes(&out, e.subject);
  PutVarBytes(&out, e.payload);
  PutVarBytes(&out, e.sealed);
  out.append(reinterpret_cast<const char*>(e.prev_hash.data()), e.prev_hash.size());
  return out;
}

Hash ComputeHash(const Hash& prev_hash, std::string_view canonical) {
  return Sha256({reinterpret_cast<const char*>(prev_hash.data()), prev_hash.size()}, canonical);
}

std::string EncodeRecord(const Envelope& e) {
  std::string out = EncodeCanonical(e);
  out.append(reinterpret_cast<const char*>(e.hash.data()), e.hash.size());
  return out;
}

namespace {

Error Corrupt(std::string_view what) {
  return MakeError(ErrorCode::kCorruption, "envelope record: " + std::string(what));
}

void CopyHash(std::string_view from, Hash* to) { std::copy(from.begin(), from.end(), to->begin()); }

}  // namespace

Result<RecordView> ViewRecord(std::string_view record) {
  constexpr std::size_t kMin = 1 + 8 + format::kHashSize * 2;
  if (record.size() < kMin) return Corrupt("too short");
  if (static_cast<std::uint8_t>(record[0]) != format::kEnvelopeFormat) {
    return Corrupt("unknown format byte");
  }
  RecordView view;
  view.canonical = record.substr(0, record.size() - format::kHashSize);
  CopyHash(record.substr(record.size() - format::kHashSize), &view.stored_hash);
  CopyHash(view.canonical.substr(view.canonical.size() - format::kHashSize), &view.prev_hash);
  view.position = LoadU64BE(record.data() + 1);
  return view;
}

Result<Envelope> DecodeRecord(std::string_view record) {
  ByteReader in(record);
  Envelope e;
  auto format_byte = in.U8();
  if (!format_byte || *format_byte != format::kEnvelopeFormat) return Corrupt("unknown format");
  auto position = in.U64BE();
  auto stream = in.VarBytes();
  auto version = in.U64BE();
  auto type = in.VarBytes();
  auto schema = in.U32BE();
  auto recorded = in.U64BE();
  auto actor = in.VarBytes();
  auto correlation = in.VarBytes();
  auto causation = in.U64BE();
  auto subject = in.VarBytes();
  auto payload = in.VarBytes();
  auto sealed = in.VarBytes();
  auto prev = in.Fixed(format::kHashSize);
  auto hash = in.Fixed(format::kHashSize);
  if (!position || !stream || !version || !type || !schema || !recorded || !actor || !correlation ||
      !causation || !subject || !payload || !sealed || !prev || !hash) {
    return Corrupt("truncated");
  }
  if (!in.empty()) return Corrupt("trailing bytes");
  e.position = *position;
  e.stream = *stream;
  e.version = *version;
  e.type = *type;
  e.schema_version = *schema;
  e.recorded_at_us = static_cast<std::int64_t>(*recorded);
  e.actor = *actor;
  e.correlation_id = *correlation;
  e.causation = *causation;
  e.subject = *subject;
  e.payload = *payload;
  e.sealed = *sealed;
  CopyHash(*prev, &e.prev_hash);
  CopyHash(*hash, &e.hash);
  return e;
}

std::string SealAad(std::string_view stream, std::uint64_t position, std::string_view subject) {
  std::string aad;
  aad.reserve(stream.size() + subject.size() + 10);
  aad.append(stream);
  aad.push_back('\0');
  PutU64BE(&aad, position);
  aad.append(subject);
  return aad;
}

}  // namespace passledger::events

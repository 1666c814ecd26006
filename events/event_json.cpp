#include "events/event_json.h"

#include <openssl/evp.h>

#include "base/time.h"

namespace passledger::events {

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

boost::json::object EventToJson(const RecordedEvent& event, bool include_ciphertext) {
  const Envelope& e = event.envelope;
  boost::json::object out;
  out["position"] = e.position;
  out["stream"] = e.stream;
  out["version"] = e.version;
  out["type"] = e.type;
  out["schema_version"] = event.schema_version;
  out["stored_schema_version"] = e.schema_version;
  out["recorded_at"] = FormatTimestamp(e.recorded_at_us);
  out["actor"] = e.actor;
  out["correlation_id"] = e.correlation_id;
  if (e.causation != 0) out["causation"] = e.causation;
  if (!e.subject.empty()) out["subject"] = e.subject;
  out["payload"] = event.payload;
  switch (event.personal_state) {
    case PersonalState::kNone:
      break;
    case PersonalState::kSealed:
      out["personal"] = "sealed";
      break;
    case PersonalState::kRevealed:
      out["personal"] = event.personal;
      break;
    case PersonalState::kForgotten:
      out["personal"] = "forgotten";
      break;
  }
  if (include_ciphertext && !e.sealed.empty()) out["sealed"] = Base64Encode(e.sealed);
  out["prev_hash"] = ToHex(e.prev_hash);
  out["hash"] = ToHex(e.hash);
  return out;
}

}  // namespace passledger::events

#include "events/envelope_json.h"

#include <boost/json/parse.hpp>

#include "base/time.h"
#include "base/crypto.h"

namespace passledger::events {
namespace json = boost::json;

Result<json::object> EnvelopeJson(const RecordedEvent& event, const EnvelopeJsonOptions& options) {
  const Envelope& e = event.envelope;
  // The stored payload, parsed as the log's reader parses it (export_format.h relies on it).
  boost::system::error_code ec;
  json::value payload = json::parse(e.payload, ec);
  if (ec || !payload.is_object()) {
    return MakeError(ErrorCode::kCorruption,
                     "payload of position " + std::to_string(e.position) + " is not a JSON object");
  }
  json::object out;
  out["position"] = e.position;
  out["stream"] = e.stream;
  out["version"] = e.version;
  out["type"] = e.type;
  out["schema_version"] = e.schema_version;
  out["recorded_at"] = FormatTimestamp(e.recorded_at_us);
  if (options.recorded_at_us) out["recorded_at_us"] = e.recorded_at_us;
  out["actor"] = e.actor;
  out["correlation_id"] = e.correlation_id;
  out["causation"] = e.causation;
  out["subject"] = e.subject;
  out["payload"] = std::move(payload);
  if (options.payload_text) out["payload_text"] = e.payload;
  if (options.upcast && event.schema_version != e.schema_version) {
    out["upcast_schema_version"] = event.schema_version;
    out["upcast_payload"] = event.payload;
  }
  if (options.sealed && !e.sealed.empty()) out["sealed"] = Base64Encode(e.sealed);
  if (options.personal != PersonalView::kOmit) {
    switch (event.personal_state) {
      case PersonalState::kNone:
        break;
      case PersonalState::kSealed:
        if (options.personal == PersonalView::kAll) out["personal"] = "sealed";
        break;
      case PersonalState::kRevealed:
        out["personal"] = event.personal;
        out["personal_schema_version"] = event.schema_version;
        break;
      case PersonalState::kForgotten:
        out["personal"] = "forgotten";
        break;
    }
  }
  out["prev_hash"] = ToHex(e.prev_hash);
  out["hash"] = ToHex(e.hash);
  return out;
}

}  // namespace passledger::events

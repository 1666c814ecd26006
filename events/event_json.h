// JSON views of recorded events: the line format of `passledger log` and `export` (times as
// base/time.h's FormatTimestamp). Pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

#include "events/event_log.h"

namespace passledger::events {

// One event as a JSON object: position, stream, version, type, schema_version (after
// upcasting), stored_schema_version, recorded_at, actor, correlation_id, causation, subject,
// payload, personal (object when revealed, "sealed", "forgotten", or absent), sealed (base64
// ciphertext, when `include_ciphertext`), prev_hash, hash.
boost::json::object EventToJson(const RecordedEvent& event, bool include_ciphertext);

std::string Base64Encode(std::string_view bytes);

}  // namespace passledger::events

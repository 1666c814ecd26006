// Text forms of envelope fields: ISO-8601 timestamps and base64. The JSON form of a whole
// event (the lines of `passledger log` and `export`) is events/envelope_json.h. Pure
// functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

#include "events/event_log.h"

namespace passledger::events {

// "2026-11-28T22:57:07.123456Z"
std::string FormatTimestamp(std::int64_t micros_since_epoch);

std::string Base64Encode(std::string_view bytes);

}  // namespace passledger::events

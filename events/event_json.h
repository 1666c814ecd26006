// Base64 text of envelope bytes (the sealed ciphertext in `passledger log` and `export`
// lines). The JSON form of a whole event is events/envelope_json.h; times are formatted by
// base/time.h. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace passledger::events {

std::string Base64Encode(std::string_view bytes);

}  // namespace passledger::events

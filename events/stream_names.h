// Stream names formed from client input, kept apart from the streams the server writes on
// its own account (docs/STORAGE.md, "Stream names").
//
// The only stream a client names is a PassKit device's: "device-<id>", where <id> is a device
// library id of [A-Za-z0-9._-] (handlers/passkit/passkit_inputs.h). Streams the server names
// for itself are in category "system" ("system-<name>"), which no client input reaches. Two
// internal names were once in the "device" category and stay reserved there: "device-logs"
// (DeviceLogReceived before device logs left the chain; old logs still hold it) and
// "device-pushes" (push batch summaries). A device whose id would produce one of them gets
// "device-~<id>" instead: '~' is in no device id, so that name is that device's alone.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace passledger::events {

inline constexpr std::string_view kLegacyDeviceLogStream = "device-logs";
inline constexpr std::string_view kPushBatchStream = "system-device-pushes";
inline constexpr std::array<std::string_view, 2> kReservedDeviceStreams = {kLegacyDeviceLogStream,
                                                                           "device-pushes"};

// The stream of PassKit device `id`. REQUIRES: id is a valid device library id.
inline std::string DeviceStream(std::string_view id) {
  std::string stream = "device-" + std::string(id);
  for (const std::string_view reserved : kReservedDeviceStreams) {
    if (stream == reserved) return "device-~" + std::string(id);
  }
  return stream;
}

}  // namespace passledger::events

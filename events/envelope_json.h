// The one JSON form of a recorded event's envelope: the lines of `passledger log` and of
// `passledger export` (export_format.h reads the latter back) are both EnvelopeJson with
// different options. Pure function; thread-safe.
//
// Every field name has one meaning, whichever options chose to show it:
//
//   position, stream, version, type      as stored
//   schema_version                       the stored schema version: the shape `payload` and
//                                        `payload_text` are in, the one the hash covers
//   recorded_at                          ISO-8601 UTC with µs (FormatTimestamp)
//   recorded_at_us*                      the same instant, the exact integer
//   actor, correlation_id                as stored
//   causation                            as stored; 0 = none
//   subject                              as stored; "" = no personal part
//   payload                              the stored payload as a JSON object
//   payload_text*                        the stored payload bytes (export_format.h says why)
//   upcast_schema_version*, upcast_payload*
//                                        only when this build reads the event in a newer
//                                        shape than stored: that version and the payload in
//                                        it. Never hashed; absent when nothing was upcast
//   sealed*                              base64 of the stored ciphertext; absent when none
//   personal*                            the personal part: the decrypted object, "forgotten"
//                                        (its key was destroyed) or "sealed" (not decrypted);
//                                        absent when the event has none or it is not shown
//   personal_schema_version*             beside a decrypted `personal`: the shape it is in
//                                        (upcast like the payload)
//   prev_hash, hash                      64 hex digits
//
// (* only with the option that asks for it.) The two presets below give the two commands'
// lines. Before this, the log's `schema_version` was the upcast version, its
// `stored_schema_version` the stored one and its `payload` upcast; the export's fields have
// not changed (docs/STORAGE.md, "Log and export lines").
#pragma once

#include <boost/json/object.hpp>

#include "base/error.h"
#include "events/event_log.h"

namespace passledger::events {

// Which state of the personal part the line shows.
enum class PersonalView {
  kOmit,    // never a `personal` field
  kOpened,  // the decrypted object (with personal_schema_version) or "forgotten"
  kAll,     // kOpened, and "sealed" for a part that was not decrypted
};

struct EnvelopeJsonOptions {
  bool recorded_at_us = false;  // add recorded_at_us
  bool payload_text = false;    // add payload_text
  bool upcast = false;          // add upcast_schema_version and upcast_payload when upcast
  bool sealed = false;          // add sealed (the ciphertext)
  PersonalView personal = PersonalView::kOmit;
};

// `passledger log`: for reading; the stored payload and, when the build upcasts the event,
// its newest shape; the personal part in every state.
constexpr EnvelopeJsonOptions LogLineOptions() {
  return {.upcast = true, .personal = PersonalView::kAll};
}

// `passledger export`: the stored envelope, complete enough to verify offline
// (export_verifier.h); the decrypted personal part only when `reveal`.
constexpr EnvelopeJsonOptions ExportLineOptions(bool reveal) {
  return {.recorded_at_us = true,
          .payload_text = true,
          .sealed = true,
          .personal = reveal ? PersonalView::kOpened : PersonalView::kOmit};
}

// The JSON object of `event` (fields in the order of the table above). Reads
// event.envelope; event.payload only for upcast_payload; event.schema_version for the upcast
// fields and personal_schema_version; event.personal_state and event.personal for
// `personal`. kCorruption when the stored payload is not a JSON object.
Result<boost::json::object> EnvelopeJson(const RecordedEvent& event,
                                         const EnvelopeJsonOptions& options);

}  // namespace passledger::events

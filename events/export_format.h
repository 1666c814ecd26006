// The line format of `passledger export`, read back: one JSON object per event, carrying the
// envelope exactly as stored, so that a file can be verified offline (export_verifier.h)
// without the database. Pure functions; thread-safe.
//
// A line is EnvelopeJson(event, ExportLineOptions(reveal)) (envelope_json.h, where every field
// is described): position, stream, version, type, schema_version (as stored, never upcast),
// recorded_at, recorded_at_us, actor, correlation_id, causation, subject, payload,
// payload_text, sealed (when there is a sealed part), personal and personal_schema_version
// (only with --reveal), prev_hash, hash. It is the format earlier builds wrote: the fuzz
// seeds in tests/fuzz/corpus/export, written by an earlier build, still verify and come out of
// EnvelopeJson byte for byte (tests/events/envelope_json_test.cpp).
//
// Why payload_text: the stored payload is the text boost::json::serialize produced at append
// time, and the hash covers those bytes. Boost.JSON 1.81 parses doubles imprecisely, so
// serialize(parse(text)) != text for some doubles (measured: 10 % of uniform random values in
// ±1e6, 29 % of random bit patterns, none of 200,000 two-decimal amounts; e.g.
// -1.9934908051011654E189 comes back as ...656E189). Integers, strings, escapes and nesting
// do round-trip (tests/events/export_test.cpp). Rebuilding the payload from the parsed object
// would make honest files fail to verify, so the verifier hashes payload_text and only checks
// that `payload` shows the same JSON value.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/envelope.h"

namespace passledger::events {

// Longest line the verifier reads: an event holds at most 1 MiB of payload and sealed bytes,
// which JSON escaping (payload and payload_text) and base64 can grow about thirteenfold.
inline constexpr std::size_t kMaxExportLineBytes = 32u << 20;

// How export lines are parsed: the payload sits one level deeper than in the log, and byte
// strings the log accepted without checking (a correlation id) need not be valid UTF-8.
boost::json::parse_options ExportParseOptions();

// Rebuilds the envelope of a line so that EncodeRecord gives the stored bytes. Checks that
// the line is well-formed and consistent with itself (payload and payload_text,
// recorded_at and recorded_at_us); whether it chains is the verifier's job.
// kInvalidArgument naming the field otherwise.
Result<Envelope> EnvelopeFromExportLine(const boost::json::object& line);

// Standard base64 with padding; kInvalidArgument unless `text` is canonical base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace passledger::events

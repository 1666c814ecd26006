#include "events/export_format.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "base/time.h"
#include "base/crypto.h"

namespace passledger::events {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 18> kKnownFields = {
    "position",       "stream",      "version",        "type",
    "schema_version", "recorded_at", "recorded_at_us", "actor",
    "correlation_id", "causation",   "subject",        "payload",
    "payload_text",   "sealed",      "personal",       "personal_schema_version",
    "prev_hash",      "hash"};

Error Bad(std::string_view field, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "field \"" + std::string(field) + "\" " + std::string(what));
}

Result<const json::value*> Field(const json::object& line, std::string_view name) {
  const json::value* value = line.if_contains(name);
  if (value == nullptr) return Bad(name, "is missing");
  return value;
}

Result<std::uint64_t> UnsignedField(const json::object& line, std::string_view name) {
  auto value = Field(line, name);
  if (!value) return value.error();
  if ((*value)->is_uint64()) return (*value)->get_uint64();
  if ((*value)->is_int64() && (*value)->get_int64() >= 0) {
    return static_cast<std::uint64_t>((*value)->get_int64());
  }
  return Bad(name, "is not an unsigned integer");
}

Result<std::int64_t> SignedField(const json::object& line, std::string_view name) {
  auto value = Field(line, name);
  if (!value) return value.error();
  if ((*value)->is_int64()) return (*value)->get_int64();
  if ((*value)->is_uint64() &&
      (*value)->get_uint64() <=
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>((*value)->get_uint64());
  }
  return Bad(name, "is not a 64-bit integer");
}

Result<std::string> StringField(const json::object& line, std::string_view name) {
  auto value = Field(line, name);
  if (!value) return value.error();
  if (!(*value)->is_string()) return Bad(name, "is not a string");
  return std::string((*value)->get_string());
}

Result<Hash> HashField(const json::object& line, std::string_view name) {
  auto text = StringField(line, name);
  if (!text) return text.error();
  Hash hash{};
  if (!FromHex(*text, hash)) return Bad(name, "is not 64 hexadecimal digits");
  return hash;
}

// `payload` must show the JSON value of `payload_text`. Usually parsing payload_text gives
// exactly that value. Where the double round trip is imprecise (see the header) the exporter
// wrote serialize(parse(payload_text)), and parsing that once more gives what the reader of
// the line got.
Result<void> CheckPayloadView(const json::object& line, const std::string& payload_text) {
  auto shown = Field(line, "payload");
  if (!shown) return shown.error();
  if (!(*shown)->is_object()) return Bad("payload", "is not a JSON object");
  boost::system::error_code ec;
  json::value stored = json::parse(payload_text, ec, {}, ExportParseOptions());
  if (ec || !stored.is_object()) return Bad("payload_text", "is not a JSON object");
  if (stored == **shown) return {};
  json::value reparsed = json::parse(json::serialize(stored), ec, {}, ExportParseOptions());
  if (ec || reparsed != **shown) return Bad("payload", "does not match payload_text");
  return {};
}

Result<void> CheckPersonal(const json::object& line, bool sealed) {
  const json::value* personal = line.if_contains("personal");
  if (personal == nullptr) return {};
  if (!sealed) return Bad("personal", "is present but the event has no sealed part");
  const bool forgotten = personal->is_string() && personal->get_string() == "forgotten";
  if (!personal->is_object() && !forgotten) {
    return Bad("personal", "is neither an object nor \"forgotten\"");
  }
  if (line.contains("personal_schema_version")) {
    auto version = UnsignedField(line, "personal_schema_version");
    if (!version) return version.error();
  }
  return {};
}

}  // namespace

json::parse_options ExportParseOptions() {
  json::parse_options options;
  options.max_depth = 64;
  options.allow_invalid_utf8 = true;
  return options;
}

Result<Envelope> EnvelopeFromExportLine(const json::object& line) {
  for (const auto& field : line) {
    if (std::find(kKnownFields.begin(), kKnownFields.end(), field.key()) == kKnownFields.end()) {
      return Bad(field.key(), "is not part of the export format");
    }
  }
  Envelope e;
  auto position = UnsignedField(line, "position");
  if (!position) return position.error();
  e.position = *position;
  auto stream = StringField(line, "stream");
  if (!stream) return stream.error();
  e.stream = std::move(*stream);
  auto version = UnsignedField(line, "version");
  if (!version) return version.error();
  e.version = *version;
  auto type = StringField(line, "type");
  if (!type) return type.error();
  e.type = std::move(*type);
  auto schema_version = UnsignedField(line, "schema_version");
  if (!schema_version) return schema_version.error();
  if (*schema_version > std::numeric_limits<std::uint32_t>::max()) {
    return Bad("schema_version", "is out of range");
  }
  e.schema_version = static_cast<std::uint32_t>(*schema_version);
  auto recorded_at_us = SignedField(line, "recorded_at_us");
  if (!recorded_at_us) return recorded_at_us.error();
  e.recorded_at_us = *recorded_at_us;
  auto recorded_at = StringField(line, "recorded_at");
  if (!recorded_at) return recorded_at.error();
  if (*recorded_at != FormatTimestamp(e.recorded_at_us)) {
    return Bad("recorded_at", "does not match recorded_at_us");
  }
  auto actor = StringField(line, "actor");
  if (!actor) return actor.error();
  e.actor = std::move(*actor);
  auto correlation_id = StringField(line, "correlation_id");
  if (!correlation_id) return correlation_id.error();
  e.correlation_id = std::move(*correlation_id);
  auto causation = UnsignedField(line, "causation");
  if (!causation) return causation.error();
  e.causation = *causation;
  auto subject = StringField(line, "subject");
  if (!subject) return subject.error();
  e.subject = std::move(*subject);
  auto payload_text = StringField(line, "payload_text");
  if (!payload_text) return payload_text.error();
  if (auto ok = CheckPayloadView(line, *payload_text); !ok) return ok.error();
  e.payload = std::move(*payload_text);
  if (line.contains("sealed")) {
    auto text = StringField(line, "sealed");
    if (!text) return text.error();
    auto sealed = Base64Decode(*text);
    if (!sealed) return Bad("sealed", "is not base64");
    e.sealed = std::move(*sealed);
  }
  if (auto ok = CheckPersonal(line, !e.sealed.empty()); !ok) return ok.error();
  auto prev_hash = HashField(line, "prev_hash");
  if (!prev_hash) return prev_hash.error();
  e.prev_hash = *prev_hash;
  auto hash = HashField(line, "hash");
  if (!hash) return hash.error();
  e.hash = *hash;
  return e;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "base64 length is not a multiple of 4");
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return MakeError(ErrorCode::kInvalidArgument, "not base64");
  // EVP_DecodeBlock counts the zero bytes that the padding stands for.
  const std::size_t padding = text.ends_with("==") ? 2 : (text.ends_with("=") ? 1 : 0);
  if (static_cast<std::size_t>(n) < padding) {
    return MakeError(ErrorCode::kInvalidArgument, "not base64");
  }
  out.resize(static_cast<std::size_t>(n) - padding);
  // Only the canonical encoding is accepted: one text per byte string.
  if (Base64Encode(out) != text) return MakeError(ErrorCode::kInvalidArgument, "not base64");
  return out;
}

}  // namespace passledger::events

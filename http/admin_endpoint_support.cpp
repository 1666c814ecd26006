#include "http/admin_endpoint_support.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "base/time.h"
#include "http/multipart.h"

namespace passledger::http {

namespace json = boost::json;

Error InvalidInput(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

AdminAnswer JsonAnswer(bhttp::status code, const json::value& document) {
  AdminAnswer answer;
  answer.status = code;
  answer.body = json::serialize(document);
  return answer;
}

Result<json::object> BodyObject(const AdminCall& call) {
  const std::string& body = call.request.message.body();
  if (body.empty()) return json::object();
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return InvalidInput("the body is not JSON: " + ec.message());
  if (!parsed.is_object()) return InvalidInput("the body must be a JSON object");
  return std::move(parsed.as_object());
}

Result<std::string> StringField(const json::object& body, std::string_view name, bool required) {
  const json::value* value = body.if_contains(name);
  if (!value || value->is_null()) {
    if (required) return InvalidInput("\"" + std::string(name) + "\" is required");
    return std::string();
  }
  if (!value->is_string()) return InvalidInput("\"" + std::string(name) + "\" must be a string");
  return std::string(value->as_string());
}

Result<bool> BoolField(const json::object& body, std::string_view name) {
  const json::value* value = body.if_contains(name);
  if (!value || value->is_null()) return false;
  if (!value->is_bool()) return InvalidInput("\"" + std::string(name) + "\" must be true or false");
  return value->as_bool();
}

Result<std::size_t> SizeParam(const Request& request, std::string_view name, std::size_t fallback,
                              std::size_t min, std::size_t max) {
  const auto text = request.QueryParam(name);
  if (!text) return fallback;
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return InvalidInput(std::string(name) + " must be a whole number from " + std::to_string(min) +
                        " to " + std::to_string(max));
  }
  return value;
}

Result<std::optional<std::int64_t>> TimeParam(const Request& request, std::string_view name) {
  const auto text = request.QueryParam(name);
  if (!text || text->empty()) return std::optional<std::int64_t>();
  // A bare date is that day's start in UTC.
  const std::string full = text->size() == 10 ? *text + "T00:00:00Z" : *text;
  if (const auto us = ParseTimestamp(full, MissingOffset::kUtc)) return us;
  return InvalidInput(std::string(name) +
                      " must be a date (2026-11-28) or an RFC 3339 time (2026-11-28T12:00:00Z)");
}

namespace {
constexpr std::size_t kMaxFileName = 255;
}  // namespace

Result<FormFile> UploadedFile(const AdminCall& call) {
  const auto type = call.request.message.find(bhttp::field::content_type);
  const std::string_view content_type =
      type == call.request.message.end() ? std::string_view() : std::string_view(type->value());
  const std::string& body = call.request.message.body();
  if (content_type.substr(0, content_type.find(';')).find("multipart/") != std::string_view::npos) {
    return FindFormFile(content_type, body, "file");
  }
  return FormFile{call.request.QueryParam("file_name").value_or("upload.csv"), body};
}

std::string SafeFileName(std::string name) {
  if (const auto slash = name.find_last_of("/\\"); slash != std::string::npos) {
    name.erase(0, slash + 1);  // a browser may send a path
  }
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  if (name.size() > kMaxFileName) name.resize(kMaxFileName);
  return name.empty() ? "upload.csv" : name;
}

}  // namespace passledger::http

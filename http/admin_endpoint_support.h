// What every admin endpoint file shares (http/admin_endpoints.cpp, the query endpoints):
// the JSON answer, the request body as a JSON object and its typed fields, and the query
// string's typed parameters — each refusing bad input with kInvalidArgument and a message
// that names the field. Pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "http/admin_endpoints.h"
#include "http/multipart.h"

namespace passledger::http {

Error InvalidInput(std::string message);

AdminAnswer JsonAnswer(boost::beast::http::status code, const boost::json::value& document);

// The request's body as a JSON object; an empty body is an empty object.
Result<boost::json::object> BodyObject(const AdminCall& call);

// A string field; missing or null is "" unless `required`.
Result<std::string> StringField(const boost::json::object& body, std::string_view name,
                                bool required);
// A boolean field; missing or null is false.
Result<bool> BoolField(const boost::json::object& body, std::string_view name);

// The uploaded file: the whole body (text/csv and the like; its name from ?file_name=), or
// the "file" field of a multipart/form-data body; a view into the request either way.
Result<FormFile> UploadedFile(const AdminCall& call);

// A file name as a user gave it, safe to record: the last path component, control characters
// replaced, at most 255 bytes; "upload.csv" when nothing is left.
std::string SafeFileName(std::string name);

// ?name=N within [min, max]; `fallback` when absent.
Result<std::size_t> SizeParam(const Request& request, std::string_view name, std::size_t fallback,
                              std::size_t min, std::size_t max);
// ?name=<RFC 3339 time> as Unix µs; nullopt when absent.
Result<std::optional<std::int64_t>> TimeParam(const Request& request, std::string_view name);

}  // namespace passledger::http

// Internal to http/: taking an admin API request apart, shared by the endpoint files
// (admin_endpoints.cpp, admin_operator_endpoints.cpp) — the JSON body and its fields, the
// uploaded file, and the JSON answer. Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "base/error.h"
#include "http/admin_endpoints.h"
#include "http/multipart.h"

namespace passledger::http {

Error InvalidRequest(std::string message);  // kInvalidArgument

AdminAnswer JsonAnswer(bhttp::status code, const boost::json::value& document);

// The request's body as a JSON object; an empty body is an empty object.
Result<boost::json::object> BodyObject(const AdminCall& call);

// The string field `name`; "" when absent or null and not `required`.
Result<std::string> StringField(const boost::json::object& body, std::string_view name,
                                bool required);
// The boolean field `name`; false when absent or null.
Result<bool> BoolField(const boost::json::object& body, std::string_view name);

// The uploaded file: the whole body (text/csv and the like; its name from ?file_name=), or
// the "file" field of a multipart/form-data body; a view into the request either way.
Result<FormFile> UploadedFile(const AdminCall& call);

// A file name as a user gave it, safe to record: the last path component, control characters
// replaced, at most 255 bytes; "upload.csv" when nothing is left.
std::string SafeFileName(std::string name);

}  // namespace passledger::http

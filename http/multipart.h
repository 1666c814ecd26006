// The one file of a multipart/form-data body (RFC 7578), for uploads from a browser form: the
// part whose Content-Disposition names the wanted field. The file's bytes are a view into the
// body — never copied — so an upload is held in memory once.
//
// Strict: the boundary comes from the Content-Type (1–70 characters, RFC 2046), every part has
// headers ending in an empty line, the body ends with the closing delimiter; a part's bytes are
// exactly those between its headers and the next CRLF "--" boundary. Header lines of a part are
// at most 8 KiB together. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::http {

struct FormFile {
  std::string filename;  // as the browser sent it (may be empty); never a path to trust
  std::string_view bytes;
};

// The boundary parameter of a multipart/form-data Content-Type; kInvalidArgument if the type
// is another or the boundary is missing or malformed.
Result<std::string> FormBoundary(std::string_view content_type);

// The part named `field` of `body`; kInvalidArgument naming what is wrong (no such field, a
// truncated body, a part without headers).
Result<FormFile> FindFormFile(std::string_view content_type, std::string_view body,
                              std::string_view field);

}  // namespace passledger::http

// libFuzzer target: FindFormFile (http/multipart.h), which parses browser uploads to the admin
// API. The input is split at the first NUL into the Content-Type and the body. Properties,
// each aborting when violated:
//  - it never crashes or reads outside the body;
//  - a file found is a view inside the body, followed there by CRLF "--" and the boundary;
//  - parsing again gives the same answer.
#include <cstdint>
#include <string>
#include <string_view>

#include "http/multipart.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view type = input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? "" : input.substr(nul + 1);
  const auto file = passledger::http::FindFormFile(type, body, "file");
  if (!file) return 0;
  FUZZ_CHECK(file->bytes.data() >= body.data());
  FUZZ_CHECK(file->bytes.data() + file->bytes.size() <= body.data() + body.size());
  const auto boundary = passledger::http::FormBoundary(type);
  FUZZ_CHECK(boundary.has_value());
  const std::size_t end = static_cast<std::size_t>(file->bytes.data() - body.data()) + file->bytes.size();
  FUZZ_CHECK(body.substr(end, 4 + boundary->size()) == "\r\n--" + *boundary);
  const auto again = passledger::http::FindFormFile(type, body, "file");
  FUZZ_CHECK(again && again->bytes == file->bytes && again->filename == file->filename);
  return 0;
}

#include "http/multipart.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "http/header_text.h"

namespace passledger::http {
namespace {

constexpr std::size_t kMaxPartHeaders = 8 << 10;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, "multipart/form-data: " + std::move(message));
}

// The value of parameter `name` in "type; a=1; name="x"" (quoted or not); nullopt if absent.
// Quoted values may hold backslash escapes.
std::optional<std::string> Parameter(std::string_view header, std::string_view name) {
  std::size_t at = header.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = TrimOws(header.substr(at + 1));
    const std::size_t equals = rest.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const bool match = EqualsIgnoringCase(TrimOws(rest.substr(0, equals)), name);
    rest = TrimOws(rest.substr(equals + 1));
    std::string value;
    std::size_t consumed = 0;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      if (i >= rest.size()) return std::nullopt;  // unterminated
      consumed = i + 1;
    } else {
      consumed = std::min(rest.find(';'), rest.size());
      value = std::string(TrimOws(rest.substr(0, consumed)));
    }
    if (match) return value;
    const std::size_t next = rest.find(';', consumed);
    if (next == std::string_view::npos) return std::nullopt;
    at = static_cast<std::size_t>(rest.data() + next - header.data());
  }
  return std::nullopt;
}

bool BoundaryCharactersOk(std::string_view b) {
  static constexpr std::string_view kAllowed = "'()+_,-./:=? ";
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kAllowed.find(c) != std::string_view::npos;
  });
}

struct PartHeaders {
  std::string name;
  std::optional<std::string> filename;
};

Result<PartHeaders> ParseHeaders(std::string_view block) {
  PartHeaders out;
  bool disposition = false;
  while (!block.empty()) {
    const std::size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Invalid("a part header line has no ':'");
    if (!EqualsIgnoringCase(TrimOws(line.substr(0, colon)), "content-disposition")) continue;
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (!EqualsIgnoringCase(TrimOws(value.substr(0, value.find(';'))), "form-data")) {
      return Invalid("a part is not form-data");
    }
    auto name = Parameter(value, "name");
    if (!name) return Invalid("a part has no name");
    out.name = std::move(*name);
    out.filename = Parameter(value, "filename");
    disposition = true;
  }
  if (!disposition) return Invalid("a part has no Content-Disposition");
  return out;
}

}  // namespace

Result<std::string> FormBoundary(std::string_view content_type) {
  const std::string_view type = TrimOws(content_type.substr(0, content_type.find(';')));
  if (!EqualsIgnoringCase(type, "multipart/form-data")) {
    return Invalid("the Content-Type is " + std::string(type));
  }
  auto boundary = Parameter(content_type, "boundary");
  if (!boundary || !BoundaryCharactersOk(*boundary)) return Invalid("no usable boundary");
  return *boundary;
}

Result<FormFile> FindFormFile(std::string_view content_type, std::string_view body,
                              std::string_view field) {
  auto boundary = FormBoundary(content_type);
  if (!boundary) return boundary.error();
  const std::string delimiter = "--" + *boundary;
  // The preamble ends at the first delimiter, at the start or after a CRLF.
  std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) return Invalid("the body holds no part");
  if (at != 0) at += 2;
  const std::string next_delimiter = "\r\n" + delimiter;
  for (;;) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") break;  // the closing delimiter
    const std::size_t line_end = body.find("\r\n", at);
    if (line_end == std::string_view::npos) return Invalid("the body is cut short");
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    if (!TrimOws(body.substr(at, line_end - at)).empty()) return Invalid("bad delimiter line");
    const std::size_t headers_start = line_end + 2;
    const std::size_t headers_end = body.find("\r\n\r\n", headers_start);
    if (headers_end == std::string_view::npos || headers_end - headers_start > kMaxPartHeaders) {
      return Invalid("a part's headers are missing or too long");
    }
    auto headers = ParseHeaders(body.substr(headers_start, headers_end - headers_start));
    if (!headers) return headers.error();
    const std::size_t content = headers_end + 4;
    const std::size_t end = body.find(next_delimiter, content);
    if (end == std::string_view::npos) return Invalid("the body is cut short");
    if (headers->name == field) {
      return FormFile{headers->filename.value_or(""), body.substr(content, end - content)};
    }
    at = end + 2;
  }
  return Invalid("no field \"" + std::string(field) + "\"");
}

}  // namespace passledger::http

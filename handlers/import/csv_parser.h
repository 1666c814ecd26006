// CsvParser: a streaming RFC 4180 reader for roster exports.
//
// Bytes are pushed in pieces of any size (a file read in blocks, an HTTP upload as it
// arrives); each complete row is handed to a callback. Handles quoted fields with commas,
// doubled quotes and embedded newlines; a UTF-8 BOM; CRLF or LF (or a lone CR) line ends; no
// newline after the last row. Rows whose fields are all empty are skipped (exports end with
// such rows). Input is validated as UTF-8 — or transcoded to UTF-8 from Windows-1252 or
// Latin-1 when the options say so — never passed through mangled.
//
// Errors reject the whole input and name the line and byte offset: invalid UTF-8, a NUL byte
// (binary data), a field or row over its limit, too many columns, a quote where none may be,
// an unterminated quoted field at the end. Messages read "line 12 (byte 3456): field longer
// than 65536 bytes": the physical line (CRLF, LF and a lone CR each end one, inside quotes
// too) and the 0-based offset in the input as fed (a BOM included) of the offending byte —
// for an unterminated field, its opening quote. Size limits are kTooLarge, everything else
// kInvalidArgument; the error an input gets does not depend on how it was cut into pieces.
//
// A CsvParser is not thread-safe: one thread at a time calls Feed and Finish, and the callback
// runs on that thread. The CsvRow it gets is reused for the next row.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::handlers {

enum class SourceEncoding {
  kUtf8,         // validated; a leading BOM is dropped
  kWindows1252,  // transcoded to UTF-8 (bytes 0x80-0x9F as Windows-1252 maps them)
  kLatin1,       // transcoded to UTF-8 (ISO-8859-1)
};

struct CsvOptions {
  SourceEncoding encoding = SourceEncoding::kUtf8;
  std::size_t max_field_bytes = 64 * 1024;  // after transcoding
  std::size_t max_row_bytes = 1024 * 1024;  // all fields of one row, after transcoding
  std::size_t max_columns = 1'000;
};

struct CsvRow {
  std::uint64_t line = 0;           // 1-based line on which the row starts
  std::vector<std::string> fields;  // UTF-8
};

class CsvParser {
 public:
  // Called for each complete, non-empty row, in order. An error it returns stops the parse
  // and is returned by Feed/Finish.
  using RowFn = std::function<Result<void>(const CsvRow& row)>;

  CsvParser(CsvOptions options, RowFn on_row);
  ~CsvParser();
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;

  // The next bytes of the input. After an error, every later call returns that error.
  [[nodiscard]] Result<void> Feed(std::string_view bytes);
  // The end of the input: completes a last row without a line end; an open quoted field is
  // an error.
  [[nodiscard]] Result<void> Finish();

  std::uint64_t bytes_fed() const;
  std::uint64_t rows() const;  // rows handed to the callback so far

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: parses a whole buffer.
[[nodiscard]] Result<void> ParseCsv(std::string_view text, const CsvOptions& options,
                                    const CsvParser::RowFn& on_row);

}  // namespace passledger::handlers

// libFuzzer target: CsvParser (handlers/import/csv_parser.h). Input layout: byte 0 picks the
// encoding (bits 0-1: UTF-8, UTF-8, Windows-1252, Latin-1), the limits (bits 2-3: defaults or
// three small sets) and the largest piece (bits 4-7); byte 1 seeds the piece sizes; the rest
// is the CSV text. Properties, each aborting when violated:
//  - Fed in one piece or in random pieces, the input gives the same rows and the same error.
//  - Every row: 1..max_columns fields, not all empty, each field and the row within its byte
//    limit, valid UTF-8 without NUL; lines strictly increasing; rows() counts the callbacks.
//  - An error is kInvalidArgument or kTooLarge and reads "line L (byte B): ...", where B is
//    a byte of the input and L the physical line that byte is on.
//  - Agreement with a naive reference parser (no limits, no validation) over the transcoded
//    text: success means the same rows; a quote error means the reference fails too, and a
//    reference failure means an error here.
//  - Success in UTF-8 means the input after the BOM is valid UTF-8; "invalid UTF-8" means it
//    is not.
//  - The rows written back as CSV (every field quoted) parse to the same fields.
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/import/csv_parser.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using passledger::Error;
using passledger::ErrorCode;
using passledger::Result;
using passledger::handlers::CsvOptions;
using passledger::handlers::CsvParser;
using passledger::handlers::CsvRow;
using passledger::handlers::SourceEncoding;

CsvOptions OptionsFrom(std::uint8_t control) {
  constexpr SourceEncoding kEncodings[] = {SourceEncoding::kUtf8, SourceEncoding::kUtf8,
                                           SourceEncoding::kWindows1252, SourceEncoding::kLatin1};
  struct Limits {
    std::size_t field, row, columns;
  };
  constexpr Limits kLimits[] = {
      {64 * 1024, 1024 * 1024, 1000}, {8, 24, 4}, {32, 128, 16}, {1, 3, 2}};
  CsvOptions options;
  options.encoding = kEncodings[control & 3];
  const Limits& limits = kLimits[(control >> 2) & 3];
  options.max_field_bytes = limits.field;
  options.max_row_bytes = limits.row;
  options.max_columns = limits.columns;
  return options;
}

struct Outcome {
  std::vector<CsvRow> rows;
  std::optional<Error> error;
  std::uint64_t rows_counted = 0;
  std::uint64_t bytes_fed = 0;
};

// Parses `text` in pieces whose sizes come from `next_piece` (called until the text is used).
template <class NextPiece>
Outcome Parse(std::string_view text, const CsvOptions& options, NextPiece next_piece) {
  Outcome out;
  CsvParser parser(options, [&](const CsvRow& row) -> Result<void> {
    out.rows.push_back(row);
    return {};
  });
  for (std::size_t at = 0; at < text.size() && !out.error;) {
    const std::size_t size = std::min(next_piece(), text.size() - at);
    if (auto fed = parser.Feed(text.substr(at, size)); !fed) out.error = fed.error();
    at += size;
  }
  if (!out.error) {
    if (auto finished = parser.Finish(); !finished) out.error = finished.error();
  }
  // After an error every call returns it again.
  if (out.error) {
    auto again = parser.Feed("x");
    FUZZ_CHECK(again.has_error() && again.error().message == out.error->message);
  }
  out.rows_counted = parser.rows();
  out.bytes_fed = parser.bytes_fed();
  return out;
}

bool SameRows(const std::vector<CsvRow>& a, const std::vector<CsvRow>& b, bool lines) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].fields != b[i].fields || (lines && a[i].line != b[i].line)) return false;
  }
  return true;
}

bool SameError(const std::optional<Error>& a, const std::optional<Error>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->code == b->code && a->message == b->message);
}

// Strict UTF-8, decoded to code points (independent of the parser's table-driven check).
bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<std::uint8_t>(s[i]);
    std::size_t n = 1;
    std::uint32_t cp = b;
    if (b >= 0x80) {
      if ((b & 0xE0) == 0xC0) {
        n = 2, cp = b & 0x1F;
      } else if ((b & 0xF0) == 0xE0) {
        n = 3, cp = b & 0x0F;
      } else if ((b & 0xF8) == 0xF0) {
        n = 4, cp = b & 0x07;
      } else {
        return false;
      }
      if (i + n > s.size()) return false;
      for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<std::uint8_t>(s[i + k]);
        if ((c & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (c & 0x3F);
      }
      const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    }
    i += n;
  }
  return true;
}

// The physical line (1-based) byte `offset` is on: LF, CRLF and a lone CR each end a line.
std::uint64_t LineOf(std::string_view text, std::size_t offset) {
  std::uint64_t line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

void CheckError(const Error& error, std::string_view text) {
  FUZZ_CHECK(error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kTooLarge);
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  FUZZ_CHECK(std::sscanf(error.message.c_str(), "line %" SCNu64 " (byte %" SCNu64 "): ", &line,
                         &offset) == 2);
  FUZZ_CHECK(offset < text.size());
  FUZZ_CHECK(line == LineOf(text, offset));
}

void CheckRows(const Outcome& out, const CsvOptions& options) {
  FUZZ_CHECK(out.rows_counted == out.rows.size());
  std::uint64_t previous_line = 0;
  for (const CsvRow& row : out.rows) {
    FUZZ_CHECK(row.line > previous_line);
    previous_line = row.line;
    FUZZ_CHECK(!row.fields.empty() && row.fields.size() <= options.max_columns);
    std::size_t row_bytes = 0;
    for (const std::string& field : row.fields) {
      FUZZ_CHECK(field.size() <= options.max_field_bytes);
      FUZZ_CHECK(field.find('\0') == std::string::npos);
      FUZZ_CHECK(ValidUtf8(field));
      row_bytes += field.size();
    }
    FUZZ_CHECK(row_bytes > 0 && row_bytes <= options.max_row_bytes);
  }
}

// Windows-1252 0x80-0x9F as code points; 0 where undefined.
constexpr std::uint16_t kCp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// The text the reference parser reads: the BOM dropped, or single bytes transcoded; nullopt
// if a byte has no character (the parser must fail then).
std::optional<std::string> ReferenceText(std::string_view text, SourceEncoding encoding) {
  if (encoding == SourceEncoding::kUtf8) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    return std::string(text);
  }
  std::string out;
  for (char c : text) {
    std::uint32_t cp = static_cast<std::uint8_t>(c);
    if (encoding == SourceEncoding::kWindows1252 && cp >= 0x80 && cp < 0xA0) {
      cp = kCp1252[cp - 0x80];
      if (cp == 0) return std::nullopt;
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

// A naive RFC 4180 reader with the same rules (quote errors, line numbers, empty rows
// skipped) and no limits or validation; nullopt on a quote error or an open quote at the end.
std::optional<std::vector<CsvRow>> ReferenceParse(std::string_view s) {
  enum { kStart, kUnquoted, kQuoted, kAfterQuote } state = kStart;
  std::vector<CsvRow> rows;
  CsvRow row;
  row.line = 1;
  std::string field;
  std::uint64_t line = 1;
  auto end_field = [&] {
    row.fields.push_back(field);
    field.clear();
    state = kStart;
  };
  auto end_row = [&] {
    end_field();
    bool empty = true;
    for (const auto& f : row.fields) empty = empty && f.empty();
    if (!empty) rows.push_back(row);
    row.fields.clear();
    row.line = line;
  };
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const std::size_t eol = c == '\n'   ? 1
                            : c == '\r' ? (i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1)
                                        : 0;
    if (state == kStart) {
      if (c == '"') {
        state = kQuoted;
        ++i;
        continue;
      }
      state = kUnquoted;
    }
    if (state == kQuoted) {
      if (c == '"') {
        state = kAfterQuote;
      } else {
        field += s.substr(i, eol ? eol : 1);
        line += eol ? 1 : 0;
      }
      i += eol ? eol : 1;
    } else if (c == ',') {
      end_field();
      ++i;
    } else if (eol) {
      i += eol;
      ++line;
      end_row();
    } else if (state == kAfterQuote) {
      if (c != '"') return std::nullopt;
      field += '"';
      state = kQuoted;
      ++i;
    } else {
      if (c == '"') return std::nullopt;
      field += c;
      ++i;
    }
  }
  if (state == kQuoted) return std::nullopt;
  end_row();
  return rows;
}

std::string Quote(const CsvRow& row) {
  std::string out;
  for (std::size_t i = 0; i < row.fields.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : row.fields[i]) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const CsvOptions options = OptionsFrom(data[0]);
  constexpr std::size_t kLargestPiece[16] = {1,  2,  3,  4,   5,   7,    8,    13,
                                             16, 31, 64, 100, 256, 1000, 4096, 65536};
  const std::size_t largest = kLargestPiece[data[0] >> 4];
  std::uint32_t seed = data[1] * 2654435761u + 1;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Outcome whole = Parse(text, options, [&] { return text.size() + 1; });
  const Outcome pieces = Parse(text, options, [&] {
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;  // xorshift32
    return 1 + seed % largest;
  });
  FUZZ_CHECK(SameRows(whole.rows, pieces.rows, true));
  FUZZ_CHECK(SameError(whole.error, pieces.error));
  CheckRows(whole, options);
  if (whole.error) CheckError(*whole.error, text);
  if (!whole.error) FUZZ_CHECK(whole.bytes_fed == text.size());

  const bool utf8 = options.encoding == SourceEncoding::kUtf8;
  const std::optional<std::string> reference_text = ReferenceText(text, options.encoding);
  if (utf8) {
    const bool valid = ValidUtf8(*reference_text);
    if (!whole.error) FUZZ_CHECK(valid && reference_text->find('\0') == std::string::npos);
    if (whole.error && whole.error->message.find("invalid UTF-8") != std::string::npos) {
      FUZZ_CHECK(!valid);
    }
  }
  if (!reference_text) {
    FUZZ_CHECK(whole.error.has_value());
    return 0;
  }
  const auto reference = ReferenceParse(*reference_text);
  if (!reference) FUZZ_CHECK(whole.error.has_value());
  if (whole.error && whole.error->message.find("quote") != std::string::npos) {
    FUZZ_CHECK(!reference);
  }
  if (whole.error) return 0;
  FUZZ_CHECK(reference && SameRows(whole.rows, *reference, true));

  // Written back with every field quoted, the rows read the same (lines aside: quoted line
  // ends are counted).
  std::string written;
  for (const CsvRow& row : whole.rows) written += Quote(row);
  CsvOptions utf8_options = options;
  utf8_options.encoding = SourceEncoding::kUtf8;
  const Outcome reread = Parse(written, utf8_options, [&] { return written.size() + 1; });
  FUZZ_CHECK(!reread.error && SameRows(whole.rows, reread.rows, false));
  return 0;
}

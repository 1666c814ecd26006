// CsvParser: the Altru sample export, line ends, quoting, empty rows, BOM, transcoding, every
// error with the line and byte it names, limits, and that cutting the input into pieces of any
// size changes nothing. This file also defines the test module.
#define BOOST_TEST_MODULE handlers
#include "handlers/import/csv_parser.h"

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace passledger::handlers {
namespace {

using namespace std::string_literals;

struct Parsed {
  std::vector<CsvRow> rows;
  std::optional<Error> error;
  std::uint64_t rows_counted = 0;  // CsvParser::rows() at the end
};

// Feeds `text` in pieces of `piece` bytes (0: all at once), then finishes; stops at the first
// error.
Parsed Parse(std::string_view text, const CsvOptions& options = {}, std::size_t piece = 0) {
  Parsed parsed;
  CsvParser parser(options, [&](const CsvRow& row) -> Result<void> {
    parsed.rows.push_back(row);
    return {};
  });
  if (piece == 0) piece = text.size() + 1;
  for (std::size_t at = 0; at < text.size() && !parsed.error; at += piece) {
    if (auto fed = parser.Feed(text.substr(at, piece)); !fed) parsed.error = fed.error();
  }
  if (!parsed.error) {
    if (auto finished = parser.Finish(); !finished) parsed.error = finished.error();
  }
  parsed.rows_counted = parser.rows();
  return parsed;
}

// "3:[a][b,c]" for a row starting on line 3 with fields a and "b,c".
std::string Show(const CsvRow& row) {
  std::string out = std::to_string(row.line) + ":";
  for (const std::string& field : row.fields) out += "[" + field + "]";
  return out;
}

std::vector<std::string> Show(const Parsed& parsed) {
  std::vector<std::string> out;
  for (const CsvRow& row : parsed.rows) out.push_back(Show(row));
  if (parsed.error) out.push_back("error: " + parsed.error->ToString());
  return out;
}

std::vector<std::string> Rows(std::string_view text, const CsvOptions& options = {},
                              std::size_t piece = 0) {
  return Show(Parse(text, options, piece));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string SampleRoster() { return ReadFile(PASSLEDGER_TEST_DATA_DIR "/altru-roster.csv"); }

CsvOptions Encoding(SourceEncoding encoding) {
  CsvOptions options;
  options.encoding = encoding;
  return options;
}

BOOST_AUTO_TEST_CASE(sample_roster_parses_to_the_expected_rows) {
  const Parsed parsed = Parse(SampleRoster());
  BOOST_TEST_REQUIRE(!parsed.error.has_value());
  // A header and eight data rows; the two trailing rows of empty fields are skipped.
  BOOST_TEST_REQUIRE(parsed.rows.size() == 9u);
  BOOST_TEST(parsed.rows_counted == 9u);
  for (std::size_t i = 0; i < parsed.rows.size(); ++i) {
    BOOST_TEST(parsed.rows[i].line == i + 1);
    BOOST_TEST(parsed.rows[i].fields.size() == 15u);
  }
  const auto& rows = parsed.rows;
  BOOST_TEST(rows[0].fields[0] == "Membership ID");  // the BOM is dropped
  BOOST_TEST(rows[0].fields[14] == "Members\\Membership\\Add-ons\\Quantity");
  BOOST_TEST(rows[1].fields[11] == "15210");
  BOOST_TEST(rows[2].fields[4] == "Jordan Quill");
  BOOST_TEST(rows[3].fields[8] == "Apt 3, Rear");
  BOOST_TEST(rows[3].fields[11] == "01520");
  BOOST_TEST(rows[3].fields[2] == "8/31/27");
  BOOST_TEST(rows[3].fields[14] == "2");
  BOOST_TEST(rows[4].fields[13] == "Parking");
  BOOST_TEST(rows[5].fields[3] == "Lapsed");
  BOOST_TEST(rows[6].fields[6] == "");
  BOOST_TEST(rows[6].fields[13] == "Guest Pass");
  BOOST_TEST(rows[6].fields[14] == "10");
  BOOST_TEST(rows[7].fields[4] == "Jos\u00e9 N\u00fa\u00f1ez");
  BOOST_TEST(rows[7].fields[7] == "9 \"Willow\" Court");
  BOOST_TEST(rows[8].fields[0] == "8-10000006");
  BOOST_TEST(rows[8].fields[12] == "");
}

BOOST_AUTO_TEST_CASE(crlf_lf_and_lone_cr_end_lines) {
  const std::vector<std::string> expected = {"1:[a][b]", "2:[c][d]"};
  for (const std::string text :
       {"a,b\r\nc,d\r\n", "a,b\nc,d\n", "a,b\rc,d\r", "a,b\r\nc,d", "a,b\rc,d\n", "a,b\nc,d\r"}) {
    BOOST_TEST_CONTEXT("input " << text) {
      BOOST_TEST(Rows(text) == expected, boost::test_tools::per_element());
    }
  }
  // A CR followed by CRLF is two line ends, LF then CRLF too; CRLF is one.
  BOOST_TEST(Rows("a\r\r\nb") == (std::vector<std::string>{"1:[a]", "3:[b]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("a\n\r\nb") == (std::vector<std::string>{"1:[a]", "3:[b]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("a\r\n\nb\n\rc") == (std::vector<std::string>{"1:[a]", "3:[b]", "5:[c]"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(last_row_without_a_line_end) {
  BOOST_TEST(Rows("a,b") == (std::vector<std::string>{"1:[a][b]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("x\na,\"b\"") == (std::vector<std::string>{"1:[x]", "2:[a][b]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("a,") == (std::vector<std::string>{"1:[a][]"}), boost::test_tools::per_element());
  BOOST_TEST(Rows("").empty());
}

BOOST_AUTO_TEST_CASE(quoted_fields_keep_commas_quotes_and_line_ends) {
  BOOST_TEST(Rows("\"a,b\",\"say \"\"hi\"\"\",\"\",x\n") ==
                 (std::vector<std::string>{"1:[a,b][say \"hi\"][][x]"}),
             boost::test_tools::per_element());
  // Line ends inside quotes are kept as they are and advance the line count.
  const std::string text = "id,note\r\n1,\"one\r\ntwo\"\r\n2,\"a\nb\rc\"\n3,x";
  BOOST_TEST(Rows(text) == (std::vector<std::string>{"1:[id][note]", "2:[1][one\r\ntwo]",
                                                     "4:[2][a\nb\rc]", "7:[3][x]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("\"\"\"\"") == (std::vector<std::string>{"1:[\"]"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_of_empty_fields_are_skipped_anywhere) {
  const std::string text = "\n,,\n\"\",\"\"\na\n\n,\r\nb\n,";
  BOOST_TEST(Rows(text) == (std::vector<std::string>{"4:[a]", "7:[b]"}),
             boost::test_tools::per_element());
  // A row with one non-empty field keeps all its fields.
  BOOST_TEST(Rows(",x,\n") == (std::vector<std::string>{"1:[][x][]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Parse(",,,\n\n\r\n").rows_counted == 0u);
}

BOOST_AUTO_TEST_CASE(bom_is_dropped_only_at_the_start) {
  const std::string bom = "\xEF\xBB\xBF";
  using Expected = std::vector<std::string>;
  BOOST_TEST(Rows(bom + "a,b") == (Expected{"1:[a][b]"}), boost::test_tools::per_element());
  BOOST_TEST(Rows(bom + bom + "a") == (Expected{"1:[" + bom + "a]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows("x\n" + bom + "a") == (Expected{"1:[x]", "2:[" + bom + "a]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows(bom).empty());
  // A start that only looks like a BOM is data, held back and then parsed.
  for (std::size_t piece : {0, 1, 2}) {
    BOOST_TEST(Rows("\xEF\xBC\x81,a", {}, piece) == (Expected{"1:[\uff01][a]"}),
               boost::test_tools::per_element());
    BOOST_TEST(Rows(bom.substr(0, 2) + "a", {}, piece) ==
                   (Expected{"error: invalid argument: line 1 (byte 0): invalid UTF-8"}),
               boost::test_tools::per_element());
  }
  // A declared single-byte encoding has no BOM: the bytes are characters.
  BOOST_TEST(
      Rows(bom + "a", Encoding(SourceEncoding::kLatin1)) == (Expected{"1:[\u00ef\u00bb\u00bfa]"}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(windows1252_and_latin1_are_transcoded) {
  const std::string text = "Jos\xE9,\x80 5,\x99,\x9F,\x8A,\xFF,\xA0\n";
  BOOST_TEST(Rows(text, Encoding(SourceEncoding::kWindows1252)) ==
                 (std::vector<std::string>{"1:[Jos\u00e9][\u20ac 5][\u2122][\u0178][\u0160][\u00ff]"
                                           "[\u00a0]"}),
             boost::test_tools::per_element());
  BOOST_TEST(Rows(text, Encoding(SourceEncoding::kLatin1)) ==
                 (std::vector<std::string>{"1:[Jos\u00e9][\u0080 5][\u0099][\u009f][\u008a][\u00ff]"
                                           "[\u00a0]"}),
             boost::test_tools::per_element());
  // Bytes that are UTF-8 elsewhere are two characters here.
  BOOST_TEST(Rows("\xC3\xA9", Encoding(SourceEncoding::kWindows1252)) ==
                 (std::vector<std::string>{"1:[\u00c3\u00a9]"}),
             boost::test_tools::per_element());
}

// Inputs whose rows must not depend on how they are cut into pieces.
std::vector<std::pair<std::string, CsvOptions>> PieceInputs() {
  return {
      {SampleRoster(), {}},
      {"\xEF\xBB\xBF\"na\xC3\xAFve\",\xE2\x82\xAC 5,\xF0\x9F\x8E\x9F\r\n"
       "\"multi\r\nline \"\"q\"\"\",\xE6\x97\xA5\xE6\x9C\xAC\r\r\n"
       ",,\n"
       "\"\"\n"
       "\xC3\xA9\xC3\xA9\xC3\xA9,x\r"
       "last,\"\"",
       {}},
      {"Jos\xE9,\x80\x99\r\n\"\x9F\"\"\xE9\"\r\n,\n\xE9", Encoding(SourceEncoding::kWindows1252)},
  };
}

BOOST_AUTO_TEST_CASE(every_piece_size_gives_the_same_rows) {
  for (const auto& [text, options] : PieceInputs()) {
    const std::vector<std::string> whole = Rows(text, options);
    BOOST_TEST_REQUIRE(whole.size() >= 3u);
    BOOST_TEST(whole.back().rfind("error", 0) == std::string::npos);
    for (std::size_t piece = 1; piece <= 17; ++piece) {
      BOOST_TEST_CONTEXT("piece size " << piece) {
        BOOST_TEST(Rows(text, options, piece) == whole, boost::test_tools::per_element());
      }
    }
  }
}

struct ErrorCase {
  std::string input;
  SourceEncoding encoding;
  ErrorCode code;
  std::string message;  // the whole message, or its start
};

std::vector<ErrorCase> ErrorCases() {
  using enum SourceEncoding;
  const ErrorCode kInvalid = ErrorCode::kInvalidArgument;
  return {
      {"a,b\nc\"d,e\n", kUtf8, kInvalid, "line 2 (byte 5): unexpected quote in an unquoted field"},
      {"a,b\n x\"", kUtf8, kInvalid, "line 2 (byte 6): unexpected quote"},
      {"a\n\"x\"y\n", kUtf8, kInvalid,
       "line 2 (byte 5): unexpected character after a closing quote"},
      {"\"x\" ,y", kUtf8, kInvalid, "line 1 (byte 3): unexpected character after a closing quote"},
      {"a\nb,\"x\ny\nz", kUtf8, kInvalid, "line 2 (byte 4): quoted field is never closed"},
      {"\"", kUtf8, kInvalid, "line 1 (byte 0): quoted field is never closed"},
      {"a,b\nc\0d"s, kUtf8, kInvalid, "line 2 (byte 5): NUL byte (binary data"},
      {"\"a\0\""s, kUtf8, kInvalid, "line 1 (byte 2): NUL byte (binary data"},
      {"\"a\"\0"s, kUtf8, kInvalid, "line 1 (byte 3): NUL byte (binary data"},
      {"\xC3\0"s, kUtf8, kInvalid, "line 1 (byte 1): NUL byte (binary data"},
      {"\x01\0"s, kLatin1, kInvalid, "line 1 (byte 1): NUL byte (binary data"},
      {"ok\n\xC0\x80", kUtf8, kInvalid, "line 2 (byte 3): invalid UTF-8"},          // overlong
      {"\xE0\x80\xAF", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},          // overlong
      {"\xF0\x8F\xBF\xBF", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},      // overlong
      {"x,\xED\xA0\x80", kUtf8, kInvalid, "line 1 (byte 2): invalid UTF-8"},        // surrogate
      {"\"\xF4\x90\x80\x80\"", kUtf8, kInvalid, "line 1 (byte 1): invalid UTF-8"},  // > U+10FFFF
      {"\xF5\x80\x80\x80", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},
      {"\xFF", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},
      {"a\x80", kUtf8, kInvalid, "line 1 (byte 1): invalid UTF-8"},          // lone continuation
      {"\xE2\x82,x", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},     // truncated
      {"\xE2\x82\nx", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},    // truncated
      {"a,b\n\xE2\x82", kUtf8, kInvalid, "line 2 (byte 4): invalid UTF-8"},  // cut by the end
      {"a\n\"\xF0\x9F\x8E", kUtf8, kInvalid, "line 2 (byte 3): invalid UTF-8"},
      {"\xEF\xBB", kUtf8, kInvalid, "line 1 (byte 0): invalid UTF-8"},  // half a BOM
      {"\"a\"\xC3\xA9", kUtf8, kInvalid,
       "line 1 (byte 3): unexpected character after a closing quote"},
      {"a\r\nb\x81", kWindows1252, kInvalid,
       "line 2 (byte 4): byte 0x81 is not a character in Windows-1252"},
      {"\x8D", kWindows1252, kInvalid, "line 1 (byte 0): byte 0x8D is not"},
      {"\"\x8F\"", kWindows1252, kInvalid, "line 1 (byte 1): byte 0x8F is not"},
      {"\x90", kWindows1252, kInvalid, "line 1 (byte 0): byte 0x90 is not"},
      {"\x9D", kWindows1252, kInvalid, "line 1 (byte 0): byte 0x9D is not"},
  };
}

BOOST_AUTO_TEST_CASE(errors_name_the_line_and_byte_whatever_the_pieces) {
  for (const ErrorCase& c : ErrorCases()) {
    for (std::size_t piece : {0, 1, 2, 3, 5}) {
      BOOST_TEST_CONTEXT("input " << c.input << ", piece size " << piece) {
        const Parsed parsed = Parse(c.input, Encoding(c.encoding), piece);
        BOOST_TEST_REQUIRE(parsed.error.has_value());
        BOOST_TEST(ErrorCodeName(parsed.error->code) == ErrorCodeName(c.code));
        BOOST_TEST(parsed.error->message.substr(0, c.message.size()) == c.message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rows_before_an_error_are_delivered_and_the_error_sticks) {
  std::vector<std::string> seen;
  CsvParser parser({}, [&](const CsvRow& row) -> Result<void> {
    seen.push_back(Show(row));
    return {};
  });
  BOOST_TEST_REQUIRE(parser.Feed("a\nb\"c\nd\n").has_error());
  BOOST_TEST(seen == (std::vector<std::string>{"1:[a]"}), boost::test_tools::per_element());
  const std::string message = "line 2 (byte 3): unexpected quote";
  for (auto again : {parser.Feed("e\n"), parser.Finish(), parser.Feed("")}) {
    BOOST_TEST_REQUIRE(again.has_error());
    BOOST_TEST(again.error().message.substr(0, message.size()) == message);
  }
  BOOST_TEST(parser.rows() == 1u);
}

BOOST_AUTO_TEST_CASE(an_error_from_the_callback_stops_the_parse) {
  std::vector<std::string> seen;
  CsvParser parser({}, [&](const CsvRow& row) -> Result<void> {
    seen.push_back(Show(row));
    if (row.line == 2) return MakeError(ErrorCode::kConflict, "member 8-1 is already enrolled");
    return {};
  });
  auto fed = parser.Feed("a\nb\nc\nd");
  BOOST_TEST_REQUIRE(fed.has_error());
  BOOST_TEST(ErrorCodeName(fed.error().code) == ErrorCodeName(ErrorCode::kConflict));
  BOOST_TEST(fed.error().message == "member 8-1 is already enrolled");
  BOOST_TEST(seen == (std::vector<std::string>{"1:[a]", "2:[b]"}),
             boost::test_tools::per_element());
  auto finished = parser.Finish();
  BOOST_TEST_REQUIRE(finished.has_error());
  BOOST_TEST(finished.error().message == "member 8-1 is already enrolled");
  BOOST_TEST(seen.size() == 2u);
}

BOOST_AUTO_TEST_CASE(feed_after_finish_is_refused) {
  CsvParser parser({}, [](const CsvRow&) -> Result<void> { return {}; });
  BOOST_TEST_REQUIRE(!parser.Feed("a,b\n").has_error());
  BOOST_TEST(parser.bytes_fed() == 4u);
  BOOST_TEST_REQUIRE(!parser.Finish().has_error());
  auto late = parser.Feed("c\n");
  BOOST_TEST_REQUIRE(late.has_error());
  BOOST_TEST(ErrorCodeName(late.error().code) == ErrorCodeName(ErrorCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_CASE(parse_csv_is_feed_and_finish) {
  std::vector<std::string> seen;
  auto parsed = ParseCsv("a,\"b\nc\"\n\nd", {}, [&](const CsvRow& row) -> Result<void> {
    seen.push_back(Show(row));
    return {};
  });
  BOOST_TEST_REQUIRE(!parsed.has_error());
  BOOST_TEST(seen == (std::vector<std::string>{"1:[a][b\nc]", "4:[d]"}),
             boost::test_tools::per_element());
  auto unterminated = ParseCsv("a,\"b", {}, [](const CsvRow&) -> Result<void> { return {}; });
  BOOST_TEST_REQUIRE(unterminated.has_error());
  BOOST_TEST(unterminated.error().message.rfind("line 1 (byte 2): quoted field", 0) == 0u);
}

CsvOptions Limits(std::size_t field, std::size_t row, std::size_t columns,
                  SourceEncoding encoding = SourceEncoding::kUtf8) {
  CsvOptions options;
  options.max_field_bytes = field;
  options.max_row_bytes = row;
  options.max_columns = columns;
  options.encoding = encoding;
  return options;
}

struct LimitCase {
  std::string input;
  CsvOptions options;
  std::string error;  // empty: must parse
};

BOOST_AUTO_TEST_CASE(limits_are_enforced_exactly) {
  const std::vector<LimitCase> cases = {
      {"12345678,x\n", Limits(8, 100, 10), ""},
      {"a\n123456789\n", Limits(8, 100, 10), "line 2 (byte 10): field longer than 8 bytes"},
      {"\"1234\n678\"", Limits(8, 100, 10), ""},  // the kept LF counts
      {"\"1234\r\n678\"", Limits(8, 100, 10), "line 2 (byte 9): field longer than 8 bytes"},
      {"\"1234567\r\n\"", Limits(8, 100, 10), "line 1 (byte 9): field longer than 8 bytes"},
      {"\"a\"\"bcdef\"", Limits(7, 100, 10), ""},  // a doubled quote is one byte
      {"\"a\"\"bcdefg\"", Limits(7, 100, 10), "line 1 (byte 9): field longer than 7 bytes"},
      {"ab\xC3\xA9", Limits(4, 100, 10), ""},
      {"abc\xC3\xA9", Limits(4, 100, 10), "line 1 (byte 4): field longer than 4 bytes"},
      {"ab\xE9", Limits(4, 100, 10, SourceEncoding::kLatin1), ""},
      {"abc\xE9", Limits(4, 100, 10, SourceEncoding::kLatin1),
       "line 1 (byte 3): field longer than 4 bytes"},  // counted after transcoding
      {"12345,12345\n", Limits(8, 10, 10), ""},
      {"x\n\n12345,123456\n", Limits(8, 10, 10), "line 3 (byte 14): row longer than 10 bytes"},
      {"a,b,c,d\n", Limits(8, 100, 4), ""},
      {"a,b,c,d,e\n", Limits(8, 100, 4), "line 1 (byte 7): more than 4 columns"},
      {",,,,\n", Limits(8, 100, 4), "line 1 (byte 3): more than 4 columns"},
  };
  for (const LimitCase& c : cases) {
    for (std::size_t piece : {0, 1, 3}) {
      BOOST_TEST_CONTEXT("input " << c.input << ", piece size " << piece) {
        const Parsed parsed = Parse(c.input, c.options, piece);
        if (c.error.empty()) {
          BOOST_TEST(!parsed.error.has_value());
          continue;
        }
        BOOST_TEST_REQUIRE(parsed.error.has_value());
        BOOST_TEST(ErrorCodeName(parsed.error->code) == ErrorCodeName(ErrorCode::kTooLarge));
        BOOST_TEST(parsed.error->message == c.error);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(ten_thousand_columns_are_rejected) {
  std::string row;
  for (int i = 0; i < 10'000; ++i) row += i == 0 ? "x" : ",x";
  const Parsed parsed = Parse("h\n" + row + "\n", Limits(64, 1 << 20, 1000));
  BOOST_TEST_REQUIRE(parsed.error.has_value());
  BOOST_TEST(ErrorCodeName(parsed.error->code) == ErrorCodeName(ErrorCode::kTooLarge));
  // The comma after the 1000th field: 2 + 2 * 999 + 1.
  BOOST_TEST(parsed.error->message == "line 2 (byte 2001): more than 1000 columns");
  BOOST_TEST(parsed.rows.size() == 1u);
  // 1000 columns exactly are fine.
  row.resize(2 * 1000 - 1);
  BOOST_TEST(Parse(row, Limits(64, 1 << 20, 1000)).rows.at(0).fields.size() == 1000u);
}

// A 50 MB line, streamed in 4 KiB pieces: refused by the piece that passes the limit, not at
// the end of the line.
void ExpectLongLineStopsEarly(char filler, std::size_t field_bytes, const std::string& message) {
  CsvParser parser({}, [](const CsvRow&) -> Result<void> { return {}; });
  std::string piece(4096, filler);
  for (std::size_t i = field_bytes; i < piece.size(); i += field_bytes + 1) piece[i] = ',';
  std::optional<Error> error;
  for (std::size_t fed = 0; fed < 50u << 20 && !error; fed += piece.size()) {
    if (auto result = parser.Feed(piece); !result) error = result.error();
  }
  BOOST_TEST_REQUIRE(error.has_value());
  BOOST_TEST(ErrorCodeName(error->code) == ErrorCodeName(ErrorCode::kTooLarge));
  BOOST_TEST(error->message == message);
  BOOST_TEST(parser.bytes_fed() <= 2u << 20);
}

BOOST_AUTO_TEST_CASE(a_50_mb_line_is_refused_early) {
  ExpectLongLineStopsEarly('a', 1u << 30, "line 1 (byte 65536): field longer than 65536 bytes");
  // 4095-byte fields: the row limit (1 MiB of field bytes) comes before 1000 columns.
  // 256 fields hold 256 * 4095 = 1048320 bytes; the 257th passes 1048576 after 256 more bytes,
  // at byte 256 * 4096 + 256.
  ExpectLongLineStopsEarly('b', 4095, "line 1 (byte 1048832): row longer than 1048576 bytes");
}

}  // namespace
}  // namespace passledger::handlers

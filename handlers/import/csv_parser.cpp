// CsvParser: a byte-at-a-time state machine whose data states copy whole runs of ordinary
// bytes at once. Invariants between calls:
//  - field_ points at row_.fields[fields_used_ - 1], the field being filled; fields past
//    fields_used_ are left over from a longer row and are cleared before reuse, so their
//    capacity is kept from row to row.
//  - field_->size() <= max_field_bytes and row_bytes_ <= max_row_bytes, always: every append
//    is checked before it is made, and a run is never scanned further than one byte past the
//    room left, so an over-long line is rejected without being held.
//  - utf8_cut_size_ > 0 only in a data state: the first bytes of a UTF-8 sequence that the
//    last piece cut are held in utf8_cut_; the rest must come first in the next piece. The
//    sequence is checked for room only once complete, as an uncut one is, so the error an
//    input gets never depends on where it was cut.
//  - after_cr_: the last byte processed was a CR, so an LF at the start of the next piece is
//    the second half of a CRLF (one line end, not two). For a CR inside quotes the line is
//    counted only once that LF is seen (quoted_cr_pending_), so an error on the LF names the
//    same line however the input was cut.
#include "handlers/import/csv_parser.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace passledger::handlers {
namespace {

constexpr std::uint8_t kEndsUnquotedRun = 1;  // , " CR LF NUL and every byte >= 0x80
constexpr std::uint8_t kEndsQuotedRun = 2;    // " CR LF NUL and every byte >= 0x80

constexpr std::array<std::uint8_t, 256> MakeByteClasses() {
  std::array<std::uint8_t, 256> classes{};
  for (int b = 0x80; b < 0x100; ++b) classes[b] = kEndsUnquotedRun | kEndsQuotedRun;
  for (unsigned char b : {'\0', '"', '\r', '\n'}) classes[b] = kEndsUnquotedRun | kEndsQuotedRun;
  classes[','] = kEndsUnquotedRun;
  return classes;
}

constexpr std::array<std::uint8_t, 256> kByteClasses = MakeByteClasses();

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr std::size_t kBomSize = 3;

std::uint8_t Byte(char c) { return static_cast<std::uint8_t>(c); }

// What a UTF-8 lead byte starts (Unicode table 3-7): the sequence length (0 if the byte cannot
// start one) and the range of the second byte, which excludes overlongs, surrogates and code
// points above U+10FFFF. Later bytes are always 0x80-0xBF.
struct Utf8Lead {
  int length = 0;
  std::uint8_t low = 0;
  std::uint8_t high = 0;
};

constexpr Utf8Lead DecodeLead(std::uint8_t b) {
  if (b < 0xC2) return {};
  if (b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {};
}

// The length of the valid UTF-8 sequence starting at p, or 0 if it is invalid or cut by end.
int CompleteSequenceLength(const char* p, const char* end) {
  const Utf8Lead lead = DecodeLead(Byte(*p));
  if (lead.length == 0 || end - p < lead.length) return 0;
  if (Byte(p[1]) < lead.low || Byte(p[1]) > lead.high) return 0;
  for (int i = 2; i < lead.length; ++i) {
    if ((Byte(p[i]) & 0xC0) != 0x80) return 0;
  }
  return lead.length;
}

// A byte 0x80-0xFF of a single-byte encoding as UTF-8; length 0 if the byte is undefined.
struct Transcoded {
  std::uint8_t length = 0;
  char bytes[3] = {};
};

using TranscodeTable = std::array<Transcoded, 128>;

constexpr Transcoded EncodeUtf8(char16_t code_point) {
  Transcoded out;
  if (code_point == 0) return out;
  if (code_point < 0x800) {
    out.length = 2;
    out.bytes[0] = static_cast<char>(0xC0 | (code_point >> 6));
    out.bytes[1] = static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out.length = 3;
    out.bytes[0] = static_cast<char>(0xE0 | (code_point >> 12));
    out.bytes[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out.bytes[2] = static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return out;
}

// Windows-1252 0x80-0x9F (https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/
// CP1252.TXT); 0 marks the five undefined bytes. 0xA0-0xFF are the same as Latin-1.
constexpr std::array<char16_t, 32> kWindows1252C1 = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80-87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 88-8F
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90-97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,  // 98-9F
};

constexpr TranscodeTable MakeTranscodeTable(bool windows1252) {
  TranscodeTable table{};
  for (int b = 0x80; b < 0x100; ++b) {
    const bool c1 = b < 0xA0 && windows1252;
    table[b - 0x80] = EncodeUtf8(c1 ? kWindows1252C1[b - 0x80] : static_cast<char16_t>(b));
  }
  return table;
}

constexpr TranscodeTable kWindows1252Table = MakeTranscodeTable(true);
constexpr TranscodeTable kLatin1Table = MakeTranscodeTable(false);

std::string HexByte(std::uint8_t b) {
  constexpr char kDigits[] = "0123456789ABCDEF";
  return {'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

}  // namespace

class CsvParser::Impl {
 public:
  Impl(CsvOptions options, RowFn on_row)
      : options_(options),
        on_row_(std::move(on_row)),
        utf8_(options.encoding == SourceEncoding::kUtf8),
        transcode_(options.encoding == SourceEncoding::kWindows1252 ? &kWindows1252Table
                                                                    : &kLatin1Table),
        bom_pending_(utf8_) {
    StartRow();
  }

  Result<void> Feed(std::string_view bytes);
  Result<void> Finish();

  std::uint64_t bytes_fed() const { return bytes_fed_; }
  std::uint64_t rows() const { return rows_; }

 private:
  enum class State {
    kFieldStart,  // nothing of the current field seen yet
    kUnquoted,    // inside a field that did not start with a quote
    kQuoted,      // inside a quoted field
    kAfterQuote,  // after a quote in a quoted field: its end, or the first of a doubled quote
  };

  // Each step below consumes input at p and returns false once error_ is set.
  bool SkipBom(const char*& p, const char* end);
  bool Process(const char* p, const char* end, std::uint64_t offset);
  bool Unquoted(const char*& p, const char* end);
  bool Quoted(const char*& p, const char* end);
  bool AfterQuote(const char*& p, const char* end);
  bool QuotedLineEnd(const char*& p, const char* end);
  bool HighByte(const char*& p, const char* end);
  bool ContinueSequence(const char*& p, const char* end);
  bool EndField(const char*& p);
  bool EndLine(const char*& p, const char* end);
  bool EndRow();
  void StartRow();

  const char* ScanRun(const char* p, const char* end, std::uint8_t stops) const;
  bool Append(const char* p, std::size_t n);
  bool AppendTranscoded(const Transcoded& t, const char* at);
  // Whether n more bytes fit in the field and the row. `offset` is where the first of them is
  // in the input, or the one input byte they were transcoded from.
  bool CheckRoom(std::size_t n, std::uint64_t offset, bool transcoded) {
    if (n <= options_.max_field_bytes - field_->size() && n <= options_.max_row_bytes - row_bytes_)
        [[likely]] {
      return true;
    }
    return FailNoRoom(offset, transcoded);
  }
  [[gnu::cold, gnu::noinline]] bool FailNoRoom(std::uint64_t offset, bool transcoded);

  std::uint64_t OffsetOf(const char* p) const {
    return piece_offset_ + static_cast<std::uint64_t>(p - piece_);
  }
  bool Fail(ErrorCode code, std::uint64_t line, std::uint64_t offset, std::string_view what);
  bool Fail(ErrorCode code, const char* at, std::string_view what) {
    return Fail(code, line_, OffsetOf(at), what);
  }
  bool FailUtf8(std::uint64_t offset) {
    return Fail(ErrorCode::kInvalidArgument, line_, offset, "invalid UTF-8");
  }
  bool FailBinary(const char* at) {
    return Fail(ErrorCode::kInvalidArgument, at, "NUL byte (binary data, not a CSV text file)");
  }

  // Constant after construction.
  const CsvOptions options_;
  const RowFn on_row_;
  const bool utf8_;
  const TranscodeTable* const transcode_;

  // The input position.
  bool bom_pending_;          // the input so far is a proper prefix of a UTF-8 BOM
  std::size_t bom_held_ = 0;  // how many BOM bytes were seen and held back
  std::uint64_t bytes_fed_ = 0;
  std::uint64_t line_ = 1;  // the physical line of the next byte
  bool after_cr_ = false;
  const char* piece_ = nullptr;  // the piece being processed and its offset in the input
  std::uint64_t piece_offset_ = 0;
  bool quoted_cr_pending_ = false;
  char utf8_cut_[4] = {};      // a sequence cut by the end of the last piece
  int utf8_cut_size_ = 0;      // its bytes so far (0: none)
  int utf8_cut_length_ = 0;    // its whole length
  std::uint8_t utf8_low_ = 0;  // the range of its next byte
  std::uint8_t utf8_high_ = 0;
  std::uint64_t utf8_offset_ = 0;  // where it starts in the input

  // The row being read.
  State state_ = State::kFieldStart;
  CsvRow row_;
  std::size_t fields_used_ = 0;
  std::string* field_ = nullptr;
  std::size_t row_bytes_ = 0;
  std::uint64_t row_line_ = 1;
  std::uint64_t quote_line_ = 0;  // where the open quoted field started
  std::uint64_t quote_offset_ = 0;

  std::uint64_t rows_ = 0;
  bool finished_ = false;
  std::optional<Error> error_;
};

Result<void> CsvParser::Impl::Feed(std::string_view bytes) {
  if (error_) return *error_;
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "CsvParser: Feed after Finish");
  const std::uint64_t offset = bytes_fed_;
  bytes_fed_ += bytes.size();
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  if (bom_pending_ && !SkipBom(p, end)) return *error_;
  if (!Process(p, end, offset + static_cast<std::uint64_t>(p - bytes.data()))) return *error_;
  return {};
}

Result<void> CsvParser::Impl::Finish() {
  if (error_) return *error_;
  if (finished_) return MakeError(ErrorCode::kFailedPrecondition, "CsvParser: Finish called twice");
  finished_ = true;
  if (quoted_cr_pending_) ++line_;
  if (bom_pending_) {  // the whole input is a proper prefix of a BOM: it is data
    bom_pending_ = false;
    if (!Process(kBom, kBom + bom_held_, 0)) return *error_;
  }
  if (utf8_cut_size_ > 0) {
    FailUtf8(utf8_offset_);
    return *error_;
  }
  if (state_ == State::kQuoted) {
    Fail(ErrorCode::kInvalidArgument, quote_line_, quote_offset_,
         "quoted field is never closed (no closing quote before the end of the input)");
    return *error_;
  }
  if (!EndRow()) return *error_;
  return {};
}

// Holds back the bytes of a leading BOM until it is complete (dropped) or turns out to be
// something else (processed as data).
bool CsvParser::Impl::SkipBom(const char*& p, const char* end) {
  while (p < end && bom_held_ < kBomSize && *p == kBom[bom_held_]) {
    ++bom_held_;
    ++p;
  }
  if (bom_held_ == kBomSize) {
    bom_pending_ = false;
    return true;
  }
  if (p == end) return true;
  bom_pending_ = false;
  return Process(kBom, kBom + bom_held_, 0);
}

bool CsvParser::Impl::Process(const char* p, const char* end, std::uint64_t offset) {
  piece_ = p;
  piece_offset_ = offset;
  if (utf8_cut_size_ > 0 && !ContinueSequence(p, end)) return false;
  if (after_cr_ && p < end) {
    after_cr_ = false;
    if (*p == '\n') {  // the LF of a CRLF cut between pieces: one line end, already ended
      if (state_ == State::kQuoted && !Append(p, 1)) return false;
      ++p;
    }
    if (quoted_cr_pending_) {
      quoted_cr_pending_ = false;
      ++line_;
    }
  }
  while (p < end) {
    bool ok = true;
    switch (state_) {
      case State::kFieldStart:
        if (*p == '"') {
          quote_line_ = line_;
          quote_offset_ = OffsetOf(p);
          state_ = State::kQuoted;
          ++p;
          break;
        }
        state_ = State::kUnquoted;
        [[fallthrough]];
      case State::kUnquoted:
        ok = Unquoted(p, end);
        break;
      case State::kQuoted:
        ok = Quoted(p, end);
        break;
      case State::kAfterQuote:
        ok = AfterQuote(p, end);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool CsvParser::Impl::Unquoted(const char*& p, const char* end) {
  const char* run = p;
  p = ScanRun(p, end, kEndsUnquotedRun);
  if (p != run && !Append(run, static_cast<std::size_t>(p - run))) return false;
  if (p == end) return true;
  switch (*p) {
    case ',':
      return EndField(p);
    case '\r':
    case '\n':
      return EndLine(p, end);
    case '"':
      return Fail(ErrorCode::kInvalidArgument, p,
                  "unexpected quote in an unquoted field (a field with quotes must be quoted "
                  "as a whole, its quotes doubled)");
    case '\0':
      return FailBinary(p);
    default:
      return HighByte(p, end);
  }
}

bool CsvParser::Impl::Quoted(const char*& p, const char* end) {
  const char* run = p;
  p = ScanRun(p, end, kEndsQuotedRun);
  if (p != run && !Append(run, static_cast<std::size_t>(p - run))) return false;
  if (p == end) return true;
  switch (*p) {
    case '"':
      state_ = State::kAfterQuote;
      ++p;
      return true;
    case '\r':
    case '\n':
      return QuotedLineEnd(p, end);
    case '\0':
      return FailBinary(p);
    default:
      return HighByte(p, end);
  }
}

bool CsvParser::Impl::AfterQuote(const char*& p, const char* end) {
  switch (*p) {
    case '"':  // a doubled quote stands for one
      if (!Append(p, 1)) return false;
      state_ = State::kQuoted;
      ++p;
      return true;
    case ',':
      return EndField(p);
    case '\r':
    case '\n':
      return EndLine(p, end);
    case '\0':
      return FailBinary(p);
    default:
      return Fail(ErrorCode::kInvalidArgument, p,
                  "unexpected character after a closing quote (only a comma or a line end may "
                  "follow)");
  }
}

// A line end inside a quoted field is kept as it is (CRLF, LF or CR) and counted as a line.
bool CsvParser::Impl::QuotedLineEnd(const char*& p, const char* end) {
  if (p[0] == '\r' && p + 1 == end) {  // the next piece may start with its LF
    if (!Append(p, 1)) return false;
    after_cr_ = true;
    quoted_cr_pending_ = true;
    ++p;
    return true;
  }
  const std::size_t n = (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
  if (!Append(p, n)) return false;
  p += n;
  ++line_;
  return true;
}

// A byte >= 0x80 that ScanRun did not take: transcoded, or in UTF-8 an invalid sequence or
// one cut by the end of the piece.
bool CsvParser::Impl::HighByte(const char*& p, const char* end) {
  if (!utf8_) {
    const Transcoded& t = (*transcode_)[Byte(*p) - 0x80];
    if (t.length == 0) {
      return Fail(ErrorCode::kInvalidArgument, p,
                  "byte " + HexByte(Byte(*p)) + " is not a character in Windows-1252");
    }
    if (!AppendTranscoded(t, p)) return false;
    ++p;
    return true;
  }
  const Utf8Lead lead = DecodeLead(Byte(*p));
  if (lead.length == 0) return FailUtf8(OffsetOf(p));
  std::uint8_t low = lead.low;
  std::uint8_t high = lead.high;
  for (int i = 1; i < lead.length; ++i) {
    if (p + i == end) {  // cut: hold the bytes so far, the rest comes in the next piece
      std::copy(p, end, utf8_cut_);
      utf8_cut_size_ = i;
      utf8_cut_length_ = lead.length;
      utf8_low_ = low;
      utf8_high_ = high;
      utf8_offset_ = OffsetOf(p);
      p = end;
      return true;
    }
    if (p[i] == '\0') return FailBinary(p + i);
    if (Byte(p[i]) < low || Byte(p[i]) > high) return FailUtf8(OffsetOf(p));
    low = 0x80;
    high = 0xBF;
  }
  if (!Append(p, static_cast<std::size_t>(lead.length))) return false;
  p += lead.length;
  return true;
}

bool CsvParser::Impl::ContinueSequence(const char*& p, const char* end) {
  for (; utf8_cut_size_ < utf8_cut_length_ && p < end; ++p) {
    if (*p == '\0') return FailBinary(p);
    if (Byte(*p) < utf8_low_ || Byte(*p) > utf8_high_) return FailUtf8(utf8_offset_);
    utf8_cut_[utf8_cut_size_++] = *p;
    utf8_low_ = 0x80;
    utf8_high_ = 0xBF;
  }
  if (utf8_cut_size_ < utf8_cut_length_) return true;
  const auto length = static_cast<std::size_t>(utf8_cut_length_);
  utf8_cut_size_ = 0;
  if (!CheckRoom(length, utf8_offset_, false)) return false;
  field_->append(utf8_cut_, length);
  row_bytes_ += length;
  return true;
}

bool CsvParser::Impl::EndField(const char*& p) {
  if (fields_used_ >= options_.max_columns) {
    return Fail(ErrorCode::kTooLarge, p,
                "more than " + std::to_string(options_.max_columns) + " columns");
  }
  if (fields_used_ == row_.fields.size()) {
    row_.fields.emplace_back();
  } else {
    row_.fields[fields_used_].clear();
  }
  field_ = &row_.fields[fields_used_];
  ++fields_used_;
  state_ = State::kFieldStart;
  ++p;
  return true;
}

bool CsvParser::Impl::EndLine(const char*& p, const char* end) {
  const bool cr = *p == '\r';
  ++p;
  ++line_;
  if (cr) {
    if (p == end) {
      after_cr_ = true;
    } else if (*p == '\n') {
      ++p;
    }
  }
  return EndRow();
}

bool CsvParser::Impl::EndRow() {
  if (row_bytes_ > 0) {  // rows whose fields are all empty are skipped
    row_.fields.resize(fields_used_);
    row_.line = row_line_;
    ++rows_;
    auto handled = on_row_(row_);
    if (!handled) {
      error_ = std::move(handled).error();
      return false;
    }
  }
  StartRow();
  return true;
}

void CsvParser::Impl::StartRow() {
  if (row_.fields.empty()) row_.fields.emplace_back();
  row_.fields[0].clear();
  field_ = &row_.fields[0];
  fields_used_ = 1;
  row_bytes_ = 0;
  row_line_ = line_;
  state_ = State::kFieldStart;
}

// The end of the run of bytes at p that can be copied as they are: up to a byte in `stops`,
// but across complete valid UTF-8 sequences, and never more than one byte past the room left
// in the field and row (so that Append rejects it).
const char* CsvParser::Impl::ScanRun(const char* p, const char* end, std::uint8_t stops) const {
  const std::size_t room =
      std::min(options_.max_field_bytes - field_->size(), options_.max_row_bytes - row_bytes_);
  const char* stop = static_cast<std::size_t>(end - p) > room ? p + room + 1 : end;
  for (;;) {
    while (p < stop && (kByteClasses[Byte(*p)] & stops) == 0) ++p;
    if (p >= stop || !utf8_ || Byte(*p) < 0x80) return p;
    const int n = CompleteSequenceLength(p, end);
    if (n == 0) return p;
    p += n;
  }
}

bool CsvParser::Impl::Append(const char* p, std::size_t n) {
  if (!CheckRoom(n, OffsetOf(p), false)) return false;
  field_->append(p, n);
  row_bytes_ += n;
  return true;
}

bool CsvParser::Impl::AppendTranscoded(const Transcoded& t, const char* at) {
  if (!CheckRoom(t.length, OffsetOf(at), true)) return false;
  field_->append(t.bytes, t.length);
  row_bytes_ += t.length;
  return true;
}

// CheckRoom's error, kept out of the hot path: it names the first input byte that does not
// fit, and the limit it passes first.
bool CsvParser::Impl::FailNoRoom(std::uint64_t offset, bool transcoded) {
  const std::size_t field_room = options_.max_field_bytes - field_->size();
  const std::size_t row_room = options_.max_row_bytes - row_bytes_;
  const bool field = field_room <= row_room;
  if (!transcoded) offset += field ? field_room : row_room;
  const std::string what = field ? "field longer than " + std::to_string(options_.max_field_bytes)
                                 : "row longer than " + std::to_string(options_.max_row_bytes);
  return Fail(ErrorCode::kTooLarge, line_, offset, what + " bytes");
}

bool CsvParser::Impl::Fail(ErrorCode code, std::uint64_t line, std::uint64_t offset,
                           std::string_view what) {
  error_ = MakeError(code, "line " + std::to_string(line) + " (byte " + std::to_string(offset) +
                               "): " + std::string(what));
  return false;
}

CsvParser::CsvParser(CsvOptions options, RowFn on_row)
    : impl_(std::make_unique<Impl>(options, std::move(on_row))) {}

CsvParser::~CsvParser() = default;

Result<void> CsvParser::Feed(std::string_view bytes) { return impl_->Feed(bytes); }

Result<void> CsvParser::Finish() { return impl_->Finish(); }

std::uint64_t CsvParser::bytes_fed() const { return impl_->bytes_fed(); }

std::uint64_t CsvParser::rows() const { return impl_->rows(); }

Result<void> ParseCsv(std::string_view text, const CsvOptions& options,
                      const CsvParser::RowFn& on_row) {
  CsvParser parser(options, on_row);
  if (auto fed = parser.Feed(text); !fed) return fed;
  return parser.Finish();
}

}  // namespace passledger::handlers

// TZif (RFC 8536) reader and POSIX TZ rule evaluation for signer/time_zone.h.
#include "signer/time_zone.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "base/time.h"

namespace passledger::signer {
namespace {

constexpr std::string_view kZoneInfoDir = "/usr/share/zoneinfo/";
constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxFileBytes = 256 * 1024;
// Wider than any UTC offset, so [local - kWindow, local + kWindow] holds every instant whose
// local time can be `local`.
constexpr std::int64_t kWindow = 26 * 3600;

// ---- POSIX TZ strings (the TZif footer), e.g. "EST5EDT,M3.2.0,M11.1.0" ----

// One end of the daylight-saving period: a day of the year and a local time of day.
struct DateRule {
  enum class Kind { kJulian1, kJulian0, kMonthWeekDay } kind = Kind::kMonthWeekDay;
  int day = 0;  // Jn: 1..365; n: 0..365; M: weekday 0..6 (Sunday = 0)
  int month = 0;
  int week = 0;                  // 1..5, 5 = the last such weekday of the month
  std::int64_t time = 2 * 3600;  // seconds after local midnight; may be negative or > 24 h
};

struct PosixRule {
  std::int64_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  std::int64_t dst_offset = 0;
  DateRule start;  // in local standard time
  DateRule end;    // in local daylight time
};

// A small cursor over a TZ string; every Parse* returns false on malformed input.
class TzCursor {
 public:
  explicit TzCursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  bool Accept(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool AtOffsetStart() const {
    return pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-' || IsDigit(s_[pos_]));
  }

  // "EST" or "<-03>".
  bool ParseName() {
    if (Accept('<')) {
      const std::size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos || close == pos_) return false;
      pos_ = close + 1;
      return true;
    }
    const std::size_t begin = pos_;
    while (pos_ < s_.size() && IsAlpha(s_[pos_])) ++pos_;
    return pos_ - begin >= 3;
  }

  // [+-]hh[:mm[:ss]] as seconds; hours up to 167 (RFC 8536 extension).
  bool ParseHms(std::int64_t* seconds) {
    const bool negative = Accept('-');
    if (!negative) Accept('+');
    std::int64_t h = 0;
    std::int64_t m = 0;
    std::int64_t sec = 0;
    if (!ParseNumber(0, 167, &h)) return false;
    if (Accept(':')) {
      if (!ParseNumber(0, 59, &m)) return false;
      if (Accept(':') && !ParseNumber(0, 59, &sec)) return false;
    }
    *seconds = (negative ? -1 : 1) * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool ParseDateRule(DateRule* rule) {
    std::int64_t a = 0;
    std::int64_t b = 0;
    std::int64_t c = 0;
    if (Accept('J')) {
      rule->kind = DateRule::Kind::kJulian1;
      if (!ParseNumber(1, 365, &a)) return false;
      rule->day = static_cast<int>(a);
    } else if (Accept('M')) {
      rule->kind = DateRule::Kind::kMonthWeekDay;
      if (!ParseNumber(1, 12, &a) || !Accept('.') || !ParseNumber(1, 5, &b) || !Accept('.') ||
          !ParseNumber(0, 6, &c)) {
        return false;
      }
      rule->month = static_cast<int>(a);
      rule->week = static_cast<int>(b);
      rule->day = static_cast<int>(c);
    } else {
      rule->kind = DateRule::Kind::kJulian0;
      if (!ParseNumber(0, 365, &a)) return false;
      rule->day = static_cast<int>(a);
    }
    if (Accept('/')) return ParseHms(&rule->time);
    return true;
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

  bool ParseNumber(std::int64_t min, std::int64_t max, std::int64_t* out) {
    const std::size_t begin = pos_;
    std::int64_t value = 0;
    while (pos_ < s_.size() && IsDigit(s_[pos_]) && pos_ - begin < 4) {
      value = value * 10 + (s_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == begin || value < min || value > max) return false;
    *out = value;
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

std::optional<PosixRule> ParsePosixRule(std::string_view tz) {
  TzCursor cursor(tz);
  PosixRule rule;
  std::int64_t west = 0;
  if (!cursor.ParseName() || !cursor.ParseHms(&west)) return std::nullopt;
  rule.std_offset = -west;  // POSIX counts hours west of Greenwich
  if (cursor.done()) return rule;
  if (!cursor.ParseName()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (cursor.AtOffsetStart()) {
    if (!cursor.ParseHms(&west)) return std::nullopt;
    rule.dst_offset = -west;
  }
  if (cursor.done()) {
    // No dates given: POSIX leaves them implementation-defined; glibc and tzcode use the
    // US rules of 2007.
    rule.start = DateRule{DateRule::Kind::kMonthWeekDay, 0, 3, 2, 2 * 3600};
    rule.end = DateRule{DateRule::Kind::kMonthWeekDay, 0, 11, 1, 2 * 3600};
    return rule;
  }
  if (!cursor.Accept(',') || !cursor.ParseDateRule(&rule.start) || !cursor.Accept(',') ||
      !cursor.ParseDateRule(&rule.end) || !cursor.done()) {
    return std::nullopt;
  }
  return rule;
}

// Local seconds since 1970-01-01 (in the rule's own local time) at which `rule` fires in
// `year`.
std::int64_t RuleLocalSeconds(const DateRule& rule, std::int64_t year) {
  std::int64_t day = 0;  // days since 1970-01-01
  switch (rule.kind) {
    case DateRule::Kind::kJulian1: {
      // Day 1..365, February 29 never counted.
      const int n = rule.day;
      day = DaysFromCivil({year, 1, 1}) + n - 1 + (IsLeapYear(year) && n >= 60 ? 1 : 0);
      break;
    }
    case DateRule::Kind::kJulian0:
      day = DaysFromCivil({year, 1, 1}) + rule.day;
      break;
    case DateRule::Kind::kMonthWeekDay: {
      const auto month = static_cast<unsigned>(rule.month);
      const std::int64_t first = DaysFromCivil({year, month, 1});
      const std::int64_t first_weekday = WeekdayFromDays(first);
      std::int64_t d = (rule.day - first_weekday + 7) % 7 + 7 * (rule.week - 1);
      while (d >= DaysInMonth(year, month)) d -= 7;
      day = first + d;
      break;
    }
  }
  return day * kSecondsPerDay + rule.time;
}

std::int64_t PosixOffsetAt(const PosixRule& rule, std::int64_t utc) {
  if (!rule.has_dst) return rule.std_offset;
  const std::int64_t year = CivilFromDays(FloorDiv(utc + rule.std_offset, kSecondsPerDay)).year;
  const std::int64_t start = RuleLocalSeconds(rule.start, year) - rule.std_offset;
  const std::int64_t end = RuleLocalSeconds(rule.end, year) - rule.dst_offset;
  const bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return dst ? rule.dst_offset : rule.std_offset;
}

// ---- TZif files ----

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool Has(std::size_t n) const { return bytes_.size() - pos_ >= n; }
  std::size_t pos() const { return pos_; }
  void Skip(std::size_t n) { pos_ += n; }
  std::string_view Rest() const { return bytes_.substr(pos_); }
  std::uint8_t U8() { return static_cast<std::uint8_t>(bytes_[pos_++]); }
  std::uint32_t U32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  std::int64_t I32() { return static_cast<std::int32_t>(U32()); }
  std::int64_t I64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | U8();
    return static_cast<std::int64_t>(v);
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0;
  std::uint32_t isstdcnt = 0;
  std::uint32_t leapcnt = 0;
  std::uint32_t timecnt = 0;
  std::uint32_t typecnt = 0;
  std::uint32_t charcnt = 0;

  std::size_t DataBytes(std::size_t time_size) const {
    return std::size_t{timecnt} * time_size + timecnt + std::size_t{typecnt} * 6 + charcnt +
           std::size_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

std::optional<TzifHeader> ReadHeader(ByteReader& in) {
  if (!in.Has(44) || in.Rest().substr(0, 4) != "TZif") return std::nullopt;
  in.Skip(4);
  TzifHeader h;
  h.version = static_cast<char>(in.U8());
  in.Skip(15);
  h.isutcnt = in.U32();
  h.isstdcnt = in.U32();
  h.leapcnt = in.U32();
  h.timecnt = in.U32();
  h.typecnt = in.U32();
  h.charcnt = in.U32();
  if (h.typecnt == 0 || h.typecnt > 256 || h.timecnt > 100000 || h.charcnt > 10000 ||
      h.leapcnt > 10000 || h.isutcnt > h.typecnt || h.isstdcnt > h.typecnt) {
    return std::nullopt;
  }
  return h;
}

std::string LoadError(std::string_view name, std::string_view why) {
  return "time zone \"" + std::string(name) + "\": " + std::string(why);
}

bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name.front() == '/') return false;
  std::size_t component_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const std::string_view component = name.substr(component_start, i - component_start);
      if (component.empty() || component == "." || component == "..") return false;
      component_start = i + 1;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '+' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes;
  std::array<char, 8192> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    bytes.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxFileBytes) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return bytes;
}

std::string FormatOffsetW3C(std::int64_t offset) {
  const char sign = offset < 0 ? '-' : '+';
  const std::int64_t abs = offset < 0 ? -offset : offset;
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%c%02lld:%02lld", sign, static_cast<long long>(abs / 3600),
                static_cast<long long>(abs / 60 % 60));
  return buffer;
}

}  // namespace

namespace internal {

struct ZoneRules {
  struct Type {
    std::int64_t offset = 0;
    bool dst = false;
  };
  std::string name;
  std::vector<std::int64_t> transitions;  // ascending UTC seconds
  std::vector<std::uint8_t> type_index;   // type in force from transitions[i] on
  std::vector<Type> types;                // never empty
  std::optional<PosixRule> footer;        // for instants after the last transition

  std::int64_t OffsetAt(std::int64_t utc) const {
    const auto it = std::upper_bound(transitions.begin(), transitions.end(), utc);
    if (it == transitions.begin()) {
      // Before the first transition (or no transitions): RFC 8536 says type 0, unless
      // the file has only a footer.
      if (transitions.empty() && footer) return PosixOffsetAt(*footer, utc);
      return types[0].offset;
    }
    if (it == transitions.end() && footer) return PosixOffsetAt(*footer, utc);
    return types[type_index[static_cast<std::size_t>(it - transitions.begin()) - 1]].offset;
  }
};

}  // namespace internal

namespace {

// Parses one TZif data block (after its header) into `rules`.
bool ReadDataBlock(ByteReader& in, const TzifHeader& h, std::size_t time_size,
                   internal::ZoneRules* rules) {
  if (!in.Has(h.DataBytes(time_size))) return false;
  rules->transitions.resize(h.timecnt);
  for (auto& t : rules->transitions) t = time_size == 8 ? in.I64() : in.I32();
  if (!std::is_sorted(rules->transitions.begin(), rules->transitions.end())) return false;
  rules->type_index.resize(h.timecnt);
  for (auto& index : rules->type_index) {
    index = in.U8();
    if (index >= h.typecnt) return false;
  }
  rules->types.resize(h.typecnt);
  for (auto& type : rules->types) {
    type.offset = in.I32();
    type.dst = in.U8() != 0;
    in.Skip(1);  // designation index
    if (type.offset <= -25 * 3600 || type.offset >= 26 * 3600) return false;
  }
  in.Skip(h.charcnt + std::size_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt);
  return true;
}

Result<std::shared_ptr<internal::ZoneRules>> ParseTzif(std::string_view name,
                                                       std::string_view bytes) {
  ByteReader in(bytes);
  auto header = ReadHeader(in);
  if (!header) return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "not a TZif file"));
  auto rules = std::make_shared<internal::ZoneRules>();
  rules->name = std::string(name);
  std::size_t time_size = 4;
  if (header->version >= '2') {
    // Skip the 32-bit block; the 64-bit block after the second header supersedes it.
    if (!in.Has(header->DataBytes(4))) {
      return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "truncated TZif file"));
    }
    in.Skip(header->DataBytes(4));
    header = ReadHeader(in);
    if (!header) {
      return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "bad second TZif header"));
    }
    time_size = 8;
  }
  if (header->leapcnt != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     LoadError(name, "leap-second zones are not supported"));
  }
  if (!ReadDataBlock(in, *header, time_size, rules.get())) {
    return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "truncated TZif data"));
  }
  if (time_size == 8) {
    // Footer: "\n<POSIX TZ string>\n"; an empty string means "no rule".
    const std::string_view rest = in.Rest();
    if (rest.size() < 2 || rest.front() != '\n') {
      return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "missing TZif footer"));
    }
    const std::size_t close = rest.find('\n', 1);
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, LoadError(name, "unterminated TZif footer"));
    }
    const std::string_view tz = rest.substr(1, close - 1);
    if (!tz.empty()) {
      rules->footer = ParsePosixRule(tz);
      if (!rules->footer) {
        return MakeError(ErrorCode::kInvalidArgument,
                         LoadError(name, "unsupported TZ rule \"" + std::string(tz) + "\""));
      }
    }
  }
  return rules;
}

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (!IsSafeZoneName(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     LoadError(name, "not an IANA zone name (e.g. \"Europe/Berlin\")"));
  }
  const std::string path = std::string(kZoneInfoDir) + std::string(name);
  const auto bytes = ReadSmallFile(path);
  if (!bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     LoadError(name, "unknown zone (cannot read " + path + ")"));
  }
  auto rules = ParseTzif(name, *bytes);
  if (!rules) return rules.error();
  return TimeZone(std::move(*rules));
}

Result<TimeZone> TimeZone::LoadCached(std::string_view name) {
  // Leaked on purpose: no destructor runs at exit while another thread may still render.
  static auto& mutex = *new std::mutex;
  static auto& cache = *new std::map<std::string, TimeZone, std::less<>>;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(name); it != cache.end()) return it->second;
  }
  auto zone = Load(name);  // outside the lock: a slow disk must not stall other zones
  if (!zone) return zone;
  std::lock_guard lock(mutex);
  return cache.try_emplace(std::string(name), *zone).first->second;
}

TimeZone TimeZone::Utc() {
  static const auto& kRules = *new std::shared_ptr<const internal::ZoneRules>(
      std::make_shared<internal::ZoneRules>(internal::ZoneRules{.name = "UTC",
                                                                .transitions = {},
                                                                .type_index = {},
                                                                .types = {{0, false}},
                                                                .footer = {}}));
  return TimeZone(kRules);
}

const std::string& TimeZone::name() const { return rules_->name; }

std::int64_t TimeZone::OffsetAt(std::int64_t utc_seconds) const {
  return rules_->OffsetAt(utc_seconds);
}

std::int64_t TimeZone::LastInstantAtOrBefore(std::int64_t local) const {
  // Assumes at most one transition within kWindow of `local`, true of every tzdata zone.
  const std::int64_t before = OffsetAt(local - kWindow);
  const std::int64_t after = OffsetAt(local + kWindow);
  std::optional<std::int64_t> best;
  for (const std::int64_t offset : {before, after}) {
    const std::int64_t t = local - offset;
    if (OffsetAt(t) == offset && (!best || t > *best)) best = t;
  }
  if (best) return *best;
  // `local` falls in a gap (clocks jumped forward over it): find the jump by bisection and
  // return the second before it.
  std::int64_t lo = local - after;   // offset still `before` here
  std::int64_t hi = local - before;  // offset already `after` here
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (OffsetAt(mid) == before ? lo : hi) = mid;
  }
  return hi - 1;
}

std::int64_t TimeZone::FirstInstantAtOrAfter(std::int64_t local) const {
  const std::int64_t before = OffsetAt(local - kWindow);
  const std::int64_t after = OffsetAt(local + kWindow);
  std::optional<std::int64_t> best;
  for (const std::int64_t offset : {before, after}) {
    const std::int64_t t = local - offset;
    if (OffsetAt(t) == offset && (!best || t < *best)) best = t;
  }
  if (best) return *best;
  std::int64_t lo = local - after;
  std::int64_t hi = local - before;
  while (hi - lo > 1) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    (OffsetAt(mid) == before ? lo : hi) = mid;
  }
  return hi;
}

std::string TimeZone::FormatW3C(std::int64_t utc_seconds) const {
  const std::int64_t offset = OffsetAt(utc_seconds);
  const std::int64_t local = utc_seconds + offset;
  const CivilTime t = CivilTimeFromUnixSeconds(local);  // local time, counted like UTC
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02u-%02uT%02u:%02u:%02u",
                static_cast<long long>(t.date.year), t.date.month, t.date.day, t.hour, t.minute,
                t.second);
  return buffer + FormatOffsetW3C(offset);
}

std::string TimeZone::EndOfDayW3C(int year, unsigned month, unsigned day) const {
  const std::int64_t local = (DaysFromCivil({year, month, day}) + 1) * kSecondsPerDay - 1;
  return FormatW3C(LastInstantAtOrBefore(local));
}

std::string TimeZone::StartOfDayW3C(int year, unsigned month, unsigned day) const {
  return FormatW3C(FirstInstantAtOrAfter(DaysFromCivil({year, month, day}) * kSecondsPerDay));
}

}  // namespace passledger::signer

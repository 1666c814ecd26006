#include "base/time.h"

#include <array>
#include <cstdio>

namespace passledger {
namespace {

constexpr std::array<std::string_view, 7> kWeekdayNames = {"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// `count` decimal digits at text[pos]; nullopt unless all of them are '0'-'9' (no sign, no
// space, unlike from_chars or strtol).
std::optional<unsigned> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos > text.size() || text.size() - pos < count) return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

bool At(std::string_view text, std::size_t pos, char c) {
  return pos < text.size() && text[pos] == c;
}

template <std::size_t N>
std::optional<unsigned> IndexOf(const std::array<std::string_view, N>& names,
                                std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<unsigned>(i);
  }
  return std::nullopt;
}

// {FloorDiv(a, b), a - FloorDiv(a, b) * b} without overflow for any a. REQUIRES: b > 0.
struct Split {
  std::int64_t quotient;
  std::int64_t remainder;  // 0 <= remainder < b
};
Split SplitFloor(std::int64_t a, std::int64_t b) {
  Split out{a / b, a % b};
  if (out.remainder < 0) {
    out.remainder += b;
    out.quotient -= 1;
  }
  return out;
}

// A time of day within range: hour 0-23, minute 0-59, second 0-max_second.
bool ValidTimeOfDay(unsigned hour, unsigned minute, unsigned second, unsigned max_second) {
  return hour <= 23 && minute <= 59 && second <= max_second;
}

}  // namespace

// ---- Calendar arithmetic --------------------------------------------------------------------

bool IsLeapYear(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(std::int64_t year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

bool IsValidDate(const CivilDate& date) {
  return date.month >= 1 && date.month <= 12 && date.day >= 1 &&
         date.day <= DaysInMonth(date.year, date.month);
}

// H. Hinnant, "chrono-Compatible Low-Level Date Algorithms" (public domain): years counted
// from March, so that the leap day is the last day of a year; 400-year eras of 146097 days.
std::int64_t DaysFromCivil(const CivilDate& date) {
  const std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);  // 0-399
  const unsigned doy =
      (153 * (date.month > 2 ? date.month - 3 : date.month + 9) + 2) / 5 + date.day - 1;  // 0-365
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // 0-146096
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  const std::int64_t z = days + 719468;  // days since 0000-03-01
  const std::int64_t era = FloorDiv(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);                    // 0-146096
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // 0-399
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // 0-365
  const unsigned mp = (5 * doy + 2) / 153;                                     // 0-11, from March
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;                           // 1-31
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;                            // 1-12
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

unsigned WeekdayFromDays(std::int64_t days) {
  const std::int64_t shifted = days + 4;  // 1970-01-01 was a Thursday
  return static_cast<unsigned>(shifted - FloorDiv(shifted, 7) * 7);
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return SplitFloor(a, b).quotient; }

CivilTime CivilTimeFromUnixSeconds(std::int64_t unix_seconds) {
  const auto [days, of_day] = SplitFloor(unix_seconds, kSecondsPerDay);
  const auto s = static_cast<unsigned>(of_day);
  return {CivilFromDays(days), s / 3600, s / 60 % 60, s % 60};
}

std::int64_t UnixSecondsFromCivilTime(const CivilTime& time) {
  return DaysFromCivil(time.date) * kSecondsPerDay + std::int64_t{time.hour} * 3600 +
         std::int64_t{time.minute} * 60 + std::int64_t{time.second};
}

// ---- RFC 3339 timestamps ----------------------------------------------------------------

std::string FormatTimestamp(std::int64_t unix_micros, Precision precision) {
  const auto [seconds, fraction] = SplitFloor(unix_micros, kMicrosPerSecond);
  const auto micros = static_cast<unsigned>(fraction);
  const CivilTime t = CivilTimeFromUnixSeconds(seconds);
  char text[64];
  int n = std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02u",
                        static_cast<long long>(t.date.year), t.date.month, t.date.day, t.hour,
                        t.minute, t.second);
  const auto size = static_cast<std::size_t>(n);
  switch (precision) {
    case Precision::kSeconds:
      n = std::snprintf(text + size, sizeof text - size, "Z");
      break;
    case Precision::kMillis:
      n = std::snprintf(text + size, sizeof text - size, ".%03uZ", micros / 1000);
      break;
    case Precision::kMicros:
      n = std::snprintf(text + size, sizeof text - size, ".%06uZ", micros);
      break;
  }
  return std::string(text, size + static_cast<std::size_t>(n));
}

std::optional<std::int64_t> ParseTimestamp(std::string_view text, MissingOffset missing) {
  // 0         1         2
  // 0123456789012345678901234
  // YYYY-MM-DDTHH:MM:SS.f…+HH:MM
  if (text.size() < 19) return std::nullopt;
  const auto date = ParseIsoDate(text.substr(0, 10));
  const auto hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!date || (text[10] != 'T' && text[10] != ' ') || !hour || text[13] != ':' || !minute ||
      text[16] != ':' || !second || !ValidTimeOfDay(*hour, *minute, *second, 60)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (At(text, pos, '.')) {
    const std::size_t first = ++pos;
    std::int64_t scale = kMicrosPerSecond / 10;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      micros += (text[pos] - '0') * scale;
      scale /= 10;  // 0 after the sixth digit: the rest are dropped
    }
    if (pos == first) return std::nullopt;
  }
  std::int64_t offset_seconds = 0;
  if (At(text, pos, 'Z')) {
    ++pos;
  } else if (At(text, pos, '+') || At(text, pos, '-')) {
    const auto offset_hour = Digits(text, pos + 1, 2), offset_minute = Digits(text, pos + 4, 2);
    if (!offset_hour || !At(text, pos + 3, ':') || !offset_minute ||
        !ValidTimeOfDay(*offset_hour, *offset_minute, 0, 0)) {
      return std::nullopt;
    }
    offset_seconds =
        (text[pos] == '+' ? 1 : -1) * std::int64_t{*offset_hour * 3600 + *offset_minute * 60};
    pos += 6;
  } else if (missing == MissingOffset::kReject) {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t seconds =
      UnixSecondsFromCivilTime({*date, *hour, *minute, *second}) - offset_seconds;
  return seconds * kMicrosPerSecond + micros;
}

// ---- ISO 8601 calendar dates ------------------------------------------------------------

std::string FormatIsoDate(const CivilDate& date) {
  char text[48];
  const int n = std::snprintf(text, sizeof text, "%04lld-%02u-%02u",
                              static_cast<long long>(date.year), date.month, date.day);
  return std::string(text, static_cast<std::size_t>(n));
}

std::optional<CivilDate> ParseIsoDate(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  const auto year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  if (!year || text[4] != '-' || !month || text[7] != '-' || !day) return std::nullopt;
  const CivilDate date{*year, *month, *day};
  if (!IsValidDate(date)) return std::nullopt;
  return date;
}

// ---- HTTP dates -------------------------------------------------------------------------

std::string FormatHttpDate(std::int64_t unix_seconds) {
  const CivilTime t = CivilTimeFromUnixSeconds(unix_seconds);
  const unsigned weekday = WeekdayFromDays(FloorDiv(unix_seconds, kSecondsPerDay));
  char text[64];
  const int n =
      std::snprintf(text, sizeof text, "%s, %02u %s %04lld %02u:%02u:%02u GMT",
                    kWeekdayNames[weekday].data(), t.date.day, kMonthNames[t.date.month - 1].data(),
                    static_cast<long long>(t.date.year), t.hour, t.minute, t.second);
  return std::string(text, static_cast<std::size_t>(n));
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  // 0         1         2
  // 01234567890123456789012345678
  // Sun, 06 Nov 1994 08:49:37 GMT
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto month = IndexOf(kMonthNames, text.substr(8, 3));
  const auto day = Digits(text, 5, 2), year = Digits(text, 12, 4);
  const auto hour = Digits(text, 17, 2), minute = Digits(text, 20, 2), second = Digits(text, 23, 2);
  if (!IndexOf(kWeekdayNames, text.substr(0, 3)) || !month || !day || !year || !hour || !minute ||
      !second || !ValidTimeOfDay(*hour, *minute, *second, 60)) {
    return std::nullopt;
  }
  const CivilDate date{*year, *month + 1, *day};
  if (!IsValidDate(date)) return std::nullopt;
  return UnixSecondsFromCivilTime({date, *hour, *minute, *second});
}

// ---- ASN.1 times ------------------------------------------------------------------------

std::optional<Asn1Time> FormatAsn1Time(std::int64_t unix_seconds) {
  const CivilTime t = CivilTimeFromUnixSeconds(unix_seconds);
  const std::int64_t year = t.date.year;
  if (year < 0 || year > 9999) return std::nullopt;
  const bool utc = year >= 1950 && year <= 2049;
  char text[32];
  const int n = std::snprintf(text, sizeof text,
                              utc ? "%02lld%02u%02u%02u%02u%02uZ" : "%04lld%02u%02u%02u%02u%02uZ",
                              static_cast<long long>(utc ? year % 100 : year), t.date.month,
                              t.date.day, t.hour, t.minute, t.second);
  return Asn1Time{utc ? Asn1TimeType::kUtcTime : Asn1TimeType::kGeneralizedTime,
                  std::string(text, static_cast<std::size_t>(n))};
}

std::optional<std::int64_t> ParseAsn1Time(Asn1TimeType type, std::string_view text) {
  const std::size_t year_digits = type == Asn1TimeType::kUtcTime ? 2 : 4;
  if (text.size() != year_digits + 11 || text.back() != 'Z') return std::nullopt;
  const auto year = Digits(text, 0, year_digits);
  const std::size_t p = year_digits;
  const auto month = Digits(text, p, 2), day = Digits(text, p + 2, 2);
  const auto hour = Digits(text, p + 4, 2), minute = Digits(text, p + 6, 2),
             second = Digits(text, p + 8, 2);
  if (!year || !month || !day || !hour || !minute || !second ||
      !ValidTimeOfDay(*hour, *minute, *second, 59)) {
    return std::nullopt;
  }
  CivilDate date{*year, *month, *day};
  if (type == Asn1TimeType::kUtcTime) date.year += *year >= 50 ? 1900 : 2000;
  if (!IsValidDate(date)) return std::nullopt;
  return UnixSecondsFromCivilTime({date, *hour, *minute, *second});
}

}  // namespace passledger

// Time: the one place that turns instants into text and text into instants. Every
// representation PassLedger reads or writes has one format/parse pair here:
//
//   timestamp   "2026-11-28T22:57:07.123456Z"     RFC 3339, UTC (FormatTimestamp/ParseTimestamp)
//   ISO date    "2026-11-28"                      ISO 8601 calendar date
//   (FormatIsoDate/ParseIsoDate) HTTP date   "Sun, 06 Nov 1994 08:49:37 GMT"   RFC 9110 IMF-fixdate
//   (FormatHttpDate/ParseHttpDate) ASN.1 time  "941106084937Z", "20941106084937Z"  DER
//   UTCTime/GeneralizedTime (…Asn1Time)
//
// and underneath them the calendar arithmetic (H. Hinnant's days_from_civil/civil_from_days):
// the proleptic Gregorian calendar in UTC on 64-bit counts, with no leap seconds (POSIX time),
// so it is right before 1970 and after 2038 and never looks at the locale, TZ or the C
// library's time functions. Instants are Unix seconds or Unix microseconds (std::int64_t).
//
// Parsers are strict: the whole text must match, a date must exist (no 2026-04-31, no
// 2100-02-29), and anything else is nullopt. Policies about which dates make sense (a roster's
// years, "a bare date means the end of that day") stay with the callers.
//
// Everything here is a pure function of its arguments: thread-safe, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passledger {

inline constexpr std::int64_t kSecondsPerDay = 86'400;
inline constexpr std::int64_t kMicrosPerSecond = 1'000'000;

// ---- Calendar arithmetic --------------------------------------------------------------------

// A day of the proleptic Gregorian calendar. Valid when 1 <= month <= 12 and
// 1 <= day <= DaysInMonth(year, month); year 0 is 1 BC.
struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

// A UTC date and time of day (hour 0-23, minute 0-59, second 0-59).
struct CivilTime {
  CivilDate date;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

[[nodiscard]] bool IsLeapYear(std::int64_t year);
// 28-31. REQUIRES: 1 <= month <= 12.
[[nodiscard]] unsigned DaysInMonth(std::int64_t year, unsigned month);
[[nodiscard]] bool IsValidDate(const CivilDate& date);

// Days since 1970-01-01 (negative before). REQUIRES: 1 <= month <= 12, 1 <= day <= 31 (a day
// past the end of its month counts on into the next), |year| < 2^40.
[[nodiscard]] std::int64_t DaysFromCivil(const CivilDate& date);
// The inverse; always a valid date. REQUIRES: |days| < 2^62 (true of every day count that
// comes from int64 seconds).
[[nodiscard]] CivilDate CivilFromDays(std::int64_t days);
// 0 = Sunday … 6 = Saturday.
[[nodiscard]] unsigned WeekdayFromDays(std::int64_t days);

// Division rounding towards negative infinity, so that -1 s is in 1969. REQUIRES: b > 0.
[[nodiscard]] std::int64_t FloorDiv(std::int64_t a, std::int64_t b);

// Unix seconds ↔ UTC date and time. CivilTimeFromUnixSeconds takes every int64;
// UnixSecondsFromCivilTime is linear in its fields (REQUIRES as DaysFromCivil, and
// |year| < 2^32; hour, minute and second are not range-checked, so second 60 is the next
// minute's second 0).
[[nodiscard]] CivilTime CivilTimeFromUnixSeconds(std::int64_t unix_seconds);
[[nodiscard]] std::int64_t UnixSecondsFromCivilTime(const CivilTime& time);

// ---- RFC 3339 timestamps ----------------------------------------------------------------

// How many fraction digits FormatTimestamp writes.
enum class Precision {
  kSeconds,  // "2026-11-28T22:57:07Z"
  kMillis,   // "2026-11-28T22:57:07.123Z"
  kMicros,   // "2026-11-28T22:57:07.123456Z"
};

// `unix_micros` in UTC, the fraction truncated to `precision` towards the past (so -1 µs is
// "1969-12-31T23:59:59.999999Z"). Years outside 0000-9999 come out with more digits or a
// '-' sign, which no RFC 3339 reader (ParseTimestamp included) takes.
[[nodiscard]] std::string FormatTimestamp(std::int64_t unix_micros,
                                          Precision precision = Precision::kMicros);

// What ParseTimestamp does with a time that has no offset ("2026-11-28T12:00:00").
enum class MissingOffset {
  kReject,  // RFC 3339 requires one
  kUtc,     // read it as UTC
};

// Unix microseconds of "YYYY-MM-DD(T| )HH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". The fraction
// has one or more digits; digits past the sixth are dropped (towards the past). Second 60
// (a leap second) is read as the next minute's second 0. Offsets are at most 23:59.
[[nodiscard]] std::optional<std::int64_t> ParseTimestamp(
    std::string_view text, MissingOffset missing = MissingOffset::kReject);

// ---- ISO 8601 calendar dates ------------------------------------------------------------

// "YYYY-MM-DD". REQUIRES: a valid date in the years 0000-9999 (others are written, but not
// in this form).
[[nodiscard]] std::string FormatIsoDate(const CivilDate& date);
// Exactly "YYYY-MM-DD" (four, two and two digits) naming a valid date; years 0000-9999.
[[nodiscard]] std::optional<CivilDate> ParseIsoDate(std::string_view text);

// ---- HTTP dates (RFC 9110 §5.6.7 IMF-fixdate) -------------------------------------------

// "Sun, 06 Nov 1994 08:49:37 GMT". Meant for the years 0000-9999.
[[nodiscard]] std::string FormatHttpDate(std::int64_t unix_seconds);
// The Unix seconds of an IMF-fixdate; nullopt for anything else, including the obsolete
// RFC 850 and asctime forms. The weekday must be one of the seven names but is not checked
// against the date (it is redundant); second 60 is read as the next minute's second 0.
[[nodiscard]] std::optional<std::int64_t> ParseHttpDate(std::string_view text);

// ---- ASN.1 times (X.680 UTCTime and GeneralizedTime, DER forms) -------------------------

enum class Asn1TimeType {
  kUtcTime,          // "YYMMDDHHMMSSZ", YY 50-99 = 19YY, 00-49 = 20YY
  kGeneralizedTime,  // "YYYYMMDDHHMMSSZ"
};

struct Asn1Time {
  Asn1TimeType type = Asn1TimeType::kUtcTime;
  std::string text;  // the content octets
};

// The DER time RFC 5280 §4.1.2.5 and RFC 5652 §11.3 ask for: UTCTime for the years
// 1950-2049, GeneralizedTime otherwise; nullopt outside the years 0000-9999.
[[nodiscard]] std::optional<Asn1Time> FormatAsn1Time(std::int64_t unix_seconds);
// The Unix seconds of a DER UTCTime or GeneralizedTime of `type` (seconds present, no
// fraction, 'Z'); nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> ParseAsn1Time(Asn1TimeType type, std::string_view text);

}  // namespace passledger

// base/time: the calendar arithmetic against std::chrono's civil calendar, and every
// format/parse pair (RFC 3339 timestamps, ISO dates, HTTP dates, ASN.1 times) in both
// directions — leap years, the 2038 boundary, times before 1970, fractions, offsets and
// malformed input. This file also defines the test module.
#define BOOST_TEST_MODULE base
#include "base/time.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace passledger {
namespace {

constexpr std::int64_t kMicros = kMicrosPerSecond;
constexpr std::int64_t k2038 = 2'147'483'647;  // 2038-01-19T03:14:07Z, the last int32 second

// Copies `text` into a heap buffer of exactly its size, so that AddressSanitizer reports any
// read past its end.
class Exact {
 public:
  explicit Exact(std::string_view text)
      : buffer_(std::make_unique<char[]>(text.size())), size_(text.size()) {
    std::copy(text.begin(), text.end(), buffer_.get());
  }
  std::string_view view() const { return {buffer_.get(), size_}; }

 private:
  std::unique_ptr<char[]> buffer_;
  std::size_t size_;
};

std::optional<std::int64_t> Timestamp(std::string_view text,
                                      MissingOffset missing = MissingOffset::kReject) {
  return ParseTimestamp(Exact(text).view(), missing);
}

// std::chrono's own proleptic Gregorian calendar, as an independent oracle.
CivilDate ChronoDate(std::int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day())};
}

BOOST_AUTO_TEST_SUITE(time)

BOOST_AUTO_TEST_CASE(LeapYearsAndMonthLengths) {
  struct Case {
    std::int64_t year;
    bool leap;
  };
  for (const Case c : {Case{2000, true}, Case{2024, true}, Case{1996, true}, Case{2400, true},
                       Case{0, true}, Case{-4, true}, Case{1900, false}, Case{2100, false},
                       Case{2023, false}, Case{-100, false}, Case{1, false}}) {
    BOOST_TEST(IsLeapYear(c.year) == c.leap, c.year);
    BOOST_TEST(DaysInMonth(c.year, 2) == (c.leap ? 29u : 28u), c.year);
  }
  const unsigned want[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned month = 1; month <= 12; ++month) {
    BOOST_TEST(DaysInMonth(2023, month) == want[month - 1], month);
  }
  BOOST_TEST(ParseIsoDate("2000-02-29").has_value());
  BOOST_TEST(ParseIsoDate("2024-02-29").has_value());
  BOOST_TEST(!ParseIsoDate("1900-02-29").has_value());
  BOOST_TEST(!ParseIsoDate("2100-02-29").has_value());
  BOOST_TEST(!ParseIsoDate("2023-02-29").has_value());
  BOOST_TEST(IsValidDate({2024, 2, 29}));
  BOOST_TEST(!IsValidDate({2100, 2, 29}));
  BOOST_TEST(!IsValidDate({2026, 4, 31}));
  BOOST_TEST(!IsValidDate({2026, 0, 1}));
  BOOST_TEST(!IsValidDate({2026, 13, 1}));
  BOOST_TEST(!IsValidDate({2026, 1, 0}));
  BOOST_TEST(DaysFromCivil({2024, 3, 1}) - DaysFromCivil({2024, 2, 28}) == 2);
  BOOST_TEST(DaysFromCivil({2100, 3, 1}) - DaysFromCivil({2100, 2, 28}) == 1);
}

// Every day from 1900 to 2999: the calendar agrees with std::chrono, and every format of a
// time on that day parses back to the same value.
BOOST_AUTO_TEST_CASE(EveryDayFrom1900To2999RoundTrips) {
  const std::int64_t first = DaysFromCivil({1900, 1, 1});
  const std::int64_t last = DaysFromCivil({2999, 12, 31});
  BOOST_TEST(first == -25567);
  BOOST_TEST(last - first + 1 == 401'767);
  std::int64_t failures = 0;
  CivilDate previous = CivilFromDays(first - 1);
  for (std::int64_t day = first; day <= last && failures < 10; ++day) {
    const CivilDate date = CivilFromDays(day);
    const std::chrono::weekday chrono_weekday{std::chrono::sys_days{std::chrono::days{day}}};
    const bool next_day =
        date.day == previous.day + 1
            ? date.month == previous.month && date.year == previous.year
            : date.day == 1 && previous.day == DaysInMonth(previous.year, previous.month);
    // A time of day and a fraction that move from day to day, so every field is exercised.
    const std::int64_t seconds = day * kSecondsPerDay + (day - first) * 7919 % kSecondsPerDay;
    const std::int64_t micros = seconds * kMicros + (day - first) * 104'729 % kMicros;
    const CivilTime civil = CivilTimeFromUnixSeconds(seconds);
    const auto asn1 = FormatAsn1Time(seconds);
    const bool ok =
        date == ChronoDate(day) && IsValidDate(date) && DaysFromCivil(date) == day && next_day &&
        WeekdayFromDays(day) == chrono_weekday.c_encoding() && civil.date == date &&
        UnixSecondsFromCivilTime(civil) == seconds &&
        ParseIsoDate(FormatIsoDate(date)) == std::optional<CivilDate>(date) &&
        ParseTimestamp(FormatTimestamp(micros)) == std::optional<std::int64_t>(micros) &&
        ParseTimestamp(FormatTimestamp(micros, Precision::kSeconds)) ==
            std::optional<std::int64_t>(seconds * kMicros) &&
        ParseHttpDate(FormatHttpDate(seconds)) == std::optional<std::int64_t>(seconds) && asn1 &&
        ParseAsn1Time(asn1->type, asn1->text) == std::optional<std::int64_t>(seconds);
    if (!ok) {
      ++failures;
      BOOST_ERROR("day " << day << " (" << FormatIsoDate(date) << ", " << FormatTimestamp(micros)
                         << ", " << FormatHttpDate(seconds) << ") does not round trip");
    }
    previous = date;
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(CalendarFarFromTheEpoch) {
  // Every 3589th day over ±30,000 years against std::chrono (whose years are ±32,767).
  for (std::int64_t day = -11'000'000; day <= 11'000'000; day += 97 * 37) {
    BOOST_TEST_REQUIRE((CivilFromDays(day) == ChronoDate(day)), day);
    BOOST_TEST_REQUIRE(DaysFromCivil(CivilFromDays(day)) == day, day);
  }
  BOOST_TEST((CivilFromDays(0) == CivilDate{1970, 1, 1}));
  BOOST_TEST((CivilFromDays(-1) == CivilDate{1969, 12, 31}));
  BOOST_TEST(DaysFromCivil({0, 3, 1}) == -719468);
  BOOST_TEST(DaysFromCivil({-1, 12, 31}) == DaysFromCivil({0, 1, 1}) - 1);
  // The extremes of int64 seconds and microseconds give valid dates.
  for (const std::int64_t seconds :
       {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    const CivilTime t = CivilTimeFromUnixSeconds(seconds);
    BOOST_TEST(IsValidDate(t.date));
    BOOST_TEST((t.hour <= 23 && t.minute <= 59 && t.second <= 59));
  }
  BOOST_TEST(FormatTimestamp(std::numeric_limits<std::int64_t>::max()) ==
             "294247-01-10T04:00:54.775807Z");
  BOOST_TEST(FormatTimestamp(std::numeric_limits<std::int64_t>::min()) ==
             "-290308-12-21T19:59:05.224192Z");
  BOOST_TEST(FormatIsoDate({-1, 12, 31}) == "-001-12-31");
}

BOOST_AUTO_TEST_CASE(The2038Boundary) {
  BOOST_TEST(FormatTimestamp(k2038 * kMicros) == "2038-01-19T03:14:07.000000Z");
  BOOST_TEST(FormatTimestamp((k2038 + 1) * kMicros) == "2038-01-19T03:14:08.000000Z");
  BOOST_TEST(FormatTimestamp(k2038 * kMicros + 999'999) == "2038-01-19T03:14:07.999999Z");
  BOOST_TEST(Timestamp("2038-01-19T03:14:07Z").value_or(0) == k2038 * kMicros);
  BOOST_TEST(Timestamp("2038-01-19T03:14:08Z").value_or(0) == (k2038 + 1) * kMicros);
  BOOST_TEST(FormatHttpDate(k2038) == "Tue, 19 Jan 2038 03:14:07 GMT");
  BOOST_TEST(FormatHttpDate(k2038 + 1) == "Tue, 19 Jan 2038 03:14:08 GMT");
  BOOST_TEST(ParseHttpDate("Tue, 19 Jan 2038 03:14:08 GMT").value_or(0) == k2038 + 1);
  BOOST_TEST(FormatAsn1Time(k2038 + 1).value().text == "380119031408Z");
  BOOST_TEST(ParseAsn1Time(Asn1TimeType::kUtcTime, "380119031408Z").value_or(0) == k2038 + 1);
  // The end of unsigned 32-bit seconds, and the last second of the year 9999.
  BOOST_TEST(FormatTimestamp(4'294'967'296 * kMicros, Precision::kSeconds) ==
             "2106-02-07T06:28:16Z");
  BOOST_TEST(Timestamp("9999-12-31T23:59:59.999999Z").value_or(0) ==
             253'402'300'799 * kMicros + 999'999);
  BOOST_TEST(FormatHttpDate(253'402'300'799) == "Fri, 31 Dec 9999 23:59:59 GMT");
  BOOST_TEST(FormatAsn1Time(253'402'300'799).value().text == "99991231235959Z");
  BOOST_TEST(!FormatAsn1Time(253'402'300'800).has_value());  // year 10000
}

BOOST_AUTO_TEST_CASE(BeforeTheEpoch) {
  BOOST_TEST(FormatTimestamp(-1) == "1969-12-31T23:59:59.999999Z");
  BOOST_TEST(FormatTimestamp(-kMicros) == "1969-12-31T23:59:59.000000Z");
  BOOST_TEST(FormatTimestamp(-kMicros - 500'000) == "1969-12-31T23:59:58.500000Z");
  BOOST_TEST(FormatTimestamp(-kMicros + 1) == "1969-12-31T23:59:59.000001Z");
  BOOST_TEST(Timestamp("1969-12-31T23:59:59.999999Z").value_or(0) == -1);
  BOOST_TEST(Timestamp("1969-12-31T23:59:58.5Z").value_or(0) == -kMicros - 500'000);
  BOOST_TEST(Timestamp("1900-01-01T00:00:00Z").value_or(0) == -2'208'988'800 * kMicros);
  BOOST_TEST(Timestamp("0000-01-01T00:00:00Z").value_or(0) == -62'167'219'200 * kMicros);
  BOOST_TEST(FormatTimestamp(-62'167'219'200 * kMicros) == "0000-01-01T00:00:00.000000Z");
  BOOST_TEST(FormatHttpDate(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  BOOST_TEST(ParseHttpDate("Mon, 01 Jan 1900 00:00:00 GMT").value_or(0) == -2'208'988'800);
  BOOST_TEST(FormatAsn1Time(-631'152'000).value().text == "500101000000Z");  // 1950: UTCTime
  BOOST_TEST(FormatAsn1Time(-631'152'001).value().text == "19491231235959Z");
  BOOST_TEST(ParseAsn1Time(Asn1TimeType::kUtcTime, "500101000000Z").value_or(0) == -631'152'000);
  BOOST_TEST(ParseAsn1Time(Asn1TimeType::kGeneralizedTime, "19491231235959Z").value_or(0) ==
             -631'152'001);
  BOOST_TEST(!FormatAsn1Time(-62'167'219'201).has_value());  // the year -1
}

BOOST_AUTO_TEST_CASE(FractionsAndPrecision) {
  struct Case {
    std::int64_t micros;
    std::string_view seconds, millis, full;
  };
  const Case cases[] = {
      {1'795'906'627'123'456, "2026-11-28T22:57:07Z", "2026-11-28T22:57:07.123Z",
       "2026-11-28T22:57:07.123456Z"},
      {1'795'906'627'999'999, "2026-11-28T22:57:07Z", "2026-11-28T22:57:07.999Z",
       "2026-11-28T22:57:07.999999Z"},
      {0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000000Z"},
      {-1, "1969-12-31T23:59:59Z", "1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999999Z"},
      {-1'001, "1969-12-31T23:59:59Z", "1969-12-31T23:59:59.998Z", "1969-12-31T23:59:59.998999Z"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.micros) {
      BOOST_TEST(FormatTimestamp(c.micros, Precision::kSeconds) == c.seconds);
      BOOST_TEST(FormatTimestamp(c.micros, Precision::kMillis) == c.millis);
      BOOST_TEST(FormatTimestamp(c.micros, Precision::kMicros) == c.full);
      BOOST_TEST(FormatTimestamp(c.micros) == c.full);
    }
  }
  // One to nine fraction digits; past the sixth they are dropped, never rounded up.
  constexpr std::int64_t kNoon = 1'795'867'200 * kMicros;  // 2026-11-28T12:00:00Z
  struct Fraction {
    std::string_view text;
    std::int64_t micros;
  };
  for (const Fraction f :
       {Fraction{"2026-11-28T12:00:00.5Z", 500'000}, Fraction{"2026-11-28T12:00:00.05Z", 50'000},
        Fraction{"2026-11-28T12:00:00.123456Z", 123'456},
        Fraction{"2026-11-28T12:00:00.000001Z", 1},
        Fraction{"2026-11-28T12:00:00.9999999Z", 999'999},
        Fraction{"2026-11-28T12:00:00.123456789Z", 123'456},
        Fraction{"2026-11-28T12:00:00.000000Z", 0}}) {
    BOOST_TEST(Timestamp(f.text).value_or(-1) == kNoon + f.micros, f.text);
  }
}

BOOST_AUTO_TEST_CASE(TimestampOffsets) {
  constexpr std::int64_t kNoon = 1'795'867'200 * kMicros;  // 2026-11-28T12:00:00Z
  struct Case {
    std::string_view text;
    std::int64_t micros;
  };
  const Case cases[] = {
      {"2026-11-28T12:00:00Z", kNoon},
      {"2026-11-28 12:00:00Z", kNoon},
      {"2026-11-28T17:30:00+05:30", kNoon},
      {"2026-11-28T04:00:00-08:00", kNoon},
      {"2026-11-28T12:00:00+00:00", kNoon},
      {"2026-11-28T12:00:00-00:00", kNoon},
      {"2026-11-29T11:59:00+23:59", kNoon},
      {"2026-11-28T17:30:00.25+05:30", kNoon + 250'000},
      {"2026-11-27T20:00:00.000001-16:00", kNoon + 1},
      // An offset that crosses a year and a leap day.
      {"2024-03-01T02:00:00+05:00", 1'709'240'400 * kMicros},
      {"2024-02-29T21:00:00Z", 1'709'240'400 * kMicros},
      {"2025-01-01T05:29:59+05:30", 1'735'689'599 * kMicros},
      // A leap second is read as the next minute's second 0.
      {"2016-12-31T23:59:60Z", 1'483'228'800 * kMicros},
  };
  for (const auto& c : cases) {
    BOOST_TEST(Timestamp(c.text).value_or(-1) == c.micros, c.text);
  }
  // Without an offset: refused unless the caller reads it as UTC.
  BOOST_TEST(!Timestamp("2026-11-28T12:00:00").has_value());
  BOOST_TEST(!Timestamp("2026-11-28T12:00:00.5").has_value());
  BOOST_TEST(Timestamp("2026-11-28T12:00:00", MissingOffset::kUtc).value_or(-1) == kNoon);
  BOOST_TEST(Timestamp("2026-11-28T12:00:00.5", MissingOffset::kUtc).value_or(-1) ==
             kNoon + 500'000);
  BOOST_TEST(Timestamp("2026-11-28T17:30:00+05:30", MissingOffset::kUtc).value_or(-1) == kNoon);
}

BOOST_AUTO_TEST_CASE(TimestampRejectsMalformedInput) {
  for (std::string_view junk : {
           "",
           "2026-11-28",  // a date alone is not a timestamp
           "2026-11-28T",
           "2026-11-28T12",
           "2026-11-28T12:00",
           "2026-11-28T12:00Z",
           "2026-13-28T12:00:00Z",
           "2026-00-28T12:00:00Z",
           "2026-11-00T12:00:00Z",
           "2026-11-31T12:00:00Z",
           "2026-04-31T12:00:00Z",  // day 31 in April
           "2026-02-29T12:00:00Z",
           "2100-02-29T12:00:00Z",
           "2026-11-28T24:00:00Z",
           "2026-11-28T12:60:00Z",
           "2026-11-28T12:00:61Z",
           "2026-11-28T-1:00:00Z",
           "2026-11-28T+1:00:00Z",
           "2026-11-28T 1:00:00Z",
           "2026-11-28t12:00:00Z",
           "2026-11-28X12:00:00Z",
           "2026/11/28T12:00:00Z",
           "2026-11-28T12.00.00Z",
           "2026-11-28T12:00:00.Z",
           "2026-11-28T12:00:00,5Z",
           "2026-11-28T12:00:00z",
           "2026-11-28T12:00:00Zjunk",
           "2026-11-28T12:00:00Z ",
           " 2026-11-28T12:00:00Z",
           "2026-11-28T12:00:00+0100",
           "2026-11-28T12:00:00+01",
           "2026-11-28T12:00:00+01:0",
           "2026-11-28T12:00:00+01:00:00",
           "2026-11-28T12:00:00+24:00",
           "2026-11-28T12:00:00+01:60",
           "2026-11-28T12:00:00+-1:00",
           "2026-11-28T12:00:00 +01:00",
           "+2026-11-28T12:00:00Z",
           "02026-11-28T12:00:00Z",
           "2026-1-28T12:00:00Z",
       }) {
    BOOST_TEST(!Timestamp(junk).has_value(), "\"" << junk << "\"");
    BOOST_TEST(!Timestamp(junk, MissingOffset::kUtc).has_value(), "\"" << junk << "\"");
  }
}

BOOST_AUTO_TEST_CASE(IsoDates) {
  BOOST_TEST(FormatIsoDate({2026, 12, 10}) == "2026-12-10");
  BOOST_TEST(FormatIsoDate({900, 1, 2}) == "0900-01-02");
  BOOST_TEST((ParseIsoDate("2026-12-10") == CivilDate{2026, 12, 10}));
  BOOST_TEST((ParseIsoDate("0000-01-01") == CivilDate{0, 1, 1}));
  BOOST_TEST((ParseIsoDate("9999-12-31") == CivilDate{9999, 12, 31}));
  for (std::string_view junk :
       {"",           "2026",        "2026-12",     "2026-4-01",   "2026-04-1",
        "2026/04/01", "2026-04-31",  "2026-06-31",  "2026-09-31",  "2026-11-31",
        "2026-13-01", "2026-00-01",  "2026-01-00",  "2026-01-32",  "+026-01-01",
        "-026-01-01", "2026-01-01 ", " 2026-01-01", "2026-01-01T", "20260101",
        "2026-0a-01", "2026--1-01",  "12026-01-01"}) {
    BOOST_TEST(!ParseIsoDate(Exact(junk).view()).has_value(), "\"" << junk << "\"");
  }
}

BOOST_AUTO_TEST_CASE(HttpDates) {
  BOOST_TEST(FormatHttpDate(784'111'777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  BOOST_TEST(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT").value_or(0) == 784'111'777);
  BOOST_TEST(FormatHttpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  // Seven consecutive days name every weekday; the first of each month names every month.
  const std::string_view weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  for (std::int64_t i = 0; i < 7; ++i) {
    const std::string text = FormatHttpDate(784'111'777 + i * kSecondsPerDay);
    BOOST_TEST(text.substr(0, 3) == weekdays[i], text);
    BOOST_TEST(ParseHttpDate(text).value_or(0) == 784'111'777 + i * kSecondsPerDay, text);
  }
  const std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned month = 1; month <= 12; ++month) {
    const std::int64_t seconds = DaysFromCivil({2026, month, 1}) * kSecondsPerDay;
    const std::string text = FormatHttpDate(seconds);
    BOOST_TEST(text.substr(8, 3) == months[month - 1], text);
    BOOST_TEST(ParseHttpDate(text).value_or(0) == seconds, text);
  }
  // The weekday is redundant: a wrong one is not checked against the date.
  BOOST_TEST(ParseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT").value_or(0) == 784'111'777);
  BOOST_TEST(ParseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT").value_or(0) == 1'483'228'800);
  for (std::string_view junk : {
           "",
           "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850
           "Sun Nov  6 08:49:37 1994",        // asctime
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 gmt",
           "Sun, 06 Nov 1994 -8:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Xyz 1994 08:49:37 GMT",
           "Sun,06 Nov 1994 08:49:37 GMT ",
           "Sun, 31 Apr 1994 08:49:37 GMT",
           "Sun, 29 Feb 2100 08:49:37 GMT",
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:37 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 06 Nov 1994 08:49:37 GMTX",
           " Sun, 06 Nov 1994 08:49:37 GMT",
       }) {
    BOOST_TEST(!ParseHttpDate(Exact(junk).view()).has_value(), "\"" << junk << "\"");
  }
}

BOOST_AUTO_TEST_CASE(Asn1Times) {
  struct Case {
    std::int64_t seconds;
    Asn1TimeType type;
    std::string_view text;
  };
  const Case cases[] = {
      {784'111'777, Asn1TimeType::kUtcTime, "941106084937Z"},
      {0, Asn1TimeType::kUtcTime, "700101000000Z"},
      {946'684'800, Asn1TimeType::kUtcTime, "000101000000Z"},    // 2000
      {2'524'607'999, Asn1TimeType::kUtcTime, "491231235959Z"},  // the last UTCTime
      {2'524'608'000, Asn1TimeType::kGeneralizedTime, "20500101000000Z"},
      {-2'208'988'800, Asn1TimeType::kGeneralizedTime, "19000101000000Z"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      const auto formatted = FormatAsn1Time(c.seconds);
      BOOST_TEST_REQUIRE(formatted.has_value());
      BOOST_TEST((formatted->type == c.type));
      BOOST_TEST(formatted->text == c.text);
      BOOST_TEST(ParseAsn1Time(c.type, c.text).value_or(-1) == c.seconds);
    }
  }
  // A GeneralizedTime may hold a year UTCTime could (OpenSSL's normalised form does).
  BOOST_TEST(ParseAsn1Time(Asn1TimeType::kGeneralizedTime, "19941106084937Z").value_or(0) ==
             784'111'777);
  const struct {
    Asn1TimeType type;
    std::string_view text;
  } junk[] = {
      {Asn1TimeType::kUtcTime, ""},
      {Asn1TimeType::kUtcTime, "9411060849Z"},   // no seconds
      {Asn1TimeType::kUtcTime, "941106084937"},  // no Z
      {Asn1TimeType::kUtcTime, "941106084937+0100"},
      {Asn1TimeType::kUtcTime, "19941106084937Z"},  // a GeneralizedTime
      {Asn1TimeType::kUtcTime, "941306084937Z"},
      {Asn1TimeType::kUtcTime, "940431084937Z"},
      {Asn1TimeType::kUtcTime, "941106244937Z"},
      {Asn1TimeType::kUtcTime, "941106086037Z"},
      {Asn1TimeType::kUtcTime, "941106084960Z"},
      {Asn1TimeType::kUtcTime, "9411-6084937Z"},
      {Asn1TimeType::kGeneralizedTime, "941106084937Z"},  // a UTCTime
      {Asn1TimeType::kGeneralizedTime, "19941106084937.5Z"},
      {Asn1TimeType::kGeneralizedTime, "21000229000000Z"},
      {Asn1TimeType::kGeneralizedTime, "19941106084937z"},
  };
  for (const auto& j : junk) {
    BOOST_TEST(!ParseAsn1Time(j.type, Exact(j.text).view()).has_value(), "\"" << j.text << "\"");
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger

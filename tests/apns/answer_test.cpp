// Apple's answer table (apns/answer.h): every status and reason APNs documents, and bodies that
// are not APNs'.
#include "apns/answer.h"

#include <boost/test/unit_test.hpp>

namespace passledger::apns {
namespace {

struct Case {
  int status;
  const char* body;
  Verdict verdict;
};

const Case kCases[] = {
    {200, "", Verdict::kDelivered},
    {410, R"({"reason":"Unregistered","timestamp":1700000000000})", Verdict::kUnregistered},
    {410, R"({"reason":"ExpiredToken"})", Verdict::kUnregistered},
    {400, R"({"reason":"BadDeviceToken"})", Verdict::kBadDeviceToken},
    {400, R"({"reason":"DeviceTokenNotForTopic"})", Verdict::kConfiguration},
    {400, R"({"reason":"TopicDisallowed"})", Verdict::kConfiguration},
    {400, R"({"reason":"BadTopic"})", Verdict::kConfiguration},
    {400, R"({"reason":"InvalidPushType"})", Verdict::kConfiguration},
    {400, R"({"reason":"BadPriority"})", Verdict::kConfiguration},
    {400, R"({"reason":"IdleTimeout"})", Verdict::kRetry},
    {403, R"({"reason":"ExpiredProviderToken"})", Verdict::kExpiredProviderToken},
    {403, R"({"reason":"InvalidProviderToken"})", Verdict::kConfiguration},
    {403, R"({"reason":"BadCertificate"})", Verdict::kConfiguration},
    {403, R"({"reason":"BadCertificateEnvironment"})", Verdict::kConfiguration},
    {404, R"({"reason":"BadPath"})", Verdict::kConfiguration},
    {405, R"({"reason":"MethodNotAllowed"})", Verdict::kConfiguration},
    {413, R"({"reason":"PayloadTooLarge"})", Verdict::kConfiguration},
    {429, R"({"reason":"TooManyRequests"})", Verdict::kTooManyRequests},
    {429, R"({"reason":"TooManyProviderTokenUpdates"})", Verdict::kTooManyProviderTokenUpdates},
    {500, R"({"reason":"InternalServerError"})", Verdict::kRetry},
    {503, R"({"reason":"ServiceUnavailable"})", Verdict::kRetry},
    {503, R"({"reason":"Shutdown"})", Verdict::kRetry},
    {0, "", Verdict::kRetry},
    {302, "", Verdict::kRetry},
};

BOOST_AUTO_TEST_CASE(every_documented_answer_has_its_verdict) {
  for (const Case& c : kCases) {
    BOOST_TEST_CONTEXT(c.status << " " << c.body) {
      BOOST_TEST(VerdictName(Judge(ParseAnswer(c.status, c.body))) == VerdictName(c.verdict));
    }
  }
}

BOOST_AUTO_TEST_CASE(reads_reason_and_timestamp) {
  const Answer a = ParseAnswer(410, R"({"reason":"Unregistered","timestamp":1700000000123})");
  BOOST_TEST(a.status == 410);
  BOOST_TEST(a.reason == "Unregistered");
  BOOST_REQUIRE(a.timestamp_ms.has_value());
  BOOST_TEST(*a.timestamp_ms == 1700000000123);
}

BOOST_AUTO_TEST_CASE(bodies_that_are_not_apns_yield_empty_fields) {
  for (const char* body : {"", "not json", "[]", R"({"reason":7})", R"({"timestamp":"x"})",
                           R"({"reason":"BadDeviceToken")"}) {
    const Answer a = ParseAnswer(400, body);
    BOOST_TEST(a.reason.empty());
    BOOST_TEST(!a.timestamp_ms.has_value());
    // Without the reason a 400 is our request's fault: a configuration stop, never a removal.
    BOOST_TEST(VerdictName(Judge(a)) == "configuration");
  }
  BOOST_TEST(ParseAnswer(400, std::string(5000, ' ') + R"({"reason":"BadDeviceToken"})").reason.empty());
}

}  // namespace
}  // namespace passledger::apns

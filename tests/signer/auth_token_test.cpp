// Pass authentication tokens: a known answer, determinism, what changes them, the alphabet,
// and the constant-time comparison.
#include "signer/auth_token.h"

#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

namespace passledger::signer {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

BOOST_AUTO_TEST_SUITE(auth_token)

// Computed independently: base64url(HMAC-SHA256(secret, "M-1001-0\0" "2")) without padding.
BOOST_AUTO_TEST_CASE(KnownAnswer) {
  BOOST_TEST(PassAuthToken(kSecret, "M-1001-0", 2) ==
             "3YATznkIts0q84tsAZJCVm5aFAsf_41ft8Lw4ZogUN0");
}

BOOST_AUTO_TEST_CASE(DeterministicAndBase64Url) {
  const std::string token = PassAuthToken(kSecret, "M-1001-0", 1);
  BOOST_TEST(token == PassAuthToken(kSecret, "M-1001-0", 1));
  BOOST_TEST(token.size() == kAuthTokenLength);
  for (const char c : token) BOOST_TEST(IsBase64UrlChar(c), "character " << c);
}

BOOST_AUTO_TEST_CASE(DiffersPerSerialGenerationAndSecret) {
  const std::string other_secret = "fedcba9876543210fedcba9876543210";
  std::set<std::string> tokens = {
      PassAuthToken(kSecret, "M-1001-0", 1),
      PassAuthToken(kSecret, "M-1001-1", 1),
      PassAuthToken(kSecret, "M-1001-0", 2),
      PassAuthToken(other_secret, "M-1001-0", 1),
      // The separator keeps (serial "a1", generation 1) apart from (serial "a", generation 11).
      PassAuthToken(kSecret, "a1", 1),
      PassAuthToken(kSecret, "a", 11),
  };
  BOOST_TEST(tokens.size() == 6u);
}

BOOST_AUTO_TEST_CASE(MinimumSecretSizeIsAccepted) {
  const std::string short_secret(kMinTokenSecretSize, 'k');
  BOOST_TEST(PassAuthToken(short_secret, "s", 1).size() == kAuthTokenLength);
}

BOOST_AUTO_TEST_CASE(TokenMatchesComparesExactly) {
  const std::string token = PassAuthToken(kSecret, "M-1001-0", 1);
  std::string altered = token;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  BOOST_TEST(TokenMatches(token, token));
  BOOST_TEST(!TokenMatches(altered, token));
  BOOST_TEST(!TokenMatches(token.substr(0, 42), token));
  BOOST_TEST(!TokenMatches(token + "A", token));
  BOOST_TEST(!TokenMatches("", token));
  BOOST_TEST(!TokenMatches(PassAuthToken(kSecret, "M-1001-0", 2), token));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

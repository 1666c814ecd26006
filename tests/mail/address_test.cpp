// CheckAddress and IsDotAtomText (mail/address.h): accepted forms, and each refusal reason.
#include "mail/address.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace passledger::mail {
namespace {

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(good_addresses_come_back_trimmed) {
  const struct {
    std::string in, out;
  } cases[] = {
      {"member@garden.example", "member@garden.example"},
      {"  member@garden.example  ", "member@garden.example"},
      {"first.last+tag@mail.garden-friends.example", "first.last+tag@mail.garden-friends.example"},
      {"o'brien!#$%&*/=?^_`{|}~-@x.example", "o'brien!#$%&*/=?^_`{|}~-@x.example"},
      {"a@xn--nez-8ma.example", "a@xn--nez-8ma.example"},
      {std::string(64, 'l') + "@d.example", std::string(64, 'l') + "@d.example"},
  };
  for (const auto& c : cases) {
    const auto got = CheckAddress(c.in);
    BOOST_TEST_CONTEXT(c.in) {
      BOOST_REQUIRE_MESSAGE(got, got.error().ToString());
      BOOST_TEST(*got == c.out);
    }
  }
}

BOOST_AUTO_TEST_CASE(each_refusal_says_why) {
  const std::string long_domain = "a@" + std::string(63, 'd') + "." + std::string(63, 'd') + "." +
                                  std::string(63, 'd') + "." + std::string(60, 'd') + ".example";
  const struct {
    std::string in, message;
  } cases[] = {
      {"", "no e-mail address"},
      {"   ", "no e-mail address"},
      {"a@b.example\r\nBcc: x@y.example", "contains a line break or control character"},
      {"a@b.example\n", "contains a line break or control character"},
      {"a\t@b.example", "contains a line break or control character"},
      {std::string("a@b.exam\0ple", 12), "contains a line break or control character"},
      {"a@b.example\x7f", "contains a line break or control character"},
      {"a@b.example, c@d.example", "more than one address or a display name"},
      {"a@b.example;c@d.example", "more than one address or a display name"},
      {"a@b.example c@d.example", "more than one address or a display name"},
      {"Name <a@b.example>", "more than one address or a display name"},
      {"<a@b.example>", "more than one address or a display name"},
      {"\"quoted\"@b.example", "more than one address or a display name"},
      {"ab.example", "is not a valid e-mail address: no @"},
      {"@b.example", "is not a valid e-mail address: nothing before the @"},
      {"a@", "is not a valid e-mail address: nothing after the @"},
      {"a@b@c.example", "is not a valid e-mail address: the part before the @"},
      {".a@b.example", "is not a valid e-mail address: the part before the @"},
      {"a.@b.example", "is not a valid e-mail address: the part before the @"},
      {"a..b@b.example", "is not a valid e-mail address: the part before the @"},
      {"a(b)@b.example", "is not a valid e-mail address: the part before the @"},
      {std::string(65, 'l') + "@d.example", "the part before the @ is over 64 characters"},
      {"a@localhost", "the domain needs a dot"},
      {"a@[127.0.0.1]", "address literals"},
      {"a@-b.example", "letters, digits, hyphens and single dots"},
      {"a@b-.example", "letters, digits, hyphens and single dots"},
      {"a@b..example", "letters, digits, hyphens and single dots"},
      {"a@b.example.", "letters, digits, hyphens and single dots"},
      {"a@b_c.example", "letters, digits, hyphens and single dots"},
      {"a@" + std::string(64, 'd') + ".example", "letters, digits, hyphens and single dots"},
      {long_domain, "longer than 254 characters"},
      {"n\xc3\xba\xc3\xb1"
       "ez@b.example",
       "non-ASCII addresses are not supported"},
      {"a@n\xc3\xba\xc3\xb1"
       "ez.example",
       "non-ASCII addresses are not supported"},
  };
  for (const auto& c : cases) {
    const auto got = CheckAddress(c.in);
    BOOST_TEST_CONTEXT(c.in) {
      BOOST_REQUIRE(!got);
      BOOST_TEST((got.error().code == ErrorCode::kInvalidArgument));
      BOOST_TEST(got.error().message.find(c.message) != std::string::npos, got.error().message);
    }
  }
}

BOOST_AUTO_TEST_CASE(messages_never_repeat_the_address) {
  for (const std::string in : {"secret.person@localhost", "secret.person@b.example, x@y.example",
                               "secret.person\r\n@b.example"}) {
    const auto got = CheckAddress(in);
    BOOST_REQUIRE(!got);
    BOOST_TEST(got.error().message.find("secret.person") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(ascii_and_dot_atoms) {
  BOOST_TEST(IsAscii("plain text ~"));
  BOOST_TEST(!IsAscii("caf\xc3\xa9"));
  BOOST_TEST(IsDotAtomText("pl-1234.5"));
  BOOST_TEST(!IsDotAtomText(""));
  BOOST_TEST(!IsDotAtomText("a..b"));
  BOOST_TEST(!IsDotAtomText("a b"));
  BOOST_TEST(!IsDotAtomText("<a>"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::mail

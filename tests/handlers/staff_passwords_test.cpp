// Staff passwords: Argon2id PHC strings with OWASP's parameters that verify only the right
// password, stored strings with parameters out of bounds refused before libargon2 sees them,
// and the rules for new passwords with messages a person can act on.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "handlers/staff/passwords.h"
#include "tests/testing/event_log_helpers.h"

namespace passledger::handlers {
namespace {

using passledger::testing::Succeeded;

constexpr std::string_view kGood = "violet tram under seven bridges";

std::string Hash(std::string_view password) {
  auto hashed = HashPassword(password);
  BOOST_TEST_REQUIRE(Succeeded(hashed));
  return *hashed;
}

// `encoded` with its first `from` replaced by `to`.
std::string Replaced(std::string encoded, std::string_view from, std::string_view to) {
  const auto at = encoded.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  return encoded.replace(at, from.size(), to);
}

BOOST_AUTO_TEST_SUITE(staff_passwords_test)

BOOST_AUTO_TEST_CASE(a_hash_is_owasps_argon2id_and_verifies_only_its_password) {
  const std::string encoded = Hash(kGood);
  BOOST_TEST(encoded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), encoded);
  BOOST_TEST(VerifyPassword(encoded, kGood));
  BOOST_TEST(!VerifyPassword(encoded, "violet tram under seven bridge"));
  BOOST_TEST(!VerifyPassword(encoded, ""));
  const auto params = ParseArgon2Params(encoded);
  BOOST_TEST_REQUIRE(params.has_value());
  BOOST_TEST(params->memory_kib == 19456u);
  BOOST_TEST(params->passes == 2u);
  BOOST_TEST(params->lanes == 1u);
  BOOST_TEST(params->salt_bytes == 16u);
  BOOST_TEST(params->tag_bytes == 32u);
  // A fresh salt every time: the same password hashes differently, and both verify.
  const std::string again = Hash(kGood);
  BOOST_TEST(again != encoded);
  BOOST_TEST(VerifyPassword(again, kGood));
}

BOOST_AUTO_TEST_CASE(a_password_with_a_nul_byte_is_not_cut_at_it) {
  const std::string with_nul("sixteen chars\0tail", 18);
  const std::string encoded = Hash(with_nul);
  BOOST_TEST(VerifyPassword(encoded, with_nul));
  BOOST_TEST(!VerifyPassword(encoded, "sixteen chars"));
}

// A hostile or damaged record must not choose how much memory or time a login costs. The
// control: the unaltered string verifies, so each refusal below is the alteration's doing.
BOOST_AUTO_TEST_CASE(stored_strings_out_of_bounds_are_refused_before_libargon2_runs) {
  const std::string good = Hash(kGood);
  BOOST_TEST_REQUIRE(VerifyPassword(good, kGood));
  const std::string salt_and_tag = good.substr(good.find('$', good.find("p=1")));  // $salt$tag
  const std::vector<std::string> refused = {
      Replaced(good, "m=19456", "m=4194304"),  // 4 GiB
      Replaced(good, "m=19456", "m=65537"),
      Replaced(good, "m=19456", "m=4096"),  // weaker than any OWASP setting
      Replaced(good, "m=19456", "m=019456"),
      Replaced(good, "m=19456", "m=99999999999"),
      Replaced(good, "t=2", "t=1000000"),
      Replaced(good, "t=2", "t=0"),
      Replaced(good, "p=1", "p=64"),
      Replaced(good, "p=1", "p=0"),
      Replaced(good, "v=19", "v=16"),
      Replaced(good, "$argon2id$", "$argon2i$"),
      Replaced(good, "$argon2id$", "$argon2d$"),
      Replaced(good, ",t=2", ""),
      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + salt_and_tag.substr(salt_and_tag.rfind('$') + 1),
      good + "$extra",
      good + "=",
      Replaced(good, "$argon2id", " $argon2id"),
      good.substr(0, good.size() - 30),
      "$argon2id$v=19$m=19456,t=2,p=1" + salt_and_tag + std::string(300, 'A'),
      "",
      "not a hash at all",
  };
  for (const auto& encoded : refused) {
    BOOST_TEST(!ParseArgon2Params(encoded).has_value(), encoded);
    const auto started = std::chrono::steady_clock::now();
    BOOST_TEST(!VerifyPassword(encoded, kGood), encoded);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(5)),
               "libargon2 ran for " << encoded);
  }
  // Inside the bounds: OWASP's lightest setting and the heaviest allowed parse.
  BOOST_TEST(
      ParseArgon2Params(Replaced(Replaced(good, "m=19456", "m=7168"), "t=2", "t=5")).has_value());
  BOOST_TEST(
      ParseArgon2Params(Replaced(Replaced(good, "m=19456", "m=65536"), "p=1", "p=4")).has_value());
}

BOOST_AUTO_TEST_CASE(the_dummy_hash_is_made_once_with_the_parameters_of_real_ones) {
  const std::string& dummy = DummyPasswordHash();
  BOOST_TEST(&dummy == &DummyPasswordHash());
  BOOST_TEST(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), dummy);
  BOOST_TEST(ParseArgon2Params(dummy).has_value());
  BOOST_TEST(!VerifyPassword(dummy, ""));
  BOOST_TEST(!VerifyPassword(dummy, kGood));
}

struct RuleCase {
  std::string password;
  std::string username;
  std::string message;  // a part of the refusal; empty: accepted
};

BOOST_AUTO_TEST_CASE(new_passwords_are_refused_with_a_reason_a_person_can_act_on) {
  const std::vector<RuleCase> cases = {
      {"short", "alice", "has 5 characters; use at least 12"},
      {"elevenchars", "alice", "has 11 characters"},
      {"twelve chars", "alice", ""},
      // Characters are code points, not bytes: 11 two-byte letters are still too short.
      {"ééééééééééé", "alice", "has 11 characters"},
      {"éééééééééééé", "alice", ""},
      {"日本語のパスワードです", "alice", "has 11 characters"},
      {"日本語のとても長いパスワード", "alice", ""},
      {std::string(1024, 'x') + "", "alice", ""},
      {std::string(1025, 'x'), "alice", "longer than 1024 bytes"},
      {"valid until \xff here", "alice", "not valid UTF-8"},
      {"overlong \xc0\xaf slash!", "alice", "not valid UTF-8"},
      {"surrogate \xed\xa0\x80 half", "alice", "not valid UTF-8"},
      {"cut at the end \xe6\x97", "alice", "not valid UTF-8"},
      {"tab\tinside password", "alice", "control character"},
      {"line\nbreak password", "alice", "control character"},
      {std::string("nul\0inside password", 19), "alice", "control character"},
      {"delete \x7f inside it", "alice", "control character"},
      {"c1 control \xc2\x85 inside", "alice", "control character"},
      {"password1234", "alice", "commonly used"},
      {"PassWord1234", "alice", "commonly used"},
      {"QWERTYUIOP123", "alice", "commonly used"},
      {"correct horse battery staple", "alice", "commonly used"},
      {"123456789012", "alice", "commonly used"},
      {"alice in wonderland", "alice", "contains the username"},
      {"my name is ALICE.SMITH ok", "alice.smith", "contains the username"},
      // Short usernames are compared whole, so "ab" does not forbid every "ab" in a password.
      {"about a boat on a lake", "ab", ""},
  };
  for (const auto& c : cases) {
    auto checked = CheckNewPassword(c.password, c.username);
    if (c.message.empty()) {
      BOOST_TEST(Succeeded(checked), c.password);
      continue;
    }
    BOOST_TEST_REQUIRE(!checked.has_value(), c.password);
    BOOST_TEST((checked.error().code == ErrorCode::kInvalidArgument));
    BOOST_TEST(checked.error().message.find(c.message) != std::string::npos,
               checked.error().message << " (expected: " << c.message << ")");
  }
}

// Every entry of the shipped file is compiled in, and each is long enough that only the list
// (not the length rule) refuses it. The file is read from the source tree to compare.
BOOST_AUTO_TEST_CASE(the_shipped_common_password_list_is_compiled_in_whole) {
  std::ifstream file(std::string(PASSLEDGER_TEST_DATA_DIR) +
                     "/../../handlers/staff/common_passwords.txt");
  BOOST_TEST_REQUIRE(file.good());
  std::string line;
  std::size_t entries = 0;
  while (std::getline(file, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    ++entries;
    BOOST_TEST(IsCommonPassword(line), line);
    auto checked = CheckNewPassword(line, "nobody");
    BOOST_TEST_REQUIRE(!checked.has_value(), line);
    BOOST_TEST(checked.error().message.find("commonly used") != std::string::npos, line);
  }
  BOOST_TEST(entries >= 300u);
  BOOST_TEST(!IsCommonPassword("violet tram under seven bridges"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

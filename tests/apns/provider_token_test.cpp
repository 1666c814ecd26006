// ProviderToken: the ES256 JWT verifies with the key's public half and carries the right
// header and claims; one token is reused until it is refresh_after old or APNs reported it
// expired (once, however many reports); keys that are not EC P-256 and bad ids are refused.
// This file also defines the test module.
#define BOOST_TEST_MODULE apns
#include "apns/provider_token.h"

#include <openssl/ec.h>
#include <openssl/pem.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/openssl_ptr.h"

namespace passledger::apns {
namespace {

using UniqueEcdsaSig = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using UniqueBignum = OpenSslPtr<BIGNUM, BN_free>;

UniquePkey EcKey(const char* curve) {
  UniquePkey key(EVP_EC_gen(curve));
  BOOST_TEST_REQUIRE(key != nullptr);
  return key;
}

std::string PrivatePem(EVP_PKEY* key) {  // PKCS#8, as Apple's .p8 files are
  UniqueBio bio(BIO_new(BIO_s_mem()));
  BOOST_TEST_REQUIRE(
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string FromBase64Url(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const std::size_t unpadded = text.size();
  while (text.size() % 4 != 0) text += '=';
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  BOOST_TEST_REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - (text.size() - unpadded));
  return out;
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

// Verifies the JWS signature (r || s) over "header.claims" with `key`'s public half.
bool Verifies(const std::string& token, EVP_PKEY* key) {
  const auto parts = Split(token);
  if (parts.size() != 3) return false;
  const std::string raw = FromBase64Url(parts[2]);
  if (raw.size() != 64) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  UniqueBignum r(BN_bin2bn(bytes, 32, nullptr));
  UniqueBignum s(BN_bin2bn(bytes + 32, 32, nullptr));
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.release(), s.release()) != 1) return false;
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) return false;
  const std::string input = parts[0] + "." + parts[1];
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  const bool ok =
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_size),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

struct Fixture {
  UniquePkey key = EcKey("P-256");
  std::int64_t now = 1'780'000'000;

  ProviderTokenOptions Options() {
    ProviderTokenOptions options;
    options.key_id = "ABC123DEFG";
    options.team_id = "TEAM456789";
    options.clock = [this] { return now; };
    return options;
  }

  std::unique_ptr<ProviderToken> Make() {
    auto made = ProviderToken::FromPem(PrivatePem(key.get()), Options());
    BOOST_TEST_REQUIRE(made.has_value(), (made ? "" : made.error().message));
    return std::move(*made);
  }

  std::string Current(ProviderToken& token) {
    auto current = token.Current();
    BOOST_TEST_REQUIRE(current.has_value());
    return *current;
  }
};

BOOST_FIXTURE_TEST_SUITE(provider_token, Fixture)

BOOST_AUTO_TEST_CASE(the_token_is_an_es256_jwt_with_kid_iss_and_iat) {
  auto token = Make();
  const std::string jwt = Current(*token);
  const auto parts = Split(jwt);
  BOOST_TEST_REQUIRE(parts.size() == 3u);
  for (const auto& part : parts) {
    BOOST_TEST(part.find_first_of("+/=") == std::string::npos);  // base64url, no padding
  }
  const auto header = boost::json::parse(FromBase64Url(parts[0])).as_object();
  BOOST_TEST(header.size() == 2u);
  BOOST_TEST(header.at("alg").as_string() == "ES256");
  BOOST_TEST(header.at("kid").as_string() == "ABC123DEFG");
  const auto claims = boost::json::parse(FromBase64Url(parts[1])).as_object();
  BOOST_TEST(claims.size() == 2u);
  BOOST_TEST(claims.at("iss").as_string() == "TEAM456789");
  BOOST_TEST(claims.at("iat").as_int64() == now);

  BOOST_TEST(Verifies(jwt, key.get()));
  // The check can fail: another key, or a changed claim, does not verify.
  BOOST_TEST(!Verifies(jwt, EcKey("P-256").get()));
  std::string altered = jwt;
  altered[parts[0].size() + 3] ^= 1;
  BOOST_TEST(!Verifies(altered, key.get()));
}

BOOST_AUTO_TEST_CASE(one_token_until_it_is_refresh_after_old) {
  auto token = Make();
  const std::string first = Current(*token);
  now += 45 * 60 - 1;
  BOOST_TEST(Current(*token) == first);
  BOOST_TEST(token->signed_count() == 1u);
  now += 1;
  const std::string second = Current(*token);
  BOOST_TEST(second != first);
  BOOST_TEST(Verifies(second, key.get()));
  BOOST_TEST(boost::json::parse(FromBase64Url(Split(second)[1])).at("iat").as_int64() == now);
  BOOST_TEST(token->signed_count() == 2u);
  // A clock that went back does not keep a token "from the future".
  now -= 10;
  BOOST_TEST(Current(*token) != second);
}

BOOST_AUTO_TEST_CASE(expired_signs_a_new_token_once_however_many_report_it) {
  auto token = Make();
  const std::string first = Current(*token);
  token->Expired("not-the-current-token");
  BOOST_TEST(Current(*token) == first);
  BOOST_TEST(token->signed_count() == 1u);

  now += 1;  // a new iat, so the new token differs
  token->Expired(first);
  token->Expired(first);
  const std::string second = Current(*token);
  BOOST_TEST(second != first);
  token->Expired(first);  // a late report about the old token changes nothing
  BOOST_TEST(Current(*token) == second);
  BOOST_TEST(token->signed_count() == 2u);
}

BOOST_AUTO_TEST_CASE(keys_and_ids_that_cannot_work_are_refused) {
  struct Case {
    const char* name;
    std::string pem;
    std::string key_id;
    std::string team_id;
  };
  UniquePkey rsa(EVP_RSA_gen(2048));
  BOOST_TEST_REQUIRE(rsa != nullptr);
  const std::string good = PrivatePem(key.get());
  const std::vector<Case> cases = {
      {"an RSA key", PrivatePem(rsa.get()), "ABC123DEFG", "TEAM456789"},
      {"a P-384 key", PrivatePem(EcKey("P-384").get()), "ABC123DEFG", "TEAM456789"},
      {"not PEM", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", "ABC123DEFG",
       "TEAM456789"},
      {"an empty key id", good, "", "TEAM456789"},
      {"a key id with a quote", good, "ABC\"123", "TEAM456789"},
      {"a team id with a space", good, "ABC123DEFG", "TEAM 45678"},
      {"a team id too long", good, "ABC123DEFG", std::string(33, 'A')},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      ProviderTokenOptions options = Options();
      options.key_id = c.key_id;
      options.team_id = c.team_id;
      auto made = ProviderToken::FromPem(c.pem, options);
      BOOST_TEST_REQUIRE(!made.has_value());
      BOOST_TEST((made.error().code == ErrorCode::kInvalidArgument));
    }
  }
  // The control: the same options with the good key and ids are accepted.
  BOOST_TEST(ProviderToken::FromPem(good, Options()).has_value());
}

BOOST_AUTO_TEST_CASE(base64url_has_no_padding_and_url_safe_letters) {
  BOOST_TEST(Base64Url("") == "");
  BOOST_TEST(Base64Url("f") == "Zg");
  BOOST_TEST(Base64Url("fo") == "Zm8");
  BOOST_TEST(Base64Url("foo") == "Zm9v");
  BOOST_TEST(Base64Url(std::string("\xfb\xff\xbf", 3)) == "-_-_");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::apns

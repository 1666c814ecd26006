// Client addresses: networks parsed, X-Forwarded-For believed only from trusted proxies and
// read from the right, and the network a rate limit counts (IPv4 address, IPv6 /64).
#include "http/client_address.h"

#include <boost/test/unit_test.hpp>

namespace passledger::http {
namespace {

namespace ip = boost::asio::ip;

std::vector<Network> Networks(const std::vector<std::string>& texts) {
  auto networks = ParseNetworks(texts);
  BOOST_TEST_REQUIRE(networks.has_value());
  return *networks;
}

std::string Resolve(std::string_view peer, std::string_view forwarded,
                    const std::vector<Network>& trusted) {
  return ResolveClient(ip::make_address(std::string(peer)), forwarded, trusted).to_string();
}

BOOST_AUTO_TEST_CASE(networks_parse_and_contain) {
  const auto networks = Networks({"10.0.0.0/8", "192.0.2.7", "fd00::/8", " ::1 "});
  BOOST_TEST(InNetworks(ip::make_address("10.255.0.1"), networks));
  BOOST_TEST(!InNetworks(ip::make_address("11.0.0.1"), networks));
  BOOST_TEST(InNetworks(ip::make_address("192.0.2.7"), networks));
  BOOST_TEST(!InNetworks(ip::make_address("192.0.2.8"), networks));
  BOOST_TEST(InNetworks(ip::make_address("fd12::1"), networks));
  BOOST_TEST(InNetworks(ip::make_address("::1"), networks));
  BOOST_TEST(InNetworks(ip::make_address("::ffff:10.1.2.3"), networks));  // v4-mapped
  BOOST_TEST(!InNetworks(ip::make_address("2001:db8::1"), networks));
  BOOST_TEST(Networks({"10.1.2.3/20"})[0].base.to_string() == "10.1.0.0");
  for (const std::string bad : {"", "x", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/a",
                                "10.0.0.0/8/8", "10.0.0.256"}) {
    BOOST_TEST_CONTEXT(bad) {
      const auto parsed = ParseNetwork(bad);
      BOOST_TEST_REQUIRE(!parsed.has_value());
      BOOST_TEST(parsed.error().message.find("not an IP address") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(forwarded_for_is_believed_only_from_trusted_proxies) {
  const auto trusted = Networks({"10.0.0.0/8"});
  // An untrusted peer is the client whatever it claims.
  BOOST_TEST(Resolve("203.0.113.9", "198.51.100.1", trusted) == "203.0.113.9");
  BOOST_TEST(Resolve("203.0.113.9", "198.51.100.1", {}) == "203.0.113.9");
  // A trusted peer: the rightmost address that is not a trusted proxy.
  BOOST_TEST(Resolve("10.0.0.1", "198.51.100.1", trusted) == "198.51.100.1");
  BOOST_TEST(Resolve("10.0.0.1", "6.6.6.6, 198.51.100.1", trusted) == "198.51.100.1");
  BOOST_TEST(Resolve("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", trusted) == "198.51.100.1");
  BOOST_TEST(Resolve("10.0.0.1", "2001:db8::5", trusted) == "2001:db8::5");
  BOOST_TEST(Resolve("10.0.0.1", "[2001:db8::5]:443", trusted) == "2001:db8::5");
  BOOST_TEST(Resolve("10.0.0.1", "198.51.100.1:5000", trusted) == "198.51.100.1");
  // Nothing forwarded, or garbage next to the proxy: the last trusted hop.
  BOOST_TEST(Resolve("10.0.0.1", "", trusted) == "10.0.0.1");
  BOOST_TEST(Resolve("10.0.0.1", "  ", trusted) == "10.0.0.1");
  BOOST_TEST(Resolve("10.0.0.1", "198.51.100.1, junk, 10.0.0.3", trusted) == "10.0.0.3");
  BOOST_TEST(Resolve("::ffff:10.0.0.1", "198.51.100.1", trusted) == "198.51.100.1");
}

BOOST_AUTO_TEST_CASE(rate_limits_count_ipv4_addresses_and_ipv6_slash_64s) {
  BOOST_TEST(RateLimitNetwork("192.0.2.7") == "192.0.2.7");
  BOOST_TEST(RateLimitNetwork("::ffff:192.0.2.7") == "192.0.2.7");
  BOOST_TEST(RateLimitNetwork("2001:db8:1:2::1") == "2001:db8:1:2::/64");
  BOOST_TEST(RateLimitNetwork("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  BOOST_TEST(RateLimitNetwork("2001:db8:1:3::1") == "2001:db8:1:3::/64");
  BOOST_TEST(RateLimitNetwork("not an address") == "not an address");
}

}  // namespace
}  // namespace passledger::http

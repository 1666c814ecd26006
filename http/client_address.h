// Who a request comes from: the peer's address, or — only when the peer is a trusted reverse
// proxy — the address that proxy put in X-Forwarded-For; and the network a rate limit should
// count it under (an IPv4 address, an IPv6 /64), so that one host cannot multiply its budget
// by using the 2^64 addresses of its own IPv6 subnet.
//
// Pure functions over values; thread-safe.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::http {

// An address block: "192.0.2.7" (one address), "10.0.0.0/8", "::1", "fd00::/8".
struct Network {
  boost::asio::ip::address base;  // with the bits past `prefix` cleared
  unsigned prefix = 0;            // 0..32 for IPv4, 0..128 for IPv6
};

// kInvalidArgument naming the entry that is neither an address nor address/prefix.
Result<Network> ParseNetwork(std::string_view text);
Result<std::vector<Network>> ParseNetworks(const std::vector<std::string>& texts);

// Whether `address` lies in one of `networks` (IPv4-mapped IPv6 addresses count as IPv4).
bool InNetworks(const boost::asio::ip::address& address, const std::vector<Network>& networks);

// The client address of a request from `peer`: the peer itself unless it is in `trusted`;
// then X-Forwarded-For (`forwarded_for`, every header's value joined by ",") read from the
// right, skipping the addresses of trusted proxies: the first one that is not trusted is the
// client. An entry that is not an address ends the walk at the last trusted hop (the request
// is then counted under that proxy, never under an address the client wrote itself).
// IPv4-mapped IPv6 addresses are given as IPv4.
boost::asio::ip::address ResolveClient(const boost::asio::ip::address& peer,
                                       std::string_view forwarded_for,
                                       const std::vector<Network>& trusted);

// The network a rate limit counts `address` under, as text: "192.0.2.7" for IPv4,
// "2001:db8:1:2::/64" for IPv6 (the first 64 bits). Unparsable text is returned unchanged.
std::string RateLimitNetwork(std::string_view address);

}  // namespace passledger::http

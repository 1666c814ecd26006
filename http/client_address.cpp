#include "http/client_address.h"

#include <array>
#include <charconv>
#include <optional>

#include "http/header_text.h"

namespace passledger::http {
namespace {

namespace ip = boost::asio::ip;

// IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4; everything else unchanged.
ip::address Unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<ip::address> ParseAddress(std::string_view text) {
  boost::system::error_code ec;
  const ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return Unmapped(address);
}

template <std::size_t N>
std::array<unsigned char, N> Masked(std::array<unsigned char, N> bytes, unsigned prefix) {
  for (std::size_t i = 0; i < N; ++i) {
    const unsigned kept = prefix >= 8 * (i + 1) ? 8 : (prefix > 8 * i ? prefix - 8 * i : 0);
    bytes[i] &= static_cast<unsigned char>(0xff00u >> kept);
  }
  return bytes;
}

ip::address Masked(const ip::address& address, unsigned prefix) {
  if (address.is_v4()) return ip::address_v4(Masked(address.to_v4().to_bytes(), prefix));
  return ip::address_v6(Masked(address.to_v6().to_bytes(), prefix));
}

// One X-Forwarded-For entry: an address, "[v6]" or "[v6]:port", or "v4:port".
std::optional<ip::address> ParseForwarded(std::string_view entry) {
  entry = TrimOws(entry);
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return ParseAddress(entry.substr(1, close - 1));
  }
  if (entry.find(':') == entry.rfind(':') && entry.find(':') != std::string_view::npos) {
    entry = entry.substr(0, entry.find(':'));  // "a.b.c.d:port"
  }
  return ParseAddress(entry);
}

}  // namespace

Result<Network> ParseNetwork(std::string_view text) {
  const std::string_view trimmed = TrimOws(text);
  const auto slash = trimmed.find('/');
  const auto address = ParseAddress(trimmed.substr(0, slash));
  const auto invalid =
      MakeError(ErrorCode::kInvalidArgument,
                "\"" + std::string(text) + "\" is not an IP address or network (address/prefix)");
  if (!address) return invalid;
  const unsigned width = address->is_v4() ? 32 : 128;
  unsigned prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = trimmed.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        prefix > width) {
      return invalid;
    }
  }
  return Network{Masked(*address, prefix), prefix};
}

Result<std::vector<Network>> ParseNetworks(const std::vector<std::string>& texts) {
  std::vector<Network> out;
  for (const auto& text : texts) {
    auto network = ParseNetwork(text);
    if (!network) return network.error();
    out.push_back(*network);
  }
  return out;
}

bool InNetworks(const ip::address& address, const std::vector<Network>& networks) {
  const ip::address plain = Unmapped(address);
  for (const auto& network : networks) {
    if (network.base.is_v4() != plain.is_v4()) continue;
    if (Masked(plain, network.prefix) == network.base) return true;
  }
  return false;
}

ip::address ResolveClient(const ip::address& peer, std::string_view forwarded_for,
                          const std::vector<Network>& trusted) {
  ip::address client = Unmapped(peer);
  while (InNetworks(client, trusted)) {
    if (TrimOws(forwarded_for).empty()) return client;
    const auto comma = forwarded_for.rfind(',');
    const std::string_view entry =
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for =
        comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    const auto hop = ParseForwarded(entry);
    if (!hop) return client;
    client = *hop;
  }
  return client;
}

std::string RateLimitNetwork(std::string_view address) {
  const auto parsed = ParseAddress(address);
  if (!parsed) return std::string(address);
  if (parsed->is_v4()) return parsed->to_string();
  return Masked(*parsed, 64).to_string() + "/64";
}

}  // namespace passledger::http

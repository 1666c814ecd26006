#include "apns/backoff.h"

#include <algorithm>
#include <array>

#include "base/crypto.h"

namespace passledger::apns {
namespace {

std::uint64_t RandomSeed() {
  std::array<std::uint8_t, 8> bytes{};
  RandomBytes(bytes);
  std::uint64_t seed = 0;
  for (const std::uint8_t b : bytes) seed = (seed << 8) | b;
  return seed;
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap)
    : base_(std::max(base, std::chrono::milliseconds(1))), cap_(std::max(cap, base_)),
      random_(RandomSeed()) {}

std::chrono::milliseconds Backoff::Delay(int attempt) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const std::int64_t ceiling =
      std::min<std::int64_t>(cap_.count(), base_.count() << std::min(doublings, 20));
  const std::int64_t floor = std::max<std::int64_t>(1, base_.count() / 2);
  std::uniform_int_distribution<std::int64_t> pick(floor, std::max(floor, ceiling));
  return std::chrono::milliseconds(pick(random_));
}

}  // namespace passledger::apns

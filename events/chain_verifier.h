// ChainVerifier: checks a sequence of envelope records against the hash chain. Pure logic,
// no I/O: EventLog::Verify feeds it from RocksDB, the offline verifier from an export.
// Not thread-safe; one instance per walk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/crypto.h"

namespace passledger::events {

class ChainVerifier {
 public:
  // `first` is the position expected next; `prev` the hash of position first - 1 (the
  // genesis hash when first == 1).
  ChainVerifier(std::uint64_t first, const Hash& prev) : next_(first), prev_(prev) {}

  // Feeds the record stored under `position`. Returns false at the first problem; later
  // calls keep returning false.
  bool Feed(std::uint64_t position, std::string_view record);
  // Reports that the sequence ended; `expected_last` (if known) is where it should end.
  bool Finish(std::optional<std::uint64_t> expected_last);

  std::uint64_t checked() const { return checked_; }
  std::uint64_t last_position() const { return next_ - 1; }
  const Hash& last_hash() const { return prev_; }
  const std::optional<std::uint64_t>& first_bad() const { return first_bad_; }
  const std::string& problem() const { return problem_; }

 private:
  bool Fail(std::uint64_t position, std::string problem);

  std::uint64_t next_;
  Hash prev_;
  std::uint64_t checked_ = 0;
  std::optional<std::uint64_t> first_bad_;
  std::string problem_;
};

}  // namespace passledger::events

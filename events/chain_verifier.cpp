#include "events/chain_verifier.h"

#include "events/envelope.h"

namespace passledger::events {

bool ChainVerifier::Fail(std::uint64_t position, std::string problem) {
  first_bad_ = position;
  problem_ = std::move(problem);
  return false;
}

bool ChainVerifier::Feed(std::uint64_t position, std::string_view record) {
  if (first_bad_) return false;
  if (position != next_) {
    if (position > next_) {
      return Fail(next_, "position " + std::to_string(next_) + " is missing (next stored is " +
                             std::to_string(position) + ")");
    }
    return Fail(position, "position " + std::to_string(position) + " is out of order");
  }
  auto view = ViewRecord(record);
  if (!view) return Fail(position, view.error().message);
  if (view->position != position) {
    return Fail(position, "record stored at position " + std::to_string(position) + " says " +
                              std::to_string(view->position));
  }
  if (view->prev_hash != prev_) {
    return Fail(position, "previous hash does not match the hash of position " +
                              std::to_string(position - 1));
  }
  if (ComputeHash(prev_, view->canonical) != view->stored_hash) {
    return Fail(position, "hash does not match the record (altered)");
  }
  prev_ = view->stored_hash;
  ++next_;
  ++checked_;
  return true;
}

bool ChainVerifier::Finish(std::optional<std::uint64_t> expected_last) {
  if (first_bad_) return false;
  if (expected_last && *expected_last > last_position()) {
    return Fail(next_, "position " + std::to_string(next_) + " is missing (the log should end at " +
                           std::to_string(*expected_last) + ")");
  }
  return true;
}

}  // namespace passledger::events

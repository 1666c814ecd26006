// Signed digests of the log head, for auditors.
//
// A digest states (position, head hash, time) and is signed with the server's Ed25519 key
// (data_dir/signing.key, created with the data directory, mode 0600). An auditor keeps
// digests; CheckDigest later proves that the current log still contains exactly that
// history: the chain verifies and the event at that position still has that hash.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>

#include "events/data_dir.h"
#include "events/error.h"
#include "events/event_log.h"

namespace passledger::events {

// Creates data_dir/signing.key if it does not exist.
Result<void> EnsureSigningKey(const DataDir& dir);

// {"position", "head_hash", "signed_at", "public_key", "signature"} (hex strings).
Result<boost::json::object> MakeDigest(const EventLog& log);

struct DigestCheck {
  std::uint64_t position = 0;
  std::uint64_t head = 0;  // the log's head now
};
// kCorruption when the signature is bad, the key is not this server's, or the log no longer
// extends the digest; the message says which.
Result<DigestCheck> CheckDigest(const EventLog& log, const boost::json::object& digest);

}  // namespace passledger::events

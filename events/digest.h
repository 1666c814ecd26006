// Signed digests of the log head, for auditors.
//
// A digest states (position, head hash, time) and is signed with the server's Ed25519 key
// (data_dir/signing.key, created with the data directory, mode 0600). An auditor keeps
// digests; CheckDigest later proves that the current log still contains exactly that
// history: the chain verifies and the event at that position still has that hash.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "events/data_dir.h"
#include "events/event_log.h"

namespace passledger::events {

// Creates data_dir/signing.key if it does not exist.
Result<void> EnsureSigningKey(const DataDir& dir);

// How much of the chain MakeDigest verified before signing.
struct DigestStats {
  std::uint64_t verified_from = 1;  // first position checked (1 = the whole chain)
  std::uint64_t checked = 0;        // events checked
};

// {"position", "head_hash", "signed_at", "public_key", "signature"} (hex strings).
// Signs the head only after verifying the chain up to it: from the last digest it signed
// (data_dir/digest.verified, when its signature is ours and the event at its position still
// has its hash) or else from position 1. kCorruption, and nothing signed, when the chain does
// not verify, the log ends before that last digest, or the head recovered when the log was
// opened is not the end of the verified chain. Records the new digest in digest.verified
// (best effort: a failure to write it only makes the next digest verify more).
Result<boost::json::object> MakeDigest(const EventLog& log, DigestStats* stats = nullptr);

// The last digest MakeDigest signed and recorded in this data directory (digest.verified):
// the chain was verified up to `position` when it was signed. Read by the admin dashboard.
struct VerifiedDigest {
  std::uint64_t position = 0;
  std::string head_hash_hex;
  std::string signed_at;  // "2026-11-28T22:57:07Z"
};
// nullopt when none was recorded, or the file's signature does not verify under this
// server's key (an altered or foreign file proves nothing). Reads two small files and checks
// one signature; walks no chain. Errors: the signing key cannot be read.
Result<std::optional<VerifiedDigest>> LastVerifiedDigest(const EventLog& log);

// What a digest states, once its signature verified.
struct SignedDigest {
  std::uint64_t position = 0;
  Hash head_hash{};
  std::string public_key_hex;  // the key that signed it
};
// Checks a digest's signature offline, against the public key it carries (whether that key
// is the server's is for the reader to compare). kInvalidArgument when malformed,
// kCorruption when the signature does not verify.
Result<SignedDigest> ReadSignedDigest(const boost::json::object& digest);

struct DigestCheck {
  std::uint64_t position = 0;
  std::uint64_t head = 0;  // the log's head now
};
// kCorruption when the signature is bad, the key is not this server's, or the log no longer
// extends the digest; the message says which.
Result<DigestCheck> CheckDigest(const EventLog& log, const boost::json::object& digest);

}  // namespace passledger::events

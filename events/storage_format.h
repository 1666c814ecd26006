// On-disk format of the event log: constants only. docs/STORAGE.md is the prose spec.
//
// Data directory:
//   PASSLEDGER        marker file: "passledger-data <kFormatVersion>\n"
//   lock              flock()ed by the process that opened the log for writing; holds its pid
//   master.key        64 hex chars (32 bytes), mode 0600 (refused if group/other may access
//                     it), unless the key comes from the env
//   signing.key       Ed25519 private key (PEM, mode 0600) that signs digests
//   db/               the RocksDB database (column families below)
// The directory is 0700, every file in it 0600 (the binary runs with umask 077).
//
// Column families and key encodings (u64be = 8-byte big-endian unsigned):
//   log           u64be position                 -> envelope record (see envelope.h)
//   streams       stream id, 0x00, u64be first version -> u64be first position, u32be count
//                 (one entry per append request: a run of consecutive versions/positions)
//   stream_heads  stream id                       -> u64be version
//   dedup         idempotency key                 -> u64be first position, u64be last position,
//                                                    u64be stream version, request fingerprint32
//   subject_keys  subject id                      -> wrapped key (nonce12 | ct32 | tag16) under
//                                                    the wrapping key (key_ring.h),
//                                                    or kForgottenMarker once forgotten
//   meta          ascii key                       -> value (keys below)
// Projection column families (projections/) are opened alongside and listed there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace passledger::events::format {

inline constexpr std::string_view kMarkerFile = "PASSLEDGER";
inline constexpr std::string_view kMarkerPrefix = "passledger-data ";
inline constexpr int kFormatVersion = 1;
inline constexpr std::string_view kLockFile = "lock";
inline constexpr std::string_view kMasterKeyFile = "master.key";
inline constexpr std::string_view kSigningKeyFile = "signing.key";
// The last digest `digest` signed after verifying the chain up to it (JSON, 0600): the next
// digest verifies only the events after it.
inline constexpr std::string_view kVerifiedDigestFile = "digest.verified";
inline constexpr std::string_view kDbDir = "db";
inline constexpr std::string_view kMasterKeyEnv = "PASSLEDGER_MASTER_KEY";

inline constexpr std::string_view kCfLog = "log";
inline constexpr std::string_view kCfStreams = "streams";
inline constexpr std::string_view kCfStreamHeads = "stream_heads";
inline constexpr std::string_view kCfDedup = "dedup";
inline constexpr std::string_view kCfSubjectKeys = "subject_keys";
inline constexpr std::string_view kCfMeta = "meta";

// meta keys
inline constexpr std::string_view kMetaFormat = "format";                    // "1"
inline constexpr std::string_view kMetaMasterKeyCheck = "master_key_check";  // sealed constant
// "wrap=W derive=D" (events/key_ring.h); absent in databases from before the key schemes.
inline constexpr std::string_view kMetaKeySchemes = "key_schemes";
inline constexpr std::string_view kMasterKeyCheckPlaintext = "passledger master key check v1";

inline constexpr char kStreamSeparator = '\0';
inline constexpr std::string_view kForgottenMarker = "forgotten";

// Envelope record, in this order (varbytes = LEB128 length, then bytes):
//   u8 kEnvelopeFormat | u64be position | varbytes stream | u64be version | varbytes type |
//   u32be schema version | i64be recorded-at (µs since Unix epoch, UTC) | varbytes actor |
//   varbytes correlation id | u64be causation position (0 = none) | varbytes subject |
//   varbytes payload (JSON text) | varbytes sealed (nonce12 | ciphertext | tag16, or empty) |
//   32 bytes previous hash
// followed by 32 bytes hash = SHA-256(previous hash | all bytes above).
inline constexpr std::uint8_t kEnvelopeFormat = 1;
inline constexpr std::size_t kHashSize = 32;
// The previous hash of position 1: SHA-256("passledger genesis v1").
inline constexpr std::string_view kGenesisSeed = "passledger genesis v1";

// Sealing: AES-256-GCM, 12-byte random nonce, 16-byte tag.
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kTagSize = 16;

// Limits.
inline constexpr std::size_t kMaxEventBytes = 1 << 20;  // payload + sealed part
inline constexpr std::size_t kMaxRequestEvents = 100'000;
inline constexpr std::size_t kMaxStreamIdBytes = 200;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 256;
inline constexpr std::size_t kMaxActorBytes = 256;
inline constexpr std::size_t kMaxTypeBytes = 64;

}  // namespace passledger::events::format

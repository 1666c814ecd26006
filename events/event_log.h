// EventLog: the append-only, hash-chained, durable event log on RocksDB.
//
// One process opens a data directory for writing (an exclusive lock names the holder to any
// other writer); any number may open it read-only. Appends from any thread are queued to a
// single writer thread that assigns gapless global positions (from 1) and per-stream
// versions (from 1), checks expected versions and idempotency keys, seals personal parts,
// extends the hash chain, lets the inline projections add to the same WriteBatch and commits
// each group of waiting requests with one synced write (group commit). A request is
// acknowledged only after its batch is durable. If a write or sync fails, the log enters a
// fail-stop state and every later append fails until the process restarts.
//
// Reads use a consistent RocksDB snapshot per call and see exactly the acknowledged events.
//
// Thread-safety: every public method may be called concurrently from any thread, except that
// the EventLog must outlive all calls and callbacks. Completion callbacks run on the writer
// thread and must not block or call Append*() synchronously.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "events/envelope.h"
#include "base/error.h"
#include "events/schema_registry.h"


namespace passledger::events {

class InlineProjection;  // events/inline_projection.h

struct ExpectedVersion {
  enum class Kind { kAny, kNoStream, kExact };
  Kind kind = Kind::kAny;
  std::uint64_t version = 0;

  static ExpectedVersion Any() { return {Kind::kAny, 0}; }
  static ExpectedVersion NoStream() { return {Kind::kNoStream, 0}; }
  // Exactly(0) means the stream must not exist yet.
  static ExpectedVersion Exactly(std::uint64_t v) { return {Kind::kExact, v}; }
};

struct NewEvent {
  std::string type;
  std::uint32_t schema_version = 0;  // 0 = the registry's current version of `type`
  boost::json::object payload;       // public part
  std::string subject;               // whose personal data `personal` is; required with it
  std::optional<boost::json::object> personal;  // sealed under the subject's key
};

struct AppendRequest {
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<NewEvent> events;  // 1 .. kMaxRequestEvents
  std::string actor;             // "staff:alice", "device:<id>", "system:import/<id>"
  std::string correlation_id;    // empty = a fresh random id
  std::uint64_t causation = 0;   // position that caused these events; 0 = none
  std::string idempotency_key;   // empty = none
};

struct AppendResult {
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
  std::uint64_t stream_version = 0;  // version of the request's last event
  bool duplicate = false;            // the idempotency key was seen; nothing was written
};

struct Head {
  std::uint64_t position = 0;  // 0 = empty log
  Hash hash{};                 // the genesis hash for an empty log
};

// What a reader sees of the personal part of an event.
enum class PersonalState { kNone, kSealed, kRevealed, kForgotten };

struct RecordedEvent {
  Envelope envelope;             // exactly as stored (stored schema version)
  std::uint32_t schema_version;  // after upcasting
  boost::json::object payload;   // upcast to the newest shape
  PersonalState personal_state = PersonalState::kNone;
  boost::json::object personal;  // set when kRevealed
};

struct ReadOptions {
  bool reveal = false;  // decrypt sealed parts (audit-logged by the caller)
};

struct VerifyReport {
  std::uint64_t checked = 0;
  std::optional<std::uint64_t> first_bad;  // position of the first event that fails
  std::string problem;                     // why, when first_bad is set
  Head head;                               // last verified event
  bool ok() const { return !first_bad; }
};

// Unix microseconds now: where the writer's recorded_at_us comes from. Times recorded still
// never go backwards (each event gets at least the previous one's time).
using Clock = std::function<std::int64_t()>;
std::int64_t SystemClockMicros();

struct OpenOptions {
  std::filesystem::path data_dir = "data";
  bool read_only = false;
  std::optional<Key> master_key;            // else $PASSLEDGER_MASTER_KEY, else data_dir/master.key
  const SchemaRegistry* schemas = nullptr;  // nullptr = DefaultSchemaRegistry()
  // Extra column families (projection views) opened with the log.
  std::vector<std::string> extra_column_families;
  // Borrowed; must outlive the log. Applied in this order inside every group commit.
  std::vector<InlineProjection*> inline_projections;
  // Called on the writer's thread for each event's recorded time (tests give a fixed or
  // stepping clock instead of sleeping for distinct times). Must be thread-safe to call.
  Clock clock = SystemClockMicros;
  std::size_t block_cache_bytes = 128u << 20;
  // RocksDB's cap on open table files (-1: keep every one open). A server sets it so that its
  // descriptor budget for sockets leaves the log room to open files (docs/HTTP.md).
  int max_open_files = -1;
  // Tests only: appends may use reserved event types (catalogue.h), as logs written by older
  // builds hold them. Nothing in the binary sets it.
  bool historical_writes = false;
};

using AppendCallback = std::function<void(Result<std::vector<AppendResult>>)>;

class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> Open(const OpenOptions& options);
  // Drains queued appends, stops the writer and closes the database.
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends one request and blocks until it is durable or rejected.
  [[nodiscard]] Result<AppendResult> Append(AppendRequest request);
  // Appends several requests atomically: all are written in one batch or none is. A request
  // whose idempotency key was already seen with the same request (fingerprint: stream,
  // expected version, actor, events' types, versions, subjects, payloads) is returned as a
  // duplicate and writes nothing; with a different request it is kConflict. A conflict in any
  // request fails the whole call. Reserved event types (catalogue.h) are kPermissionDenied.
  [[nodiscard]] Result<std::vector<AppendResult>> AppendAtomic(std::vector<AppendRequest> requests);
  // Non-blocking form of AppendAtomic; `done` runs on the writer thread.
  void AppendAsync(std::vector<AppendRequest> requests, AppendCallback done);

  // Destroys the subject's data key (its sealed parts become unreadable for good) and appends
  // SubjectForgotten to `stream`, atomically. Then runs PurgeForgottenKey. Forgetting twice is
  // kNotFound for the second call (IsForgotten tells it from a subject that never had a key).
  [[nodiscard]] Result<AppendResult> Forget(std::string_view subject, std::string_view stream,
                                            std::string_view actor, std::string_view reason);
  // True once the subject's key has been destroyed.
  [[nodiscard]] Result<bool> IsForgotten(std::string_view subject) const;
  // Flushes every column family the log opened (so that no write-ahead log file keeps older
  // writes) and compacts the subject's key range to the last level, so the wrapped key leaves
  // RocksDB's live files. Idempotent: run again to complete a forget that was interrupted
  // after its event was committed.
  [[nodiscard]] Result<void> PurgeForgottenKey(std::string_view subject);

  // Events with from <= position, at most `max_count`, in position order.
  [[nodiscard]] Result<std::vector<RecordedEvent>> ReadRange(std::uint64_t from,
                                                             std::size_t max_count,
                                                             ReadOptions options = {}) const;
  // Events of `stream` with version >= from_version, at most `max_count`.
  [[nodiscard]] Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream,
                                                              std::uint64_t from_version,
                                                              std::size_t max_count,
                                                              ReadOptions options = {}) const;
  // Current version of a stream; 0 when it does not exist.
  [[nodiscard]] Result<std::uint64_t> StreamVersion(std::string_view stream) const;

  Head GetHead() const;

  // Blocks until the head is past `position` and returns it; kTimeout or kCancelled.
  [[nodiscard]] Result<std::uint64_t> WaitForHead(std::uint64_t position,
                                                  std::chrono::milliseconds timeout,
                                                  std::stop_token stop = {}) const;
  // Holds back every commit (appends still queue up and are staged) while the returned lock
  // lives: the online rebuild switches projection generations under it. Keep it short.
  // Empty for a read-only log.
  [[nodiscard]] std::unique_lock<std::shared_mutex> PauseCommits();

  // Calls `listener(head)` on the writer thread after every durable group commit.
  // REQUIRES: called before appends start (not synchronised with the writer).
  void AddCommitListener(std::function<void(std::uint64_t head)> listener);

  // Walks the hash chain over [from, to] (to = 0: the head) and reports the first bad
  // position: an altered record, a wrong previous hash, a missing or extra position.
  [[nodiscard]] Result<VerifyReport> Verify(std::uint64_t from = 1, std::uint64_t to = 0) const;

  // A secret derived from the master key for `purpose` (see KeyRing::Derive);
  // kFailedPrecondition when the log was opened without its master key.
  [[nodiscard]] Result<Key> DeriveKey(std::string_view purpose) const;

  // Fail-stop state: empty while healthy, else the error that stopped the writer.
  std::optional<Error> FailStopError() const;
  bool read_only() const;
  const SchemaRegistry& schemas() const;
  const std::filesystem::path& data_dir() const;

  class Impl;

 private:
  friend struct StorageAccess;  // the database, for events/ and projections/ (storage_access.h)
  explicit EventLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passledger::events

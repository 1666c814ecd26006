// Projections: the inline read models of the event log and their generations.
//
// Construct before opening the log, pass inline_projection() in OpenOptions, then Attach()
// once the log is open and before any append: Attach finds the active generation (creating
// generation 1 for a new log), drops stale generations left by an interrupted rebuild, and
// folds any events the views have not seen (a log written without projections). From then on
// the writer folds every group into the active generation inside the same WriteBatch.
//
// Rebuild() is blue/green and online: it replays the log into a new generation while the old
// one keeps serving and appends continue, catches up to the head, pauses commits briefly,
// folds the last events, switches the active generation atomically and drops the old one
// once its last reader lets go.
//
// Thread-safety: Attach() once, from one thread. active() and the read side may be called
// from any thread. Rebuild()/VerifyAgainstReplay() may run on any thread, one at a time.
// The Projections object must be destroyed before the EventLog (it owns column family
// handles of that database).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"

namespace passledger::projections {

// One generation of the views: a column family "views@g<N>" (projections/generation.h,
// internal to projections/).
class Generation;

struct ReplayProgress {
  std::uint64_t position = 0;  // last event folded
  std::uint64_t head = 0;      // head of the log when the phase started
};
using ProgressFn = std::function<void(const ReplayProgress&)>;
// One line for the operator about something long that is about to happen or has happened.
using NoticeFn = std::function<void(const std::string&)>;

struct RebuildReport {
  std::uint64_t generation = 0;  // the new active generation
  std::uint64_t events = 0;      // events folded
  double seconds = 0;
};

// Per-view SHA-256 of every key and value, in key order.
using ViewDigests = std::map<std::string, std::string>;

struct ViewDifference {
  std::string view;
  std::string key;           // printable form
  std::string live, replay;  // values (or "(absent)")
};

struct VerifyViewsReport {
  std::uint64_t position = 0;  // the checkpoint both sides are at
  ViewDigests live, replay;
  std::vector<ViewDifference> differences;  // the first few, in key order
  bool ok() const { return differences.empty() && live == replay; }
};

// How replays read and fold; the defaults suit production, tests shrink them to reach every
// path with small logs.
struct ReplayTuning {
  std::size_t chunk_events = 20'000;  // events read (on another thread) and folded at a time
  // A replay into an empty generation folds in memory and bulk-loads sorted files until the
  // cache holds this many entries (about 860 bytes each: 3.4 GB at most), then goes on
  // through RocksDB.
  std::size_t bulk_entries = 4'000'000;
};

class Projections {
 public:
  explicit Projections(const events::SchemaRegistry* schemas = nullptr);
  ~Projections();
  Projections(const Projections&) = delete;
  Projections& operator=(const Projections&) = delete;

  // For OpenOptions::inline_projections.
  events::InlineProjection* inline_projection();

  // Views written in an older record format (docs/STORAGE.md, "View record format") are
  // rebuilt here, blue/green, with `notice` told before and after and `progress` as it goes;
  // on a read-only log that is kFailedPrecondition (nothing can be written).
  // REQUIRES: `log` outlives this object; no append before Attach returns.
  [[nodiscard]] Result<void> Attach(events::EventLog* log, ProgressFn progress = {},
                                    NoticeFn notice = {});

  // The generation readers should use (null before Attach). Keep the pointer for the whole
  // of one read; it stays valid even if a rebuild switches generations meanwhile.
  std::shared_ptr<const Generation> active() const;
  // The active generation's number (0 before Attach).
  std::uint64_t ActiveGenerationId() const;

  [[nodiscard]] Result<RebuildReport> Rebuild(ProgressFn progress = {});
  void set_replay_tuning(const ReplayTuning& tuning) { tuning_ = tuning; }

  // Replays the log into memory up to the live checkpoint (from one snapshot) and compares
  // the result with the live views. Works on a read-only log too.
  [[nodiscard]] Result<VerifyViewsReport> VerifyAgainstReplay(ProgressFn progress = {}) const;

  // Forgets `subject` (EventLog::Forget: its key destroyed, SubjectForgotten appended) and then
  // PurgeForgotten. A subject already forgotten (a forget interrupted before its purge ended)
  // is not an error: the purge runs again and `already_forgotten` says so. kNotFound for a
  // subject that never had personal data. REQUIRES: attached to a writable log.
  struct ForgetOutcome {
    std::uint64_t position = 0;  // of SubjectForgotten; 0 when already forgotten
    bool already_forgotten = false;
  };
  [[nodiscard]] Result<ForgetOutcome> Forget(std::string_view subject, std::string_view stream,
                                             std::string_view actor, std::string_view reason);

  // After a subject was forgotten (its SubjectForgotten folded): flushes every column family
  // and compacts the subject's key in the log (EventLog::PurgeForgottenKey), and in the views
  // the member record, its passes and the whole search index (staff: the staff record), so
  // that no plaintext of its personal data stays in RocksDB's live files (SSTs or write-ahead
  // log). It needs no list of the subject's former search terms (they are gone from the views
  // by then), so it can be run again at any time. The MANIFEST still names the first and last
  // key of each deleted file until the database is next opened for writing (a new MANIFEST
  // is written then): `passledger forget` reopens it.
  [[nodiscard]] Result<void> PurgeForgotten(std::string_view subject);

  // Digests of the live active generation (one snapshot).
  [[nodiscard]] Result<ViewDigests> LiveDigests() const;

  class Inline;

 private:
  Result<std::shared_ptr<Generation>> OpenGeneration(std::uint64_t id, bool create);
  Result<void> DropStaleGenerations(std::uint64_t keep);
  Result<void> SetActiveGeneration(std::uint64_t id);
  Result<std::uint64_t> Checkpoint(const Generation& generation) const;
  Result<std::uint8_t> RecordFormat(const Generation& generation) const;
  Result<std::uint64_t> Replay(Generation& target, std::uint64_t from, std::uint64_t to,
                               const ProgressFn& progress);

  const events::SchemaRegistry* schemas_;
  ReplayTuning tuning_;
  std::unique_ptr<Inline> inline_;
  events::EventLog* log_ = nullptr;  // set by Attach

  mutable Mutex mutex_;
  std::shared_ptr<Generation> active_ PL_GUARDED_BY(mutex_);  // swapped under PauseCommits
  std::mutex rebuild_mutex_;                                  // one rebuild at a time
  // The highest generation id whose column family existed or was created in this process
  // (set by Attach, raised by Rebuild under rebuild_mutex_): new generations get a higher one.
  std::uint64_t highest_generation_ = 0;
};

// SHA-256 per view over a key-ordered sequence of (key, value).
class DigestBuilder {
 public:
  void Add(std::string_view key, std::string_view value);
  ViewDigests Finish();

 private:
  std::map<std::string, std::string> hashes_;  // view name -> running hash input digest
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace passledger::projections

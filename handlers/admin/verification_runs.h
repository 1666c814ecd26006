// VerificationRuns: the admin API's "verify the history now" (docs/ADMIN.md, "Verification").
// A run is events::MakeDigest on the live log: it walks the hash chain from the last verified
// digest (or from position 1) to the head and, when it verifies, signs and records a new
// digest (data_dir/digest.verified) — the same as `passledger digest`, so the dashboard's
// "history verified at … (head …)" moves on.
//
// One run at a time, on a thread of its own: Start while a run is going answers that run.
// Only the last run is remembered in memory (started, finished, by whom, the result); the
// digest it recorded survives a restart (events::LastVerifiedDigest), the result of a failed
// run does not (it is logged by the server instead).
//
// Threads: every method may be called from any thread. The destructor waits for a running
// run to end (it only reads the log). The log is borrowed and must outlive this object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "base/error.h"
#include "base/mutex.h"
#include "events/digest.h"
#include "events/event_log.h"

namespace passledger::handlers {

enum class VerificationState { kRunning, kVerified, kFailed };
std::string_view VerificationStateName(VerificationState state);

struct VerificationRun {
  std::uint64_t run = 0;  // 1, 2, … in this process
  std::string actor;
  VerificationState state = VerificationState::kRunning;
  std::int64_t started_at_us = 0, finished_at_us = 0;  // finished: 0 while running
  std::uint64_t verified_from = 0, checked = 0;        // positions, when finished
  std::uint64_t position = 0;                          // the head verified (kVerified)
  std::string head_hash_hex;                           // its hash (kVerified)
  std::string error;                                   // what failed (kFailed)
};

// What the verification page shows.
struct VerificationStatus {
  std::optional<VerificationRun> last_run;                // of this process
  std::optional<events::VerifiedDigest> last_digest;      // recorded, survives restarts
  std::uint64_t head = 0;                                 // the log's head now
};

class VerificationRuns {
 public:
  explicit VerificationRuns(const events::EventLog* log,
                            events::Clock now_us = events::SystemClockMicros);
  ~VerificationRuns();
  VerificationRuns(const VerificationRuns&) = delete;
  VerificationRuns& operator=(const VerificationRuns&) = delete;

  // Starts a run (or answers the one that is running: `started` false).
  struct Started {
    VerificationRun run;
    bool started = false;
  };
  Started Start(std::string actor) PL_EXCLUDES(mutex_);

  // The last run and the recorded digest. Errors: the signing key cannot be read.
  Result<VerificationStatus> Status() const PL_EXCLUDES(mutex_);

  // Waits until no run is going (for tests and shutdown).
  void Wait() PL_EXCLUDES(mutex_);

 private:
  void Execute(std::uint64_t run) PL_EXCLUDES(mutex_);

  // Constant after construction.
  const events::EventLog* const log_;
  const events::Clock now_us_;

  mutable Mutex mutex_;
  std::optional<VerificationRun> last_ PL_GUARDED_BY(mutex_);
  std::jthread thread_ PL_GUARDED_BY(mutex_);  // the last run's; joined before the next starts
};

}  // namespace passledger::handlers

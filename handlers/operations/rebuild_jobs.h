// RebuildJobs: the projections' online rebuild (projections::Projections::Rebuild, blue/green)
// run in the background for the admin API (`passledger rebuild` through the operator socket,
// docs/ADMIN.md), with its progress for polling. One rebuild at a time: starting one while one
// runs gives the running one. The last few finished ones stay readable in memory.
//
// A rebuild writes no event: it replays the log into a fresh generation of the views and
// switches to it; the log itself does not change.
//
// Threads: every method may be called from any thread. The destructor waits for a running
// rebuild to finish (Rebuild cannot be interrupted; an interrupted one would be dropped at the
// next start anyway). The projections are borrowed and must outlive this object.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>

#include "base/error.h"
#include "base/mutex.h"
#include "projections/projections.h"

namespace passledger::handlers {

enum class RebuildState { kRunning, kCompleted, kFailed };
std::string_view RebuildStateName(RebuildState state);

struct RebuildStatus {
  std::uint64_t id = 0;  // 1, 2, … in this process
  std::string actor;     // who asked
  RebuildState state = RebuildState::kRunning;
  std::uint64_t generation_before = 0;
  projections::ReplayProgress progress;      // the replay's last step
  std::optional<projections::RebuildReport> report;  // when completed
  std::string error;                         // when failed
  std::uint64_t revision = 0;                // grows with every change of the above
};

// {"id", "actor", "state", "generationBefore", "progress": {"position", "head"},
//  "generation"?, "events"?, "seconds"? (when completed), "error"? (when failed), "revision"}
boost::json::object RebuildStatusJson(const RebuildStatus& status);

struct RebuildStart {
  std::uint64_t id = 0;
  bool existing = false;  // a rebuild was running already: this is it
};

class RebuildJobs {
 public:
  explicit RebuildJobs(projections::Projections* projections, std::size_t max_kept = 8);
  ~RebuildJobs();
  RebuildJobs(const RebuildJobs&) = delete;
  RebuildJobs& operator=(const RebuildJobs&) = delete;

  // Starts a rebuild on a thread of its own, or gives the one running.
  RebuildStart Start(std::string actor) PL_EXCLUDES(mutex_);

  // A rebuild of this process; nullopt for an unknown id.
  std::optional<RebuildStatus> Get(std::uint64_t id) const PL_EXCLUDES(mutex_);

  // Waits until the rebuild's revision exceeds `after_revision` or `timeout` passes; then
  // what Get gives.
  std::optional<RebuildStatus> WaitForChange(std::uint64_t id, std::uint64_t after_revision,
                                             std::chrono::milliseconds timeout) const
      PL_EXCLUDES(mutex_);

 private:
  void Run(std::uint64_t id) PL_EXCLUDES(mutex_);
  RebuildStatus* Find(std::uint64_t id) PL_REQUIRES(mutex_);
  const RebuildStatus* Find(std::uint64_t id) const PL_REQUIRES(mutex_);

  // Constant after construction.
  projections::Projections* const projections_;
  const std::size_t max_kept_;

  mutable Mutex mutex_;
  mutable std::condition_variable_any changed_;  // on mutex_
  std::deque<RebuildStatus> jobs_ PL_GUARDED_BY(mutex_);  // oldest first; the last may run
  std::uint64_t next_id_ PL_GUARDED_BY(mutex_) = 1;

  std::jthread thread_;  // the running rebuild, or the last one; joined before the next starts
};

}  // namespace passledger::handlers

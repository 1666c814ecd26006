// ImportJobs: roster imports started over the admin API (docs/ADMIN.md, "Imports"), run in the
// background one at a time on a thread of their own, with their live progress for the API's
// job page and event stream. The import itself is handlers::RosterImporter, as for
// `passledger import`: the same job ids, the same resumption after a crash.
//
// Idempotent by the file's SHA-256: a file whose job is queued or running is that job; a file
// imported before is its newest job, not started again (importing an old export again could
// only undo later changes). A job that was interrupted (the server stopped during it) is
// resumed by starting the same file again.
//
// Bounded: at most `max_queued` jobs wait (each holds its file's bytes, shared with nobody
// else: the one copy of the upload), and the last `max_kept` finished jobs' summaries stay in
// memory; older jobs are in the views (projections::ImportView) only.
//
// Threads: every method may be called from any thread. The destructor finishes the running
// job (an interrupted import is resumable, but finishing is cheaper) and drops the queued ones,
// which wrote nothing. The log and projections are borrowed and must outlive this object.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "base/mutex.h"
#include "handlers/import/roster_import.h"

namespace passledger::handlers {

enum class ImportJobState { kQueued, kRunning, kCompleted, kFailed };
std::string_view ImportJobStateName(ImportJobState state);

struct ImportJobStatus {
  std::string import_id;
  std::string file_name;
  std::string actor;
  ImportJobState state = ImportJobState::kQueued;
  ImportProgress progress;
  std::optional<ImportSummary> summary;  // when completed
  std::string error;                     // when failed: what a person can act on
  bool rejected = false;                 // when failed: the file was refused, nothing written
  std::uint64_t revision = 0;            // grows with every change of the above
};

// {"importId", "fileName", "state", "progress": {"phase", "bytes", "totalBytes", "rows",
//  "membershipsDone", "membershipsTotal", "events", "percent"}, "summary"?, "error"?,
//  "rejected"? (true when the file was refused)}
boost::json::object ImportJobStatusJson(const ImportJobStatus& status);

// How one job runs, beyond the file: what `passledger import`'s flags give through the
// operator socket (docs/ADMIN.md, "The operator socket").
struct ImportJobOptions {
  std::string file_name;
  std::string actor;
  std::optional<ImportConfig> config;  // nullopt: the jobs' own
  std::size_t preview_changes = 20;    // change lines the summary keeps
  // A file whose import completed before runs again as a new job (as `passledger import` on the
  // data directory does) instead of answering with that job.
  bool again = false;
};

struct ImportStart {
  std::string import_id;
  bool existing = false;  // the file's job was already queued, running or done
};

class ImportJobs {
 public:
  ImportJobs(events::EventLog* log, const projections::Projections* projections,
             ImportConfig config, std::size_t max_queued = 2, std::size_t max_kept = 20);
  ~ImportJobs();
  ImportJobs(const ImportJobs&) = delete;
  ImportJobs& operator=(const ImportJobs&) = delete;

  // Queues an import of `bytes` (the file, read whole), which `owner` keeps alive until the job
  // ends (e.g. the HTTP request whose body holds it: the upload is not copied). kUnavailable
  // when max_queued jobs already wait or the jobs are stopping.
  Result<ImportStart> Start(std::shared_ptr<const void> owner, std::string_view bytes,
                            std::string file_name, std::string actor);
  Result<ImportStart> Start(std::shared_ptr<const void> owner, std::string_view bytes,
                            ImportJobOptions options);

  // The file's diff against the views, nothing written, on the caller's thread: the summary
  // with the first `preview_changes` changes. The file's errors as RosterImporter gives them.
  Result<ImportSummary> DryRun(std::string_view bytes, std::string file_name, std::string actor,
                               std::size_t preview_changes = 100) const;
  Result<ImportSummary> DryRun(std::string_view bytes, const ImportJobOptions& options) const;

  // The configuration jobs run with unless their options give another.
  const ImportConfig& config() const { return config_; }

  // A job of this process (queued, running or among the last finished); nullopt otherwise.
  std::optional<ImportJobStatus> Live(std::string_view import_id) const PL_EXCLUDES(mutex_);

  // Waits until the job's revision exceeds `after_revision`, it is no longer live, or
  // `timeout` passes; then what Live gives.
  std::optional<ImportJobStatus> WaitForChange(std::string_view import_id,
                                               std::uint64_t after_revision,
                                               std::chrono::milliseconds timeout) const
      PL_EXCLUDES(mutex_);

 private:
  struct Job {
    ImportJobStatus status;
    std::shared_ptr<const void> owner;  // of `bytes`; released when the job ends
    std::string_view bytes;
    // Constant once queued.
    ImportConfig config;
    std::size_t preview_changes = 20;
  };
  void Run(std::stop_token stop);
  void RunJob(Job& job) PL_EXCLUDES(mutex_);
  void Update(const std::string& id, const std::function<void(ImportJobStatus&)>& change)
      PL_EXCLUDES(mutex_);
  void Forget(std::size_t keep) PL_REQUIRES(mutex_);

  // Constant after construction.
  events::EventLog* const log_;
  const projections::Projections* const projections_;
  const ImportConfig config_;
  const std::size_t max_queued_, max_kept_;

  mutable Mutex mutex_;
  mutable std::condition_variable_any changed_;  // on mutex_: a status changed, or stop
  std::map<std::string, Job, std::less<>> jobs_ PL_GUARDED_BY(mutex_);
  std::deque<std::string> queue_ PL_GUARDED_BY(mutex_);     // ids waiting, oldest first
  std::deque<std::string> finished_ PL_GUARDED_BY(mutex_);  // ids done, oldest first
  bool stopping_ PL_GUARDED_BY(mutex_) = false;

  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace passledger::handlers

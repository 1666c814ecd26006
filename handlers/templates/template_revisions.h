// TemplateRevisions: after a template is published, revises every pass of its type — one
// PassRevised {serial, causePosition, reason} per pass, appended in bounded batches by a
// background thread — so that each pass's content position, Last-Modified time and entry in
// the change-since-tag index move, its signed bundle is made again with the new template (the
// cache is keyed by content position) and the push dispatcher, which follows the log, pushes
// every device that holds it (docs/TEMPLATES.md, "Publishing").
//
// A job revises the passes of its type whose content position is below its bound (the head
// just after the new factory was put in place: a pass changed later was already made with the
// new template). It walks the change index in position order from a cursor, `batch` passes
// per AppendAtomic, so no batch, read or push fan-out grows with the number of passes. It is
// resumable by construction: a revised pass has left the range, so a job started again after
// a crash (Resume, at server start) finds only the passes still to do.
//
// Thread-safe. The EventLog and ReadModel are borrowed and must outlive this object; Stop()
// (or the destructor) ends the thread after the batch in progress.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct RevisionJob {
  std::string pass_type_id;
  std::int64_t version = 0;          // of the template published
  std::uint64_t cause_position = 0;  // of its TemplatePublished: each PassRevised's causation
  std::uint64_t bound = 0;           // passes with a content position below it are revised
  std::string actor;                 // who published: the actor of every PassRevised
};

struct RevisionStatus {
  std::int64_t version = 0;
  std::uint64_t cause_position = 0;
  std::uint64_t passes_revised = 0;
  // Registrations of the revised passes (a device holding two of them counts twice; the
  // dispatcher pushes it once).
  std::uint64_t devices_to_push = 0;
  bool done = false;
  std::string error;  // the failure that ended the job early; empty otherwise
};

struct RevisionOptions {
  std::size_t batch = 500;  // passes per AppendAtomic
};

class TemplateRevisions {
 public:
  TemplateRevisions(events::EventLog* log, projections::ReadModel read,
                    RevisionOptions options = {});
  ~TemplateRevisions();
  TemplateRevisions(const TemplateRevisions&) = delete;
  TemplateRevisions& operator=(const TemplateRevisions&) = delete;

  // Queues a job; it replaces a job of the same pass type that has not finished (the newer
  // bound covers every pass the older one would revise).
  void Start(RevisionJob job);
  // The job for the pass type's published template as the views have it, with its own
  // position as the bound and its publisher as the actor (server start: finishes what a
  // crash interrupted, and costs one seek when nothing is left).
  Result<void> Resume(std::string_view pass_type_id);

  // The newest job's status for the pass type; nullopt when none ran in this process.
  std::optional<RevisionStatus> Status(std::string_view pass_type_id) const;
  // Waits until the job for `cause_position` is done or `timeout` passes; its status then
  // (nullopt when no such job is known).
  std::optional<RevisionStatus> WaitFor(std::string_view pass_type_id,
                                        std::uint64_t cause_position,
                                        std::chrono::milliseconds timeout) const;

  void Stop();

 private:
  void Run();
  // One batch of `job` from `*cursor`; false when the job is done.
  Result<bool> RunBatch(const RevisionJob& job, std::uint64_t* cursor);
  void Report(const RevisionJob& job, std::uint64_t revised, std::uint64_t devices, bool done,
              std::string error);

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  const RevisionOptions options_;

  mutable Mutex mutex_;
  mutable std::condition_variable_any changed_;
  std::deque<RevisionJob> queue_ PL_GUARDED_BY(mutex_);
  std::map<std::string, RevisionStatus, std::less<>> status_ PL_GUARDED_BY(mutex_);
  bool stopping_ PL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace passledger::handlers

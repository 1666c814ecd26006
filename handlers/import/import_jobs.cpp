#include "handlers/import/import_jobs.h"

#include "base/crypto.h"

namespace passledger::handlers {

std::string_view ImportJobStateName(ImportJobState state) {
  switch (state) {
    case ImportJobState::kQueued:
      return "queued";
    case ImportJobState::kRunning:
      return "running";
    case ImportJobState::kCompleted:
      return "completed";
    case ImportJobState::kFailed:
      return "failed";
  }
  return "failed";
}

namespace {

std::string_view PhaseName(ImportProgress::Phase phase) {
  switch (phase) {
    case ImportProgress::Phase::kReading:
      return "reading";
    case ImportProgress::Phase::kApplying:
      return "applying";
    case ImportProgress::Phase::kDone:
      return "done";
  }
  return "done";
}

// Reading the file is the first tenth of the work, applying the memberships the rest.
double Percent(const ImportJobStatus& s) {
  const ImportProgress& p = s.progress;
  if (s.state == ImportJobState::kCompleted || p.phase == ImportProgress::Phase::kDone) return 100;
  if (p.phase == ImportProgress::Phase::kReading) {
    return p.total_bytes == 0 ? 0 : 10.0 * static_cast<double>(p.bytes) / p.total_bytes;
  }
  if (p.memberships_total == 0) return 10;
  return 10 + 90.0 * static_cast<double>(p.memberships_done) / p.memberships_total;
}

}  // namespace

boost::json::object ImportJobStatusJson(const ImportJobStatus& s) {
  const ImportProgress& p = s.progress;
  boost::json::object o{
      {"importId", s.import_id},
      {"fileName", s.file_name},
      {"state", ImportJobStateName(s.state)},
      {"progress", boost::json::object{{"phase", PhaseName(p.phase)},
                                       {"bytes", p.bytes},
                                       {"totalBytes", p.total_bytes},
                                       {"rows", p.rows},
                                       {"membershipsDone", p.memberships_done},
                                       {"membershipsTotal", p.memberships_total},
                                       {"events", p.events},
                                       {"percent", Percent(s)}}}};
  if (s.summary) o["summary"] = ImportSummaryJson(*s.summary);
  if (!s.error.empty()) o["error"] = s.error;
  if (s.rejected) o["rejected"] = true;
  return o;
}

ImportJobs::ImportJobs(events::EventLog* log, const projections::Projections* projections,
                       ImportConfig config, std::size_t max_queued, std::size_t max_kept)
    : log_(log),
      projections_(projections),
      config_(std::move(config)),
      max_queued_(max_queued),
      max_kept_(max_kept),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

ImportJobs::~ImportJobs() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  thread_.request_stop();
  changed_.notify_all();
  thread_.join();
}

Result<ImportStart> ImportJobs::Start(std::shared_ptr<const void> owner, std::string_view bytes,
                                      std::string file_name, std::string actor) {
  ImportJobOptions options;
  options.file_name = std::move(file_name);
  options.actor = std::move(actor);
  return Start(std::move(owner), bytes, std::move(options));
}

Result<ImportStart> ImportJobs::Start(std::shared_ptr<const void> owner, std::string_view bytes,
                                      ImportJobOptions options) {
  const std::string sha256 = ToHex(Sha256(bytes));
  const std::string prefix = sha256.substr(0, 16) + "-";
  {
    MutexLock lock(mutex_);
    for (const std::string& id : queue_) {
      if (id.starts_with(prefix)) return ImportStart{id, true};
    }
    for (const auto& [id, job] : jobs_) {
      if (id.starts_with(prefix) && job.status.state == ImportJobState::kRunning) {
        return ImportStart{id, true};
      }
    }
  }
  const projections::ReadModel views(projections_);
  auto slot = FindImportJob(views, sha256);
  if (!slot) return slot.error();
  if (!options.again && !slot->resumed && !slot->previous.empty()) {
    auto previous = views.Import(slot->previous);
    if (!previous) return previous.error();
    if (*previous && (*previous)->state == projections::ImportState::kCompleted) {
      return ImportStart{slot->previous, true};  // a failed job is tried again as a new one
    }
  }
  MutexLock lock(mutex_);
  if (stopping_) return MakeError(ErrorCode::kUnavailable, "the server is stopping");
  if (queue_.size() >= max_queued_) {
    return MakeError(ErrorCode::kUnavailable,
                     std::to_string(queue_.size()) +
                         " imports are waiting already: try again when one has finished");
  }
  Job job;
  job.status.import_id = slot->import_id;
  job.status.file_name = std::move(options.file_name);
  job.status.actor = std::move(options.actor);
  job.status.progress.total_bytes = bytes.size();
  job.owner = std::move(owner);
  job.bytes = bytes;
  job.config = options.config ? std::move(*options.config) : config_;
  job.preview_changes = options.preview_changes;
  jobs_.insert_or_assign(slot->import_id, std::move(job));
  queue_.push_back(slot->import_id);
  changed_.notify_all();
  return ImportStart{slot->import_id, false};
}

Result<ImportSummary> ImportJobs::DryRun(std::string_view bytes, std::string file_name,
                                         std::string actor, std::size_t preview_changes) const {
  ImportJobOptions options;
  options.file_name = std::move(file_name);
  options.actor = std::move(actor);
  options.preview_changes = preview_changes;
  return DryRun(bytes, options);
}

Result<ImportSummary> ImportJobs::DryRun(std::string_view bytes,
                                         const ImportJobOptions& job) const {
  const RosterImporter importer(log_, projections_, job.config.value_or(config_));
  ImportOptions options;
  options.file_name = job.file_name;
  options.actor = job.actor;
  options.dry_run = true;
  options.preview_changes = job.preview_changes;
  options.total_bytes = bytes.size();
  return importer.Run(MemorySource(bytes), options);
}

std::optional<ImportJobStatus> ImportJobs::Live(std::string_view import_id) const {
  MutexLock lock(mutex_);
  const auto it = jobs_.find(import_id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.status;
}

std::optional<ImportJobStatus> ImportJobs::WaitForChange(std::string_view import_id,
                                                         std::uint64_t after_revision,
                                                         std::chrono::milliseconds timeout) const {
  MutexLock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  changed_.wait_until(lock, deadline, [&]() PL_NO_THREAD_SAFETY_ANALYSIS {
    const auto it = jobs_.find(import_id);
    return stopping_ || it == jobs_.end() || it->second.status.revision > after_revision;
  });
  const auto it = jobs_.find(import_id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.status;
}

void ImportJobs::Update(const std::string& id,
                        const std::function<void(ImportJobStatus&)>& change) {
  {
    MutexLock lock(mutex_);
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) return;
    change(it->second.status);
    ++it->second.status.revision;
  }
  changed_.notify_all();
}

void ImportJobs::Run(std::stop_token stop) {
  for (;;) {
    Job* job = nullptr;
    {
      MutexLock lock(mutex_);
      changed_.wait(lock, stop, [&]() PL_NO_THREAD_SAFETY_ANALYSIS { return !queue_.empty(); });
      if (stop.stop_requested()) return;
      job = &jobs_.at(queue_.front());  // map nodes are stable; only this thread erases
      queue_.pop_front();
      job->status.state = ImportJobState::kRunning;
      ++job->status.revision;
    }
    changed_.notify_all();
    RunJob(*job);
    MutexLock lock(mutex_);
    job->owner.reset();
    job->bytes = {};
    finished_.push_back(job->status.import_id);
    Forget(max_kept_);
  }
}

void ImportJobs::RunJob(Job& job) {
  const std::string id = job.status.import_id;  // the job's own fields: this thread's alone
  const RosterImporter importer(log_, projections_, job.config);
  ImportOptions options;
  {
    MutexLock lock(mutex_);
    options.file_name = job.status.file_name;
    options.actor = job.status.actor;
  }
  options.preview_changes = job.preview_changes;
  options.total_bytes = job.bytes.size();
  options.progress = [&](const ImportProgress& progress) {
    Update(id, [&](ImportJobStatus& s) { s.progress = progress; });
  };
  auto summary = importer.Run(MemorySource(job.bytes), options);
  Update(id, [&](ImportJobStatus& s) {
    if (summary) {
      s.state = ImportJobState::kCompleted;
      s.progress.phase = ImportProgress::Phase::kDone;
      s.summary = std::move(*summary);
    } else {
      s.state = ImportJobState::kFailed;
      s.error = summary.error().message;
      const ErrorCode code = summary.error().code;
      s.rejected = code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge;
    }
  });
}

void ImportJobs::Forget(std::size_t keep) {
  while (finished_.size() > keep) {
    jobs_.erase(finished_.front());
    finished_.pop_front();
  }
}

}  // namespace passledger::handlers

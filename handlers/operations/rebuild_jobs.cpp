#include "handlers/operations/rebuild_jobs.h"

#include <algorithm>

namespace passledger::handlers {

std::string_view RebuildStateName(RebuildState state) {
  switch (state) {
    case RebuildState::kRunning:
      return "running";
    case RebuildState::kCompleted:
      return "completed";
    case RebuildState::kFailed:
      return "failed";
  }
  return "failed";
}

boost::json::object RebuildStatusJson(const RebuildStatus& s) {
  boost::json::object o{
      {"id", s.id},
      {"actor", s.actor},
      {"state", RebuildStateName(s.state)},
      {"generationBefore", s.generation_before},
      {"progress",
       boost::json::object{{"position", s.progress.position}, {"head", s.progress.head}}},
      {"revision", s.revision}};
  if (s.report) {
    o["generation"] = s.report->generation;
    o["events"] = s.report->events;
    o["seconds"] = s.report->seconds;
  }
  if (!s.error.empty()) o["error"] = s.error;
  return o;
}

RebuildJobs::RebuildJobs(projections::Projections* projections, std::size_t max_kept)
    : projections_(projections), max_kept_(std::max<std::size_t>(1, max_kept)) {}

RebuildJobs::~RebuildJobs() {
  if (thread_.joinable()) thread_.join();
}

RebuildStart RebuildJobs::Start(std::string actor) {
  MutexLock lock(mutex_);
  if (!jobs_.empty() && jobs_.back().state == RebuildState::kRunning) {
    return RebuildStart{jobs_.back().id, true};
  }
  // The previous thread has ended its work (its job is no longer running): joining is brief.
  if (thread_.joinable()) thread_.join();
  RebuildStatus status;
  status.id = next_id_++;
  status.actor = std::move(actor);
  status.generation_before = projections_->ActiveGenerationId();
  jobs_.push_back(std::move(status));
  while (jobs_.size() > max_kept_) jobs_.pop_front();
  const std::uint64_t id = jobs_.back().id;
  thread_ = std::jthread([this, id] { Run(id); });
  return RebuildStart{id, false};
}

RebuildStatus* RebuildJobs::Find(std::uint64_t id) {
  for (auto& job : jobs_) {
    if (job.id == id) return &job;
  }
  return nullptr;
}

const RebuildStatus* RebuildJobs::Find(std::uint64_t id) const {
  for (const auto& job : jobs_) {
    if (job.id == id) return &job;
  }
  return nullptr;
}

std::optional<RebuildStatus> RebuildJobs::Get(std::uint64_t id) const {
  MutexLock lock(mutex_);
  const RebuildStatus* job = Find(id);
  if (job == nullptr) return std::nullopt;
  return *job;
}

std::optional<RebuildStatus> RebuildJobs::WaitForChange(std::uint64_t id,
                                                        std::uint64_t after_revision,
                                                        std::chrono::milliseconds timeout) const {
  MutexLock lock(mutex_);
  changed_.wait_for(lock, timeout, [&]() PL_REQUIRES(mutex_) {
    const RebuildStatus* job = Find(id);
    return job == nullptr || job->revision > after_revision;
  });
  const RebuildStatus* job = Find(id);
  if (job == nullptr) return std::nullopt;
  return *job;
}

void RebuildJobs::Run(std::uint64_t id) {
  auto update = [&](auto change) {
    {
      MutexLock lock(mutex_);
      if (RebuildStatus* job = Find(id)) {
        change(*job);
        ++job->revision;
      }
    }
    changed_.notify_all();
  };
  auto report = projections_->Rebuild([&](const projections::ReplayProgress& progress) {
    update([&](RebuildStatus& job) { job.progress = progress; });
  });
  update([&](RebuildStatus& job) {
    if (report) {
      job.state = RebuildState::kCompleted;
      job.report = *report;
    } else {
      job.state = RebuildState::kFailed;
      job.error = report.error().message;
    }
  });
}

}  // namespace passledger::handlers

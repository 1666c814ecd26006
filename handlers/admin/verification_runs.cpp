#include "handlers/admin/verification_runs.h"

#include <utility>

namespace passledger::handlers {

std::string_view VerificationStateName(VerificationState state) {
  switch (state) {
    case VerificationState::kRunning:
      return "running";
    case VerificationState::kVerified:
      return "verified";
    case VerificationState::kFailed:
      return "failed";
  }
  return "failed";
}

VerificationRuns::VerificationRuns(const events::EventLog* log, events::Clock now_us)
    : log_(log), now_us_(std::move(now_us)) {}

VerificationRuns::~VerificationRuns() { Wait(); }

VerificationRuns::Started VerificationRuns::Start(std::string actor) {
  MutexLock lock(mutex_);
  if (last_ && last_->state == VerificationState::kRunning) return {*last_, false};
  if (thread_.joinable()) thread_.join();  // finished: its result is in last_
  VerificationRun run;
  run.run = last_ ? last_->run + 1 : 1;
  run.actor = std::move(actor);
  run.started_at_us = now_us_();
  last_ = run;
  thread_ = std::jthread([this, id = run.run] { Execute(id); });
  return {run, true};
}

void VerificationRuns::Execute(std::uint64_t run) {
  events::DigestStats stats;
  auto digest = events::MakeDigest(*log_, &stats);
  MutexLock lock(mutex_);
  if (!last_ || last_->run != run) return;
  VerificationRun& out = *last_;
  out.finished_at_us = now_us_();
  out.verified_from = stats.verified_from;
  out.checked = stats.checked;
  if (!digest) {
    out.state = VerificationState::kFailed;
    out.error = digest.error().message;
    return;
  }
  out.state = VerificationState::kVerified;
  if (const auto* position = digest->if_contains("position"); position && position->is_int64()) {
    out.position = static_cast<std::uint64_t>(position->as_int64());
  } else if (position && position->is_uint64()) {
    out.position = position->as_uint64();
  }
  if (const auto* hash = digest->if_contains("head_hash"); hash && hash->is_string()) {
    out.head_hash_hex = std::string(hash->as_string());
  }
}

Result<VerificationStatus> VerificationRuns::Status() const {
  VerificationStatus status;
  {
    MutexLock lock(mutex_);
    status.last_run = last_;
  }
  auto digest = events::LastVerifiedDigest(*log_);
  if (!digest) return digest.error();
  status.last_digest = std::move(*digest);
  status.head = log_->GetHead().position;
  return status;
}

void VerificationRuns::Wait() {
  std::jthread finished;
  {
    MutexLock lock(mutex_);
    finished = std::move(thread_);
  }
  if (finished.joinable()) finished.join();
}

}  // namespace passledger::handlers

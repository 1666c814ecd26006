#include "handlers/templates/template_revisions.h"

#include <algorithm>
#include <utility>

#include "events/catalogue.h"

namespace passledger::handlers {

TemplateRevisions::TemplateRevisions(events::EventLog* log, projections::ReadModel read,
                                     RevisionOptions options)
    : log_(log), read_(read), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

TemplateRevisions::~TemplateRevisions() { Stop(); }

void TemplateRevisions::Stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TemplateRevisions::Start(RevisionJob job) {
  {
    MutexLock lock(mutex_);
    std::erase_if(queue_, [&](const RevisionJob& queued) {
      return queued.pass_type_id == job.pass_type_id;
    });
    status_[job.pass_type_id] =
        RevisionStatus{job.version, job.cause_position, 0, 0, false, std::string()};
    queue_.push_back(std::move(job));
  }
  changed_.notify_all();
}

Result<void> TemplateRevisions::Resume(std::string_view pass_type_id) {
  auto published = read_.Template(pass_type_id);
  if (!published) return published.error();
  if (!*published) return {};
  const projections::TemplateView& view = **published;
  auto events = log_->ReadRange(view.position, 1);
  if (!events) return events.error();
  std::string actor = "system:templates";
  if (!events->empty() && events->front().envelope.position == view.position) {
    actor = events->front().envelope.actor;
  }
  Start(RevisionJob{view.pass_type_id, view.version, view.position, view.position,
                    std::move(actor)});
  return {};
}

std::optional<RevisionStatus> TemplateRevisions::Status(std::string_view pass_type_id) const {
  MutexLock lock(mutex_);
  const auto it = status_.find(pass_type_id);
  if (it == status_.end()) return std::nullopt;
  return it->second;
}

std::optional<RevisionStatus> TemplateRevisions::WaitFor(std::string_view pass_type_id,
                                                         std::uint64_t cause_position,
                                                         std::chrono::milliseconds timeout) const {
  MutexLock lock(mutex_);
  const auto settled = [&]() PL_REQUIRES(mutex_) {
    const auto it = status_.find(pass_type_id);
    if (it == status_.end()) return true;
    // Done, or replaced by the job of a newer publish.
    return it->second.done || it->second.cause_position != cause_position || stopping_;
  };
  changed_.wait_for(lock, timeout, settled);
  const auto it = status_.find(pass_type_id);
  if (it == status_.end()) return std::nullopt;
  return it->second;
}

void TemplateRevisions::Run() {
  for (;;) {
    RevisionJob job;
    {
      MutexLock lock(mutex_);
      changed_.wait(lock, [&]() PL_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    std::uint64_t cursor = 0;
    for (;;) {
      {
        MutexLock lock(mutex_);
        if (stopping_) return;  // Resume at the next start finishes the job
        const bool superseded = std::any_of(queue_.begin(), queue_.end(), [&](const auto& q) {
          return q.pass_type_id == job.pass_type_id;
        });
        if (superseded) break;
      }
      auto more = RunBatch(job, &cursor);
      if (!more) {
        Report(job, 0, 0, true, more.error().message);
        break;
      }
      if (!*more) {
        Report(job, 0, 0, true, std::string());
        break;
      }
    }
  }
}

Result<bool> TemplateRevisions::RunBatch(const RevisionJob& job, std::uint64_t* cursor) {
  auto changed = read_.PassesChangedSince(job.pass_type_id, *cursor, options_.batch);
  if (!changed) return changed.error();
  bool reached_bound = false;
  std::uint64_t devices = 0;
  std::vector<events::AppendRequest> requests;
  const std::string reason = "template version " + std::to_string(job.version) + " published";
  for (const auto& [position, serial] : *changed) {
    if (position >= job.bound) {
      reached_bound = true;
      break;
    }
    *cursor = position;
    auto pass = read_.Pass(serial);
    if (!pass) return pass.error();
    if (*pass) devices += static_cast<std::uint64_t>(std::max<std::int64_t>((*pass)->devices, 0));
    events::AppendRequest request;
    request.stream = "pass-" + serial;
    request.actor = job.actor;
    request.causation = job.cause_position;
    request.correlation_id = "template-" + job.pass_type_id + "-v" + std::to_string(job.version);
    request.events.push_back(events::NewEvent{
        std::string(events::kPassRevised), 0,
        boost::json::object{{"serial", serial},
                            {"causePosition", job.cause_position},
                            {"reason", reason}},
        {}, {}});
    requests.push_back(std::move(request));
  }
  const std::uint64_t revised = requests.size();
  if (!requests.empty()) {
    auto appended = log_->AppendAtomic(std::move(requests));
    if (!appended) return appended.error();
  }
  Report(job, revised, devices, false, std::string());
  return !reached_bound && changed->size() == options_.batch;
}

void TemplateRevisions::Report(const RevisionJob& job, std::uint64_t revised,
                               std::uint64_t devices, bool done, std::string error) {
  {
    MutexLock lock(mutex_);
    RevisionStatus& status = status_[job.pass_type_id];
    if (status.cause_position != job.cause_position) return;  // a newer job reports now
    status.passes_revised += revised;
    status.devices_to_push += devices;
    status.done = done;
    status.error = std::move(error);
  }
  changed_.notify_all();
}

}  // namespace passledger::handlers

#include "handlers/push/push_dispatcher.h"

#include <algorithm>

#include "events/catalogue.h"
#include "events/storage_format.h"
#include "events/stream_names.h"

namespace passledger::handlers {

namespace ev = events;
using boost::json::object;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChangesPage = 1024;
constexpr std::size_t kMaxCommitTimes = 4096;
constexpr std::size_t kMaxPushedDevices = 1'000'000;
constexpr auto kHeadWait = std::chrono::minutes(10);

constexpr std::string_view kReasonUnregistered = "apns-unregistered";
constexpr std::string_view kReasonBadToken = "bad-token";

double SecondsBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

void LatencyHistogram::Observe(double seconds) {
  seconds = std::max(0.0, seconds);
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

LatencyHistogram::Sample LatencyHistogram::Read() const {
  Sample sample;
  for (std::size_t i = 0; i < kBounds.size(); ++i) sample.cumulative[i] = buckets_[i].load();
  sample.count = count_.load();
  sample.sum = static_cast<double>(sum_us_.load()) / 1e6;
  return sample;
}

// One push to make: a device's registration(s) of one pass type whose passes changed.
struct PushDispatcher::Due {
  std::string device_id;
  std::string pass_type;
  std::string push_token;
  std::uint64_t device_position = 0;  // its last DeviceRegistered
  std::uint64_t first_change = 0;     // the earliest content position that made it due
};

PushDispatcher::PushDispatcher(events::EventLog* log, projections::ReadModel read,
                               apns::Client* client, PushDispatcherOptions options)
    : log_(log), read_(read), client_(client), options_(std::move(options)) {}

PushDispatcher::~PushDispatcher() { Stop(); }

Result<void> PushDispatcher::Start() {
  auto checkpoint = ReadCheckpoint();
  if (!checkpoint) return checkpoint.error();
  checkpoint_ = recorded_up_to_ = *checkpoint;
  {
    MutexLock lock(mutex_);
    status_.running = true;
    status_.checkpoint = checkpoint_;
  }
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
  return {};
}

void PushDispatcher::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  client_->Stop();
  thread_.join();
}

// The last batch record's upTo; without one, the head now (pushes start from here: a log that
// existed before push was turned on is not pushed again), recorded so that the next start
// begins at the same place.
Result<std::uint64_t> PushDispatcher::ReadCheckpoint() {
  const std::string stream(events::kPushBatchStream);
  auto version = log_->StreamVersion(stream);
  if (!version) return version.error();
  if (*version > 0) {
    auto last = log_->ReadStream(stream, *version, 1);
    if (!last) return last.error();
    if (!last->empty()) {
      const object& payload = last->front().payload;
      if (const auto* up_to = payload.if_contains("upTo"); up_to && up_to->is_int64()) {
        return static_cast<std::uint64_t>(std::max<std::int64_t>(0, up_to->get_int64()));
      }
      return last->front().envelope.position;
    }
  }
  auto up_to = read_.Checkpoint();
  if (!up_to) return up_to.error();
  PushBatchReport start;
  start.from = start.up_to = *up_to;
  checkpoint_ = *up_to;
  if (auto recorded = Record(start); !recorded) return recorded.error();
  return *up_to;
}

void PushDispatcher::Run(std::stop_token stop) {
  auto stop_with = [&](std::string why) {
    if (options_.alert) options_.alert("push stopped: " + why);
    MutexLock lock(mutex_);
    status_.running = false;
    status_.stopped = std::move(why);
  };
  while (!stop.stop_requested()) {
    if (!WaitForChanges(stop)) break;
    MutexLock batch(batch_mutex_);
    auto views_at = read_.Checkpoint();
    if (!views_at) return stop_with("reading the views: " + views_at.error().message);
    std::uint64_t up_to = *views_at;
    if (up_to <= checkpoint_) continue;
    auto due = CollectDue(up_to);
    if (!due) return stop_with("collecting due devices: " + due.error().message);
    if (due->empty()) {
      checkpoint_ = up_to;
      if (checkpoint_ - recorded_up_to_ >= options_.idle_record_every) {
        PushBatchReport quiet;
        quiet.from = recorded_up_to_ + 1;
        quiet.up_to = up_to;
        if (auto ok = Record(quiet); !ok) return stop_with("recording: " + ok.error().message);
      }
      continue;
    }
    auto report = Send(std::move(*due), checkpoint_ + 1, up_to);
    if (!report) return stop_with(report.error().message);
    if (report->not_sent > 0) {
      if (auto why = client_->configuration_error()) return stop_with(*why);
      break;  // stopping: the batch is sent again on the next start
    }
    checkpoint_ = up_to;
    MutexLock lock(mutex_);
    status_.checkpoint = checkpoint_;
  }
  MutexLock lock(mutex_);
  status_.running = false;
}

bool PushDispatcher::WaitForChanges(std::stop_token stop) {
  for (;;) {
    auto head = log_->WaitForHead(checkpoint_, kHeadWait, stop);
    if (head) {
      NoteCommit(*head);
      break;
    }
    if (head.error().code != ErrorCode::kTimeout) return false;
  }
  const auto deadline = SteadyClock::now() + options_.coalesce;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return true;
    auto head = log_->WaitForHead(seen_head_, left, stop);
    if (head) {
      NoteCommit(*head);
    } else if (head.error().code != ErrorCode::kTimeout) {
      return false;
    }
  }
}

Result<std::vector<PushDispatcher::Due>> PushDispatcher::CollectDue(std::uint64_t& up_to) {
  std::vector<Due> due;
  std::unordered_map<std::string, std::size_t> index;
  for (const std::string& type : options_.pass_types) {
    std::uint64_t after = checkpoint_;
    for (;;) {
      auto page = read_.PassesChangedSince(type, after, kChangesPage);
      if (!page) return page.error();
      for (const auto& [position, serial] : *page) {
        if (position > up_to) break;
        if (auto ok = AddDevices(serial, position, due, index); !ok) return ok.error();
        after = position;
        if (due.size() >= options_.max_batch_devices) {
          up_to = position;  // the rest of the range goes in the next batch
          return due;
        }
      }
      if (page->size() < kChangesPage || after >= up_to || page->back().first > up_to) break;
    }
  }
  return due;
}

Result<void> PushDispatcher::AddDevices(const std::string& serial, std::uint64_t content_position,
                                        std::vector<Due>& due,
                                        std::unordered_map<std::string, std::size_t>& index) {
  auto registrations = read_.DevicesForSerial(serial);
  if (!registrations) return registrations.error();
  for (auto& r : *registrations) {
    if (r.push_token.empty()) continue;
    std::string key = r.device_id + '\n' + r.pass_type_id;
    auto [it, added] = index.try_emplace(std::move(key), due.size());
    if (!added) {
      due[it->second].first_change = std::min(due[it->second].first_change, content_position);
      continue;
    }
    due.push_back(Due{std::move(r.device_id), std::move(r.pass_type_id), std::move(r.push_token),
                      r.device_position, content_position});
  }
  return {};
}

Result<PushBatchReport> PushDispatcher::PushNow(std::span<const std::string> serials) {
  MutexLock batch(batch_mutex_);
  const std::uint64_t at = status().running ? checkpoint_ : log_->GetHead().position;
  std::vector<Due> due;
  std::unordered_map<std::string, std::size_t> index;
  for (const std::string& serial : serials) {
    auto pass = read_.Pass(serial);
    if (!pass) return pass.error();
    if (!*pass) return MakeError(ErrorCode::kNotFound, "no pass with serial " + serial);
    if (auto ok = AddDevices(serial, (*pass)->content_position, due, index); !ok) {
      return ok.error();
    }
  }
  auto report = Send(std::move(due), at, at);
  if (!report) return report.error();
  if (report->not_sent > 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "APNs refused the configuration: " +
                         client_->configuration_error().value_or("the client stopped"));
  }
  return report;
}

Result<PushBatchReport> PushDispatcher::Send(std::vector<Due> due, std::uint64_t from,
                                             std::uint64_t up_to) {
  const auto started = SteadyClock::now();
  std::vector<apns::Push> pushes;
  pushes.reserve(due.size());
  for (const Due& d : due) pushes.push_back({d.push_token, d.pass_type});
  {
    MutexLock lock(mutex_);
    status_.devices_due = due.size();
  }
  const std::vector<apns::PushResult> results = client_->Send(pushes);
  PushBatchReport report;
  report.from = from;
  report.up_to = up_to;
  report.devices = due.size();
  for (std::size_t i = 0; i < due.size(); ++i) {
    const apns::PushResult& result = results[i];
    switch (result.outcome) {
      case apns::Outcome::kDelivered:
        ++report.delivered;
        if (auto committed = CommitTime(due[i].first_change)) {
          commit_to_accept_.Observe(SecondsBetween(*committed, result.accepted_at));
        }
        break;
      case apns::Outcome::kUnregistered:
      case apns::Outcome::kBadDeviceToken: {
        const bool gone = result.outcome == apns::Outcome::kUnregistered;
        auto removed = Unregister(due[i], result, gone ? kReasonUnregistered : kReasonBadToken);
        if (!removed) return removed.error();
        ++(*removed ? report.unregistered : report.kept);
        ++report.failures[*removed ? std::string(gone ? "unregistered" : "bad-token")
                                   : std::string("kept-registered-again")];
        break;
      }
      case apns::Outcome::kFailed:
        ++report.failed;
        ++report.failures["retries-exhausted"];
        break;
      case apns::Outcome::kNotSent:
        ++report.not_sent;
        break;
    }
  }
  {
    MutexLock lock(mutex_);
    status_.devices_due = 0;
    status_.unregistered += report.unregistered;
    status_.kept += report.kept;
  }
  if (report.not_sent > 0) return report;
  auto recorded = Record(report);
  if (!recorded) return recorded.error();
  report.recorded_position = *recorded;
  NotePushed(due, results);
  batch_seconds_.Observe(SecondsBetween(started, SteadyClock::now()));
  return report;
}

// Removes the device's registrations of the pass type unless it registered again (a new push
// token, or a DeviceRegistered after APNs' timestamp); false when kept.
Result<bool> PushDispatcher::Unregister(const Due& due, const apns::PushResult& result,
                                        std::string_view reason) {
  const std::string stream = events::DeviceStream(due.device_id);
  auto version = log_->StreamVersion(stream);
  if (!version) return version.error();
  auto device = read_.Device(due.device_id);
  if (!device) return device.error();
  if (!*device || (*device)->push_token != due.push_token) return false;
  if (const auto stamp = result.last_answer.timestamp_ms; stamp && reason == kReasonUnregistered) {
    auto registered = log_->ReadRange((*device)->updated_position, 1);
    if (!registered) return registered.error();
    if (!registered->empty() && registered->front().envelope.recorded_at_us / 1000 > *stamp) {
      return false;
    }
  }
  auto serials = read_.RegisteredSerials(due.device_id, due.pass_type,
                                         events::format::kMaxRequestEvents);
  if (!serials) return serials.error();
  if (serials->empty()) return false;
  events::AppendRequest request;
  request.stream = stream;
  request.expected = events::ExpectedVersion::Exactly(*version);
  request.actor = options_.actor;
  for (const std::string& serial : *serials) {
    request.events.push_back(events::NewEvent{
        std::string(ev::kDeviceUnregistered), 0,
        object{{"deviceId", due.device_id}, {"passTypeId", due.pass_type}, {"serial", serial},
               {"reason", reason}},
        {}, std::nullopt});
  }
  auto appended = log_->Append(std::move(request));
  if (!appended && appended.error().code == ErrorCode::kConflict) return false;  // it changed
  if (!appended) return appended.error();
  return true;
}

Result<std::uint64_t> PushDispatcher::Record(const PushBatchReport& report) {
  boost::json::array failures;
  for (const auto& [reason, count] : report.failures) {
    failures.push_back(object{{"reason", reason}, {"count", count}});
  }
  object payload{{"sent", report.delivered},
                 {"failed", report.failed},
                 {"unregistered", report.unregistered},
                 {"devices", report.devices},
                 {"from", report.from},
                 {"upTo", report.up_to}};
  if (!failures.empty()) payload["failures"] = std::move(failures);
  events::AppendRequest request;
  request.stream = std::string(events::kPushBatchStream);
  request.actor = options_.actor;
  request.events.push_back(
      events::NewEvent{std::string(ev::kPushBatchCompleted), 0, std::move(payload), {}, std::nullopt});
  auto appended = log_->Append(std::move(request));
  if (!appended) return appended.error();
  recorded_up_to_ = report.up_to;
  MutexLock lock(mutex_);
  ++status_.batches;
  return appended->last_position;
}

void PushDispatcher::NoteCommit(std::uint64_t head) {
  if (head <= seen_head_) return;
  seen_head_ = head;
  MutexLock lock(mutex_);
  commits_.emplace_back(head, SteadyClock::now());
  if (commits_.size() > kMaxCommitTimes) commits_.pop_front();
}

// When the first head at or past `position` was seen; nullopt when that is no longer known.
std::optional<SteadyClock::time_point> PushDispatcher::CommitTime(std::uint64_t position) const {
  MutexLock lock(mutex_);
  if (commits_.empty() || position == 0) return std::nullopt;
  auto it = std::lower_bound(commits_.begin(), commits_.end(), position,
                             [](const auto& entry, std::uint64_t p) { return entry.first < p; });
  if (it == commits_.end()) return std::nullopt;
  if (it == commits_.begin() && position < it->first) {
    // Older than the first head seen: committed before the dispatcher watched.
    return std::nullopt;
  }
  return it->second;
}

void PushDispatcher::NotePushed(const std::vector<Due>& due,
                                const std::vector<apns::PushResult>& results) {
  MutexLock lock(mutex_);
  for (std::size_t i = 0; i < due.size(); ++i) {
    if (results[i].outcome != apns::Outcome::kDelivered) continue;
    if (pushed_.size() >= kMaxPushedDevices) pushed_.clear();  // bounded; loses only a sample
    pushed_[due[i].device_id] = results[i].accepted_at;
  }
}

void PushDispatcher::DeviceAsked(std::string_view device_id) {
  std::optional<SteadyClock::time_point> pushed;
  {
    MutexLock lock(mutex_);
    auto it = pushed_.find(std::string(device_id));
    if (it == pushed_.end()) return;
    pushed = it->second;
    pushed_.erase(it);
  }
  push_to_return_.Observe(SecondsBetween(*pushed, SteadyClock::now()));
}

PushStatus PushDispatcher::status() const {
  MutexLock lock(mutex_);
  return status_;
}

}  // namespace passledger::handlers

// PushDispatcher: follows the event log and tells every phone that holds a changed pass, once
// per coalescing window, through the APNs client (docs/PUSH.md).
//
// A batch covers the log positions (checkpoint, up_to]. Its due devices are those registered
// for a pass whose content position lies in that range (the projections' change index:
// PassIssued, PassRevised, PassVoided, PassUnvoided — a template republish and a token
// revocation reach passes through those), one push per (device, pass type) however many of
// its passes changed and however often; registrations are read when the batch is built, so a
// device that unregistered meanwhile gets none. After the pushes the batch is recorded as one
// PushBatchCompleted on stream system-device-pushes ({sent, failed, unregistered, failures,
// devices, from, upTo}); its `upTo` is the dispatcher's checkpoint. A crash before the record
// sends the batch again on restart: at-least-once, never lost. A batch without due devices
// is recorded only when the checkpoint has moved `idle_record_every` positions since the last
// record (so that a restart does not rescan a long quiet stretch); without any record the
// dispatcher starts at the head it finds.
//
// Answers: 410 Unregistered removes the device's registrations of that pass type
// (DeviceUnregistered, reason "apns-unregistered") unless the device registered again after
// APNs' timestamp or has another push token now; 400 BadDeviceToken removes them (reason
// "bad-token"). Removals append at the device stream's version read before the checks, so a
// registration that arrives meanwhile wins. A configuration answer stops the dispatcher: the
// batch is not recorded (it is sent again after a restart with a fixed configuration) and
// status() says why. No registration is ever removed because of a configuration error.
//
// Threads: Start() runs the loop on a thread of its own, which waits on the log's head
// (EventLog::WaitForHead), never polls. status(), DeviceAsked() and the histograms may be
// called from any thread. PushNow() may be called from any thread, also beside the running
// loop (`passledger push` through the operator socket): batches are sent one at a time. The
// log, projections and client are borrowed and must outlive the dispatcher.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "apns/client.h"
#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct PushDispatcherOptions {
  std::vector<std::string> pass_types;  // the topics this server pushes for
  std::chrono::milliseconds coalesce{1000};
  std::size_t max_batch_devices = 250'000;  // a larger fan-out is split over batches
  std::uint64_t idle_record_every = 10'000;
  std::string actor = "system:push";
  // One line for an operator when the dispatcher stops (the server's log); may be empty.
  std::function<void(const std::string&)> alert;
};

// Seconds, with fixed bucket bounds; lock-free to observe.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 12> kBounds = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                     2.5,  5,    10,  30,   60,  300};
  void Observe(double seconds);
  struct Sample {
    std::array<std::uint64_t, kBounds.size()> cumulative{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  Sample Read() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

struct PushBatchReport {
  std::uint64_t from = 0;   // first position covered
  std::uint64_t up_to = 0;  // last position covered
  std::size_t devices = 0;  // pushes sent (one per device and pass type)
  std::size_t delivered = 0, unregistered = 0, kept = 0, failed = 0, not_sent = 0;
  std::map<std::string, std::size_t> failures;  // by reason ("bad-token", "retries-exhausted", …)
  std::uint64_t recorded_position = 0;           // of its PushBatchCompleted; 0 when not recorded
};

struct PushStatus {
  bool running = false;
  std::optional<std::string> stopped;  // why the dispatcher stopped pushing
  std::uint64_t checkpoint = 0;
  std::uint64_t batches = 0;
  std::uint64_t devices_due = 0;  // in the batch being sent now
  std::uint64_t unregistered = 0, kept = 0;
};

class PushDispatcher {
 public:
  PushDispatcher(events::EventLog* log, projections::ReadModel read, apns::Client* client,
                 PushDispatcherOptions options);
  ~PushDispatcher();  // Stop()
  PushDispatcher(const PushDispatcher&) = delete;
  PushDispatcher& operator=(const PushDispatcher&) = delete;

  // Reads the checkpoint from the log and starts the loop.
  Result<void> Start();
  // Ends the loop: the batch on the wire ends unrecorded (sent again on the next start).
  void Stop();

  // One batch now for the devices of these serials, recorded like any other with an empty
  // range: from = up_to = the loop's checkpoint while it runs (so a restart starts where the
  // loop had got to), else the head. Waits for a batch of the loop that is on the wire.
  Result<PushBatchReport> PushNow(std::span<const std::string> serials);

  // A device asked the list route what changed: observes the time since its last push.
  void DeviceAsked(std::string_view device_id) PL_EXCLUDES(mutex_);

  PushStatus status() const PL_EXCLUDES(mutex_);
  const LatencyHistogram& commit_to_accept() const { return commit_to_accept_; }
  const LatencyHistogram& push_to_return() const { return push_to_return_; }
  const LatencyHistogram& batch_seconds() const { return batch_seconds_; }

 private:
  struct Due;
  void Run(std::stop_token stop);
  Result<std::uint64_t> ReadCheckpoint();
  // Waits for a commit past the checkpoint, then out the coalescing window; false on stop.
  bool WaitForChanges(std::stop_token stop);
  Result<std::vector<Due>> CollectDue(std::uint64_t& up_to);
  Result<void> AddDevices(const std::string& serial, std::uint64_t content_position,
                          std::vector<Due>& due, std::unordered_map<std::string, std::size_t>& index);
  Result<PushBatchReport> Send(std::vector<Due> due, std::uint64_t from, std::uint64_t up_to);
  Result<bool> Unregister(const Due& due, const apns::PushResult& result, std::string_view reason);
  Result<std::uint64_t> Record(const PushBatchReport& report);
  void NoteCommit(std::uint64_t head) PL_EXCLUDES(mutex_);
  std::optional<std::chrono::steady_clock::time_point> CommitTime(std::uint64_t position) const
      PL_EXCLUDES(mutex_);
  void NotePushed(const std::vector<Due>& due, const std::vector<apns::PushResult>& results)
      PL_EXCLUDES(mutex_);

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  apns::Client* const client_;
  const PushDispatcherOptions options_;

  // Held by the loop for each batch and by PushNow: one batch on the wire at a time (the
  // client's Send is single-caller). Taken before mutex_.
  Mutex batch_mutex_;
  // Written by Start and, under batch_mutex_, the loop; read by PushNow under batch_mutex_.
  std::uint64_t checkpoint_ = 0;
  std::uint64_t recorded_up_to_ = 0;
  std::uint64_t seen_head_ = 0;

  LatencyHistogram commit_to_accept_, push_to_return_, batch_seconds_;

  mutable Mutex mutex_;
  PushStatus status_ PL_GUARDED_BY(mutex_);
  // When heads were first seen (bounded), for the commit-to-accept latency.
  std::deque<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> commits_
      PL_GUARDED_BY(mutex_);
  // When each device was last pushed and not yet seen again (bounded).
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> pushed_
      PL_GUARDED_BY(mutex_);

  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace passledger::handlers

// MailDispatcher: sends the e-mails the log asks for (PassEmailRequested) and records each
// outcome in the log (docs/EMAIL.md).
//
// Its work list is the projections' index of waiting e-mails (ReadModel::EmailsWaiting: every
// pass whose last e-mail event is a request, or a failure that will be retried), folded inline
// with every append — the dispatcher's checkpoint is the log itself: a request stays waiting
// until its PassEmailSent or final PassEmailFailed is committed. One message per member carries
// all of that member's waiting passes. After the message is handed over, one atomic append
// records every pass of it: PassEmailSent {messageId, requestPosition, attempt, reply} or
// PassEmailFailed {error, attempt, willRetry, requestPosition}.
//
// At-least-once: a crash after the SMTP server accepted a message and before its
// PassEmailSent was committed sends that message again after the restart (same Message-ID);
// that window is the only source of duplicates. Nothing requested is forgotten. The record of
// a sent message is committed while the next message is built and sent (one record in flight
// at most, its passes skipped until it is committed), so the window spans at most two
// messages: the one whose record is being committed and the one being sent.
//
// Failures: a temporary one (connection refused, timeouts, 4xx, a failed outbox write) is
// retried after options.retry_after[attempt-1] (the last entry repeats) from the failure's
// recorded time, until max_attempts; a permanent one (5xx, an address refused, a void pass, a
// forgotten member) fails at once and is visible on the pass (its e-mail status and error).
// rate_per_minute spaces messages evenly.
//
// Threads: Start() runs the loop on a thread of its own that waits on the log's head
// (EventLog::WaitForHead) or the next retry time, never polls. DispatchDue() is for a process
// without the loop (`passledger mail dispatch`). status() from any thread. The log, views,
// PassMail and transport are borrowed and must outlive the dispatcher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "handlers/mail/mail_transport.h"
#include "handlers/mail/pass_mail.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct MailDispatcherOptions {
  std::vector<std::chrono::seconds> retry_after = {std::chrono::minutes(1), std::chrono::minutes(5),
                                                   std::chrono::minutes(30), std::chrono::hours(2)};
  int max_attempts = 5;
  double rate_per_minute = 0;  // 0 = as fast as the transport takes them
  std::string actor = "system:mail";
  std::function<std::int64_t()> now_unix_s;  // empty = the system clock
};

struct MailDispatchReport {
  std::uint64_t messages = 0;  // handed over (sent)
  std::uint64_t passes_sent = 0;
  std::uint64_t failed = 0;                       // messages failed for good
  std::uint64_t retrying = 0;                     // messages failed, to be retried
  std::optional<std::int64_t> next_retry_unix_s;  // the earliest retry not yet due
};

struct MailStatus {
  bool running = false;
  std::string transport;
  std::uint64_t messages = 0, failed = 0, retrying = 0;
  std::string stopped;  // why the loop ended, when it did on an error
};

class MailDispatcher {
 public:
  MailDispatcher(events::EventLog* log, projections::ReadModel read, const PassMail* mail,
                 MailTransport* transport, MailDispatcherOptions options);
  ~MailDispatcher();  // Stop()
  MailDispatcher(const MailDispatcher&) = delete;
  MailDispatcher& operator=(const MailDispatcher&) = delete;

  void Start();
  void Stop();

  // Sends every message due now and records the outcomes. REQUIRES: the loop is not running.
  Result<MailDispatchReport> DispatchDue() { return DispatchDue(std::stop_token()); }

  MailStatus status() const PL_EXCLUDES(mutex_);

 private:
  struct Waiting;
  void Run(std::stop_token stop);
  Result<MailDispatchReport> DispatchDue(std::stop_token stop);
  Result<void> DispatchPages(MailDispatchReport& report, std::stop_token stop);
  // What the pass's last e-mail event says: which request, how many attempts, due when.
  Result<std::optional<Waiting>> Read(std::uint64_t position, const std::string& serial) const;
  Result<void> SendMember(const Waiting& first, MailDispatchReport& report, std::stop_token stop);
  Result<void> Record(const std::vector<projections::PassView>& passes, const Waiting& first,
                      const std::string& message_id, const mail::SendOutcome& outcome,
                      MailDispatchReport& report);
  // Waits for the record in flight, if any; its append's error.
  Result<void> FinishRecording();
  bool Recording(const std::string& serial) const;
  // Waits until the rate allows the next message; false on stop.
  bool Pace(std::stop_token stop);
  std::int64_t Now() const;

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  const PassMail* const mail_;
  MailTransport* const transport_;
  const MailDispatcherOptions options_;

  // The dispatching thread's alone.
  std::chrono::steady_clock::time_point next_slot_{};
  std::uint64_t seen_head_ = 0;
  std::optional<std::future<Result<void>>> recording_;  // the sent message's record in flight
  std::vector<std::string> recording_serials_;          // its passes

  mutable Mutex mutex_;
  MailStatus status_ PL_GUARDED_BY(mutex_);
  std::condition_variable_any paced_;  // Pace's interruptible sleep (on mutex_)

  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace passledger::handlers

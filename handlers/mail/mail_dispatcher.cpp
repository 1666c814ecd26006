#include "handlers/mail/mail_dispatcher.h"

#include <algorithm>

#include "events/catalogue.h"

namespace passledger::handlers {

namespace ev = events;
using boost::json::object;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kPage = 256;
constexpr auto kIdleWait = std::chrono::minutes(10);

std::int64_t IntOr(const object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

}  // namespace

// One waiting e-mail as its pass's last e-mail event describes it.
struct MailDispatcher::Waiting {
  std::string serial;
  std::string membership_id;
  std::uint64_t request_position = 0;
  std::int64_t attempts = 0;  // made so far
  std::int64_t due_unix_s = 0;
};

MailDispatcher::MailDispatcher(events::EventLog* log, projections::ReadModel read,
                               const PassMail* mail, MailTransport* transport,
                               MailDispatcherOptions options)
    : log_(log), read_(read), mail_(mail), transport_(transport), options_(std::move(options)) {
  status_.transport = transport_->Describe();
}

MailDispatcher::~MailDispatcher() { Stop(); }

void MailDispatcher::Start() {
  {
    MutexLock lock(mutex_);
    status_.running = true;
  }
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void MailDispatcher::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  {
    MutexLock lock(mutex_);
    paced_.notify_all();
  }
  thread_.join();
}

MailStatus MailDispatcher::status() const {
  MutexLock lock(mutex_);
  return status_;
}

std::int64_t MailDispatcher::Now() const {
  if (options_.now_unix_s) return options_.now_unix_s();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void MailDispatcher::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    seen_head_ = log_->GetHead().position;
    auto report = DispatchDue(stop);
    if (!report) {
      MutexLock lock(mutex_);
      status_.running = false;
      status_.stopped = report.error().message;
      return;
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kIdleWait);
    if (report->next_retry_unix_s) {
      const std::int64_t left = std::max<std::int64_t>(0, *report->next_retry_unix_s - Now());
      wait = std::min(wait, std::chrono::milliseconds(left * 1000 + 50));
    }
    auto head = log_->WaitForHead(seen_head_, wait, stop);
    if (!head && head.error().code != ErrorCode::kTimeout) break;
  }
  MutexLock lock(mutex_);
  status_.running = false;
}

Result<MailDispatchReport> MailDispatcher::DispatchDue(std::stop_token stop) {
  MailDispatchReport report;
  auto dispatched = DispatchPages(report, stop);
  auto recorded = FinishRecording();  // on every path: nothing is left in flight
  if (!dispatched) return dispatched.error();
  if (!recorded) return recorded.error();
  return report;
}

Result<void> MailDispatcher::DispatchPages(MailDispatchReport& report, std::stop_token stop) {
  // What is waiting now: a failure recorded during this call is retried by the next one.
  const std::uint64_t until = log_->GetHead().position;
  std::uint64_t after = 0;
  for (;;) {
    auto page = read_.EmailsWaiting(after, kPage);
    if (!page) return page.error();
    for (const auto& [position, serial] : *page) {
      if (stop.stop_requested()) return {};
      after = position;
      if (Recording(serial)) continue;  // sent with its member's message, being recorded
      auto waiting = Read(position, serial);
      if (!waiting) return waiting.error();
      if (!*waiting) continue;  // sent meanwhile with another pass of its member
      if ((*waiting)->due_unix_s > Now() || position > until) {
        report.next_retry_unix_s = std::min(
            report.next_retry_unix_s.value_or((*waiting)->due_unix_s), (*waiting)->due_unix_s);
        continue;
      }
      if (auto ok = SendMember(**waiting, report, stop); !ok) return ok.error();
    }
    if (page->empty()) return {};  // (what this call recorded is read too: next_retry)
  }
}

Result<void> MailDispatcher::FinishRecording() {
  if (!recording_) return {};
  Result<void> done = recording_->get();
  recording_.reset();
  recording_serials_.clear();
  return done;
}

bool MailDispatcher::Recording(const std::string& serial) const {
  return std::find(recording_serials_.begin(), recording_serials_.end(), serial) !=
         recording_serials_.end();
}

Result<std::optional<MailDispatcher::Waiting>> MailDispatcher::Read(
    std::uint64_t position, const std::string& serial) const {
  auto pass = read_.Pass(serial);
  if (!pass) return pass.error();
  if (!*pass || !projections::IsWaiting((*pass)->email.status) ||
      (*pass)->email.position != position) {
    return std::optional<Waiting>();
  }
  auto events = log_->ReadRange(position, 1);
  if (!events) return events.error();
  if (events->empty() || events->front().envelope.position != position) {
    return MakeError(ErrorCode::kCorruption, "the e-mail event of pass " + serial + " at " +
                                                 std::to_string(position) + " is not in the log");
  }
  const ev::RecordedEvent& e = events->front();
  Waiting w;
  w.serial = serial;
  w.membership_id = (*pass)->membership_id;
  const std::int64_t recorded_s = e.envelope.recorded_at_us / 1'000'000;
  if (e.envelope.type == ev::kPassEmailRequested) {
    w.request_position = position;
    w.due_unix_s = recorded_s;
    return std::optional<Waiting>(std::move(w));
  }
  w.request_position = static_cast<std::uint64_t>(
      IntOr(e.payload, "requestPosition", static_cast<std::int64_t>(position)));
  w.attempts = std::max<std::int64_t>(1, IntOr(e.payload, "attempt", 1));
  const auto& schedule = options_.retry_after;
  const std::size_t step = std::min<std::size_t>(static_cast<std::size_t>(w.attempts - 1),
                                                 schedule.empty() ? 0 : schedule.size() - 1);
  w.due_unix_s = recorded_s + (schedule.empty() ? 0 : schedule[step].count());
  return std::optional<Waiting>(std::move(w));
}

Result<void> MailDispatcher::SendMember(const Waiting& first, MailDispatchReport& report,
                                        std::stop_token stop) {
  auto member = read_.Member(first.membership_id);
  if (!member) return member.error();
  auto passes = read_.PassesOfMember(first.membership_id);
  if (!passes) return passes.error();
  std::vector<projections::PassView> waiting, voided;
  for (auto& pass : *passes) {
    if (!projections::IsWaiting(pass.email.status)) continue;
    (pass.voided ? voided : waiting).push_back(std::move(pass));
  }
  const std::string message_id = mail_->MessageIdFor(first.request_position);
  mail::SendOutcome outcome;
  if (!voided.empty()) {
    outcome.reason = "the pass was voided before it was sent";
    if (auto ok = Record(voided, first, message_id, outcome, report); !ok) return ok;
    if (waiting.empty()) return {};
  }
  auto message = member->has_value()
                     ? mail_->Build(**member, waiting, first.request_position, Now())
                     : Result<mail::Message>(MakeError(ErrorCode::kFailedPrecondition,
                                                       "no member " + first.membership_id));
  if (!message) {
    if (message.error().code != ErrorCode::kFailedPrecondition) return message.error();
    outcome.reason = message.error().message;  // permanent: nothing to send, nobody to send to
    return Record(waiting, first, message_id, outcome, report);
  }
  auto bytes = mail::Compose(*message);
  if (!bytes) {
    outcome.reason = "composing the message: " + bytes.error().message;
    return Record(waiting, first, message_id, outcome, report);
  }
  if (!Pace(stop)) return {};
  outcome = transport_->Send(*message, *bytes);
  return Record(waiting, first, message_id, outcome, report);
}

Result<void> MailDispatcher::Record(const std::vector<projections::PassView>& passes,
                                    const Waiting& first, const std::string& message_id,
                                    const mail::SendOutcome& outcome, MailDispatchReport& report) {
  const std::int64_t attempt = first.attempts + 1;
  const bool retry = !outcome.delivered && outcome.temporary && attempt < options_.max_attempts;
  const auto request = static_cast<std::int64_t>(first.request_position);
  std::vector<events::AppendRequest> requests;
  for (const auto& pass : passes) {
    object payload{{"serial", pass.serial}, {"requestPosition", request}, {"attempt", attempt}};
    std::string_view type = ev::kPassEmailSent;
    if (outcome.delivered) {
      payload["messageId"] = message_id;
      payload["reply"] = std::to_string(outcome.reply.code) + " " + outcome.reply.text;
    } else {
      type = ev::kPassEmailFailed;
      payload["error"] = outcome.reason.empty() ? "the message was not accepted" : outcome.reason;
      payload["willRetry"] = retry;
    }
    events::AppendRequest r;
    r.stream = "pass-" + pass.serial;
    r.actor = options_.actor;
    r.causation = first.request_position;
    r.events.push_back(ev::NewEvent{std::string(type), 0, std::move(payload), {}, std::nullopt});
    requests.push_back(std::move(r));
  }
  if (requests.empty()) return {};
  if (auto previous = FinishRecording(); !previous) return previous;
  if (outcome.delivered) {
    // Committed while the next message is prepared and sent (see the header).
    auto promise = std::make_shared<std::promise<Result<void>>>();
    recording_ = promise->get_future();
    for (const auto& pass : passes) recording_serials_.push_back(pass.serial);
    log_->AppendAsync(std::move(requests), [promise](Result<std::vector<events::AppendResult>> r) {
      promise->set_value(r ? Result<void>() : Result<void>(r.error()));
    });
  } else if (auto appended = log_->AppendAtomic(std::move(requests)); !appended) {
    return appended.error();
  }
  std::uint64_t* counter = outcome.delivered ? &report.messages
                           : retry           ? &report.retrying
                                             : &report.failed;
  ++*counter;
  if (outcome.delivered) report.passes_sent += passes.size();
  MutexLock lock(mutex_);
  status_.messages += outcome.delivered;
  status_.failed += !outcome.delivered && !retry;
  status_.retrying += retry;
  return {};
}

bool MailDispatcher::Pace(std::stop_token stop) {
  if (options_.rate_per_minute <= 0) return !stop.stop_requested();
  const auto interval = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(60.0 / options_.rate_per_minute));
  const auto now = SteadyClock::now();
  if (next_slot_ > now) {
    MutexLock lock(mutex_);
    paced_.wait_until(lock, stop, next_slot_, [] { return false; });
  }
  next_slot_ = std::max(next_slot_, now) + interval;
  return !stop.stop_requested();
}

}  // namespace passledger::handlers

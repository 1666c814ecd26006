#include "apns/client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <queue>
#include <thread>

#include "apns/backoff.h"
#include "apns/curl_handles.h"
#include "base/mutex.h"

namespace passledger::apns {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kDelivered:
      return "delivered";
    case Outcome::kUnregistered:
      return "unregistered";
    case Outcome::kBadDeviceToken:
      return "bad-token";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kNotSent:
      return "not-sent";
  }
  return "unknown";
}

namespace {

// A push of the current batch and what has happened to it so far.
struct Job {
  const Push* push = nullptr;
  PushResult* result = nullptr;
  Clock::time_point not_before{};
};

// Later not-before first out of a std::priority_queue.
struct LaterFirst {
  bool operator()(const Job* a, const Job* b) const { return a->not_before > b->not_before; }
};

// The batch's jobs, shared by the connection workers: ready jobs in order, delayed ones by
// not-before time. Every job ends exactly once (Finish), and Send() waits for all of them.
class JobQueue {
 public:
  // Called when jobs were added, so that idle workers look again.
  void SetWake(std::function<void()> wake) { wake_ = std::move(wake); }

  void Start(std::vector<Job>& jobs) PL_EXCLUDES(mutex_) {
    {
      MutexLock lock(mutex_);
      remaining_ = jobs.size();
      for (Job& job : jobs) ready_.push_back(&job);
    }
    wake_();
  }

  // Up to `max` jobs that may go now; `next` becomes the earliest time a delayed job may go
  // (unchanged when none waits).
  std::vector<Job*> Take(std::size_t max, Clock::time_point now, Clock::time_point& next)
      PL_EXCLUDES(mutex_) {
    std::vector<Job*> taken;
    MutexLock lock(mutex_);
    while (!delayed_.empty() && delayed_.top()->not_before <= now) {
      ready_.push_back(delayed_.top());
      delayed_.pop();
    }
    while (taken.size() < max && !ready_.empty()) {
      taken.push_back(ready_.front());
      ready_.pop_front();
    }
    if (!delayed_.empty()) next = std::min(next, delayed_.top()->not_before);
    return taken;
  }

  void Requeue(Job* job) PL_EXCLUDES(mutex_) {
    {
      MutexLock lock(mutex_);
      if (stopped_) {
        EndLocked(job, Outcome::kNotSent);
        return;
      }
      if (job->not_before <= Clock::now()) {
        ready_.push_front(job);
      } else {
        delayed_.push(job);
      }
    }
    wake_();
  }

  void Finish(Job* job, Outcome outcome) PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    EndLocked(job, outcome);
  }

  // Ends every waiting job as kNotSent; later requeues end too. In-flight jobs are ended by
  // their workers.
  void Stop() PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    stopped_ = true;
    for (Job* job : ready_) EndLocked(job, Outcome::kNotSent);
    ready_.clear();
    while (!delayed_.empty()) {
      EndLocked(delayed_.top(), Outcome::kNotSent);
      delayed_.pop();
    }
  }

  bool stopped() const PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return stopped_;
  }

  void WaitUntilDone() PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    done_.wait(lock, [&]() PL_REQUIRES(mutex_) { return remaining_ == 0; });
  }

  std::size_t waiting() const PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return ready_.size() + delayed_.size();
  }

 private:
  void EndLocked(Job* job, Outcome outcome) PL_REQUIRES(mutex_) {
    job->result->outcome = outcome;
    if (--remaining_ == 0) done_.notify_all();
  }

  std::function<void()> wake_ = [] {};
  mutable Mutex mutex_;
  std::deque<Job*> ready_ PL_GUARDED_BY(mutex_);
  std::priority_queue<Job*, std::vector<Job*>, LaterFirst> delayed_ PL_GUARDED_BY(mutex_);
  std::size_t remaining_ PL_GUARDED_BY(mutex_) = 0;
  bool stopped_ PL_GUARDED_BY(mutex_) = false;
  std::condition_variable_any done_;
};

// Counters every worker adds to.
struct Counters {
  std::atomic<std::uint64_t> sent{0}, delivered{0}, unregistered{0}, bad_token{0}, failed{0},
      not_sent{0}, retried{0}, too_many_requests{0}, transport_errors{0},
      connections_opened{0}, in_flight{0};
};

// The request headers of one moment (the provider token and the expiration change), shared
// by the transfers that were started with them.
struct HeaderSet {
  UniqueSlist list;
  std::string topic;              // the apns-topic in `list`
  std::string token;              // the JWT in `list`; empty with certificate auth
  std::int64_t expiration_s = 0;  // the apns-expiration in `list`
};

// One request on the wire. Its easy handle is reused for later requests.
struct Transfer {
  UniqueEasy easy;
  Job* job = nullptr;
  std::string url;
  std::string body;  // the response body, at most kMaxResponseBody bytes kept
  std::shared_ptr<const HeaderSet> headers;
};

constexpr std::size_t kMaxResponseBody = 4096;

std::size_t KeepBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  const std::size_t room = kMaxResponseBody - std::min(kMaxResponseBody, body->size());
  body->append(data, std::min(bytes, room));
  return bytes;
}

// libcurl's SSL_CTX callback: the client certificate and key straight from memory.
CURLcode UseClientCertificate(CURL*, void* ssl_ctx, void* user) {
  const auto* options = static_cast<const ClientOptions*>(user);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (SSL_CTX_use_certificate(ctx, options->certificate) != 1) return CURLE_SSL_CERTPROBLEM;
  if (SSL_CTX_use_PrivateKey(ctx, options->certificate_key) != 1) return CURLE_SSL_CERTPROBLEM;
  if (SSL_CTX_check_private_key(ctx) != 1) return CURLE_SSL_CERTPROBLEM;
  return CURLE_OK;
}

bool IsLateStreamError(CURLcode code) {
  return code == CURLE_HTTP2_STREAM || code == CURLE_HTTP2 || code == CURLE_RECV_ERROR ||
         code == CURLE_PARTIAL_FILE;
}

std::int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One connection: a thread, a multi handle holding at most one connection, the transfers on
// it and the decisions above (fresh/warm, stream limit, reconnect backoff).
class Connection {
 public:
  Connection(const ClientOptions& options, JobQueue& queue, Counters& counters,
             std::function<void(std::string)> on_configuration_error)
      : options_(options), queue_(queue), counters_(counters),
        on_configuration_error_(std::move(on_configuration_error)),
        retry_(options.retry_base, options.retry_cap),
        throttle_(options.too_many_requests_base, options.retry_cap),
        reconnect_(options.reconnect_base, options.reconnect_cap),
        stream_limit_(std::max(1, options.max_streams)) {}

  Result<void> Open() { return NewMulti(); }
  void Start() { thread_ = std::thread([this] { Run(); }); }

  // Any thread: makes the worker look at the queue (and at stop_).
  void Wake() PL_EXCLUDES(wake_mutex_) {
    MutexLock lock(wake_mutex_);
    if (multi_) curl_multi_wakeup(multi_.get());
  }
  void StopAndJoin() {
    stop_.store(true);
    Wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Result<void> NewMulti() {
    UniqueMulti multi(curl_multi_init());
    if (!multi) return MakeError(ErrorCode::kInternal, "curl_multi_init failed");
    curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, 1L);
    curl_multi_setopt(multi.get(), CURLMOPT_MAXCONNECTS, 1L);
    curl_multi_setopt(multi.get(), CURLMOPT_MAX_CONCURRENT_STREAMS,
                      static_cast<long>(options_.max_streams));
    {
      MutexLock lock(wake_mutex_);
      multi_ = std::move(multi);
    }
    warm_ = false;
    return {};
  }

  void Run() {
    while (!stop_.load()) {
      const Clock::time_point now = Clock::now();
      Clock::time_point next = now + milliseconds(1000);
      if (now >= rest_until_) StartTransfers(now, next);
      if (now < rest_until_) next = std::min(next, rest_until_);
      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      // Streams that just ended are filled again before waiting.
      if (Collect() > 0) continue;
      const auto wait = std::chrono::duration_cast<milliseconds>(next - Clock::now());
      curl_multi_poll(multi_.get(), nullptr, 0,
                      static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 1000)), nullptr);
    }
    AbortAll(Outcome::kNotSent);
  }

  // How many streams this connection may carry now.
  std::size_t Allowance() const {
    if (!warm_ || Clock::now() - last_answer_ > kIdleAfter) return 1;
    return static_cast<std::size_t>(stream_limit_);
  }

  void StartTransfers(Clock::time_point now, Clock::time_point& next) {
    const std::size_t allowance = Allowance();
    if (active_.size() >= allowance) return;
    std::vector<Job*> jobs = queue_.Take(allowance - active_.size(), now, next);
    if (jobs.empty()) return;
    for (Job* job : jobs) {
      auto headers = CurrentHeaders(job->push->topic);
      if (!headers) {
        // The provider token could not be signed: nothing can be sent with this key.
        on_configuration_error_(headers.error().message);
        queue_.Requeue(job);
        continue;
      }
      StartTransfer(job, *headers);
    }
  }

  // The headers for `topic` now; the same list while the token and the second last.
  Result<std::shared_ptr<const HeaderSet>> CurrentHeaders(const std::string& topic) {
    std::string token;
    if (options_.auth == AuthMode::kToken) {
      auto current = options_.token->Current();
      if (!current) return current.error();
      token = std::move(*current);
    }
    const std::int64_t expiration =
        options_.expiration.count() == 0 ? 0 : UnixSeconds() + options_.expiration.count();
    if (headers_ && headers_->token == token && headers_->expiration_s == expiration &&
        headers_->topic == topic) {
      return headers_;
    }
    auto set = std::make_shared<HeaderSet>();
    set->topic = topic;
    set->token = token;
    set->expiration_s = expiration;
    curl_slist* list = nullptr;
    auto add = [&](const std::string& line) { list = curl_slist_append(list, line.c_str()); };
    add("apns-topic: " + topic);
    add("apns-push-type: " + options_.push_type);
    add("apns-priority: " + std::to_string(options_.priority));
    add("apns-expiration: " + std::to_string(expiration));
    add("content-type: application/json");
    add("accept:");  // libcurl's default "Accept: */*" is not part of an APNs request
    if (!token.empty()) add("authorization: bearer " + token);
    set->list.reset(list);
    headers_ = std::move(set);
    return headers_;
  }

  std::unique_ptr<Transfer> TakeTransfer() {
    if (!spare_.empty()) {
      auto transfer = std::move(spare_.back());
      spare_.pop_back();
      return transfer;
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->easy.reset(curl_easy_init());
    CURL* easy = transfer->easy.get();
    if (!easy) return nullptr;
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);  // each new connection resolves
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 2L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "passledger");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, KeepBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer->body);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    if (!options_.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (options_.auth == AuthMode::kCertificate) {
      curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, UseClientCertificate);
      curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &options_);
    }
    return transfer;
  }

  void StartTransfer(Job* job, const std::shared_ptr<const HeaderSet>& headers) {
    auto transfer = TakeTransfer();
    if (!transfer) {
      queue_.Requeue(job);
      return;
    }
    transfer->job = job;
    transfer->body.clear();
    transfer->headers = headers;
    transfer->url = options_.url + "/3/device/" + job->push->device_token;
    CURL* easy = transfer->easy.get();
    curl_easy_setopt(easy, CURLOPT_URL, transfer->url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers->list.get());
    if (curl_multi_add_handle(multi_.get(), easy) != CURLM_OK) {
      queue_.Requeue(job);
      spare_.push_back(std::move(transfer));
      return;
    }
    ++job->result->attempts;
    counters_.sent.fetch_add(1);
    counters_.in_flight.fetch_add(1);
    active_.push_back(std::move(transfer));
  }

  // Ends the transfers libcurl reports done; returns how many.
  std::size_t Collect() {
    std::size_t collected = 0;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const CURLcode code = msg->data.result;
      CURL* easy = msg->easy_handle;
      Transfer* raw = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      long connects = 0;
      curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
      if (connects > 0) counters_.connections_opened.fetch_add(static_cast<std::uint64_t>(connects));
      curl_multi_remove_handle(multi_.get(), easy);
      counters_.in_flight.fetch_sub(1);
      auto transfer = Release(raw);
      // A 200 is an answer even when the stream then ends with RST_STREAM(NO_ERROR): a
      // server that answers before it has read the body may close it so, and libcurl 7.88
      // reports that as a stream error after the response arrived.
      const bool answered = status > 0 && (code == CURLE_OK || (status == 200 && IsLateStreamError(code)));
      if (answered) {
        Answered(*transfer, ParseAnswer(static_cast<int>(status), transfer->body));
      } else {
        Unanswered(*transfer, code);
      }
      transfer->job = nullptr;
      transfer->headers.reset();
      spare_.push_back(std::move(transfer));
      ++collected;
    }
    if (reset_pending_ && active_.empty()) Reset();
    return collected;
  }

  std::unique_ptr<Transfer> Release(Transfer* raw) {
    auto it = std::find_if(active_.begin(), active_.end(),
                           [&](const auto& t) { return t.get() == raw; });
    auto transfer = std::move(*it);
    *it = std::move(active_.back());
    active_.pop_back();
    return transfer;
  }

  void Answered(Transfer& transfer, Answer answer) {
    Job* job = transfer.job;
    const Verdict verdict = Judge(answer);
    job->result->last_answer = answer;
    const Clock::time_point now = Clock::now();
    if (verdict != Verdict::kExpiredProviderToken &&
        verdict != Verdict::kTooManyProviderTokenUpdates) {
      warm_ = true;
      last_answer_ = now;
      failures_in_row_ = 0;
      if (stream_limit_ < options_.max_streams) ++stream_limit_;
    }
    switch (verdict) {
      case Verdict::kDelivered:
        job->result->accepted_at = now;
        counters_.delivered.fetch_add(1);
        queue_.Finish(job, Outcome::kDelivered);
        return;
      case Verdict::kUnregistered:
        counters_.unregistered.fetch_add(1);
        queue_.Finish(job, Outcome::kUnregistered);
        return;
      case Verdict::kBadDeviceToken:
        counters_.bad_token.fetch_add(1);
        queue_.Finish(job, Outcome::kBadDeviceToken);
        return;
      case Verdict::kTooManyRequests:
        counters_.too_many_requests.fetch_add(1);
        RetryLater(job, throttle_.Delay(job->result->attempts));
        return;
      case Verdict::kRetry:
        RetryLater(job, retry_.Delay(job->result->attempts));
        return;
      case Verdict::kExpiredProviderToken:
        if (options_.token) options_.token->Expired(transfer.headers->token);
        RetryLater(job, milliseconds(0));
        reset_pending_ = true;
        return;
      case Verdict::kTooManyProviderTokenUpdates:
        RetryLater(job, milliseconds(0));
        rest_until_ = now + options_.token_update_rest;
        reset_pending_ = true;
        return;
      case Verdict::kConfiguration: {
        // Said before Finish: the last job's end lets Send() return and free the pushes.
        std::string why = std::to_string(answer.status) + " " +
                          (answer.reason.empty() ? "(no reason)" : answer.reason) +
                          " for topic " + job->push->topic;
        on_configuration_error_(std::move(why));
        queue_.Finish(job, Outcome::kNotSent);
        return;
      }
    }
  }

  void Unanswered(Transfer& transfer, CURLcode code) {
    counters_.transport_errors.fetch_add(1);
    Job* job = transfer.job;
    job->result->last_answer = Answer{};
    if (code == CURLE_HTTP2_STREAM && warm_) {
      // A refused or reset stream on a working connection: the server allows fewer streams
      // than were open. Carry no more than what is still open.
      stream_limit_ = std::max<int>(1, static_cast<int>(active_.size()));
      RetryLater(job, milliseconds(0), /*counts=*/false);
      return;
    }
    // The connection failed (refused, reset, GOAWAY, TLS, timeout): reconnect after a pause,
    // one stream first.
    warm_ = false;
    ++failures_in_row_;
    rest_until_ = std::max(rest_until_, Clock::now() + reconnect_.Delay(failures_in_row_));
    RetryLater(job, milliseconds(0));
  }

  // Sends `job` again after `delay`, or ends it as kFailed when it has had its attempts.
  // A push that never reached a server (`counts` false) is not charged an attempt.
  void RetryLater(Job* job, milliseconds delay, bool counts = true) {
    if (!counts) --job->result->attempts;
    if (job->result->attempts >= options_.max_attempts) {
      counters_.failed.fetch_add(1);
      queue_.Finish(job, Outcome::kFailed);
      return;
    }
    counters_.retried.fetch_add(1);
    job->not_before = Clock::now() + delay;
    queue_.Requeue(job);
  }

  // Closes the connection (all transfers are done): a new multi handle opens a new one.
  void Reset() {
    reset_pending_ = false;
    spare_.clear();
    if (auto ok = NewMulti(); !ok) {
      on_configuration_error_(ok.error().message);
    }
  }

  void AbortAll(Outcome outcome) {
    for (auto& transfer : active_) {
      curl_multi_remove_handle(multi_.get(), transfer->easy.get());
      counters_.in_flight.fetch_sub(1);
      queue_.Finish(transfer->job, outcome);
    }
    active_.clear();
  }

  // A connection idle this long may have been closed by the server without our noticing: it
  // carries one push first, like a fresh one.
  static constexpr auto kIdleAfter = std::chrono::minutes(5);

  // Constant after construction.
  const ClientOptions& options_;
  JobQueue& queue_;
  Counters& counters_;
  const std::function<void(std::string)> on_configuration_error_;

  // Replaced only by the worker thread (which reads it without the lock); Wake() from other
  // threads reads it under the lock.
  Mutex wake_mutex_;
  UniqueMulti multi_;

  // The worker thread's alone (after Start()).
  std::vector<std::unique_ptr<Transfer>> active_;
  std::vector<std::unique_ptr<Transfer>> spare_;
  std::shared_ptr<const HeaderSet> headers_;
  Backoff retry_, throttle_, reconnect_;
  bool warm_ = false;
  bool reset_pending_ = false;
  int stream_limit_;
  int failures_in_row_ = 0;
  Clock::time_point last_answer_{};
  Clock::time_point rest_until_{};

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(Own(std::move(options))) {}
  ~Impl() {
    queue_.Stop();
    for (auto& connection : connections_) connection->StopAndJoin();
  }

  Result<void> Open() {
    for (int i = 0; i < options_.connections; ++i) {
      auto connection = std::make_unique<Connection>(
          options_, queue_, counters_, [this](std::string why) { StopFor(std::move(why)); });
      if (auto ok = connection->Open(); !ok) return ok.error();
      connections_.push_back(std::move(connection));
    }
    queue_.SetWake([this] {
      for (auto& connection : connections_) connection->Wake();
    });
    for (auto& connection : connections_) connection->Start();
    return {};
  }

  std::vector<PushResult> Send(std::span<const Push> pushes) {
    std::vector<PushResult> results(pushes.size());
    if (pushes.empty()) return results;
    if (queue_.stopped()) {
      counters_.not_sent.fetch_add(pushes.size());
      return results;
    }
    std::vector<Job> jobs(pushes.size());
    for (std::size_t i = 0; i < pushes.size(); ++i) {
      jobs[i].push = &pushes[i];
      jobs[i].result = &results[i];
    }
    queue_.Start(jobs);
    queue_.WaitUntilDone();
    counters_.not_sent.fetch_add(static_cast<std::uint64_t>(std::count_if(
        results.begin(), results.end(),
        [](const PushResult& r) { return r.outcome == Outcome::kNotSent; })));
    return results;
  }

  void Stop() { queue_.Stop(); }

  ClientStats stats() const {
    ClientStats s;
    s.sent = counters_.sent.load();
    s.delivered = counters_.delivered.load();
    s.unregistered = counters_.unregistered.load();
    s.bad_token = counters_.bad_token.load();
    s.failed = counters_.failed.load();
    s.not_sent = counters_.not_sent.load();
    s.retried = counters_.retried.load();
    s.too_many_requests = counters_.too_many_requests.load();
    s.transport_errors = counters_.transport_errors.load();
    s.connections_opened = counters_.connections_opened.load();
    s.in_flight = counters_.in_flight.load();
    s.queued = queue_.waiting();
    return s;
  }

  std::optional<std::string> configuration_error() const PL_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return configuration_error_;
  }

 private:
  void StopFor(std::string why) PL_EXCLUDES(mutex_) {
    {
      MutexLock lock(mutex_);
      if (!configuration_error_) configuration_error_ = std::move(why);
    }
    queue_.Stop();
  }

  // The client's own references to the certificate and key (options_ points at them).
  static ClientOptions Own(ClientOptions options) {
    if (options.certificate) X509_up_ref(options.certificate);
    if (options.certificate_key) EVP_PKEY_up_ref(options.certificate_key);
    return options;
  }
  struct CertificateRefs {
    const ClientOptions& o;
    ~CertificateRefs() {
      X509_free(o.certificate);
      EVP_PKEY_free(o.certificate_key);
    }
  };

  // Constant after construction.
  const ClientOptions options_;
  const CertificateRefs certificate_refs_{options_};

  JobQueue queue_;
  Counters counters_;
  std::vector<std::unique_ptr<Connection>> connections_;  // fixed after Open()

  mutable Mutex mutex_;
  std::optional<std::string> configuration_error_ PL_GUARDED_BY(mutex_);
};

namespace {

Result<void> CheckOptions(const ClientOptions& o) {
  auto invalid = [](std::string what) { return MakeError(ErrorCode::kInvalidArgument, what); };
  if (!o.url.starts_with("https://") || o.url.size() <= 8 || o.url.ends_with("/")) {
    return invalid("apns url must be https://host[:port] without a path, not \"" + o.url + "\"");
  }
  if (o.auth == AuthMode::kToken && o.token == nullptr) {
    return invalid("token auth needs a provider token (apns.key_file, key_id, team_id)");
  }
  if (o.auth == AuthMode::kCertificate && (o.certificate == nullptr || o.certificate_key == nullptr)) {
    return invalid("certificate auth needs a certificate and its key");
  }
  if (o.connections < 1 || o.connections > 64) return invalid("apns connections must be 1..64");
  if (o.max_streams < 1 || o.max_streams > 10000) return invalid("apns max_streams must be 1..10000");
  if (o.priority != 5 && o.priority != 10 && o.priority != 1) {
    return invalid("apns priority must be 1, 5 or 10");
  }
  if (o.push_type.empty() || o.push_type.find_first_of("\r\n:") != std::string::npos) {
    return invalid("apns push_type must be a single word such as background");
  }
  if (o.timeout.count() < 1 || o.max_attempts < 1) {
    return invalid("apns timeout and attempts must be positive");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (auto ok = CheckOptions(options); !ok) return ok.error();
  CurlGlobalInit();
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto ok = impl->Open(); !ok) return ok.error();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

std::vector<PushResult> Client::Send(std::span<const Push> pushes) { return impl_->Send(pushes); }
void Client::Stop() { impl_->Stop(); }
ClientStats Client::stats() const { return impl_->stats(); }
std::optional<std::string> Client::configuration_error() const {
  return impl_->configuration_error();
}

}  // namespace passledger::apns

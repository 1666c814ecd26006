// Client: sends pushes to APNs over HTTP/2 with libcurl, many streams multiplexed on a few
// long-lived TLS connections (docs/PUSH.md).
//
// Each connection is one worker thread with its own libcurl multi handle (one connection per
// handle, CURLPIPE_MULTIPLEX, CURLOPT_PIPEWAIT), so that the client decides what each
// connection carries:
//   - a fresh connection carries one push until APNs has answered it (APNs allows a single
//     stream until it has seen a valid provider token), then up to its stream limit;
//   - the stream limit starts at `max_streams` and follows the server: a refused stream lowers
//     it to what was in flight, answers raise it again one by one (the server's SETTINGS can
//     change at any time and libcurl does not say what they are);
//   - a transport failure, GOAWAY or REFUSED_STREAM re-queues the affected pushes for any
//     connection and makes this one reconnect (host resolved again) after an exponential
//     backoff with jitter;
//   - 403 ExpiredProviderToken signs a new token and closes the connection; 429
//     TooManyProviderTokenUpdates rests the connection for `token_update_rest`.
// Pushes wait in one shared queue; each has its own not-before time (retry backoff, and a
// token that got 429 TooManyRequests waits longer), so one slow token holds up nobody else.
//
// Send() blocks until every push of the batch has a final outcome. A configuration answer
// (Verdict::kConfiguration) stops the client for good: the pushes not yet answered end as
// kNotSent, later Send() calls send nothing, and configuration_error() says why.
//
// Thread-safety: Send() is called by one thread at a time (the dispatcher, or a benchmark);
// stats() and configuration_error() from any thread. The destructor stops the workers; the
// client must outlive no borrowed object (it borrows none but the ProviderToken, which must
// outlive it).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "apns/answer.h"
#include "apns/provider_token.h"
#include "base/error.h"

namespace passledger::apns {

enum class AuthMode { kToken, kCertificate };

struct ClientOptions {
  std::string url = "https://api.push.apple.com";  // scheme, host and port; no path
  std::string ca_file;  // PEM CA bundle to trust instead of the system's; empty = system
  AuthMode auth = AuthMode::kToken;
  ProviderToken* token = nullptr;  // kToken: borrowed, must outlive the client
  // kCertificate: the TLS client certificate and its key (the client takes a reference).
  X509* certificate = nullptr;
  EVP_PKEY* certificate_key = nullptr;
  std::string push_type = "background";  // apns-push-type
  int priority = 5;                      // apns-priority
  std::chrono::seconds expiration{86400};  // apns-expiration = now + this; 0 = "0" (once)
  int connections = 2;
  // Per connection, before the server says less. 50: libcurl 7.88 (Debian 12) leaves some
  // multiplexed uploads stalled until their timeout at 100 streams and more (measured with
  // tools/bench/push.sh; docs/PUSH.md); at 50 none stalled and one connection carried 20,000/s.
  int max_streams = 50;
  std::chrono::milliseconds timeout{10000};  // per request, from its start to its answer
  int max_attempts = 10;  // per push, for kRetry/kTooManyRequests/transport failures
  std::chrono::milliseconds retry_base{200}, retry_cap{30000};
  std::chrono::milliseconds too_many_requests_base{2000};
  std::chrono::milliseconds reconnect_base{100}, reconnect_cap{30000};
  std::chrono::milliseconds token_update_rest{20 * 60 * 1000};
};

struct Push {
  std::string device_token;  // hex, as the device registered it
  std::string topic;         // apns-topic: the pass type id
};

enum class Outcome {
  kDelivered,       // 200
  kUnregistered,    // 410 (see timestamp_ms)
  kBadDeviceToken,  // 400 BadDeviceToken
  kFailed,          // retried max_attempts times without an answer that ends it
  kNotSent,         // the client stopped (a configuration error, or shutdown) before it went
};

struct PushResult {
  Outcome outcome = Outcome::kNotSent;
  Answer last_answer;  // the last answer APNs gave (status 0: none)
  int attempts = 0;
  // When the push was handed to Send() and when APNs accepted it (kDelivered).
  std::chrono::steady_clock::time_point accepted_at{};
};

std::string_view OutcomeName(Outcome outcome);

// Cumulative counters, for /metrics.
struct ClientStats {
  std::uint64_t sent = 0;  // requests started (retries included)
  std::uint64_t delivered = 0, unregistered = 0, bad_token = 0, failed = 0, not_sent = 0;
  std::uint64_t retried = 0;             // requests that will be sent again
  std::uint64_t too_many_requests = 0;   // 429 TooManyRequests answers
  std::uint64_t transport_errors = 0;    // no HTTP answer (connection, GOAWAY, refused, timeout)
  std::uint64_t connections_opened = 0;  // new TLS connections
  std::uint64_t in_flight = 0;           // requests on the wire now
  std::uint64_t queued = 0;              // pushes waiting for a stream now
};

class Client {
 public:
  // kInvalidArgument for options that cannot work (no token for kToken, no certificate for
  // kCertificate, a URL that is not https, bounds).
  static Result<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends every push; results[i] is pushes[i]'s.
  std::vector<PushResult> Send(std::span<const Push> pushes);

  // Any thread: ends the pushes still waiting as kNotSent (those on the wire finish within
  // `timeout`), for shutdown. Later Send() calls send nothing.
  void Stop();

  ClientStats stats() const;
  // Set once a configuration answer stopped the client: "403 BadCertificateEnvironment for
  // topic pass.org.example.member".
  std::optional<std::string> configuration_error() const;

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passledger::apns

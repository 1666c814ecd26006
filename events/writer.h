// Writer (internal to events/): the single thread that owns every append.
//
// Callers Submit() prepared requests from any thread; the writer thread takes every waiting
// submission as one group, stages each submission against the state left by the ones before
// it (a failing submission leaves no trace), lets the inline projections add to the batch,
// writes the batch with sync=true, then publishes the new head and completes the callbacks.
// Requests that arrive during the fsync form the next group.
//
// A failed write puts the writer in fail-stop: every queued and later submission fails with
// the original error.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.h"
#include "events/head_state.h"
#include "events/key_ring.h"
#include "events/store.h"

namespace passledger::events {

// An event validated and serialised on the caller's thread.
struct PreparedEvent {
  std::string type;
  std::uint32_t schema_version = 1;
  std::string payload;  // JSON object text
  std::string subject;
  std::optional<std::string> personal;  // JSON object text, to be sealed
};

struct PreparedRequest {
  std::string stream;
  ExpectedVersion expected;
  std::vector<PreparedEvent> events;
  std::string actor;
  std::string correlation_id;
  std::uint64_t causation = 0;
  std::string idempotency_key;
  std::string forget_subject;  // non-empty: destroy this subject's key in the same batch
  std::size_t bytes = 0;       // approximate size, for group limits
};

class Writer {
 public:
  Writer(Store* store, KeyRing* keys, HeadState* head, std::int64_t last_recorded_us,
         std::vector<InlineProjection*> projections);
  // Completes every queued submission, then joins the thread.
  ~Writer();

  void Submit(std::vector<PreparedRequest> requests, AppendCallback done);
  std::optional<Error> FailStopError() const;
  void AddCommitListener(std::function<void(std::uint64_t)> listener);

 private:
  struct Submission {
    std::vector<PreparedRequest> requests;
    AppendCallback done;
    std::size_t bytes = 0;
  };

  void Run(std::stop_token stop);
  std::vector<Submission> TakeGroup(std::stop_token stop);
  void CommitGroup(std::vector<Submission>& group);
  void FailAll(std::vector<Submission>& group, const Error& error);

  // Constant after construction.
  Store* const store_;
  KeyRing* const keys_;
  HeadState* const head_;
  const std::vector<InlineProjection*> projections_;
  std::vector<std::function<void(std::uint64_t)>> listeners_;  // set before appends start

  // Writer-thread state.
  std::int64_t last_recorded_us_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Submission> queue_;    // Guarded by mutex_.
  std::optional<Error> fail_stop_;  // Guarded by mutex_.

  std::jthread thread_;  // Last: starts after everything above is constructed.
};

}  // namespace passledger::events

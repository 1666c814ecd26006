// Writer (internal to events/): the single writer that owns every append, as a two-stage
// pipeline so that preparing one group overlaps the synced write of the one before.
//
// Callers Submit() prepared requests from any thread. The stager thread takes every waiting
// submission as one group and stages each submission against the state left by the ones
// before it, including groups staged but not yet durable (a failing submission leaves no
// trace): idempotency keys, expected versions, positions, sealing, hashes, all into one
// WriteBatch; then the inline projections add their view updates to that batch, reading
// what earlier groups wrote through the same overlays. The committer thread writes the batch
// with sync=true, publishes the new head and completes the callbacks. Requests that arrive
// meanwhile form the next group.
// When nothing else is waiting, the stager commits the group itself (no hand-off latency for
// a lone request); the pipeline only engages when there is a next group to overlap with.
// Positions, versions and the hash chain are decided by the stager alone, so commit order is
// staging order and position order.
//
// A failed write, or a failing inline projection, puts the writer in fail-stop: every staged,
// queued and later submission fails with the original error until restart.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
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
  // The objects the texts were serialised from, handed to the inline projections so that they
  // need not parse the texts again (personal_object: null when there is no personal part).
  std::shared_ptr<boost::json::object> payload_object;
  std::shared_ptr<boost::json::object> personal_object;
};

struct PreparedRequest {
  std::string stream;
  ExpectedVersion expected;
  std::vector<PreparedEvent> events;
  std::string actor;
  std::string correlation_id;
  std::uint64_t causation = 0;
  std::string idempotency_key;
  // With an idempotency key: SHA-256 of what the request asks for (RequestFingerprint), so
  // that a key reused for a different request is a conflict, not a silent replay.
  Hash fingerprint{};
  std::string forget_subject;  // non-empty: destroy this subject's key in the same batch
  std::size_t bytes = 0;       // approximate size, for group limits
};

struct Overlay;      // what staged but not yet durable groups change (writer.cpp)
struct StagedGroup;  // a group between the stager and the committer (writer.cpp)

class Writer {
 public:
  Writer(Store* store, KeyRing* keys, HeadState* head, Head durable_head,
         std::int64_t last_recorded_us, std::vector<InlineProjection*> projections,
         Clock clock = SystemClockMicros);
  // Completes every queued submission, then joins both threads.
  ~Writer();

  void Submit(std::vector<PreparedRequest> requests, AppendCallback done);
  std::optional<Error> FailStopError() const;
  void AddCommitListener(std::function<void(std::uint64_t)> listener);
  // Waits until every staged group is durable (or failed) and holds back staging, hence
  // every later commit, while the returned lock lives. Submissions still queue up.
  std::unique_lock<std::shared_mutex> PauseCommits();

 private:
  struct Submission {
    std::vector<PreparedRequest> requests;
    AppendCallback done;
    std::size_t bytes = 0;
  };

  // Stager thread: takes waiting submissions as a group, stages them into a WriteBatch on
  // top of the groups still being committed, hands the batch to the committer.
  void StageLoop(std::stop_token stop);
  std::vector<Submission> TakeGroup(std::stop_token stop);
  std::unique_ptr<StagedGroup> Stage(std::vector<Submission> group);
  // Lets the inline projections fold the group's events into its batch.
  Result<void> ApplyProjections(Overlay& group, rocksdb::WriteBatch& batch);
  void HandOver(std::unique_ptr<StagedGroup> staged);
  // True when no group is being committed or waits for the committer, and no submission
  // waits: the stager then commits the group itself.
  bool PipelineIdle();

  // Committer thread: applies the inline projections, writes with sync=true, publishes the
  // head, completes the callbacks. Groups are committed in the order they were staged.
  void CommitLoop(std::stop_token stop);
  void Commit(StagedGroup& staged);
  void EnterFailStop(const Error& error);

  // Constant after construction.
  Store* const store_;
  KeyRing* const keys_;
  HeadState* const head_;
  const std::vector<InlineProjection*> projections_;
  std::vector<std::function<void(std::uint64_t)>> listeners_;  // set before appends start

  // Stager-thread state.
  Head staged_head_;
  std::int64_t last_recorded_us_;
  const Clock clock_;  // constant after construction
  std::uint64_t next_sequence_ = 1;
  // Overlays of staged groups, oldest first; dropped once committed (committed_sequence_).
  std::deque<std::shared_ptr<const Overlay>> in_flight_;
  // The first inline projection failure: this group and every later one fail.
  std::optional<Error> projection_failure_;

  mutable Mutex mutex_;
  std::condition_variable_any wake_;  // a submission arrived
  std::deque<Submission> queue_ PL_GUARDED_BY(mutex_);
  std::optional<Error> fail_stop_ PL_GUARDED_BY(mutex_);

  Mutex handover_mutex_;
  std::condition_variable_any handover_;
  std::deque<std::unique_ptr<StagedGroup>> staged_ PL_GUARDED_BY(handover_mutex_);  // depth <= 1
  bool committing_ PL_GUARDED_BY(handover_mutex_) = false;
  std::atomic<std::uint64_t> committed_sequence_{0};
  // The stager holds it shared while it stages (and maybe commits) a group; PauseCommits()
  // exclusively.
  std::shared_mutex commit_gate_;

  // Last: they start after everything above is constructed. The committer is declared first
  // so that it is destroyed (joined) after the stager.
  std::jthread committer_;
  std::jthread stager_;
};

}  // namespace passledger::events

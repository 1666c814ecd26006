#include "events/writer.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "base/bytes.h"
#include "events/inline_projection.h"
#include "events/storage_format.h"

namespace passledger::events {

// What the writer knows about a subject's data key.
struct SubjectKey {
  bool forgotten = false;
  Key key{};
  std::string wrapped;  // set when this group created the key and must store it
};

// A staged event as the inline projections see it.
struct StagedEvent {
  Envelope envelope;
  std::shared_ptr<boost::json::object> payload;
  std::shared_ptr<boost::json::object> personal;  // null when none
};

// What an idempotency key stands for: the result of its first request and a fingerprint of
// that request (PreparedRequest::fingerprint), unset for keys stored before fingerprints.
struct DedupEntry {
  AppendResult result;
  std::optional<Hash> fingerprint;
};

// What one submission (or, once merged, one group) changes on top of the database.
struct Overlay {
  std::unordered_map<std::string, std::uint64_t> stream_versions;
  std::unordered_map<std::string, DedupEntry> dedup;
  std::unordered_map<std::string, SubjectKey> subjects;
  // streams CF entries (key, value), written sorted by Finish().
  std::vector<std::pair<std::string, std::string>> stream_runs;
  // Kept only when inline projections need them, until they have been applied.
  std::vector<StagedEvent> events;
  // What the inline projections wrote in this group: column family id (4 bytes) + key ->
  // value (nullopt = deleted). Read by the projections of later groups until this one is
  // durable.
  std::unordered_map<std::string, std::optional<std::string>> view_writes;
  Head head;
  std::int64_t recorded_at_us = 0;
  std::uint64_t sequence = 0;  // staging order of the group

  Overlay() = default;
  Overlay(const Overlay&) = delete;
  Overlay& operator=(const Overlay&) = delete;
  ~Overlay() {
    for (auto& [subject, state] : subjects) OPENSSL_cleanse(state.key.data(), state.key.size());
  }

  void MergeFrom(Overlay&& stage) {
    for (auto& [k, v] : stage.stream_versions) stream_versions[k] = v;
    for (auto& [k, v] : stage.dedup) dedup[k] = v;
    for (auto& [k, v] : stage.subjects) subjects[k] = v;
    std::move(stage.stream_runs.begin(), stage.stream_runs.end(), std::back_inserter(stream_runs));
    std::move(stage.events.begin(), stage.events.end(), std::back_inserter(events));
    head = stage.head;
    recorded_at_us = stage.recorded_at_us;
  }
};

struct StagedGroup {
  std::vector<AppendCallback> callbacks;
  std::vector<Result<std::vector<AppendResult>>> outcomes;
  std::shared_ptr<const Overlay> overlay;
  rocksdb::WriteBatch batch;
  // Set when an inline projection failed on this group or an earlier one: committing it
  // puts the writer in fail-stop instead of writing.
  std::optional<Error> failure;
};

namespace {

// A group stops growing at this many bytes so one fsync never carries an unbounded batch.
constexpr std::size_t kMaxGroupBytes = 32u << 20;

using InFlight = std::deque<std::shared_ptr<const Overlay>>;

std::string RandomCorrelationId() {
  std::array<std::uint8_t, 16> bytes{};
  RandomBytes(bytes);
  return ToHex(bytes);
}

// streams CF: one entry per run of consecutive events a request appends to a stream.
std::string StreamRunKey(std::string_view stream, std::uint64_t first_version) {
  std::string key(stream);
  key.push_back(format::kStreamSeparator);
  PutU64BE(&key, first_version);
  return key;
}

std::string StreamRunValue(std::uint64_t first_position, std::uint32_t count) {
  std::string v = U64BE(first_position);
  PutU32BE(&v, count);
  return v;
}

// u64be first position, u64be last position, u64be stream version, then the request's
// 32-byte fingerprint (absent in entries written before fingerprints: 24 bytes).
std::string DedupValue(const DedupEntry& entry) {
  std::string v;
  PutU64BE(&v, entry.result.first_position);
  PutU64BE(&v, entry.result.last_position);
  PutU64BE(&v, entry.result.stream_version);
  if (entry.fingerprint) {
    v.append(reinterpret_cast<const char*>(entry.fingerprint->data()), entry.fingerprint->size());
  }
  return v;
}

std::optional<DedupEntry> ParseDedupValue(std::string_view v) {
  if (v.size() != 24 && v.size() != 24 + sizeof(Hash)) return std::nullopt;
  DedupEntry entry{
      AppendResult{LoadU64BE(v.data()), LoadU64BE(v.data() + 8), LoadU64BE(v.data() + 16), true},
      std::nullopt};
  if (v.size() > 24) {
    Hash fingerprint{};
    std::copy(v.begin() + 24, v.end(), reinterpret_cast<char*>(fingerprint.data()));
    entry.fingerprint = fingerprint;
  }
  return entry;
}

std::string HeadValue(const Head& head) {
  std::string v = U64BE(head.position);
  v.append(reinterpret_cast<const char*>(head.hash.data()), head.hash.size());
  return v;
}

// The entries of `map` in ascending key order.
template <class Map>
std::vector<const typename Map::value_type*> Sorted(const Map& map) {
  std::vector<const typename Map::value_type*> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  return entries;
}

// Looks `key` up in `member` of the stage, the group, then the in-flight groups (newest
// first). Returns nullptr when none of them has it: the database decides.
template <class Map>
const typename Map::mapped_type* FindInOverlays(const std::string& key, Map Overlay::*member,
                                                const Overlay& stage, const Overlay& group,
                                                const InFlight& in_flight) {
  if (auto it = (stage.*member).find(key); it != (stage.*member).end()) return &it->second;
  if (auto it = (group.*member).find(key); it != (group.*member).end()) return &it->second;
  for (auto o = in_flight.rbegin(); o != in_flight.rend(); ++o) {
    const Map& map = (**o).*member;
    if (auto it = map.find(key); it != map.end()) return &it->second;
  }
  return nullptr;
}

// Builds one group: lookups go stage -> group -> in-flight groups -> database; records go
// straight into the batch, under a save point per submission.
class GroupBuilder {
 public:
  GroupBuilder(Store* store, KeyRing* keys, const InFlight& in_flight, Overlay* group,
               rocksdb::WriteBatch* batch, bool keep_envelopes, const Clock& clock)
      : clock_(clock),
        store_(store),
        keys_(keys),
        in_flight_(in_flight),
        group_(group),
        batch_(batch),
        keep_envelopes_(keep_envelopes) {}

  // Stages every request of one submission; keeps them only if all succeed.
  Result<std::vector<AppendResult>> Add(const std::vector<PreparedRequest>& requests) {
    Overlay stage;
    stage.head = group_->head;
    stage.recorded_at_us = group_->recorded_at_us;
    std::vector<AppendResult> results;
    results.reserve(requests.size());
    batch_->SetSavePoint();
    for (const auto& request : requests) {
      auto result = StageRequest(request, stage);
      if (!result) {
        batch_->RollbackToSavePoint();
        return result.error();
      }
      results.push_back(*result);
    }
    batch_->PopSavePoint();
    group_->MergeFrom(std::move(stage));
    return results;
  }

  // Adds the group's index updates and the head record to the batch, each column family's
  // keys in ascending order (the memtable inserts them with hints, store.cpp).
  void Finish() const {
    std::sort(group_->stream_runs.begin(), group_->stream_runs.end());
    for (const auto& [key, value] : group_->stream_runs) batch_->Put(store_->streams, key, value);
    for (const auto* entry : Sorted(group_->stream_versions)) {
      batch_->Put(store_->stream_heads, entry->first, U64BE(entry->second));
    }
    for (const auto* entry : Sorted(group_->dedup)) {
      batch_->Put(store_->dedup, entry->first, DedupValue(entry->second));
    }
    for (const auto* entry : Sorted(group_->subjects)) {
      const SubjectKey& state = entry->second;
      if (state.forgotten) {
        batch_->Put(store_->subject_keys, entry->first, format::kForgottenMarker);
      } else if (!state.wrapped.empty()) {
        batch_->Put(store_->subject_keys, entry->first, state.wrapped);
      }
    }
    if (batch_->Count() > 0) batch_->Put(store_->meta, "head", HeadValue(group_->head));
  }

 private:
  Result<AppendResult> StageRequest(const PreparedRequest& request, Overlay& stage) {
    if (!request.idempotency_key.empty()) {
      auto seen = LookupDedup(request.idempotency_key, stage);
      if (!seen) return seen.error();
      if (*seen) {
        if ((*seen)->fingerprint && *(*seen)->fingerprint != request.fingerprint) {
          return MakeError(ErrorCode::kConflict,
                           "idempotency key \"" + request.idempotency_key +
                               "\" was used before with a different request (at position " +
                               std::to_string((*seen)->result.first_position) +
                               "); use a new key for a new request");
        }
        AppendResult dup = (*seen)->result;
        dup.duplicate = true;
        return dup;
      }
    }
    auto current = LookupVersion(request.stream, stage);
    if (!current) return current.error();
    if (auto ok = CheckExpected(request, *current); !ok) return ok.error();
    if (!request.forget_subject.empty()) {
      if (auto ok = StageForget(request.forget_subject, stage); !ok) return ok.error();
    }
    const std::string correlation =
        request.correlation_id.empty() ? RandomCorrelationId() : request.correlation_id;
    AppendResult result;
    result.first_position = stage.head.position + 1;
    std::uint64_t version = *current;
    for (const auto& event : request.events) {
      if (auto ok = StageEvent(request, event, correlation, ++version, stage); !ok) {
        return ok.error();
      }
    }
    result.last_position = stage.head.position;
    result.stream_version = version;
    stage.stream_runs.emplace_back(
        StreamRunKey(request.stream, *current + 1),
        StreamRunValue(result.first_position, static_cast<std::uint32_t>(request.events.size())));
    stage.stream_versions[request.stream] = version;
    if (!request.idempotency_key.empty()) {
      stage.dedup[request.idempotency_key] = DedupEntry{result, request.fingerprint};
    }
    return result;
  }

  Result<void> StageEvent(const PreparedRequest& request, const PreparedEvent& event,
                          const std::string& correlation, std::uint64_t version, Overlay& stage) {
    Envelope e;
    e.position = stage.head.position + 1;
    e.stream = request.stream;
    e.version = version;
    e.type = event.type;
    e.schema_version = event.schema_version;
    e.recorded_at_us = std::max(clock_(), stage.recorded_at_us);
    e.actor = request.actor;
    e.correlation_id = correlation;
    e.causation = request.causation;
    e.subject = event.subject;
    e.payload = event.payload;
    if (event.personal) {
      auto key = LookupSubjectKey(event.subject, stage, /*create=*/true);
      if (!key) return key.error();
      e.sealed = AesGcmSeal(**key, *event.personal, SealAad(e.stream, e.position, e.subject));
    }
    e.prev_hash = stage.head.hash;
    std::string record = EncodeCanonical(e);
    e.hash = ComputeHash(e.prev_hash, record);
    record.append(reinterpret_cast<const char*>(e.hash.data()), e.hash.size());
    batch_->Put(store_->log, U64BE(e.position), record);
    stage.head = Head{e.position, e.hash};
    stage.recorded_at_us = e.recorded_at_us;
    if (keep_envelopes_) {
      stage.events.push_back(
          StagedEvent{std::move(e), event.payload_object, event.personal_object});
    }
    return {};
  }

  Result<void> StageForget(const std::string& subject, Overlay& stage) {
    auto key = LookupSubjectKey(subject, stage, /*create=*/false);
    // kFailedPrecondition is how the lookup refuses a forgotten subject; forgetting it again
    // is kNotFound (event_log.h).
    if (!key && key.error().code == ErrorCode::kFailedPrecondition) {
      return MakeError(ErrorCode::kNotFound, "subject " + subject + " has already been forgotten");
    }
    if (!key) return key.error();
    stage.subjects[subject] = SubjectKey{true, {}, {}};
    return {};
  }

  static Result<void> CheckExpected(const PreparedRequest& request, std::uint64_t current) {
    const ExpectedVersion& want = request.expected;
    bool ok = true;
    std::string expected_text;
    switch (want.kind) {
      case ExpectedVersion::Kind::kAny:
        break;
      case ExpectedVersion::Kind::kNoStream:
        ok = current == 0;
        expected_text = "no stream";
        break;
      case ExpectedVersion::Kind::kExact:
        ok = current == want.version;
        expected_text = want.version == 0 ? "no stream" : "version " + std::to_string(want.version);
        break;
    }
    if (ok) return {};
    return MakeError(ErrorCode::kConflict, "stream " + request.stream + " is at version " +
                                               std::to_string(current) + ", expected " +
                                               expected_text);
  }

  Result<std::optional<DedupEntry>> LookupDedup(const std::string& key, const Overlay& stage) {
    if (const auto* found = FindInOverlays(key, &Overlay::dedup, stage, *group_, in_flight_)) {
      return std::optional<DedupEntry>(*found);
    }
    std::string value;
    auto status = store_->db()->Get(rocksdb::ReadOptions(), store_->dedup, key, &value);
    if (status.IsNotFound()) return std::optional<DedupEntry>();
    if (!status.ok()) return FromRocks(status, "Get dedup");
    auto parsed = ParseDedupValue(value);
    if (!parsed) return MakeError(ErrorCode::kCorruption, "dedup entry has a bad size");
    return parsed;
  }

  Result<std::uint64_t> LookupVersion(const std::string& stream, const Overlay& stage) {
    if (const auto* found =
            FindInOverlays(stream, &Overlay::stream_versions, stage, *group_, in_flight_)) {
      return *found;
    }
    std::string value;
    auto status = store_->db()->Get(rocksdb::ReadOptions(), store_->stream_heads, stream, &value);
    if (status.IsNotFound()) return std::uint64_t{0};
    if (!status.ok()) return FromRocks(status, "Get stream_heads");
    if (value.size() != 8) return MakeError(ErrorCode::kCorruption, "stream head has a bad size");
    return LoadU64BE(value.data());
  }

  // The subject's key: from the overlays, the key ring's cache or the database; created (and
  // staged for writing) when absent and `create` is set.
  Result<const Key*> LookupSubjectKey(const std::string& subject, Overlay& stage, bool create) {
    if (const auto* found =
            FindInOverlays(subject, &Overlay::subjects, stage, *group_, in_flight_)) {
      if (found->forgotten) return ForgottenError(subject);
      return &found->key;  // overlays outlive the staging of this group
    }
    SubjectKey state;
    if (auto cached = keys_->Cached(subject)) {
      state.key = *cached;
    } else {
      std::string value;
      auto status =
          store_->db()->Get(rocksdb::ReadOptions(), store_->subject_keys, subject, &value);
      if (status.IsNotFound()) {
        if (create) {
          state.key = RandomKey();
          state.wrapped = keys_->Wrap(subject, state.key);
        }
      } else if (!status.ok()) {
        return FromRocks(status, "Get subject_keys");
      } else if (value == format::kForgottenMarker) {
        return ForgottenError(subject);
      } else {
        auto key = keys_->Unwrap(subject, value);
        if (!key) return key.error();
        state.key = *key;
      }
    }
    auto& slot = stage.subjects[subject];
    slot = std::move(state);
    return &slot.key;
  }

  static Error ForgottenError(const std::string& subject) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        "subject " + subject + " has been forgotten; no personal data can be recorded for it");
  }

  const Clock& clock_;  // the Writer's, which outlives every builder
  Store* const store_;
  KeyRing* const keys_;
  const InFlight& in_flight_;
  Overlay* const group_;
  rocksdb::WriteBatch* const batch_;
  const bool keep_envelopes_;
};

std::string ViewWriteKey(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  std::string k;
  PutU32BE(&k, cf->GetID());
  k.append(key);
  return k;
}

// The inline projections' view of the database while one group is staged: their reads see
// the writes of the groups staged before (newest first), then the database; their writes go
// into the group's batch and its overlay.
class StagingContext final : public ProjectionContext {
 public:
  StagingContext(rocksdb::DB* db, const InFlight& in_flight, Overlay* group,
                 rocksdb::WriteBatch* batch)
      : db_(db), in_flight_(in_flight), group_(group), batch_(batch) {}

  Result<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                         std::string_view key) override {
    if (!in_flight_.empty()) {
      const std::string staged_key = ViewWriteKey(cf, key);
      for (auto o = in_flight_.rbegin(); o != in_flight_.rend(); ++o) {
        if (auto it = (*o)->view_writes.find(staged_key); it != (*o)->view_writes.end()) {
          return it->second;
        }
      }
    }
    std::string value;
    auto status = db_->Get(rocksdb::ReadOptions(), cf, key, &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return FromRocks(status, "Get (inline projection)");
    return std::optional<std::string>(std::move(value));
  }

  void Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value) override {
    batch_->Put(cf, key, value);
    group_->view_writes.insert_or_assign(ViewWriteKey(cf, key), std::string(value));
  }

  void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) override {
    batch_->Delete(cf, key);
    group_->view_writes.insert_or_assign(ViewWriteKey(cf, key), std::nullopt);
  }

 private:
  rocksdb::DB* const db_;
  const InFlight& in_flight_;
  Overlay* const group_;
  rocksdb::WriteBatch* const batch_;
};

}  // namespace

Writer::Writer(Store* store, KeyRing* keys, HeadState* head, Head durable_head,
               std::int64_t last_recorded_us, std::vector<InlineProjection*> projections,
               Clock clock)
    : store_(store),
      keys_(keys),
      head_(head),
      projections_(std::move(projections)),
      staged_head_(durable_head),
      last_recorded_us_(last_recorded_us),
      clock_(clock ? std::move(clock) : Clock(SystemClockMicros)),
      committer_([this](std::stop_token stop) { CommitLoop(stop); }),
      stager_([this](std::stop_token stop) { StageLoop(stop); }) {}

Writer::~Writer() {
  // The stager drains the queue into staged groups and exits; then the committer commits
  // what is left and exits.
  stager_.request_stop();
  wake_.notify_all();
  stager_.join();
  committer_.request_stop();
  handover_.notify_all();
  committer_.join();
}

void Writer::Submit(std::vector<PreparedRequest> requests, AppendCallback done) {
  std::size_t bytes = 0;
  for (const auto& r : requests) bytes += r.bytes;
  {
    MutexLock lock(mutex_);
    if (!fail_stop_) {
      queue_.push_back(Submission{std::move(requests), std::move(done), bytes});
      wake_.notify_one();
      return;
    }
  }
  done(*FailStopError());
}

std::optional<Error> Writer::FailStopError() const {
  MutexLock lock(mutex_);
  return fail_stop_;
}

void Writer::AddCommitListener(std::function<void(std::uint64_t)> listener) {
  listeners_.push_back(std::move(listener));
}

void Writer::StageLoop(std::stop_token stop) {
  for (;;) {
    std::vector<Submission> group = TakeGroup(stop);
    if (group.empty()) return;  // stop requested and nothing left to do
    if (auto failed = FailStopError()) {
      for (auto& s : group) s.done(*failed);
      continue;
    }
    // Shared: PauseCommits() takes it exclusively to hold back staging.
    std::shared_lock gate(commit_gate_);
    std::unique_ptr<StagedGroup> staged = Stage(std::move(group));
    if (PipelineIdle()) {
      // Nothing to overlap with: committing here saves a thread hand-off on the latency of a
      // lone request. Under load the committer takes over and staging overlaps the fsync.
      Commit(*staged);
      committed_sequence_.store(staged->overlay->sequence, std::memory_order_release);
    } else {
      HandOver(std::move(staged));
    }
  }
}

bool Writer::PipelineIdle() {
  {
    MutexLock lock(handover_mutex_);
    if (!staged_.empty() || committing_) return false;
  }
  MutexLock lock(mutex_);
  return queue_.empty();
}

std::vector<Writer::Submission> Writer::TakeGroup(std::stop_token stop) {
  {
    // Wait until the committer has taken the previous group: meanwhile new submissions
    // gather into this one.
    MutexLock lock(handover_mutex_);
    handover_.wait(lock, [&]() PL_REQUIRES(handover_mutex_) { return staged_.empty(); });
  }
  MutexLock lock(mutex_);
  wake_.wait(lock, stop, [&]() PL_REQUIRES(mutex_) { return !queue_.empty(); });
  std::vector<Submission> group;
  std::size_t bytes = 0;
  while (!queue_.empty() && (group.empty() || bytes + queue_.front().bytes <= kMaxGroupBytes)) {
    bytes += queue_.front().bytes;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

std::unique_ptr<StagedGroup> Writer::Stage(std::vector<Submission> group) {
  const std::uint64_t committed = committed_sequence_.load(std::memory_order_acquire);
  while (!in_flight_.empty() && in_flight_.front()->sequence <= committed) in_flight_.pop_front();

  auto staged = std::make_unique<StagedGroup>();
  auto overlay = std::make_shared<Overlay>();
  overlay->head = staged_head_;
  overlay->recorded_at_us = last_recorded_us_;
  overlay->sequence = next_sequence_++;
  GroupBuilder builder(store_, keys_, in_flight_, overlay.get(), &staged->batch,
                       !projections_.empty(), clock_);
  staged->outcomes.reserve(group.size());
  staged->callbacks.reserve(group.size());
  for (auto& submission : group) {
    staged->outcomes.push_back(builder.Add(submission.requests));
    staged->callbacks.push_back(std::move(submission.done));
  }
  builder.Finish();
  staged->failure = projection_failure_;
  if (!staged->failure) {
    if (auto ok = ApplyProjections(*overlay, staged->batch); !ok) {
      projection_failure_ =
          MakeError(ErrorCode::kUnavailable,
                    "event log stopped: an inline projection failed (restart to recover): " +
                        ok.error().message);
      staged->failure = projection_failure_;
    }
  }
  if (staged->failure) staged->batch.Clear();  // later groups would build on a broken state
  staged_head_ = overlay->head;
  last_recorded_us_ = overlay->recorded_at_us;
  in_flight_.push_back(overlay);
  staged->overlay = std::move(overlay);
  return staged;
}

Result<void> Writer::ApplyProjections(Overlay& group, rocksdb::WriteBatch& batch) {
  if (group.events.empty()) return {};
  std::vector<PendingEvent> pending;
  pending.reserve(group.events.size());
  for (auto& e : group.events) {
    pending.push_back(PendingEvent{&e.envelope, e.payload.get(), e.personal.get()});
  }
  StagingContext context(store_->db(), in_flight_, &group, &batch);
  for (auto* projection : projections_) {
    if (auto ok = projection->Apply(pending, context); !ok) return ok;
  }
  group.events.clear();  // only the projections needed them
  return {};
}

void Writer::HandOver(std::unique_ptr<StagedGroup> staged) {
  {
    MutexLock lock(handover_mutex_);
    staged_.push_back(std::move(staged));
  }
  handover_.notify_all();
}

void Writer::CommitLoop(std::stop_token stop) {
  for (;;) {
    std::unique_ptr<StagedGroup> staged;
    {
      MutexLock lock(handover_mutex_);
      handover_.wait(lock, stop, [&]() PL_REQUIRES(handover_mutex_) { return !staged_.empty(); });
      if (staged_.empty()) return;  // stop requested after the stager finished
      staged = std::move(staged_.front());
      staged_.pop_front();
      committing_ = true;
    }
    handover_.notify_all();  // the stager may take the next group
    Commit(*staged);
    committed_sequence_.store(staged->overlay->sequence, std::memory_order_release);
    {
      MutexLock lock(handover_mutex_);
      committing_ = false;
    }
    handover_.notify_all();  // PauseCommits() may be waiting for the pipeline to drain
  }
}

void Writer::EnterFailStop(const Error& error) {
  MutexLock lock(mutex_);
  if (!fail_stop_) fail_stop_ = error;
}

std::unique_lock<std::shared_mutex> Writer::PauseCommits() {
  std::unique_lock gate(commit_gate_);  // nothing is being staged, nothing new will be
  MutexLock lock(handover_mutex_);
  handover_.wait(lock,
                 [&]() PL_REQUIRES(handover_mutex_) { return staged_.empty() && !committing_; });
  return gate;
}

void Writer::Commit(StagedGroup& staged) {
  auto fail_all = [&](const Error& error) {
    for (auto& done : staged.callbacks) done(error);
  };
  // Later groups were staged on top of a failed one: nothing after it may be written.
  if (staged.failure) EnterFailStop(*staged.failure);
  if (auto failed = FailStopError()) return fail_all(*failed);
  const Overlay& overlay = *staged.overlay;
  if (staged.batch.Count() > 0) {
    rocksdb::WriteOptions options;
    options.sync = true;
    if (auto status = store_->db()->Write(options, &staged.batch); !status.ok()) {
      EnterFailStop(MakeError(ErrorCode::kUnavailable,
                              "event log stopped after a failed write (restart to recover): " +
                                  FromRocks(status, "Write").message));
      return fail_all(*FailStopError());
    }
  }
  for (const auto& [subject, state] : overlay.subjects) {
    if (state.forgotten) {
      keys_->Forget(subject);
    } else {
      keys_->Remember(subject, state.key);
    }
  }
  const bool advanced = overlay.head.position != head_->Get().position;
  if (advanced) head_->Publish(overlay.head);
  for (std::size_t i = 0; i < staged.callbacks.size(); ++i) {
    staged.callbacks[i](std::move(staged.outcomes[i]));
  }
  if (advanced) {
    for (auto& listener : listeners_) listener(overlay.head.position);
  }
}

}  // namespace passledger::events

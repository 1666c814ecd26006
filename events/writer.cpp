#include "events/writer.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "events/bytes.h"
#include "events/catalogue.h"
#include "events/storage_format.h"

namespace passledger::events {
namespace {

// A group stops growing at this many bytes so one fsync never carries an unbounded batch.
constexpr std::size_t kMaxGroupBytes = 32u << 20;

std::int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string RandomCorrelationId() {
  std::array<std::uint8_t, 16> bytes{};
  RandomBytes(bytes);
  return ToHex(bytes);
}

std::string StreamKey(std::string_view stream, std::uint64_t version) {
  std::string key(stream);
  key.push_back(format::kStreamSeparator);
  PutU64BE(&key, version);
  return key;
}

std::string DedupValue(const AppendResult& r) {
  std::string v;
  PutU64BE(&v, r.first_position);
  PutU64BE(&v, r.last_position);
  PutU64BE(&v, r.stream_version);
  return v;
}

std::optional<AppendResult> ParseDedupValue(std::string_view v) {
  if (v.size() != 24) return std::nullopt;
  return AppendResult{LoadU64BE(v.data()), LoadU64BE(v.data() + 8), LoadU64BE(v.data() + 16), true};
}

std::string HeadValue(const Head& head) {
  std::string v = U64BE(head.position);
  v.append(reinterpret_cast<const char*>(head.hash.data()), head.hash.size());
  return v;
}

// What the writer knows about a subject's data key.
struct SubjectKey {
  bool forgotten = false;
  Key key{};
  std::string wrapped;  // set when this group created the key and must store it
};

// Everything one submission (or, once merged, one group) adds on top of the database.
struct Overlay {
  std::unordered_map<std::string, std::uint64_t> stream_versions;
  std::unordered_map<std::string, AppendResult> dedup;
  std::unordered_map<std::string, SubjectKey> subjects;
  std::vector<Envelope> envelopes;
  std::vector<std::string> records;    // EncodeRecord of envelopes[i]
  std::vector<std::string> personals;  // plaintext personal JSON of envelopes[i] ("" = none)
  Head head;
  std::int64_t recorded_at_us = 0;

  void MergeFrom(Overlay&& stage) {
    for (auto& [k, v] : stage.stream_versions) stream_versions[k] = v;
    for (auto& [k, v] : stage.dedup) dedup[k] = v;
    for (auto& [k, v] : stage.subjects) subjects[k] = std::move(v);
    std::move(stage.envelopes.begin(), stage.envelopes.end(), std::back_inserter(envelopes));
    std::move(stage.records.begin(), stage.records.end(), std::back_inserter(records));
    std::move(stage.personals.begin(), stage.personals.end(), std::back_inserter(personals));
    head = stage.head;
  }
};

// Builds one group commit. Lookups go stage -> group -> database.
class GroupBuilder {
 public:
  GroupBuilder(Store* store, KeyRing* keys, Head head, std::int64_t recorded_at_us)
      : store_(store), keys_(keys) {
    group_.head = head;
    group_.recorded_at_us = recorded_at_us;
  }

  // Stages every request of one submission; merges them into the group only if all succeed.
  Result<std::vector<AppendResult>> Add(const std::vector<PreparedRequest>& requests) {
    Overlay stage;
    stage.head = group_.head;
    stage.recorded_at_us = group_.recorded_at_us;
    std::vector<AppendResult> results;
    results.reserve(requests.size());
    for (const auto& request : requests) {
      auto result = StageRequest(request, stage);
      if (!result) return result.error();
      results.push_back(*result);
    }
    group_.MergeFrom(std::move(stage));
    return results;
  }

  Overlay& group() { return group_; }

  // Writes the group's records and indexes into `batch`.
  void Fill(rocksdb::WriteBatch* batch) const {
    for (std::size_t i = 0; i < group_.envelopes.size(); ++i) {
      const Envelope& e = group_.envelopes[i];
      const std::string pos = U64BE(e.position);
      batch->Put(store_->log, pos, group_.records[i]);
      batch->Put(store_->streams, StreamKey(e.stream, e.version), pos);
    }
    for (const auto& [stream, version] : group_.stream_versions) {
      batch->Put(store_->stream_heads, stream, U64BE(version));
    }
    for (const auto& [key, result] : group_.dedup) {
      if (!result.duplicate) batch->Put(store_->dedup, key, DedupValue(result));
    }
    for (const auto& [subject, state] : group_.subjects) {
      if (state.forgotten) {
        batch->Put(store_->subject_keys, subject, format::kForgottenMarker);
      } else if (!state.wrapped.empty()) {
        batch->Put(store_->subject_keys, subject, state.wrapped);
      }
    }
    if (!group_.envelopes.empty()) batch->Put(store_->meta, "head", HeadValue(group_.head));
  }

 private:
  Result<AppendResult> StageRequest(const PreparedRequest& request, Overlay& stage) {
    if (!request.idempotency_key.empty()) {
      auto seen = LookupDedup(request.idempotency_key, stage);
      if (!seen) return seen.error();
      if (*seen) {
        AppendResult dup = **seen;
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
    std::uint64_t version = *current;
    AppendResult result;
    result.first_position = stage.head.position + 1;
    for (const auto& event : request.events) {
      auto staged = StageEvent(request, event, correlation, ++version, stage);
      if (!staged) return staged.error();
    }
    result.last_position = stage.head.position;
    result.stream_version = version;
    stage.stream_versions[request.stream] = version;
    if (!request.idempotency_key.empty()) stage.dedup[request.idempotency_key] = result;
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
    e.recorded_at_us = std::max(NowMicros(), stage.recorded_at_us);
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
    stage.head = Head{e.position, e.hash};
    stage.recorded_at_us = e.recorded_at_us;
    stage.personals.push_back(event.personal.value_or(std::string()));
    stage.records.push_back(std::move(record));
    stage.envelopes.push_back(std::move(e));
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

  Result<std::optional<AppendResult>> LookupDedup(const std::string& key, const Overlay& stage) {
    if (auto it = stage.dedup.find(key); it != stage.dedup.end()) return it->second;
    if (auto it = group_.dedup.find(key); it != group_.dedup.end()) return it->second;
    std::string value;
    auto status = store_->db()->Get(rocksdb::ReadOptions(), store_->dedup, key, &value);
    if (status.IsNotFound()) return std::optional<AppendResult>();
    if (!status.ok()) return FromRocks(status, "Get dedup");
    auto parsed = ParseDedupValue(value);
    if (!parsed) return MakeError(ErrorCode::kCorruption, "dedup entry has a bad size");
    return parsed;
  }

  Result<std::uint64_t> LookupVersion(const std::string& stream, const Overlay& stage) {
    if (auto it = stage.stream_versions.find(stream); it != stage.stream_versions.end()) {
      return it->second;
    }
    if (auto it = group_.stream_versions.find(stream); it != group_.stream_versions.end()) {
      return it->second;
    }
    std::string value;
    auto status = store_->db()->Get(rocksdb::ReadOptions(), store_->stream_heads, stream, &value);
    if (status.IsNotFound()) return std::uint64_t{0};
    if (!status.ok()) return FromRocks(status, "Get stream_heads");
    if (value.size() != 8) return MakeError(ErrorCode::kCorruption, "stream head has a bad size");
    return LoadU64BE(value.data());
  }

  // The subject's key: from the stage, the group, the key ring's cache or the database;
  // created (and staged for writing) when absent and `create` is set.
  Result<const Key*> LookupSubjectKey(const std::string& subject, Overlay& stage, bool create) {
    if (auto it = stage.subjects.find(subject); it != stage.subjects.end()) {
      return CheckNotForgotten(subject, it->second);
    }
    if (auto it = group_.subjects.find(subject); it != group_.subjects.end()) {
      return CheckNotForgotten(subject, it->second);
    }
    SubjectKey state;
    if (auto cached = keys_->Cached(subject)) {
      state.key = *cached;
    } else {
      std::string value;
      auto status =
          store_->db()->Get(rocksdb::ReadOptions(), store_->subject_keys, subject, &value);
      if (status.IsNotFound()) {
        if (!create) {
          state.key = Key{};  // forgetting a subject that never had a key: just mark it
        } else {
          state.key = RandomKey();
          state.wrapped = keys_->Wrap(subject, state.key);
        }
      } else if (!status.ok()) {
        return FromRocks(status, "Get subject_keys");
      } else if (value == format::kForgottenMarker) {
        state.forgotten = true;
      } else {
        auto key = keys_->Unwrap(subject, value);
        if (!key) return key.error();
        state.key = *key;
      }
    }
    auto [it, inserted] = stage.subjects.emplace(subject, std::move(state));
    return CheckNotForgotten(subject, it->second);
  }

  static Result<const Key*> CheckNotForgotten(const std::string& subject, const SubjectKey& state) {
    if (state.forgotten) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "subject " + subject + " has been forgotten; no personal data can be recorded for it");
    }
    return &state.key;
  }

  Store* const store_;
  KeyRing* const keys_;
  Overlay group_;
};

}  // namespace

Writer::Writer(Store* store, KeyRing* keys, HeadState* head, std::int64_t last_recorded_us,
               std::vector<InlineProjection*> projections)
    : store_(store),
      keys_(keys),
      head_(head),
      projections_(std::move(projections)),
      last_recorded_us_(last_recorded_us),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

Writer::~Writer() {
  thread_.request_stop();
  wake_.notify_all();
  thread_.join();
}

void Writer::Submit(std::vector<PreparedRequest> requests, AppendCallback done) {
  std::size_t bytes = 0;
  for (const auto& r : requests) bytes += r.bytes;
  {
    std::lock_guard lock(mutex_);
    if (!fail_stop_) {
      queue_.push_back(Submission{std::move(requests), std::move(done), bytes});
      wake_.notify_one();
      return;
    }
  }
  done(*FailStopError());
}

std::optional<Error> Writer::FailStopError() const {
  std::lock_guard lock(mutex_);
  return fail_stop_;
}

void Writer::AddCommitListener(std::function<void(std::uint64_t)> listener) {
  listeners_.push_back(std::move(listener));
}

void Writer::Run(std::stop_token stop) {
  for (;;) {
    std::vector<Submission> group = TakeGroup(stop);
    if (group.empty()) return;  // stop requested and nothing left to do
    if (auto failed = FailStopError()) {
      FailAll(group, *failed);
      continue;
    }
    CommitGroup(group);
  }
}

std::vector<Writer::Submission> Writer::TakeGroup(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, stop, [&] { return !queue_.empty(); });
  std::vector<Submission> group;
  std::size_t bytes = 0;
  while (!queue_.empty() && (group.empty() || bytes + queue_.front().bytes <= kMaxGroupBytes)) {
    bytes += queue_.front().bytes;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

void Writer::FailAll(std::vector<Submission>& group, const Error& error) {
  for (auto& s : group) s.done(error);
}

void Writer::CommitGroup(std::vector<Submission>& group) {
  GroupBuilder builder(store_, keys_, head_->Get(), last_recorded_us_);
  std::vector<Result<std::vector<AppendResult>>> outcomes;
  outcomes.reserve(group.size());
  for (auto& submission : group) outcomes.push_back(builder.Add(submission.requests));

  Overlay& staged = builder.group();
  rocksdb::WriteBatch batch;
  builder.Fill(&batch);
  if (!staged.envelopes.empty() && !projections_.empty()) {
    std::vector<PendingEvent> pending;
    pending.reserve(staged.envelopes.size());
    for (std::size_t i = 0; i < staged.envelopes.size(); ++i) {
      pending.push_back(PendingEvent{&staged.envelopes[i], &staged.personals[i]});
    }
    for (auto* projection : projections_) {
      if (auto ok = projection->Apply(store_->db(), pending, &batch); !ok) {
        Error error = MakeError(ok.error().code, "inline projection: " + ok.error().message);
        FailAll(group, error);
        return;
      }
    }
  }
  if (batch.Count() > 0) {
    rocksdb::WriteOptions options;
    options.sync = true;
    auto status = store_->db()->Write(options, &batch);
    if (!status.ok()) {
      Error error = MakeError(ErrorCode::kUnavailable,
                              "event log stopped after a failed write (restart to recover): " +
                                  FromRocks(status, "Write").message);
      {
        std::lock_guard lock(mutex_);
        fail_stop_ = error;
        for (auto& s : queue_) group.push_back(std::move(s));
        queue_.clear();
      }
      FailAll(group, error);
      return;
    }
  }
  for (auto& [subject, state] : staged.subjects) {
    if (state.forgotten) {
      keys_->Forget(subject);
    } else {
      keys_->Remember(subject, state.key);
    }
    OPENSSL_cleanse(state.key.data(), state.key.size());
  }
  last_recorded_us_ = staged.recorded_at_us;
  const bool advanced = !staged.envelopes.empty();
  if (advanced) head_->Publish(staged.head);
  for (std::size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcomes[i]));
  if (advanced) {
    for (auto& listener : listeners_) listener(staged.head.position);
  }
}

}  // namespace passledger::events

#include "events/event_log.h"

#include "events/storage_access.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <future>
#include <unordered_map>

#include "base/bytes.h"
#include "events/catalogue.h"
#include "events/data_dir.h"
#include "events/digest.h"
#include "events/head_state.h"
#include "events/key_ring.h"
#include "events/scoped_snapshot.h"
#include "events/storage_format.h"
#include "events/store.h"
#include "events/validation.h"
#include "events/writer.h"

namespace passledger::events {

class EventLog::Impl {
 public:
  Impl(DataDir dir_in, std::unique_ptr<Store> store_in, std::unique_ptr<KeyRing> keys_in,
       std::optional<Error> key_error_in, const SchemaRegistry* schemas_in, Head head_in)
      : dir(std::move(dir_in)),
        store(std::move(store_in)),
        keys(std::move(keys_in)),
        key_error(std::move(key_error_in)),
        schemas(schemas_in),
        head(head_in) {}

  // Destroyed in reverse order: the writer stops before the store closes.
  DataDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<KeyRing> keys;   // null when the master key could not be loaded (read-only)
  std::optional<Error> key_error;  // why keys is null
  const SchemaRegistry* schemas;
  bool historical_writes = false;  // OpenOptions::historical_writes
  HeadState head;
  std::unique_ptr<Writer> writer;  // null when read-only

  // allow_reserved: the caller is the reserved type's own path (Forget), or historical_writes.
  Result<std::vector<PreparedRequest>> Prepare(std::vector<AppendRequest>& requests,
                                               bool allow_reserved = false) const;
  Result<RecordedEvent> ToRecorded(
      std::string_view record, const ReadOptions& options, const rocksdb::Snapshot* snapshot,
      std::unordered_map<std::string, std::optional<Key>>* keys_seen) const;
  Result<std::optional<Key>> SubjectKeyAt(const std::string& subject,
                                          const rocksdb::Snapshot* snapshot) const;
};

namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// NaN and the infinities serialise as `NaN`/`Infinity`, which is not JSON: such an event could
// be stored but never parsed back.
bool HasNonFiniteNumber(const boost::json::object& object);

bool HasNonFiniteNumber(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      return !std::isfinite(value.get_double());
    case boost::json::kind::array:
      return std::any_of(value.get_array().begin(), value.get_array().end(),
                         [](const boost::json::value& v) { return HasNonFiniteNumber(v); });
    case boost::json::kind::object:
      return HasNonFiniteNumber(value.get_object());
    default:
      return false;
  }
}

bool HasNonFiniteNumber(const boost::json::object& object) {
  return std::any_of(object.begin(), object.end(),
                     [](const auto& member) { return HasNonFiniteNumber(member.value()); });
}

// The catalogue checks the newest shape, so an event written in an older schema version is
// checked as it will be read: upcast (on a copy; the stored bytes keep the written shape).
Result<void> ValidateShape(std::string_view stream, const NewEvent& event, std::uint32_t version,
                           std::uint32_t current, const SchemaRegistry& schemas) {
  const boost::json::object* personal = event.personal ? &*event.personal : nullptr;
  if (version == current) {
    return ValidateCatalogued(stream, event.type, version, event.payload, personal, event.subject);
  }
  boost::json::object payload = event.payload;
  std::optional<boost::json::object> upcast_personal = event.personal;
  auto upcast = schemas.Upcast(event.type, version, payload,
                               upcast_personal ? &*upcast_personal : nullptr);
  if (!upcast) return upcast.error();
  return ValidateCatalogued(stream, event.type, *upcast, payload,
                            upcast_personal ? &*upcast_personal : nullptr, event.subject);
}

Result<PreparedEvent> PrepareEvent(std::string_view stream, NewEvent& event,
                                   const SchemaRegistry& schemas, bool allow_reserved) {
  if (auto ok = ValidateEventType(event.type); !ok) return ok.error();
  if (!allow_reserved) {
    if (auto ok = CheckNotReserved(event.type); !ok) return ok.error();
  }
  PreparedEvent out;
  out.type = event.type;
  const std::uint32_t current = schemas.CurrentVersion(event.type);
  out.schema_version = event.schema_version == 0 ? current : event.schema_version;
  if (out.schema_version > current) {
    return Invalid(event.type + " v" + std::to_string(out.schema_version) +
                   " is newer than this build knows (v" + std::to_string(current) + ")");
  }
  if (auto ok = ValidateShape(stream, event, out.schema_version, current, schemas); !ok) {
    return ok.error();
  }
  if (HasNonFiniteNumber(event.payload) ||
      (event.personal && HasNonFiniteNumber(*event.personal))) {
    return Invalid(event.type + ": NaN and infinite numbers cannot be stored as JSON");
  }
  out.payload = boost::json::serialize(event.payload);
  if (!IsValidUtf8(out.payload)) return Invalid(event.type + ": payload text is not valid UTF-8");
  if (event.personal) {
    if (auto ok = ValidateSubjectId(event.subject); !ok) {
      return Invalid(event.type + ": personal data needs a valid subject: " + ok.error().message);
    }
    out.personal = boost::json::serialize(*event.personal);
    if (!IsValidUtf8(*out.personal)) {
      return Invalid(event.type + ": personal data text is not valid UTF-8");
    }
  } else if (!event.subject.empty()) {
    if (auto ok = ValidateSubjectId(event.subject); !ok) return ok.error();
  }
  out.subject = event.subject;
  out.payload_object = std::make_shared<boost::json::object>(std::move(event.payload));
  if (event.personal) {
    out.personal_object = std::make_shared<boost::json::object>(std::move(*event.personal));
  }
  const std::size_t size = out.payload.size() + (out.personal ? out.personal->size() : 0);
  if (size > format::kMaxEventBytes) {
    return MakeError(ErrorCode::kTooLarge, event.type + " event is " + std::to_string(size) +
                                               " bytes; the limit is " +
                                               std::to_string(format::kMaxEventBytes));
  }
  return out;
}

// What an idempotency key is compared with (docs/STORAGE.md, "Idempotency keys"): the
// stream, the expected version, the actor and each event's type, schema version, subject and
// public payload. Not the personal part, so that no digest of personal data outlives a
// forget; not the correlation id or causation, which a retry may set afresh.
Hash RequestFingerprint(const PreparedRequest& request) {
  Sha256Stream sha;
  const auto field = [&sha](std::string_view bytes) {
    sha.Update(U64BE(bytes.size()));
    sha.Update(bytes);
  };
  field("passledger request v1");
  field(request.stream);
  field(std::to_string(static_cast<int>(request.expected.kind)) + ":" +
        std::to_string(request.expected.version));
  field(request.actor);
  for (const auto& event : request.events) {
    field(event.type);
    field(std::to_string(event.schema_version));
    field(event.subject);
    field(event.payload);
  }
  return sha.Finish();
}

Result<PreparedRequest> PrepareRequest(AppendRequest& request, const SchemaRegistry& schemas,
                                       bool allow_reserved) {
  if (auto ok = ValidateStreamId(request.stream); !ok) return ok.error();
  if (auto ok = ValidateActor(request.actor); !ok) return ok.error();
  if (!request.idempotency_key.empty()) {
    if (auto ok = ValidateIdempotencyKey(request.idempotency_key); !ok) return ok.error();
  }
  if (request.correlation_id.size() > format::kMaxActorBytes) {
    return Invalid("correlation id is longer than 256 bytes");
  }
  if (request.events.empty())
    return Invalid("append request for " + request.stream + " has no events");
  if (request.events.size() > format::kMaxRequestEvents) {
    return MakeError(
        ErrorCode::kTooLarge,
        "append request has more than " + std::to_string(format::kMaxRequestEvents) + " events");
  }
  PreparedRequest out;
  out.stream = std::move(request.stream);
  out.expected = request.expected;
  out.actor = std::move(request.actor);
  out.correlation_id = std::move(request.correlation_id);
  out.causation = request.causation;
  out.idempotency_key = std::move(request.idempotency_key);
  out.events.reserve(request.events.size());
  out.bytes = 128 + out.stream.size();
  for (auto& event : request.events) {
    auto prepared = PrepareEvent(out.stream, event, schemas, allow_reserved);
    if (!prepared) return prepared.error();
    out.bytes +=
        prepared->payload.size() + (prepared->personal ? prepared->personal->size() : 0) + 128;
    out.events.push_back(std::move(*prepared));
  }
  if (!out.idempotency_key.empty()) out.fingerprint = RequestFingerprint(out);
  return out;
}

// Reads the last record and checks it against the head the writer stored with it.
Result<std::pair<Head, std::int64_t>> RecoverHead(const Store& store) {
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(rocksdb::ReadOptions(), store.log));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "seek log");
  Head head{0, GenesisHash()};
  std::int64_t recorded_at_us = 0;
  if (it->Valid()) {
    auto envelope = DecodeRecord(it->value().ToStringView());
    if (!envelope) return envelope.error();
    auto view = ViewRecord(it->value().ToStringView());
    if (!view) return view.error();
    // New events will chain onto this one: it must be intact.
    if (ComputeHash(view->prev_hash, view->canonical) != view->stored_hash) {
      return MakeError(ErrorCode::kCorruption,
                       "the last event (position " + std::to_string(envelope->position) +
                           ") does not match its hash (altered?); run `passledger verify`");
    }
    head = Head{envelope->position, envelope->hash};
    recorded_at_us = envelope->recorded_at_us;
  }
  std::string stored;
  auto status = store.db()->Get(rocksdb::ReadOptions(), store.meta, "head", &stored);
  if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "Get meta head");
  const std::uint64_t stored_position = stored.size() >= 8 ? LoadU64BE(stored.data()) : 0;
  const bool hash_matches =
      head.position == 0 ||
      (stored.size() == 8 + head.hash.size() &&
       std::equal(head.hash.begin(), head.hash.end(), stored.begin() + 8,
                  [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }));
  if (stored_position == head.position && !hash_matches) {
    return MakeError(ErrorCode::kCorruption,
                     "the last event (position " + std::to_string(head.position) +
                         ") does not have the hash recorded with it (altered?); run `passledger "
                         "verify`");
  }
  if (stored_position != head.position) {
    return MakeError(ErrorCode::kCorruption,
                     "the log ends at position " + std::to_string(head.position) +
                         " but its head record says " + std::to_string(stored_position) +
                         " (events deleted?); run `passledger verify`");
  }
  return std::make_pair(head, recorded_at_us);
}

Result<void> WriteSynced(const Store& store, rocksdb::WriteBatch& batch, std::string_view what) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto status = store.db()->Write(sync, &batch);
  if (!status.ok()) return FromRocks(status, what);
  return {};
}

std::string KeySchemesText(KeySchemes schemes) {
  return "wrap=" + std::to_string(schemes.wrap) + " derive=" + std::to_string(schemes.derive);
}

Result<KeySchemes> ParseKeySchemes(std::string_view text) {
  for (const KeySchemes known : {KeySchemes{2, 2}, KeySchemes{2, 1}}) {
    if (text == KeySchemesText(known)) return known;
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   "this database uses key schemes \"" + std::string(text) +
                       "\", which this build does not know (a newer PassLedger wrote it?)");
}

// Re-wraps every subject key of a wrap-scheme-1 database under the wrapping key and stores
// the new check value and schemes, all in one synced batch: after a crash the database is
// wholly in one scheme or the other. Derivation keeps scheme 1 (the pass tokens on phones).
Result<std::unique_ptr<KeyRing>> MigrateWrapScheme(const Store& store, const KeyRing& legacy) {
  auto migrated = legacy.WithWrapScheme2();
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(
      store.db()->NewIterator(rocksdb::ReadOptions(), store.subject_keys));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string subject = it->key().ToString();
    if (it->value() == format::kForgottenMarker) continue;
    auto key = legacy.Unwrap(subject, it->value().ToString());
    if (!key) return key.error();
    batch.Put(store.subject_keys, subject, migrated->Wrap(subject, *key));
    OPENSSL_cleanse(key->data(), key->size());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan subject_keys");
  batch.Put(store.meta, format::kMetaMasterKeyCheck, migrated->MakeCheckValue());
  batch.Put(store.meta, format::kMetaKeySchemes, KeySchemesText(migrated->schemes()));
  if (auto ok = WriteSynced(store, batch, "migrate subject keys"); !ok) return ok.error();
  return migrated;
}

Error WrongMasterKey() {
  return MakeError(ErrorCode::kFailedPrecondition,
                   "the master key does not match this database (wrong key file or "
                   "$PASSLEDGER_MASTER_KEY?)");
}

// The key ring for this database: its key schemes from meta, the master key checked against
// the stored check value. A new database gets the current schemes; a writable database from
// before the schemes is migrated (MigrateWrapScheme); a read-only one is read as it is.
Result<std::unique_ptr<KeyRing>> OpenKeyRing(const Store& store, const Key& master) {
  std::string check;
  auto status =
      store.db()->Get(rocksdb::ReadOptions(), store.meta, format::kMetaMasterKeyCheck, &check);
  if (status.IsNotFound()) {
    auto keys = std::make_unique<KeyRing>(master);
    if (store.read_only) return keys;
    rocksdb::WriteBatch batch;
    batch.Put(store.meta, format::kMetaMasterKeyCheck, keys->MakeCheckValue());
    batch.Put(store.meta, format::kMetaKeySchemes, KeySchemesText(keys->schemes()));
    batch.Put(store.meta, format::kMetaFormat, std::to_string(format::kFormatVersion));
    if (auto ok = WriteSynced(store, batch, "write master key check"); !ok) return ok.error();
    return keys;
  }
  if (!status.ok()) return FromRocks(status, "Get master key check");
  std::string schemes_text;
  status = store.db()->Get(rocksdb::ReadOptions(), store.meta, format::kMetaKeySchemes,
                           &schemes_text);
  if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "Get key schemes");
  if (status.IsNotFound()) {
    auto legacy = std::make_unique<KeyRing>(master, KeySchemes{1, 1});
    if (!legacy->MatchesCheckValue(check)) return WrongMasterKey();
    if (store.read_only) return legacy;
    return MigrateWrapScheme(store, *legacy);
  }
  auto schemes = ParseKeySchemes(schemes_text);
  if (!schemes) return schemes.error();
  auto keys = std::make_unique<KeyRing>(master, *schemes);
  if (!keys->MatchesCheckValue(check)) return WrongMasterKey();
  return keys;
}

}  // namespace

Result<std::unique_ptr<EventLog>> EventLog::Open(const OpenOptions& options) {
  auto dir = DataDir::Open(
      options.data_dir, options.read_only ? DataDir::Mode::kReadOnly : DataDir::Mode::kReadWrite);
  if (!dir) return dir.error();
  auto master = dir->LoadMasterKey(options.master_key);
  if (!master && !options.read_only) return master.error();
  std::optional<Error> key_error;
  if (!master) key_error = master.error();
  auto store = Store::Open(dir->db_path(), options.read_only, options.extra_column_families,
                           options.block_cache_bytes, options.max_open_files);
  if (!store) {
    if (master) OPENSSL_cleanse(master->data(), master->size());
    return store.error();
  }
  std::unique_ptr<KeyRing> keys;
  if (master) {
    auto ring = OpenKeyRing(**store, *master);
    OPENSSL_cleanse(master->data(), master->size());
    if (!ring) return ring.error();
    keys = std::move(*ring);
  }
  auto recovered = RecoverHead(**store);
  if (!recovered && !options.read_only) return recovered.error();
  Head head = recovered ? recovered->first : Head{0, GenesisHash()};
  if (!options.read_only) {
    if (auto ok = EnsureSigningKey(*dir); !ok) return ok.error();
  }
  const SchemaRegistry* schemas = options.schemas ? options.schemas : &DefaultSchemaRegistry();
  auto impl = std::make_unique<Impl>(std::move(*dir), std::move(*store), std::move(keys),
                                     std::move(key_error), schemas, head);
  impl->historical_writes = options.historical_writes;
  if (!options.read_only) {
    impl->writer = std::make_unique<Writer>(impl->store.get(), impl->keys.get(), &impl->head, head,
                                            recovered->second, options.inline_projections,
                                            options.clock);
  }
  return std::unique_ptr<EventLog>(new EventLog(std::move(impl)));
}

EventLog::EventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EventLog::~EventLog() {
  impl_->writer.reset();  // drains the queue before the database closes
}

Result<std::vector<PreparedRequest>> EventLog::Impl::Prepare(std::vector<AppendRequest>& requests,
                                                             bool allow_reserved) const {
  if (!writer) return MakeError(ErrorCode::kFailedPrecondition, "the event log is open read-only");
  if (requests.empty()) return Invalid("no append requests");
  std::vector<PreparedRequest> prepared;
  prepared.reserve(requests.size());
  for (auto& request : requests) {
    auto p = PrepareRequest(request, *schemas, allow_reserved || historical_writes);
    if (!p) return p.error();
    prepared.push_back(std::move(*p));
  }
  return prepared;
}

void EventLog::AppendAsync(std::vector<AppendRequest> requests, AppendCallback done) {
  auto prepared = impl_->Prepare(requests);
  if (!prepared) {
    done(prepared.error());
    return;
  }
  impl_->writer->Submit(std::move(*prepared), std::move(done));
}

Result<std::vector<AppendResult>> EventLog::AppendAtomic(std::vector<AppendRequest> requests) {
  std::promise<Result<std::vector<AppendResult>>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(requests),
              [&promise](Result<std::vector<AppendResult>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<AppendResult> EventLog::Append(AppendRequest request) {
  std::vector<AppendRequest> one;
  one.push_back(std::move(request));
  auto results = AppendAtomic(std::move(one));
  if (!results) return results.error();
  return results->front();
}

Result<AppendResult> EventLog::Forget(std::string_view subject, std::string_view stream,
                                      std::string_view actor, std::string_view reason) {
  if (auto ok = ValidateSubjectId(subject); !ok) return ok.error();
  AppendRequest request;
  request.stream = std::string(stream);
  request.actor = std::string(actor);
  NewEvent event;
  event.type = std::string(kSubjectForgotten);
  event.subject = std::string(subject);
  event.payload = {{"subject", subject}, {"reason", reason.empty() ? "unspecified" : reason}};
  request.events.push_back(std::move(event));
  std::vector<AppendRequest> requests;
  requests.push_back(std::move(request));
  auto prepared = impl_->Prepare(requests, /*allow_reserved=*/true);
  if (!prepared) return prepared.error();
  prepared->front().forget_subject = std::string(subject);

  std::promise<Result<std::vector<AppendResult>>> promise;
  auto future = promise.get_future();
  impl_->writer->Submit(std::move(*prepared), [&promise](Result<std::vector<AppendResult>> r) {
    promise.set_value(std::move(r));
  });
  auto results = future.get();
  if (!results) return results.error();
  if (auto ok = PurgeForgottenKey(subject); !ok) return ok.error();
  return results->front();
}

Result<bool> EventLog::IsForgotten(std::string_view subject) const {
  if (auto ok = ValidateSubjectId(subject); !ok) return ok.error();
  std::string value;
  auto status = impl_->store->db()->Get(rocksdb::ReadOptions(), impl_->store->subject_keys,
                                        rocksdb::Slice(subject.data(), subject.size()), &value);
  if (status.IsNotFound()) return false;
  if (!status.ok()) return FromRocks(status, "Get subject_keys");
  return value == format::kForgottenMarker;
}

Result<void> EventLog::PurgeForgottenKey(std::string_view subject) {
  if (auto ok = ValidateSubjectId(subject); !ok) return ok.error();
  if (!impl_->writer) {
    return MakeError(ErrorCode::kFailedPrecondition, "the event log is open read-only");
  }
  // Push the overwritten wrapped key out of the memtable, the WAL and older SST files.
  rocksdb::DB* db = impl_->store->db();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (auto status = impl_->store->FlushOpened(flush); !status.ok()) {
    return FromRocks(status, "Flush");
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const std::string begin(subject);
  const std::string end = begin + '\0';
  rocksdb::Slice b(begin), e(end);
  if (auto status = db->CompactRange(compact, impl_->store->subject_keys, &b, &e); !status.ok()) {
    return FromRocks(status, "CompactRange subject_keys");
  }
  return {};
}

Result<std::optional<Key>> EventLog::Impl::SubjectKeyAt(const std::string& subject,
                                                        const rocksdb::Snapshot* snapshot) const {
  if (!keys) return *key_error;
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::string value;
  auto status = store->db()->Get(read, store->subject_keys, subject, &value);
  if (status.IsNotFound() || (status.ok() && value == format::kForgottenMarker)) {
    return std::optional<Key>();
  }
  if (!status.ok()) return FromRocks(status, "Get subject_keys");
  auto key = keys->Unwrap(subject, value);
  if (!key) return key.error();
  return std::optional<Key>(*key);
}

Result<RecordedEvent> EventLog::Impl::ToRecorded(
    std::string_view record, const ReadOptions& options, const rocksdb::Snapshot* snapshot,
    std::unordered_map<std::string, std::optional<Key>>* keys_seen) const {
  auto envelope = DecodeRecord(record);
  if (!envelope) return envelope.error();
  RecordedEvent out;
  boost::system::error_code ec;
  auto payload = boost::json::parse(envelope->payload, ec);
  if (ec || !payload.is_object()) {
    return MakeError(
        ErrorCode::kCorruption,
        "payload of position " + std::to_string(envelope->position) + " is not a JSON object");
  }
  out.payload = std::move(payload.as_object());
  if (!envelope->sealed.empty()) {
    out.personal_state = PersonalState::kSealed;
    if (options.reveal) {
      auto it = keys_seen->find(envelope->subject);
      if (it == keys_seen->end()) {
        auto key = SubjectKeyAt(envelope->subject, snapshot);
        if (!key) return key.error();
        it = keys_seen->emplace(envelope->subject, *key).first;
      }
      if (!it->second) {
        out.personal_state = PersonalState::kForgotten;
      } else {
        auto plain = AesGcmOpen(*it->second, envelope->sealed,
                                SealAad(envelope->stream, envelope->position, envelope->subject));
        if (!plain) return plain.error();
        auto personal = boost::json::parse(*plain, ec);
        if (ec || !personal.is_object()) {
          return MakeError(ErrorCode::kCorruption, "sealed part is not a JSON object");
        }
        out.personal = std::move(personal.as_object());
        out.personal_state = PersonalState::kRevealed;
      }
    }
  }
  auto version =
      schemas->Upcast(envelope->type, envelope->schema_version, out.payload,
                      out.personal_state == PersonalState::kRevealed ? &out.personal : nullptr);
  if (!version) return version.error();
  out.schema_version = *version;
  out.envelope = std::move(*envelope);
  return out;
}

// Reads of at least this many events are scans (replays, exports).
constexpr std::size_t kBulkReadEvents = 1'000;

Result<std::vector<RecordedEvent>> EventLog::ReadRange(std::uint64_t from, std::size_t max_count,
                                                       ReadOptions options) const {
  ScopedSnapshot snapshot(impl_->store->db());
  std::unordered_map<std::string, std::optional<Key>> keys_seen;
  std::vector<RecordedEvent> out;
  out.reserve(std::min<std::size_t>(max_count, 100'000));
  rocksdb::ReadOptions read = snapshot.options();
  if (max_count >= kBulkReadEvents) {
    read.fill_cache = false;  // a scan: its blocks would only push hot ones out of the cache
    read.readahead_size = 2 << 20;
  }
  std::unique_ptr<rocksdb::Iterator> it(impl_->store->db()->NewIterator(read, impl_->store->log));
  for (it->Seek(U64BE(std::max<std::uint64_t>(from, 1))); it->Valid() && out.size() < max_count;
       it->Next()) {
    auto event = impl_->ToRecorded(it->value().ToStringView(), options, snapshot.get(), &keys_seen);
    if (!event) return event.error();
    out.push_back(std::move(*event));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterate log");
  return out;
}

namespace {

// Positions of `stream`'s events with version >= from_version, at most max_count, from the
// runs in the streams CF (see storage_format.h).
Result<std::vector<std::string>> StreamPositions(const Store& store,
                                                 const rocksdb::ReadOptions& read,
                                                 std::string_view stream,
                                                 std::uint64_t from_version,
                                                 std::size_t max_count) {
  std::string prefix(stream);
  prefix.push_back(format::kStreamSeparator);
  std::vector<std::string> positions;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(read, store.streams));
  // The run holding from_version starts at or before it.
  it->SeekForPrev(prefix + U64BE(from_version));
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(prefix);
  for (; it->Valid() && it->key().starts_with(prefix) && positions.size() < max_count; it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    if (key.size() != prefix.size() + 8 || value.size() != 12) {
      return MakeError(ErrorCode::kCorruption,
                       "streams entry of " + std::string(stream) + " has a bad size");
    }
    const std::uint64_t first_version = LoadU64BE(key.data() + prefix.size());
    const std::uint64_t first_position = LoadU64BE(value.data());
    ByteReader count_reader(value.substr(8));
    const std::uint64_t count = *count_reader.U32BE();
    for (std::uint64_t v = std::max(first_version, from_version);
         v < first_version + count && positions.size() < max_count; ++v) {
      positions.push_back(U64BE(first_position + (v - first_version)));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterate streams");
  return positions;
}

}  // namespace

Result<std::vector<RecordedEvent>> EventLog::ReadStream(std::string_view stream,
                                                        std::uint64_t from_version,
                                                        std::size_t max_count,
                                                        ReadOptions options) const {
  if (auto ok = ValidateStreamId(stream); !ok) return ok.error();
  ScopedSnapshot snapshot(impl_->store->db());
  auto positions = StreamPositions(*impl_->store, snapshot.options(), stream,
                                   std::max<std::uint64_t>(from_version, 1), max_count);
  if (!positions) return positions.error();
  std::vector<rocksdb::Slice> keys(positions->begin(), positions->end());
  std::vector<std::string> values;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), impl_->store->log);
  auto statuses = impl_->store->db()->MultiGet(snapshot.options(), cfs, keys, &values);
  std::unordered_map<std::string, std::optional<Key>> keys_seen;
  std::vector<RecordedEvent> out;
  out.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!statuses[i].ok()) return FromRocks(statuses[i], "Get log (stream index)");
    auto event = impl_->ToRecorded(values[i], options, snapshot.get(), &keys_seen);
    if (!event) return event.error();
    out.push_back(std::move(*event));
  }
  return out;
}

Result<std::uint64_t> EventLog::StreamVersion(std::string_view stream) const {
  std::string value;
  auto status =
      impl_->store->db()->Get(rocksdb::ReadOptions(), impl_->store->stream_heads, stream, &value);
  if (status.IsNotFound()) return std::uint64_t{0};
  if (!status.ok()) return FromRocks(status, "Get stream_heads");
  if (value.size() != 8) return MakeError(ErrorCode::kCorruption, "stream head has a bad size");
  return LoadU64BE(value.data());
}

Head EventLog::GetHead() const { return impl_->head.Get(); }

Result<std::uint64_t> EventLog::WaitForHead(std::uint64_t position,
                                            std::chrono::milliseconds timeout,
                                            std::stop_token stop) const {
  return impl_->head.WaitPast(position, timeout, std::move(stop));
}

std::unique_lock<std::shared_mutex> EventLog::PauseCommits() {
  if (!impl_->writer) return {};
  return impl_->writer->PauseCommits();
}

void EventLog::AddCommitListener(std::function<void(std::uint64_t)> listener) {
  if (impl_->writer) impl_->writer->AddCommitListener(std::move(listener));
}

Result<Key> EventLog::DeriveKey(std::string_view purpose) const {
  if (!impl_->keys) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the master key is not available (read-only open without the key)");
  }
  return impl_->keys->Derive(purpose);
}

std::optional<Error> EventLog::FailStopError() const {
  return impl_->writer ? impl_->writer->FailStopError() : std::nullopt;
}

bool EventLog::read_only() const { return impl_->writer == nullptr; }
const SchemaRegistry& EventLog::schemas() const { return *impl_->schemas; }
const std::filesystem::path& EventLog::data_dir() const { return impl_->dir.root(); }
std::int64_t SystemClockMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

rocksdb::DB* StorageAccess::Db(const EventLog& log) { return log.impl_->store->db(); }

rocksdb::ColumnFamilyHandle* StorageAccess::ColumnFamily(const EventLog& log,
                                                         std::string_view name) {
  return log.impl_->store->cf(name);
}

Result<OwnedColumnFamily> StorageAccess::CreateColumnFamily(EventLog& log,
                                                            const std::string& name) {
  auto handle = log.impl_->store->CreateColumnFamily(name);
  if (!handle) return handle.error();
  return OwnedColumnFamily(*handle, ColumnFamilyDeleter{Db(log)});
}

}  // namespace passledger::events

#include "projections/projections.h"

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <future>

#include "base/bytes.h"
#include "base/crypto.h"
#include "events/catalogue.h"
#include "events/scoped_snapshot.h"
#include "events/storage_access.h"
#include "projections/folder.h"
#include "projections/generation.h"
#include "projections/view_cache.h"
#include "projections/view_codec.h"
#include "projections/view_format.h"
#include "projections/view_json.h"

namespace passledger::projections {
namespace {

// <data>/rebuild-g<N>/: SST files of generation N's bulk load, before their ingestion.
constexpr std::string_view kBulkScratchPrefix = "rebuild-g";
// An online rebuild pauses commits only once it is this close to the head.
constexpr std::uint64_t kCatchUpSlack = 5'000;

Error FromRocks(const rocksdb::Status& status, std::string_view what) {
  return MakeError(status.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kUnavailable,
                   "RocksDB " + std::string(what) + ": " + status.ToString());
}

std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// A view value as a person reads it: a record as its JSON form, an index value as printable
// bytes.
std::string DescribeValue(std::string_view key, std::string_view value) {
  if (key.empty()) return Printable(value);
  const std::string_view id = key.substr(1);
  auto json = [](const auto& decoded) -> std::string {
    if (!decoded) return "(does not decode: " + decoded.error().message + ")";
    return boost::json::serialize(ToJson(*decoded));
  };
  switch (static_cast<format::View>(key[0])) {
    case format::View::kMembers:
      return json(codec::DecodeMember(id, value));
    case format::View::kPasses:
      return json(codec::DecodePass(id, value));
    case format::View::kDevices:
      return json(codec::DecodeDevice(id, value));
    case format::View::kImports:
      return json(codec::DecodeImport(id, value));
    case format::View::kStaff:
      return json(codec::DecodeStaff(id, value));
    case format::View::kTemplates:
      return json(codec::DecodeTemplate(id, value));
    case format::View::kCounts:
      return json(codec::DecodeCounts(value));
    case format::View::kActivity:
      return json(codec::DecodeActivity(id, value));
    default:
      return Printable(value);
  }
}

std::string ViewOf(std::string_view key) {
  if (key.empty()) return "unknown";
  for (auto view : format::kAllViews) {
    if (static_cast<char>(view) == key[0]) return std::string(format::ViewName(view));
  }
  return "unknown";
}

// Iterates the whole column family of a generation at a snapshot.
template <class Fn>
Result<void> ForEachEntry(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                          const rocksdb::Snapshot* snapshot, Fn fn) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    fn(it->key().ToStringView(), it->value().ToStringView());
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterate views");
  return {};
}

// A backend with nothing in it, for a bulk load into an empty generation (BulkLoad never
// flushes through it).
class EmptyBackend final : public Backend {
 public:
  Result<std::optional<std::string>> Load(std::string_view) override {
    return std::optional<std::string>();
  }
  void Store(std::string_view, const std::string*) override {}
};

Result<void> FoldChunk(const std::vector<events::RecordedEvent>& events, ViewCache& views) {
  for (const auto& event : events) {
    const boost::json::object* personal =
        event.personal_state == events::PersonalState::kRevealed ? &event.personal : nullptr;
    if (auto ok = Fold({event.envelope, event.payload, personal}, views); !ok) return ok;
  }
  return {};
}

// Writes the cache's content as sorted SST files (at most kSstBytes each) in a scratch
// directory beside the database and ingests them (moved) into `target`, which must be empty.
Result<void> IngestSorted(Generation& target, ViewCache& views) {
  constexpr std::uint64_t kSstBytes = 64 << 20;
  constexpr std::size_t kIngestThreads = 2;
  namespace fs = std::filesystem;
  const fs::path scratch =
      fs::path(target.db()->GetName()).parent_path() / ("rebuild-g" + std::to_string(target.id()));
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  if (ec)
    return MakeError(ErrorCode::kUnavailable, "create " + scratch.string() + ": " + ec.message());
  struct RemoveScratch {
    fs::path path;
    ~RemoveScratch() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_scratch{scratch};

  const rocksdb::Options options(target.db()->GetDBOptions(), target.db()->GetOptions(target.cf()));
  // One writer per part of the key range; each part's files hold consecutive keys.
  struct PartWriter {
    std::unique_ptr<rocksdb::SstFileWriter> writer;
    std::vector<std::string> files;
    bool open = false;
  };
  std::vector<PartWriter> parts(kIngestThreads);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i].writer =
        std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options, target.cf());
  }
  auto finish = [](PartWriter& part) -> Result<void> {
    if (!part.open) return {};
    part.open = false;
    auto status = part.writer->Finish();
    return status.ok() ? Result<void>() : Result<void>(FromRocks(status, "finish SST"));
  };
  auto written = views.ForEachSorted(
      parts.size(),
      [&](std::size_t index, std::string_view key, std::string_view value) -> Result<void> {
        PartWriter& part = parts[index];
        if (!part.open) {
          part.files.push_back((scratch / ("views-" + std::to_string(index) + "-" +
                                           std::to_string(part.files.size()) + ".sst"))
                                   .string());
          if (auto status = part.writer->Open(part.files.back()); !status.ok()) {
            return FromRocks(status, "open SST");
          }
          part.open = true;
        }
        if (auto status = part.writer->Put(key, value); !status.ok()) {
          return FromRocks(status, "write SST");
        }
        if (part.writer->FileSize() >= kSstBytes) return finish(part);
        return {};
      });
  if (!written) return written;
  std::vector<std::string> files;
  for (auto& part : parts) {
    if (auto ok = finish(part); !ok) return ok;
    files.insert(files.end(), part.files.begin(), part.files.end());
  }
  if (files.empty()) return {};
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  auto status = target.db()->IngestExternalFile(target.cf(), files, ingest);
  if (!status.ok()) return FromRocks(status, "ingest SST files");
  return {};
}

// Reads [from, to] in chunks, decoding the next chunk on another thread while the caller
// folds the current one.
class ChunkReader {
 public:
  using Chunk = Result<std::vector<events::RecordedEvent>>;
  ChunkReader(const events::EventLog* log, std::uint64_t from, std::uint64_t to,
              std::size_t chunk_events)
      : log_(log), to_(to), chunk_events_(chunk_events), pending_(Start(from)) {}
  ~ChunkReader() {
    if (pending_.valid()) pending_.wait();
  }
  ChunkReader(const ChunkReader&) = delete;
  ChunkReader& operator=(const ChunkReader&) = delete;

  // The next chunk; empty at the end (and after).
  // The next chunk (empty at the end), valid until the next call. The previous chunk is
  // released on the reader's thread.
  Result<const std::vector<events::RecordedEvent>*> Next() {
    if (!pending_.valid()) {
      current_.clear();
      return &current_;
    }
    Chunk chunk = pending_.get();
    if (!chunk) return chunk.error();
    if (!chunk->empty()) pending_ = Start(chunk->back().envelope.position + 1, std::move(current_));
    current_ = std::move(*chunk);
    return &current_;
  }

 private:
  std::future<Chunk> Start(std::uint64_t start, std::vector<events::RecordedEvent> spent = {}) {
    return std::async(
        std::launch::async, [this, start, spent = std::move(spent)]() mutable -> Chunk {
          spent.clear();
          spent.shrink_to_fit();
          if (start > to_) return std::vector<events::RecordedEvent>();
          return log_->ReadRange(start, std::min<std::uint64_t>(chunk_events_, to_ - start + 1),
                                 events::ReadOptions{.reveal = true});
        });
  }

  const events::EventLog* log_;
  std::uint64_t to_;
  std::size_t chunk_events_;
  std::vector<events::RecordedEvent> current_;
  std::future<Chunk> pending_;
};

// Folds from the reader into memory only (the target is empty, so nothing needs reading),
// then writes every record once, serialised once, as sorted SST files ingested into the
// target's column family. Stops after the chunk that makes the cache hold `max_entries`
// entries, bounding memory; Replay goes on from there through RocksDB.
Result<std::uint64_t> BulkLoad(Generation& target, ChunkReader& reader, std::size_t max_entries,
                               std::uint64_t to, const ProgressFn& progress) {
  EmptyBackend empty;
  ViewCache views(&empty, FinalizeRecord, ViewCache::Memory::kArena);
  std::uint64_t folded = 0, last = 0;
  while (views.size() < max_entries) {
    auto events = reader.Next();
    if (!events) return events.error();
    if ((*events)->empty()) break;
    if (auto ok = FoldChunk(**events, views); !ok) return ok.error();
    last = (*events)->back().envelope.position;
    folded += (*events)->size();
    if (progress) progress({last, to});
  }
  if (folded == 0) return folded;
  WriteCheckpoint(views, last);
  if (auto ok = IngestSorted(target, views); !ok) return ok.error();
  return folded;
}

}  // namespace

// The writer's side: folds each group into the active generation inside the group's batch.
class Projections::Inline final : public events::InlineProjection {
 public:
  explicit Inline(Projections* owner) : owner_(owner) {}

  Result<void> Apply(std::span<const events::PendingEvent> events,
                     events::ProjectionContext& context) override {
    std::shared_ptr<const Generation> generation = owner_->active();
    if (!generation) {
      return MakeError(ErrorCode::kFailedPrecondition, "projections are not attached");
    }
    StagingBackend backend(&context, generation->cf());
    ViewCache views(&backend, FinalizeRecord, ViewCache::Memory::kArena);
    for (const auto& pending : events) {
      const events::Envelope& e = *pending.envelope;
      auto version =
          owner_->schemas_->Upcast(e.type, e.schema_version, *pending.payload, pending.personal);
      if (!version) return version.error();
      if (auto ok = Fold({e, *pending.payload, pending.personal}, views); !ok) return ok;
    }
    WriteCheckpoint(views, events.back().envelope->position);
    views.Flush();
    return {};
  }

 private:
  Projections* owner_;
};

Generation::~Generation() {
  if (drop_) {
    db_->DropColumnFamily(cf_);
  } else if (owned_) {  // (the handle itself goes with owned_, after this body)
    // Created in this session, so the store does not know it: flush it here so that a clean
    // close leaves no WAL to replay (events/store.cpp). Fails harmlessly when read-only.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    db_->Flush(flush, cf_);
  }
}

Projections::Projections(const events::SchemaRegistry* schemas)
    : schemas_(schemas ? schemas : &events::DefaultSchemaRegistry()),
      inline_(std::make_unique<Inline>(this)) {}

Projections::~Projections() = default;

events::InlineProjection* Projections::inline_projection() { return inline_.get(); }

std::shared_ptr<const Generation> Projections::active() const {
  MutexLock lock(mutex_);
  return active_;
}

std::uint64_t Projections::ActiveGenerationId() const {
  auto generation = active();
  return generation ? generation->id() : 0;
}

Result<std::shared_ptr<Generation>> Projections::OpenGeneration(std::uint64_t id, bool create) {
  const std::string name = format::GenerationCfName(id);
  if (auto* cf = events::StorageAccess::ColumnFamily(*log_, name)) {
    return std::make_shared<Generation>(events::StorageAccess::Db(*log_), id, cf);
  }
  if (!create) {
    return MakeError(ErrorCode::kNotFound, "projection generation " + name + " does not exist");
  }
  auto cf = events::StorageAccess::CreateColumnFamily(*log_, name);
  if (!cf) return cf.error();
  return std::make_shared<Generation>(events::StorageAccess::Db(*log_), id, std::move(*cf));
}

Result<void> Projections::DropStaleGenerations(std::uint64_t keep) {
  std::vector<std::string> names;
  auto status = rocksdb::DB::ListColumnFamilies(
      rocksdb::DBOptions(), events::StorageAccess::Db(*log_)->GetName(), &names);
  if (!status.ok()) return FromRocks(status, "ListColumnFamilies");
  for (const auto& name : names) {
    if (!name.starts_with(format::kViewsCfPrefix) || name == format::GenerationCfName(keep)) {
      continue;
    }
    if (auto* cf = events::StorageAccess::ColumnFamily(*log_, name)) {
      status = events::StorageAccess::Db(*log_)->DropColumnFamily(cf);
      if (!status.ok()) return FromRocks(status, "DropColumnFamily " + name);
    }
    // The log keeps the dropped handle under this name: Rebuild must not reuse the id.
    const std::string_view digits = std::string_view(name).substr(format::kViewsCfPrefix.size());
    std::uint64_t id = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), id);
    highest_generation_ = std::max(highest_generation_, id);
  }
  // SST files of a bulk load that was interrupted before its ingestion.
  std::error_code ec;
  const auto data_dir =
      std::filesystem::path(events::StorageAccess::Db(*log_)->GetName()).parent_path();
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
    if (entry.path().filename().string().starts_with(kBulkScratchPrefix)) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
  return {};
}

Result<void> Projections::SetActiveGeneration(std::uint64_t id) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto status = events::StorageAccess::Db(*log_)->Put(
      sync, events::StorageAccess::ColumnFamily(*log_, "meta"), format::kActiveGenerationKey,
      std::to_string(id));
  if (!status.ok()) return FromRocks(status, "Put active generation");
  return {};
}

Result<std::uint64_t> Projections::Checkpoint(const Generation& generation) const {
  std::string value;
  auto status = events::StorageAccess::Db(*log_)->Get(
      rocksdb::ReadOptions(), generation.cf(),
      format::Key(format::View::kCheckpoint, format::kCheckpointId), &value);
  if (status.IsNotFound()) return std::uint64_t{0};
  if (!status.ok()) return FromRocks(status, "Get checkpoint");
  if (value.size() != 8) return MakeError(ErrorCode::kCorruption, "bad projection checkpoint");
  return passledger::LoadU64BE(value.data());
}

// The record format a generation's views are written in: its '~' "format" entry, which
// builds before the binary format (record format 1, JSON) did not write.
Result<std::uint8_t> Projections::RecordFormat(const Generation& generation) const {
  std::string value;
  auto status = events::StorageAccess::Db(*log_)->Get(
      rocksdb::ReadOptions(), generation.cf(),
      format::Key(format::View::kCheckpoint, format::kFormatId), &value);
  if (status.IsNotFound()) return std::uint8_t{1};
  if (!status.ok()) return FromRocks(status, "Get view format");
  if (value.size() != 1) return MakeError(ErrorCode::kCorruption, "bad view format entry");
  return static_cast<std::uint8_t>(value[0]);
}

Result<void> Projections::Attach(events::EventLog* log, ProgressFn progress, NoticeFn notice) {
  log_ = log;
  std::string stored;
  auto status = events::StorageAccess::Db(*log)->Get(
      rocksdb::ReadOptions(), events::StorageAccess::ColumnFamily(*log, "meta"),
      format::kActiveGenerationKey, &stored);
  if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "Get active generation");
  const std::uint64_t id = status.IsNotFound() ? 1 : std::stoull(stored);
  auto generation = OpenGeneration(id, /*create=*/!log->read_only());
  if (!generation) return generation.error();
  auto checkpoint = Checkpoint(**generation);
  if (!checkpoint) return checkpoint.error();
  auto record_format = RecordFormat(**generation);
  if (!record_format) return record_format.error();
  const bool stale = *checkpoint > 0 && *record_format != codec::kRecordFormat;
  const std::string stale_text = "the views (" + format::GenerationCfName(id) +
                                 ") are in record format " + std::to_string(*record_format) +
                                 "; this build reads format " +
                                 std::to_string(codec::kRecordFormat);
  if (log->read_only()) {
    if (stale) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       stale_text +
                           ": open the data directory for writing once (`passledger "
                           "rebuild`, or any command that writes) to rebuild them");
    }
    MutexLock lock(mutex_);
    active_ = std::move(*generation);
    return {};
  }
  if (status.IsNotFound()) {
    if (auto ok = SetActiveGeneration(id); !ok) return ok;
  }
  if (auto ok = DropStaleGenerations(id); !ok) return ok;
  if (stale) {
    // Blue/green, as any rebuild: the old generation serves nobody yet and is dropped after
    // the switch; the event log is read, not changed.
    if (notice) notice(stale_text + ": rebuilding them from the event log");
    {
      MutexLock lock(mutex_);
      active_ = std::move(*generation);
    }
    auto rebuilt = Rebuild(std::move(progress));
    if (!rebuilt) return rebuilt.error();
    if (notice) {
      notice("views rebuilt in record format " + std::to_string(codec::kRecordFormat) + " (" +
             format::GenerationCfName(rebuilt->generation) +
             "): " + std::to_string(rebuilt->events) + " events in " +
             std::to_string(static_cast<std::int64_t>(rebuilt->seconds * 1000)) + " ms");
    }
    return {};
  }
  const std::uint64_t head = log->GetHead().position;
  if (*checkpoint > head) {
    return MakeError(ErrorCode::kCorruption, "the projection views are at position " +
                                                 std::to_string(*checkpoint) +
                                                 ", past the log's head " + std::to_string(head) +
                                                 "; run `passledger rebuild`");
  }
  if (*checkpoint < head) {
    auto folded = Replay(**generation, *checkpoint + 1, head, progress);
    if (!folded) return folded.error();
    // Replay wrote without the WAL: make the views durable before the writer's logged batches
    // (with later checkpoints) go on top, or a crash would keep those and lose these.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    auto flushed = events::StorageAccess::Db(*log)->Flush(flush, (*generation)->cf());
    if (!flushed.ok()) return FromRocks(flushed, "Flush views");
  }
  MutexLock lock(mutex_);
  active_ = std::move(*generation);
  return {};
}

// Folds positions [from, to] into `target`, in chunks written without the WAL (the caller
// flushes the column family before relying on it). From position 1 (an empty target) the
// first part is a bulk load (BulkLoad); the rest reads and writes through RocksDB, keeping
// folded records cached between chunks (the target generation is private to this replay, so
// nothing else changes them).
Result<std::uint64_t> Projections::Replay(Generation& target, std::uint64_t from, std::uint64_t to,
                                          const ProgressFn& progress) {
  constexpr std::size_t kCachedRecords = 400'000;
  ChunkReader reader(log_, from, to, tuning_.chunk_events);
  std::uint64_t folded = 0;
  if (from == 1) {
    auto bulk = BulkLoad(target, reader, tuning_.bulk_entries, to, progress);
    if (!bulk) return bulk.error();
    folded = *bulk;
  }
  rocksdb::WriteOptions no_wal;
  no_wal.disableWAL = true;
  rocksdb::WriteBatch batch;
  RocksDbBackend backend(target.db(), target.cf(), &batch);
  ViewCache views(&backend, FinalizeRecord);
  for (;;) {
    auto events = reader.Next();
    if (!events) return events.error();
    if ((*events)->empty()) break;
    if (auto ok = FoldChunk(**events, views); !ok) return ok.error();
    const std::uint64_t last = (*events)->back().envelope.position;
    folded += (*events)->size();
    WriteCheckpoint(views, last);
    views.Flush(kCachedRecords);
    auto status = target.db()->Write(no_wal, &batch);
    batch.Clear();
    if (!status.ok()) return FromRocks(status, "Write (rebuild)");
    if (progress) progress({last, to});
  }
  return folded;
}

Result<RebuildReport> Projections::Rebuild(ProgressFn progress) {
  std::lock_guard rebuild_lock(rebuild_mutex_);
  if (!log_ || log_->read_only()) {
    return MakeError(ErrorCode::kFailedPrecondition, "rebuild needs the log open for writing");
  }
  const auto start = std::chrono::steady_clock::now();
  // A fresh id: not one whose column family was dropped, or left by a failed rebuild.
  const std::uint64_t id = std::max(active()->id(), highest_generation_) + 1;
  highest_generation_ = id;
  auto created = OpenGeneration(id, /*create=*/true);
  if (!created) return created.error();
  std::shared_ptr<Generation> next = std::move(*created);
  RebuildReport report;
  report.generation = id;
  std::uint64_t done = 0;
  // Phase 1: chase the head while appends go on.
  for (;;) {
    const std::uint64_t head = log_->GetHead().position;
    if (head - done <= kCatchUpSlack) break;
    auto folded = Replay(*next, done + 1, head, progress);
    if (!folded) return folded.error();
    report.events += *folded;
    done = head;
  }
  // Phase 2: commits paused, fold the rest, make it durable, switch.
  {
    auto pause = log_->PauseCommits();
    const std::uint64_t head = log_->GetHead().position;
    auto folded = Replay(*next, done + 1, head, progress);
    if (!folded) return folded.error();
    report.events += *folded;
    rocksdb::FlushOptions flush;
    flush.wait = true;
    auto status = events::StorageAccess::Db(*log_)->Flush(flush, next->cf());
    if (!status.ok()) return FromRocks(status, "Flush new generation");
    if (auto ok = SetActiveGeneration(id); !ok) return ok.error();
    MutexLock lock(mutex_);
    active_->DropWhenReleased();
    active_ = std::move(next);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Result<Projections::ForgetOutcome> Projections::Forget(std::string_view subject,
                                                       std::string_view stream,
                                                       std::string_view actor,
                                                       std::string_view reason) {
  if (!log_) return MakeError(ErrorCode::kFailedPrecondition, "projections not attached");
  ForgetOutcome outcome;
  auto forgotten = log_->Forget(subject, stream, actor, reason);
  if (forgotten) {
    outcome.position = forgotten->last_position;
  } else if (forgotten.error().code == ErrorCode::kNotFound) {
    auto already = log_->IsForgotten(subject);
    if (!already) return already.error();
    if (!*already) return forgotten.error();
    outcome.already_forgotten = true;
  } else {
    return forgotten.error();
  }
  if (auto ok = PurgeForgotten(subject); !ok) return ok.error();
  return outcome;
}

namespace {

// The serials a member record lists (kept after forgetting); none without a record.
Result<std::vector<std::string>> MemberSerials(const Generation& generation,
                                               std::string_view membership_id) {
  std::string value;
  auto status = generation.db()->Get(rocksdb::ReadOptions(), generation.cf(),
                                     format::Key(format::View::kMembers, membership_id), &value);
  if (status.IsNotFound()) return std::vector<std::string>();
  if (!status.ok()) return FromRocks(status, "Get member");
  auto record = codec::DecodeMember(membership_id, value);
  if (!record) return record.error();
  return std::move(record->serials);
}

}  // namespace

Result<void> Projections::PurgeForgotten(std::string_view subject) {
  auto generation = active();
  if (!generation || !log_) {
    return MakeError(ErrorCode::kFailedPrecondition, "projections not attached");
  }
  rocksdb::DB* db = generation->db();
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (auto status = db->Flush(flush, generation->cf()); !status.ok()) {
    return FromRocks(status, "Flush views");
  }
  // After the views: the log's flush of every column family makes the WAL that held the
  // views' former writes obsolete.
  if (auto ok = log_->PurgeForgottenKey(subject); !ok) return ok.error();
  // Key ranges [begin, end) to compact. The search index is compacted whole: its former keys
  // for the subject are not known any more, and range bounds name only view tags (RocksDB
  // may log the bounds of a manual compaction).
  std::vector<std::pair<std::string, std::string>> ranges;
  auto exact = [&](std::string key) {
    std::string end = key + '\0';
    ranges.emplace_back(std::move(key), std::move(end));
  };
  constexpr std::string_view kStaffPrefix = "staff:";
  if (subject.starts_with(kStaffPrefix)) {
    exact(format::Key(format::View::kStaff, subject.substr(kStaffPrefix.size())));
  } else {
    exact(format::Key(format::View::kMembers, subject));
    auto serials = MemberSerials(*generation, subject);
    if (!serials) return serials.error();
    for (const auto& serial : *serials) exact(format::Key(format::View::kPasses, serial));
    const char search = static_cast<char>(format::View::kMemberSearch);
    ranges.emplace_back(std::string(1, search), std::string(1, static_cast<char>(search + 1)));
  }
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (const auto& [begin, end] : ranges) {
    rocksdb::Slice begin_slice(begin), end_slice(end);
    auto status = db->CompactRange(compact, generation->cf(), &begin_slice, &end_slice);
    if (!status.ok()) return FromRocks(status, "CompactRange views");
  }
  return {};
}

void DigestBuilder::Add(std::string_view key, std::string_view value) {
  const std::string view = ViewOf(key);
  std::string entry;
  passledger::PutU64BE(&entry, key.size());
  entry.append(key);
  passledger::PutU64BE(&entry, value.size());
  entry.append(value);
  std::string& running = hashes_[view];
  const passledger::Hash next = passledger::Sha256(running, entry);
  running.assign(reinterpret_cast<const char*>(next.data()), next.size());
  ++counts_[view];
}

ViewDigests DigestBuilder::Finish() {
  ViewDigests out;
  for (auto view : format::kAllViews) {
    const std::string name(format::ViewName(view));
    auto it = hashes_.find(name);
    out[name] = it == hashes_.end() ? "empty"
                                    : passledger::ToHex(it->second) + " (" +
                                          std::to_string(counts_[name]) + " entries)";
  }
  return out;
}

Result<ViewDigests> Projections::LiveDigests() const {
  auto generation = active();
  if (!generation) return MakeError(ErrorCode::kFailedPrecondition, "projections not attached");
  const events::ScopedSnapshot snapshot(generation->db());
  DigestBuilder digests;
  auto ok = ForEachEntry(generation->db(), generation->cf(), snapshot.get(),
                         [&](std::string_view k, std::string_view v) { digests.Add(k, v); });
  if (!ok) return ok.error();
  return digests.Finish();
}

Result<VerifyViewsReport> Projections::VerifyAgainstReplay(ProgressFn progress) const {
  constexpr std::size_t kMaxDifferences = 10;
  auto generation = active();
  if (!generation) return MakeError(ErrorCode::kFailedPrecondition, "projections not attached");
  rocksdb::DB* db = generation->db();
  const events::ScopedSnapshot scoped(db);
  const rocksdb::Snapshot* snapshot = scoped.get();

  VerifyViewsReport report;
  {
    std::string value;
    rocksdb::ReadOptions read;
    read.snapshot = snapshot;
    auto status = db->Get(read, generation->cf(),
                          format::Key(format::View::kCheckpoint, format::kCheckpointId), &value);
    if (status.ok() && value.size() == 8) report.position = passledger::LoadU64BE(value.data());
  }
  // The replay side, in memory.
  MemoryBackend scratch;
  ChunkReader reader(log_, 1, report.position, tuning_.chunk_events);
  for (;;) {
    auto events = reader.Next();
    if (!events) return events.error();
    if ((*events)->empty()) break;
    ViewCache views(&scratch, FinalizeRecord);
    if (auto ok = FoldChunk(**events, views); !ok) return ok.error();
    const std::uint64_t last = (*events)->back().envelope.position;
    WriteCheckpoint(views, last);
    views.Flush();
    if (progress) progress({last, report.position});
  }
  // Merge-walk both sides in key order.
  DigestBuilder live, replay;
  for (const auto& [k, v] : scratch.data()) replay.Add(k, v);
  auto it = scratch.data().begin();
  const auto end = scratch.data().end();
  // nullopt: the side has no entry at `key`.
  using Side = std::optional<std::string_view>;
  auto differ = [&](std::string_view key, Side a, Side b) {
    if (report.differences.size() < kMaxDifferences) {
      auto describe = [&](Side v) { return v ? DescribeValue(key, *v) : std::string("(absent)"); };
      report.differences.push_back({ViewOf(key), Printable(key), describe(a), describe(b)});
    }
  };
  auto walked =
      ForEachEntry(db, generation->cf(), snapshot, [&](std::string_view k, std::string_view v) {
        live.Add(k, v);
        while (it != end && it->first < k) {
          differ(it->first, std::nullopt, it->second);
          ++it;
        }
        if (it != end && it->first == k) {
          if (it->second != v) differ(k, v, it->second);
          ++it;
        } else {
          differ(k, v, std::nullopt);
        }
      });
  if (!walked) return walked.error();
  for (; it != end; ++it) differ(it->first, std::nullopt, it->second);
  report.live = live.Finish();
  report.replay = replay.Finish();
  return report;
}

}  // namespace passledger::projections

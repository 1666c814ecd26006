#include "events/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <set>

#include "events/storage_format.h"

namespace passledger::events {
namespace {

// Every column family but the two that are only scanned in key order is read by key (stream
// heads, dedup, subject keys, meta, the projection views): Bloom filters in the tables and in
// the memtable answer most lookups of absent keys without searching.
bool IsPointLookupCf(std::string_view name) {
  return name != format::kCfLog && name != format::kCfStreams;
}

// The column families the event log itself owns; others (the projection generations) are
// added by their owners.
const std::set<std::string, std::less<>>& LogCfs() {
  static const std::set<std::string, std::less<>> names = {
      rocksdb::kDefaultColumnFamilyName, std::string(format::kCfLog),
      std::string(format::kCfStreams),   std::string(format::kCfStreamHeads),
      std::string(format::kCfDedup),     std::string(format::kCfSubjectKeys),
      std::string(format::kCfMeta)};
  return names;
}

// The log and every column family the log does not own (the projection generations).
bool IsBulkCf(std::string_view name) { return name == format::kCfLog || !LogCfs().contains(name); }

rocksdb::ColumnFamilyOptions CfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                       std::string_view name) {
  const bool point_lookups = IsPointLookupCf(name);
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = 16 * 1024;
  // Index and filter blocks stay with their table readers, outside the block cache: a cache
  // filled by data blocks would otherwise evict them, and every lookup of an absent key (each
  // new member, pass, stream) would read a whole filter block back from its file. They take
  // roughly 1.3 bytes per key plus 2 MB per GB of data.
  table.cache_index_and_filter_blocks = false;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kLZ4Compression;
  cf.write_buffer_size = 64 << 20;
  if (IsBulkCf(name)) {
    // The log and the projection views take nearly all the bytes (a 1,000,000-row import
    // writes ~0.8 GB to each). Larger memtables and a larger level 1 mean fewer, larger
    // flushes and fewer compactions rewriting the views' scattered keys; a million-row import
    // spent a third of its CPU time compacting with the defaults (docs/PERFORMANCE.md).
    cf.write_buffer_size = 128 << 20;
    cf.max_bytes_for_level_base = 1ull << 30;
    cf.target_file_size_base = 128 << 20;
  }
  if (point_lookups) {
    cf.memtable_prefix_bloom_size_ratio = 0.02;
    cf.memtable_whole_key_filtering = true;
  }
  // Insert hints: the memtable remembers where the last key of each prefix went and starts
  // the next insert of that prefix there instead of at the top of the skiplist. Log positions
  // only grow (one empty prefix); elsewhere the first byte separates the kinds of keys (view
  // tags, "member-"/"pass-" streams), and the writers put each batch's keys in ascending
  // order, so most inserts land right after the previous one.
  const std::size_t hint_prefix = name == format::kCfLog ? 0 : 1;
  cf.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(hint_prefix));
  return cf;
}

rocksdb::DBOptions DbOptions(bool create) {
  rocksdb::DBOptions db;
  db.create_if_missing = create;
  db.create_missing_column_families = create;
  db.max_background_jobs = 2;
  db.bytes_per_sync = 1 << 20;
  db.keep_log_file_num = 4;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Past this much WAL, RocksDB flushes the column families holding its oldest part: kept
  // well above the write buffers so that the small index CFs are not flushed into tiny
  // files over and over. Bounds the WAL replayed after a crash.
  db.max_total_wal_size = 1ull << 30;
  // One writer thread: concurrent memtable inserts buy nothing and would disable insert hints.
  db.allow_concurrent_memtable_write = false;
  return db;
}

}  // namespace

Error FromRocks(const rocksdb::Status& status, std::string_view what) {
  ErrorCode code = ErrorCode::kInternal;
  if (status.IsCorruption()) code = ErrorCode::kCorruption;
  if (status.IsIOError() || status.IsBusy() || status.IsTimedOut() || status.IsNoSpace()) {
    code = ErrorCode::kUnavailable;
  }
  if (status.IsNotFound()) code = ErrorCode::kNotFound;
  return MakeError(code, "RocksDB " + std::string(what) + ": " + status.ToString());
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path, bool read_only,
                                           const std::vector<std::string>& extra,
                                           std::size_t block_cache_bytes, int max_open_files) {
  const bool create = !read_only;
  rocksdb::DBOptions db_options = DbOptions(create);
  db_options.max_open_files = max_open_files;
  std::set<std::string, std::less<>> names = LogCfs();
  names.insert(extra.begin(), extra.end());
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, path.string(), &existing).ok()) {
    names.insert(existing.begin(), existing.end());
  } else if (read_only) {
    return MakeError(ErrorCode::kNotFound, "no database at " + path.string());
  }

  auto store = std::unique_ptr<Store>(new Store());
  auto cache = rocksdb::NewLRUCache(block_cache_bytes);
  store->cache_ = cache;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, CfOptions(cache, name));

  store->read_only = read_only;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path.string(), descriptors,
                                               &store->handles_, &raw)
                : rocksdb::DB::Open(db_options, path.string(), descriptors, &store->handles_, &raw);
  if (!status.ok()) return FromRocks(status, "open " + path.string());
  store->db_.reset(raw);
  for (auto* handle : store->handles_) store->by_name_[handle->GetName()] = handle;
  store->log = store->cf(format::kCfLog);
  store->streams = store->cf(format::kCfStreams);
  store->stream_heads = store->cf(format::kCfStreamHeads);
  store->dedup = store->cf(format::kCfDedup);
  store->subject_keys = store->cf(format::kCfSubjectKeys);
  store->meta = store->cf(format::kCfMeta);
  if (!store->log || !store->streams || !store->stream_heads || !store->dedup ||
      !store->subject_keys || !store->meta) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "database at " + path.string() + " lacks the event log's column families");
  }
  return store;
}

Store::~Store() {
  if (!db_) return;
  if (!read_only) {
    // A clean close leaves no WAL to replay: the next open (the server after a restart, the
    // next CLI command) would otherwise re-insert up to max_total_wal_size of it first.
    rocksdb::FlushOptions flush;
    flush.wait = true;
    (void)FlushOpened(flush);  // best effort: the WAL still has everything
  }
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  handles_.clear();
  db_->Close();
}

rocksdb::Status Store::FlushOpened(const rocksdb::FlushOptions& options) const {
  for (auto* handle : handles_) {
    const rocksdb::Status status = db_->Flush(options, handle);
    if (!status.ok() && !status.IsColumnFamilyDropped()) return status;
  }
  return rocksdb::Status::OK();
}

Result<rocksdb::ColumnFamilyHandle*> Store::CreateColumnFamily(const std::string& name) {
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  auto status = db_->CreateColumnFamily(CfOptions(cache_, name), name, &handle);
  if (!status.ok()) return FromRocks(status, "CreateColumnFamily " + name);
  return handle;
}

rocksdb::ColumnFamilyHandle* Store::cf(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace passledger::events

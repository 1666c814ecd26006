#include "events/storage_reference.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <string>
#include <thread>

#include "base/bytes.h"
#include "events/storage_access.h"
#include "events/store.h"

namespace passledger::events {
namespace {

using WallClock = std::chrono::steady_clock;

double SecondsSince(WallClock::time_point start) {
  return std::chrono::duration<double>(WallClock::now() - start).count();
}

rocksdb::Options ReferenceOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  return options;
}

Result<std::unique_ptr<rocksdb::DB>> OpenReference(const std::filesystem::path& dir) {
  rocksdb::DB* raw = nullptr;
  const auto status = rocksdb::DB::Open(ReferenceOptions(), dir.string(), &raw);
  if (!status.ok()) return FromRocks(status, "open " + dir.string());
  return std::unique_ptr<rocksdb::DB>(raw);
}

}  // namespace

Result<ReferenceFigures> BatchedWriteReference(const std::filesystem::path& scratch,
                                               std::uint64_t count, std::size_t value_bytes) {
  const auto start = WallClock::now();
  std::filesystem::remove_all(scratch);
  auto db = OpenReference(scratch);
  if (!db) return db.error();
  const std::string value(value_bytes, 'v');
  rocksdb::WriteBatch batch;
  for (std::uint64_t i = 0; i < count; ++i) {
    batch.Put(U64BE(i * 2654435761u % count), value);
    if (batch.Count() == 1000 || i + 1 == count) {
      const auto status = (*db)->Write(rocksdb::WriteOptions(), &batch);
      if (!status.ok()) return FromRocks(status, "write");
      batch.Clear();
    }
  }
  if (const auto status = (*db)->Close(); !status.ok()) return FromRocks(status, "close");
  ReferenceFigures figures{count, count * value_bytes, SecondsSince(start)};
  db->reset();
  std::filesystem::remove_all(scratch);
  return figures;
}

Result<ReferenceFigures> ScanLogReference(const EventLog& log) {
  const auto start = WallClock::now();
  rocksdb::ReadOptions read;
  read.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(
      StorageAccess::Db(log)->NewIterator(read, StorageAccess::ColumnFamily(log, "log")));
  ReferenceFigures figures;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    figures.bytes += it->value().size();
    ++figures.keys;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan of the log");
  figures.seconds = SecondsSince(start);
  return figures;
}

double WaitForBackgroundWork(const EventLog& log, std::chrono::seconds limit) {
  rocksdb::DB* db = StorageAccess::Db(log);
  const auto start = WallClock::now();
  auto busy = [db] {
    std::uint64_t value = 0;
    for (const char* property : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                                 "rocksdb.mem-table-flush-pending", "rocksdb.compaction-pending"}) {
      if (db->GetAggregatedIntProperty(property, &value) && value > 0) return true;
    }
    return false;
  };
  while (busy() && WallClock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return SecondsSince(start);
}

struct ReferenceDb::Impl {
  std::unique_ptr<rocksdb::DB> db;
};

ReferenceDb::ReferenceDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReferenceDb::ReferenceDb(ReferenceDb&&) noexcept = default;
ReferenceDb& ReferenceDb::operator=(ReferenceDb&&) noexcept = default;

ReferenceDb::~ReferenceDb() {
  if (impl_ && impl_->db) impl_->db->Close().PermitUncheckedError();
}

Result<ReferenceDb> ReferenceDb::Open(const std::filesystem::path& dir) {
  auto db = OpenReference(dir);
  if (!db) return db.error();
  return ReferenceDb(std::make_unique<Impl>(Impl{std::move(*db)}));
}

Result<void> ReferenceDb::Write(std::uint64_t first_key, std::size_t count, std::string_view value,
                                bool sync) const {
  rocksdb::WriteBatch batch;
  for (std::size_t i = 0; i < count; ++i) {
    batch.Put(U64BE(first_key + i), rocksdb::Slice(value.data(), value.size()));
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  const auto status = impl_->db->Write(options, &batch);
  if (!status.ok()) return FromRocks(status, "write");
  return {};
}

}  // namespace passledger::events

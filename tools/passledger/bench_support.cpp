#include "tools/passledger/bench_support.h"

#include <fmt/core.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "base/bytes.h"

namespace passledger::tools {

double SecondsSince(BenchClock::time_point start) {
  return std::chrono::duration<double>(BenchClock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::filesystem::path BenchScratchDir(const std::string& dir, std::string_view name) {
  if (!dir.empty()) return dir;
  return std::filesystem::temp_directory_path() /
         fmt::format("passledger-bench-{}-{}", name, ::getpid());
}

Result<double> RawBatchedWriteSeconds(const std::filesystem::path& scratch, std::uint64_t count,
                                      std::size_t value_bytes) {
  const auto start = BenchClock::now();
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kLZ4Compression;
  std::filesystem::remove_all(scratch);
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(options, scratch.string(), &raw);
  if (!status.ok()) return MakeError(ErrorCode::kUnavailable, status.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string value(value_bytes, 'v');
  rocksdb::WriteBatch batch;
  for (std::uint64_t i = 0; i < count; ++i) {
    batch.Put(passledger::U64BE(i * 2654435761u % count), value);
    if (batch.Count() == 1000 || i + 1 == count) {
      status = db->Write(rocksdb::WriteOptions(), &batch);
      if (!status.ok()) return MakeError(ErrorCode::kUnavailable, status.ToString());
      batch.Clear();
    }
  }
  db->Close();
  const double seconds = SecondsSince(start);
  db.reset();
  std::filesystem::remove_all(scratch);
  return seconds;
}

double WaitForBackgroundWork(rocksdb::DB* db, std::chrono::seconds limit) {
  const auto start = BenchClock::now();
  auto busy = [db] {
    std::uint64_t value = 0;
    for (const char* property : {"rocksdb.num-running-compactions", "rocksdb.num-running-flushes",
                                 "rocksdb.mem-table-flush-pending", "rocksdb.compaction-pending"}) {
      if (db->GetAggregatedIntProperty(property, &value) && value > 0) return true;
    }
    return false;
  };
  while (busy() && BenchClock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return SecondsSince(start);
}

}  // namespace passledger::tools

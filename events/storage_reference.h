// Raw RocksDB reference figures for the benchmarks (`passledger bench …`): what the database
// alone does for the work being measured, in the same run and on the same disk, so a
// benchmark reports "ours at N % of raw". The database is events' business
// (docs/ARCHITECTURE.md), so the raw work lives here and this header names no RocksDB type.
//
// Every reference database is opened as the log's own defaults would be for a plain store:
// create_if_missing, LZ4 compression, nothing else tuned.
//
// Thread-safety: the functions may be called from any thread; a ReferenceDb may be written
// from many threads at once (as rocksdb::DB).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"

namespace passledger::events {

// What one reference measurement did.
struct ReferenceFigures {
  std::uint64_t keys = 0;   // keys written or records read
  std::uint64_t bytes = 0;  // value bytes written or read
  double seconds = 0;       // wall time, as each function says
  double KeysPerSecond() const { return seconds > 0 ? static_cast<double>(keys) / seconds : 0; }
};

// Writes `count` keys (u64be, in a scattered order) with `value_bytes`-byte values into a new
// database at `scratch`, unsynced, 1,000 per batch. `seconds` includes opening and closing.
// `scratch` is removed before and after.
[[nodiscard]] Result<ReferenceFigures> BatchedWriteReference(const std::filesystem::path& scratch,
                                                             std::uint64_t count,
                                                             std::size_t value_bytes);

// Reads every value of `log`'s log column family in key order (2 MiB readahead), as a full
// verify or replay must; `seconds` is the scan alone.
[[nodiscard]] Result<ReferenceFigures> ScanLogReference(const EventLog& log);

// Waits until `log`'s database has no flush or compaction running or pending (at most
// `limit`), so that a benchmark phase does not pay for the background work of the one
// before. Returns the seconds waited.
double WaitForBackgroundWork(const EventLog& log, std::chrono::seconds limit);

// A scratch database for the synced-write reference of `bench append`: callers time their
// own loop of Write calls, so ours and raw run under the same harness.
class ReferenceDb {
 public:
  // Creates or opens the database at `dir`.
  [[nodiscard]] static Result<ReferenceDb> Open(const std::filesystem::path& dir);

  ReferenceDb(ReferenceDb&&) noexcept;
  ReferenceDb& operator=(ReferenceDb&&) noexcept;
  ~ReferenceDb();  // closes the database

  // Writes keys first_key .. first_key+count-1 (u64be), each with `value`, in one batch;
  // synced (fdatasync before it returns) when `sync`.
  [[nodiscard]] Result<void> Write(std::uint64_t first_key, std::size_t count,
                                   std::string_view value, bool sync) const;

 private:
  struct Impl;
  explicit ReferenceDb(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passledger::events

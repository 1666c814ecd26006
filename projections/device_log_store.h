// DeviceLogStore: the lines devices send to POST /v1/log, kept outside the event log in a
// bounded ring (docs/STORAGE.md, "Device logs"). They are debugging aids, not history: they
// are not hash-chained, not sealed and not kept for ever. The ring holds at most
// `budget_bytes` of records (keys and values as written); appending past it drops the
// oldest records first.
//
// Storage: the column family "device_logs" of the log's database, created on first use by a
// writable log. Keys: 'r' u64be sequence -> record JSON {"at": Unix ms, "client": text,
// "device": text, "lines": [text, ...]}; 'm' -> {"first", "next", "bytes"}, written in the
// same batch as every change. Writes are not synced on their own (a crash may lose the last
// few records; the next synced log commit makes them durable).
//
// Thread-safety: Append and Scan may be called from any thread. The store borrows the log's
// database and must be destroyed before the EventLog.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"

namespace passledger::projections {

inline constexpr std::string_view kDeviceLogsColumnFamily = "device_logs";

struct DeviceLogRecord {
  std::uint64_t sequence = 0;  // set by Append: 1, 2, ... in arrival order
  std::int64_t at_ms = 0;      // when it was received, Unix milliseconds
  std::string client;          // what is known of the sender (a keyed hash of its network)
  std::string device;          // the device library id when known; empty otherwise
  std::vector<std::string> lines;
};

struct DeviceLogQuery {
  std::string device;                // empty: any
  std::string client;                // empty: any
  std::int64_t since_ms = 0;         // records received at or after this
  std::size_t limit = 1000;          // records at most
  std::uint64_t after_sequence = 0;  // records after this one (a page's last_scanned)
  std::size_t max_scanned = static_cast<std::size_t>(-1);  // records read at most
};

// Where a Scan stopped: the last record it read (matching or not; 0 when none), and whether
// it stopped because it read max_scanned records.
struct DeviceLogScan {
  std::uint64_t last_scanned = 0;
  std::size_t read = 0;  // records read
  bool capped = false;
};

struct DeviceLogStats {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint64_t dropped = 0;  // records dropped to stay in budget, since the ring began
};

class DeviceLogStore {
 public:
  // On a read-only log whose database has no device_logs column family yet, the store is
  // empty and Append fails. REQUIRES: budget_bytes >= 1.
  static Result<std::unique_ptr<DeviceLogStore>> Open(events::EventLog* log,
                                                      std::uint64_t budget_bytes);
  ~DeviceLogStore();
  DeviceLogStore(const DeviceLogStore&) = delete;
  DeviceLogStore& operator=(const DeviceLogStore&) = delete;

  // Stores `record` (its sequence is assigned) and drops the oldest records that no longer
  // fit; kTooLarge for a record larger than the whole budget.
  Result<std::uint64_t> Append(DeviceLogRecord record);

  // The records matching `query`, oldest first, until `fn` returns false or the limit.
  Result<void> Scan(const DeviceLogQuery& query,
                    const std::function<bool(const DeviceLogRecord&)>& fn) const;
  // The same, saying where it stopped: a bounded page (max_scanned) goes on from there.
  Result<DeviceLogScan> ScanPage(const DeviceLogQuery& query,
                                 const std::function<bool(const DeviceLogRecord&)>& fn) const;

  DeviceLogStats Stats() const;
  std::uint64_t budget_bytes() const { return budget_bytes_; }

 private:
  struct Ring {
    std::uint64_t first = 1;  // oldest sequence kept
    std::uint64_t next = 1;   // sequence of the next record
    std::uint64_t bytes = 0;
    std::uint64_t dropped = 0;
  };

  struct Column;  // the column family's handle (device_log_store.cpp: RocksDB stays inside)
  DeviceLogStore(events::EventLog* log, std::unique_ptr<Column> column, std::uint64_t budget_bytes,
                 Ring ring);

  // Constant after construction.
  events::EventLog* const log_;
  const std::unique_ptr<Column> column_;  // its handle is null: nothing stored yet (read-only)
  const std::uint64_t budget_bytes_;

  mutable Mutex mutex_;
  Ring ring_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::projections

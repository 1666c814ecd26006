// SideColumn: a column family of the log's database that lives beside the event log, not in
// its hash chain (the device log ring, the staff sessions): the one the log opened, or one
// created now when the log is writable. Internal to projections/ (it names RocksDB types).
#pragma once

#include <rocksdb/db.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"
#include "events/storage_access.h"

namespace passledger::projections {

struct SideColumn {
  rocksdb::ColumnFamilyHandle* cf = nullptr;  // null: none yet, and the log is read-only
  events::OwnedColumnFamily owned;            // set when created here: destroyed with this
};

// Fills `out` with the column family `name` of `log`, creating it on a writable log.
inline Result<void> OpenSideColumn(events::EventLog* log, std::string_view name, SideColumn* out) {
  out->cf = events::StorageAccess::ColumnFamily(*log, name);
  if (out->cf != nullptr || log->read_only()) return {};
  auto created = events::StorageAccess::CreateColumnFamily(*log, std::string(name));
  if (!created) return created.error();
  out->owned = std::move(*created);
  out->cf = out->owned.get();
  return {};
}

}  // namespace passledger::projections

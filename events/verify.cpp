// EventLog::Verify: walks the log column family through a ChainVerifier.
#include <rocksdb/db.h>

#include "base/bytes.h"
#include "events/chain_verifier.h"
#include "events/event_log.h"
#include "events/scoped_snapshot.h"
#include "events/store.h"
#include "events/storage_access.h"

namespace passledger::events {
namespace {

// The hash chained before `from`: genesis for 1, else the stored hash of from - 1.
Result<Hash> HashBefore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log,
                        const rocksdb::ReadOptions& read, std::uint64_t from) {
  if (from <= 1) return GenesisHash();
  std::string record;
  auto status = db->Get(read, log, U64BE(from - 1), &record);
  if (status.IsNotFound()) {
    return MakeError(ErrorCode::kCorruption,
                     "position " + std::to_string(from - 1) + " is missing");
  }
  if (!status.ok()) return FromRocks(status, "Get log");
  auto view = ViewRecord(record);
  if (!view) return view.error();
  return view->stored_hash;
}

// The head the writer recorded with its last batch.
std::optional<std::uint64_t> RecordedHead(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
                                          const rocksdb::ReadOptions& read) {
  std::string value;
  if (!db->Get(read, meta, "head", &value).ok() || value.size() < 8) return std::nullopt;
  return LoadU64BE(value.data());
}

}  // namespace

Result<VerifyReport> EventLog::Verify(std::uint64_t from, std::uint64_t to) const {
  rocksdb::DB* db = StorageAccess::Db(*this);
  rocksdb::ColumnFamilyHandle* log = StorageAccess::ColumnFamily(*this, "log");
  const ScopedSnapshot snapshot(db);
  rocksdb::ReadOptions read = snapshot.options();
  read.readahead_size = 2 << 20;
  read.verify_checksums = true;
  from = std::max<std::uint64_t>(from, 1);

  VerifyReport report;
  auto prev = HashBefore(db, log, read, from);
  if (!prev) {
    report.first_bad = from - 1;
    report.problem = prev.error().message;
    return report;
  }
  ChainVerifier verifier(from, *prev);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, log));
  for (it->Seek(U64BE(from)); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() != 8) {
      report.first_bad = verifier.last_position() + 1;
      report.problem = "log key of " + std::to_string(key.size()) + " bytes";
      return report;
    }
    const std::uint64_t position = LoadU64BE(key.data());
    if (to != 0 && position > to) break;
    if (!verifier.Feed(position, it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterate log");
  const std::optional<std::uint64_t> recorded = RecordedHead(db, StorageAccess::ColumnFamily(*this, "meta"), read);
  std::optional<std::uint64_t> expected_last = recorded;
  if (to != 0) expected_last = recorded ? std::min(*recorded, to) : to;
  if (verifier.Finish(expected_last) && to == 0 && recorded &&
      verifier.last_position() > *recorded) {
    report.first_bad = *recorded + 1;
    report.problem = "the log continues past its recorded head " + std::to_string(*recorded) +
                     " (events inserted?)";
    report.checked = verifier.checked();
    return report;
  }
  report.checked = verifier.checked();
  report.first_bad = verifier.first_bad();
  report.problem = verifier.problem();
  report.head = Head{verifier.last_position(), verifier.last_hash()};
  return report;
}

}  // namespace passledger::events

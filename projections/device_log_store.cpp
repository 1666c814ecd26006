#include "projections/device_log_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/bytes.h"
#include "events/scoped_snapshot.h"
#include "events/storage_access.h"
#include "projections/side_column.h"

namespace passledger::projections {

struct DeviceLogStore::Column : SideColumn {};

namespace {

constexpr char kRecordTag = 'r';
constexpr std::string_view kRingKey = "m";

Error FromRocks(const rocksdb::Status& status, std::string_view what) {
  return MakeError(status.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kUnavailable,
                   "RocksDB " + std::string(what) + " (device logs): " + status.ToString());
}

std::string RecordKey(std::uint64_t sequence) {
  std::string key(1, kRecordTag);
  passledger::PutU64BE(&key, sequence);
  return key;
}

std::uint64_t U64Of(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() > 0)
    return static_cast<std::uint64_t>(value->get_int64());
  return 0;
}

std::string StringOf(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string EncodeRecord(const DeviceLogRecord& record) {
  boost::json::array lines;
  for (const auto& line : record.lines) lines.emplace_back(line);
  return boost::json::serialize(boost::json::object{{"at", record.at_ms},
                                                    {"client", record.client},
                                                    {"device", record.device},
                                                    {"lines", std::move(lines)}});
}

Result<DeviceLogRecord> DecodeRecord(std::uint64_t sequence, std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) {
    return MakeError(ErrorCode::kCorruption,
                     "device log record " + std::to_string(sequence) + " is not a JSON object");
  }
  const auto& object = value.get_object();
  DeviceLogRecord record;
  record.sequence = sequence;
  record.at_ms = static_cast<std::int64_t>(U64Of(object, "at"));
  record.client = StringOf(object, "client");
  record.device = StringOf(object, "device");
  if (const auto* lines = object.if_contains("lines"); lines != nullptr && lines->is_array()) {
    for (const auto& line : lines->get_array()) {
      if (line.is_string()) record.lines.emplace_back(line.get_string());
    }
  }
  return record;
}

std::string EncodeRing(std::uint64_t first, std::uint64_t next, std::uint64_t bytes,
                       std::uint64_t dropped) {
  return boost::json::serialize(boost::json::object{
      {"first", first}, {"next", next}, {"bytes", bytes}, {"dropped", dropped}});
}

bool Matches(const DeviceLogQuery& query, const DeviceLogRecord& record) {
  return record.at_ms >= query.since_ms &&
         (query.device.empty() || record.device == query.device) &&
         (query.client.empty() || record.client == query.client);
}

}  // namespace

Result<std::unique_ptr<DeviceLogStore>> DeviceLogStore::Open(events::EventLog* log,
                                                             std::uint64_t budget_bytes) {
  auto column = std::make_unique<Column>();
  if (auto opened = OpenSideColumn(log, kDeviceLogsColumnFamily, column.get()); !opened) {
    return opened.error();
  }
  rocksdb::ColumnFamilyHandle* cf = column->cf;
  Ring ring;
  if (cf != nullptr) {
    std::string text;
    const rocksdb::Status status = events::StorageAccess::Db(*log)->Get({}, cf, kRingKey, &text);
    if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "Get ring");
    if (status.ok()) {
      boost::system::error_code ec;
      const boost::json::value value = boost::json::parse(text, ec);
      if (ec || !value.is_object()) {
        return MakeError(ErrorCode::kCorruption, "the device log ring's state is not JSON");
      }
      ring.first = std::max<std::uint64_t>(1, U64Of(value.get_object(), "first"));
      ring.next = std::max(ring.first, U64Of(value.get_object(), "next"));
      ring.bytes = U64Of(value.get_object(), "bytes");
      ring.dropped = U64Of(value.get_object(), "dropped");
    }
  }
  return std::unique_ptr<DeviceLogStore>(
      new DeviceLogStore(log, std::move(column), std::max<std::uint64_t>(budget_bytes, 1), ring));
}

DeviceLogStore::DeviceLogStore(events::EventLog* log, std::unique_ptr<Column> column,
                               std::uint64_t budget_bytes, Ring ring)
    : log_(log), column_(std::move(column)), budget_bytes_(budget_bytes), ring_(ring) {}

DeviceLogStore::~DeviceLogStore() = default;

Result<std::uint64_t> DeviceLogStore::Append(DeviceLogRecord record) {
  if (column_->cf == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "device logs are read-only here");
  }
  MutexLock lock(mutex_);
  record.sequence = ring_.next;
  const std::string key = RecordKey(record.sequence);
  const std::string value = EncodeRecord(record);
  const std::uint64_t size = key.size() + value.size();
  if (size > budget_bytes_) {
    return MakeError(ErrorCode::kTooLarge, "a device log record of " + std::to_string(size) +
                                               " bytes is larger than the whole ring");
  }
  rocksdb::DB* db = events::StorageAccess::Db(*log_);
  rocksdb::WriteBatch batch;
  Ring ring = ring_;
  while (ring.bytes + size > budget_bytes_ && ring.first < ring.next) {
    const std::string oldest = RecordKey(ring.first);
    std::string old_value;
    const rocksdb::Status status = db->Get({}, column_->cf, oldest, &old_value);
    if (!status.ok() && !status.IsNotFound()) return FromRocks(status, "Get oldest");
    const std::uint64_t old_size = status.ok() ? oldest.size() + old_value.size() : 0;
    batch.Delete(column_->cf, oldest);
    ring.bytes -= std::min(ring.bytes, old_size);
    ++ring.first;
    ++ring.dropped;
  }
  batch.Put(column_->cf, key, value);
  ring.next = record.sequence + 1;
  ring.bytes += size;
  batch.Put(column_->cf, kRingKey, EncodeRing(ring.first, ring.next, ring.bytes, ring.dropped));
  const rocksdb::Status status = db->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) return FromRocks(status, "Write");
  ring_ = ring;
  return record.sequence;
}

Result<void> DeviceLogStore::Scan(const DeviceLogQuery& query,
                                  const std::function<bool(const DeviceLogRecord&)>& fn) const {
  auto scanned = ScanPage(query, fn);
  if (!scanned) return scanned.error();
  return {};
}

Result<DeviceLogScan> DeviceLogStore::ScanPage(
    const DeviceLogQuery& query, const std::function<bool(const DeviceLogRecord&)>& fn) const {
  DeviceLogScan out;
  if (column_->cf == nullptr) return out;
  std::uint64_t first = 0;
  {
    MutexLock lock(mutex_);
    first = ring_.first;
  }
  rocksdb::DB* db = events::StorageAccess::Db(*log_);
  const events::ScopedSnapshot snapshot(db);
  rocksdb::ReadOptions options = snapshot.options();
  const std::string upper(1, static_cast<char>(kRecordTag + 1));
  const rocksdb::Slice upper_slice(upper);
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, column_->cf));
  std::size_t given = 0;
  const std::uint64_t start = std::max(first, query.after_sequence + 1);
  for (it->Seek(RecordKey(start)); it->Valid() && given < query.limit; it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 9) continue;
    if (out.read == query.max_scanned) {
      out.capped = true;
      break;
    }
    ++out.read;
    out.last_scanned = passledger::LoadU64BE(key.data() + 1);
    auto record = DecodeRecord(out.last_scanned, it->value().ToStringView());
    if (!record) return record.error();
    if (!Matches(query, *record)) continue;
    ++given;
    if (!fn(*record)) return out;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "iterate");
  return out;
}

DeviceLogStats DeviceLogStore::Stats() const {
  MutexLock lock(mutex_);
  return DeviceLogStats{ring_.next - ring_.first, ring_.bytes, ring_.dropped};
}

}  // namespace passledger::projections

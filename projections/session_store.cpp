#include "projections/session_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <utility>

#include "base/bytes.h"
#include "events/storage_access.h"
#include "projections/side_column.h"

namespace passledger::projections {

struct SessionStore::Column : SideColumn {};

namespace {

// Keys: 's' followed by the 32 bytes of SHA-256(session id). Values: kRecordFormat, then the
// record's fields in StaffSession's order (docs/STORAGE.md, "Staff sessions").
constexpr char kSessionTag = 's';
constexpr std::uint8_t kRecordFormat = 1;
constexpr std::size_t kKeySize = 1 + kSha256Size;

Error FromRocks(const rocksdb::Status& status, std::string_view what) {
  return MakeError(status.IsCorruption() ? ErrorCode::kCorruption : ErrorCode::kUnavailable,
                   "RocksDB " + std::string(what) + " (staff sessions): " + status.ToString());
}

std::string SessionKey(const Hash& id_hash) {
  std::string key(1, kSessionTag);
  key.append(reinterpret_cast<const char*>(id_hash.data()), id_hash.size());
  return key;
}

void PutHash(std::string* out, const Hash& hash) {
  out->append(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::string EncodeSession(const StaffSession& s) {
  std::string out(1, static_cast<char>(kRecordFormat));
  PutVarBytes(&out, s.username);
  PutHash(&out, s.csrf_token_hash);
  PutHash(&out, s.password_stamp);
  PutU64BE(&out, static_cast<std::uint64_t>(s.created_us));
  PutU64BE(&out, static_cast<std::uint64_t>(s.last_seen_us));
  PutU64BE(&out, static_cast<std::uint64_t>(s.expires_us));
  PutVarBytes(&out, s.client);
  return out;
}

bool ReadHash(ByteReader& in, Hash* hash) {
  const auto bytes = in.Fixed(hash->size());
  if (!bytes) return false;
  std::copy(bytes->begin(), bytes->end(), reinterpret_cast<char*>(hash->data()));
  return true;
}

bool ReadTime(ByteReader& in, std::int64_t* time) {
  const auto value = in.U64BE();
  if (!value) return false;
  *time = static_cast<std::int64_t>(*value);
  return true;
}

std::optional<StaffSession> DecodeSession(std::string_view bytes) {
  ByteReader in(bytes);
  StaffSession s;
  if (in.U8() != kRecordFormat) return std::nullopt;
  const auto username = in.VarBytes();
  if (!username || username->empty()) return std::nullopt;
  s.username = std::string(*username);
  if (!ReadHash(in, &s.csrf_token_hash) || !ReadHash(in, &s.password_stamp) ||
      !ReadTime(in, &s.created_us) || !ReadTime(in, &s.last_seen_us) ||
      !ReadTime(in, &s.expires_us)) {
    return std::nullopt;
  }
  const auto client = in.VarBytes();
  if (!client || !in.empty()) return std::nullopt;
  s.client = std::string(*client);
  return s;
}

}  // namespace

Result<std::unique_ptr<SessionStore>> SessionStore::Open(events::EventLog* log,
                                                         std::size_t max_records) {
  auto column = std::make_unique<Column>();
  if (auto opened = OpenSideColumn(log, kStaffSessionsColumnFamily, column.get()); !opened) {
    return opened.error();
  }
  Records records;
  rocksdb::WriteBatch undecodable;
  std::size_t dropped = 0;
  if (rocksdb::ColumnFamilyHandle* cf = column->cf; cf != nullptr) {
    rocksdb::DB* db = events::StorageAccess::Db(*log);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().ToStringView();
      auto session = DecodeSession(it->value().ToStringView());
      if (key.size() != kKeySize || key[0] != kSessionTag || !session) {
        (void)undecodable.Delete(cf, it->key());  // a WriteBatch in memory cannot fail here
        ++dropped;
        continue;
      }
      Hash id_hash;
      std::copy(key.begin() + 1, key.end(), reinterpret_cast<char*>(id_hash.data()));
      records.emplace(id_hash, std::move(*session));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "iterate");
    if (dropped > 0 && !log->read_only()) {
      const rocksdb::Status status = db->Write(rocksdb::WriteOptions(), &undecodable);
      if (!status.ok()) return FromRocks(status, "Write");
    }
  }
  return std::unique_ptr<SessionStore>(new SessionStore(
      log, std::move(column), std::max<std::size_t>(max_records, 1), std::move(records), dropped));
}

SessionStore::SessionStore(events::EventLog* log, std::unique_ptr<Column> column,
                           std::size_t max_records, Records records, std::size_t dropped_at_open)
    : log_(log),
      column_(std::move(column)),
      max_records_(max_records),
      dropped_at_open_(dropped_at_open),
      records_(std::move(records)) {}

SessionStore::~SessionStore() = default;

Result<void> SessionStore::CheckWritable() const {
  if (column_->cf == nullptr || log_->read_only()) {
    return MakeError(ErrorCode::kFailedPrecondition, "staff sessions are read-only here");
  }
  return {};
}

Result<void> SessionStore::EraseKeys(const std::vector<Hash>& victims, bool sync) {
  if (victims.empty()) return {};
  rocksdb::WriteBatch batch;
  for (const Hash& id_hash : victims) {
    const rocksdb::Status status = batch.Delete(column_->cf, SessionKey(id_hash));
    if (!status.ok()) return FromRocks(status, "Delete");
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status status = events::StorageAccess::Db(*log_)->Write(options, &batch);
  if (!status.ok()) return FromRocks(status, "Write");
  for (const Hash& id_hash : victims) records_.erase(id_hash);
  return {};
}

std::vector<Hash> SessionStore::Expired(std::int64_t now_us) const {
  std::vector<Hash> expired;
  for (const auto& [id_hash, session] : records_) {
    if (session.expires_us <= now_us) expired.push_back(id_hash);
  }
  return expired;
}

Result<void> SessionStore::MakeRoom(std::int64_t now_us) {
  if (records_.size() < max_records_) return {};
  if (auto erased = EraseKeys(Expired(now_us), /*sync=*/false); !erased) return erased;
  if (records_.size() < max_records_) return {};
  std::vector<std::pair<std::int64_t, Hash>> by_last_seen;
  by_last_seen.reserve(records_.size());
  for (const auto& [id_hash, session] : records_) {
    by_last_seen.emplace_back(session.last_seen_us, id_hash);
  }
  const std::size_t excess = records_.size() - max_records_ + 1;
  std::partial_sort(by_last_seen.begin(), by_last_seen.begin() + excess, by_last_seen.end());
  std::vector<Hash> oldest;
  for (std::size_t i = 0; i < excess; ++i) oldest.push_back(by_last_seen[i].second);
  return EraseKeys(oldest, /*sync=*/false);
}

Result<void> SessionStore::Put(const Hash& id_hash, StaffSession session) {
  if (auto ok = CheckWritable(); !ok) return ok;
  if (session.client.size() > kMaxSessionClientBytes) session.client.resize(kMaxSessionClientBytes);
  MutexLock lock(mutex_);
  if (!records_.contains(id_hash)) {
    if (auto room = MakeRoom(session.last_seen_us); !room) return room;
  }
  const rocksdb::Status status = events::StorageAccess::Db(*log_)->Put(
      rocksdb::WriteOptions(), column_->cf, SessionKey(id_hash), EncodeSession(session));
  if (!status.ok()) return FromRocks(status, "Put");
  records_.insert_or_assign(id_hash, std::move(session));
  return {};
}

std::optional<StaffSession> SessionStore::Get(const Hash& id_hash) const {
  MutexLock lock(mutex_);
  const auto it = records_.find(id_hash);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

Result<bool> SessionStore::Touch(const Hash& id_hash, std::int64_t last_seen_us,
                                 std::int64_t expires_us) {
  if (auto ok = CheckWritable(); !ok) return ok.error();
  MutexLock lock(mutex_);
  const auto it = records_.find(id_hash);
  if (it == records_.end()) return false;
  StaffSession touched = it->second;
  touched.last_seen_us = last_seen_us;
  touched.expires_us = expires_us;
  const rocksdb::Status status = events::StorageAccess::Db(*log_)->Put(
      rocksdb::WriteOptions(), column_->cf, SessionKey(id_hash), EncodeSession(touched));
  if (!status.ok()) return FromRocks(status, "Put");
  it->second = std::move(touched);
  return true;
}

Result<bool> SessionStore::Erase(const Hash& id_hash) {
  if (auto ok = CheckWritable(); !ok) return ok.error();
  MutexLock lock(mutex_);
  if (!records_.contains(id_hash)) return false;
  if (auto erased = EraseKeys({id_hash}, /*sync=*/true); !erased) return erased.error();
  return true;
}

Result<std::size_t> SessionStore::EraseUser(std::string_view username) {
  if (auto ok = CheckWritable(); !ok) return ok.error();
  MutexLock lock(mutex_);
  std::vector<Hash> victims;
  for (const auto& [id_hash, session] : records_) {
    if (session.username == username) victims.push_back(id_hash);
  }
  if (auto erased = EraseKeys(victims, /*sync=*/true); !erased) return erased.error();
  return victims.size();
}

Result<std::size_t> SessionStore::PruneExpired(std::int64_t now_us) {
  if (auto ok = CheckWritable(); !ok) return ok.error();
  MutexLock lock(mutex_);
  const std::vector<Hash> expired = Expired(now_us);
  // Unsynced: an expired session that a power cut brings back is still expired.
  if (auto erased = EraseKeys(expired, /*sync=*/false); !erased) return erased.error();
  return expired.size();
}

std::size_t SessionStore::size() const {
  MutexLock lock(mutex_);
  return records_.size();
}

}  // namespace passledger::projections

// RawDb: the log's RocksDB database opened directly, bypassing EventLog, so that tests can
// alter stored bytes the way an attacker or a broken disk would. Opens every column family
// listed in the database. The EventLog must be closed while a RawDb is open (RocksDB's own
// lock enforces it). Not thread-safe.
#pragma once

#include <rocksdb/db.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "events/storage_format.h"

namespace passledger::testing {

class RawDb {
 public:
  // `data_dir` is the log's data directory; the database is its db/ subdirectory.
  explicit RawDb(const std::filesystem::path& data_dir) {
    const std::string path = (data_dir / events::format::kDbDir).string();
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    const auto listed = rocksdb::DB::ListColumnFamilies(options, path, &names);
    BOOST_TEST_REQUIRE(listed.ok(), "ListColumnFamilies: " << listed.ToString());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    const auto opened = rocksdb::DB::Open(options, path, descriptors, &handles_, &raw);
    BOOST_TEST_REQUIRE(opened.ok(), "DB::Open: " << opened.ToString());
    db_.reset(raw);
    for (auto* handle : handles_) by_name_[handle->GetName()] = handle;
  }

  ~RawDb() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    db_->Close();
  }

  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::ColumnFamilyHandle* cf(const std::string& name) const {
    auto it = by_name_.find(name);
    BOOST_TEST_REQUIRE((it != by_name_.end()), "no column family " << name);
    return it->second;
  }

  // Writes every column family's memtable to a table file.
  void FlushAll() {
    const auto status = db_->Flush(rocksdb::FlushOptions(), handles_);
    BOOST_TEST_REQUIRE(status.ok(), "Flush: " << status.ToString());
  }

  std::string Get(const std::string& cf_name, const std::string& key) const {
    std::string value;
    const auto status = db_->Get(rocksdb::ReadOptions(), cf(cf_name), key, &value);
    BOOST_TEST_REQUIRE(status.ok(), "Get " << cf_name << ": " << status.ToString());
    return value;
  }
  void Put(const std::string& cf_name, const std::string& key, const std::string& value) {
    const auto status = db_->Put(rocksdb::WriteOptions(), cf(cf_name), key, value);
    BOOST_TEST_REQUIRE(status.ok(), "Put " << cf_name << ": " << status.ToString());
  }
  void Delete(const std::string& cf_name, const std::string& key) {
    const auto status = db_->Delete(rocksdb::WriteOptions(), cf(cf_name), key);
    BOOST_TEST_REQUIRE(status.ok(), "Delete " << cf_name << ": " << status.ToString());
  }

  // The stored record of a log position.
  std::string GetRecord(std::uint64_t position) const {
    return Get(std::string(events::format::kCfLog), passledger::U64BE(position));
  }
  void PutRecord(std::uint64_t position, const std::string& record) {
    Put(std::string(events::format::kCfLog), passledger::U64BE(position), record);
  }
  void DeleteRecord(std::uint64_t position) {
    Delete(std::string(events::format::kCfLog), passledger::U64BE(position));
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

}  // namespace passledger::testing

// Backups of a data directory, and restoring them into a new one (docs/STORAGE.md, "Backup
// and restore").
//
// A backup is a directory that opens read-only like a data directory:
//   PASSLEDGER   the data-directory marker
//   signing.key  the digest signing key (0600)
//   master.key   only when asked for (0600); otherwise it must be backed up separately
//   db/          a RocksDB checkpoint of the database (SST files hard-linked when the backup
//                is on the same file system, else copied)
//   BACKUP.json  the manifest, written last (a directory without it is not a backup):
//                {"format", "created_at", "created_at_us", "head": {"position", "hash"},
//                 "master_key_included", "files": [{"path", "size", "sha256"}]}
//                `files` lists every file but BACKUP.json and master.key.
// Every backup is verified before its manifest is written: the copy is opened, its whole
// chain walked, and its head recorded.
//
// Thread-safety: the functions share no state; each may run on any thread, but two must not
// write the same directory.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/error.h"
#include "events/event_log.h"

namespace passledger::events {

inline constexpr std::string_view kBackupManifestFile = "BACKUP.json";
inline constexpr std::string_view kBackupFormat = "passledger-backup 1";

struct BackupFile {
  std::string path;  // relative to the backup directory, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;  // hex
};

struct BackupManifest {
  std::int64_t created_at_us = 0;  // UTC µs since the Unix epoch
  Head head;                       // the last event in the backup
  bool master_key_included = false;
  std::vector<BackupFile> files;  // sorted by path
};

boost::json::object BackupManifestToJson(const BackupManifest& manifest);
// kInvalidArgument naming the field when `json` is not a manifest of this format.
Result<BackupManifest> BackupManifestFromJson(const boost::json::object& json);
// Reads dir/BACKUP.json; kNotFound when there is none (an incomplete backup).
Result<BackupManifest> ReadBackupManifest(const std::filesystem::path& dir);

struct BackupOptions {
  // Copied to master.key (0600) and checked against the database when set.
  std::optional<Key> master_key;
};

// Backs up `log` into `dir`, which must not exist or be empty (else kAlreadyExists). The copy
// is consistent when `log` is open for writing in this process (RocksDB keeps the files it
// links from being deleted) or when no process writes its data directory; for a log that
// another process writes, use BackupDataDir. On failure nothing is left in `dir`.
Result<BackupManifest> CreateBackup(const EventLog& log, const std::filesystem::path& dir,
                                    const BackupOptions& options);

struct DataDirBackupOptions {
  bool include_master_key = false;  // loaded as the log would: $PASSLEDGER_MASTER_KEY or file
  int max_attempts = 10;            // beside a writer
};

struct DataDirBackup {
  BackupManifest manifest;
  // Empty when this call held the data directory's lock for the whole copy. Otherwise why it
  // could not (the writer's pid is in writer_pid when the lock file names one), and the copy
  // was taken from a read-only view beside that writer.
  std::string lock_error;
  std::string writer_pid;
  int attempts = 0;
};

// Backs up the data directory `data_dir` into `dir` from outside any process that holds it.
// When the directory is not in use, its lock is held during the copy, so nothing changes.
// When a writer holds it, a read-only view sees the database files as of its opening while
// the writer keeps flushing and compacting, so a copy can miss a file the writer replaced;
// such a copy is detected (the database's MANIFEST changed during the copy, or the copy does
// not verify) and taken again, up to max_attempts times.
Result<DataDirBackup> BackupDataDir(const std::filesystem::path& data_dir,
                                    const std::filesystem::path& dir,
                                    const DataDirBackupOptions& options);

struct RestoreOptions {
  // Installed as master.key. Else the backup's master.key, else $PASSLEDGER_MASTER_KEY is
  // used when the restored directory is opened (and must be set when it is).
  std::optional<Key> master_key;
};

struct RestoreResult {
  BackupManifest manifest;
  VerifyReport verified;          // of the restored log; its head is the manifest's head
  std::string master_key_source;  // "--master-key", "the backup" or "$PASSLEDGER_MASTER_KEY"
};

// Restores the backup in `backup_dir` into the new data directory `data_dir` (must not exist
// or be empty): checks every file against the manifest while copying, installs the master
// key, opens the copy, verifies its whole chain and checks that it ends at the manifest's
// head. The copy is assembled beside `data_dir` and renamed into place only once verified,
// so `data_dir` is either untouched or complete. kCorruption when the backup does not match
// its manifest or does not verify.
Result<RestoreResult> RestoreBackup(const std::filesystem::path& backup_dir,
                                    const std::filesystem::path& data_dir,
                                    const RestoreOptions& options);

}  // namespace passledger::events

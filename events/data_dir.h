// The data directory: its marker, its single-writer lock and its secret files.
//
// Opening for writing creates the directory if needed, refuses a directory that is not a
// PassLedger one, and takes an exclusive flock() on `lock` (released when the DataDir is
// destroyed, or by the kernel if the process dies). The lock file holds the owner's pid so
// that a second writer is told who holds it. Read-only opens take no lock.
//
// A DataDir is movable, not copyable; not thread-safe (used during open only).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/crypto.h"
#include "base/error.h"
#include "base/files.h"

namespace passledger::events {

class DataDir {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static Result<DataDir> Open(const std::filesystem::path& root, Mode mode);

  DataDir(DataDir&& other) noexcept;
  DataDir& operator=(DataDir&& other) noexcept;
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;
  ~DataDir();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path db_path() const;
  std::filesystem::path file(std::string_view name) const { return root_ / name; }
  // True when Open() created the directory (no database yet).
  bool fresh() const { return fresh_; }

  // The master key: `configured` if given, else $PASSLEDGER_MASTER_KEY (taken out of the
  // environment, see EnvironmentMasterKey), else master.key. A missing file is generated (0600)
  // only when the directory is fresh; otherwise losing it would silently make every sealed part
  // unreadable, so it is an error. A master.key that group or others may read is refused
  // (kFailedPrecondition naming the `chmod` that fixes it), as ssh refuses such a key.
  Result<Key> LoadMasterKey(const std::optional<Key>& configured) const;

 private:
  DataDir(std::filesystem::path root, int lock_fd, bool fresh);

  std::filesystem::path root_;
  int lock_fd_ = -1;
  bool fresh_ = false;
};

// $PASSLEDGER_MASTER_KEY, taken out of the environment: a call that finds it set parses it,
// overwrites the value in place (so /proc/<pid>/environ no longer shows it) and unsets it.
// nullopt when it is not set (and was not kept, below); the parse error when malformed.
// A process that opens its data directory more than once (the CLI) first calls
// KeepEnvironmentMasterKey(): the key is then taken at once and every later call returns it.
// Thread-safe, but unsetenv is not: take it before starting threads (main does, first thing).
std::optional<Result<Key>> EnvironmentMasterKey();
void KeepEnvironmentMasterKey();

// Parses a 64-hex-digit key (surrounding whitespace ignored).
Result<Key> ParseHexKey(std::string_view text, std::string_view source);

}  // namespace passledger::events

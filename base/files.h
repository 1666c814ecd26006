// Small-file helpers: crash-safe writes (temporary file, fsync, rename, fsync of the
// directory), secret files (0600, never overwritten), bounded reads. Errors as values, with
// the path and strerror in the message. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger {

// Writes `contents` to `path` (mode `mode`) through a temporary file, fsync and rename: after
// a crash the file is either absent or complete.
Result<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                                 unsigned mode);
// WriteFileAtomically with mode 0600; kAlreadyExists if the file exists.
Result<void> WriteSecretFile(const std::filesystem::path& path, std::string_view contents);
// fsync()s a directory, so that files created or renamed in it survive a crash.
Result<void> FsyncDir(const std::filesystem::path& dir);
Result<std::string> ReadSmallFile(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace passledger

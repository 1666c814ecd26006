// The development outbox: with no SMTP server configured, each message is written as an .eml
// file (the exact bytes Compose made, mail/message.h) that any mail client opens.
//
// Thread-safety: safe for different message ids; one writer per message id (the temporary
// file is named after the target).
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.h"

namespace passledger::mail {

// Writes `bytes` to <dir>/<name>.eml atomically (temporary file, fsync, rename, fsync of the
// directory), mode 0600; creates `dir` (0700) if missing. <name> is the message id with every
// character other than letters, digits and . - _ @ + replaced by "_" (and then a "-" and 8
// hex digits of the id's SHA-256, so that two ids never share a name); a leading "." also
// counts as replaced. The same id overwrites its earlier file. Returns the file's path.
// kInvalidArgument for an empty id or one over 200 bytes; kUnavailable for I/O errors.
Result<std::filesystem::path> WriteEml(const std::filesystem::path& dir,
                                       std::string_view message_id, std::string_view bytes);

// The file name (without directory) WriteEml uses for `message_id`.
std::string EmlFileName(std::string_view message_id);

}  // namespace passledger::mail

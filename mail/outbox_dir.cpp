// WriteEml of mail/outbox_dir.h.
#include "mail/outbox_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/crypto.h"
#include "base/files.h"

namespace passledger::mail {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxIdForName = 200;

bool IsSafeNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '@' || c == '+';
}

Result<void> EnsureDir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return {};
  if (errno == EEXIST && fs::is_directory(dir)) return {};
  return MakeError(ErrorCode::kUnavailable,
                   "cannot create outbox directory " + dir.string() + ": " + std::strerror(errno));
}

}  // namespace

std::string EmlFileName(std::string_view message_id) {
  std::string name(message_id);
  bool replaced = false;
  for (char& c : name) {
    if (IsSafeNameChar(c)) continue;
    c = '_';
    replaced = true;
  }
  if (!name.empty() && name.front() == '.') {
    name.front() = '_';
    replaced = true;
  }
  if (replaced) name += "-" + ToHex(Sha256(message_id)).substr(0, 8);
  return name + ".eml";
}

Result<fs::path> WriteEml(const fs::path& dir, std::string_view message_id,
                          std::string_view bytes) {
  if (message_id.empty() || message_id.size() > kMaxIdForName) {
    return MakeError(ErrorCode::kInvalidArgument, "message id must be 1 to 200 bytes");
  }
  if (auto made = EnsureDir(dir); !made) return made.error();
  fs::path path = dir / EmlFileName(message_id);
  if (auto written = WriteFileAtomically(path, bytes, 0600); !written) return written.error();
  return path;
}

}  // namespace passledger::mail

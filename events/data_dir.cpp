#include "events/data_dir.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "base/unique_fd.h"
#include "events/storage_format.h"

namespace passledger::events {
namespace fs = std::filesystem;
namespace {

Error SysError(ErrorCode code, const std::string& what, const fs::path& path) {
  return MakeError(code, what + " " + path.string() + ": " + std::strerror(errno));
}

std::string MarkerText() {
  return std::string(format::kMarkerPrefix) + std::to_string(format::kFormatVersion) + "\n";
}

Result<void> CheckMarker(const fs::path& root) {
  auto text = ReadSmallFile(root / format::kMarkerFile, 256);
  if (!text) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     root.string() + " is not a PassLedger data directory (no " +
                         std::string(format::kMarkerFile) + " file)");
  }
  if (*text != MarkerText()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     root.string() +
                         " has an unknown data format: " + std::string(format::kMarkerFile) +
                         " says \"" + text->substr(0, text->find('\n')) +
                         "\"; this build reads format " + std::to_string(format::kFormatVersion));
  }
  return {};
}

// What a directory may hold before its first initialisation: `passledger dev-certs` writes
// its certificates into <data dir>/dev-certs, often as the very first command.
bool HoldsOnlyPreInitFiles(const fs::path& root) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.path().filename() != "dev-certs") return false;
  }
  return !ec;
}

// Creates `root` (0700) if absent; returns whether it is fresh: just created, empty, or
// holding only what may come before initialisation, and without a marker.
Result<bool> PrepareRoot(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    fs::create_directories(root, ec);
    if (!ec) fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot create data directory " + root.string() + ": " + ec.message());
    }
    return true;
  }
  if (!fs::is_directory(root, ec)) {
    return MakeError(ErrorCode::kFailedPrecondition, root.string() + " is not a directory");
  }
  if (fs::exists(root / format::kMarkerFile, ec)) return false;
  if (!HoldsOnlyPreInitFiles(root)) return false;
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace, ec);
  return true;
}

// ssh's rule for private keys: readable by the owner only.
Result<void> CheckPrivate(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return SysError(ErrorCode::kUnavailable, "cannot stat", path);
  if ((st.st_mode & 077) == 0) return {};
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return MakeError(ErrorCode::kFailedPrecondition, "master key file " + path.string() +
                                                       " is accessible by group or others (mode " +
                                                       mode + "); run `chmod 600 " + path.string() +
                                                       "` (and check who may have read it)");
}

Result<int> TakeLock(const fs::path& root) {
  const fs::path path = root / format::kLockFile;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) return SysError(ErrorCode::kUnavailable, "cannot open lock file", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return SysError(ErrorCode::kUnavailable, "cannot lock", path);
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return MakeError(ErrorCode::kUnavailable,
                     "data directory " + root.string() + " is in use by process " + pid +
                         " (is `passledger serve` running?); stop it first, or use a "
                         "read-only command");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return SysError(ErrorCode::kUnavailable, "cannot write pid to", path);
  }
  return fd.release();
}

}  // namespace

Result<DataDir> DataDir::Open(const fs::path& root, Mode mode) {
  if (mode == Mode::kReadOnly) {
    if (auto ok = CheckMarker(root); !ok) return ok.error();
    return DataDir(root, -1, false);
  }
  auto fresh = PrepareRoot(root);
  if (!fresh) return fresh.error();
  if (!*fresh) {
    if (auto ok = CheckMarker(root); !ok) return ok.error();
  }
  auto fd = TakeLock(root);
  if (!fd) return fd.error();
  DataDir dir(root, *fd, *fresh);
  if (*fresh) {
    // The marker goes first: a crash later in initialisation leaves a directory that
    // opens as ours and finishes initialising.
    if (auto ok = WriteFileAtomically(root / format::kMarkerFile, MarkerText(), 0600); !ok) {
      return ok.error();
    }
  }
  return dir;
}

DataDir::DataDir(fs::path root, int lock_fd, bool fresh)
    : root_(std::move(root)), lock_fd_(lock_fd), fresh_(fresh) {}

DataDir::DataDir(DataDir&& other) noexcept
    : root_(std::move(other.root_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      fresh_(other.fresh_) {}

DataDir& DataDir::operator=(DataDir&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    root_ = std::move(other.root_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    fresh_ = other.fresh_;
  }
  return *this;
}

DataDir::~DataDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

fs::path DataDir::db_path() const { return root_ / format::kDbDir; }

namespace {
std::mutex env_key_mutex;
bool keep_env_key = false;                // guarded by env_key_mutex
std::optional<Result<Key>> kept_env_key;  // guarded by env_key_mutex

std::optional<Result<Key>> TakeEnvironmentKeyLocked() {
  const std::string name(format::kMasterKeyEnv);
  char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  auto key = ParseHexKey(value, "$" + name);
  // The entry is one "NAME=value" string (for the initial environment, the bytes that
  // /proc/<pid>/environ shows). Dropped from environ first, then wiped: glibc frees neither
  // the initial strings nor those setenv made.
  char* entry = value - name.size() - 1;
  const std::size_t length = name.size() + 1 + std::strlen(value);
  ::unsetenv(name.c_str());
  OPENSSL_cleanse(entry, length);
  return key;
}
}  // namespace

std::optional<Result<Key>> EnvironmentMasterKey() {
  const std::lock_guard lock(env_key_mutex);
  if (auto taken = TakeEnvironmentKeyLocked()) {
    if (keep_env_key) kept_env_key = taken;
    return taken;
  }
  return kept_env_key;
}

void KeepEnvironmentMasterKey() {
  const std::lock_guard lock(env_key_mutex);
  keep_env_key = true;
  if (auto taken = TakeEnvironmentKeyLocked()) kept_env_key = std::move(taken);
}

Result<Key> DataDir::LoadMasterKey(const std::optional<Key>& configured) const {
  if (configured) return *configured;
  if (auto from_env = EnvironmentMasterKey()) return *from_env;
  const fs::path path = file(format::kMasterKeyFile);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    std::error_code db_ec;
    const bool has_db = fs::exists(db_path(), db_ec);
    if (has_db || lock_fd_ < 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "master key file " + path.string() +
                           " is missing; restore it from your backup or set $" +
                           std::string(format::kMasterKeyEnv));
    }
    const Key key = RandomKey();
    if (auto ok = WriteSecretFile(path, ToHex(key) + "\n"); !ok) return ok.error();
    return key;
  }
  if (auto ok = CheckPrivate(path); !ok) return ok.error();
  auto text = ReadSmallFile(path, 256);
  if (!text) return text.error();
  auto key = ParseHexKey(*text, path.string());
  OPENSSL_cleanse(text->data(), text->size());
  return key;
}

Result<Key> ParseHexKey(std::string_view text, std::string_view source) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  Key key{};
  if (!FromHex(text, key)) {
    return MakeError(ErrorCode::kInvalidArgument, "master key from " + std::string(source) +
                                                      " is not 64 hexadecimal digits (32 bytes)");
  }
  return key;
}

}  // namespace passledger::events

#include "events/backup.h"

#include <fcntl.h>
#include <rocksdb/utilities/checkpoint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "base/openssl_ptr.h"
#include "base/time.h"
#include "base/unique_fd.h"
#include "events/data_dir.h"
#include "base/crypto.h"
#include "events/storage_access.h"
#include "events/storage_format.h"
#include "events/store.h"

namespace passledger::events {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr std::size_t kCopyChunkBytes = 1 << 20;
constexpr std::size_t kMaxManifestBytes = 64u << 20;
constexpr std::size_t kMaxSmallFileBytes = 64u << 10;
constexpr std::size_t kBackupBlockCacheBytes = 8u << 20;

Error SysError(std::string_view what, const fs::path& path) {
  return MakeError(ErrorCode::kUnavailable,
                   std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

std::int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The size and SHA-256 of a file's bytes.
struct FileDigest {
  std::uint64_t size = 0;
  std::string sha256;
};

Result<void> WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SysError("cannot write", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Reads `from` to its end and digests it; when `to` is set, also copies it there (created
// with `mode`, never overwriting, fsynced).
Result<FileDigest> DigestFile(const fs::path& from, const fs::path* to, unsigned mode) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return SysError("cannot open", from);
  UniqueFd out(to == nullptr ? -1
                             : ::open(to->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (to != nullptr && out.get() < 0) return SysError("cannot create", *to);
  UniqueMdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return MakeError(ErrorCode::kInternal, "EVP_DigestInit_ex2 failed");
  }
  FileDigest digest;
  std::string buffer(kCopyChunkBytes, '\0');
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("cannot read", from);
    if (n == 0) break;
    const std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    if (EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size()) != 1) {
      return MakeError(ErrorCode::kInternal, "EVP_DigestUpdate failed");
    }
    if (to != nullptr) {
      if (auto ok = WriteAll(out.get(), chunk, *to); !ok) return ok.error();
    }
    digest.size += chunk.size();
  }
  if (to != nullptr && ::fsync(out.get()) != 0) return SysError("cannot fsync", *to);
  Hash hash{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), hash.data(), &length) != 1 || length != hash.size()) {
    return MakeError(ErrorCode::kInternal, "EVP_DigestFinal_ex failed");
  }
  digest.sha256 = ToHex(hash);
  return digest;
}

// Whether `dir` exists; kAlreadyExists unless it is absent or an empty directory.
Result<bool> CheckAbsentOrEmpty(const fs::path& dir) {
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  if (existed && !fs::is_directory(dir, ec)) {
    return MakeError(ErrorCode::kAlreadyExists, dir.string() + " exists and is not a directory");
  }
  if (existed && !fs::is_empty(dir, ec)) {
    return MakeError(ErrorCode::kAlreadyExists, dir.string() + " is not empty");
  }
  return existed;
}

// A directory that a backup or a restore fills: it must not exist or be empty. Unless
// committed, everything put in it is removed again (and the directory too, if it was created
// here).
class TargetDir {
 public:
  static Result<TargetDir> Claim(const fs::path& dir) {
    auto existed = CheckAbsentOrEmpty(dir);
    if (!existed) return existed.error();
    return TargetDir(dir, *existed);
  }
  TargetDir(TargetDir&& other) noexcept
      : dir_(std::move(other.dir_)),
        existed_(other.existed_),
        committed_(std::exchange(other.committed_, true)) {}
  TargetDir& operator=(TargetDir&&) = delete;
  ~TargetDir() {
    if (!committed_) Discard();
  }

  // Removes what was put in the directory; it may be filled again.
  void Discard() const {
    std::error_code ec;  // best effort: the original error is the one to report
    if (!existed_) {
      fs::remove_all(dir_, ec);
      return;
    }
    for (const auto& entry : fs::directory_iterator(dir_, ec)) fs::remove_all(entry.path(), ec);
  }
  void Commit() { committed_ = true; }

 private:
  TargetDir(fs::path dir, bool existed) : dir_(std::move(dir)), existed_(existed) {}
  fs::path dir_;
  bool existed_;
  bool committed_ = false;
};

// Copies a small file (marker, key) with `mode`.
Result<void> CopySmallFile(const fs::path& from, const fs::path& to, unsigned mode) {
  auto text = ReadSmallFile(from, kMaxSmallFileBytes);
  if (!text) return text.error();
  return WriteFileAtomically(to, *text, mode);
}

// The files a RocksDB checkpoint of `log` needs, in dir/db.
Result<void> CheckpointDb(const EventLog& log, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create " + dir.string() + ": " + ec.message());
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (auto status = rocksdb::Checkpoint::Create(StorageAccess::Db(log), &raw); !status.ok()) {
    return FromRocks(status, "Checkpoint::Create");
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  const fs::path db = dir / format::kDbDir;
  if (auto status = checkpoint->CreateCheckpoint(db.string()); !status.ok()) {
    return FromRocks(status, "CreateCheckpoint " + db.string());
  }
  return {};
}

// The marker, the signing key and (when given) the master key.
Result<void> CopyKeysAndMarker(const fs::path& data_dir, const fs::path& dir,
                               const BackupOptions& options) {
  if (auto ok = CopySmallFile(data_dir / format::kMarkerFile, dir / format::kMarkerFile, 0644);
      !ok) {
    return ok.error();
  }
  const fs::path signing = data_dir / format::kSigningKeyFile;
  std::error_code ec;
  if (fs::exists(signing, ec)) {
    if (auto ok = CopySmallFile(signing, dir / format::kSigningKeyFile, 0600); !ok) {
      return ok.error();
    }
  }
  if (options.master_key) {
    return WriteSecretFile(dir / format::kMasterKeyFile, ToHex(*options.master_key) + "\n");
  }
  return {};
}

// Every file of the backup but the manifest and the master key, digested, sorted by path.
Result<std::vector<BackupFile>> ListBackupFiles(const fs::path& dir) {
  std::vector<BackupFile> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string relative = fs::relative(it->path(), dir, ec).generic_string();
    if (relative == kBackupManifestFile || relative == format::kMasterKeyFile) continue;
    auto digest = DigestFile(it->path(), nullptr, 0);
    if (!digest) return digest.error();
    files.push_back({relative, digest->size, std::move(digest->sha256)});
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(files.begin(), files.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  return files;
}

// Opens the copy in `dir` read-only and walks its whole chain; returns its head.
Result<Head> VerifyCopy(const fs::path& dir, const std::optional<Key>& master_key,
                        std::string_view what) {
  OpenOptions open;
  open.data_dir = dir;
  open.read_only = true;
  open.master_key = master_key;
  open.block_cache_bytes = kBackupBlockCacheBytes;
  auto log = EventLog::Open(open);
  if (!log) {
    return MakeError(log.error().code,
                     std::string(what) + " does not open: " + log.error().message);
  }
  auto report = (*log)->Verify();
  if (!report) return report.error();
  if (!report->ok()) {
    return MakeError(ErrorCode::kCorruption, std::string(what) + " does not verify at position " +
                                                 std::to_string(*report->first_bad) + ": " +
                                                 report->problem);
  }
  return report->head;
}

// Verifies the copy in `dir` and writes its manifest: the backup is complete.
Result<BackupManifest> SealBackup(const fs::path& dir, const BackupOptions& options) {
  auto head = VerifyCopy(dir, options.master_key, "the backup");
  if (!head) return head.error();
  BackupManifest manifest;
  manifest.created_at_us = NowMicros();
  manifest.head = *head;
  manifest.master_key_included = options.master_key.has_value();
  auto files = ListBackupFiles(dir);
  if (!files) return files.error();
  manifest.files = std::move(*files);
  const std::string text = json::serialize(BackupManifestToJson(manifest)) + "\n";
  if (auto ok = WriteFileAtomically(dir / kBackupManifestFile, text, 0644); !ok) return ok.error();
  return manifest;
}

// What identifies the database's current file set: CURRENT names the MANIFEST, which grows
// with every flush, compaction and obsoleted WAL. Unchanged across a copy means the writer
// deleted or replaced no file the read-only view relied on.
std::string DbFileState(const fs::path& db) {
  auto current = ReadSmallFile(db / "CURRENT", 4096);
  if (!current) return "?";
  std::string name = *current;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  struct stat st {};
  if (::stat((db / name).c_str(), &st) != 0) return name + ":?";
  return name + ":" + std::to_string(st.st_size);
}

std::string LockHolderPid(const fs::path& data_dir) {
  auto text = ReadSmallFile(data_dir / format::kLockFile, 64);
  if (!text) return "";
  std::string pid = *text;
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

// One attempt of BackupDataDir. `beside_writer`: check that the database files did not
// change while they were linked.
Result<BackupManifest> BackupDataDirOnce(const fs::path& data_dir, const fs::path& dir,
                                         const BackupOptions& options, bool beside_writer) {
  const fs::path db = data_dir / format::kDbDir;
  const std::string before = DbFileState(db);
  {
    OpenOptions open;
    open.data_dir = data_dir;
    open.read_only = true;
    open.block_cache_bytes = kBackupBlockCacheBytes;
    auto log = EventLog::Open(open);
    if (!log) return log.error();
    if (auto ok = CheckpointDb(**log, dir); !ok) return ok.error();
  }
  if (beside_writer && DbFileState(db) != before) {
    return MakeError(ErrorCode::kUnavailable,
                     "the writer replaced database files during the copy (flush or compaction)");
  }
  if (auto ok = CopyKeysAndMarker(data_dir, dir, options); !ok) return ok.error();
  return SealBackup(dir, options);
}

bool IsSafeRelativePath(const std::string& text) {
  const fs::path path(text);
  if (text.empty() || path.is_absolute() || path.lexically_normal().generic_string() != text) {
    return false;
  }
  for (const auto& part : path) {
    if (part == ".." || part == ".") return false;
  }
  return text != kBackupManifestFile && text != format::kMasterKeyFile && text != format::kLockFile;
}

// Copies every file of the manifest from `backup_dir` into `dir`, checking each.
Result<void> CopyBackupFiles(const fs::path& backup_dir, const BackupManifest& manifest,
                             const fs::path& dir) {
  for (const auto& file : manifest.files) {
    if (!IsSafeRelativePath(file.path)) {
      return MakeError(ErrorCode::kCorruption, "BACKUP.json names a bad path: " + file.path);
    }
    const fs::path to = dir / file.path;
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot create " + to.parent_path().string());
    const bool secret = file.path == format::kSigningKeyFile;
    auto digest = DigestFile(backup_dir / file.path, &to, secret ? 0600 : 0644);
    if (!digest) return digest.error();
    if (digest->size != file.size || digest->sha256 != file.sha256) {
      return MakeError(ErrorCode::kCorruption,
                       "backup file " + file.path + " does not match BACKUP.json (altered?)");
    }
  }
  for (const auto& sub : {dir / format::kDbDir, dir}) {
    if (auto ok = FsyncDir(sub); !ok) return ok.error();
  }
  return {};
}

struct ChosenKey {
  std::optional<Key> key;
  std::string source;
  bool write_file = true;  // false for $PASSLEDGER_MASTER_KEY: it stays where it came from
};

Result<ChosenKey> ChooseMasterKey(const fs::path& backup_dir, const BackupManifest& manifest,
                                  const RestoreOptions& options) {
  if (options.master_key) return ChosenKey{options.master_key, "--master-key"};
  if (manifest.master_key_included) {
    const fs::path path = backup_dir / format::kMasterKeyFile;
    auto text = ReadSmallFile(path, 256);
    if (!text) return text.error();
    auto key = ParseHexKey(*text, path.string());
    if (!key) return key.error();
    return ChosenKey{*key, "the backup"};
  }
  const std::string env(format::kMasterKeyEnv);
  if (auto from_env = EnvironmentMasterKey()) {
    if (!*from_env) return from_env->error();
    return ChosenKey{**from_env, "$" + env, /*write_file=*/false};
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "the backup holds no master key: pass --master-key FILE or set $" + env);
}

// Where the restore assembles the copy: a hidden sibling of the target, so that the final
// rename stays on one file system.
fs::path StagingDir(const fs::path& target) {
  return target.parent_path() /
         ("." + target.filename().string() + ".restoring-" + std::to_string(::getpid()));
}

}  // namespace

json::object BackupManifestToJson(const BackupManifest& manifest) {
  json::array files;
  for (const auto& file : manifest.files) {
    files.push_back(
        json::object{{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  return json::object{
      {"format", kBackupFormat},
      {"created_at", FormatTimestamp(manifest.created_at_us)},
      {"created_at_us", manifest.created_at_us},
      {"head",
       json::object{{"position", manifest.head.position}, {"hash", ToHex(manifest.head.hash)}}},
      {"master_key_included", manifest.master_key_included},
      {"files", std::move(files)},
  };
}

Result<BackupManifest> BackupManifestFromJson(const json::object& json) {
  auto bad = [](std::string_view what) {
    return MakeError(ErrorCode::kInvalidArgument, "BACKUP.json: " + std::string(what));
  };
  const json::value* format = json.if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kBackupFormat) {
    return bad("not a \"" + std::string(kBackupFormat) + "\" manifest");
  }
  BackupManifest manifest;
  const json::value* created = json.if_contains("created_at_us");
  const json::value* head = json.if_contains("head");
  const json::value* key = json.if_contains("master_key_included");
  const json::value* files = json.if_contains("files");
  if (created == nullptr || !created->is_int64()) return bad("bad created_at_us");
  manifest.created_at_us = created->get_int64();
  const json::value* position =
      head && head->is_object() ? head->as_object().if_contains("position") : nullptr;
  const json::value* hash =
      head && head->is_object() ? head->as_object().if_contains("hash") : nullptr;
  if (position == nullptr || !(position->is_uint64() || position->is_int64()) || hash == nullptr ||
      !hash->is_string() || !FromHex(hash->get_string(), manifest.head.hash)) {
    return bad("bad head");
  }
  boost::system::error_code ec;
  manifest.head.position = position->to_number<std::uint64_t>(ec);
  if (ec) return bad("bad head position");
  if (key == nullptr || !key->is_bool()) return bad("bad master_key_included");
  manifest.master_key_included = key->get_bool();
  if (files == nullptr || !files->is_array()) return bad("bad files");
  for (const auto& entry : files->get_array()) {
    const json::object* file = entry.if_object();
    const json::value* path = file ? file->if_contains("path") : nullptr;
    const json::value* size = file ? file->if_contains("size") : nullptr;
    const json::value* sha = file ? file->if_contains("sha256") : nullptr;
    if (path == nullptr || !path->is_string() || size == nullptr || !size->is_number() ||
        sha == nullptr || !sha->is_string()) {
      return bad("bad entry in files");
    }
    BackupFile parsed{std::string(path->get_string()), size->to_number<std::uint64_t>(ec),
                      std::string(sha->get_string())};
    if (ec) return bad("bad size of " + parsed.path);
    manifest.files.push_back(std::move(parsed));
  }
  return manifest;
}

Result<BackupManifest> ReadBackupManifest(const fs::path& dir) {
  const fs::path path = dir / kBackupManifestFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return MakeError(ErrorCode::kNotFound,
                     dir.string() + " is not a complete PassLedger backup (no BACKUP.json)");
  }
  auto text = ReadSmallFile(path, kMaxManifestBytes);
  if (!text) return text.error();
  boost::system::error_code parse_ec;
  json::value value = json::parse(*text, parse_ec);
  if (parse_ec || !value.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, path.string() + " is not a JSON object");
  }
  return BackupManifestFromJson(value.as_object());
}

Result<BackupManifest> CreateBackup(const EventLog& log, const fs::path& dir,
                                    const BackupOptions& options) {
  auto target = TargetDir::Claim(dir);
  if (!target) return target.error();
  if (auto ok = CheckpointDb(log, dir); !ok) return ok.error();
  if (auto ok = CopyKeysAndMarker(log.data_dir(), dir, options); !ok) return ok.error();
  auto manifest = SealBackup(dir, options);
  if (!manifest) return manifest.error();
  target->Commit();
  return manifest;
}

Result<DataDirBackup> BackupDataDir(const fs::path& data_dir, const fs::path& dir,
                                    const DataDirBackupOptions& options) {
  // Read-only first: refuses a directory that is not ours and creates nothing.
  auto source = DataDir::Open(data_dir, DataDir::Mode::kReadOnly);
  if (!source) return source.error();
  BackupOptions backup;
  if (options.include_master_key) {
    auto key = source->LoadMasterKey(std::nullopt);
    if (!key) return key.error();
    backup.master_key = *key;
  }
  auto target = TargetDir::Claim(dir);
  if (!target) return target.error();

  DataDirBackup out;
  auto lock = DataDir::Open(data_dir, DataDir::Mode::kReadWrite);
  if (!lock) {
    out.lock_error = lock.error().message;
    out.writer_pid = LockHolderPid(data_dir);
  }
  const bool beside_writer = !lock.has_value();
  const int attempts = beside_writer ? std::max(options.max_attempts, 1) : 1;
  Error last;
  for (out.attempts = 1; out.attempts <= attempts; ++out.attempts) {
    auto manifest = BackupDataDirOnce(data_dir, dir, backup, beside_writer);
    if (manifest) {
      out.manifest = std::move(*manifest);
      target->Commit();
      return out;
    }
    last = manifest.error();
    target->Discard();
    if (out.attempts < attempts) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * out.attempts));
    }
  }
  if (beside_writer) {
    last.message +=
        " (" + std::to_string(attempts) + " attempts beside the writer; " + out.lock_error + ")";
  }
  return last;
}

Result<RestoreResult> RestoreBackup(const fs::path& backup_dir, const fs::path& data_dir,
                                    const RestoreOptions& options) {
  auto manifest = ReadBackupManifest(backup_dir);
  if (!manifest) return manifest.error();
  auto key = ChooseMasterKey(backup_dir, *manifest, options);
  if (!key) return key.error();
  fs::path target = fs::absolute(data_dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  if (auto ok = CheckAbsentOrEmpty(target); !ok) return ok.error();
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  const fs::path staging = StagingDir(target);
  fs::remove_all(staging, ec);
  auto staged = TargetDir::Claim(staging);
  if (!staged) return staged.error();
  fs::create_directories(staging, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create " + staging.string() + ": " + ec.message());
  }

  if (auto ok = CopyBackupFiles(backup_dir, *manifest, staging); !ok) return ok.error();
  if (key->key && key->write_file) {
    auto ok = WriteSecretFile(staging / format::kMasterKeyFile, ToHex(*key->key) + "\n");
    if (!ok) return ok.error();
  }
  RestoreResult result;
  {
    // Opened for writing, as the server will: checks the master key and the head record.
    OpenOptions open;
    open.data_dir = staging;
    open.master_key = key->key;
    open.block_cache_bytes = kBackupBlockCacheBytes;
    auto log = EventLog::Open(open);
    if (!log) {
      return MakeError(log.error().code, "the restored copy does not open: " + log.error().message);
    }
    auto report = (*log)->Verify();
    if (!report) return report.error();
    if (!report->ok()) {
      return MakeError(ErrorCode::kCorruption, "the restored copy does not verify at position " +
                                                   std::to_string(*report->first_bad) + ": " +
                                                   report->problem);
    }
    if (report->head.position != manifest->head.position ||
        report->head.hash != manifest->head.hash) {
      return MakeError(ErrorCode::kCorruption, "the restored copy ends at position " +
                                                   std::to_string(report->head.position) +
                                                   ", BACKUP.json says " +
                                                   std::to_string(manifest->head.position));
    }
    result.verified = *report;
  }
  // rename(2) replaces an empty directory, so the target appears complete or not at all.
  if (::rename(staging.c_str(), target.c_str()) != 0) return SysError("cannot rename into", target);
  staged->Commit();
  if (auto ok = FsyncDir(target.parent_path()); !ok) return ok.error();
  result.manifest = std::move(*manifest);
  result.master_key_source = std::move(key->source);
  return result;
}

}  // namespace passledger::events

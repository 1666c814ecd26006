#include "signer/pkpass.h"

#include <openssl/sha.h>
#include <zip.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <ctime>
#include <memory>
#include <set>

#include "base/crypto.h"

namespace passledger::signer {
namespace {

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using UniqueZip = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipSourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using UniqueZipSource = std::unique_ptr<zip_source_t, ZipSourceFree>;

struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using UniqueZipFile = std::unique_ptr<zip_file_t, ZipFileClose>;

struct ZipErrorHolder {
  zip_error_t error;
  ZipErrorHolder() { zip_error_init(&error); }
  ~ZipErrorHolder() { zip_error_fini(&error); }
  ZipErrorHolder(const ZipErrorHolder&) = delete;
  ZipErrorHolder& operator=(const ZipErrorHolder&) = delete;
};

Error ZipFailure(std::string_view call, zip_error_t* error) {
  return MakeError(ErrorCode::kInternal,
                   std::string(call) + ": " + (error ? zip_error_strerror(error) : "failed"));
}

Error ZipFailure(std::string_view call, zip_t* archive) {
  return ZipFailure(call, zip_get_error(archive));
}

// Only JSON is deflated: PNGs are deflated inside already, the DER signature does not
// compress, and the few hundred bytes of pass.strings are not worth a deflate stream.
bool IsDeflated(std::string_view path) { return path.ends_with(".json"); }

// Level 1: a pass.json compresses to about the same size as at level 6 in a fraction of the
// time (docs/PERFORMANCE.md, "Signing").
constexpr zip_uint32_t kDeflateLevel = 1;

Result<void> AddEntry(zip_t* archive, const BundleFile& file, std::time_t mtime) {
  UniqueZipSource source(zip_source_buffer(archive, file.bytes.data(), file.bytes.size(), 0));
  if (!source) return ZipFailure("zip_source_buffer", archive);
  const zip_int64_t index =
      zip_file_add(archive, file.path.c_str(), source.get(), ZIP_FL_ENC_UTF_8);
  if (index < 0) return ZipFailure("zip_file_add", archive);
  source.release();  // the archive owns it now
  const auto at = static_cast<zip_uint64_t>(index);
  const zip_int32_t method = IsDeflated(file.path) ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  if (zip_set_file_compression(archive, at, method, kDeflateLevel) != 0) {
    return ZipFailure("zip_set_file_compression", archive);
  }
  if (zip_file_set_mtime(archive, at, mtime, 0) != 0) {
    return ZipFailure("zip_file_set_mtime", archive);
  }
  return {};
}

// Reads the whole content of a kept source after zip_close wrote the archive into it.
Result<std::string> ReadSource(zip_source_t* source) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(source, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0) {
    return ZipFailure("zip_source_stat", zip_source_error(source));
  }
  if (zip_source_open(source) != 0) return ZipFailure("zip_source_open", zip_source_error(source));
  std::string out(stat.size, '\0');
  const zip_int64_t n = zip_source_read(source, out.data(), out.size());
  zip_source_close(source);
  if (n < 0 || static_cast<zip_uint64_t>(n) != stat.size) {
    return ZipFailure("zip_source_read", zip_source_error(source));
  }
  return out;
}

// A zip we were handed that libzip cannot read: the input's fault, not ours.
Error Damaged(std::string_view call, zip_t* archive) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "damaged zip (" + std::string(call) + ": " +
                       zip_error_strerror(zip_get_error(archive)) + ")");
}

bool IsSafeEntryName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part == ".." || part == ".") return false;
    start = end + 1;
  }
  return true;
}

Result<BundleFile> ReadEntry(zip_t* archive, zip_uint64_t index, std::uint64_t& budget) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive, index, 0, &stat) != 0) return Damaged("zip_stat_index", archive);
  const std::string name = stat.name ? stat.name : "";
  if (!IsSafeEntryName(name)) {
    return MakeError(ErrorCode::kInvalidArgument, "unsafe entry name in the zip: \"" + name + "\"");
  }
  if ((stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > budget) {
    return MakeError(ErrorCode::kTooLarge, "entry " + name + ": the bundle is larger than allowed");
  }
  budget -= stat.size;
  UniqueZipFile file(zip_fopen_index(archive, index, 0));
  if (!file) return Damaged("zip_fopen_index", archive);
  BundleFile out{name, std::string(stat.size, '\0'), {}};
  const zip_int64_t n = zip_fread(file.get(), out.bytes.data(), out.bytes.size());
  if (n < 0 || static_cast<zip_uint64_t>(n) != stat.size) {
    return MakeError(ErrorCode::kInvalidArgument, "entry " + name + ": cannot be decompressed");
  }
  out.sha1_hex = Sha1Hex(out.bytes);
  return out;
}

}  // namespace

std::string Sha1Hex(std::string_view bytes) {
  std::uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return passledger::ToHex(std::span<const std::uint8_t>(digest, sizeof digest));
}

std::string ManifestJson(std::span<const BundleFile* const> files) {
  std::vector<const BundleFile*> sorted(files.begin(), files.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const BundleFile* a, const BundleFile* b) { return a->path < b->path; });
  std::string out = "{";
  for (const BundleFile* file : sorted) {
    if (out.size() > 1) out += ',';
    out += boost::json::serialize(boost::json::string_view(file->path));
    out += ":\"";
    out += file->sha1_hex;
    out += '"';
  }
  out += '}';
  return out;
}

Result<std::string> ZipBundle(std::span<const BundleFile* const> files, std::int64_t mtime_unix) {
  ZipErrorHolder error;
  UniqueZipSource buffer(zip_source_buffer_create(nullptr, 0, 0, &error.error));
  if (!buffer) return ZipFailure("zip_source_buffer_create", &error.error);
  UniqueZip archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error.error));
  if (!archive) return ZipFailure("zip_open_from_source", &error.error);
  // The archive took a reference on open; keep ours to read the result after zip_close.
  zip_source_keep(buffer.get());
  for (const BundleFile* file : files) {
    auto added = AddEntry(archive.get(), *file, static_cast<std::time_t>(mtime_unix));
    if (!added) return added.error();
  }
  if (zip_close(archive.get()) != 0) return ZipFailure("zip_close", archive.get());
  archive.release();  // zip_close freed it
  return ReadSource(buffer.get());
}

Result<std::vector<BundleFile>> ReadPkpass(std::string_view zip_bytes, const PkpassLimits& limits) {
  ZipErrorHolder error;
  UniqueZipSource source(
      zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &error.error));
  if (!source) return ZipFailure("zip_source_buffer_create", &error.error);
  UniqueZip archive(zip_open_from_source(source.get(), ZIP_RDONLY | ZIP_CHECKCONS, &error.error));
  if (!archive) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("not a readable zip: ") + zip_error_strerror(&error.error));
  }
  zip_source_keep(source.get());  // the archive holds a reference; ours is released after it
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count == 0) return MakeError(ErrorCode::kInvalidArgument, "the zip holds no files");
  if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_entries) {
    return MakeError(ErrorCode::kTooLarge, "the zip has too many entries");
  }
  std::vector<BundleFile> files;
  std::set<std::string> names;
  std::uint64_t budget = limits.max_total_bytes;
  for (zip_int64_t i = 0; i < count; ++i) {
    auto file = ReadEntry(archive.get(), static_cast<zip_uint64_t>(i), budget);
    if (!file) return file.error();
    if (!names.insert(file->path).second) {
      return MakeError(ErrorCode::kInvalidArgument, "duplicate entry in the zip: " + file->path);
    }
    files.push_back(std::move(*file));
  }
  return files;
}

}  // namespace passledger::signer

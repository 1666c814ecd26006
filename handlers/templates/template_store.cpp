#include "handlers/templates/template_store.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <system_error>

#include "base/crypto.h"
#include "base/files.h"
#include "events/export_format.h"

namespace passledger::handlers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kDraftFormat = 1;
constexpr std::size_t kMaxDraftFileBytes = 8u << 20;  // 4 MiB of files in base64, and the look
constexpr std::size_t kMaxLookFileBytes = 64u << 10;

Error IoError(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return MakeError(ErrorCode::kUnavailable,
                   std::string(what) + " \"" + path.string() + "\": " + ec.message());
}

Error Damaged(const fs::path& path, std::string_view why) {
  return MakeError(ErrorCode::kCorruption, "\"" + path.string() + "\" " + std::string(why));
}

// Creates `dir` (and its parents) 0700.
Result<void> MakePrivateDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create", dir, ec);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return IoError("cannot chmod 700", dir, ec);
  return {};
}

std::string VersionName(std::int64_t version) { return "v" + std::to_string(version); }

Result<TemplateLook> ParseLook(const fs::path& path, std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return Damaged(path, "is not a JSON object");
  auto look = LookFromJson(parsed.as_object());
  if (!look) return Damaged(path, "does not hold a look: " + look.error().message);
  return *look;
}

Result<std::vector<TemplateFile>> FilesFromJson(const fs::path& path, const json::value* files) {
  if (!files || !files->is_array()) return Damaged(path, "has no files");
  std::vector<TemplateFile> out;
  for (const json::value& entry : files->as_array()) {
    const json::object* file = entry.if_object();
    const json::value* name = file ? file->if_contains("path") : nullptr;
    const json::value* base64 = file ? file->if_contains("base64") : nullptr;
    if (!name || !name->is_string() || !base64 || !base64->is_string()) {
      return Damaged(path, "has a file entry without path and base64");
    }
    auto bytes = events::Base64Decode(base64->as_string());
    if (!bytes) return Damaged(path, "has a file that is not base64");
    out.push_back({std::string(name->as_string()), std::move(*bytes)});
  }
  return out;
}

// Every file of a template folder: its own and those of its <lang>.lproj folders.
Result<void> ReadTree(const fs::path& dir, const std::string& prefix,
                      std::vector<TemplateFile>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && prefix.empty()) {
      if (auto r = ReadTree(it->path(), name + "/", out); !r) return r;
      continue;
    }
    auto bytes = ReadSmallFile(it->path(), signer::kMaxTemplateFileBytes);
    if (!bytes) return bytes.error();
    out.push_back({prefix + name, std::move(*bytes)});
  }
  if (ec) return IoError("cannot list", dir, ec);
  return {};
}

}  // namespace

Result<void> TemplateStore::CheckPassType(std::string_view pass_type) {
  const bool ok =
      !pass_type.empty() && pass_type.size() <= 200 && pass_type.front() != '.' &&
      std::all_of(pass_type.begin(), pass_type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_';
      });
  if (ok) return {};
  return MakeError(ErrorCode::kInvalidArgument,
                   "\"" + std::string(pass_type.substr(0, 200)) + "\" is not a pass type identifier");
}

fs::path TemplateStore::TypeDir(std::string_view pass_type) const {
  return root_ / std::string(pass_type);
}

fs::path TemplateStore::VersionDir(std::string_view pass_type, std::int64_t version) const {
  return TypeDir(pass_type) / VersionName(version);
}

Result<std::optional<TemplateDraft>> TemplateStore::ReadDraft(std::string_view pass_type) const {
  if (auto ok = CheckPassType(pass_type); !ok) return ok.error();
  const fs::path path = TypeDir(pass_type) / "draft.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<TemplateDraft>();
  auto text = ReadSmallFile(path, kMaxDraftFileBytes);
  if (!text) return text.error();
  boost::system::error_code parse_ec;
  json::value parsed = json::parse(*text, parse_ec);
  if (parse_ec || !parsed.is_object()) return Damaged(path, "is not a JSON object");
  const json::object& document = parsed.as_object();
  const json::value* format = document.if_contains("format");
  if (!format || !format->is_int64() || format->as_int64() != kDraftFormat) {
    return Damaged(path, "is not a draft of format 1 (written by another build?)");
  }
  const json::value* look_json = document.if_contains("look");
  if (!look_json || !look_json->is_object()) return Damaged(path, "has no look");
  auto look = LookFromJson(look_json->as_object());
  if (!look) return Damaged(path, "does not hold a look: " + look.error().message);
  auto files = FilesFromJson(path, document.if_contains("files"));
  if (!files) return files.error();
  return std::optional<TemplateDraft>(TemplateDraft{std::move(*look), std::move(*files)});
}

Result<void> TemplateStore::WriteDraft(std::string_view pass_type,
                                       const TemplateDraft& draft) const {
  if (auto ok = CheckPassType(pass_type); !ok) return ok.error();
  json::array files;
  for (const TemplateFile& file : draft.files) {
    files.emplace_back(json::object{{"path", file.path}, {"base64", Base64Encode(file.bytes)}});
  }
  const json::object document{
      {"format", kDraftFormat}, {"look", LookJson(draft.look)}, {"files", std::move(files)}};
  if (auto made = MakePrivateDir(TypeDir(pass_type)); !made) return made;
  return WriteFileAtomically(TypeDir(pass_type) / "draft.json", json::serialize(document), 0600);
}

Result<void> TemplateStore::WriteVersion(std::string_view pass_type, std::int64_t version,
                                         const TemplateDraft& draft) const {
  if (auto ok = CheckPassType(pass_type); !ok) return ok.error();
  const fs::path final_dir = VersionDir(pass_type, version);
  const fs::path staging = TypeDir(pass_type) / (VersionName(version) + ".tmp");
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (ec) return IoError("cannot remove", staging, ec);
  if (auto made = MakePrivateDir(staging / "template"); !made) return made;
  for (const TemplateFile& file : draft.files) {
    const fs::path path = staging / "template" / file.path;
    if (auto made = MakePrivateDir(path.parent_path()); !made) return made;
    if (auto written = WriteFileAtomically(path, file.bytes, 0600); !written) return written;
  }
  if (auto written =
          WriteFileAtomically(staging / "look.json", json::serialize(LookJson(draft.look)), 0600);
      !written) {
    return written;
  }
  if (auto synced = FsyncDir(staging); !synced) return synced;
  fs::remove_all(final_dir, ec);
  if (ec) return IoError("cannot remove", final_dir, ec);
  fs::rename(staging, final_dir, ec);
  if (ec) return IoError("cannot rename into place", final_dir, ec);
  return FsyncDir(TypeDir(pass_type));
}

Result<std::optional<TemplateDraft>> TemplateStore::ReadVersion(std::string_view pass_type,
                                                                std::int64_t version) const {
  if (auto ok = CheckPassType(pass_type); !ok) return ok.error();
  const fs::path dir = VersionDir(pass_type, version);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<TemplateDraft>();
  const fs::path look_path = dir / "look.json";
  auto look_text = ReadSmallFile(look_path, kMaxLookFileBytes);
  if (!look_text) return look_text.error();
  auto look = ParseLook(look_path, *look_text);
  if (!look) return look.error();
  TemplateDraft draft{std::move(*look), {}};
  if (auto read = ReadTree(dir / "template", "", draft.files); !read) return read.error();
  std::sort(draft.files.begin(), draft.files.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
  return std::optional<TemplateDraft>(std::move(draft));
}

}  // namespace passledger::handlers

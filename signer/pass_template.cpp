// Loading and rendering of template folders (signer/pass_template.h).
#include "signer/pass_template.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <cctype>
#include <fstream>
#include <optional>
#include <span>
#include <system_error>

#include "base/crypto.h"
#include "signer/pass_json.h"

#ifndef PASSLEDGER_TEMPLATE_DIR
#error "PASSLEDGER_TEMPLATE_DIR must be defined by signer/CMakeLists.txt"
#endif

namespace passledger::signer {
namespace detail {

// What Load or FromFiles has read so far.
struct TemplateScan {
  std::filesystem::path folder;
  std::string shown;  // the folder or origin as errors name it: "folder \"…\"", "draft"
  std::optional<std::string> pass_json;
  std::vector<BundleFile> files;
  std::uintmax_t total_bytes = 0;
};

}  // namespace detail

namespace {

using detail::TemplateScan;

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::array<std::string_view, 6> kImageBases = {"icon",      "logo",       "strip",
                                                         "thumbnail", "background", "footer"};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Quoted(const fs::path& path) { return "\"" + path.string() + "\""; }

// "icon.png", "logo@2x.png", ... (exact case: Wallet looks these names up exactly).
bool IsImageName(std::string_view name) {
  constexpr std::string_view kPng = ".png";
  if (name.size() <= kPng.size() || !name.ends_with(kPng)) return false;
  name.remove_suffix(kPng.size());
  if (name.ends_with("@2x") || name.ends_with("@3x")) name.remove_suffix(3);
  return std::find(kImageBases.begin(), kImageBases.end(), name) != kImageBases.end();
}

// "en.lproj", "de.lproj", "zh-Hans.lproj", "pt_BR.lproj".
bool IsLprojName(std::string_view name) {
  constexpr std::string_view kSuffix = ".lproj";
  if (!name.ends_with(kSuffix)) return false;
  name.remove_suffix(kSuffix.size());
  std::size_t letters = 0;
  while (letters < name.size() && std::isalpha(static_cast<unsigned char>(name[letters]))) {
    ++letters;
  }
  if (letters < 2 || letters > 3) return false;
  for (std::size_t i = letters; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                    ((c == '-' || c == '_') && i + 1 < name.size());
    if (!ok) return false;
  }
  return true;
}

bool IsPng(std::string_view bytes) {
  constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  return bytes.size() >= 24 && bytes.substr(0, 8) == kSignature && bytes.substr(12, 4) == "IHDR";
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// A .strings file is UTF-16 with a byte-order mark, or UTF-8 (with or without one).
bool IsStringsEncoding(std::string_view bytes) {
  if (bytes.starts_with("\xff\xfe") || bytes.starts_with("\xfe\xff")) return bytes.size() % 2 == 0;
  if (bytes.starts_with("\xef\xbb\xbf")) bytes.remove_prefix(3);
  return IsValidUtf8(bytes);
}

std::string Sha1Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  return passledger::ToHex(std::span<const std::uint8_t>(digest.data(), size));
}


// Counts `size` bytes of the file shown as `shown` against the per-file and total limits.
Result<void> CountBytes(const std::string& shown, std::uintmax_t size, std::uintmax_t limit,
                        TemplateScan& scan) {
  if (size > limit) {
    return MakeError(ErrorCode::kTooLarge, shown + " has " + std::to_string(size) +
                                               " bytes; at most " + std::to_string(limit) +
                                               " are allowed");
  }
  scan.total_bytes += size;
  if (scan.total_bytes > kMaxTemplateTotalBytes) {
    return MakeError(ErrorCode::kTooLarge, "template " + scan.shown + " holds more than " +
                                               std::to_string(kMaxTemplateTotalBytes) + " bytes");
  }
  return {};
}

Result<std::string> ReadFile(const fs::path& path, std::uintmax_t limit, TemplateScan& scan) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Invalid("cannot read " + Quoted(path) + ": " + ec.message());
  if (auto counted = CountBytes(Quoted(path), size, limit, scan); !counted) {
    return counted.error();
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)) || in.peek() != EOF) {
    return Invalid("cannot read " + Quoted(path) + " (changed while reading?)");
  }
  return bytes;
}

// What a file at `name` (inside a <lang>.lproj folder when `in_lproj`) may be; kNone when
// nothing may be there.
enum class EntryKind { kNone, kPassJson, kImage, kStrings };

EntryKind KindOf(std::string_view name, bool in_lproj) {
  if (!in_lproj && name == "pass.json") return EntryKind::kPassJson;
  if (IsImageName(name)) return EntryKind::kImage;
  if (in_lproj && name == "pass.strings") return EntryKind::kStrings;
  return EntryKind::kNone;
}

Error UnexpectedFile(const std::string& shown) {
  return Invalid("unexpected file " + shown + " in a pass template (allowed: pass.json, " +
                 "icon/logo/strip/thumbnail/background/footer[@2x|@3x].png, " +
                 "<lang>.lproj/pass.strings and localized images)");
}

// Checks and keeps one file's bytes, found at `relative` and shown in errors as `shown`.
Result<void> KeepFile(EntryKind kind, const std::string& relative, const std::string& shown,
                      std::string bytes, TemplateScan& scan) {
  if (kind == EntryKind::kPassJson) {
    scan.pass_json = std::move(bytes);
    return {};
  }
  if (kind == EntryKind::kImage && !IsPng(bytes)) return Invalid(shown + " is not a PNG image");
  if (kind == EntryKind::kStrings && !IsStringsEncoding(bytes)) {
    return Invalid(shown + " is neither UTF-8 nor UTF-16 with a byte-order mark");
  }
  std::string sha1 = Sha1Hex(bytes);
  if (sha1.empty()) return MakeError(ErrorCode::kInternal, "EVP_Digest(SHA-1) failed");
  scan.files.push_back(BundleFile{relative, std::move(bytes), std::move(sha1)});
  return {};
}

Result<void> CheckFileCount(const TemplateScan& scan) {
  if (scan.files.size() + 1 >= kMaxTemplateFiles) {
    return MakeError(ErrorCode::kTooLarge, "template " + scan.shown + " has more than " +
                                               std::to_string(kMaxTemplateFiles) + " files");
  }
  return {};
}

// One regular file at `relative` ("icon.png", "de.lproj/pass.strings").
Result<void> AddFile(const fs::path& path, const std::string& relative, bool in_lproj,
                     TemplateScan& scan) {
  const EntryKind kind = KindOf(path.filename().string(), in_lproj);
  if (kind == EntryKind::kNone) return UnexpectedFile(Quoted(path));
  if (kind != EntryKind::kPassJson) {
    if (auto ok = CheckFileCount(scan); !ok) return ok;
  }
  auto bytes = ReadFile(
      path, kind == EntryKind::kPassJson ? kMaxPassJsonTemplateBytes : kMaxTemplateFileBytes, scan);
  if (!bytes) return bytes.error();
  return KeepFile(kind, relative, Quoted(path), std::move(*bytes), scan);
}

// One file given in memory at `relative`: "name" or "<lang>.lproj/name".
Result<void> AddGivenFile(const std::string& relative, std::string bytes, TemplateScan& scan) {
  const std::string shown = "\"" + relative + "\"";
  const std::size_t slash = relative.find('/');
  const bool in_lproj = slash != std::string::npos;
  if (in_lproj && (!IsLprojName(relative.substr(0, slash)) ||
                   relative.find('/', slash + 1) != std::string::npos)) {
    return Invalid("unexpected path " + shown +
                   " in a pass template (only <lang>.lproj/ folders, e.g. de.lproj/)");
  }
  const std::string name = in_lproj ? relative.substr(slash + 1) : relative;
  const EntryKind kind = KindOf(name, in_lproj);
  if (kind == EntryKind::kNone) return UnexpectedFile(shown);
  if (kind != EntryKind::kPassJson) {
    if (auto ok = CheckFileCount(scan); !ok) return ok;
  }
  const std::uintmax_t limit =
      kind == EntryKind::kPassJson ? kMaxPassJsonTemplateBytes : kMaxTemplateFileBytes;
  if (auto counted = CountBytes(shown, bytes.size(), limit, scan); !counted) return counted;
  return KeepFile(kind, relative, shown, std::move(bytes), scan);
}

// Reads `dir` (the folder itself, or one <lang>.lproj inside it when `prefix` is set).
Result<void> ScanDirectory(const fs::path& dir, const std::string& prefix, TemplateScan& scan) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Invalid("cannot list " + Quoted(dir) + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Invalid("cannot list " + Quoted(dir) + ": " + ec.message());
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    const fs::file_status status = it->symlink_status(ec);
    if (ec) return Invalid("cannot stat " + Quoted(path) + ": " + ec.message());
    if (fs::is_symlink(status)) return Invalid(Quoted(path) + " is a symlink; copy the file in");
    if (fs::is_directory(status)) {
      // The e-mail templates (handlers/mail/, docs/TEMPLATES.md) live beside the pass's
      // files; they are not part of the pass.
      if (prefix.empty() && name == kEmailFolder) continue;
      if (!prefix.empty() || !IsLprojName(name)) {
        return Invalid("unexpected folder " + Quoted(path) +
                       " in a pass template (only <lang>.lproj folders, e.g. de.lproj, and "
                       "email/)");
      }
      if (auto r = ScanDirectory(path, name + "/", scan); !r) return r;
      continue;
    }
    if (!fs::is_regular_file(status)) return Invalid(Quoted(path) + " is not a regular file");
    if (auto r = AddFile(path, prefix + name, !prefix.empty(), scan); !r) return r;
  }
  return {};
}

std::string ContentHash(const std::string& pass_json, const std::vector<BundleFile>& files) {
  std::vector<std::pair<std::string_view, std::string_view>> all;
  all.emplace_back("pass.json", pass_json);
  for (const BundleFile& f : files) all.emplace_back(f.path, f.bytes);
  std::sort(all.begin(), all.end());
  passledger::Sha256Stream hash;
  for (const auto& [path, bytes] : all) {
    // path NUL length(8 bytes, big-endian) bytes: no two folders hash alike.
    std::array<char, 9> header{};
    for (int i = 0; i < 8; ++i) {
      header[static_cast<std::size_t>(8 - i)] = static_cast<char>((bytes.size() >> (8 * i)) & 0xff);
    }
    hash.Update(path);
    hash.Update(std::string_view(header.data(), header.size()));
    hash.Update(bytes);
  }
  return passledger::ToHex(hash.Finish());
}

// Two sample passes Load renders: one with every optional value and list filled (also used
// to check placeholder names), one as bare as a member gets.
struct SampleInput {
  PassTypeConfig config;
  MemberData member;
  PassData pass;
  PassInput input;
};

// `look`: the pass type's configuration the samples are rendered with (the organisation's
// texts and colours); the defaults fill in the optional texts the samples need.
SampleInput FullSample(const PassTypeConfig& look) {
  SampleInput s;
  s.config = look;
  if (s.config.contact.empty()) s.config.contact = "Member services: +1 555 0100";
  if (s.config.hours.empty()) s.config.hours = "Open daily 9-17";
  s.member = MemberData{.membership_id = "SAMPLE-0001",
                        .level = "Family",
                        .expires = "2030-06-30",
                        .status = "Active",
                        .active = true,
                        .name = "Sample \"Quoted\" Member\\",
                        .first_name = "Sample",
                        .last_name = "Member",
                        .email = "sample@example.org",
                        .cardholders = {"Sample Member", "Second Holder"},
                        .add_ons = {{"Parking", "1"}, {"Guest passes", "4"}},
                        .member_since = "2020-01-15"};
  s.pass.serial = "sample-serial-1";
  s.pass.cardholder = "Sample \"Q\" Member\\";
  s.input.authentication_token = std::string(32, 'a');
  return s;
}

SampleInput SparseSample(const PassTypeConfig& look) {
  SampleInput s;
  s.config = look;
  s.config.contact.clear();
  s.config.hours.clear();
  s.config.barcode = BarcodeFormat::kCode128;
  s.member = MemberData{.membership_id = "SAMPLE-0002",
                        .level = "",
                        .expires = "",
                        .status = "Lapsed",
                        .active = false,
                        .name = "Sample Organisation",
                        .first_name = "",
                        .last_name = "",
                        .email = "",
                        .cardholders = {},
                        .add_ons = {},
                        .member_since = ""};
  s.pass.serial = "sample-serial-2";
  s.pass.voided = true;
  s.input.authentication_token = std::string(32, 'b');
  return s;
}

}  // namespace

PassTemplate::PassTemplate(fs::path folder, std::string pass_json, MustacheTemplate mustache,
                           std::vector<BundleFile> files)
    : folder_(std::move(folder)),
      pass_json_(std::move(pass_json)),
      mustache_(std::move(mustache)),
      files_(std::move(files)),
      content_hash_(ContentHash(pass_json_, files_)) {}

Result<PassTemplate> PassTemplate::Load(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return MakeError(ErrorCode::kNotFound, "pass template folder " + Quoted(folder) +
                                               " does not exist or is not a folder");
  }
  TemplateScan scan;
  scan.folder = folder;
  scan.shown = "folder " + Quoted(folder);
  if (auto r = ScanDirectory(folder, "", scan); !r) return r.error();
  return FromScan(std::move(scan), (folder / "pass.json").string());
}

Result<PassTemplate> PassTemplate::FromFiles(std::string_view origin,
                                             std::vector<std::pair<std::string, std::string>> files) {
  TemplateScan scan;
  scan.shown = std::string(origin);
  for (auto& [path, bytes] : files) {
    if (auto r = AddGivenFile(path, std::move(bytes), scan); !r) return r.error();
  }
  for (std::size_t i = 1; i < scan.files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (scan.files[i].path == scan.files[j].path) {
        return Invalid("template " + scan.shown + " names \"" + scan.files[i].path + "\" twice");
      }
    }
  }
  return FromScan(std::move(scan), std::string(origin) + "/pass.json");
}

Result<PassTemplate> PassTemplate::FromScan(TemplateScan scan, const std::string& pass_json_name) {
  if (!scan.pass_json) return Invalid("pass template " + scan.shown + " has no pass.json");
  const bool has_icon = std::any_of(scan.files.begin(), scan.files.end(),
                                    [](const BundleFile& f) { return f.path == "icon.png"; });
  if (!has_icon) {
    return Invalid("pass template " + scan.shown + " has no icon.png (Wallet requires one)");
  }
  std::sort(scan.files.begin(), scan.files.end(),
            [](const BundleFile& a, const BundleFile& b) { return a.path < b.path; });
  auto mustache = MustacheTemplate::Parse(*scan.pass_json, pass_json_name);
  if (!mustache) return mustache.error();
  PassTemplate loaded(scan.folder, std::move(*scan.pass_json), std::move(*mustache),
                      std::move(scan.files));
  if (auto checked = loaded.CheckSamples(PassTypeConfig{}); !checked) return checked.error();
  return loaded;
}

Result<void> PassTemplate::CheckSamples(const PassTypeConfig& look) const {
  SampleInput full = FullSample(look);
  SampleInput sparse = SparseSample(look);
  for (SampleInput* sample : {&full, &sparse}) {
    sample->input.config = &sample->config;
    sample->input.member = &sample->member;
    sample->input.pass = &sample->pass;
  }
  const json::value names(PassContext(full.input, TimeZone::Utc()));
  if (auto r = mustache_.CheckNames(names); !r) return r.error();
  for (const SampleInput* sample : {&full, &sparse}) {
    if (auto r = RenderPassJson(sample->input, TimeZone::Utc()); !r) return r.error();
  }
  return {};
}

Result<std::string> PassTemplate::RenderSample(const PassTypeConfig& look) const {
  SampleInput full = FullSample(look);
  full.input.config = &full.config;
  full.input.member = &full.member;
  full.input.pass = &full.pass;
  full.config.web_service_url.clear();
  return RenderPassJson(full.input, TimeZone::Utc());
}

Result<std::string> PassTemplate::RenderPassJson(const PassInput& input) const {
  if (auto ok = CheckPassInput(input); !ok) return ok.error();
  auto zone = TimeZone::LoadCached(input.config->time_zone);
  if (!zone) return zone.error();
  return RenderPassJson(input, *zone);
}

Result<std::string> PassTemplate::RenderPassJson(const PassInput& input,
                                                 const TimeZone& zone) const {
  if (auto ok = CheckPassInput(input); !ok) return ok.error();
  // The context lives in a stack arena: a few dozen small nodes, all freed together.
  std::array<unsigned char, 8192> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  const json::value context(PassContext(input, zone, &resource));
  std::string rendered;
  rendered.reserve(pass_json_.size() + 1024);
  if (auto r = mustache_.Render(context, &rendered); !r) return r.error();
  auto finished = FinishPassJson(rendered, input, zone, mustache_.file_name());
  if (!finished) return ExplainJsonError(std::move(finished.error()), context, rendered);
  return finished;
}

Error PassTemplate::ExplainJsonError(Error error, const json::value& context,
                                     std::string_view rendered) const {
  const auto offset = JsonErrorOffset(rendered);
  if (!offset) return error;
  const MustacheTemplate::Origin origin = mustache_.Locate(context, *offset);
  if (origin.line == 0) return error;
  error.message += "; template line " + std::to_string(origin.line);
  if (!origin.placeholder.empty()) error.message += ", near " + origin.placeholder;
  return error;
}

std::filesystem::path DefaultTemplateDir() { return PASSLEDGER_TEMPLATE_DIR; }

}  // namespace passledger::signer

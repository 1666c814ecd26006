#include "handlers/templates/template_draft.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "base/crypto.h"
#include "signer/pass_json.h"

namespace passledger::handlers {
namespace {

namespace json = boost::json;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// --- colours ---

bool ParseByte(std::string_view text, std::uint8_t& out) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 255) {
    return false;
  }
  out = static_cast<std::uint8_t>(value);
  return true;
}

std::optional<signer::Rgb> ParseRgbFunction(std::string_view text) {
  if (!text.starts_with("rgb(") || !text.ends_with(")")) return std::nullopt;
  text = text.substr(4, text.size() - 5);
  std::array<std::uint8_t, 3> parts{};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::size_t comma = text.find(',');
    if ((comma == std::string_view::npos) != (i == 2)) return std::nullopt;
    if (!ParseByte(text.substr(0, comma), parts[i])) return std::nullopt;
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return signer::Rgb{parts[0], parts[1], parts[2]};
}

std::optional<signer::Rgb> ParseHexColour(std::string_view text) {
  if (text.size() != 7 || text.front() != '#') return std::nullopt;
  std::array<std::uint8_t, 3> parts{};
  if (!FromHex(text.substr(1), parts)) return std::nullopt;
  return signer::Rgb{parts[0], parts[1], parts[2]};
}

Result<signer::Rgb> ColourField(const json::object& colors, std::string_view name) {
  const std::string field = "colors." + std::string(name);
  const json::value* value = colors.if_contains(name);
  if (!value || !value->is_string()) {
    return Invalid(field + " is required: give \"rgb(r, g, b)\" or \"#rrggbb\"");
  }
  const std::string_view text = value->as_string();
  if (auto rgb = ParseRgbFunction(text)) return *rgb;
  if (auto rgb = ParseHexColour(text)) return *rgb;
  return Invalid(field + ": \"" + std::string(text.substr(0, 40)) +
                 "\" is not a colour; give \"rgb(r, g, b)\" (0-255 each) or \"#rrggbb\"");
}

// --- texts ---

bool HasControl(std::string_view text, bool lines_allowed) {
  for (const unsigned char c : text) {
    if (lines_allowed && c == '\n') continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

struct TextSpec {
  std::string_view name;
  std::string TemplateLook::*member;
  bool required;
  bool multiline;
};

constexpr TextSpec kTexts[] = {
    {"organizationName", &TemplateLook::organization_name, true, false},
    {"description", &TemplateLook::description, true, false},
    {"logoText", &TemplateLook::logo_text, false, false},
    {"programName", &TemplateLook::program_name, false, false},
    {"contact", &TemplateLook::contact, false, true},
    {"hours", &TemplateLook::hours, false, true},
};

Result<std::string> TextField(const json::object& texts, const TextSpec& spec) {
  const std::string field = "texts." + std::string(spec.name);
  const json::value* value = texts.if_contains(spec.name);
  if (!value || value->is_null()) {
    if (spec.required) return Invalid(field + " is required");
    return std::string();
  }
  if (!value->is_string()) return Invalid(field + " must be a string");
  const std::string_view text = value->as_string();
  const std::size_t limit = spec.multiline ? kMaxBackText : kMaxLookText;
  if (spec.required && text.empty()) return Invalid(field + " must not be empty");
  if (text.size() > limit) {
    return Invalid(field + " has " + std::to_string(text.size()) + " bytes; at most " +
                   std::to_string(limit) + " are allowed");
  }
  if (HasControl(text, spec.multiline)) {
    return Invalid(field + (spec.multiline ? " must not hold control characters other than "
                                             "line breaks"
                                           : " must be one line without control characters"));
  }
  return std::string(text);
}

// --- PNG ---

std::uint32_t Be32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

const std::array<std::uint32_t, 256>& CrcTable() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

// The CRC-32 of PNG (ISO 3309), over a chunk's type and data.
std::uint32_t Crc32(std::string_view bytes) {
  std::uint32_t c = 0xffffffffu;
  for (const unsigned char b : bytes) c = CrcTable()[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

}  // namespace

Result<PngInfo> InspectPng(std::string_view bytes) {
  constexpr std::string_view kSignature("\x89PNG\r\n\x1a\n", 8);
  if (!bytes.starts_with(kSignature)) return Invalid("not a PNG image (no PNG signature)");
  PngInfo info;
  bool idat = false;
  std::size_t at = kSignature.size();
  for (std::size_t chunk = 0;; ++chunk) {
    if (bytes.size() - at < 12) return Invalid("not a PNG image (cut short: no IEND chunk)");
    const std::uint32_t length = Be32(bytes, at);
    const std::string_view type = bytes.substr(at + 4, 4);
    if (length > bytes.size() - at - 12) return Invalid("not a PNG image (a chunk is cut short)");
    const std::string_view covered = bytes.substr(at + 4, 4 + length);
    if (Crc32(covered) != Be32(bytes, at + 8 + length)) {
      return Invalid("not a PNG image (the CRC of chunk " + std::string(type) + " is wrong)");
    }
    if (chunk == 0) {
      if (type != "IHDR" || length != 13) return Invalid("not a PNG image (IHDR is not first)");
      info.width = Be32(bytes, at + 8);
      info.height = Be32(bytes, at + 12);
    }
    idat = idat || type == "IDAT";
    at += 12 + length;
    if (type == "IEND") break;
  }
  if (!idat) return Invalid("not a PNG image (no image data)");
  if (at != bytes.size()) return Invalid("not a PNG image (bytes after IEND)");
  if (info.width == 0 || info.height == 0 || info.width > kMaxImageSide ||
      info.height > kMaxImageSide) {
    return Invalid("the image is " + std::to_string(info.width) + "×" +
                   std::to_string(info.height) + " pixels; each side must be 1 to " +
                   std::to_string(kMaxImageSide));
  }
  return info;
}

TemplateLook LookOf(const signer::PassTypeConfig& config) {
  return TemplateLook{config.foreground,   config.background,  config.label,
                      config.organization_name, config.description, config.logo_text,
                      config.program_name, config.contact,     config.hours};
}

signer::PassTypeConfig WithLook(signer::PassTypeConfig base, const TemplateLook& look) {
  base.foreground = look.foreground;
  base.background = look.background;
  base.label = look.label;
  base.organization_name = look.organization_name;
  base.description = look.description;
  base.logo_text = look.logo_text;
  base.program_name = look.program_name;
  base.contact = look.contact;
  base.hours = look.hours;
  return base;
}

TemplateDraft DraftOf(const signer::PassTypeConfig& config, const signer::PassTemplate& served) {
  TemplateDraft draft{LookOf(config), {}};
  draft.files.push_back({"pass.json", served.pass_json_template()});
  for (const signer::BundleFile& file : served.files()) {
    draft.files.push_back({file.path, file.bytes});
  }
  std::sort(draft.files.begin(), draft.files.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
  return draft;
}

std::string ContentHashOf(const TemplateDraft& draft) {
  Sha256Stream hash;
  const auto add = [&](std::string_view name, std::string_view bytes) {
    // name NUL length (8 bytes, big-endian) bytes: no two drafts hash alike.
    std::array<char, 9> header{};
    for (int i = 0; i < 8; ++i) {
      header[static_cast<std::size_t>(8 - i)] = static_cast<char>((bytes.size() >> (8 * i)) & 0xff);
    }
    hash.Update(name);
    hash.Update(std::string_view(header.data(), header.size()));
    hash.Update(bytes);
  };
  add("look", json::serialize(LookJson(draft.look)));
  for (const TemplateFile& file : draft.files) add("file:" + file.path, file.bytes);
  return ToHex(hash.Finish());
}

json::object LookJson(const TemplateLook& look) {
  json::object texts;
  for (const TextSpec& spec : kTexts) texts[spec.name] = look.*spec.member;
  return json::object{{"colors", json::object{{"foreground", signer::RgbString(look.foreground)},
                                              {"background", signer::RgbString(look.background)},
                                              {"label", signer::RgbString(look.label)}}},
                      {"texts", std::move(texts)}};
}

Result<TemplateLook> LookFromJson(const json::object& document) {
  const json::value* colors = document.if_contains("colors");
  if (!colors || !colors->is_object()) {
    return Invalid("colors is required: {\"foreground\", \"background\", \"label\"}");
  }
  const json::value* texts = document.if_contains("texts");
  if (!texts || !texts->is_object()) {
    return Invalid("texts is required: {\"organizationName\", \"description\", \"logoText\", …}");
  }
  TemplateLook look;
  for (auto [name, member] : {std::pair{"foreground", &TemplateLook::foreground},
                              std::pair{"background", &TemplateLook::background},
                              std::pair{"label", &TemplateLook::label}}) {
    auto rgb = ColourField(colors->as_object(), name);
    if (!rgb) return rgb.error();
    look.*member = *rgb;
  }
  for (const TextSpec& spec : kTexts) {
    auto text = TextField(texts->as_object(), spec);
    if (!text) return text.error();
    look.*spec.member = std::move(*text);
  }
  return look;
}

Result<CheckedTemplate> CheckDraft(const TemplateDraft& draft, const signer::PassTypeConfig& base,
                                   std::string_view origin) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const TemplateFile& file : draft.files) {
    if (file.path.ends_with(".png")) {
      if (auto png = InspectPng(file.bytes); !png) {
        return Invalid("\"" + file.path + "\": " + png.error().message);
      }
    }
    files.emplace_back(file.path, file.bytes);
  }
  auto loaded = signer::PassTemplate::FromFiles(origin, std::move(files));
  if (!loaded) return loaded.error();
  CheckedTemplate out{WithLook(base, draft.look), nullptr, ContentHashOf(draft)};
  if (auto samples = loaded->CheckSamples(out.config); !samples) return samples.error();
  out.pass_template = std::make_shared<const signer::PassTemplate>(std::move(*loaded));
  return out;
}

}  // namespace passledger::handlers

// A pass type's template as staff edit it over the admin API (docs/TEMPLATES.md, "Editing
// templates"): the look — the organisation's texts and the colours, which override the
// configuration's — and the template files (pass.json, images, <lang>.lproj/pass.strings).
// A draft becomes a published version unchanged; both are plain values here, their files are
// handlers/templates/template_store.h's.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "signer/pass_input.h"
#include "signer/pass_template.h"

namespace passledger::handlers {

// The texts and colours a template version sets in place of the configuration's
// ([pass]/[organization], signer::PassTypeConfig).
struct TemplateLook {
  signer::Rgb foreground, background, label;
  std::string organization_name, description, logo_text, program_name, contact, hours;
  bool operator==(const TemplateLook&) const = default;
};

struct TemplateFile {
  std::string path;  // "pass.json", "icon.png", "de.lproj/pass.strings", ...
  std::string bytes;
  bool operator==(const TemplateFile&) const = default;
};

struct TemplateDraft {
  TemplateLook look;
  std::vector<TemplateFile> files;  // sorted by path, pass.json included
  bool operator==(const TemplateDraft&) const = default;
};

// At most this many bytes of UTF-8 per text, one line (contact and hours may be longer).
inline constexpr std::size_t kMaxLookText = 200;
inline constexpr std::size_t kMaxBackText = 1000;
// An image's sides, in pixels (Wallet's largest images are a few hundred points at @3x).
inline constexpr std::uint32_t kMaxImageSide = 4096;

TemplateLook LookOf(const signer::PassTypeConfig& config);
// `base` with the look's texts and colours; every other setting (identifiers, barcode, web
// service URL, time zone) stays.
signer::PassTypeConfig WithLook(signer::PassTypeConfig base, const TemplateLook& look);

// The draft of what a factory serves now: its configuration's look and its template's files.
TemplateDraft DraftOf(const signer::PassTypeConfig& config, const signer::PassTemplate& served);

// Lowercase hex SHA-256 over the look (as LookJson, serialised) and every file's path and
// bytes: TemplatePublished's contentHash. Equal drafts hash alike, any change differs.
std::string ContentHashOf(const TemplateDraft& draft);

// {"colors": {foreground, background, label}, "texts": {organizationName, description,
// logoText, programName, contact, hours}} with colours as "rgb(r, g, b)".
boost::json::object LookJson(const TemplateLook& look);
// The reverse. Colours may also be "#rrggbb". kInvalidArgument naming the field
// ("colors.background", "texts.logoText") for a missing or malformed value.
Result<TemplateLook> LookFromJson(const boost::json::object& document);

// A PNG's header as a real PNG has it: the signature, every chunk's length and CRC, IHDR
// first, at least one IDAT, IEND last with nothing after it. kInvalidArgument saying what is
// wrong otherwise; sides of 0 or beyond kMaxImageSide are refused too.
struct PngInfo {
  std::uint32_t width = 0, height = 0;
};
Result<PngInfo> InspectPng(std::string_view bytes);

// A draft made usable: its template checked as a template folder is at load (every
// placeholder, both sample members rendered with the draft's look), the configuration it is
// rendered with, and its content hash.
struct CheckedTemplate {
  signer::PassTypeConfig config;
  std::shared_ptr<const signer::PassTemplate> pass_template;
  std::string content_hash;
};

// `base`: the pass type's configuration (identifiers, barcode, time zone); `origin` names the
// template in errors. kInvalidArgument / kTooLarge as signer::PassTemplate::FromFiles says,
// and for an image that InspectPng refuses.
Result<CheckedTemplate> CheckDraft(const TemplateDraft& draft, const signer::PassTypeConfig& base,
                                   std::string_view origin);

}  // namespace passledger::handlers

// PassTemplate: one pass type's template folder (docs/TEMPLATES.md), loaded
// once and rendered for every pass of that type.
//
// A folder holds pass.json (Mustache placeholders), images (icon.png required; logo, strip,
// thumbnail, background, footer, each with optional @2x/@3x variants) and optional
// <lang>.lproj/ folders with pass.strings and localized images, and an email/ folder of e-mail
// templates that is not part of the pass (handlers/mail/). Anything else is refused, so
// a typo ("Icon.png", "logo@2x.PNG") fails at start-up instead of silently missing on phones.
// Load reads every file into memory, parses the Mustache once, checks every placeholder
// against the documented context and renders two sample members to prove the template makes
// valid pass.json.
//
// Thread-safety: immutable after Load; any number of threads may render concurrently. Copies
// share nothing and cost the file bytes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "signer/bundle_file.h"
#include "signer/mustache_render.h"
#include "signer/pass_input.h"
#include "signer/time_zone.h"

namespace passledger::signer {

// The folder of a template that holds the e-mail templates: skipped here, not in the pass.
inline constexpr std::string_view kEmailFolder = "email";

// Size limits of a template folder (kTooLarge when exceeded).
inline constexpr std::size_t kMaxTemplateFiles = 64;
inline constexpr std::uintmax_t kMaxTemplateFileBytes = 1024 * 1024;
inline constexpr std::uintmax_t kMaxTemplateTotalBytes = 4 * 1024 * 1024;
inline constexpr std::uintmax_t kMaxPassJsonTemplateBytes = 64 * 1024;

namespace detail {
struct TemplateScan;  // pass_template.cpp
}  // namespace detail

class PassTemplate {
 public:
  // Errors name the folder or file: kNotFound for a missing folder; kInvalidArgument for a
  // missing pass.json or icon.png, an unexpected file or folder, a symlink, a file that is
  // not a PNG where one is expected, a pass.strings that is neither UTF-8 nor UTF-16 with a
  // byte-order mark, Mustache errors (file, line and placeholder) and sample renders that are
  // not valid pass.json; kTooLarge beyond the limits above.
  static Result<PassTemplate> Load(const std::filesystem::path& folder);

  // The same checks for files given in memory (a draft edited over the admin API), each a
  // path ("pass.json", "icon.png", "de.lproj/pass.strings") and its bytes. `origin` names
  // the template in errors ("draft of pass.org.example.member"); folder() is then empty.
  // Also kInvalidArgument for a path given twice or one that is not a name or
  // "<lang>.lproj/<name>".
  static Result<PassTemplate> FromFiles(std::string_view origin,
                                        std::vector<std::pair<std::string, std::string>> files);

  // Renders the two load-time sample members with `look` (the pass type's configuration: the
  // organisation's texts and colours) and checks every placeholder: what Load does with the
  // default configuration, for a configuration that will be used with this template.
  Result<void> CheckSamples(const PassTypeConfig& look) const;
  // The finished pass.json of the full sample member with `look`, without a web service URL
  // (so without webServiceURL and authenticationToken): what the template shows.
  Result<std::string> RenderSample(const PassTypeConfig& look) const;

  const std::filesystem::path& folder() const { return folder_; }

  // The final pass.json bytes for one pass: placeholders filled and JSON-escaped, server keys
  // set (see signer/pass_json.h). The zone is input.config->time_zone through
  // TimeZone::LoadCached; kInvalidArgument if it does not load.
  Result<std::string> RenderPassJson(const PassInput& input) const;
  // The same with a zone the caller holds.
  Result<std::string> RenderPassJson(const PassInput& input, const TimeZone& zone) const;

  // Every file except pass.json, sorted by path ("de.lproj/pass.strings", "icon.png", ...),
  // with sha1_hex filled.
  const std::vector<BundleFile>& files() const { return files_; }

  // Lowercase hex SHA-256 over every file's path and bytes, pass.json's raw template
  // included: changes whenever anything in the folder changes.
  const std::string& content_hash() const { return content_hash_; }

  // The raw pass.json template as read.
  const std::string& pass_json_template() const { return pass_json_; }

  // Every placeholder name the pass.json template uses, in order of first use.
  std::vector<std::string> PlaceholderNames() const { return mustache_.Names(); }

 private:
  PassTemplate(std::filesystem::path folder, std::string pass_json, MustacheTemplate mustache,
               std::vector<BundleFile> files);

  static Result<PassTemplate> FromScan(detail::TemplateScan scan,
                                       const std::string& pass_json_name);

  // Adds the template line and placeholder nearest to a JSON syntax error to `error`.
  Error ExplainJsonError(Error error, const boost::json::value& context,
                         std::string_view rendered) const;

  std::filesystem::path folder_;
  std::string pass_json_;
  MustacheTemplate mustache_;
  std::vector<BundleFile> files_;
  std::string content_hash_;
};

// The default membership template in the source tree (signer/templates/membership).
std::filesystem::path DefaultTemplateDir();

}  // namespace passledger::signer

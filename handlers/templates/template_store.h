// TemplateStore: the files of edited and published templates in the data directory
// (docs/TEMPLATES.md, "Editing templates"):
//
//   <data>/templates/<passTypeId>/draft.json       the draft: look and files (base64), one
//                                                 file written atomically (temporary file,
//                                                 fsync, rename, fsync of the folder)
//   <data>/templates/<passTypeId>/v<N>/look.json   published version N: its look, and
//   <data>/templates/<passTypeId>/v<N>/template/   its template folder (what PassTemplate::Load
//                                                 reads); written under v<N>.tmp and renamed
//                                                 into place whole, never changed afterwards
//
// Directories 0700, files 0600. The event log says which version is published
// (TemplatePublished, the templates view); these files hold what it names.
//
// Thread-compatible: one writer per pass type at a time (TemplateService serialises them);
// reads of published versions may run beside anything.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "base/error.h"
#include "handlers/templates/template_draft.h"

namespace passledger::handlers {

class TemplateStore {
 public:
  // `root`: <data>/templates (created on the first write).
  explicit TemplateStore(std::filesystem::path root) : root_(std::move(root)) {}

  // nullopt when no draft was saved. kCorruption for a draft file that does not decode.
  Result<std::optional<TemplateDraft>> ReadDraft(std::string_view pass_type) const;
  Result<void> WriteDraft(std::string_view pass_type, const TemplateDraft& draft) const;

  // Writes version `version`; a left-over v<N>.tmp or an unpublished v<N> (a publish that
  // failed before its event was committed) is replaced.
  Result<void> WriteVersion(std::string_view pass_type, std::int64_t version,
                            const TemplateDraft& draft) const;
  // nullopt when the version's folder does not exist.
  Result<std::optional<TemplateDraft>> ReadVersion(std::string_view pass_type,
                                                   std::int64_t version) const;
  std::filesystem::path VersionDir(std::string_view pass_type, std::int64_t version) const;

  // kInvalidArgument unless `pass_type` is a pass type identifier that can name a folder:
  // 1-200 of A-Z a-z 0-9 . - _, not starting with a dot.
  static Result<void> CheckPassType(std::string_view pass_type);

 private:
  std::filesystem::path TypeDir(std::string_view pass_type) const;

  const std::filesystem::path root_;  // constant after construction
};

}  // namespace passledger::handlers

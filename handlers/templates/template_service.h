// TemplateService: pass templates edited and published from the admin API (docs/TEMPLATES.md,
// "Editing templates"; docs/ADMIN.md, "Templates"). A pass type has at most one draft
// (TemplateStore); publishing it writes version N+1, appends TemplatePublished {passTypeId,
// version, contentHash} to template-<passTypeId> with the caller as the actor, puts a factory
// with the new template in PassBundles at once (every pass made after that uses it) and
// starts the revision of every pass of the type (TemplateRevisions), whose devices the push
// dispatcher then pushes.
//
// Every draft is checked as a template folder is at load — every placeholder, the two sample
// members rendered with the draft's look — when it is saved and again when it is published.
//
// Thread-safe: writes (Put, Publish) are serialised by a mutex; reads run beside them. The
// EventLog, PassBundles and TemplateRevisions are borrowed and must outlive this object.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "handlers/admin/pass_preview.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/templates/template_draft.h"
#include "handlers/templates/template_revisions.h"
#include "handlers/templates/template_store.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// An image of a draft as the admin UI lists it.
struct TemplateImage {
  std::string path;
  std::size_t bytes = 0;
  std::uint32_t width = 0, height = 0;
  std::string sha256;  // lowercase hex
};

// What GET answers: the draft (or, when none is saved, what is served now) and how it stands
// against the published version.
struct TemplateDocument {
  std::string pass_type_id;
  TemplateDraft draft;
  bool saved = false;        // a draft is saved; false: `draft` is the template served now
  std::string content_hash;  // ContentHashOf(draft)
  std::vector<TemplateImage> images;
  // The sample member's pass as the draft renders it: the fields and their labels by zone.
  std::optional<PassPreview> sample;
  std::string sample_error;  // why there is no sample (a saved draft always has one)
  std::optional<projections::TemplateView> published;
  // The draft differs from the template served now (the published version, or the
  // configured template when none was published).
  bool differs = false;
  std::optional<RevisionStatus> revision;  // the last revision job of this process
};

struct PublishOutcome {
  std::int64_t version = 0;
  std::uint64_t position = 0;  // of TemplatePublished
  std::string content_hash;
  RevisionStatus revision;  // as far as it got within the wait
};

class TemplateService {
 public:
  TemplateService(events::EventLog* log, projections::ReadModel read, PassBundles* bundles,
                  TemplateStore store, TemplateRevisions* revisions);

  // kNotFound for a pass type this server does not serve.
  Result<TemplateDocument> Get(std::string_view pass_type) const;
  // The saved draft, else the template served now (`*saved` says which).
  Result<TemplateDraft> CurrentDraft(std::string_view pass_type, bool* saved) const;
  // Checks and saves `draft` in place of the saved one. kInvalidArgument / kTooLarge naming
  // the file or field at fault; nothing is saved then.
  Result<TemplateDocument> Put(std::string_view pass_type, TemplateDraft draft);
  // The pass of `membership_id` (its pass `serial`, or its first pass of the type when
  // empty) rendered from the draft, as PassPreviews::Get renders it from the served template.
  // kNotFound for an unknown member, serial, or a member without a pass of the type.
  Result<PassPreview> Preview(std::string_view pass_type, std::string_view membership_id,
                              std::string_view serial) const;
  // One file of the draft (an image), kNotFound when it has none at `path`.
  Result<TemplateFile> File(std::string_view pass_type, std::string_view path) const;
  // Publishes the saved draft (above) and waits up to `wait` for the revision job.
  // kFailedPrecondition without a saved draft, or when it is what is published already;
  // kConflict when another process published meanwhile.
  Result<PublishOutcome> Publish(std::string_view pass_type, std::string actor,
                                 std::chrono::milliseconds wait);

 private:
  Result<std::shared_ptr<const signer::PassFactory>> FactoryOf(std::string_view pass_type) const;
  Result<TemplateDocument> Describe(std::string_view pass_type, TemplateDraft draft,
                                    bool saved) const;

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  PassBundles* const bundles_;
  const TemplateStore store_;
  TemplateRevisions* const revisions_;

  Mutex write_mutex_;  // held by Put and Publish for their whole run
};

// At start: when the views name a published version of `*factory`'s pass type, replaces
// `*factory` with one for that version (its look on top of the configured settings).
// A version whose folder is missing (a data directory restored without templates/) leaves
// the configured template and adds a warning; one whose files no longer match the
// published content hash, or no longer load, is kCorruption / the load error.
// Returns the version used (0: the configured template).
Result<std::int64_t> UsePublishedTemplate(const TemplateStore& store,
                                          const projections::ReadModel& read,
                                          std::shared_ptr<const signer::PassFactory>* factory,
                                          std::vector<std::string>* warnings);

}  // namespace passledger::handlers

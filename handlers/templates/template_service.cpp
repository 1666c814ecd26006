#include "handlers/templates/template_service.h"

#include "base/crypto.h"
#include "events/catalogue.h"
#include "handlers/passes/pass_records.h"

namespace passledger::handlers {
namespace {

Error NotServed(std::string_view pass_type) {
  return MakeError(ErrorCode::kNotFound,
                   "pass type " + std::string(pass_type) + " is not served here");
}

std::string DraftOrigin(std::string_view pass_type) {
  return "draft of " + std::string(pass_type);
}

std::vector<TemplateImage> ImagesOf(const TemplateDraft& draft) {
  std::vector<TemplateImage> out;
  for (const TemplateFile& file : draft.files) {
    if (!file.path.ends_with(".png")) continue;
    TemplateImage image{file.path, file.bytes.size(), 0, 0, ToHex(Sha256(file.bytes))};
    if (auto png = InspectPng(file.bytes)) {
      image.width = png->width;
      image.height = png->height;
    }
    out.push_back(std::move(image));
  }
  return out;
}

}  // namespace

TemplateService::TemplateService(events::EventLog* log, projections::ReadModel read,
                                 PassBundles* bundles, TemplateStore store,
                                 TemplateRevisions* revisions)
    : log_(log),
      read_(read),
      bundles_(bundles),
      store_(std::move(store)),
      revisions_(revisions) {}

Result<std::shared_ptr<const signer::PassFactory>> TemplateService::FactoryOf(
    std::string_view pass_type) const {
  auto factory = bundles_->Factory(pass_type);
  if (!factory) return NotServed(pass_type);
  return factory;
}

Result<TemplateDraft> TemplateService::CurrentDraft(std::string_view pass_type,
                                                    bool* saved) const {
  auto factory = FactoryOf(pass_type);
  if (!factory) return factory.error();
  auto draft = store_.ReadDraft(pass_type);
  if (!draft) return draft.error();
  *saved = draft->has_value();
  if (*draft) return std::move(**draft);
  return DraftOf((*factory)->config(), (*factory)->pass_template());
}

Result<TemplateDocument> TemplateService::Describe(std::string_view pass_type,
                                                   TemplateDraft draft, bool saved) const {
  auto factory = FactoryOf(pass_type);
  if (!factory) return factory.error();
  TemplateDocument doc;
  doc.pass_type_id = std::string(pass_type);
  doc.saved = saved;
  doc.content_hash = ContentHashOf(draft);
  doc.images = ImagesOf(draft);
  const TemplateDraft served = DraftOf((*factory)->config(), (*factory)->pass_template());
  doc.differs = doc.content_hash != ContentHashOf(served);
  auto checked = CheckDraft(draft, (*factory)->config(), DraftOrigin(pass_type));
  if (checked) {
    auto sample = checked->pass_template->RenderSample(checked->config);
    auto preview = sample ? PreviewOfPassJson(*sample) : Result<PassPreview>(sample.error());
    if (preview) {
      doc.sample = std::move(*preview);
    } else {
      doc.sample_error = preview.error().message;
    }
  } else {
    doc.sample_error = checked.error().message;
  }
  auto published = read_.Template(pass_type);
  if (!published) return published.error();
  doc.published = std::move(*published);
  doc.revision = revisions_->Status(pass_type);
  doc.draft = std::move(draft);
  return doc;
}

Result<TemplateDocument> TemplateService::Get(std::string_view pass_type) const {
  bool saved = false;
  auto draft = CurrentDraft(pass_type, &saved);
  if (!draft) return draft.error();
  return Describe(pass_type, std::move(*draft), saved);
}

Result<TemplateDocument> TemplateService::Put(std::string_view pass_type, TemplateDraft draft) {
  auto factory = FactoryOf(pass_type);
  if (!factory) return factory.error();
  auto checked = CheckDraft(draft, (*factory)->config(), DraftOrigin(pass_type));
  if (!checked) return checked.error();
  {
    MutexLock lock(write_mutex_);
    if (auto written = store_.WriteDraft(pass_type, draft); !written) return written.error();
  }
  return Describe(pass_type, std::move(draft), true);
}

Result<TemplateFile> TemplateService::File(std::string_view pass_type,
                                           std::string_view path) const {
  bool saved = false;
  auto draft = CurrentDraft(pass_type, &saved);
  if (!draft) return draft.error();
  for (TemplateFile& file : draft->files) {
    if (file.path == path) return std::move(file);
  }
  return MakeError(ErrorCode::kNotFound,
                   "the draft of " + std::string(pass_type) + " has no file " + std::string(path));
}

Result<PassPreview> TemplateService::Preview(std::string_view pass_type,
                                             std::string_view membership_id,
                                             std::string_view serial) const {
  auto factory = FactoryOf(pass_type);
  if (!factory) return factory.error();
  bool saved = false;
  auto draft = CurrentDraft(pass_type, &saved);
  if (!draft) return draft.error();
  auto checked = CheckDraft(*draft, (*factory)->config(), DraftOrigin(pass_type));
  if (!checked) return checked.error();
  auto member = read_.Member(membership_id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kNotFound, "no member with id " + std::string(membership_id));
  }
  auto passes = read_.PassesOfMember(membership_id);
  if (!passes) return passes.error();
  const projections::PassView* chosen = nullptr;
  for (const auto& pass : *passes) {
    if (pass.pass_type_id != pass_type) continue;
    if (serial.empty() || pass.serial == serial) {
      chosen = &pass;
      break;
    }
  }
  if (!chosen) {
    return MakeError(ErrorCode::kNotFound, "member " + std::string(membership_id) +
                                               " has no pass" +
                                               (serial.empty() ? "" : " " + std::string(serial)) +
                                               " of type " + std::string(pass_type));
  }
  auto member_data = MemberDataFrom(**member);
  if (!member_data) return member_data.error();
  auto pass_data = PassDataFrom(*chosen);
  if (!pass_data) return pass_data.error();
  // Without a web service URL pass.json has neither it nor an authenticationToken.
  signer::PassTypeConfig config = checked->config;
  config.web_service_url.clear();
  const signer::PassInput input{&config, &*member_data, &*pass_data, {}};
  auto rendered = checked->pass_template->RenderPassJson(input);
  if (!rendered) return rendered.error();
  auto preview = PreviewOfPassJson(*rendered);
  if (preview) preview->images = PreviewImagesOf(checked->pass_template->files());
  return preview;
}

Result<PublishOutcome> TemplateService::Publish(std::string_view pass_type, std::string actor,
                                                std::chrono::milliseconds wait) {
  MutexLock lock(write_mutex_);
  auto factory = FactoryOf(pass_type);
  if (!factory) return factory.error();
  auto draft = store_.ReadDraft(pass_type);
  if (!draft) return draft.error();
  if (!*draft) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "there is no draft of " + std::string(pass_type) + " to publish: save one first");
  }
  auto checked = CheckDraft(**draft, (*factory)->config(), DraftOrigin(pass_type));
  if (!checked) return checked.error();
  const std::string stream = "template-" + std::string(pass_type);
  auto stream_version = log_->StreamVersion(stream);
  if (!stream_version) return stream_version.error();
  auto published = read_.Template(pass_type);
  if (!published) return published.error();
  const std::int64_t version = *published ? (*published)->version + 1 : 1;
  if (*published && (*published)->content_hash == checked->content_hash) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the draft is version " + std::to_string((*published)->version) +
                         " as published: change it before publishing");
  }
  if (auto written = store_.WriteVersion(pass_type, version, **draft); !written) {
    return written.error();
  }
  events::AppendRequest request;
  request.stream = stream;
  request.expected = events::ExpectedVersion::Exactly(*stream_version);
  request.actor = actor;
  request.events.push_back(events::NewEvent{std::string(events::kTemplatePublished), 0,
                                            boost::json::object{{"passTypeId", pass_type},
                                                                {"version", version},
                                                                {"contentHash", checked->content_hash}},
                                            {}, {}});
  auto appended = log_->Append(std::move(request));
  if (!appended) return appended.error();
  if (auto replaced = bundles_->Replace((*factory)->WithLook(checked->config, checked->pass_template));
      !replaced) {
    return replaced.error();
  }
  // Passes changed from here on are made by the new factory; those before are revised.
  const std::uint64_t bound = log_->GetHead().position + 1;
  const std::uint64_t position = appended->last_position;
  revisions_->Start(RevisionJob{std::string(pass_type), version, position, bound, std::move(actor)});
  auto status = revisions_->WaitFor(pass_type, position, wait);
  PublishOutcome outcome{version, position, checked->content_hash, {}};
  if (status) outcome.revision = *status;
  return outcome;
}

Result<std::int64_t> UsePublishedTemplate(const TemplateStore& store,
                                          const projections::ReadModel& read,
                                          std::shared_ptr<const signer::PassFactory>* factory,
                                          std::vector<std::string>* warnings) {
  const std::string pass_type = (*factory)->config().pass_type_id;
  auto published = read.Template(pass_type);
  if (!published) return published.error();
  if (!*published) return std::int64_t{0};
  const projections::TemplateView& view = **published;
  auto draft = store.ReadVersion(pass_type, view.version);
  if (!draft) return draft.error();
  const std::string folder = store.VersionDir(pass_type, view.version).string();
  if (!*draft) {
    warnings->push_back("template version " + std::to_string(view.version) + " of " + pass_type +
                        " (published at position " + std::to_string(view.position) +
                        ") is missing from " + folder + ": using the configured template");
    return std::int64_t{0};
  }
  auto checked = CheckDraft(**draft, (*factory)->config(),
                            "version " + std::to_string(view.version) + " (" + folder + ")");
  if (!checked) return checked.error();
  if (checked->content_hash != view.content_hash) {
    return MakeError(ErrorCode::kCorruption,
                     "the files of template version " + std::to_string(view.version) + " in " +
                         folder + " are not what was published (content hash " +
                         checked->content_hash + ", published " + view.content_hash +
                         "): restore them, or move the folder away to use the configured "
                         "template");
  }
  *factory = (*factory)->WithLook(checked->config, checked->pass_template);
  return view.version;
}

}  // namespace passledger::handlers

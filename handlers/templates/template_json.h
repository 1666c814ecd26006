// The JSON documents of the template routes (docs/ADMIN.md, "Templates"): the draft as GET
// answers it and PUT takes it back, and the outcome of a publish. A GET document PUT back
// unchanged saves the same draft: images are named by their SHA-256 there, and the read-only
// parts (fields, hashes, published, revision) are ignored on the way in.
//
// Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "base/error.h"
#include "handlers/templates/template_draft.h"
#include "handlers/templates/template_service.h"

namespace passledger::handlers {

boost::json::object ToJson(const TemplateDocument& document);
boost::json::object ToJson(const PublishOutcome& outcome);
boost::json::object ToJson(const RevisionStatus& status);

// The draft a PUT body describes: colors, texts, passJson, images (path → base64 PNG, or
// {"sha256": …} for an image of `current` kept as it is), strings (path → text, or
// {"base64": …}). kInvalidArgument / kTooLarge naming the field: "passJson",
// "images[\"logo.png\"]", "colors.background", ...
Result<TemplateDraft> DraftFromJson(const boost::json::object& body, const TemplateDraft& current);

}  // namespace passledger::handlers

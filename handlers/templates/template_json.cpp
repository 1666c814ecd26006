#include "handlers/templates/template_json.h"

#include <algorithm>

#include "base/crypto.h"
#include "events/export_format.h"
#include "handlers/admin/admin_json.h"
#include "signer/pass_template.h"

namespace passledger::handlers {
namespace {

namespace json = boost::json;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string FieldName(std::string_view group, std::string_view path) {
  return std::string(group) + "[\"" + std::string(path) + "\"]";
}

json::value FileText(const std::string& bytes) {
  // Only valid UTF-8 (without a UTF-16 byte-order mark) is shown as text.
  std::size_t i = 0;
  bool utf8 = true;
  while (i < bytes.size() && utf8) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > bytes.size()) utf8 = false;
    for (std::size_t k = 1; utf8 && k < n; ++k) {
      utf8 = (static_cast<unsigned char>(bytes[i + k]) & 0xc0) == 0x80;
    }
    i += n == 0 ? 1 : n;
  }
  if (utf8 && !bytes.starts_with("\xff\xfe") && !bytes.starts_with("\xfe\xff")) {
    return json::string(bytes);
  }
  return json::object{{"base64", Base64Encode(bytes)}};
}

Result<std::string> Base64Field(const json::value& value, const std::string& field) {
  if (!value.is_string()) return Invalid(field + " must be base64 text");
  auto bytes = events::Base64Decode(value.as_string());
  if (!bytes) return Invalid(field + " is not base64 (standard alphabet, with padding)");
  return std::move(*bytes);
}

Result<void> CheckFileSize(const std::string& field, std::size_t size, std::size_t limit) {
  if (size <= limit) return {};
  return MakeError(ErrorCode::kTooLarge, field + " has " + std::to_string(size) +
                                             " bytes; at most " + std::to_string(limit) +
                                             " are allowed");
}

Result<std::string> ImageBytes(const std::string& path, const json::value& value,
                               const TemplateDraft& current) {
  const std::string field = FieldName("images", path);
  if (!path.ends_with(".png")) return Invalid(field + ": images are .png files");
  if (const json::object* keep = value.if_object()) {
    const json::value* sha = keep->if_contains("sha256");
    if (!sha || !sha->is_string()) return Invalid(field + ": give base64 PNG, or {\"sha256\": …}");
    const auto it = std::find_if(current.files.begin(), current.files.end(), [&](const auto& f) {
      return f.path.ends_with(".png") && ToHex(Sha256(f.bytes)) == sha->as_string();
    });
    if (it == current.files.end()) {
      return Invalid(field + ": the current draft has no image with sha256 " +
                     std::string(sha->as_string().subview(0, 64)) + "; send the image itself");
    }
    return it->bytes;
  }
  auto bytes = Base64Field(value, field);
  if (!bytes) return bytes.error();
  if (auto ok = CheckFileSize(field, bytes->size(), signer::kMaxTemplateFileBytes); !ok) {
    return ok.error();
  }
  if (auto png = InspectPng(*bytes); !png) return Invalid(field + ": " + png.error().message);
  return std::move(*bytes);
}

Result<std::string> StringsBytes(const std::string& path, const json::value& value) {
  const std::string field = FieldName("strings", path);
  if (!path.ends_with(".lproj/pass.strings") || path.find('/') != path.rfind('/')) {
    return Invalid(field + ": strings files are <lang>.lproj/pass.strings");
  }
  std::string bytes;
  if (value.is_string()) {
    bytes = std::string(value.as_string());
  } else if (const json::object* o = value.if_object(); o && o->contains("base64")) {
    auto decoded = Base64Field(o->at("base64"), field + ".base64");
    if (!decoded) return decoded.error();
    bytes = std::move(*decoded);
  } else {
    return Invalid(field + " must be the file's text, or {\"base64\": …}");
  }
  if (auto ok = CheckFileSize(field, bytes.size(), signer::kMaxTemplateFileBytes); !ok) {
    return ok.error();
  }
  return bytes;
}

}  // namespace

json::object ToJson(const RevisionStatus& status) {
  json::object out{{"version", status.version},
                   {"position", status.cause_position},
                   {"passesRevised", status.passes_revised},
                   {"devicesToPush", status.devices_to_push},
                   {"done", status.done}};
  if (!status.error.empty()) out["error"] = status.error;
  return out;
}

json::object ToJson(const TemplateDocument& doc) {
  json::object out = LookJson(doc.draft.look);
  out["passTypeId"] = doc.pass_type_id;
  out["saved"] = doc.saved;
  out["contentHash"] = doc.content_hash;
  json::object strings;
  for (const TemplateFile& file : doc.draft.files) {
    if (file.path == "pass.json") out["passJson"] = FileText(file.bytes);
    if (file.path.ends_with("/pass.strings")) strings[file.path] = FileText(file.bytes);
  }
  out["strings"] = std::move(strings);
  json::object images;
  for (const TemplateImage& image : doc.images) {
    images[image.path] = json::object{{"bytes", image.bytes},
                                      {"width", image.width},
                                      {"height", image.height},
                                      {"sha256", image.sha256}};
  }
  out["images"] = std::move(images);
  if (doc.sample) {
    out["fields"] = ToJson(*doc.sample).at("fields");
  } else {
    out["fields"] = nullptr;
    out["sampleError"] = doc.sample_error;
  }
  if (doc.published) {
    out["published"] = json::object{{"version", doc.published->version},
                                     {"contentHash", doc.published->content_hash},
                                     {"position", doc.published->position}};
  } else {
    out["published"] = nullptr;
  }
  out["differsFromPublished"] = doc.differs;
  out["revision"] = doc.revision ? json::value(ToJson(*doc.revision)) : json::value(nullptr);
  return out;
}

json::object ToJson(const PublishOutcome& outcome) {
  json::object out{{"version", outcome.version},
                   {"position", outcome.position},
                   {"contentHash", outcome.content_hash},
                   {"passesRevised", outcome.revision.passes_revised},
                   {"devicesToPush", outcome.revision.devices_to_push},
                   {"done", outcome.revision.done}};
  if (!outcome.revision.error.empty()) out["error"] = outcome.revision.error;
  return out;
}

Result<TemplateDraft> DraftFromJson(const json::object& body, const TemplateDraft& current) {
  auto look = LookFromJson(body);
  if (!look) return look.error();
  TemplateDraft draft{std::move(*look), {}};
  const json::value* pass_json = body.if_contains("passJson");
  if (!pass_json || !pass_json->is_string()) {
    return Invalid("passJson is required: the Mustache text of pass.json");
  }
  if (auto ok = CheckFileSize("passJson", pass_json->as_string().size(),
                              signer::kMaxPassJsonTemplateBytes);
      !ok) {
    return ok.error();
  }
  draft.files.push_back({"pass.json", std::string(pass_json->as_string())});
  const json::value* images = body.if_contains("images");
  if (!images || !images->is_object()) {
    return Invalid("images is required: {\"icon.png\": \"<base64 PNG>\" | {\"sha256\": …}, …}");
  }
  for (const auto& [path, value] : images->as_object()) {
    auto bytes = ImageBytes(std::string(path), value, current);
    if (!bytes) return bytes.error();
    draft.files.push_back({std::string(path), std::move(*bytes)});
  }
  if (const json::value* strings = body.if_contains("strings"); strings && !strings->is_null()) {
    if (!strings->is_object()) return Invalid("strings must be an object: path → text");
    for (const auto& [path, value] : strings->as_object()) {
      auto bytes = StringsBytes(std::string(path), value);
      if (!bytes) return bytes.error();
      draft.files.push_back({std::string(path), std::move(*bytes)});
    }
  }
  std::sort(draft.files.begin(), draft.files.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
  return draft;
}

}  // namespace passledger::handlers

#include "events/catalogue.h"

#include <array>
#include <string>

namespace passledger::events {
namespace {

using K = FieldKind;
constexpr bool kReq = true;
constexpr bool kOpt = false;

// Member fields. Public: what a front desk may see without the member's name. Personal:
// anything that identifies a person.
constexpr FieldSpec kEnrolledPayload[] = {
    {"membershipId", K::kString, kReq}, {"level", K::kString, kReq},   {"status", K::kString, kReq},
    {"active", K::kBool, kReq},         {"expires", K::kString, kOpt}, {"addOns", K::kArray, kOpt},
    {"emailable", K::kBool, kOpt},      {"importId", K::kString, kOpt}};
constexpr FieldSpec kMemberPersonal[] = {
    {"name", K::kString, kOpt},  {"firstName", K::kString, kOpt}, {"lastName", K::kString, kOpt},
    {"email", K::kString, kOpt}, {"address", K::kObject, kOpt},   {"cardholders", K::kArray, kOpt}};
constexpr FieldSpec kChangedPayload[] = {{"membershipId", K::kString, kReq},
                                         {"changes", K::kObject, kReq},
                                         {"importId", K::kString, kOpt}};
constexpr FieldSpec kChangedPersonal[] = {{"changes", K::kObject, kOpt}};
constexpr FieldSpec kLapsedPayload[] = {{"membershipId", K::kString, kReq},
                                        {"status", K::kString, kReq},
                                        {"previousStatus", K::kString, kOpt},
                                        {"importId", K::kString, kOpt}};
constexpr FieldSpec kLeftPayload[] = {{"membershipId", K::kString, kReq},
                                      {"policy", K::kString, kReq},
                                      {"importId", K::kString, kOpt}};
constexpr FieldSpec kForgottenPayload[] = {{"subject", K::kString, kReq},
                                           {"reason", K::kString, kReq}};

constexpr FieldSpec kPassIssuedPayload[] = {{"serial", K::kString, kReq},
                                            {"passTypeId", K::kString, kReq},
                                            {"membershipId", K::kString, kReq},
                                            {"cardholderIndex", K::kInteger, kReq},
                                            {"tokenGeneration", K::kInteger, kReq}};
constexpr FieldSpec kPassIssuedPersonal[] = {{"cardholder", K::kString, kReq}};
constexpr FieldSpec kPassRevisedPayload[] = {{"serial", K::kString, kReq},
                                             {"causePosition", K::kInteger, kOpt},
                                             {"reason", K::kString, kOpt}};
constexpr FieldSpec kPassRevisedPersonal[] = {{"cardholder", K::kString, kOpt}};
constexpr FieldSpec kPassReasonPayload[] = {{"serial", K::kString, kReq},
                                            {"reason", K::kString, kReq}};
constexpr FieldSpec kEmailRequestedPayload[] = {{"serial", K::kString, kReq},
                                                {"attempt", K::kInteger, kOpt}};
constexpr FieldSpec kEmailPersonal[] = {{"email", K::kString, kReq}};
// requestPosition: the PassEmailRequested the message answers (its Message-ID derives from
// it, so a retry reuses the id); reply: the SMTP server's reply to the message.
constexpr FieldSpec kEmailSentPayload[] = {{"serial", K::kString, kReq},
                                           {"messageId", K::kString, kOpt},
                                           {"requestPosition", K::kInteger, kOpt},
                                           {"attempt", K::kInteger, kOpt},
                                           {"reply", K::kString, kOpt}};
constexpr FieldSpec kEmailFailedPayload[] = {{"serial", K::kString, kReq},
                                             {"error", K::kString, kReq},
                                             {"attempt", K::kInteger, kOpt},
                                             {"willRetry", K::kBool, kReq},
                                             {"requestPosition", K::kInteger, kOpt}};

constexpr FieldSpec kPassTokenRevokedPayload[] = {{"serial", K::kString, kReq},
                                                  {"tokenGeneration", K::kInteger, kReq},
                                                  {"reason", K::kString, kOpt}};

constexpr FieldSpec kDeviceRegisteredPayload[] = {{"deviceId", K::kString, kReq},
                                                  {"passTypeId", K::kString, kReq},
                                                  {"serial", K::kString, kReq},
                                                  {"pushToken", K::kString, kReq}};
constexpr FieldSpec kDeviceUnregisteredPayload[] = {{"deviceId", K::kString, kReq},
                                                    {"passTypeId", K::kString, kReq},
                                                    {"serial", K::kString, kReq},
                                                    {"reason", K::kString, kReq}};
constexpr FieldSpec kPushBatchPayload[] = {{"sent", K::kInteger, kReq},
                                           {"failed", K::kInteger, kReq},
                                           {"unregistered", K::kInteger, kOpt},
                                           {"failures", K::kArray, kOpt},
                                           {"upTo", K::kInteger, kOpt},
                                           {"from", K::kInteger, kOpt},
                                           {"devices", K::kInteger, kOpt}};
constexpr FieldSpec kDeviceLogPayload[] = {{"lines", K::kArray, kReq},
                                           {"truncated", K::kBool, kOpt}};

constexpr FieldSpec kImportStartedPayload[] = {{"importId", K::kString, kReq},
                                               {"fileName", K::kString, kReq},
                                               {"sha256", K::kString, kReq},
                                               {"rowCount", K::kInteger, kOpt},
                                               {"bytes", K::kInteger, kOpt}};
constexpr FieldSpec kImportRejectedPayload[] = {{"importId", K::kString, kReq},
                                                {"line", K::kInteger, kReq},
                                                {"column", K::kString, kOpt},
                                                {"reason", K::kString, kReq},
                                                {"value", K::kString, kOpt}};
constexpr FieldSpec kImportCompletedPayload[] = {{"importId", K::kString, kReq},
                                                 {"counts", K::kObject, kReq}};
constexpr FieldSpec kImportFailedPayload[] = {{"importId", K::kString, kReq},
                                              {"reason", K::kString, kReq}};

constexpr FieldSpec kTemplatePayload[] = {{"passTypeId", K::kString, kReq},
                                          {"version", K::kInteger, kReq},
                                          {"contentHash", K::kString, kReq}};

constexpr FieldSpec kStaffCreatedPayload[] = {{"username", K::kString, kReq},
                                              {"role", K::kString, kReq}};
constexpr FieldSpec kStaffPasswordPersonal[] = {{"passwordHash", K::kString, kReq}};
constexpr FieldSpec kStaffRolePayload[] = {
    {"username", K::kString, kReq}, {"role", K::kString, kReq}, {"previousRole", K::kString, kOpt}};
constexpr FieldSpec kStaffUserPayload[] = {{"username", K::kString, kReq}};
constexpr FieldSpec kStaffDisabledPayload[] = {{"username", K::kString, kReq},
                                               {"reason", K::kString, kOpt}};
constexpr FieldSpec kStaffLoginFailedPayload[] = {{"username", K::kString, kReq},
                                                  {"failures", K::kInteger, kReq},
                                                  {"lockedUntilUs", K::kInteger, kOpt}};

constexpr std::span<const FieldSpec> kNone{};

const std::array kSpecs = {
    EventSpec{kMemberEnrolled, "member", 1, kEnrolledPayload, kMemberPersonal},
    EventSpec{kMemberChanged, "member", 1, kChangedPayload, kChangedPersonal},
    EventSpec{kMemberLapsed, "member", 1, kLapsedPayload, kNone},
    EventSpec{kMemberReinstated, "member", 1, kLapsedPayload, kNone},
    EventSpec{kMemberLeftRoster, "member", 1, kLeftPayload, kNone},
    EventSpec{kSubjectForgotten, "", kSubjectForgottenVersion, kForgottenPayload, kNone,
              "EventLog::Forget (`passledger forget`), which destroys the subject's key with it"},
    EventSpec{kPassIssued, "pass", 1, kPassIssuedPayload, kPassIssuedPersonal},
    EventSpec{kPassRevised, "pass", 1, kPassRevisedPayload, kPassRevisedPersonal},
    EventSpec{kPassVoided, "pass", 1, kPassReasonPayload, kNone},
    EventSpec{kPassUnvoided, "pass", 1, kPassReasonPayload, kNone},
    EventSpec{kPassEmailRequested, "pass", 1, kEmailRequestedPayload, kEmailPersonal},
    EventSpec{kPassEmailSent, "pass", 1, kEmailSentPayload, kNone},
    EventSpec{kPassEmailFailed, "pass", 1, kEmailFailedPayload, kNone},
    EventSpec{kPassTokenRevoked, "pass", 1, kPassTokenRevokedPayload, kNone},
    EventSpec{kDeviceRegistered, "device", 1, kDeviceRegisteredPayload, kNone},
    EventSpec{kDeviceUnregistered, "device", 1, kDeviceUnregisteredPayload, kNone},
    EventSpec{kPushBatchCompleted, "system", 1, kPushBatchPayload, kNone},
    EventSpec{kDeviceLogReceived, "device", 1, kDeviceLogPayload, kNone},
    EventSpec{kImportStarted, "import", 1, kImportStartedPayload, kNone},
    EventSpec{kImportRowRejected, "import", 1, kImportRejectedPayload, kNone},
    EventSpec{kImportCompleted, "import", 1, kImportCompletedPayload, kNone},
    EventSpec{kImportFailed, "import", 1, kImportFailedPayload, kNone},
    EventSpec{kTemplatePublished, "template", 1, kTemplatePayload, kNone},
    EventSpec{kStaffCreated, "staff", 1, kStaffCreatedPayload, kStaffPasswordPersonal},
    EventSpec{kStaffRoleChanged, "staff", 1, kStaffRolePayload, kNone},
    EventSpec{kStaffPasswordChanged, "staff", 1, kStaffUserPayload, kStaffPasswordPersonal},
    EventSpec{kStaffDisabled, "staff", 1, kStaffDisabledPayload, kNone},
    EventSpec{kStaffLoginFailed, "staff", 1, kStaffLoginFailedPayload, kNone},
};

bool HasKind(const boost::json::value& v, FieldKind kind) {
  switch (kind) {
    case K::kString:
      return v.is_string();
    case K::kInteger:
      return v.is_int64() || v.is_uint64();
    case K::kBool:
      return v.is_bool();
    case K::kObject:
      return v.is_object();
    case K::kArray:
      return v.is_array();
    case K::kAny:
      return true;
  }
  return false;
}

std::string_view KindName(FieldKind kind) {
  switch (kind) {
    case K::kString:
      return "a string";
    case K::kInteger:
      return "an integer";
    case K::kBool:
      return "a boolean";
    case K::kObject:
      return "an object";
    case K::kArray:
      return "an array";
    case K::kAny:
      return "a value";
  }
  return "a value";
}

Error Invalid(std::string_view type, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(type) + ": " + message);
}

// Required fields present with the right kind; no field outside the spec.
Result<void> CheckFields(std::string_view type, std::string_view part,
                         std::span<const FieldSpec> spec, const boost::json::object& object) {
  for (const auto& field : spec) {
    const auto* value = object.if_contains(field.name);
    if (!value) {
      if (field.required)
        return Invalid(type, std::string(part) + " lacks \"" + std::string(field.name) + "\"");
      continue;
    }
    if (!HasKind(*value, field.kind)) {
      return Invalid(type, std::string(part) + " \"" + std::string(field.name) + "\" must be " +
                               std::string(KindName(field.kind)));
    }
  }
  for (const auto& [key, value] : object) {
    bool known = false;
    for (const auto& field : spec) known = known || field.name == key;
    if (!known) {
      return Invalid(type,
                     std::string(part) + " has an unknown field \"" + std::string(key) + "\"");
    }
  }
  return {};
}

bool IsPersonalMemberField(std::string_view field) {
  for (const auto& spec : kMemberPersonal) {
    if (spec.name == field) return true;
  }
  return false;
}

// MemberChanged lists changes in both parts: each field on its own side.
Result<void> CheckMemberChanges(const boost::json::object& payload,
                                const boost::json::object* personal) {
  for (const auto& [field, change] : payload.at("changes").as_object()) {
    if (IsPersonalMemberField(field)) {
      return Invalid(kMemberChanged, "personal field \"" + std::string(field) +
                                         "\" must be changed in the personal part");
    }
    if (!change.is_object()) return Invalid(kMemberChanged, "a change must be {old, new}");
  }
  if (const auto* changes = personal ? personal->if_contains("changes") : nullptr) {
    for (const auto& [field, change] : changes->as_object()) {
      if (!IsPersonalMemberField(field)) {
        return Invalid(kMemberChanged, "public field \"" + std::string(field) +
                                           "\" must be changed in the payload");
      }
      if (!change.is_object()) return Invalid(kMemberChanged, "a change must be {old, new}");
    }
  }
  return {};
}

}  // namespace

const EventSpec* FindEventSpec(std::string_view type) {
  for (const auto& spec : kSpecs) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

std::span<const EventSpec> AllEventSpecs() { return kSpecs; }

Result<void> CheckNotReserved(std::string_view type) {
  const EventSpec* spec = FindEventSpec(type);
  if (!spec || spec->reserved_for.empty()) return {};
  return MakeError(ErrorCode::kPermissionDenied,
                   std::string(type) + " events can only be appended by " +
                       std::string(spec->reserved_for));
}

Result<void> ValidateCatalogued(std::string_view stream, std::string_view type,
                                std::uint32_t schema_version, const boost::json::object& payload,
                                const boost::json::object* personal, std::string_view subject) {
  const EventSpec* spec = FindEventSpec(type);
  if (!spec) return {};
  if (schema_version != spec->version) {
    return Invalid(type, "v" + std::to_string(schema_version) + " is checked in its newest shape (v" +
                             std::to_string(spec->version) + "); upcast it first");
  }
  const std::string_view category = stream.substr(0, stream.find('-'));
  if (!spec->stream_category.empty() && category != spec->stream_category) {
    return Invalid(type, "belongs in a " + std::string(spec->stream_category) + "-… stream, not " +
                             std::string(stream));
  }
  if (auto ok = CheckFields(type, "payload", spec->payload, payload); !ok) return ok;
  if (personal) {
    if (spec->personal.empty()) return Invalid(type, "carries no personal part");
    if (subject.empty()) return Invalid(type, "a personal part needs a subject");
    if (auto ok = CheckFields(type, "personal part", spec->personal, *personal); !ok) return ok;
  }
  if (type == kMemberChanged) return CheckMemberChanges(payload, personal);
  if (personal) return {};
  for (const auto& field : spec->personal) {
    if (field.required) {
      return Invalid(type, "needs a personal part with \"" + std::string(field.name) + "\"");
    }
  }
  return {};
}

void RegisterCatalogue(SchemaRegistry& registry) {
  for (const auto& spec : kSpecs) registry.DeclareType(std::string(spec.type), spec.version);
  registry.AddUpcaster(std::string(kSubjectForgotten), 1,
                       [](boost::json::object& payload, boost::json::object*) {
                         payload.emplace("reason", "unspecified");
                       });
}

const SchemaRegistry& DefaultSchemaRegistry() {
  static const SchemaRegistry registry = [] {
    SchemaRegistry r;
    RegisterCatalogue(r);
    return r;
  }();
  return registry;
}

}  // namespace passledger::events

// The event catalogue (docs/STORAGE.md, "Schema versions"): every event type, its stream
// category, its current schema version, its public payload fields and its personal fields
// (which live only in the sealed part). Producers use these constants, never string
// literals; EventLog validates every catalogued event on append (required fields and their
// JSON kinds; no personal field in the public payload; personal fields only with a subject).
// Types outside the catalogue are accepted unvalidated (tests and benchmarks use their own).
//
// Names are never renamed; new shapes get a new schema version and an upcaster here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/error.h"
#include "events/schema_registry.h"

namespace passledger::events {

// member-<membershipId>; subject = membershipId
inline constexpr std::string_view kMemberEnrolled = "MemberEnrolled";
inline constexpr std::string_view kMemberChanged = "MemberChanged";
inline constexpr std::string_view kMemberLapsed = "MemberLapsed";
inline constexpr std::string_view kMemberReinstated = "MemberReinstated";
inline constexpr std::string_view kMemberLeftRoster = "MemberLeftRoster";
inline constexpr std::string_view kSubjectForgotten = "SubjectForgotten";
// pass-<serial>; subject = the member's membershipId
inline constexpr std::string_view kPassIssued = "PassIssued";
inline constexpr std::string_view kPassRevised = "PassRevised";
inline constexpr std::string_view kPassVoided = "PassVoided";
inline constexpr std::string_view kPassUnvoided = "PassUnvoided";
inline constexpr std::string_view kPassEmailRequested = "PassEmailRequested";
inline constexpr std::string_view kPassEmailSent = "PassEmailSent";
inline constexpr std::string_view kPassEmailFailed = "PassEmailFailed";
// The pass's authentication token is revoked: tokenGeneration is the new generation.
inline constexpr std::string_view kPassTokenRevoked = "PassTokenRevoked";
// device-<deviceLibraryId> (events/stream_names.h); system-device-pushes for batch summaries;
// DeviceLogReceived only in logs written before device logs left the chain (device-logs)
inline constexpr std::string_view kDeviceRegistered = "DeviceRegistered";
inline constexpr std::string_view kDeviceUnregistered = "DeviceUnregistered";
inline constexpr std::string_view kPushBatchCompleted = "PushBatchCompleted";
inline constexpr std::string_view kDeviceLogReceived = "DeviceLogReceived";
// import-<id>
inline constexpr std::string_view kImportStarted = "ImportStarted";
inline constexpr std::string_view kImportRowRejected = "ImportRowRejected";
inline constexpr std::string_view kImportCompleted = "ImportCompleted";
inline constexpr std::string_view kImportFailed = "ImportFailed";
// template-<passTypeId>
inline constexpr std::string_view kTemplatePublished = "TemplatePublished";
// staff-<username>; subject = "staff:<username>"
inline constexpr std::string_view kStaffCreated = "StaffCreated";
inline constexpr std::string_view kStaffRoleChanged = "StaffRoleChanged";
inline constexpr std::string_view kStaffPasswordChanged = "StaffPasswordChanged";
inline constexpr std::string_view kStaffDisabled = "StaffDisabled";
inline constexpr std::string_view kStaffLoginFailed = "StaffLoginFailed";

// SubjectForgotten v1 {"subject"}; v2 adds "reason" (v1 events read as "unspecified").
inline constexpr std::uint32_t kSubjectForgottenVersion = 2;

enum class FieldKind { kString, kInteger, kBool, kObject, kArray, kAny };

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  bool required;
};

struct EventSpec {
  std::string_view type;
  std::string_view stream_category;  // the part of the stream id before the first '-'
  std::uint32_t version;             // current schema version
  std::span<const FieldSpec> payload;
  std::span<const FieldSpec> personal;  // empty: the event carries no personal part
  // Non-empty: the only path that may append this type (its special meaning must not be
  // forged through the generic append, e.g. a SubjectForgotten without its key destroyed).
  std::string_view reserved_for = {};
};

// nullptr for types outside the catalogue.
const EventSpec* FindEventSpec(std::string_view type);
// kPermissionDenied when `type` is reserved for another path (EventSpec::reserved_for).
Result<void> CheckNotReserved(std::string_view type);
std::span<const EventSpec> AllEventSpecs();

// Checks a catalogued event about to be appended to `stream`, in the newest shape: an event
// written in an older schema version is checked after upcasting (PrepareEvent does it), so
// every version is validated; any other version is kInvalidArgument. kInvalidArgument naming
// the field otherwise. Uncatalogued types pass.
Result<void> ValidateCatalogued(std::string_view stream, std::string_view type,
                                std::uint32_t schema_version, const boost::json::object& payload,
                                const boost::json::object* personal, std::string_view subject);

// The registry every log uses unless told otherwise. Built once; thread-safe to read.
const SchemaRegistry& DefaultSchemaRegistry();

// Adds the catalogue's types and upcasters to `registry` (for registries that extend it).
void RegisterCatalogue(SchemaRegistry& registry);

}  // namespace passledger::events

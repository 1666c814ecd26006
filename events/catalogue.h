// The event catalogue: names and schema versions of the event types, and the registry with
// their upcasters. Producers use these constants, never string literals.
// (DESIGN.md §4; the full catalogue with payload validation grows here.)
#pragma once

#include <string_view>

#include "events/schema_registry.h"

namespace passledger::events {

inline constexpr std::string_view kSubjectForgotten = "SubjectForgotten";
// v1 {"subject"}; v2 adds "reason" (free text from the operator; v1 events read as
// "unspecified").
inline constexpr std::uint32_t kSubjectForgottenVersion = 2;

// The registry every log uses unless told otherwise. Built once; thread-safe to read.
const SchemaRegistry& DefaultSchemaRegistry();

// Adds the catalogue's types and upcasters to `registry` (for registries that extend it).
void RegisterCatalogue(SchemaRegistry& registry);

}  // namespace passledger::events

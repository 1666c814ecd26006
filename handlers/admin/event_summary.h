// One line a person can read for an event of the log ("Pass voided: lapsed", "E-mail sent
// (250 2.0.0 Ok)"): what the member timeline and the audit log browser show beside the type.
//
// Made from the public payload only (in its newest shape, RecordedEvent::payload), never from
// the personal part, so the same line is right for every role and for forgotten members; an
// event with a sealed part says so where it matters ("personal details changed"). Secrets
// (push tokens, password hashes, tokens) never appear: they are not named here. Types outside
// the catalogue get their type name. Pure function; thread-safe.
#pragma once

#include <string>

#include "events/event_log.h"

namespace passledger::handlers {

std::string EventSummary(const events::RecordedEvent& event);

}  // namespace passledger::handlers

// The projections' member and pass records (projections/views.h) turned into the signer's plain
// inputs (signer/pass_input.h). Pure functions; thread-safe.
#pragma once

#include "base/error.h"
#include "projections/views.h"
#include "signer/pass_input.h"

namespace passledger::handlers {

// A forgotten member (its personal fields gone for good) becomes an empty MemberData — not even
// the membership id — and its passes PassData marked `forgotten` and void, so that the pass
// their phones download then is void and carries nothing of the person.
// kCorruption when a record lacks what every pass needs (an id, a token generation).
Result<signer::MemberData> MemberDataFrom(const projections::MemberView& member);
Result<signer::PassData> PassDataFrom(const projections::PassView& pass);

}  // namespace passledger::handlers

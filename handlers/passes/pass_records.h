// The projections' member and pass records (docs/STORAGE.md, "Projection views") turned into
// the signer's plain inputs (signer/pass_input.h). Pure functions; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "base/error.h"
#include "signer/pass_input.h"

namespace passledger::handlers {

// kFailedPrecondition for a forgotten member (its personal fields are gone for good);
// kCorruption when a required field is missing or has the wrong type.
Result<signer::MemberData> MemberDataFrom(const boost::json::object& member);
Result<signer::PassData> PassDataFrom(const boost::json::object& pass);

}  // namespace passledger::handlers

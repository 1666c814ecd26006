// Folder: how each event changes the views (docs/STORAGE.md, "Projection views"). One function for every use —
// inline projection, full rebuild, scratch verification, state as of — so they cannot
// disagree. Pure with respect to its inputs: the result depends only on the events folded
// and the views it reads through the ViewCache.
#pragma once

#include <boost/json/object.hpp>

#include "base/error.h"
#include "events/envelope.h"
#include "projections/view_cache.h"

namespace passledger::projections {

struct FoldEvent {
  const events::Envelope& envelope;     // position, stream, type, recorded time, subject
  const boost::json::object& payload;   // upcast to the newest schema version
  const boost::json::object* personal;  // the personal part if readable; nullptr otherwise
};

// Applies one event to `views`. Events outside the catalogue change nothing.
// REQUIRES: events are folded in position order, each exactly once.
Result<void> Fold(const FoldEvent& event, ViewCache& views);

// Fields derived from a whole record, computed when the record is written (a member's
// row_hash). Pass it to every ViewCache that events are folded through.
void FinalizeRecord(ViewRecord& record);

// Records the last folded position (the projection checkpoint) through `views`, and the
// record format the views are written in (format::kFormatId).
void WriteCheckpoint(ViewCache& views, std::uint64_t position);

}  // namespace passledger::projections

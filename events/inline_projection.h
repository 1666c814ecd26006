// The seam between the single writer and the inline projections (projections/).
//
// For every group commit the writer calls Apply() once per registered projection, on the
// writer thread, with the events of that group in position order, before the WriteBatch is
// written. The projection adds its view updates and its checkpoint to the same batch, so
// views and log become durable together (read-your-writes, exactly once).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <span>
#include <string>

#include "events/envelope.h"
#include "events/error.h"

namespace passledger::events {

struct PendingEvent {
  const Envelope* envelope;  // as it will be stored; position and hash assigned
  // The personal part in plain JSON text (empty when none): projections keep the personal
  // fields they show, and drop them on SubjectForgotten.
  const std::string* personal_json;
};

class InlineProjection {
 public:
  virtual ~InlineProjection() = default;

  // REQUIRES: called on the writer thread only. Reads through `db` see the state before this
  // group; the projection must itself account for earlier events of the same group. An error
  // fails the whole group (nothing is written) and is returned to every request in it.
  virtual Result<void> Apply(rocksdb::DB* db, std::span<const PendingEvent> events,
                             rocksdb::WriteBatch* batch) = 0;
};

}  // namespace passledger::events

// The seam between the single writer and the inline projections (projections/).
//
// For every group the writer calls Apply() once per registered projection, on the writer's
// staging thread, with the events of that group in position order, right after staging them
// and before the group is written. The projection adds its view updates and its checkpoint
// to the group's WriteBatch through the context, so views and log become durable together
// (read-your-writes, exactly once). Staging runs ahead of the synced write of the group
// before, so the context's reads see what earlier groups wrote even when it is not durable
// yet.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "events/envelope.h"
#include "base/error.h"

namespace passledger::events {

struct PendingEvent {
  const Envelope* envelope;  // as it will be stored; position and hash assigned
  // The objects the envelope's payload and (sealed) personal texts were serialised from; the
  // projection may change or move from them. `personal` is null when the event has none:
  // projections keep the personal fields they show, and drop them on SubjectForgotten.
  boost::json::object* payload;
  boost::json::object* personal;
};

// What a projection reads and writes while it folds one group.
class ProjectionContext {
 public:
  virtual ~ProjectionContext() = default;
  // `key` as every group staged before this one left it (durable or not); nullopt when
  // absent. Writes of this group are not visible here: the projection keeps track of them.
  virtual Result<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key) = 0;
  // Adds to the group's batch.
  virtual void Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                   std::string_view value) = 0;
  virtual void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) = 0;
};

class InlineProjection {
 public:
  virtual ~InlineProjection() = default;

  // REQUIRES: called on the writer's staging thread only. An error fails the whole group
  // (nothing of it is written), is returned to every request in it, and stops the writer.
  virtual Result<void> Apply(std::span<const PendingEvent> events, ProjectionContext& context) = 0;
};

}  // namespace passledger::events

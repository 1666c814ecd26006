// Schema versions of event types and the upcasters between them.
//
// Every event type has a current schema version. Events are stored in the shape they were
// written in and never rewritten; on read, small pure functions upcast (from version N to
// N+1, one step at a time) until the newest shape, so replay code only knows the newest.
//
// A registry is built once and then only read: it is safe to share between threads.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace passledger::events {

// Rewrites the public payload (and the personal part, when it is readable; else nullptr)
// from version `from` to `from + 1`. Must be pure: the same input gives the same output.
using Upcaster = std::function<void(boost::json::object& payload, boost::json::object* personal)>;

class SchemaRegistry {
 public:
  // Declares `type` with its newest version. Types not declared are at version 1.
  void DeclareType(std::string type, std::uint32_t current_version);
  // REQUIRES: from + 1 <= the declared current version of `type`.
  void AddUpcaster(std::string type, std::uint32_t from, Upcaster upcaster);

  std::uint32_t CurrentVersion(std::string_view type) const;

  // Upcasts in place and returns the resulting version. An event newer than this build
  // knows is an error (kFailedPrecondition: upgrade the binary), as is a missing step.
  Result<std::uint32_t> Upcast(std::string_view type, std::uint32_t version,
                               boost::json::object& payload, boost::json::object* personal) const;

 private:
  std::map<std::string, std::uint32_t, std::less<>> current_;
  std::map<std::pair<std::string, std::uint32_t>, Upcaster, std::less<>> upcasters_;
};

}  // namespace passledger::events

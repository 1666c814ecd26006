// ReadModel: the queries over the projection views. Every call reads the active generation
// at one RocksDB snapshot, so each answer is consistent; answers are JSON records as stored
// (field names in docs/STORAGE.md, "Projection views"). Thread-safe; cheap to copy.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "projections/projections.h"

namespace passledger::projections {

enum class MemberFilter { kAll, kActive, kLapsed, kLeftRoster, kForgotten };

struct MemberQuery {
  std::string search;  // membership-id prefix, or the start of a name word or e-mail
  MemberFilter filter = MemberFilter::kAll;
  std::string after;  // cursor: membership ids greater than this one
  std::size_t limit = 50;
};

struct MemberPage {
  std::vector<boost::json::object> members;  // in membership-id order
  std::string next_cursor;                   // empty when there is no further page
};

struct UpdatedSerials {
  std::vector<std::string> serials;  // content position > tag
  std::uint64_t last_updated = 0;    // the largest content position among them
};

struct Registration {
  std::string device_id;
  std::string pass_type_id;
  std::string push_token;
};

class ReadModel {
 public:
  // `projections` is borrowed and must outlive the ReadModel.
  explicit ReadModel(const Projections* projections) : projections_(projections) {}

  Result<std::optional<boost::json::object>> Member(std::string_view membership_id) const;
  Result<MemberPage> Members(const MemberQuery& query) const;
  // Every member record in membership-id order, as stored (JSON text), from one snapshot:
  // for merging a whole roster with the views. Stops when `fn` returns false.
  Result<void> ScanMembers(
      const std::function<bool(std::string_view membership_id, std::string_view record)>& fn) const;
  Result<std::optional<boost::json::object>> Pass(std::string_view serial) const;
  Result<std::vector<boost::json::object>> PassesOfMember(std::string_view membership_id) const;

  // Apple's "passesUpdatedSince": the serials of `pass_type` registered to `device` whose
  // content changed after `tag` (a decimal position; absent or unparsable = everything).
  Result<UpdatedSerials> SerialsUpdatedSince(std::string_view device, std::string_view pass_type,
                                             std::string_view tag) const;
  Result<bool> IsRegistered(std::string_view device, std::string_view pass_type,
                            std::string_view serial) const;
  // The push token of `device`'s registration for `serial`, by key (no scan); nullopt when
  // the device is not registered for it.
  Result<std::optional<std::string>> RegisteredPushToken(std::string_view device,
                                                         std::string_view pass_type,
                                                         std::string_view serial) const;
  // How many devices are registered for `serial`, counting no further than `limit` (the
  // cost is bounded by the limit, not by how many there are).
  Result<std::size_t> CountDevicesForSerial(std::string_view serial, std::size_t limit) const;
  // Every registration of `serial` (a push fan-out). Its length is bounded by the service's
  // device cap per pass (handlers::PassKitOptions::max_devices_per_pass).
  Result<std::vector<Registration>> DevicesForSerial(std::string_view serial) const;
  // Serials of `pass_type` whose content position is > `after`, in position order.
  Result<std::vector<std::pair<std::uint64_t, std::string>>> PassesChangedSince(
      std::string_view pass_type, std::uint64_t after, std::size_t limit) const;

  Result<boost::json::object> Counts() const;
  Result<std::optional<boost::json::object>> Import(std::string_view import_id) const;
  Result<std::optional<boost::json::object>> Staff(std::string_view username) const;
  Result<std::optional<boost::json::object>> Template(std::string_view pass_type) const;
  // Position of the last event folded into the views.
  Result<std::uint64_t> Checkpoint() const;

 private:
  const Projections* projections_;
};

}  // namespace passledger::projections

// ReadModel: the queries over the projection views. Every call reads the active generation
// at one RocksDB snapshot, so each answer is consistent; answers are typed records
// (projections/views.h; their JSON form for users is projections/view_json.h). A record whose
// bytes do not decode is kCorruption, the same for every query. Thread-safe; cheap to copy.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "projections/projections.h"
#include "projections/views.h"

namespace passledger::projections {

// By status: kActive = active and on the roster; kLapsed = not active (whether on the roster
// or not); kLeftRoster = left the roster; kForgotten = forgotten. Stubs are never members.
enum class MemberFilter { kAll, kActive, kLapsed, kLeftRoster, kForgotten };

// A page of the member list. Without `search`: every member, in membership-id order. With
// it: first the members whose id starts with it (id order), then those with a name word or
// the e-mail address starting with it, case-insensitively (in the order of that word, then
// id); each member once. The filters combine (all must hold); they are checked on the front
// of each member record, or on the search index entry itself (which holds those fields),
// without decoding the rest, reading a pass, or reading the record of a member they refuse.
//
// Bounded work: one call examines at most `max_scanned` rows (member records, or search
// index entries). A sparse filter can reach that before the page is full: the page is then
// short, `capped` is set, and `next_cursor` continues the scan where it stopped.
struct MemberQuery {
  std::string search;  // membership-id prefix, or the start of a name word or e-mail
  MemberFilter filter = MemberFilter::kAll;
  std::string level;                // only this level (ASCII case-insensitively); empty: any
  std::optional<bool> emailed;      // true: a pass was e-mailed (status sent); false: none was
  std::optional<bool> on_device;    // true: a pass is on a device; false: none is
  std::string after;                // a page's next_cursor (opaque); empty: the first page
  std::size_t limit = 50;           // members per page, 1..500
  std::size_t max_scanned = 5'000;  // rows examined per call, 1..100,000
};

struct MemberPage {
  std::vector<MemberView> members;  // in the order above
  std::string next_cursor;          // empty when there is no further page
  std::size_t scanned = 0;          // rows examined
  bool capped = false;              // stopped at max_scanned: next_cursor goes on from there
};

struct UpdatedSerials {
  std::vector<std::string> serials;  // content position > tag
  std::uint64_t last_updated = 0;    // the largest content position among them
};

// Where a query may read. kMemoryOnly answers from RocksDB's memtables and block cache only
// (ReadOptions::read_tier = kBlockCacheTier): a query whose answer needs a disk read fails
// with kWouldBlock instead, so that an I/O thread can try it and hand only those to a worker.
enum class ReadTier { kAny, kMemoryOnly };

struct Registration {
  std::string device_id;
  std::string pass_type_id;
  std::string push_token;
  std::uint64_t device_position = 0;  // the device's last DeviceRegistered (a new push token)
};

class ReadModel {
 public:
  // `projections` is borrowed and must outlive the ReadModel.
  explicit ReadModel(const Projections* projections, ReadTier tier = ReadTier::kAny)
      : projections_(projections), tier_(tier) {}

  // The same queries at another tier.
  ReadModel WithTier(ReadTier tier) const { return ReadModel(projections_, tier); }

  // An enrolled member (a stub record that only a pass named is not one).
  Result<std::optional<MemberView>> Member(std::string_view membership_id) const;
  // kInvalidArgument for a cursor that this query did not make.
  Result<MemberPage> Members(const MemberQuery& query) const;
  // The summary of every member record (stubs included: `enrolled` says) in membership-id
  // order, from one snapshot, decoding only the front of each record: for merging a whole
  // roster with the views. Stops when `fn` returns false.
  Result<void> ScanMemberSummaries(const std::function<bool(const MemberSummary&)>& fn) const;
  // A pass by serial. Found or not, the call does the same decoding work (a stand-in record is
  // decoded when there is none), so its time does not tell whether the serial exists.
  Result<std::optional<PassView>> Pass(std::string_view serial) const;
  // The member's passes in issue order (none for an unknown member).
  Result<std::vector<PassView>> PassesOfMember(std::string_view membership_id) const;

  // Apple's "passesUpdatedSince": the serials of `pass_type` registered to `device` whose
  // content changed after `tag` (a decimal position; absent or unparsable = everything).
  Result<UpdatedSerials> SerialsUpdatedSince(std::string_view device, std::string_view pass_type,
                                             std::string_view tag) const;
  // The serials of `pass_type` that `device` is registered for, in serial order, at most
  // `limit` (a device that got 410 from APNs loses them all).
  Result<std::vector<std::string>> RegisteredSerials(std::string_view device,
                                                     std::string_view pass_type,
                                                     std::size_t limit) const;
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

  // E-mails waiting to be sent (requested, or to be retried), oldest first: (position of
  // the pass's last e-mail event, serial) after `after`, at most `limit`.
  Result<std::vector<std::pair<std::uint64_t, std::string>>> EmailsWaiting(std::uint64_t after,
                                                                           std::size_t limit) const;
  Result<std::optional<DeviceView>> Device(std::string_view device_id) const;
  // Devices in id order after `after` (empty: from the first), at most `limit`.
  Result<std::vector<DeviceView>> Devices(std::string_view after, std::size_t limit) const;
  Result<CountsView> Counts() const;
  // The activity buckets starting in [from_s, to_s) (Unix seconds), oldest first; only the
  // newest kActivityWindowS of recorded time are kept (projections/views.h).
  Result<std::vector<ActivityBucket>> Activity(std::int64_t from_s, std::int64_t to_s) const;
  Result<std::optional<ImportView>> Import(std::string_view import_id) const;
  // Import jobs newest first (by the position of their ImportStarted; a resumed job counts
  // from its last start), those started before `before_position` (0: all), at most `limit`.
  Result<std::vector<ImportView>> Imports(std::uint64_t before_position, std::size_t limit) const;
  Result<std::optional<StaffView>> Staff(std::string_view username) const;
  // Every staff record (forgotten and disabled ones too) in username order, from one
  // snapshot, until `fn` returns false. There are as many as accounts were ever created.
  Result<void> ScanStaff(const std::function<bool(const StaffView&)>& fn) const;
  Result<std::optional<TemplateView>> Template(std::string_view pass_type) const;
  // Position of the last event folded into the views.
  Result<std::uint64_t> Checkpoint() const;

 private:
  const Projections* projections_;
  ReadTier tier_ = ReadTier::kAny;
};

}  // namespace passledger::projections

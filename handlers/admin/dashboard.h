// The admin dashboard (DESIGN §10): the counts, the last import, the chain's head, the last
// verification and the activity of the last 30 days, in one record.
//
// Cost: it reads the counters the folder keeps (projections/views.h, CountsView), at most one
// window of activity buckets (3,072 small records), the newest import job, the head from
// memory and the last digest file (one signature check): nothing that grows with the number
// of members or events. Each part is consistent in itself (the counters are one record), but
// the parts are read one after another, so an append in between can show in one part and not
// yet in another; `views_position` says up to where the views were read at the end.
//
// The last verification is the last digest `passledger digest` signed (events/digest.h,
// LastVerifiedDigest): it signs only after verifying the chain up to it. `passledger verify`
// records nothing, so a chain walked only by it reads "never".
//
// Thread-safe; the log and the read model are borrowed and must outlive this object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "events/digest.h"
#include "events/event_log.h"
#include "projections/read_model.h"
#include "signer/time_zone.h"

namespace passledger::handlers {

struct DashboardMembers {
  std::int64_t total = 0;        // enrolled members
  std::int64_t active = 0;       // active and on the roster
  std::int64_t lapsed = 0;       // not active (on the roster or not)
  std::int64_t left_roster = 0;  // left the roster (active or not)
  std::int64_t forgotten = 0;
};

struct DashboardPasses {
  std::int64_t total = 0, active = 0, voided = 0;
  std::int64_t installed = 0;  // on at least one device
};

struct DashboardDevices {
  std::int64_t registered = 0;     // holding at least one registration now
  std::int64_t known = 0;          // ever registered
  std::int64_t registrations = 0;  // (device, pass) pairs now
};

// Passes by the status of their last e-mail event.
struct DashboardEmails {
  std::int64_t requested = 0, retrying = 0;  // pending: requested + retrying
  std::int64_t sent = 0, failed = 0;
  std::int64_t pending() const { return requested + retrying; }
};

// One day of the organisation's time zone.
struct DashboardDay {
  std::string date;  // YYYY-MM-DD
  std::int64_t events = 0;
  std::int64_t pushes_sent = 0, pushes_failed = 0;
  std::int64_t emails_sent = 0;
};

struct Dashboard {
  std::int64_t generated_at_us = 0;
  std::string time_zone;  // the zone `days` are in
  DashboardMembers members;
  DashboardPasses passes;
  DashboardDevices devices;
  DashboardEmails emails;
  // In the last 24 hours, counted in whole quarter hours (so up to 15 minutes more).
  std::int64_t pushes_sent_24h = 0, pushes_failed_24h = 0;
  std::optional<projections::ImportView> last_import;  // nullopt: nothing imported yet
  std::uint64_t head_position = 0;
  std::string head_hash;                                    // hex
  std::uint64_t views_position = 0;                         // the last event folded into the views
  std::optional<events::VerifiedDigest> last_verification;  // nullopt: never
  std::string verification_problem;  // why the last verification could not be read, if not
  std::vector<DashboardDay> days;    // the last kDays days, oldest first, today last
  static constexpr int kDays = 30;
};

struct DashboardOptions {
  signer::TimeZone time_zone = signer::TimeZone::Utc();  // organization.time_zone
  events::Clock now_us = events::SystemClockMicros;
};

class DashboardQuery {
 public:
  DashboardQuery(const events::EventLog* log, projections::ReadModel read,
                 DashboardOptions options = {});

  Result<Dashboard> Get() const;

 private:
  Result<void> AddCounts(Dashboard& out) const;
  Result<void> AddActivity(Dashboard& out, std::int64_t now_s) const;
  Result<void> AddLastImport(Dashboard& out) const;
  Result<void> AddChain(Dashboard& out) const;

  // Constant after construction.
  const events::EventLog* const log_;
  const projections::ReadModel read_;
  const DashboardOptions options_;
};

}  // namespace passledger::handlers

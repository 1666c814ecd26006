// The typed records of the projection views: what ReadModel returns and what the folder
// changes. Their bytes are the business of projections/view_codec.h alone (format in
// docs/STORAGE.md, "Projection views"); their JSON form, for users, of projections/view_json.h.
//
// Conventions: an empty string is an absent text field; positions are log positions (the first
// event is position 1, so 0 means "none"); times are Unix microseconds unless a name says
// otherwise. Plain values: copy them freely, share none between threads while one changes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace passledger::projections {

struct MemberAddOn {
  std::string name;
  std::int64_t quantity = 0;
  bool operator==(const MemberAddOn&) const = default;
};

struct MemberAddress {
  std::string line1, line2, city, state, zip;
  bool empty() const {
    return line1.empty() && line2.empty() && city.empty() && state.empty() && zip.empty();
  }
  bool operator==(const MemberAddress&) const = default;
};

// The sealed part of a member: absent once the member is forgotten (or never given).
struct MemberPersonal {
  std::string name;  // "First Last", or an organisation's name
  std::string first_name, last_name;
  std::string email;
  MemberAddress address;
  std::vector<std::string> cardholders;
  bool operator==(const MemberPersonal&) const = default;
};

enum class EmailStatus : std::uint8_t { kNone, kRequested, kSent, kRetrying, kFailed };
// Requested, or failed and to be retried: the e-mail dispatcher still has to send it.
inline bool IsWaiting(EmailStatus status) {
  return status == EmailStatus::kRequested || status == EmailStatus::kRetrying;
}

struct MemberView {
  std::string membership_id;
  // Public fields (MemberEnrolled's payload; changed by MemberChanged, MemberLapsed, …).
  std::string level;
  std::string status;  // as exported
  bool active = false;
  std::string expires;  // YYYY-MM-DD, or empty
  std::vector<MemberAddOn> add_ons;
  bool emailable = false;
  std::optional<MemberPersonal> personal;
  bool forgotten = false;
  bool left_roster = false;
  std::string left_policy;              // the departure policy that took it off the roster
  std::vector<std::string> serials;     // its passes, in issue order
  std::uint64_t enrolled_position = 0;  // 0: a stub (a pass named it; never enrolled)
  std::uint64_t updated_position = 0;
  std::string row_hash;  // hex SHA-256 of the roster fields (projections/member_fields.h)
  // Kept by the folder from the member's passes, so that a member list can filter and show
  // them without reading a pass: how many are on at least one device, how many were e-mailed
  // (status sent), and the status the newest e-mail event of any of them left.
  std::int64_t passes_installed = 0;
  std::int64_t passes_emailed = 0;
  EmailStatus email_status = EmailStatus::kNone;

  bool enrolled() const { return enrolled_position != 0; }
  bool operator==(const MemberView&) const = default;
};

struct PassEmail {
  EmailStatus status = EmailStatus::kNone;
  std::uint64_t position = 0;  // of the event that set the status
  std::string error;
  std::string message_id;
  std::int64_t attempt = 0;  // 0: not said
  bool operator==(const PassEmail&) const = default;
};

// The void reason of every pass of a forgotten member (SubjectForgotten voids them all, and
// nothing unvoids them).
inline constexpr std::string_view kForgottenVoidReason = "forgotten";

struct PassView {
  std::string serial;
  std::string pass_type_id;
  std::string membership_id;
  std::int64_t cardholder_index = 0;
  std::string cardholder;  // empty when forgotten
  std::uint64_t token_generation = 0;
  bool voided = false;
  std::string void_reason;
  std::uint64_t content_position = 0;  // position of the last content change
  std::int64_t last_modified_s = 0;    // Unix seconds of that change, strictly increasing
  std::uint64_t issued_position = 0;
  PassEmail email;
  bool forgotten = false;    // then also voided
  std::int64_t devices = 0;  // devices registered for it (installed when > 0)
  bool operator==(const PassView&) const = default;
};

struct DeviceView {
  std::string device_id;
  std::string push_token;
  std::uint64_t updated_position = 0;  // of its last DeviceRegistered (a new push token)
  std::int64_t passes = 0;             // registrations it holds now
  std::int64_t registered_at_us = 0;   // its first DeviceRegistered
  std::int64_t changed_at_us = 0;      // its last DeviceRegistered or DeviceUnregistered
  bool operator==(const DeviceView&) const = default;
};

struct ImportRejection {
  std::int64_t line = 0;
  std::string column;
  std::string reason;
  std::string value;  // empty when the column holds personal data
  bool operator==(const ImportRejection&) const = default;
};

enum class ImportState : std::uint8_t { kRunning, kCompleted, kFailed };

struct ImportView {
  std::string import_id;
  std::string file_name;
  std::string sha256;
  std::int64_t row_count = 0;
  std::int64_t bytes = 0;
  ImportState state = ImportState::kRunning;
  std::string actor;
  std::int64_t started_at_us = 0;
  std::int64_t finished_at_us = 0;  // 0 while running
  std::uint64_t started_position = 0;
  std::uint64_t finished_position = 0;
  std::vector<std::pair<std::string, std::int64_t>> counts;  // ImportCompleted's, as given
  std::int64_t rejected = 0;
  std::vector<ImportRejection> rejections;  // the first kKeptRejections
  std::string reason;                       // why it failed
  static constexpr std::size_t kKeptRejections = 200;
  bool operator==(const ImportView&) const = default;
};

struct StaffView {
  std::string username;
  std::string role;
  bool disabled = false;
  std::string password_hash;  // empty when forgotten
  std::int64_t failures = 0;
  std::int64_t locked_until_us = 0;
  std::uint64_t created_position = 0;
  bool forgotten = false;
  bool operator==(const StaffView&) const = default;
};

struct TemplateView {
  std::string pass_type_id;
  std::int64_t version = 0;
  std::string content_hash;
  std::uint64_t position = 0;
  bool operator==(const TemplateView&) const = default;
};

// The dashboard's counters, kept in step by the folder (so no query counts records).
struct CountsView {
  std::int64_t members = 0, members_active = 0, members_left = 0, members_forgotten = 0;
  std::int64_t passes = 0, passes_voided = 0;
  std::int64_t devices = 0, registrations = 0;
  std::int64_t imports = 0, staff = 0;
  // Since record format 5.
  std::int64_t members_active_on_roster = 0;  // active and not left (MemberFilter::kActive)
  std::int64_t passes_installed = 0;          // passes on at least one device
  std::int64_t devices_registered = 0;        // devices holding at least one registration
  // Passes by the status of their last e-mail event (none is not counted).
  std::int64_t emails_requested = 0, emails_retrying = 0, emails_sent = 0, emails_failed = 0;
  // Start (Unix seconds) of the newest activity bucket; 0 before the first event. The
  // buckets older than kActivityWindowS before it are gone (ActivityBucket).
  std::int64_t activity_newest_s = 0;
  bool operator==(const CountsView&) const = default;
};

// What happened in one quarter of an hour of recorded time (UTC): every event counts, pushes
// as PushBatchCompleted reports them, e-mails as PassEmailSent. Quarter hours, because every
// time zone's offset is a whole number of them, so they add up to the days of any zone.
// Only the buckets of the newest kActivityWindowS are kept: the folder drops older ones as
// time moves on (a rolling window, bounded whatever the log's length).
struct ActivityBucket {
  std::int64_t start_s = 0;  // Unix seconds, a multiple of kActivityBucketS
  std::int64_t events = 0;
  std::int64_t pushes_sent = 0, pushes_failed = 0;
  std::int64_t emails_sent = 0;
  bool operator==(const ActivityBucket&) const = default;
};
inline constexpr std::int64_t kActivityBucketS = 15 * 60;
inline constexpr std::int64_t kActivityWindowS = 32 * 24 * 3600;  // 30 days and any zone's shift

// What the importer needs of every member to find unchanged rows without decoding records
// whole (ReadModel::ScanMemberSummaries).
struct MemberSummary {
  std::string membership_id;
  std::string row_hash;
  bool enrolled = false;
  bool left_roster = false;
  bool forgotten = false;
};

}  // namespace passledger::projections

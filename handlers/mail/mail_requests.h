// Requests to e-mail a membership's passes (issue 15 §1): the commands behind
// `passledger mail send` and, later, the admin API. A request appends one PassEmailRequested
// per active pass of the membership, in one atomic append on the passes' streams, with the
// recipient sealed in the event's personal part under the member's key (forgetting the member
// shreds it). The recipient is always the member's e-mail from the views, never an input.
//
// Without `resend` a request covers the active passes never e-mailed (nor asked for) — a
// family's new cardholder gets their pass, the others are not sent again; with `resend`, every
// active pass. A member is refused, with a reason a person can act on, when it is forgotten,
// not active, has no active pass, has nothing left to send without `resend`, has a message
// still waiting (with `resend`), or has no usable address (none, invalid, or anything that
// could inject a header: mail::CheckAddress). Refusals are outcomes, not errors; errors are
// unknown members (kNotFound) and storage failures.
//
// Thread-safe as far as EventLog and ReadModel are; a request reads the views, then appends
// (two requests for one member at the same moment may both append: the dispatcher then sends
// two messages — the staff app serialises per member).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct MailRequestOptions {
  std::string actor;    // recorded with the events, e.g. "cli:alice", "staff:bob"
  bool resend = false;  // also members whose passes were already e-mailed
};

struct MailRequestOutcome {
  std::string membership_id;
  bool queued = false;
  std::string refusal;               // why not, when !queued
  std::vector<std::string> serials;  // the passes requested, when queued
  std::uint64_t first_position = 0;  // of the first PassEmailRequested
};

struct BulkMailOutcome {
  std::uint64_t members_seen = 0;
  std::uint64_t queued = 0;
  std::uint64_t passes = 0;
  std::map<std::string, std::uint64_t> skipped;  // refusal → members
};

class MailRequests {
 public:
  // Both are borrowed and must outlive this object.
  MailRequests(events::EventLog* log, projections::ReadModel read);

  // One member. kNotFound for an unknown member; a refusal otherwise (see above).
  Result<MailRequestOutcome> RequestMember(std::string_view membership_id,
                                           const MailRequestOptions& options);

  // Every active member with an active pass never e-mailed (nor asked for): the bulk send,
  // of those passes only. Never re-sends (options.resend is ignored); members with nothing
  // new are not counted as skipped. Members are read one at a time;
  // memory stays bounded whatever the roster's size.
  Result<BulkMailOutcome> RequestNeverSent(const MailRequestOptions& options);

 private:
  // What a member's request would be: a refusal, or the address and the active passes.
  struct Eligibility {
    std::string refusal;  // empty = may be e-mailed
    std::string address;
    std::vector<projections::PassView> active;
  };
  Result<Eligibility> Check(const projections::MemberView& member, bool resend) const;
  Result<MailRequestOutcome> Append(const projections::MemberView& member,
                                    const Eligibility& eligible, const MailRequestOptions& options);

  events::EventLog* const log_;
  const projections::ReadModel read_;
};

}  // namespace passledger::handlers

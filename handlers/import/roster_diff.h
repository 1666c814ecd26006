// RosterDiff: what one membership of a roster means for the log, given what the projections
// say about it now — the events to append (member stream first, then its passes) and the
// outcome for the summary. Pure: no I/O, serials come from the caller's generator.
// The rules are in docs/IMPORT.md.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event_log.h"
#include "handlers/import/roster_config.h"
#include "handlers/import/roster_reader.h"
#include "projections/views.h"

namespace passledger::handlers {

enum class Outcome { kUnchanged, kEnrolled, kChanged, kLapsed, kReinstated, kLeft, kForgotten };

struct ExistingPass {
  std::string serial;
  std::int64_t cardholder_index = 0;
  std::string cardholder;  // empty when forgotten
  bool voided = false;
  std::string void_reason;
};

struct ExistingMember {
  projections::MemberView record;  // the members view record
  std::vector<ExistingPass> passes;
};

struct MembershipPlan {
  Outcome outcome = Outcome::kUnchanged;
  std::vector<events::AppendRequest> requests;
  std::uint64_t passes_issued = 0, passes_revised = 0, passes_voided = 0, passes_unvoided = 0;
  std::string preview;  // one line for --dry-run, without personal data
  std::uint64_t events() const;
};

// Void reasons the importer writes and later undoes.
inline constexpr std::string_view kVoidLapsed = "lapsed";
inline constexpr std::string_view kVoidLeftRoster = "left roster";
inline constexpr std::string_view kVoidCardholderRemoved = "cardholder removed";

class RosterDiff {
 public:
  using SerialFn = std::function<std::string()>;
  RosterDiff(const ImportConfig& config, std::string import_id, std::string actor,
             SerialFn new_serial);

  MembershipPlan ForNew(const Membership& m) const;
  MembershipPlan ForExisting(const Membership& m, const ExistingMember& existing) const;
  MembershipPlan ForDeparted(std::string_view membership_id, const ExistingMember& existing) const;

  // The row hash the members view would hold for `m` (projections/member_fields.h): equal to
  // the stored one when the roster says nothing new.
  static std::string RowHash(const Membership& m);
  // `m` as the members view would hold it after enrolling it (no positions, no passes).
  static projections::MemberView AsView(const Membership& m);
  // The public and personal fields as events carry them (MemberEnrolled; MemberChanged's
  // old and new values): absent text fields are left out.
  static boost::json::object PublicFields(const projections::MemberView& m);
  static boost::json::object PersonalFields(const projections::MemberPersonal& p);
  static boost::json::object PublicFields(const Membership& m);
  static boost::json::object PersonalFields(const Membership& m);

 private:
  class Builder;
  const ImportConfig& config_;
  std::string import_id_;
  std::string actor_;
  SerialFn new_serial_;
};

}  // namespace passledger::handlers

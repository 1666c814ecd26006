// On-disk layout of the projection views: constants and key builders only. Prose in
// docs/STORAGE.md ("Projection views").
//
// All views of one generation live in one column family, "views@g<N>", keys prefixed by a
// one-byte view tag. The active generation number is in the log's meta CF under
// kActiveGenerationKey. A rebuild fills generation N+1 beside N, then switches atomically.
// Records are in the binary format of projections/view_codec.h (format byte first); index
// values are raw as said. u64be = 8-byte big-endian.
//
//   'M' membershipId                              -> member record
//   'N' search term, 0x00, membershipId           -> the member's filter fields
//       (codec::EncodeSearchEntry); terms: lowercased name words and the e-mail
//   'P' serial                                    -> pass record
//   'D' deviceLibraryId                           -> device record {pushToken, ...}
//   'R' deviceLibraryId, 0x00, passTypeId, 0x00, serial -> "" (registrations)
//   'r' serial, 0x00, deviceLibraryId             -> passTypeId (registrations by pass)
//   'C' passTypeId, 0x00, u64be content position  -> serial (the change-since-tag index)
//   'E' u64be position of the pass's last e-mail event -> serial, while that e-mail waits
//       (requested, or failed and to be retried): the e-mail dispatcher's work list
//   'I' importId                                  -> import job record
//   'i' u64be position of its ImportStarted       -> importId (imports newest first)
//   'S' username                                  -> staff record
//   'T' passTypeId                                -> template record {version, contentHash}
//   'Z' "counts"                                  -> dashboard counters
//   'H' u64be start of a quarter hour (Unix s)    -> activity bucket record, for the newest
//       32 days of recorded time only (CountsView::activity_newest_s says where that ends)
//   '~' "checkpoint"                              -> u64be position of the last folded event
//   '~' "format"                                  -> one byte: the record format
//   (codec::kRecordFormat)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace passledger::projections::format {

inline constexpr std::string_view kViewsCfPrefix = "views@g";
inline constexpr std::string_view kActiveGenerationKey = "projections/active_generation";

enum class View : char {
  kMembers = 'M',
  kMemberSearch = 'N',
  kPasses = 'P',
  kDevices = 'D',
  kRegistrations = 'R',
  kPassDevices = 'r',
  kPassChanges = 'C',
  kEmailsWaiting = 'E',
  kImports = 'I',
  kImportsByStart = 'i',
  kStaff = 'S',
  kTemplates = 'T',
  kCounts = 'Z',
  kActivity = 'H',
  kCheckpoint = '~',
};

inline constexpr View kAllViews[] = {View::kMembers,     View::kMemberSearch,   View::kPasses,
                                     View::kDevices,     View::kRegistrations,  View::kPassDevices,
                                     View::kPassChanges, View::kEmailsWaiting,  View::kImports,
                                     View::kStaff,       View::kImportsByStart, View::kTemplates,
                                     View::kCounts,      View::kActivity,       View::kCheckpoint};

inline std::string_view ViewName(View view) {
  switch (view) {
    case View::kMembers:
      return "members";
    case View::kMemberSearch:
      return "member_search";
    case View::kPasses:
      return "passes";
    case View::kDevices:
      return "devices";
    case View::kRegistrations:
      return "registrations";
    case View::kPassDevices:
      return "pass_devices";
    case View::kPassChanges:
      return "pass_changes";
    case View::kEmailsWaiting:
      return "emails_waiting";
    case View::kImports:
      return "imports";
    case View::kImportsByStart:
      return "imports_by_start";
    case View::kStaff:
      return "staff";
    case View::kTemplates:
      return "templates";
    case View::kCounts:
      return "counts";
    case View::kActivity:
      return "activity";
    case View::kCheckpoint:
      return "checkpoint";
  }
  return "unknown";
}

inline std::string GenerationCfName(std::uint64_t generation) {
  return std::string(kViewsCfPrefix) + std::to_string(generation);
}

inline std::string Key(View view, std::string_view id) {
  std::string key(1, static_cast<char>(view));
  key.append(id);
  return key;
}

inline std::string Key(View view, std::string_view a, std::string_view b) {
  std::string key = Key(view, a);
  key.push_back('\0');
  key.append(b);
  return key;
}

inline std::string Key(View view, std::string_view a, std::string_view b, std::string_view c) {
  std::string key = Key(view, a, b);
  key.push_back('\0');
  key.append(c);
  return key;
}

inline std::string ChangeKey(std::string_view pass_type, std::uint64_t content_position) {
  std::string key = Key(View::kPassChanges, pass_type);
  key.push_back('\0');
  passledger::PutU64BE(&key, content_position);
  return key;
}

inline std::string EmailWaitingKey(std::uint64_t position) {
  std::string key(1, static_cast<char>(View::kEmailsWaiting));
  passledger::PutU64BE(&key, position);
  return key;
}

// The key of the imports-by-start index entry of the import started at `position`.
inline std::string ImportStartKey(std::uint64_t position) {
  std::string key(1, static_cast<char>(View::kImportsByStart));
  passledger::PutU64BE(&key, position);
  return key;
}

// The key of the activity bucket starting at `start_s` (Unix seconds, >= 0).
inline std::string ActivityKey(std::int64_t start_s) {
  std::string key(1, static_cast<char>(View::kActivity));
  passledger::PutU64BE(&key, static_cast<std::uint64_t>(start_s));
  return key;
}

inline constexpr std::string_view kCountsId = "counts";
inline constexpr std::string_view kCheckpointId = "checkpoint";
// Written with every checkpoint; absent in views written by builds before the binary format
// (record format 1, JSON), which Projections::Attach then rebuilds.
inline constexpr std::string_view kFormatId = "format";

}  // namespace passledger::projections::format

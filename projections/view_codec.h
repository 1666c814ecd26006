// The bytes of the view records: the only code that reads or writes them (layout in
// docs/STORAGE.md, "View record format"). Internal to projections/: other modules get typed
// records from ReadModel.
//
// Every record starts with the format byte kRecordFormat. The record's id (membership id,
// serial, …) is its key's suffix and is not repeated in the value: Decode takes it from the
// caller. Decode checks every length and fails with kCorruption rather than reading past the
// end; a value in the former JSON format (format 1, which starts with '{') gets an error that
// says the views need a rebuild. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "projections/views.h"

namespace passledger::projections::codec {

// Version 1 was JSON text; 2 is this binary layout; 3 has 2's layout and says the views were
// folded with SubjectForgotten voiding the member's passes; 4 adds the waiting e-mails index
// ('E'); 5 adds the dashboard's counters (members' and passes' device and e-mail counts,
// devices' registrations and times, more counts), the activity buckets ('H') and the
// imports-by-start index ('i'). Views of older formats are rebuilt.
inline constexpr std::uint8_t kRecordFormat = 5;

void Encode(const MemberView& record, std::string* out);
void Encode(const PassView& record, std::string* out);
void Encode(const DeviceView& record, std::string* out);
void Encode(const ImportView& record, std::string* out);
void Encode(const StaffView& record, std::string* out);
void Encode(const TemplateView& record, std::string* out);
void Encode(const CountsView& record, std::string* out);
void Encode(const ActivityBucket& record, std::string* out);

template <class T>
std::string Encoded(const T& record) {
  std::string out;
  Encode(record, &out);
  return out;
}

Result<MemberView> DecodeMember(std::string_view membership_id, std::string_view bytes);
Result<PassView> DecodePass(std::string_view serial, std::string_view bytes);
Result<DeviceView> DecodeDevice(std::string_view device_id, std::string_view bytes);
Result<ImportView> DecodeImport(std::string_view import_id, std::string_view bytes);
Result<StaffView> DecodeStaff(std::string_view username, std::string_view bytes);
Result<TemplateView> DecodeTemplate(std::string_view pass_type_id, std::string_view bytes);
Result<CountsView> DecodeCounts(std::string_view bytes);
// `key_suffix` is the bucket key after its view tag: the u64be start.
Result<ActivityBucket> DecodeActivity(std::string_view key_suffix, std::string_view bytes);

// Only the fields at the front of a member record (no strings beyond the row hash are read).
Result<MemberSummary> DecodeMemberSummary(std::string_view membership_id, std::string_view bytes);

// The fields a member list filters on, read from the front of a member record without
// decoding the rest. `level` points into `bytes`.
struct MemberFront {
  bool enrolled = false, active = false, left_roster = false, forgotten = false;
  std::int64_t passes_installed = 0, passes_emailed = 0;
  std::string_view level;
};
Result<MemberFront> DecodeMemberFront(std::string_view membership_id, std::string_view bytes);

// The value of a member's search index entries: the MemberFront fields (the counts only as
// "some" or "none"), so that a search filters on the index without reading member records.
std::string EncodeSearchEntry(const MemberView& member);
Result<MemberFront> DecodeSearchEntry(std::string_view membership_id, std::string_view bytes);

// Decode by type, for generic code (the ViewCache).
template <class T>
Result<T> Decode(std::string_view id, std::string_view bytes);
template <>
inline Result<MemberView> Decode(std::string_view id, std::string_view bytes) {
  return DecodeMember(id, bytes);
}
template <>
inline Result<PassView> Decode(std::string_view id, std::string_view bytes) {
  return DecodePass(id, bytes);
}
template <>
inline Result<DeviceView> Decode(std::string_view id, std::string_view bytes) {
  return DecodeDevice(id, bytes);
}
template <>
inline Result<ImportView> Decode(std::string_view id, std::string_view bytes) {
  return DecodeImport(id, bytes);
}
template <>
inline Result<StaffView> Decode(std::string_view id, std::string_view bytes) {
  return DecodeStaff(id, bytes);
}
template <>
inline Result<TemplateView> Decode(std::string_view id, std::string_view bytes) {
  return DecodeTemplate(id, bytes);
}
template <>
inline Result<CountsView> Decode(std::string_view, std::string_view bytes) {
  return DecodeCounts(bytes);
}
template <>
inline Result<ActivityBucket> Decode(std::string_view id, std::string_view bytes) {
  return DecodeActivity(id, bytes);
}

}  // namespace passledger::projections::codec

// ProjectedLog: an EventLog with the projections attached (the way tools/ opens one), owning
// both in the order the projections need: the Projections object is destroyed before the log.
// Also builders for every catalogued event (events/catalogue.cpp's field names, so appends
// validate) and blocking appenders that fail the test case when an append fails.
//
// Not thread-safe, except that log(), projections() and read() may be used from several
// threads the way their own contracts allow.
#pragma once

#include <rocksdb/db.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events/stream_names.h"
#include "events/catalogue.h"
#include "events/event_log.h"
#include "projections/projections.h"
#include "projections/read_model.h"
#include "tests/testing/event_log_helpers.h"
#include "projections/generation.h"

namespace passledger::testing {

// The personal part of a member (MemberEnrolled's sealed fields).
struct Personal {
  std::string name;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::vector<std::string> cardholders;

  // Just a name, the cardholders and an e-mail address (the other fields empty).
  static Personal Named(std::string name, std::vector<std::string> cardholders,
                        std::string email = {}) {
    Personal p;
    p.name = std::move(name);
    p.cardholders = std::move(cardholders);
    p.email = std::move(email);
    return p;
  }

  boost::json::object ToJson() const {
    boost::json::array holders;
    for (const auto& holder : cardholders) holders.emplace_back(holder);
    return {{"name", name},
            {"firstName", first_name},
            {"lastName", last_name},
            {"email", email},
            {"cardholders", std::move(holders)}};
  }
};

// {"old": old, "new": new}: one entry of MemberChanged's "changes" (strings, null, objects...).
template <class Old, class New>
boost::json::object Change(const Old& old_value, const New& new_value) {
  return {{"old", boost::json::value_from(old_value)}, {"new", boost::json::value_from(new_value)}};
}

// Builders: one request of one catalogued event each, on the event's own stream.
namespace catalogued {

inline std::string MemberStream(std::string_view id) { return "member-" + std::string(id); }
inline std::string PassStream(std::string_view serial) { return "pass-" + std::string(serial); }
inline std::string DeviceStream(std::string_view device) { return "device-" + std::string(device); }

inline events::NewEvent Event(std::string_view type, boost::json::object payload) {
  return MakeEvent(std::string(type), std::move(payload));
}

inline events::NewEvent PersonalEvent(std::string_view type, boost::json::object payload,
                                      std::string_view subject, boost::json::object personal) {
  return MakePersonalEvent(std::string(type), std::move(payload), std::string(subject),
                           std::move(personal));
}

inline events::AppendRequest One(std::string stream, events::NewEvent event) {
  return MakeRequest(std::move(stream), {std::move(event)});
}

inline events::AppendRequest Enrol(std::string_view member, std::string_view level, bool active,
                                   const std::optional<Personal>& personal,
                                   boost::json::array add_ons = {},
                                   std::optional<std::string> expires = std::nullopt) {
  boost::json::object payload = {{"membershipId", member},
                                 {"level", level},
                                 {"status", active ? "Active" : "Lapsed"},
                                 {"active", active},
                                 {"addOns", std::move(add_ons)}};
  if (expires) payload["expires"] = *expires;
  if (!personal) return One(MemberStream(member), Event(events::kMemberEnrolled, payload));
  return One(MemberStream(member),
             PersonalEvent(events::kMemberEnrolled, payload, member, personal->ToJson()));
}

// `public_changes` and `personal_changes` map a field to Change(old, new); an empty
// personal_changes sends no personal part.
inline events::AppendRequest ChangeMember(std::string_view member,
                                          boost::json::object public_changes,
                                          boost::json::object personal_changes = {}) {
  boost::json::object payload = {{"membershipId", member}, {"changes", std::move(public_changes)}};
  if (personal_changes.empty()) {
    return One(MemberStream(member), Event(events::kMemberChanged, payload));
  }
  return One(MemberStream(member), PersonalEvent(events::kMemberChanged, payload, member,
                                                 {{"changes", std::move(personal_changes)}}));
}

inline events::AppendRequest Lapse(std::string_view member, std::string_view status = "Lapsed") {
  return One(MemberStream(member),
             Event(events::kMemberLapsed,
                   {{"membershipId", member}, {"status", status}, {"previousStatus", "Active"}}));
}

inline events::AppendRequest Reinstate(std::string_view member,
                                       std::string_view status = "Active") {
  return One(MemberStream(member),
             Event(events::kMemberReinstated, {{"membershipId", member}, {"status", status}}));
}

inline events::AppendRequest LeftRoster(std::string_view member, std::string_view policy = "keep") {
  return One(MemberStream(member),
             Event(events::kMemberLeftRoster, {{"membershipId", member}, {"policy", policy}}));
}

inline events::AppendRequest IssuePass(std::string_view serial, std::string_view member,
                                       std::string_view pass_type, std::string_view cardholder,
                                       std::int64_t cardholder_index = 0,
                                       std::int64_t token_generation = 1) {
  return One(PassStream(serial), PersonalEvent(events::kPassIssued,
                                               {{"serial", serial},
                                                {"passTypeId", pass_type},
                                                {"membershipId", member},
                                                {"cardholderIndex", cardholder_index},
                                                {"tokenGeneration", token_generation}},
                                               member, {{"cardholder", cardholder}}));
}

// A new cardholder name needs the member (the subject of the sealed part).
inline events::AppendRequest Revise(std::string_view serial, std::string_view reason,
                                    std::uint64_t cause_position = 0, std::string_view member = {},
                                    std::optional<std::string> cardholder = std::nullopt) {
  boost::json::object payload = {{"serial", serial}, {"reason", reason}};
  if (cause_position != 0) payload["causePosition"] = cause_position;
  if (!cardholder) return One(PassStream(serial), Event(events::kPassRevised, payload));
  return One(PassStream(serial),
             PersonalEvent(events::kPassRevised, payload, member, {{"cardholder", *cardholder}}));
}

inline events::AppendRequest Void(std::string_view serial, std::string_view reason = "lapsed") {
  return One(PassStream(serial),
             Event(events::kPassVoided, {{"serial", serial}, {"reason", reason}}));
}

// The next token generation of a pass (what `passledger pass revoke-token` appends).
inline events::AppendRequest RevokeToken(std::string_view serial, std::int64_t token_generation,
                                         std::string_view reason = "device lost") {
  return One(PassStream(serial),
             Event(events::kPassTokenRevoked, {{"serial", serial},
                                               {"tokenGeneration", token_generation},
                                               {"reason", reason}}));
}

inline events::AppendRequest Unvoid(std::string_view serial,
                                    std::string_view reason = "reinstated") {
  return One(PassStream(serial),
             Event(events::kPassUnvoided, {{"serial", serial}, {"reason", reason}}));
}

inline events::AppendRequest EmailRequested(std::string_view serial, std::string_view member,
                                            std::string_view email, std::int64_t attempt = 1) {
  return One(PassStream(serial),
             PersonalEvent(events::kPassEmailRequested, {{"serial", serial}, {"attempt", attempt}},
                           member, {{"email", email}}));
}

inline events::AppendRequest EmailSent(std::string_view serial, std::string_view message_id) {
  return One(PassStream(serial),
             Event(events::kPassEmailSent, {{"serial", serial}, {"messageId", message_id}}));
}

inline events::AppendRequest EmailFailed(std::string_view serial, std::string_view error,
                                         bool will_retry, std::int64_t attempt = 1) {
  return One(PassStream(serial), Event(events::kPassEmailFailed, {{"serial", serial},
                                                                  {"error", error},
                                                                  {"attempt", attempt},
                                                                  {"willRetry", will_retry}}));
}

inline events::AppendRequest Register(std::string_view device, std::string_view pass_type,
                                      std::string_view serial, std::string_view push_token) {
  return One(DeviceStream(device), Event(events::kDeviceRegistered, {{"deviceId", device},
                                                                     {"passTypeId", pass_type},
                                                                     {"serial", serial},
                                                                     {"pushToken", push_token}}));
}

inline events::AppendRequest Unregister(std::string_view device, std::string_view pass_type,
                                        std::string_view serial,
                                        std::string_view reason = "device") {
  return One(DeviceStream(device), Event(events::kDeviceUnregistered, {{"deviceId", device},
                                                                       {"passTypeId", pass_type},
                                                                       {"serial", serial},
                                                                       {"reason", reason}}));
}

inline events::AppendRequest PushBatchCompleted(std::int64_t sent, std::int64_t failed) {
  return One(std::string(events::kPushBatchStream),
             Event(events::kPushBatchCompleted, {{"sent", sent}, {"failed", failed}}));
}

inline events::AppendRequest DeviceLogReceived(std::string_view line) {
  return One("device-logs",
             Event(events::kDeviceLogReceived, {{"lines", boost::json::array{line}}}));
}

inline std::string ImportStream(std::string_view id) { return "import-" + std::string(id); }

inline events::AppendRequest ImportStarted(std::string_view id, std::string_view file_name,
                                           std::string_view sha256, std::int64_t rows = 0) {
  return One(
      ImportStream(id),
      Event(events::kImportStarted,
            {{"importId", id}, {"fileName", file_name}, {"sha256", sha256}, {"rowCount", rows}}));
}

inline events::AppendRequest ImportRowRejected(std::string_view id, std::int64_t line,
                                               std::string_view column, std::string_view reason) {
  return One(ImportStream(id),
             Event(events::kImportRowRejected,
                   {{"importId", id}, {"line", line}, {"column", column}, {"reason", reason}}));
}

inline events::AppendRequest ImportCompleted(std::string_view id, boost::json::object counts) {
  return One(ImportStream(id),
             Event(events::kImportCompleted, {{"importId", id}, {"counts", std::move(counts)}}));
}

inline events::AppendRequest ImportFailed(std::string_view id, std::string_view reason) {
  return One(ImportStream(id),
             Event(events::kImportFailed, {{"importId", id}, {"reason", reason}}));
}

inline std::string StaffStream(std::string_view username) {
  return "staff-" + std::string(username);
}
inline std::string StaffSubject(std::string_view username) {
  return "staff:" + std::string(username);
}

inline events::AppendRequest StaffCreated(std::string_view username, std::string_view role,
                                          std::string_view password_hash) {
  return One(StaffStream(username),
             PersonalEvent(events::kStaffCreated, {{"username", username}, {"role", role}},
                           StaffSubject(username), {{"passwordHash", password_hash}}));
}

inline events::AppendRequest StaffRoleChanged(std::string_view username, std::string_view role,
                                              std::string_view previous) {
  return One(StaffStream(username),
             Event(events::kStaffRoleChanged,
                   {{"username", username}, {"role", role}, {"previousRole", previous}}));
}

inline events::AppendRequest StaffPasswordChanged(std::string_view username,
                                                  std::string_view password_hash) {
  return One(StaffStream(username),
             PersonalEvent(events::kStaffPasswordChanged, {{"username", username}},
                           StaffSubject(username), {{"passwordHash", password_hash}}));
}

inline events::AppendRequest StaffDisabled(std::string_view username,
                                           std::string_view reason = "left") {
  return One(StaffStream(username),
             Event(events::kStaffDisabled, {{"username", username}, {"reason", reason}}));
}

inline events::AppendRequest StaffLoginFailed(std::string_view username, std::int64_t failures,
                                              std::int64_t locked_until_us = 0) {
  return One(
      StaffStream(username),
      Event(events::kStaffLoginFailed,
            {{"username", username}, {"failures", failures}, {"lockedUntilUs", locked_until_us}}));
}

inline events::AppendRequest TemplatePublished(std::string_view pass_type, std::int64_t version,
                                               std::string_view content_hash) {
  return One(
      "template-" + std::string(pass_type),
      Event(events::kTemplatePublished,
            {{"passTypeId", pass_type}, {"version", version}, {"contentHash", content_hash}}));
}

}  // namespace catalogued

inline projections::MemberQuery Query(std::string search = {},
                                      projections::MemberFilter filter = {}, std::size_t limit = 50,
                                      std::string after = {}) {
  projections::MemberQuery query;
  query.search = std::move(search);
  query.filter = filter;
  query.limit = limit;
  query.after = std::move(after);
  return query;
}

class ProjectedLog {
 public:
  // Opens the log in `options.data_dir` with the projections attached (inline for a writable
  // log). `progress`, when given, sees the catch-up replay of Attach.
  static Result<std::unique_ptr<ProjectedLog>> TryOpen(events::OpenOptions options,
                                                       projections::ProgressFn progress = {},
                                                       projections::NoticeFn notice = {}) {
    auto opened = std::unique_ptr<ProjectedLog>(new ProjectedLog());
    opened->projections_ = std::make_unique<projections::Projections>();
    if (!options.read_only) {
      options.inline_projections = {opened->projections_->inline_projection()};
    }
    auto log = events::EventLog::Open(options);
    if (!log) return log.error();
    opened->log_ = std::move(*log);
    if (auto ok = opened->projections_->Attach(opened->log_.get(), std::move(progress),
                                               std::move(notice));
        !ok) {
      return ok.error();
    }
    return opened;
  }

  // Opens or fails the test case.
  static std::unique_ptr<ProjectedLog> Open(const std::filesystem::path& data_dir,
                                            bool read_only = false,
                                            projections::ProgressFn progress = {}) {
    events::OpenOptions options = TestOptions(data_dir);
    options.read_only = read_only;
    auto opened = TryOpen(options, std::move(progress));
    BOOST_TEST_REQUIRE(Succeeded(opened));
    return std::move(*opened);
  }

  ~ProjectedLog() {
    projections_.reset();  // it holds column family handles of the log's database
    log_.reset();
  }
  ProjectedLog(const ProjectedLog&) = delete;
  ProjectedLog& operator=(const ProjectedLog&) = delete;

  events::EventLog& log() const { return *log_; }
  projections::Projections& projections() const { return *projections_; }
  projections::ReadModel read() const { return projections::ReadModel(projections_.get()); }

  // Appends or fails the test case; returns the position of the (last) event.
  std::uint64_t Append(events::AppendRequest request) {
    auto appended = log_->Append(std::move(request));
    BOOST_TEST_REQUIRE(Succeeded(appended));
    return appended->last_position;
  }
  std::uint64_t AppendAtomic(std::vector<events::AppendRequest> requests) {
    auto appended = log_->AppendAtomic(std::move(requests));
    BOOST_TEST_REQUIRE(Succeeded(appended));
    return appended->back().last_position;
  }

  std::uint64_t Enrol(std::string_view member, std::string_view level, bool active,
                      const std::optional<Personal>& personal) {
    return Append(catalogued::Enrol(member, level, active, personal));
  }
  std::uint64_t IssuePass(std::string_view serial, std::string_view member,
                          std::string_view pass_type, std::string_view cardholder,
                          std::int64_t cardholder_index = 0) {
    return Append(catalogued::IssuePass(serial, member, pass_type, cardholder, cardholder_index));
  }
  std::uint64_t Revise(std::string_view serial, std::string_view reason = "changed") {
    return Append(catalogued::Revise(serial, reason));
  }
  std::uint64_t Void(std::string_view serial) { return Append(catalogued::Void(serial)); }
  std::uint64_t Unvoid(std::string_view serial) { return Append(catalogued::Unvoid(serial)); }
  std::uint64_t EmailRequested(std::string_view serial, std::string_view member,
                               std::string_view email) {
    return Append(catalogued::EmailRequested(serial, member, email));
  }
  std::uint64_t EmailSent(std::string_view serial) {
    return Append(catalogued::EmailSent(serial, "<msg-" + std::string(serial) + ">"));
  }
  std::uint64_t EmailFailed(std::string_view serial, bool will_retry) {
    return Append(catalogued::EmailFailed(serial, "550 mailbox unavailable", will_retry));
  }
  std::uint64_t Register(std::string_view device, std::string_view pass_type,
                         std::string_view serial, std::string_view push_token) {
    return Append(catalogued::Register(device, pass_type, serial, push_token));
  }
  std::uint64_t Unregister(std::string_view device, std::string_view pass_type,
                           std::string_view serial) {
    return Append(catalogued::Unregister(device, pass_type, serial));
  }
  std::uint64_t Lapse(std::string_view member) { return Append(catalogued::Lapse(member)); }
  std::uint64_t Reinstate(std::string_view member) { return Append(catalogued::Reinstate(member)); }
  std::uint64_t LeftRoster(std::string_view member) {
    return Append(catalogued::LeftRoster(member));
  }
  std::uint64_t ChangeMember(std::string_view member, boost::json::object public_changes,
                             boost::json::object personal_changes = {}) {
    return Append(
        catalogued::ChangeMember(member, std::move(public_changes), std::move(personal_changes)));
  }
  std::uint64_t ImportStarted(std::string_view id) {
    return Append(catalogued::ImportStarted(id, std::string(id) + ".csv", "00ff"));
  }
  std::uint64_t ImportRowRejected(std::string_view id, std::int64_t line) {
    return Append(catalogued::ImportRowRejected(id, line, "Membership ID", "empty"));
  }
  std::uint64_t ImportCompleted(std::string_view id, boost::json::object counts) {
    return Append(catalogued::ImportCompleted(id, std::move(counts)));
  }
  std::uint64_t StaffCreated(std::string_view username, std::string_view role) {
    return Append(catalogued::StaffCreated(username, role, "$argon2id$v=19$stub"));
  }
  std::uint64_t TemplatePublished(std::string_view pass_type, std::int64_t version) {
    return Append(catalogued::TemplatePublished(pass_type, version, "sha256-of-template"));
  }
  std::uint64_t Forget(std::string_view member, std::string_view reason = "member request") {
    auto forgotten = log_->Forget(member, catalogued::MemberStream(member), kTestActor, reason);
    BOOST_TEST_REQUIRE(Succeeded(forgotten));
    return forgotten->last_position;
  }

 private:
  ProjectedLog() = default;

  // Declared in this order so that projections_ goes first even without the destructor.
  std::unique_ptr<events::EventLog> log_;
  std::unique_ptr<projections::Projections> projections_;
};

inline std::string Json(const boost::json::value& value) { return boost::json::serialize(value); }

// Every key and value of the active generation, read at one snapshot.
inline std::map<std::string, std::string> ViewEntries(const projections::Projections& views) {
  auto generation = views.active();
  BOOST_TEST_REQUIRE(generation != nullptr);
  std::map<std::string, std::string> entries;
  std::unique_ptr<rocksdb::Iterator> it(
      generation->db()->NewIterator(rocksdb::ReadOptions(), generation->cf()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    entries.emplace(it->key().ToString(), it->value().ToString());
  }
  BOOST_TEST_REQUIRE(it->status().ok(), it->status().ToString());
  return entries;
}

}  // namespace passledger::testing

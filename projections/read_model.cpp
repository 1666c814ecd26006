#include "projections/read_model.h"

#include <rocksdb/db.h>

#include <boost/json/parse.hpp>
#include <charconv>
#include <set>

#include "base/bytes.h"
#include "projections/member_fields.h"
#include "projections/view_format.h"

namespace passledger::projections {
namespace {

using format::Key;
using format::View;

// One snapshot of the active generation for the length of a query.
class Snapshot {
 public:
  explicit Snapshot(const Projections* projections) : generation_(projections->active()) {
    if (generation_) snapshot_ = generation_->db()->GetSnapshot();
  }
  ~Snapshot() {
    if (snapshot_) generation_->db()->ReleaseSnapshot(snapshot_);
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  Result<void> Check() const {
    if (!generation_) return MakeError(ErrorCode::kUnavailable, "projections are not attached");
    return {};
  }

  Result<std::optional<std::string>> Get(std::string_view key) const {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    std::string value;
    auto status = generation_->db()->Get(read, generation_->cf(), key, &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return MakeError(ErrorCode::kUnavailable, "views: " + status.ToString());
    return std::optional<std::string>(std::move(value));
  }

  Result<std::optional<boost::json::object>> GetRecord(std::string_view key) const {
    auto raw = Get(key);
    if (!raw) return raw.error();
    if (!*raw) return std::optional<boost::json::object>();
    boost::system::error_code ec;
    auto value = boost::json::parse(**raw, ec);
    if (ec || !value.is_object()) return MakeError(ErrorCode::kCorruption, "bad view record");
    return std::optional<boost::json::object>(std::move(value.as_object()));
  }

  // Calls fn(key suffix after `prefix`, value) for keys starting with `prefix`, from
  // `prefix + start`, until fn returns false.
  template <class Fn>
  Result<void> Scan(std::string_view prefix, std::string_view start, Fn fn) const {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    std::unique_ptr<rocksdb::Iterator> it(generation_->db()->NewIterator(read, generation_->cf()));
    const std::string from = std::string(prefix) + std::string(start);
    for (it->Seek(from); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (!fn(it->key().ToStringView().substr(prefix.size()), it->value().ToStringView())) break;
    }
    if (!it->status().ok()) return MakeError(ErrorCode::kUnavailable, it->status().ToString());
    return {};
  }

 private:
  std::shared_ptr<const Generation> generation_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
};

bool Bool(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

bool Matches(const boost::json::object& member, MemberFilter filter) {
  if (!member.contains("enrolledPosition")) return false;  // a stub, not a member
  switch (filter) {
    case MemberFilter::kAll:
      return true;
    case MemberFilter::kActive:
      return Bool(member, "active") && !Bool(member, "leftRoster");
    case MemberFilter::kLapsed:
      return !Bool(member, "active");
    case MemberFilter::kLeftRoster:
      return Bool(member, "leftRoster");
    case MemberFilter::kForgotten:
      return Bool(member, "forgotten");
  }
  return false;
}

std::uint64_t ParseTag(std::string_view tag) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), value);
  if (ec != std::errc() || end != tag.data() + tag.size()) return 0;
  return value;
}

std::uint64_t ContentPosition(const boost::json::object& pass) {
  const auto* v = pass.if_contains("contentPosition");
  if (!v) return 0;
  return v->is_uint64() ? v->as_uint64() : static_cast<std::uint64_t>(v->as_int64());
}

}  // namespace

Result<std::optional<boost::json::object>> ReadModel::Member(std::string_view id) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto record = s.GetRecord(Key(View::kMembers, id));
  if (!record) return record.error();
  if (*record && !(*record)->contains("enrolledPosition"))
    return std::optional<boost::json::object>();
  return record;
}

Result<void> ReadModel::ScanMembers(
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  Snapshot snapshot(projections_);
  if (auto ok = snapshot.Check(); !ok) return ok;
  return snapshot.Scan(Key(View::kMembers, ""), "", fn);
}

Result<MemberPage> ReadModel::Members(const MemberQuery& query) const {
  constexpr std::size_t kMaxCandidates = 10'000;
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(query.limit, 500));
  MemberPage page;
  auto take = [&](const boost::json::object& member, std::string_view id) {
    if (!Matches(member, query.filter)) return true;
    if (page.members.size() == limit) {
      page.next_cursor = page.members.back().at("membershipId").as_string().c_str();
      return false;
    }
    (void)id;
    page.members.push_back(member);
    return true;
  };
  const std::string members_prefix(1, static_cast<char>(View::kMembers));
  if (query.search.empty()) {
    std::string start = query.after;
    if (!start.empty()) start.push_back('\0');  // strictly after the cursor
    Error error;
    bool failed = false;
    auto ok = s.Scan(members_prefix, start, [&](std::string_view id, std::string_view value) {
      boost::system::error_code ec;
      auto parsed = boost::json::parse(value, ec);
      if (ec || !parsed.is_object()) {
        failed = true;
        error = MakeError(ErrorCode::kCorruption, "bad member record");
        return false;
      }
      return take(parsed.as_object(), id);
    });
    if (!ok) return ok.error();
    if (failed) return error;
    return page;
  }
  // Candidates: membership ids with the search as prefix, and members with a name word or
  // e-mail starting with it (lowercased).
  std::set<std::string> ids;
  auto id_scan =
      s.Scan(members_prefix + query.search, "", [&](std::string_view rest, std::string_view) {
        ids.insert(query.search + std::string(rest));
        return ids.size() < kMaxCandidates;
      });
  if (!id_scan) return id_scan.error();
  const std::string term_prefix =
      std::string(1, static_cast<char>(View::kMemberSearch)) + LowerAscii(query.search);
  auto term_scan = s.Scan(term_prefix, "", [&](std::string_view rest, std::string_view) {
    const auto zero = rest.find('\0');
    if (zero != std::string_view::npos) ids.insert(std::string(rest.substr(zero + 1)));
    return ids.size() < kMaxCandidates;
  });
  if (!term_scan) return term_scan.error();
  for (auto it = ids.upper_bound(query.after); it != ids.end(); ++it) {
    auto record = s.GetRecord(Key(View::kMembers, *it));
    if (!record) return record.error();
    if (*record && !take(**record, *it)) break;
  }
  return page;
}

Result<std::optional<boost::json::object>> ReadModel::Pass(std::string_view serial) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord(Key(View::kPasses, serial));
}

Result<std::vector<boost::json::object>> ReadModel::PassesOfMember(std::string_view id) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto member = s.GetRecord(Key(View::kMembers, id));
  if (!member) return member.error();
  std::vector<boost::json::object> passes;
  if (!*member) return passes;
  for (const auto& serial : (*member)->at("serials").as_array()) {
    auto pass = s.GetRecord(Key(View::kPasses, serial.as_string()));
    if (!pass) return pass.error();
    if (*pass) passes.push_back(std::move(**pass));
  }
  return passes;
}

Result<UpdatedSerials> ReadModel::SerialsUpdatedSince(std::string_view device,
                                                      std::string_view pass_type,
                                                      std::string_view tag) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  const std::uint64_t since = ParseTag(tag);
  std::vector<std::string> registered;
  const std::string prefix = Key(View::kRegistrations, device, pass_type) + '\0';
  auto scanned = s.Scan(prefix, "", [&](std::string_view serial, std::string_view) {
    registered.emplace_back(serial);
    return true;
  });
  if (!scanned) return scanned.error();
  UpdatedSerials out;
  for (const auto& serial : registered) {
    auto pass = s.GetRecord(Key(View::kPasses, serial));
    if (!pass) return pass.error();
    if (!*pass) continue;
    const std::uint64_t content = ContentPosition(**pass);
    if (content > since) {
      out.serials.push_back(serial);
      out.last_updated = std::max(out.last_updated, content);
    }
  }
  return out;
}

Result<bool> ReadModel::IsRegistered(std::string_view device, std::string_view pass_type,
                                     std::string_view serial) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kRegistrations, device, pass_type, serial));
  if (!raw) return raw.error();
  return raw->has_value();
}

Result<std::optional<std::string>> ReadModel::RegisteredPushToken(std::string_view device,
                                                                  std::string_view pass_type,
                                                                  std::string_view serial) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kRegistrations, device, pass_type, serial));
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<std::string>();
  auto record = s.GetRecord(Key(View::kDevices, device));
  if (!record) return record.error();
  std::string token;
  if (*record) {
    if (const auto* value = (*record)->if_contains("pushToken"); value && value->is_string()) {
      token = value->get_string();
    }
  }
  return std::optional<std::string>(std::move(token));
}

Result<std::size_t> ReadModel::CountDevicesForSerial(std::string_view serial,
                                                     std::size_t limit) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::size_t count = 0;
  if (limit == 0) return count;
  const std::string prefix = Key(View::kPassDevices, serial) + '\0';
  auto scanned =
      s.Scan(prefix, "", [&](std::string_view, std::string_view) { return ++count < limit; });
  if (!scanned) return scanned.error();
  return count;
}

Result<std::vector<Registration>> ReadModel::DevicesForSerial(std::string_view serial) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<Registration> out;
  const std::string prefix = Key(View::kPassDevices, serial) + '\0';
  auto scanned = s.Scan(prefix, "", [&](std::string_view device, std::string_view pass_type) {
    out.push_back({std::string(device), std::string(pass_type), {}});
    return true;
  });
  if (!scanned) return scanned.error();
  for (auto& registration : out) {
    auto device = s.GetRecord(Key(View::kDevices, registration.device_id));
    if (!device) return device.error();
    if (*device) registration.push_token = (*device)->at("pushToken").as_string().c_str();
  }
  return out;
}

Result<std::vector<std::pair<std::uint64_t, std::string>>> ReadModel::PassesChangedSince(
    std::string_view pass_type, std::uint64_t after, std::size_t limit) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<std::pair<std::uint64_t, std::string>> out;
  const std::string prefix = Key(View::kPassChanges, pass_type) + '\0';
  auto scanned = s.Scan(prefix, passledger::U64BE(after + 1),
                        [&](std::string_view position, std::string_view serial) {
                          if (out.size() >= limit) return false;
                          out.emplace_back(passledger::LoadU64BE(position.data()), serial);
                          return true;
                        });
  if (!scanned) return scanned.error();
  return out;
}

Result<boost::json::object> ReadModel::Counts() const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto record = s.GetRecord(Key(View::kCounts, format::kCountsId));
  if (!record) return record.error();
  boost::json::object counts = record->value_or(boost::json::object());
  for (auto name : {"members", "membersActive", "membersLeft", "membersForgotten", "passes",
                    "passesVoided", "devices", "registrations", "imports", "staff"}) {
    if (!counts.contains(name)) counts[name] = 0;
  }
  return counts;
}

Result<std::optional<boost::json::object>> ReadModel::Import(std::string_view id) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord(Key(View::kImports, id));
}

Result<std::optional<boost::json::object>> ReadModel::Staff(std::string_view username) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord(Key(View::kStaff, username));
}

Result<std::optional<boost::json::object>> ReadModel::Template(std::string_view pass_type) const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord(Key(View::kTemplates, pass_type));
}

Result<std::uint64_t> ReadModel::Checkpoint() const {
  Snapshot s(projections_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kCheckpoint, format::kCheckpointId));
  if (!raw) return raw.error();
  if (!*raw || (*raw)->size() != 8) return std::uint64_t{0};
  return passledger::LoadU64BE((*raw)->data());
}

}  // namespace passledger::projections

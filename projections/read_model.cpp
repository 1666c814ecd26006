#include "projections/read_model.h"

#include <rocksdb/db.h>

#include <charconv>
#include <set>

#include "base/bytes.h"
#include "projections/generation.h"
#include "projections/member_fields.h"
#include "projections/view_codec.h"
#include "projections/view_format.h"

namespace passledger::projections {
namespace {

using format::Key;
using format::View;

// The smallest key greater than every key starting with `prefix`: the prefix with trailing
// 0xff bytes dropped and the last byte incremented; empty (no bound) for all-0xff.
std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty() && static_cast<unsigned char>(out.back()) == 0xff) out.pop_back();
  if (!out.empty()) out.back() = static_cast<char>(static_cast<unsigned char>(out.back()) + 1);
  return out;
}

// One snapshot of the active generation for the length of a query.
class Snapshot {
 public:
  Snapshot(const Projections* projections, ReadTier tier)
      : generation_(projections->active()), tier_(tier) {
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
    std::string value;
    auto status = generation_->db()->Get(Options(), generation_->cf(), key, &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return StatusError(status);
    return std::optional<std::string>(std::move(value));
  }

  // The record of type T at `view` + `id`, decoded (projections/view_codec.h).
  template <class T>
  Result<std::optional<T>> GetRecord(View view, std::string_view id) const {
    auto raw = Get(Key(view, id));
    if (!raw) return raw.error();
    if (!*raw) return std::optional<T>();
    auto record = codec::Decode<T>(id, **raw);
    if (!record) return record.error();
    return std::optional<T>(std::move(*record));
  }

  // The records of type T at `view` + each of `ids`, in the order of `ids` (nullopt where
  // there is none), read in one batched lookup.
  template <class T>
  Result<std::vector<std::optional<T>>> GetRecords(View view,
                                                   const std::vector<std::string>& ids) const {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const auto& id : ids) keys.push_back(Key(view, id));
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    generation_->db()->MultiGet(Options(), generation_->cf(), keys.size(), slices.data(),
                                values.data(), statuses.data());
    std::vector<std::optional<T>> out(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) return StatusError(statuses[i]);
      auto record = codec::Decode<T>(ids[i], values[i].ToStringView());
      if (!record) return record.error();
      out[i] = std::move(*record);
    }
    return out;
  }

  // Calls fn(record) for every record of `view`, decoded by decode(id, bytes) -> Result<T>,
  // until fn returns false; a record that does not decode ends the scan with its error.
  template <class Decode, class Fn>
  Result<void> ScanRecords(View view, Decode decode, const Fn& fn) const {
    Result<void> decoded;
    auto scanned = Scan(Key(view, ""), "", [&](std::string_view id, std::string_view value) {
      auto record = decode(id, value);
      if (!record) {
        decoded = record.error();
        return false;
      }
      return fn(*record);
    });
    if (!scanned) return scanned;
    return decoded;
  }

  // Calls fn(key suffix after `prefix`, value) for keys starting with `prefix`, from
  // `prefix + start`, until fn returns false.
  template <class Fn>
  Result<void> Scan(std::string_view prefix, std::string_view start, Fn fn) const {
    rocksdb::ReadOptions read = Options();
    // The bound lets RocksDB stop at the prefix's end instead of reading the next key.
    const std::string upper = PrefixSuccessor(prefix);
    const rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) read.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(generation_->db()->NewIterator(read, generation_->cf()));
    const std::string from = std::string(prefix) + std::string(start);
    for (it->Seek(from); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (!fn(it->key().ToStringView().substr(prefix.size()), it->value().ToStringView())) break;
    }
    if (!it->status().ok()) return StatusError(it->status());
    return {};
  }

 private:
  // Memory only: memtables and the block cache; a read that needs a disk block comes back
  // Incomplete.
  rocksdb::ReadOptions Options() const {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    if (tier_ == ReadTier::kMemoryOnly) read.read_tier = rocksdb::kBlockCacheTier;
    return read;
  }

  Error StatusError(const rocksdb::Status& status) const {
    if (tier_ == ReadTier::kMemoryOnly && status.IsIncomplete()) {
      return MakeError(ErrorCode::kWouldBlock, "views: the answer is not in memory");
    }
    return MakeError(ErrorCode::kUnavailable, "views: " + status.ToString());
  }

  std::shared_ptr<const Generation> generation_;
  const ReadTier tier_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
};

bool Matches(const MemberView& member, MemberFilter filter) {
  if (!member.enrolled()) return false;  // a stub, not a member
  switch (filter) {
    case MemberFilter::kAll:
      return true;
    case MemberFilter::kActive:
      return member.active && !member.left_roster;
    case MemberFilter::kLapsed:
      return !member.active;
    case MemberFilter::kLeftRoster:
      return member.left_roster;
    case MemberFilter::kForgotten:
      return member.forgotten;
  }
  return false;
}

std::uint64_t ParseTag(std::string_view tag) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), value);
  if (ec != std::errc() || end != tag.data() + tag.size()) return 0;
  return value;
}

constexpr std::size_t kNoLimit = static_cast<std::size_t>(-1);

// The serials of `pass_type` that `device` is registered for, in serial order, at most `limit`.
Result<std::vector<std::string>> ScanRegisteredSerials(const Snapshot& s, std::string_view device,
                                                       std::string_view pass_type,
                                                       std::size_t limit) {
  std::vector<std::string> serials;
  if (limit == 0) return serials;
  const std::string prefix = Key(View::kRegistrations, device, pass_type) + '\0';
  auto scanned = s.Scan(prefix, "", [&](std::string_view serial, std::string_view) {
    serials.emplace_back(serial);
    return serials.size() < limit;
  });
  if (!scanned) return scanned.error();
  return serials;
}

// Decoded by Pass() when the serial has no record: as long as a typical pass record.
const std::string& StandInPass() {
  static const std::string bytes = [] {
    PassView p;
    p.pass_type_id = "pass.org.example.stand-in";
    p.membership_id = "0-00000000";
    p.cardholder = "Stand-in Cardholder";
    p.token_generation = 1;
    p.content_position = p.issued_position = 1;
    return codec::Encoded(p);
  }();
  return bytes;
}

}  // namespace

Result<std::optional<MemberView>> ReadModel::Member(std::string_view id) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto record = s.GetRecord<MemberView>(View::kMembers, id);
  if (!record) return record.error();
  if (*record && !(*record)->enrolled()) return std::optional<MemberView>();
  return record;
}

Result<void> ReadModel::ScanMemberSummaries(
    const std::function<bool(const MemberSummary&)>& fn) const {
  Snapshot snapshot(projections_, tier_);
  if (auto ok = snapshot.Check(); !ok) return ok;
  return snapshot.ScanRecords(View::kMembers, codec::DecodeMemberSummary, fn);
}

Result<MemberPage> ReadModel::Members(const MemberQuery& query) const {
  constexpr std::size_t kMaxCandidates = 10'000;
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(query.limit, 500));
  MemberPage page;
  auto take = [&](MemberView member) {
    if (!Matches(member, query.filter)) return true;
    if (page.members.size() == limit) {
      page.next_cursor = page.members.back().membership_id;
      return false;
    }
    page.members.push_back(std::move(member));
    return true;
  };
  const std::string members_prefix(1, static_cast<char>(View::kMembers));
  if (query.search.empty()) {
    std::string start = query.after;
    if (!start.empty()) start.push_back('\0');  // strictly after the cursor
    Result<void> decoded;
    auto ok = s.Scan(members_prefix, start, [&](std::string_view id, std::string_view value) {
      auto member = codec::DecodeMember(id, value);
      if (!member) {
        decoded = member.error();
        return false;
      }
      return take(std::move(*member));
    });
    if (!ok) return ok.error();
    if (!decoded) return decoded.error();
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
    auto record = s.GetRecord<MemberView>(View::kMembers, *it);
    if (!record) return record.error();
    if (*record && !take(std::move(**record))) break;
  }
  return page;
}

Result<std::optional<PassView>> ReadModel::Pass(std::string_view serial) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto pass = s.GetRecord<PassView>(View::kPasses, serial);
  if (pass && !*pass) (void)codec::DecodePass(serial, StandInPass());  // the cost, not the value
  return pass;
}

Result<std::vector<PassView>> ReadModel::PassesOfMember(std::string_view id) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto member = s.GetRecord<MemberView>(View::kMembers, id);
  if (!member) return member.error();
  std::vector<PassView> passes;
  if (!*member) return passes;
  auto records = s.GetRecords<PassView>(View::kPasses, (*member)->serials);
  if (!records) return records.error();
  for (auto& pass : *records) {
    if (pass) passes.push_back(std::move(*pass));
  }
  return passes;
}

Result<UpdatedSerials> ReadModel::SerialsUpdatedSince(std::string_view device,
                                                      std::string_view pass_type,
                                                      std::string_view tag) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  const std::uint64_t since = ParseTag(tag);
  auto found = ScanRegisteredSerials(s, device, pass_type, kNoLimit);
  if (!found) return found.error();
  const std::vector<std::string>& registered = *found;
  auto passes = s.GetRecords<PassView>(View::kPasses, registered);
  if (!passes) return passes.error();
  UpdatedSerials out;
  for (std::size_t i = 0; i < registered.size(); ++i) {
    const auto& pass = (*passes)[i];
    if (!pass) continue;
    if (pass->content_position > since) {
      out.serials.push_back(registered[i]);
      out.last_updated = std::max(out.last_updated, pass->content_position);
    }
  }
  return out;
}

Result<std::vector<std::string>> ReadModel::RegisteredSerials(std::string_view device,
                                                              std::string_view pass_type,
                                                              std::size_t limit) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return ScanRegisteredSerials(s, device, pass_type, limit);
}

Result<bool> ReadModel::IsRegistered(std::string_view device, std::string_view pass_type,
                                     std::string_view serial) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kRegistrations, device, pass_type, serial));
  if (!raw) return raw.error();
  return raw->has_value();
}

Result<std::optional<std::string>> ReadModel::RegisteredPushToken(std::string_view device,
                                                                  std::string_view pass_type,
                                                                  std::string_view serial) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kRegistrations, device, pass_type, serial));
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<std::string>();
  auto record = s.GetRecord<DeviceView>(View::kDevices, device);
  if (!record) return record.error();
  return std::optional<std::string>(*record ? std::move((*record)->push_token) : std::string());
}

Result<std::size_t> ReadModel::CountDevicesForSerial(std::string_view serial,
                                                     std::size_t limit) const {
  Snapshot s(projections_, tier_);
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
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<Registration> out;
  const std::string prefix = Key(View::kPassDevices, serial) + '\0';
  auto scanned = s.Scan(prefix, "", [&](std::string_view device, std::string_view pass_type) {
    out.push_back({std::string(device), std::string(pass_type), {}});
    return true;
  });
  if (!scanned) return scanned.error();
  std::vector<std::string> ids;
  ids.reserve(out.size());
  for (const auto& registration : out) ids.push_back(registration.device_id);
  auto devices = s.GetRecords<DeviceView>(View::kDevices, ids);
  if (!devices) return devices.error();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!(*devices)[i]) continue;
    out[i].push_token = std::move((*devices)[i]->push_token);
    out[i].device_position = (*devices)[i]->updated_position;
  }
  return out;
}

namespace {

// The (u64be position, serial) entries of a position-keyed index under `prefix`, after
// `after`, at most `limit`: the change index and the waiting e-mails.
Result<std::vector<std::pair<std::uint64_t, std::string>>> PositionsAfter(const Snapshot& s,
                                                                          std::string_view prefix,
                                                                          std::uint64_t after,
                                                                          std::size_t limit) {
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<std::pair<std::uint64_t, std::string>> out;
  auto scanned = s.Scan(prefix, passledger::U64BE(after + 1),
                        [&](std::string_view position, std::string_view serial) {
                          if (out.size() >= limit) return false;
                          out.emplace_back(passledger::LoadU64BE(position.data()), serial);
                          return true;
                        });
  if (!scanned) return scanned.error();
  return out;
}

}  // namespace

Result<std::vector<std::pair<std::uint64_t, std::string>>> ReadModel::PassesChangedSince(
    std::string_view pass_type, std::uint64_t after, std::size_t limit) const {
  return PositionsAfter(Snapshot(projections_, tier_), Key(View::kPassChanges, pass_type) + '\0',
                        after, limit);
}

Result<std::vector<std::pair<std::uint64_t, std::string>>> ReadModel::EmailsWaiting(
    std::uint64_t after, std::size_t limit) const {
  return PositionsAfter(Snapshot(projections_, tier_),
                        std::string(1, static_cast<char>(View::kEmailsWaiting)), after, limit);
}

Result<std::optional<DeviceView>> ReadModel::Device(std::string_view device_id) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord<DeviceView>(View::kDevices, device_id);
}

Result<CountsView> ReadModel::Counts() const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto record = s.GetRecord<CountsView>(View::kCounts, format::kCountsId);
  if (!record) return record.error();
  return record->value_or(CountsView{});
}

Result<std::optional<ImportView>> ReadModel::Import(std::string_view id) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord<ImportView>(View::kImports, id);
}

Result<std::optional<StaffView>> ReadModel::Staff(std::string_view username) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord<StaffView>(View::kStaff, username);
}

Result<void> ReadModel::ScanStaff(const std::function<bool(const StaffView&)>& fn) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok;
  return s.ScanRecords(View::kStaff, codec::DecodeStaff, fn);
}

Result<std::optional<TemplateView>> ReadModel::Template(std::string_view pass_type) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  return s.GetRecord<TemplateView>(View::kTemplates, pass_type);
}

Result<std::uint64_t> ReadModel::Checkpoint() const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto raw = s.Get(Key(View::kCheckpoint, format::kCheckpointId));
  if (!raw) return raw.error();
  if (!*raw || (*raw)->size() != 8) return std::uint64_t{0};
  return passledger::LoadU64BE((*raw)->data());
}

}  // namespace passledger::projections

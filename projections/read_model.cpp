#include "projections/read_model.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <charconv>

#include "base/bytes.h"
#include "base/mac.h"
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

  // Calls fn(key suffix after `prefix`, value) for keys starting with `prefix` and less than
  // `prefix + below` (empty `below`: every key of the prefix), from the greatest down, until
  // fn returns false.
  template <class Fn>
  Result<void> ScanBackward(std::string_view prefix, std::string_view below, Fn fn) const {
    std::unique_ptr<rocksdb::Iterator> it(
        generation_->db()->NewIterator(Options(), generation_->cf()));
    const std::string target =
        below.empty() ? PrefixSuccessor(prefix) : std::string(prefix) + std::string(below);
    if (target.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(target);
      if (it->Valid() && it->key() == target) it->Prev();  // `below` itself is excluded
    }
    for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
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

bool Matches(const codec::MemberFront& member, MemberFilter filter) {
  if (!member.enrolled) return false;  // a stub, not a member
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

bool Matches(const codec::MemberFront& member, const MemberQuery& query,
             std::string_view lowered_level) {
  if (!Matches(member, query.filter)) return false;
  if (!lowered_level.empty() && LowerAscii(member.level) != lowered_level) return false;
  if (query.emailed && (member.passes_emailed > 0) != *query.emailed) return false;
  if (query.on_device && (member.passes_installed > 0) != *query.on_device) return false;
  return true;
}

// Where a member list goes on: after a membership id in the id scan, or after a search index
// key (term, 0x00, id) in the term scan. Its text is base64url of the phase byte and the key.
struct MemberCursor {
  enum Phase : char { kIds = 'm', kTerms = 'n' };
  Phase phase = kIds;
  std::string key;  // empty: from the start of the phase

  std::string Encode() const { return passledger::Base64UrlEncode(static_cast<char>(phase) + key); }

  static Result<MemberCursor> Parse(std::string_view text) {
    if (text.empty()) return MemberCursor{};
    auto bytes = passledger::Base64UrlDecode(text);
    if (!bytes || bytes->empty() || ((*bytes)[0] != kIds && (*bytes)[0] != kTerms)) {
      return MakeError(ErrorCode::kInvalidArgument, "not a cursor of the member list");
    }
    return MemberCursor{static_cast<Phase>((*bytes)[0]), bytes->substr(1)};
  }
};

// One call of ReadModel::Members: scans rows, keeps the matching members, stops at a full page
// (once it has seen that another member follows) or at the scan cap.
class MemberLister {
 public:
  MemberLister(const Snapshot& s, const MemberQuery& query)
      : s_(s),
        query_(query),
        level_(LowerAscii(query.level)),
        term_(LowerAscii(query.search)),
        limit_(std::clamp<std::size_t>(query.limit, 1, 500)),
        max_scanned_(std::clamp<std::size_t>(query.max_scanned, 1, 100'000)) {}

  // Members whose id starts with the search (all members without one), after `after`.
  Result<void> ScanIds(std::string_view after) {
    const std::string prefix = Key(View::kMembers, query_.search);
    if (!after.empty() && !after.starts_with(query_.search)) return BadCursor();
    const std::string start =
        after.empty() ? std::string() : std::string(after.substr(query_.search.size())) + '\0';
    Result<void> failed;
    auto scanned = s_.Scan(prefix, start, [&](std::string_view rest, std::string_view value) {
      const std::string id = query_.search + std::string(rest);
      auto go_on = Row({MemberCursor::kIds, id}, id, value, nullptr);
      if (!go_on) failed = go_on.error();
      return go_on && *go_on;
    });
    if (!scanned) return scanned;
    return failed;
  }

  // Members with a name word or e-mail starting with the search, after index key `after`.
  Result<void> ScanTerms(std::string_view after) {
    const std::string prefix = Key(View::kMemberSearch, term_);
    if (!after.empty() && !after.starts_with(term_)) return BadCursor();
    const std::string start =
        after.empty() ? std::string() : std::string(after.substr(term_.size())) + '\0';
    Result<void> failed;
    auto scanned = s_.Scan(prefix, start, [&](std::string_view rest, std::string_view entry) {
      auto go_on = TermRow(term_ + std::string(rest), entry);
      if (!go_on) failed = go_on.error();
      return go_on && *go_on;
    });
    if (!scanned) return scanned;
    return failed;
  }

  bool done() const { return done_; }
  MemberPage Finish() && { return std::move(page_); }

 private:
  static Error BadCursor() {
    return MakeError(ErrorCode::kInvalidArgument, "the cursor belongs to another member search");
  }

  // An index entry `key` (term, 0x00, id) holding `entry`: its member, unless the filters
  // refuse it (read from the entry: no member record is read for it) or it is listed under
  // another row.
  Result<bool> TermRow(const std::string& key, std::string_view entry) {
    const auto zero = key.find('\0');
    if (zero == std::string::npos) return Count({MemberCursor::kTerms, key});
    const std::string id = key.substr(zero + 1);
    const std::string_view term = std::string_view(key).substr(0, zero);
    auto front = codec::DecodeSearchEntry(id, entry);
    if (!front) return front.error();
    // Listed by the id scan already, or refused by the filters.
    if (id.starts_with(query_.search) || !Matches(*front, query_, level_)) {
      return Count({MemberCursor::kTerms, key});
    }
    auto raw = s_.Get(Key(View::kMembers, id));
    if (!raw) return raw.error();
    if (!*raw) return Count({MemberCursor::kTerms, key});
    return Row({MemberCursor::kTerms, key}, id, **raw, &term);
  }

  // One row examined: the member at `id` with record bytes `value`. `term`, in the term scan,
  // is the word it was found by. False once the call is done.
  Result<bool> Row(MemberCursor at, const std::string& id, std::string_view value,
                   const std::string_view* term) {
    auto front = codec::DecodeMemberFront(id, value);
    if (!front) return front.error();
    if (!Matches(*front, query_, level_)) return Count(std::move(at));
    auto member = codec::DecodeMember(id, value);
    if (!member) return member.error();
    if (term && !FirstMatchingTerm(*member, *term)) return Count(std::move(at));
    if (page_.members.size() == limit_) {  // a member follows the full page
      page_.next_cursor = last_.Encode();
      done_ = true;
      return false;
    }
    page_.members.push_back(std::move(*member));
    return Count(std::move(at));
  }

  // Whether `term` is the first of the member's search terms that starts with the search.
  bool FirstMatchingTerm(const MemberView& member, std::string_view term) const {
    if (!member.personal) return false;
    for (const auto& own : SearchTerms(*member.personal)) {  // sorted
      if (own.starts_with(term_)) return own == term;
    }
    return false;
  }

  // Counts the row just examined; at the cap, the page ends there.
  bool Count(MemberCursor at) {
    ++page_.scanned;
    last_ = std::move(at);
    if (page_.scanned < max_scanned_) return true;
    page_.next_cursor = last_.Encode();
    page_.capped = true;
    done_ = true;
    return false;
  }

  const Snapshot& s_;
  const MemberQuery& query_;
  const std::string level_, term_;
  const std::size_t limit_, max_scanned_;
  MemberPage page_;
  MemberCursor last_;  // the last row examined
  bool done_ = false;
};

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
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  auto cursor = MemberCursor::Parse(query.after);
  if (!cursor) return cursor.error();
  MemberLister lister(s, query);
  if (cursor->phase == MemberCursor::kIds) {
    if (auto ok = lister.ScanIds(cursor->key); !ok) return ok.error();
    if (lister.done() || query.search.empty()) return std::move(lister).Finish();
    cursor->key.clear();
  } else if (query.search.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the cursor belongs to a member search");
  }
  if (auto ok = lister.ScanTerms(cursor->key); !ok) return ok.error();
  return std::move(lister).Finish();
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

Result<std::vector<DeviceView>> ReadModel::Devices(std::string_view after,
                                                   std::size_t limit) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<DeviceView> out;
  if (limit == 0) return out;
  const std::string start = after.empty() ? std::string() : std::string(after) + '\0';
  Result<void> decoded;
  auto scanned =
      s.Scan(Key(View::kDevices, ""), start, [&](std::string_view id, std::string_view value) {
        auto device = codec::DecodeDevice(id, value);
        if (!device) {
          decoded = device.error();
          return false;
        }
        out.push_back(std::move(*device));
        return out.size() < limit;
      });
  if (!scanned) return scanned.error();
  if (!decoded) return decoded.error();
  return out;
}

Result<std::vector<ActivityBucket>> ReadModel::Activity(std::int64_t from_s,
                                                        std::int64_t to_s) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<ActivityBucket> out;
  const std::string prefix = Key(View::kActivity, "");
  const std::string start =
      passledger::U64BE(static_cast<std::uint64_t>(std::max<std::int64_t>(0, from_s)));
  Result<void> decoded;
  auto scanned = s.Scan(prefix, start, [&](std::string_view id, std::string_view value) {
    auto bucket = codec::DecodeActivity(id, value);
    if (!bucket) {
      decoded = bucket.error();
      return false;
    }
    if (bucket->start_s >= to_s) return false;
    out.push_back(*bucket);
    return true;
  });
  if (!scanned) return scanned.error();
  if (!decoded) return decoded.error();
  return out;
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

Result<std::vector<ImportView>> ReadModel::Imports(std::uint64_t before_position,
                                                   std::size_t limit) const {
  Snapshot s(projections_, tier_);
  if (auto ok = s.Check(); !ok) return ok.error();
  std::vector<std::string> ids;
  if (limit == 0) return std::vector<ImportView>();
  const std::string below =
      before_position == 0 ? std::string() : passledger::U64BE(before_position);
  auto scanned = s.ScanBackward(Key(View::kImportsByStart, ""), below,
                                [&](std::string_view, std::string_view id) {
                                  ids.emplace_back(id);
                                  return ids.size() < limit;
                                });
  if (!scanned) return scanned.error();
  auto records = s.GetRecords<ImportView>(View::kImports, ids);
  if (!records) return records.error();
  std::vector<ImportView> out;
  for (auto& record : *records) {
    if (record) out.push_back(std::move(*record));
  }
  return out;
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

#include "projections/view_codec.h"

#include <array>

#include "base/bytes.h"
#include "base/crypto.h"

namespace passledger::projections::codec {
namespace {

// Field order is the format: change it only with a new kRecordFormat (docs/STORAGE.md).
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {
    out_->push_back(static_cast<char>(kRecordFormat));
  }
  void U(std::uint64_t v) { PutVarU64(out_, v); }
  void I(std::int64_t v) {  // zigzag: small negative numbers stay short
    U((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void S(std::string_view v) { PutVarBytes(out_, v); }
  void Strings(const std::vector<std::string>& list) {
    U(list.size());
    for (const auto& s : list) S(s);
  }

 private:
  std::string* out_;
};

// Sticky failure: after the first short or malformed read every read gives a zero value and
// Finish reports the damage, so decoders read straight through without a check per field.
class Reader {
 public:
  Reader(std::string_view what, std::string_view id, std::string_view bytes)
      : what_(what), id_(id), in_(bytes) {
    auto format = in_.U8();
    if (!format) {
      Fail("empty");
    } else if (*format == '{') {
      old_format_ = true;
      failed_ = true;
    } else if (*format != kRecordFormat) {
      Fail("unknown record format " + std::to_string(*format));
    }
  }
  std::uint64_t U() {
    if (failed_) return 0;
    auto v = in_.VarU64();
    if (!v) Fail("truncated number");
    return v.value_or(0);
  }
  std::int64_t I() {
    const std::uint64_t z = U();
    return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
  }
  // A flag set: bits beyond `known` are damage (so that decoding then encoding gives back the
  // same bytes).
  std::uint64_t Flags(std::uint64_t known) {
    const std::uint64_t flags = U();
    if (flags & ~known) Fail("unknown flags " + std::to_string(flags));
    return flags;
  }
  std::string S() { return std::string(View()); }
  std::string_view View() {
    if (failed_) return {};
    auto v = in_.VarBytes();
    if (!v) Fail("truncated text");
    return v.value_or(std::string_view());
  }
  // A count of items that each take at least one byte: a count beyond the bytes left is
  // damage, not a reason to reserve gigabytes.
  std::size_t Count() {
    const std::uint64_t n = U();
    if (n > in_.size()) {
      Fail("count past the end");
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  std::vector<std::string> Strings() {
    std::vector<std::string> out(Count());
    for (auto& s : out) s = S();
    return out;
  }
  template <class T>
  Result<T> Finish(T record, bool whole = true) {
    if (!failed_ && whole && !in_.empty()) Fail("trailing bytes");
    if (old_format_) {
      return MakeError(ErrorCode::kCorruption,
                       "the " + std::string(what_) + " record of " + std::string(id_) +
                           " is in view format 1 (JSON): the views need a rebuild "
                           "(`passledger rebuild`, or open the data directory for writing)");
    }
    if (failed_) {
      return MakeError(ErrorCode::kCorruption, "the " + std::string(what_) + " record of " +
                                                   std::string(id_) + " is damaged (" + damage_ +
                                                   ")");
    }
    return record;
  }

 private:
  void Fail(std::string why) {
    if (failed_) return;
    failed_ = true;
    damage_ = std::move(why);
  }
  std::string_view what_, id_;
  ByteReader in_;
  bool failed_ = false;
  bool old_format_ = false;
  std::string damage_;
};

// Flags of a member record, in one byte at the front (read by the summary too).
enum MemberFlag : std::uint8_t {
  kActive = 1,
  kEmailable = 2,
  kForgotten = 4,
  kLeftRoster = 8,
  kHasPersonal = 16,
};

// The row hash is kept as its 32 bytes, shown as hex. (Always ours: computed by the folder.)
std::string HashBytes(std::string_view hex) {
  std::string raw(hex.size() / 2, '\0');
  auto* bytes = reinterpret_cast<std::uint8_t*>(raw.data());
  if (hex.size() % 2 != 0 || !FromHex(hex, {bytes, raw.size()})) return {};
  return raw;
}

}  // namespace

// member: flags, enrolled_position, updated_position, row_hash (raw bytes), passes_installed,
// passes_emailed, email_status, level, status, expires, add_ons[name, quantity], left_policy,
// serials[], then when kHasPersonal: name, first_name, last_name, email, address (line1,
// line2, city, state, zip), cardholders[].
void Encode(const MemberView& m, std::string* out) {
  Writer w(out);
  std::uint8_t flags = 0;
  if (m.active) flags |= kActive;
  if (m.emailable) flags |= kEmailable;
  if (m.forgotten) flags |= kForgotten;
  if (m.left_roster) flags |= kLeftRoster;
  if (m.personal) flags |= kHasPersonal;
  w.U(flags);
  w.U(m.enrolled_position);
  w.U(m.updated_position);
  w.S(HashBytes(m.row_hash));
  w.I(m.passes_installed);
  w.I(m.passes_emailed);
  w.U(static_cast<std::uint64_t>(m.email_status));
  w.S(m.level);
  w.S(m.status);
  w.S(m.expires);
  w.U(m.add_ons.size());
  for (const auto& a : m.add_ons) {
    w.S(a.name);
    w.I(a.quantity);
  }
  w.S(m.left_policy);
  w.Strings(m.serials);
  if (m.personal) {
    const MemberPersonal& p = *m.personal;
    w.S(p.name);
    w.S(p.first_name);
    w.S(p.last_name);
    w.S(p.email);
    w.S(p.address.line1);
    w.S(p.address.line2);
    w.S(p.address.city);
    w.S(p.address.state);
    w.S(p.address.zip);
    w.Strings(p.cardholders);
  }
}

namespace {
struct MemberHead {
  std::uint64_t flags = 0;
  std::uint64_t enrolled = 0, updated = 0;
  std::string row_hash;
};
MemberHead ReadMemberHead(Reader& r) {
  MemberHead h;
  h.flags = r.Flags(kActive | kEmailable | kForgotten | kLeftRoster | kHasPersonal);
  h.enrolled = r.U();
  h.updated = r.U();
  const std::string_view hash = r.View();
  if (!hash.empty()) h.row_hash = ToHex(hash);
  return h;
}

// The fields after the head that the folder derives from the member's passes.
struct MemberPassCounts {
  std::int64_t installed = 0, emailed = 0;
  std::uint64_t email_status = 0;
};
MemberPassCounts ReadMemberPassCounts(Reader& r) {
  MemberPassCounts c;
  c.installed = r.I();
  c.emailed = r.I();
  c.email_status = r.U();
  return c;
}

bool IsEmailStatus(std::uint64_t status) {
  return status <= static_cast<std::uint64_t>(EmailStatus::kFailed);
}

Error BadEmailStatus(std::string_view what, std::string_view id, std::uint64_t status) {
  return MakeError(ErrorCode::kCorruption, "the " + std::string(what) + " record of " +
                                               std::string(id) + " is damaged (e-mail status " +
                                               std::to_string(status) + ")");
}
}  // namespace

Result<MemberView> DecodeMember(std::string_view id, std::string_view bytes) {
  Reader r("member", id, bytes);
  MemberView m;
  m.membership_id = std::string(id);
  const MemberHead head = ReadMemberHead(r);
  m.active = head.flags & kActive;
  m.emailable = head.flags & kEmailable;
  m.forgotten = head.flags & kForgotten;
  m.left_roster = head.flags & kLeftRoster;
  m.enrolled_position = head.enrolled;
  m.updated_position = head.updated;
  m.row_hash = head.row_hash;
  const MemberPassCounts counts = ReadMemberPassCounts(r);
  if (!IsEmailStatus(counts.email_status)) return BadEmailStatus("member", id, counts.email_status);
  m.passes_installed = counts.installed;
  m.passes_emailed = counts.emailed;
  m.email_status = static_cast<EmailStatus>(counts.email_status);
  m.level = r.S();
  m.status = r.S();
  m.expires = r.S();
  m.add_ons.resize(r.Count());
  for (auto& a : m.add_ons) {
    a.name = r.S();
    a.quantity = r.I();
  }
  m.left_policy = r.S();
  m.serials = r.Strings();
  if (head.flags & kHasPersonal) {
    MemberPersonal& p = m.personal.emplace();
    p.name = r.S();
    p.first_name = r.S();
    p.last_name = r.S();
    p.email = r.S();
    p.address.line1 = r.S();
    p.address.line2 = r.S();
    p.address.city = r.S();
    p.address.state = r.S();
    p.address.zip = r.S();
    p.cardholders = r.Strings();
  }
  return r.Finish(std::move(m));
}

Result<MemberSummary> DecodeMemberSummary(std::string_view id, std::string_view bytes) {
  Reader r("member", id, bytes);
  const MemberHead head = ReadMemberHead(r);
  MemberSummary s;
  s.membership_id = std::string(id);
  s.row_hash = head.row_hash;
  s.enrolled = head.enrolled != 0;
  s.left_roster = head.flags & kLeftRoster;
  s.forgotten = head.flags & kForgotten;
  return r.Finish(std::move(s), /*whole=*/false);
}

namespace {
enum SearchEntryFlag : std::uint8_t {
  kEntryEnrolled = 1,
  kEntryActive = 2,
  kEntryLeftRoster = 4,
  kEntryForgotten = 8,
  kEntryInstalled = 16,
  kEntryEmailed = 32,
};
}  // namespace

std::string EncodeSearchEntry(const MemberView& m) {
  std::string out;
  Writer w(&out);
  std::uint8_t flags = 0;
  if (m.enrolled()) flags |= kEntryEnrolled;
  if (m.active) flags |= kEntryActive;
  if (m.left_roster) flags |= kEntryLeftRoster;
  if (m.forgotten) flags |= kEntryForgotten;
  if (m.passes_installed > 0) flags |= kEntryInstalled;
  if (m.passes_emailed > 0) flags |= kEntryEmailed;
  w.U(flags);
  w.S(m.level);
  return out;
}

Result<MemberFront> DecodeSearchEntry(std::string_view id, std::string_view bytes) {
  Reader r("member search entry", id, bytes);
  const std::uint64_t flags = r.Flags(63);
  MemberFront f;
  f.enrolled = flags & kEntryEnrolled;
  f.active = flags & kEntryActive;
  f.left_roster = flags & kEntryLeftRoster;
  f.forgotten = flags & kEntryForgotten;
  f.passes_installed = (flags & kEntryInstalled) ? 1 : 0;
  f.passes_emailed = (flags & kEntryEmailed) ? 1 : 0;
  f.level = r.View();
  return r.Finish(f);
}

Result<MemberFront> DecodeMemberFront(std::string_view id, std::string_view bytes) {
  Reader r("member", id, bytes);
  const MemberHead head = ReadMemberHead(r);
  const MemberPassCounts counts = ReadMemberPassCounts(r);
  MemberFront f;
  f.enrolled = head.enrolled != 0;
  f.active = head.flags & kActive;
  f.left_roster = head.flags & kLeftRoster;
  f.forgotten = head.flags & kForgotten;
  f.passes_installed = counts.installed;
  f.passes_emailed = counts.emailed;
  f.level = r.View();
  return r.Finish(f, /*whole=*/false);
}

// pass: flags (voided, forgotten), pass_type_id, membership_id, cardholder_index, cardholder,
// token_generation, void_reason, content_position, last_modified_s, issued_position, e-mail
// (status, position, error, message_id, attempt).
void Encode(const PassView& p, std::string* out) {
  Writer w(out);
  w.U((p.voided ? 1u : 0u) | (p.forgotten ? 2u : 0u));
  w.S(p.pass_type_id);
  w.S(p.membership_id);
  w.I(p.cardholder_index);
  w.S(p.cardholder);
  w.U(p.token_generation);
  w.S(p.void_reason);
  w.U(p.content_position);
  w.I(p.last_modified_s);
  w.U(p.issued_position);
  w.U(static_cast<std::uint64_t>(p.email.status));
  w.U(p.email.position);
  w.S(p.email.error);
  w.S(p.email.message_id);
  w.I(p.email.attempt);
  w.I(p.devices);
}

Result<PassView> DecodePass(std::string_view serial, std::string_view bytes) {
  Reader r("pass", serial, bytes);
  PassView p;
  p.serial = std::string(serial);
  const std::uint64_t flags = r.Flags(3);
  p.voided = flags & 1;
  p.forgotten = flags & 2;
  p.pass_type_id = r.S();
  p.membership_id = r.S();
  p.cardholder_index = r.I();
  p.cardholder = r.S();
  p.token_generation = r.U();
  p.void_reason = r.S();
  p.content_position = r.U();
  p.last_modified_s = r.I();
  p.issued_position = r.U();
  const std::uint64_t status = r.U();
  if (!IsEmailStatus(status)) return BadEmailStatus("pass", serial, status);
  p.email.status = static_cast<EmailStatus>(status);
  p.email.position = r.U();
  p.email.error = r.S();
  p.email.message_id = r.S();
  p.email.attempt = r.I();
  p.devices = r.I();
  return r.Finish(std::move(p));
}

void Encode(const DeviceView& d, std::string* out) {
  Writer w(out);
  w.S(d.push_token);
  w.U(d.updated_position);
  w.I(d.passes);
  w.I(d.registered_at_us);
  w.I(d.changed_at_us);
}

Result<DeviceView> DecodeDevice(std::string_view device_id, std::string_view bytes) {
  Reader r("device", device_id, bytes);
  DeviceView d;
  d.device_id = std::string(device_id);
  d.push_token = r.S();
  d.updated_position = r.U();
  d.passes = r.I();
  d.registered_at_us = r.I();
  d.changed_at_us = r.I();
  return r.Finish(std::move(d));
}

void Encode(const ImportView& j, std::string* out) {
  Writer w(out);
  w.S(j.file_name);
  w.S(j.sha256);
  w.I(j.row_count);
  w.I(j.bytes);
  w.U(static_cast<std::uint64_t>(j.state));
  w.S(j.actor);
  w.I(j.started_at_us);
  w.I(j.finished_at_us);
  w.U(j.started_position);
  w.U(j.finished_position);
  w.U(j.counts.size());
  for (const auto& [name, n] : j.counts) {
    w.S(name);
    w.I(n);
  }
  w.I(j.rejected);
  w.U(j.rejections.size());
  for (const auto& rejection : j.rejections) {
    w.I(rejection.line);
    w.S(rejection.column);
    w.S(rejection.reason);
    w.S(rejection.value);
  }
  w.S(j.reason);
}

Result<ImportView> DecodeImport(std::string_view import_id, std::string_view bytes) {
  Reader r("import", import_id, bytes);
  ImportView j;
  j.import_id = std::string(import_id);
  j.file_name = r.S();
  j.sha256 = r.S();
  j.row_count = r.I();
  j.bytes = r.I();
  const std::uint64_t state = r.U();
  j.state = state == 1   ? ImportState::kCompleted
            : state == 2 ? ImportState::kFailed
                         : ImportState::kRunning;
  j.actor = r.S();
  j.started_at_us = r.I();
  j.finished_at_us = r.I();
  j.started_position = r.U();
  j.finished_position = r.U();
  j.counts.resize(r.Count());
  for (auto& [name, n] : j.counts) {
    name = r.S();
    n = r.I();
  }
  j.rejected = r.I();
  j.rejections.resize(r.Count());
  for (auto& rejection : j.rejections) {
    rejection.line = r.I();
    rejection.column = r.S();
    rejection.reason = r.S();
    rejection.value = r.S();
  }
  j.reason = r.S();
  if (state > 2) {
    return MakeError(ErrorCode::kCorruption, "the import record of " + std::string(import_id) +
                                                 " is damaged (state " + std::to_string(state) +
                                                 ")");
  }
  return r.Finish(std::move(j));
}

void Encode(const StaffView& s, std::string* out) {
  Writer w(out);
  w.U((s.disabled ? 1u : 0u) | (s.forgotten ? 2u : 0u));
  w.S(s.role);
  w.S(s.password_hash);
  w.I(s.failures);
  w.I(s.locked_until_us);
  w.U(s.created_position);
}

Result<StaffView> DecodeStaff(std::string_view username, std::string_view bytes) {
  Reader r("staff", username, bytes);
  StaffView s;
  s.username = std::string(username);
  const std::uint64_t flags = r.Flags(3);
  s.disabled = flags & 1;
  s.forgotten = flags & 2;
  s.role = r.S();
  s.password_hash = r.S();
  s.failures = r.I();
  s.locked_until_us = r.I();
  s.created_position = r.U();
  return r.Finish(std::move(s));
}

void Encode(const TemplateView& t, std::string* out) {
  Writer w(out);
  w.I(t.version);
  w.S(t.content_hash);
  w.U(t.position);
}

Result<TemplateView> DecodeTemplate(std::string_view pass_type_id, std::string_view bytes) {
  Reader r("template", pass_type_id, bytes);
  TemplateView t;
  t.pass_type_id = std::string(pass_type_id);
  t.version = r.I();
  t.content_hash = r.S();
  t.position = r.U();
  return r.Finish(std::move(t));
}

namespace {
// The counters in their record order (one list, so that encoder and decoder cannot disagree).
template <class Counts>
auto CounterFields(Counts& c) {
  return std::array{&c.members,
                    &c.members_active,
                    &c.members_left,
                    &c.members_forgotten,
                    &c.passes,
                    &c.passes_voided,
                    &c.devices,
                    &c.registrations,
                    &c.imports,
                    &c.staff,
                    &c.members_active_on_roster,
                    &c.passes_installed,
                    &c.devices_registered,
                    &c.emails_requested,
                    &c.emails_retrying,
                    &c.emails_sent,
                    &c.emails_failed,
                    &c.activity_newest_s};
}
}  // namespace

void Encode(const CountsView& c, std::string* out) {
  Writer w(out);
  for (const std::int64_t* n : CounterFields(c)) w.I(*n);
}

Result<CountsView> DecodeCounts(std::string_view bytes) {
  Reader r("counts", "the views", bytes);
  CountsView c;
  for (std::int64_t* n : CounterFields(c)) *n = r.I();
  return r.Finish(c);
}

namespace {
template <class Bucket>
auto BucketFields(Bucket& b) {
  return std::array{&b.events, &b.pushes_sent, &b.pushes_failed, &b.emails_sent};
}
}  // namespace

void Encode(const ActivityBucket& b, std::string* out) {
  Writer w(out);
  for (const std::int64_t* n : BucketFields(b)) w.I(*n);
}

Result<ActivityBucket> DecodeActivity(std::string_view key_suffix, std::string_view bytes) {
  if (key_suffix.size() != 8) {
    return MakeError(ErrorCode::kCorruption, "an activity bucket's key is not 8 bytes");
  }
  ActivityBucket b;
  b.start_s = static_cast<std::int64_t>(LoadU64BE(key_suffix.data()));
  const std::string id = std::to_string(b.start_s);
  Reader r("activity", id, bytes);
  for (std::int64_t* n : BucketFields(b)) *n = r.I();
  return r.Finish(b);
}

}  // namespace passledger::projections::codec

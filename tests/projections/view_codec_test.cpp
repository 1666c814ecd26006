// The view record codec (projections/view_codec.h): every record decodes to what was encoded
// and encodes back to the same bytes; every damaged form — cut short at any byte, a byte too
// many, an unknown format, the former JSON format — is kCorruption with a message that names
// the record, never a crash or a half-read record.
#include "projections/view_codec.h"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "projections/member_fields.h"
#include "projections/view_json.h"
#include "tests/testing/event_log_helpers.h"

namespace passledger::projections {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::Succeeded;

MemberView Member() {
  MemberView m;
  m.membership_id = "8-10000001";
  m.level = "Family";
  m.status = "Active";
  m.active = true;
  m.expires = "2038-01-19";
  m.add_ons = {{"Parking", 2}, {"Guest", -1}};
  m.emailable = true;
  m.personal = MemberPersonal{"Ada Núñez",
                              "Ada",
                              "Núñez",
                              "ada@example.org",
                              {"1 Garden Way", "", "Pittsburgh", "PA", "15210"},
                              {"Ada Núñez", "William King"}};
  m.left_policy = "keep";
  m.serials = {"S-A", "S-B"};
  m.enrolled_position = 1;
  m.updated_position = 1ull << 40;
  m.passes_installed = 2;
  m.passes_emailed = 1;
  m.email_status = EmailStatus::kRetrying;
  m.row_hash = MemberRowHash(m);
  return m;
}

PassView Pass() {
  PassView p;
  p.serial = "S-A";
  p.pass_type_id = "pass.org.garden.member";
  p.membership_id = "8-10000001";
  p.cardholder_index = 1;
  p.cardholder = "William King";
  p.token_generation = 3;
  p.voided = true;
  p.void_reason = "lapsed";
  p.content_position = 99;
  p.last_modified_s = 2'147'483'648;  // one second past the 32-bit boundary
  p.issued_position = 7;
  p.email = {EmailStatus::kRetrying, 98, "451 try later", "<m@x>", 2};
  p.forgotten = false;
  p.devices = 3;
  return p;
}

ImportView Import() {
  ImportView j;
  j.import_id = "abc-1";
  j.file_name = "roster.csv";
  j.sha256 = std::string(64, 'a');
  j.row_count = 1000;
  j.bytes = 123456;
  j.state = ImportState::kFailed;
  j.actor = "cli:alice";
  j.started_at_us = 1'764'000'000'000'000;
  j.finished_at_us = 1'764'000'001'000'000;
  j.started_position = 10;
  j.finished_position = 12;
  j.counts = {{"rows", 1000}, {"rejected", 1}};
  j.rejected = 1;
  j.rejections = {{9, "Status", "unknown status", "Maybe"}};
  j.reason = "not CSV";
  return j;
}

// Encode → decode → the same record; decode → encode → the same bytes.
template <class T, class DecodeFn>
void RoundTrips(const T& record, std::string_view id, DecodeFn decode) {
  const std::string bytes = codec::Encoded(record);
  BOOST_TEST(static_cast<std::uint8_t>(bytes[0]) == codec::kRecordFormat);
  auto decoded = decode(id, bytes);
  BOOST_TEST_REQUIRE(Succeeded(decoded));
  BOOST_TEST((*decoded == record));
  BOOST_TEST(codec::Encoded(*decoded) == bytes);
}

// Every proper prefix, and the record with one byte more, is damage.
template <class DecodeFn>
void EveryCutIsDamage(const std::string& bytes, std::string_view id, DecodeFn decode) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto cut = decode(id, std::string_view(bytes).substr(0, n));
    BOOST_TEST(FailedWith(cut, ErrorCode::kCorruption), "cut at " << n);
    if (!cut) BOOST_TEST(cut.error().message.find(std::string(id)) != std::string::npos);
  }
  BOOST_TEST(FailedWith(decode(id, bytes + '\0'), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_SUITE(view_codec)

BOOST_AUTO_TEST_CASE(EveryRecordRoundTrips) {
  RoundTrips(Member(), "8-10000001", codec::DecodeMember);
  MemberView forgotten = Member();
  forgotten.personal.reset();
  forgotten.forgotten = true;
  forgotten.row_hash = MemberRowHash(forgotten);
  RoundTrips(forgotten, "8-10000001", codec::DecodeMember);
  MemberView stub;  // only a pass named it: no hash, no positions
  stub.membership_id = "9";
  RoundTrips(stub, "9", codec::DecodeMember);
  RoundTrips(Pass(), "S-A", codec::DecodePass);
  PassView empty_pass;
  empty_pass.serial = "S-0";
  RoundTrips(empty_pass, "S-0", codec::DecodePass);
  RoundTrips(DeviceView{"device-1", "00ff", 5, 2, 1'764'000'000'000'000, 1'764'000'001'000'000},
             "device-1", codec::DecodeDevice);
  RoundTrips(Import(), "abc-1", codec::DecodeImport);
  RoundTrips(StaffView{"alice", "admin", true, "$argon2id$x", 3, -5, 2, false}, "alice",
             codec::DecodeStaff);
  RoundTrips(TemplateView{"pass.org.garden.member", 4, "ff00", 77}, "pass.org.garden.member",
             codec::DecodeTemplate);
  const CountsView counts{1,   2,  3,  4,  5,  6,  7,  8,  9,
                          -10, 11, 12, 13, 14, 15, 16, 17, 1'764'000'900};
  const std::string bytes = codec::Encoded(counts);
  auto decoded = codec::DecodeCounts(bytes);
  BOOST_TEST_REQUIRE(Succeeded(decoded));
  BOOST_TEST((*decoded == counts));
  const ActivityBucket bucket{1'764'000'900, 40, 7, 1, 3};
  RoundTrips(bucket, passledger::U64BE(1'764'000'900), codec::DecodeActivity);
}

// A search index entry holds the fields the member list filters on, the counts as some/none.
BOOST_AUTO_TEST_CASE(ASearchEntryHoldsTheFilterFields) {
  MemberView m = Member();
  m.left_roster = true;
  m.passes_emailed = 0;
  const std::string entry = codec::EncodeSearchEntry(m);
  auto front = codec::DecodeSearchEntry(m.membership_id, entry);
  BOOST_TEST_REQUIRE(Succeeded(front));
  BOOST_TEST(front->enrolled);
  BOOST_TEST(front->active);
  BOOST_TEST(front->left_roster);
  BOOST_TEST(!front->forgotten);
  BOOST_TEST(front->passes_installed == 1);
  BOOST_TEST(front->passes_emailed == 0);
  BOOST_TEST(front->level == "Family");
  const std::string bytes = codec::Encoded(m);  // `level` points into it
  auto record = codec::DecodeMemberFront(m.membership_id, bytes);
  BOOST_TEST_REQUIRE(Succeeded(record));
  BOOST_TEST(record->passes_installed == 2);
  BOOST_TEST(record->level == "Family");
  EveryCutIsDamage(entry, m.membership_id, codec::DecodeSearchEntry);
}

BOOST_AUTO_TEST_CASE(TheSummaryReadsTheFrontOfAMemberRecord) {
  const MemberView m = Member();
  auto summary = codec::DecodeMemberSummary(m.membership_id, codec::Encoded(m));
  BOOST_TEST_REQUIRE(Succeeded(summary));
  BOOST_TEST(summary->membership_id == m.membership_id);
  BOOST_TEST(summary->row_hash == m.row_hash);
  BOOST_TEST(summary->row_hash.size() == 64u);
  BOOST_TEST(summary->enrolled);
  BOOST_TEST(!summary->left_roster);
  MemberView left = m;
  left.left_roster = true;
  left.forgotten = true;
  summary = codec::DecodeMemberSummary(m.membership_id, codec::Encoded(left));
  BOOST_TEST_REQUIRE(Succeeded(summary));
  BOOST_TEST(summary->left_roster);
  BOOST_TEST(summary->forgotten);
  BOOST_TEST(FailedWith(codec::DecodeMemberSummary("x", "\x02\x01"), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_CASE(EveryCutAndEveryExtraByteIsDamage) {
  EveryCutIsDamage(codec::Encoded(Member()), "8-10000001", codec::DecodeMember);
  EveryCutIsDamage(codec::Encoded(Pass()), "S-A", codec::DecodePass);
  EveryCutIsDamage(codec::Encoded(DeviceView{"d", "00ff", 5}), "d", codec::DecodeDevice);
  EveryCutIsDamage(codec::Encoded(Import()), "abc-1", codec::DecodeImport);
  StaffView staff;
  staff.username = "alice";
  staff.role = "admin";
  EveryCutIsDamage(codec::Encoded(staff), "alice", codec::DecodeStaff);
  EveryCutIsDamage(codec::Encoded(TemplateView{"t", 1, "h", 2}), "t", codec::DecodeTemplate);
  // An activity bucket is named by its start; its key must be the 8 bytes of one.
  const std::string bucket = codec::Encoded(ActivityBucket{900, 5, 1, 0, 2});
  for (std::size_t n = 0; n < bucket.size(); ++n) {
    auto cut = codec::DecodeActivity(passledger::U64BE(900), std::string_view(bucket).substr(0, n));
    BOOST_TEST(FailedWith(cut, ErrorCode::kCorruption), "cut at " << n);
    if (!cut) BOOST_TEST(cut.error().message.find("900") != std::string::npos);
  }
  BOOST_TEST(FailedWith(codec::DecodeActivity("short", bucket), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_CASE(DamagedValuesAreNamed) {
  // A count of items larger than the bytes left: refused before anything is reserved.
  std::string huge(1, static_cast<char>(codec::kRecordFormat));
  huge.append(3, '\0');            // flags, positions
  huge.append(1, '\0');            // no row hash
  huge.append(3, '\0');            // passes installed and e-mailed, e-mail status
  huge.append(3, '\0');            // level, status, expires
  huge += "\xff\xff\xff\xff\x0f";  // 4 billion add-ons
  auto decoded = codec::DecodeMember("m", huge);
  BOOST_TEST_REQUIRE(FailedWith(decoded, ErrorCode::kCorruption));
  BOOST_TEST(decoded.error().message.find("count past the end") != std::string::npos);
  // A flag byte other than 0 or 1, an unknown e-mail status, an unknown format.
  std::string device = codec::Encoded(DeviceView{"d", "00ff", 5});
  device[0] = 9;
  decoded = codec::DecodeMember("m", device);
  BOOST_TEST_REQUIRE(FailedWith(decoded, ErrorCode::kCorruption));
  BOOST_TEST(decoded.error().message.find("unknown record format 9") != std::string::npos);
  PassView pass = Pass();
  std::string bytes = codec::Encoded(pass);
  auto good = codec::DecodePass("S-A", bytes);
  BOOST_TEST(Succeeded(good));  // the control: the same bytes with a valid status decode
  pass.email.status = static_cast<EmailStatus>(7);
  BOOST_TEST(FailedWith(codec::DecodePass("S-A", codec::Encoded(pass)), ErrorCode::kCorruption));
  MemberView member = Member();
  member.email_status = static_cast<EmailStatus>(7);
  BOOST_TEST(FailedWith(codec::DecodeMember("m", codec::Encoded(member)), ErrorCode::kCorruption));
}

BOOST_AUTO_TEST_CASE(TheFormerJsonRecordsAskForARebuild) {
  const std::string json = R"({"membershipId":"1","level":"Family","rowHash":"00"})";
  auto member = codec::DecodeMember("1", json);
  BOOST_TEST_REQUIRE(FailedWith(member, ErrorCode::kCorruption));
  BOOST_TEST(member.error().message.find("view format 1 (JSON)") != std::string::npos);
  BOOST_TEST(member.error().message.find("passledger rebuild") != std::string::npos);
  auto pass = codec::DecodePass("S", R"({"serial":"S"})");
  BOOST_TEST_REQUIRE(FailedWith(pass, ErrorCode::kCorruption));
  BOOST_TEST(pass.error().message.find("view format 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(TheRowHashCoversTheRosterFieldsOnly) {
  const MemberView m = Member();
  MemberView moved = m;
  moved.updated_position += 5;
  moved.serials.push_back("S-C");
  moved.left_roster = true;
  BOOST_TEST(MemberRowHash(moved) == MemberRowHash(m));
  for (int field = 0; field < 6; ++field) {
    MemberView changed = m;
    switch (field) {
      case 0:
        changed.level = "Patron";
        break;
      case 1:
        changed.personal->email = "ada@new.org";
        break;
      case 2:
        changed.personal->address.zip = "15211";
        break;
      case 3:
        changed.add_ons[0].quantity = 3;
        break;
      case 4:
        changed.personal->cardholders.pop_back();
        break;
      case 5:
        changed.personal.reset();
        break;
    }
    BOOST_TEST(MemberRowHash(changed) != MemberRowHash(m), "field " << field);
  }
  // Length prefixes: moving text from one field to the next changes the hash.
  MemberView a = m, b = m;
  a.level = "ab";
  a.status = "c";
  b.level = "a";
  b.status = "bc";
  BOOST_TEST(MemberRowHash(a) != MemberRowHash(b));
}

BOOST_AUTO_TEST_CASE(TheJsonFormsLeaveSecretsOut) {
  const std::string token = "f00dfeedf00dfeed";
  const std::string hash = "$argon2id$v=19$m=65536$secret";
  // The control: the records hold the secrets, and a serialised text would show them.
  const DeviceView device{"device-1", token, 5};
  StaffView staff;
  staff.username = "alice";
  staff.password_hash = hash;
  BOOST_TEST_REQUIRE(codec::Encoded(device).find(token) != std::string::npos);
  BOOST_TEST_REQUIRE(codec::Encoded(staff).find(hash) != std::string::npos);
  const std::string device_json = boost::json::serialize(ToJson(device));
  const std::string staff_json = boost::json::serialize(ToJson(staff));
  BOOST_TEST(device_json.find(token) == std::string::npos);
  BOOST_TEST(staff_json.find(hash) == std::string::npos);
  BOOST_TEST(ToJson(device).at("hasPushToken").as_bool());
  BOOST_TEST(ToJson(staff).at("hasPassword").as_bool());
  BOOST_TEST(!ToJson(DeviceView{"d", "", 1}).at("hasPushToken").as_bool());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::projections

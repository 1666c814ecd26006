// The roster import end to end in process: the sample export becomes the expected events and
// views; re-imports write nothing; changes, lapses and departures become exactly the right
// events; rejected files write nothing at all.
#include "handlers/import/roster_import.h"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"
#include "projections/view_json.h"

namespace passledger::handlers {
namespace {

using boost::json::object;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Sample() {
  return ReadFile(std::string(PASSLEDGER_TEST_DATA_DIR) + "/altru-roster.csv");
}

constexpr std::string_view kHeader =
    "Membership ID,Membership level,Expiration date,Status,Members\\Membership Card\\Name,"
    "Members\\Constituent\\Last/Organization/Group/Household name,Members\\Constituent\\First "
    "name,Members\\Constituent\\Address (Primary)\\Address line 1,Members\\Constituent\\Address "
    "(Primary)\\Address line 2,Members\\Constituent\\Address (Primary)\\City,"
    "Members\\Constituent\\Address (Primary)\\State abbreviation,Members\\Constituent\\Address "
    "(Primary)\\ZIP,Members\\Constituent\\Email Addresses\\Email address,"
    "Members\\Membership\\Add-ons\\Add-on,Members\\Membership\\Add-ons\\Quantity\r\n";

// A roster row in the Altru layout.
std::string Row(std::string_view id, std::string_view card, std::string_view email = "a@b.org",
                std::string_view level = "Individual", std::string_view status = "Active") {
  return std::string(id) + "," + std::string(level) + ",12/31/2027," + std::string(status) + "," +
         std::string(card) + ",Quill,Avery,1 Main St,,Pittsburgh,PA,15210," + std::string(email) +
         ",,\r\n";
}

struct Imported {
  Result<ImportSummary> summary;
  std::uint64_t head_before = 0, head_after = 0;
};

class Fixture {
 public:
  Fixture() : log_(ProjectedLog::Open(dir_.path() / "data")) {}

  Imported Import(std::string_view bytes, ImportConfig config = {}, bool dry_run = false) {
    RosterImporter importer(&log_->log(), &log_->projections(), std::move(config));
    ImportOptions options;
    options.file_name = "roster.csv";
    options.dry_run = dry_run;
    Imported result{ImportSummary{}, log_->log().GetHead().position, 0};
    result.summary = importer.Run(MemorySource(bytes), options);
    result.head_after = log_->log().GetHead().position;
    return result;
  }

  // Event types written after `from`, counted.
  std::map<std::string, int> TypesSince(std::uint64_t from) const {
    std::map<std::string, int> types;
    auto events = log_->log().ReadRange(from + 1, 1'000'000);
    BOOST_TEST_REQUIRE(Succeeded(events));
    for (const auto& e : *events) ++types[e.envelope.type];
    return types;
  }

  object Member(std::string_view id) const {
    auto member = log_->read().Member(id);
    BOOST_TEST_REQUIRE(Succeeded(member));
    BOOST_TEST_REQUIRE(member->has_value(), "no member " << id);
    return projections::ToJson(**member);
  }

  // As users see them (projections/view_json.h).
  std::vector<object> Passes(std::string_view id) const {
    auto passes = log_->read().PassesOfMember(id);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    std::vector<object> out;
    for (const auto& pass : *passes) out.push_back(projections::ToJson(pass));
    return out;
  }

  ProjectedLog& log() { return *log_; }

 private:
  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
};

std::string Json(const boost::json::value& v) { return boost::json::serialize(v); }
std::string Str(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
const object& Personal(const object& member) { return member.at("personal").as_object(); }

BOOST_AUTO_TEST_SUITE(roster_import)

BOOST_AUTO_TEST_CASE(sample_roster_becomes_the_expected_members_and_passes) {
  Fixture f;
  auto imported = f.Import(Sample());
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  const ImportCounts& c = imported.summary->counts;
  BOOST_TEST(c.rows == 8u);
  BOOST_TEST(c.memberships == 6u);
  BOOST_TEST(c.enrolled == 6u);
  BOOST_TEST(c.passes_issued == 7u);
  BOOST_TEST(c.passes_voided == 1u);
  BOOST_TEST(c.not_emailable == 1u);
  BOOST_TEST(c.rejected_rows == 0u);

  const auto types = f.TypesSince(imported.head_before);
  BOOST_TEST(types.at("ImportStarted") == 1);
  BOOST_TEST(types.at("MemberEnrolled") == 6);
  BOOST_TEST(types.at("PassIssued") == 7);
  BOOST_TEST(types.at("PassVoided") == 1);
  BOOST_TEST(types.at("ImportCompleted") == 1);
  BOOST_TEST(types.size() == 5u);

  // The family: two cardholders, two passes.
  const auto family = f.Passes("8-10000001");
  BOOST_TEST_REQUIRE(family.size() == 2u);
  BOOST_TEST(Str(family[0], "cardholder") == "Avery Quill");
  BOOST_TEST(Str(family[1], "cardholder") == "Jordan Quill");
  BOOST_TEST(Json(Personal(f.Member("8-10000001")).at("address").at("zip")) == "\"15210\"");
  // Add-ons collected; ZIP with a leading zero; a quoted comma; a two-digit year.
  const object reyes = f.Member("8-10000002");
  BOOST_TEST(Json(reyes.at("addOns")) ==
             R"([{"name":"Guest Pass","quantity":2},{"name":"Parking","quantity":1}])");
  BOOST_TEST(Json(Personal(reyes).at("address").at("zip")) == "\"01520\"");
  BOOST_TEST(Str(Personal(reyes).at("address").as_object(), "line2") == "Apt 3, Rear");
  BOOST_TEST(Str(reyes, "expires") == "2027-08-31");
  // The lapsed member: enrolled, its pass voided.
  const object lapsed = f.Member("8-10000003");
  BOOST_TEST(!lapsed.at("active").as_bool());
  const auto lapsed_passes = f.Passes("8-10000003");
  BOOST_TEST_REQUIRE(lapsed_passes.size() == 1u);
  BOOST_TEST(lapsed_passes[0].at("voided").as_bool());
  // The organisation: ISO date, quantity 10 stays 10.
  const object org = f.Member("8-10000004");
  BOOST_TEST(Str(org, "expires") == "2027-03-31");
  BOOST_TEST(Json(org.at("addOns")).find("\"quantity\":10") != std::string::npos);
  BOOST_TEST(!Personal(org).contains("firstName"));
  // Non-ASCII and a doubled quote survive.
  BOOST_TEST(Str(Personal(f.Member("8-10000005")), "name").find("Núñez") != std::string::npos);
  // No e-mail: enrolled, pass issued, flagged as not e-mailable.
  const object no_mail = f.Member("8-10000006");
  BOOST_TEST(!no_mail.at("emailable").as_bool());
  BOOST_TEST(f.Passes("8-10000006").size() == 1u);
  BOOST_TEST(f.Member("8-10000001").at("emailable").as_bool());
}

BOOST_AUTO_TEST_CASE(the_same_rows_again_write_no_member_or_pass_events) {
  Fixture f;
  const std::string sample = Sample();
  BOOST_TEST_REQUIRE(Succeeded(f.Import(sample).summary));
  auto again = f.Import(sample);
  BOOST_TEST_REQUIRE(Succeeded(again.summary));
  BOOST_TEST(again.summary->counts.unchanged == 6u);
  auto types = f.TypesSince(again.head_before);
  BOOST_TEST(types.size() == 2u);  // ImportStarted and ImportCompleted of the new job
  BOOST_TEST(types["ImportStarted"] == 1);
  BOOST_TEST(types["ImportCompleted"] == 1);
  BOOST_TEST(again.summary->import_id != "");

  // The same rows in another order (header first, data rows reversed).
  std::vector<std::string> lines;
  std::string body = sample;
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find("\r\n", start);
    if (end == std::string::npos) end = body.size();
    lines.push_back(body.substr(start, end - start));
    start = end + 2;
  }
  std::string reordered = lines[0] + "\r\n";
  for (std::size_t i = lines.size() - 1; i >= 1; --i) reordered += lines[i] + "\r\n";
  auto third = f.Import(reordered);
  BOOST_TEST_REQUIRE(Succeeded(third.summary));
  BOOST_TEST(third.summary->counts.unchanged == 6u);
  types = f.TypesSince(third.head_before);
  BOOST_TEST(types.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_changed_email_is_one_member_changed_and_one_pass_revision) {
  Fixture f;
  const std::string first = std::string(kHeader) + Row("1", "Avery Quill") + Row("2", "Jo Lee");
  BOOST_TEST_REQUIRE(Succeeded(f.Import(first).summary));
  const std::string changed =
      std::string(kHeader) + Row("1", "Avery Quill", "new@b.org") + Row("2", "Jo Lee");
  auto imported = f.Import(changed);
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  BOOST_TEST(imported.summary->counts.changed == 1u);
  BOOST_TEST(imported.summary->counts.unchanged == 1u);
  auto types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["MemberChanged"] == 1);
  // The back of the card shows the e-mail: the member's one pass is revised, the other
  // member's is not.
  BOOST_TEST(types["PassRevised"] == 1);
  BOOST_TEST(types.size() == 4u);
  const auto passes = f.Passes("1");
  BOOST_TEST_REQUIRE(passes.size() == 1u);
  BOOST_TEST(passes[0].at("contentPosition").to_number<std::uint64_t>() > imported.head_before);
  BOOST_TEST(Str(Personal(f.Member("1")), "email") == "new@b.org");

  // A level change is on the card: one MemberChanged and a PassRevised for its pass.
  const std::string upgraded =
      std::string(kHeader) + Row("1", "Avery Quill", "new@b.org", "Patron") + Row("2", "Jo Lee");
  imported = f.Import(upgraded);
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["MemberChanged"] == 1);
  BOOST_TEST(types["PassRevised"] == 1);
}

BOOST_AUTO_TEST_CASE(cardholders_added_and_removed_issue_and_void_passes) {
  Fixture f;
  BOOST_TEST_REQUIRE(Succeeded(
      f.Import(std::string(kHeader) + Row("1", "Avery Quill") + Row("1", "Jordan Quill")).summary));
  auto imported = f.Import(std::string(kHeader) + Row("1", "Avery Quill") + Row("1", "Sam Quill"));
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  auto types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["PassIssued"] == 1);
  BOOST_TEST(types["PassVoided"] == 1);
  const auto passes = f.Passes("1");
  BOOST_TEST_REQUIRE(passes.size() == 3u);
  BOOST_TEST(passes[2].at("cardholderIndex").as_int64() == 2);
  // Jordan comes back: the same pass is unvoided, no new one.
  imported = f.Import(std::string(kHeader) + Row("1", "Avery Quill") + Row("1", "Sam Quill") +
                      Row("1", "Jordan Quill"));
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["PassUnvoided"] == 1);
  BOOST_TEST(types.count("PassIssued") == 0u);
}

BOOST_AUTO_TEST_CASE(lapse_and_reinstatement_void_and_unvoid) {
  Fixture f;
  BOOST_TEST_REQUIRE(Succeeded(f.Import(std::string(kHeader) + Row("1", "Avery Quill")).summary));
  auto imported =
      f.Import(std::string(kHeader) + Row("1", "Avery Quill", "a@b.org", "Individual", "Lapsed"));
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  BOOST_TEST(imported.summary->counts.lapsed == 1u);
  auto types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["MemberLapsed"] == 1);
  BOOST_TEST(types["PassVoided"] == 1);
  BOOST_TEST(f.Passes("1")[0].at("voided").as_bool());
  imported = f.Import(std::string(kHeader) + Row("1", "Avery Quill"));
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  BOOST_TEST(imported.summary->counts.reinstated == 1u);
  types = f.TypesSince(imported.head_before);
  BOOST_TEST(types["MemberReinstated"] == 1);
  BOOST_TEST(types["PassUnvoided"] == 1);
  BOOST_TEST(!f.Passes("1")[0].at("voided").as_bool());
}

BOOST_AUTO_TEST_CASE(a_removed_membership_leaves_under_both_policies) {
  for (LeftPolicy policy : {LeftPolicy::kKeep, LeftPolicy::kVoid}) {
    BOOST_TEST_CONTEXT((policy == LeftPolicy::kKeep ? "keep" : "void")) {
      Fixture f;
      ImportConfig config;
      config.left_policy = policy;
      BOOST_TEST_REQUIRE(Succeeded(
          f.Import(std::string(kHeader) + Row("1", "Avery Quill") + Row("2", "Jo Lee"), config)
              .summary));
      auto imported = f.Import(std::string(kHeader) + Row("1", "Avery Quill"), config);
      BOOST_TEST_REQUIRE(Succeeded(imported.summary));
      BOOST_TEST(imported.summary->counts.left == 1u);
      auto types = f.TypesSince(imported.head_before);
      BOOST_TEST(types["MemberLeftRoster"] == 1);
      BOOST_TEST(types["PassVoided"] == (policy == LeftPolicy::kVoid ? 1 : 0));
      BOOST_TEST(f.Member("2").at("leftRoster").as_bool());
      BOOST_TEST(f.Passes("2")[0].at("voided").as_bool() == (policy == LeftPolicy::kVoid));
      // Absent again: nothing more. Back: on the roster again, passes back.
      imported = f.Import(std::string(kHeader) + Row("1", "Avery Quill"), config);
      BOOST_TEST(f.TypesSince(imported.head_before).size() == 2u);
      imported =
          f.Import(std::string(kHeader) + Row("1", "Avery Quill") + Row("2", "Jo Lee"), config);
      BOOST_TEST_REQUIRE(Succeeded(imported.summary));
      BOOST_TEST(!f.Member("2").at("leftRoster").as_bool());
      BOOST_TEST(!f.Passes("2")[0].at("voided").as_bool());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_rejected_row_never_removes_or_voids_anything) {
  Fixture f;
  BOOST_TEST_REQUIRE(Succeeded(f.Import(std::string(kHeader) + Row("1", "Avery Quill") +
                                        Row("1", "Jordan Quill") + Row("2", "Jo Lee"))
                                   .summary));
  // Membership 1's second row now has a bad date, membership 2 a row with no id.
  std::string bad_date = Row("1", "Jordan Quill");
  bad_date.replace(bad_date.find("12/31/2027"), 10, "13/45/2027");
  auto imported =
      f.Import(std::string(kHeader) + Row("1", "Avery Quill") + bad_date + Row("", "Jo Lee"));
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  BOOST_TEST(imported.summary->counts.rejected_rows == 2u);
  BOOST_TEST(imported.summary->counts.rejected_memberships == 1u);
  BOOST_TEST(!imported.summary->left_skipped.empty());
  const auto types = f.TypesSince(imported.head_before);
  BOOST_TEST(types.at("ImportRowRejected") == 2);
  BOOST_TEST(types.count("PassVoided") == 0u);
  BOOST_TEST(types.count("MemberLeftRoster") == 0u);
  BOOST_TEST(imported.summary->rejected[0].line == 3u);
  BOOST_TEST(imported.summary->rejected[0].value == "13/45/2027");  // not personal: shown
  BOOST_TEST(imported.summary->rejected[1].value.empty());          // the id column: empty value
}

BOOST_AUTO_TEST_CASE(a_dry_run_reports_and_writes_nothing) {
  Fixture f;
  auto imported = f.Import(Sample(), {}, /*dry_run=*/true);
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  BOOST_TEST(imported.summary->counts.enrolled == 6u);
  BOOST_TEST(imported.summary->changes.size() == 6u);
  BOOST_TEST(imported.head_after == imported.head_before);
}

BOOST_AUTO_TEST_CASE(rejected_files_write_nothing) {
  std::string binary(4096, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  std::string wide(kHeader.substr(0, kHeader.size() - 2));
  for (int i = 0; i < 10'000; ++i) wide += ",x";
  wide += "\r\n";
  const std::string long_line = std::string(kHeader) + std::string(50 << 20, 'a');
  std::string missing_status(kHeader);
  missing_status.replace(missing_status.find(",Status,"), 8, ",State,");
  std::string bad_utf8 = std::string(kHeader) + Row("1", "Avery \xC3\x28 Quill");
  const std::pair<std::string, std::string> files[] = {
      {"binary data", binary},
      {"an HTML page",
       "<!DOCTYPE html>\n<html><head><title>Login</title></head>\n<body>x</body>"
       "</html>\n"},
      {"an empty file", ""},
      {"a header only", std::string(kHeader)},
      {"a missing required column", missing_status + Row("1", "Avery Quill")},
      {"an unbalanced quote at the end",
       std::string(kHeader) + Row("1", "Avery Quill") + "2,Individual,\"12/31/2027,Active"},
      {"a 10,000-column row", wide},
      {"a 50 MB single line", long_line},
      {"invalid UTF-8", bad_utf8},
  };
  Fixture f;
  for (const auto& [what, bytes] : files) {
    BOOST_TEST_CONTEXT(what) {
      auto imported = f.Import(bytes);
      BOOST_TEST(!imported.summary.has_value());
      if (!imported.summary) {
        const auto code = imported.summary.error().code;
        BOOST_TEST((code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge));
        BOOST_TEST_MESSAGE(what << ": " << imported.summary.error().message);
      }
      BOOST_TEST(imported.head_after == imported.head_before);
    }
  }
  auto missing = f.Import(missing_status + Row("1", "Avery Quill"));
  BOOST_TEST_REQUIRE(!missing.summary.has_value());
  BOOST_TEST(missing.summary.error().message.find("\"Status\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(columns_are_found_by_name_in_any_order_and_mapped_for_other_crms) {
  Fixture f;
  ImportConfig config;
  config.headers[static_cast<std::size_t>(RosterColumn::kMembershipId)] = "Member No";
  config.headers[static_cast<std::size_t>(RosterColumn::kStatus)] = "State";
  config.headers[static_cast<std::size_t>(RosterColumn::kExpires)] = "Valid Until";
  config.headers[static_cast<std::size_t>(RosterColumn::kCardName)] = "Card";
  config.headers[static_cast<std::size_t>(RosterColumn::kLevel)] = "Tier";
  const std::string file =
      "Card,State,Valid Until,Member No,Tier\n"
      "Avery Quill,active,2027-12-31,00042,Gold\n";
  config.active_statuses = {"ACTIVE"};
  auto imported = f.Import(file, config);
  BOOST_TEST_REQUIRE(Succeeded(imported.summary));
  const object member = f.Member("00042");  // leading zeros kept
  BOOST_TEST(Str(member, "level") == "Gold");
  BOOST_TEST(member.at("active").as_bool());
  BOOST_TEST(f.Passes("00042").size() == 1u);
}

BOOST_AUTO_TEST_CASE(dates_and_email_addresses) {
  BOOST_TEST(ParseRosterDate("12/31/2027").value_or("") == "2027-12-31");
  BOOST_TEST(ParseRosterDate("8/31/27").value_or("") == "2027-08-31");
  BOOST_TEST(ParseRosterDate("2024-02-29").value_or("") == "2024-02-29");
  BOOST_TEST(!ParseRosterDate("2023-02-29"));
  BOOST_TEST(!ParseRosterDate("13/45/2027"));
  BOOST_TEST(!ParseRosterDate("soon"));
  BOOST_TEST(!ParseRosterDate("12/31/202"));
  BOOST_TEST(!ParseRosterDate(""));
  BOOST_TEST(IsEmailAddress("m.reyes@example.net"));
  BOOST_TEST(!IsEmailAddress("no-at-sign"));
  BOOST_TEST(!IsEmailAddress("a@b"));
  BOOST_TEST(!IsEmailAddress("a b@c.org"));
  BOOST_TEST(!IsEmailAddress("a@@c.org"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// RosterReader without an event log: columns found by name, file errors, values normalised
// (dates, status, e-mail, add-on quantities), rows grouped into memberships, rejected rows with
// their line, column, reason and (non-personal) value, and that cutting the file anywhere
// gives the same roster. Each table row is a file and the roster it must read as.
#include "handlers/import/roster_reader.h"

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "handlers/import/roster_config.h"
#include "tests/testing/event_log_helpers.h"

namespace passledger::handlers {
namespace {

using passledger::testing::Succeeded;
using Column = RosterColumn;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string SampleRoster() { return ReadFile(PASSLEDGER_TEST_DATA_DIR "/altru-roster.csv"); }

std::string HeaderOf(Column column) { return std::string(InfoOf(column).altru_header); }

// A header line of the Altru names of `columns`, in that order.
std::string Header(std::initializer_list<Column> columns) {
  std::string line;
  for (Column c : columns) line += (line.empty() ? "" : ",") + HeaderOf(c);
  return line + "\r\n";
}

// The columns most cases use: id, level, expires, status, card name, last name, first name,
// e-mail, add-on, quantity.
const std::string kHeader =
    Header({Column::kMembershipId, Column::kLevel, Column::kExpires, Column::kStatus,
            Column::kCardName, Column::kLastName, Column::kFirstName, Column::kEmail,
            Column::kAddOn, Column::kAddOnQuantity});

struct Read {
  std::optional<Roster> roster;
  std::optional<Error> error;  // from Feed or Finish
};

// Feeds `csv` cut at the offsets in `cuts` (ascending), then finishes.
Read ReadRoster(std::string_view csv, const ImportConfig& config = {},
                const std::vector<std::size_t>& cuts = {}) {
  RosterReader reader(config);
  Read read;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(csv.size());
  for (std::size_t to : ends) {
    if (auto fed = reader.Feed(csv.substr(from, to - from)); !fed) {
      read.error = fed.error();
      return read;
    }
    from = to;
  }
  auto finished = reader.Finish();
  if (finished) {
    read.roster = std::move(*finished);
  } else {
    read.error = finished.error();
  }
  return read;
}

struct ExpectedMembership {
  std::string id, level, status;
  bool active = false;
  std::string expires, name, email;
  bool emailable = false;
  std::vector<std::string> cardholders;
  std::vector<AddOn> add_ons;
};

struct ExpectedRejection {
  std::uint64_t line = 0;
  std::string column;  // header name
  std::string reason;  // a substring of the reason
  std::string value;   // exactly: empty for personal columns
};

// "8-1|Family|Active|active|2027-12-31|Avery Quill|a@b.org|emailable|[Avery Quill,Jo]|[Parking×1]"
template <class M>
std::string Show(const M& m) {
  std::string out = m.id + "|" + m.level + "|" + m.status + "|" +
                    (m.active ? "active" : "inactive") + "|" + m.expires + "|" + m.name + "|" +
                    m.email + "|" + (m.emailable ? "emailable" : "not emailable") + "|[";
  for (std::size_t i = 0; i < m.cardholders.size(); ++i) {
    out += (i ? "," : "") + m.cardholders[i];
  }
  out += "]|[";
  for (std::size_t i = 0; i < m.add_ons.size(); ++i) {
    out += (i ? "," : "") + m.add_ons[i].name + "\u00d7" + std::to_string(m.add_ons[i].quantity);
  }
  return out + "]";
}

template <class M>
std::vector<std::string> Show(const std::vector<M>& memberships) {
  std::vector<std::string> out;
  for (const M& m : memberships) out.push_back(Show(m));
  return out;
}

struct ReaderCase {
  std::string name = {};
  std::string csv = {};
  std::vector<ExpectedMembership> memberships = {};
  std::vector<ExpectedRejection> rejections = {};  // in line order
  std::vector<std::string> rejected_ids = {};
  std::uint64_t rows = 0;  // data rows read
  std::uint64_t rows_without_id = 0;
  std::vector<std::string> active_statuses = {"Active"};
};

void Check(const ReaderCase& c) {
  ImportConfig config;
  config.active_statuses = c.active_statuses;
  const Read read = ReadRoster(c.csv, config);
  BOOST_TEST_REQUIRE(!read.error.has_value(),
                     "file rejected: " << (read.error ? read.error->ToString() : ""));
  const Roster& roster = *read.roster;
  BOOST_TEST(Show(roster.memberships) == Show(c.memberships), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(roster.rejected.size() == c.rejections.size());
  for (std::size_t i = 0; i < c.rejections.size(); ++i) {
    const RejectedRow& got = roster.rejected[i];
    const ExpectedRejection& want = c.rejections[i];
    BOOST_TEST_CONTEXT("rejection " << i << ": " << got.reason) {
      BOOST_TEST(got.line == want.line);
      BOOST_TEST(got.column == want.column);
      BOOST_TEST(got.reason.find(want.reason) != std::string::npos);
      BOOST_TEST(got.value == want.value);
    }
  }
  BOOST_TEST(roster.rejected_ids == c.rejected_ids, boost::test_tools::per_element());
  BOOST_TEST(roster.rows == c.rows);
  BOOST_TEST(roster.rows_without_id == c.rows_without_id);
}

void CheckAll(const std::vector<ReaderCase>& cases) {
  for (const ReaderCase& c : cases) {
    BOOST_TEST_CONTEXT(c.name) { Check(c); }
  }
}

// A row under kHeader.
std::string Row(std::string_view id, std::string_view level, std::string_view expires,
                std::string_view status, std::string_view card, std::string_view last,
                std::string_view first, std::string_view email, std::string_view add_on = "",
                std::string_view quantity = "") {
  std::string row(id);
  for (std::string_view field :
       {level, expires, status, card, last, first, email, add_on, quantity}) {
    row += "," + std::string(field);
  }
  return row + "\r\n";
}

// A plain active member of one cardholder with `expires` and `status`.
std::string Member(std::string_view id, std::string_view expires = "12/31/2027",
                   std::string_view status = "Active", std::string_view email = "a@b.org") {
  return Row(id, "Individual", expires, status, "Avery Quill", "Quill", "Avery", email);
}

ExpectedMembership Avery(std::string id, std::string expires = "2027-12-31",
                         std::string status = "Active", bool active = true,
                         std::string email = "a@b.org", bool emailable = true) {
  return {std::move(id), "Individual",     std::move(status), active,          std::move(expires),
          "Avery Quill", std::move(email), emailable,         {"Avery Quill"}, {}};
}

BOOST_AUTO_TEST_SUITE(roster_reader)

BOOST_AUTO_TEST_CASE(the_sample_export_reads_as_six_memberships) {
  CheckAll({{
      .name = "tests/data/altru-roster.csv",
      .csv = SampleRoster(),
      .memberships = {{"8-10000001",
                       "Family",
                       "Active",
                       true,
                       "2027-12-31",
                       "Avery Quill",
                       "avery.quill@example.org",
                       true,
                       {"Avery Quill", "Jordan Quill"},
                       {}},
                      {"8-10000002",
                       "Individual",
                       "Active",
                       true,
                       "2027-08-31",
                       "Morgan Reyes",
                       "m.reyes@example.net",
                       true,
                       {"Morgan Reyes"},
                       {{"Guest Pass", 2}, {"Parking", 1}}},
                      {"8-10000003",
                       "Student",
                       "Lapsed",
                       false,
                       "2026-05-31",
                       "Sam Okafor",
                       "sam.okafor@example.edu",
                       true,
                       {"Sam Okafor"},
                       {}},
                      {"8-10000004",
                       "Corporate",
                       "Active",
                       true,
                       "2027-03-31",
                       "Greenhouse Partners LLC",
                       "members@greenhouse-partners.example",
                       true,
                       {"Greenhouse Partners LLC"},
                       {{"Guest Pass", 10}}},
                      {"8-10000005",
                       "Dual",
                       "Active",
                       true,
                       "2028-01-15",
                       "Jos\u00e9 N\u00fa\u00f1ez",
                       "jose.nunez@example.com",
                       true,
                       {"Jos\u00e9 N\u00fa\u00f1ez"},
                       {}},
                      {"8-10000006",
                       "Individual",
                       "Active",
                       true,
                       "2027-11-30",
                       "Priya Lindqvist",
                       "",
                       false,
                       {"Priya Lindqvist"},
                       {}}},
      .rows = 8,  // the two trailing rows of empty fields are not rows
  }});
  // The fields the table leaves out: the address as exported (leading zero, quoted comma).
  const Read read = ReadRoster(SampleRoster());
  BOOST_TEST_REQUIRE(read.roster.has_value());
  const Membership& reyes = read.roster->memberships.at(1);
  BOOST_TEST(reyes.address.line2 == "Apt 3, Rear");
  BOOST_TEST(reyes.address.zip == "01520");
  BOOST_TEST(reyes.first_name == "Morgan");
  BOOST_TEST(reyes.last_name == "Reyes");
  BOOST_TEST(reyes.first_line == 4u);
  BOOST_TEST(read.roster->memberships.at(3).first_name == "");
  BOOST_TEST(read.roster->memberships.at(4).address.line1 == "9 \"Willow\" Court");
}

BOOST_AUTO_TEST_CASE(columns_are_found_by_name_in_any_order) {
  CheckAll({
      {
          .name = "reordered, other case, surrounding spaces, extra columns",
          .csv = " status ,Notes,MEMBERSHIP ID,members\\membership card\\name,Expiration Date \r\n"
                 "Active,ignored,42,Avery Quill,2027-12-31\r\n",
          .memberships =
              {{"42", "", "Active", true, "2027-12-31", "", "", false, {"Avery Quill"}, {}}},
          .rows = 1,
      },
      {
          .name = "the last-name column alone names the member",
          .csv = Header({Column::kExpires, Column::kLastName, Column::kStatus,
                         Column::kMembershipId}) +
                 "1/15/2028,Greenhouse Partners LLC,Active,7\r\n",
          .memberships = {{"7",
                           "",
                           "Active",
                           true,
                           "2028-01-15",
                           "Greenhouse Partners LLC",
                           "",
                           false,
                           {"Greenhouse Partners LLC"},
                           {}}},
          .rows = 1,
      },
      {
          .name = "first and last name make the name and the cardholder",
          .csv = Header({Column::kFirstName, Column::kMembershipId, Column::kLastName,
                         Column::kStatus, Column::kExpires}) +
                 "Sam,9,Okafor,Lapsed,\r\n",
          .memberships =
              {{"9", "", "Lapsed", false, "", "Sam Okafor", "", false, {"Sam Okafor"}, {}}},
          .rows = 1,
      },
  });
}

struct FileErrorCase {
  std::string name;
  std::string csv;
  std::string message;  // a substring of the error's message
};

BOOST_AUTO_TEST_CASE(a_missing_required_column_or_no_data_rejects_the_file) {
  const std::string row = "1,Active,12/31/2027,Avery Quill\r\n";
  const std::vector<FileErrorCase> cases = {
      {"no Membership ID",
       Header({Column::kLevel, Column::kStatus, Column::kExpires, Column::kCardName}) + row,
       "line 1: required column \"Membership ID\" is missing from the header "
       "(import.columns.membership_id)"},
      {"no Status",
       Header({Column::kMembershipId, Column::kLevel, Column::kExpires, Column::kCardName}) + row,
       "required column \"Status\" is missing"},
      {"no Expiration date",
       Header({Column::kMembershipId, Column::kStatus, Column::kLevel, Column::kCardName}) + row,
       "required column \"Expiration date\" is missing"},
      {"no name column at all",
       Header({Column::kMembershipId, Column::kStatus, Column::kExpires, Column::kEmail}) + row,
       "required column \"" + HeaderOf(Column::kLastName) + "\" is missing"},
      {"a header that only resembles one", "Membership IDs,Status,Expiration date,Card\r\n" + row,
       "required column \"Membership ID\""},
      {"an empty file", "", "the file is empty"},
      {"rows of empty fields only", ",,\r\n,,\r\n", "the file has no header row"},
      {"a header only", kHeader, "the file has a header but no data rows"},
      {"a header and empty rows", kHeader + ",,,,,,,,,\r\n", "the file has a header but no data"},
  };
  for (const FileErrorCase& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const Read read = ReadRoster(c.csv);
      BOOST_TEST_REQUIRE(read.error.has_value());
      BOOST_TEST(ErrorCodeName(read.error->code) == ErrorCodeName(ErrorCode::kInvalidArgument));
      BOOST_TEST(read.error->message.find(c.message) != std::string::npos,
                 read.error->message << " should contain " << c.message);
    }
  }
  // CSV and size errors come through Feed/Finish as they are.
  ImportConfig small;
  small.max_file_bytes = 10;
  const Read too_large = ReadRoster(kHeader, small);
  BOOST_TEST_REQUIRE(too_large.error.has_value());
  BOOST_TEST(ErrorCodeName(too_large.error->code) == ErrorCodeName(ErrorCode::kTooLarge));
  BOOST_TEST(too_large.error->message.find("import.max_file_bytes") != std::string::npos);
  const Read unclosed = ReadRoster(kHeader + "1,\"Individual");
  BOOST_TEST_REQUIRE(unclosed.error.has_value());
  BOOST_TEST(unclosed.error->message.find("line 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(dates_are_normalised_to_iso_and_bad_ones_rejected) {
  const std::string expires = HeaderOf(Column::kExpires);
  const std::string reason = "not a date";
  CheckAll({
      {
          .name = "M/D/YYYY, MM/DD/YYYY, M/D/YY, YYYY-MM-DD and empty",
          .csv = kHeader + Member("01", "12/31/2027") + Member("02", "1/5/2027") +
                 Member("03", "01/05/2027") + Member("04", "8/31/27") + Member("05", "1/1/00") +
                 Member("06", "2027-03-31") + Member("07", "2/29/2024") +
                 Member("08", "2000-02-29") + Member("09", "") + Member("10", " 6/30/2026 "),
          .memberships = {Avery("01", "2027-12-31"), Avery("02", "2027-01-05"),
                          Avery("03", "2027-01-05"), Avery("04", "2027-08-31"),
                          Avery("05", "2000-01-01"), Avery("06", "2027-03-31"),
                          Avery("07", "2024-02-29"), Avery("08", "2000-02-29"), Avery("09", ""),
                          Avery("10", "2026-06-30")},
          .rows = 10,
      },
      {
          .name = "impossible dates and other formats",
          .csv = kHeader + Member("1", "13/45/2027") + Member("2", "2023-02-29") +
                 Member("3", "2/29/2100") + Member("4", "2027-3-31") + Member("5", "31.12.2027") +
                 Member("6", "12/31/202") + Member("7", "soon") + Member("8", "1/1/1899") +
                 Member("9", "4/31/2027") + Member("10", "12/31/2027 10:00") +
                 Member("11", "0/10/2027") + Member("12", "2027/12/31") +
                 Member("13", "12-31-2027"),
          .memberships = {},
          .rejections = {{2, expires, reason, "13/45/2027"},
                         {3, expires, reason, "2023-02-29"},
                         {4, expires, reason, "2/29/2100"},
                         {5, expires, reason, "2027-3-31"},
                         {6, expires, reason, "31.12.2027"},
                         {7, expires, reason, "12/31/202"},
                         {8, expires, reason, "soon"},
                         {9, expires, reason, "1/1/1899"},
                         {10, expires, reason, "4/31/2027"},
                         {11, expires, reason, "12/31/2027 10:00"},
                         {12, expires, reason, "0/10/2027"},
                         {13, expires, reason, "2027/12/31"},
                         {14, expires, reason, "12-31-2027"}},
          .rejected_ids = {"1", "10", "11", "12", "13", "2", "3", "4", "5", "6", "7", "8", "9"},
          .rows = 13,
      },
  });
}

BOOST_AUTO_TEST_CASE(status_words_map_to_active_or_inactive) {
  CheckAll({
      {
          .name = "the default: Active, ignoring case; the word kept as exported",
          .csv = kHeader + Member("1", "12/31/2027", "Active") +
                 Member("2", "12/31/2027", "ACTIVE") + Member("3", "12/31/2027", " active ") +
                 Member("4", "12/31/2027", "Lapsed") + Member("5", "12/31/2027", "Inactive") +
                 Member("6", "12/31/2027", "Actives") + Member("7", "12/31/2027", "Grace"),
          .memberships = {Avery("1", "2027-12-31", "Active", true),
                          Avery("2", "2027-12-31", "ACTIVE", true),
                          Avery("3", "2027-12-31", "active", true),
                          Avery("4", "2027-12-31", "Lapsed", false),
                          Avery("5", "2027-12-31", "Inactive", false),
                          Avery("6", "2027-12-31", "Actives", false),
                          Avery("7", "2027-12-31", "Grace", false)},
          .rows = 7,
      },
      {
          .name = "configured active words",
          .csv = kHeader + Member("1", "12/31/2027", "Active") +
                 Member("2", "12/31/2027", "grace") + Member("3", "12/31/2027", "Lapsed"),
          .memberships = {Avery("1", "2027-12-31", "Active", false),
                          Avery("2", "2027-12-31", "grace", true),
                          Avery("3", "2027-12-31", "Lapsed", false)},
          .rows = 3,
          .active_statuses = {"Grace", "Current"},
      },
      {
          .name = "no status rejects the row",
          .csv = kHeader + Member("1", "12/31/2027", "") + Member("2"),
          .memberships = {Avery("2")},
          .rejections = {{2, HeaderOf(Column::kStatus), "no status", ""}},
          .rejected_ids = {"1"},
          .rows = 2,
      },
  });
}

BOOST_AUTO_TEST_CASE(email_syntax_decides_emailable_and_never_rejects) {
  const auto mail = [](std::string id, std::string email, bool emailable) {
    return Avery(std::move(id), "2027-12-31", "Active", true, std::move(email), emailable);
  };
  CheckAll({{
      .name = "plausible and implausible addresses",
      .csv = kHeader + Member("01", "12/31/2027", "Active", "m.reyes@example.net") +
             Member("02", "12/31/2027", "Active", "members@greenhouse-partners.example") +
             Member("03", "12/31/2027", "Active", "") +
             Member("04", "12/31/2027", "Active", "no-at-sign") +
             Member("05", "12/31/2027", "Active", "a@b") +
             Member("06", "12/31/2027", "Active", "\"a b@c.org\"") +
             Member("07", "12/31/2027", "Active", "a@@c.org") +
             Member("08", "12/31/2027", "Active", "@c.org") +
             Member("09", "12/31/2027", "Active", "a@c..org") +
             Member("10", "12/31/2027", "Active", "a@-c.org") +
             Member("11", "12/31/2027", "Active", "a@c.org.") +
             Member("12", "12/31/2027", "Active", " a@c.org "),
      .memberships = {mail("01", "m.reyes@example.net", true),
                      mail("02", "members@greenhouse-partners.example", true),
                      mail("03", "", false), mail("04", "no-at-sign", false),
                      mail("05", "a@b", false), mail("06", "a b@c.org", false),
                      mail("07", "a@@c.org", false), mail("08", "@c.org", false),
                      mail("09", "a@c..org", false), mail("10", "a@-c.org", false),
                      mail("11", "a@c.org.", false), mail("12", "a@c.org", true)},
      .rows = 12,
  }});
}

BOOST_AUTO_TEST_CASE(rows_of_one_membership_are_grouped) {
  const std::string quantity = HeaderOf(Column::kAddOnQuantity);
  CheckAll({
      {
          .name = "distinct cardholders sorted, add-ons collected and sorted",
          .csv = kHeader +
                 Row("1", "Family", "12/31/2027", "Active", "Zoe Quill", "Quill", "Avery",
                     "a@b.org", "Parking", "") +
                 Row("1", "Family", "12/31/2027", "Active", "", "Quill", "Avery", "a@b.org",
                     "Guest Pass", "2") +
                 Row("1", "Family", "12/31/2027", "Active", "Zoe Quill", "Quill", "Avery",
                     "a@b.org", "Parking", "1") +
                 Row("1", "Family", "12/31/2027", "Active", "Jordan Quill", "Quill", "Avery",
                     "a@b.org", "Museum Shop", "0") +
                 Member("2"),
          .memberships = {{"1",
                           "Family",
                           "Active",
                           true,
                           "2027-12-31",
                           "Avery Quill",
                           "a@b.org",
                           true,
                           {"Avery Quill", "Jordan Quill", "Zoe Quill"},
                           {{"Guest Pass", 2}, {"Museum Shop", 0}, {"Parking", 1}}},
                          Avery("2")},
          .rows = 5,
      },
      {
          .name = "memberships out of order are grouped and sorted by id",
          .csv = kHeader + Member("3") +
                 Row("1", "Individual", "12/31/2027", "Active", "Sam Quill", "Quill", "Avery",
                     "a@b.org") +
                 Member("3") +
                 Row("1", "Individual", "12/31/2027", "Active", "Avery Quill", "Quill", "Avery",
                     "a@b.org"),
          .memberships = {{"1",
                           "Individual",
                           "Active",
                           true,
                           "2027-12-31",
                           "Avery Quill",
                           "a@b.org",
                           true,
                           {"Avery Quill", "Sam Quill"},
                           {}},
                          Avery("3")},
          .rows = 4,
      },
      {
          .name = "a membership that comes back after a later id, while the export is in order",
          .csv = kHeader + Member("1") + Member("2") +
                 Row("1", "Individual", "12/31/2027", "Active", "Sam Quill", "Quill", "Avery",
                     "a@b.org"),
          .memberships = {{"1",
                           "Individual",
                           "Active",
                           true,
                           "2027-12-31",
                           "Avery Quill",
                           "a@b.org",
                           true,
                           {"Avery Quill", "Sam Quill"},
                           {}},
                          Avery("2")},
          .rows = 3,
      },
      {
          .name = "add-on quantities: whole numbers 0 to 1,000,000",
          .csv = kHeader +
                 Row("1", "Individual", "12/31/2027", "Active", "A", "", "", "", "Parking",
                     "1000000") +
                 Row("2", "Individual", "12/31/2027", "Active", "A", "", "", "", "Parking", "x") +
                 Row("3", "Individual", "12/31/2027", "Active", "A", "", "", "", "Parking", "-1") +
                 Row("4", "Individual", "12/31/2027", "Active", "A", "", "", "", "Parking",
                     "1000001") +
                 Row("5", "Individual", "12/31/2027", "Active", "A", "", "", "", "Parking", "1.5"),
          .memberships = {{"1",
                           "Individual",
                           "Active",
                           true,
                           "2027-12-31",
                           "",
                           "",
                           false,
                           {"A"},
                           {{"Parking", 1'000'000}}}},
          .rejections = {{3, quantity, "not a whole number", "x"},
                         {4, quantity, "not a whole number", "-1"},
                         {5, quantity, "not a whole number", "1000001"},
                         {6, quantity, "not a whole number", "1.5"}},
          .rejected_ids = {"2", "3", "4", "5"},
          .rows = 5,
      },
  });
}

BOOST_AUTO_TEST_CASE(a_bad_row_excludes_its_whole_membership) {
  const std::string expires = HeaderOf(Column::kExpires);
  const std::string level = HeaderOf(Column::kLevel);
  const std::string status = HeaderOf(Column::kStatus);
  const std::string last = HeaderOf(Column::kLastName);
  const std::string quantity = HeaderOf(Column::kAddOnQuantity);
  CheckAll({
      {
          .name = "a bad second row takes the good first row's membership with it",
          .csv = kHeader + Member("1") +
                 Row("1", "Individual", "13/45/2027", "Active", "Jordan Quill", "Quill", "Avery",
                     "a@b.org") +
                 Member("2"),
          .memberships = {Avery("2")},
          .rejections = {{3, expires, "not a date", "13/45/2027"}},
          .rejected_ids = {"1"},
          .rows = 3,
      },
      {
          .name = "a bad first row, good later rows",
          .csv = kHeader + Member("1", "soon") + Member("1") +
                 Row("1", "Individual", "12/31/2027", "Active", "Jordan Quill", "Quill", "Avery",
                     "a@b.org"),
          .memberships = {},
          .rejections = {{2, expires, "not a date", "soon"}},
          .rejected_ids = {"1"},
          .rows = 3,
      },
      {
          .name = "a disagreeing row after a later id, while the export is in order",
          .csv = kHeader + Member("1") + Member("2") +
                 Row("1", "Patron", "12/31/2027", "Active", "Avery Quill", "Quill", "Avery",
                     "a@b.org"),
          .memberships = {Avery("2")},
          .rejections = {{4, level, "level differs from line 2", "Patron"}},
          .rejected_ids = {"1"},
          .rows = 3,
      },
      {
          .name = "later rows must agree with the first",
          .csv = kHeader + Member("1") +
                 Row("1", "Patron", "12/31/2027", "Active", "Avery Quill", "Quill", "Avery",
                     "a@b.org") +
                 Member("2") + Member("2", "12/31/2027", "Lapsed") + Member("3") +
                 Member("3", "1/1/2028") + Member("4") +
                 Member("4", "12/31/2027", "Active", "other@b.org") + Member("5") +
                 Row("5", "Individual", "12/31/2027", "Active", "Avery Quill", "Quill", "Sam",
                     "a@b.org") +
                 Row("6", "Individual", "12/31/2027", "Active", "Avery Quill", "Quill", "Avery",
                     "a@b.org", "Parking", "1") +
                 Row("6", "Individual", "12/31/2027", "Active", "Avery Quill", "Quill", "Avery",
                     "a@b.org", "Parking", "2") +
                 Member("7"),
          .memberships = {Avery("7")},
          .rejections = {{3, level, "level differs from line 2", "Patron"},
                         {5, status, "status differs from line 4", "Lapsed"},
                         {7, expires, "expiration date differs from line 6", "1/1/2028"},
                         {9, last, "member name, e-mail or address differs from line 8", ""},
                         {11, last, "member name, e-mail or address differs from line 10", ""},
                         {13, quantity, "add-on \"Parking\" has another quantity", "2"}},
          .rejected_ids = {"1", "2", "3", "4", "5", "6"},
          .rows = 13,
      },
  });
}

BOOST_AUTO_TEST_CASE(the_rejected_value_is_blank_for_personal_columns) {
  // Only the reject's column decides: a name-less row names the last-name column (personal),
  // a mismatched address too; the non-personal columns show what they held.
  const std::string header =
      Header({Column::kMembershipId, Column::kStatus, Column::kExpires, Column::kLastName,
              Column::kFirstName, Column::kCardName, Column::kAddressLine1, Column::kZip});
  const std::string last = HeaderOf(Column::kLastName);
  CheckAll({{
      .name = "personal columns",
      .csv = header + "1,Active,12/31/2027,,,,1 Main St,15210\r\n" +
             "2,Active,12/31/2027,Quill,Avery,,1 Main St,15210\r\n" +
             "2,Active,12/31/2027,Quill,Avery,,2 Main St,15210\r\n" +
             "3,Active,12/31/2027,Quill,Avery,,1 Main St,15210\r\n" +
             "3,Active,12/31/2027,Quill,Avery,,1 Main St,01520\r\n" +
             "4,Active,bad,Quill,Avery,,1 Main St,15210\r\n" +
             "5,Active,12/31/2027,Quill,Avery,Avery Quill,1 Main St,15210\r\n",
      .memberships =
          {{"5", "", "Active", true, "2027-12-31", "Avery Quill", "", false, {"Avery Quill"}, {}}},
      .rejections = {{2, last, "no name", ""},
                     {4, last, "member name, e-mail or address differs", ""},
                     {6, last, "member name, e-mail or address differs", ""},
                     {7, HeaderOf(Column::kExpires), "not a date", "bad"}},
      .rejected_ids = {"1", "2", "3", "4"},
      .rows = 7,
  }});
  // The same rows under a header without the last-name column: the card-name column is named.
  const std::string no_last =
      Header({Column::kMembershipId, Column::kStatus, Column::kExpires, Column::kCardName});
  CheckAll({{
      .name = "no name, without a last-name column",
      .csv = no_last + "1,Active,12/31/2027,\r\n2,Active,12/31/2027,Jo Lee\r\n",
      .memberships = {{"2", "", "Active", true, "2027-12-31", "", "", false, {"Jo Lee"}, {}}},
      .rejections = {{2, HeaderOf(Column::kCardName), "no name", ""}},
      .rejected_ids = {"1"},
      .rows = 2,
  }});
}

BOOST_AUTO_TEST_CASE(rows_without_an_id_are_counted) {
  const std::string id = HeaderOf(Column::kMembershipId);
  CheckAll({{
      .name = "two rows without an id among good ones, empty rows skipped",
      .csv = kHeader + Member("1") + Member("") + ",,,,,,,,,\r\n" + Member("  ", "soon") +
             Member("2") + ",,,,,,,,,\r\n",
      .memberships = {Avery("1"), Avery("2")},
      .rejections = {{3, id, "no membership ID", ""}, {5, id, "no membership ID", ""}},
      .rejected_ids = {},
      .rows = 4,
      .rows_without_id = 2,
  }});
  const Read read = ReadRoster(kHeader + Member("") + Member("1"));
  BOOST_TEST_REQUIRE(read.roster.has_value());
  BOOST_TEST_REQUIRE(read.roster->rejected.size() == 1u);
  BOOST_TEST(read.roster->rejected[0].membership_id == "");
  BOOST_TEST(read.roster->rejected_ids.empty());
}

// Everything a Roster holds, one string per item.
std::vector<std::string> ShowAll(const Roster& roster) {
  std::vector<std::string> out;
  for (const Membership& m : roster.memberships) {
    const PostalAddress& a = m.address;
    out.push_back(Show(m) + "|" + m.first_name + "|" + m.last_name + "|" + a.line1 + "|" + a.line2 +
                  "|" + a.city + "|" + a.state + "|" + a.zip + "|line " +
                  std::to_string(m.first_line));
  }
  for (const RejectedRow& r : roster.rejected) {
    out.push_back("rejected line " + std::to_string(r.line) + "|" + r.membership_id + "|" +
                  r.column + "|" + r.reason + "|" + r.value);
  }
  for (const std::string& id : roster.rejected_ids) out.push_back("rejected id " + id);
  out.push_back("rows " + std::to_string(roster.rows) + ", without id " +
                std::to_string(roster.rows_without_id) + ", bytes " + std::to_string(roster.bytes) +
                ", sha256 " + roster.sha256);
  return out;
}

BOOST_AUTO_TEST_CASE(the_same_roster_however_the_file_is_cut) {
  const std::string sample = SampleRoster();
  const std::vector<std::string> files = {
      sample,
      // Out of order, rejected rows with and without id, quoted line breaks, multi-byte names.
      kHeader + Member("3") + Member("", "soon") +
          Row("1", "Family", "8/31/27", "Active", "\"Jos\u00e9 N\u00fa\u00f1ez\"", "Quill", "Avery",
              "a@b.org", "\"Guest\r\nPass\"", "2") +
          Member("2", "13/45/2027") + Member("3") +
          Row("1", "Family", "8/31/27", "Active", "Avery Quill", "Quill", "Avery", "a@b.org") +
          ",,,,,,,,,\r\n" + Member("4", "2027-03-31", "Lapsed", "x"),
  };
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    const Read whole = ReadRoster(file);
    BOOST_TEST_REQUIRE(whole.roster.has_value());
    const std::vector<std::string> expected = ShowAll(*whole.roster);
    BOOST_TEST_REQUIRE(whole.roster->memberships.size() >= 3u);
    BOOST_TEST(whole.roster->bytes == file.size());
    BOOST_TEST(whole.roster->sha256 == ToHex(Sha256(file)));
    if (f == 1) BOOST_TEST_REQUIRE(whole.roster->rejected.size() == 2u);
    // Two pieces, cut at every byte boundary.
    for (std::size_t cut = 0; cut <= file.size(); ++cut) {
      BOOST_TEST_CONTEXT("file " << f << " cut at byte " << cut) {
        const Read read = ReadRoster(file, {}, {cut});
        BOOST_TEST_REQUIRE(read.roster.has_value());
        BOOST_TEST(ShowAll(*read.roster) == expected, boost::test_tools::per_element());
      }
    }
    // One byte at a time.
    std::vector<std::size_t> every;
    for (std::size_t cut = 1; cut < file.size(); ++cut) every.push_back(cut);
    BOOST_TEST_CONTEXT("file " << f << " fed a byte at a time") {
      const Read read = ReadRoster(file, {}, every);
      BOOST_TEST_REQUIRE(read.roster.has_value());
      BOOST_TEST(ShowAll(*read.roster) == expected, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(bytes_and_rows_read_so_far) {
  const ImportConfig config;  // the reader keeps a reference: it must outlive the reader
  RosterReader reader(config);
  const std::string file = kHeader + Member("1") + Member("2");
  BOOST_TEST_REQUIRE(Succeeded(reader.Feed(file)));
  BOOST_TEST(reader.bytes_read() == file.size());
  BOOST_TEST(reader.rows_read() == 2u);
  auto roster = reader.Finish();
  BOOST_TEST_REQUIRE(Succeeded(roster));
  BOOST_TEST(roster->rows == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

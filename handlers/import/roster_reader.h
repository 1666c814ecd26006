// RosterReader: turns the bytes of a roster export into memberships (docs/IMPORT.md).
//
// Streams the file through the CSV parser, finds the columns by header name, checks and
// normalises each row's values (dates to ISO, status to active or not, e-mail syntax, add-on
// quantities) and groups rows by Membership ID: every distinct card name is a cardholder,
// add-on rows are collected. A row with bad data is rejected with its line, column and reason,
// and its membership is left out of the import entirely (so a bad row never removes a
// cardholder). A file that cannot be read as the mapping says — not CSV, not UTF-8, too
// large, no header, a required column missing — is an error from Feed/Finish.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "handlers/import/roster_config.h"

namespace passledger::handlers {

struct AddOn {
  std::string name;
  std::int64_t quantity = 1;
  bool operator==(const AddOn&) const = default;
};

struct PostalAddress {
  std::string line1, line2, city, state, zip;
  bool operator==(const PostalAddress&) const = default;
};

struct Membership {
  std::string id;
  std::string level;
  std::string status;   // as exported
  bool active = false;  // status is one of the active words
  std::string expires;  // YYYY-MM-DD, or empty
  std::string name;     // "First Last", or the organisation's name
  std::string first_name, last_name;
  std::string email;       // as exported (may be empty or malformed)
  bool emailable = false;  // the e-mail address is syntactically valid
  PostalAddress address;
  std::vector<std::string> cardholders;  // distinct card names, sorted
  std::vector<AddOn> add_ons;            // distinct add-ons, sorted by name
  std::uint64_t first_line = 0;
};

struct RejectedRow {
  std::uint64_t line = 0;
  std::string membership_id;  // empty when the row has none
  std::string column;         // header name, or empty for the whole row
  std::string reason;
  std::string value;  // the offending value; empty when the column holds personal data
};

struct Roster {
  std::vector<Membership> memberships;    // valid memberships, sorted by id
  std::vector<RejectedRow> rejected;      // in line order
  std::vector<std::string> rejected_ids;  // memberships left out because of a rejected row
  std::uint64_t rows = 0;                 // data rows read (not counting empty rows)
  std::uint64_t rows_without_id = 0;      // rejected rows that name no membership
  std::uint64_t bytes = 0;
  std::string sha256;  // of the file's bytes, hex
};

class RosterReader {
 public:
  explicit RosterReader(const ImportConfig& config);
  ~RosterReader();
  RosterReader(const RosterReader&) = delete;
  RosterReader& operator=(const RosterReader&) = delete;

  // The next bytes of the file. Errors reject the whole file (kInvalidArgument or kTooLarge).
  [[nodiscard]] Result<void> Feed(std::string_view bytes);
  [[nodiscard]] Result<Roster> Finish();
  std::uint64_t bytes_read() const;
  std::uint64_t rows_read() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a date as exported: M/D/YYYY, M/D/YY (20YY) or YYYY-MM-DD; returns YYYY-MM-DD.
std::optional<std::string> ParseRosterDate(std::string_view text);
// A plausible e-mail address: local@domain.tld, no spaces, sane lengths.
bool IsEmailAddress(std::string_view text);

}  // namespace passledger::handlers

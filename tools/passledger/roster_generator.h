// A deterministic synthetic roster in the Altru "membership card" export layout (docs/IMPORT.md,
// tests/data/altru-roster.csv), for tests and benchmarks of the roster import.
//
// Output is written exactly as Altru writes it: UTF-8 with a BOM, CRLF line ends, RFC 4180
// quoting where needed, two trailing rows of empty fields and no line end after the last one.
// One row per cardholder, plus a row per add-on on the first cardholder. The same spec gives
// the same bytes on every platform (std::mt19937_64 with our own distributions). Embedded line
// breaks inside quoted fields are LF only, so CRLF always ends a row.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::tools {

// The Altru header, in order.
inline constexpr std::array<std::string_view, 15> kAltruColumns = {
    "Membership ID",
    "Membership level",
    "Expiration date",
    "Status",
    "Members\\Membership Card\\Name",
    "Members\\Constituent\\Last/Organization/Group/Household name",
    "Members\\Constituent\\First name",
    "Members\\Constituent\\Address (Primary)\\Address line 1",
    "Members\\Constituent\\Address (Primary)\\Address line 2",
    "Members\\Constituent\\Address (Primary)\\City",
    "Members\\Constituent\\Address (Primary)\\State abbreviation",
    "Members\\Constituent\\Address (Primary)\\ZIP",
    "Members\\Constituent\\Email Addresses\\Email address",
    "Members\\Membership\\Add-ons\\Add-on",
    "Members\\Membership\\Add-ons\\Quantity",
};

// Receives the output in pieces of about 1 MiB; an error stops the generation.
using RosterSink = std::function<Result<void>(std::string_view bytes)>;

struct RosterSpec {
  std::uint64_t rows = 0;  // membership rows (not memberships), exactly
  std::uint64_t seed = 1;
  std::uint64_t bad_rows = 0;  // extra rows with one bad field each, spread through the file
};

struct RosterStats {
  std::uint64_t rows = 0;         // data rows written, bad rows included
  std::uint64_t memberships = 0;  // distinct non-empty membership IDs
  std::uint64_t bad_rows = 0;
};

// Writes the roster described by `spec`. Bad rows are, in turn: an empty Membership ID, an
// unparsable expiration date, an empty status, an e-mail without '@'; each is otherwise a
// well-formed one-row membership, and none splits another membership.
[[nodiscard]] Result<RosterStats> GenerateRoster(const RosterSpec& spec, const RosterSink& sink);

struct ChangeSpec {
  double percent = 0;  // of the memberships, 0..100
  std::uint64_t seed = 1;
};

struct ChangeStats {
  std::uint64_t memberships = 0;  // consecutive rows with one non-empty Membership ID
  std::uint64_t changed = 0;      // round(memberships * percent / 100)
  std::uint64_t rows = 0;         // data rows written
};

// Rewrites a roster in the Altru layout with `percent`% of its memberships changed, one thing
// each (level, expiration date, e-mail, address line 1, a cardholder added or removed, status
// Active <-> Lapsed). The choice depends only on the input and the seed. Other rows are
// re-serialized unchanged, so a roster written by GenerateRoster comes out byte-identical
// apart from the changed memberships.
[[nodiscard]] Result<ChangeStats> ChangeRoster(std::string_view roster, const ChangeSpec& spec,
                                               const RosterSink& sink);
// The same, reading the roster from a file (twice, block by block: memory stays small).
[[nodiscard]] Result<ChangeStats> ChangeRosterFile(const std::filesystem::path& path,
                                                   const ChangeSpec& spec, const RosterSink& sink);

// Appends `field` to `out` quoted as RFC 4180 requires (only if it holds , " CR or LF).
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace passledger::tools

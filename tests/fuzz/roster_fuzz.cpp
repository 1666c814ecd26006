// libFuzzer target: RosterReader (handlers/import/roster_reader.h), the row mapper behind the
// roster import. The input is a roster file: byte 0 picks how it is fed (in one piece or in
// pieces of 1..255 bytes) and whether the default Altru header or a short custom mapping is
// used; the rest is the file. Properties, each aborting when violated:
//  - Fed whole or in pieces, the file gives the same roster or the same error.
//  - An error is kInvalidArgument or kTooLarge; nothing else.
//  - A roster: memberships sorted by id with no id twice, none also among the rejected ids;
//    every membership has an id, a status, at least one cardholder, sorted distinct
//    cardholders and add-ons, an ISO expiry or none; rejected rows are in line order, and
//    rows counted = data rows seen.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "handlers/import/roster_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using passledger::ErrorCode;
using passledger::Result;
using namespace passledger::handlers;

ImportConfig ConfigFrom(std::uint8_t control) {
  ImportConfig config;
  config.max_file_bytes = 1 << 20;
  if (control & 1) {  // a short mapping: i,l,e,s,n,m (id, level, expires, status, card, email)
    for (auto& header : config.headers) header.clear();
    auto set = [&](RosterColumn c, const char* name) {
      config.headers[static_cast<std::size_t>(c)] = name;
    };
    set(RosterColumn::kMembershipId, "i");
    set(RosterColumn::kLevel, "l");
    set(RosterColumn::kExpires, "e");
    set(RosterColumn::kStatus, "s");
    set(RosterColumn::kCardName, "n");
    set(RosterColumn::kEmail, "m");
    set(RosterColumn::kAddOn, "a");
    set(RosterColumn::kAddOnQuantity, "q");
  }
  return config;
}

Result<Roster> Read(const ImportConfig& config, std::string_view text, std::size_t piece) {
  RosterReader reader(config);
  for (std::size_t at = 0; at < text.size(); at += piece) {
    if (auto ok = reader.Feed(text.substr(at, piece)); !ok) return ok.error();
  }
  return reader.Finish();
}

bool IsIsoDate(std::string_view d) {
  return d.size() == 10 && d[4] == '-' && d[7] == '-' &&
         std::all_of(d.begin(), d.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
}

void CheckRoster(const Roster& roster) {
  for (std::size_t i = 0; i < roster.memberships.size(); ++i) {
    const Membership& m = roster.memberships[i];
    FUZZ_CHECK(!m.id.empty() && !m.status.empty());
    if (i > 0) FUZZ_CHECK(roster.memberships[i - 1].id < m.id);
    FUZZ_CHECK(!std::binary_search(roster.rejected_ids.begin(), roster.rejected_ids.end(), m.id));
    FUZZ_CHECK(!m.cardholders.empty());
    FUZZ_CHECK(std::is_sorted(m.cardholders.begin(), m.cardholders.end()));
    FUZZ_CHECK(std::adjacent_find(m.cardholders.begin(), m.cardholders.end()) ==
               m.cardholders.end());
    for (std::size_t a = 1; a < m.add_ons.size(); ++a) {
      FUZZ_CHECK(m.add_ons[a - 1].name < m.add_ons[a].name);
    }
    FUZZ_CHECK(m.expires.empty() || IsIsoDate(m.expires));
    FUZZ_CHECK(m.emailable == IsEmailAddress(m.email));
  }
  for (std::size_t i = 1; i < roster.rejected.size(); ++i) {
    FUZZ_CHECK(roster.rejected[i - 1].line <= roster.rejected[i].line);
  }
  FUZZ_CHECK(roster.rows >= roster.rejected.size());
}

bool SameRoster(const Roster& a, const Roster& b) {
  if (a.memberships.size() != b.memberships.size() || a.rejected.size() != b.rejected.size() ||
      a.rows != b.rows || a.sha256 != b.sha256 || a.rejected_ids != b.rejected_ids) {
    return false;
  }
  for (std::size_t i = 0; i < a.memberships.size(); ++i) {
    const Membership& x = a.memberships[i];
    const Membership& y = b.memberships[i];
    if (x.id != y.id || x.cardholders != y.cardholders || x.add_ons != y.add_ons ||
        x.expires != y.expires || x.status != y.status || x.email != y.email) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const ImportConfig config = ConfigFrom(control);
  const std::size_t piece = std::max<std::size_t>(1, control >> 1);
  auto whole = Read(config, text, text.size() + 1);
  auto pieces = Read(config, text, piece);
  FUZZ_CHECK(whole.has_value() == pieces.has_value());
  if (!whole) {
    const auto code = whole.error().code;
    FUZZ_CHECK(code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge);
    FUZZ_CHECK(whole.error().message == pieces.error().message);
    return 0;
  }
  CheckRoster(*whole);
  FUZZ_CHECK(SameRoster(*whole, *pieces));
  return 0;
}

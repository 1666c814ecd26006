#include "handlers/passes/pass_records.h"

#include <string>

namespace passledger::handlers {
namespace {

Error Damaged(std::string_view what, std::string_view field) {
  return MakeError(ErrorCode::kCorruption,
                   std::string(what) + " record has no valid \"" + std::string(field) + "\"");
}

}  // namespace

Result<signer::MemberData> MemberDataFrom(const projections::MemberView& member) {
  signer::MemberData out;
  if (member.membership_id.empty()) return Damaged("member", "membershipId");
  if (member.forgotten) {
    out.active = false;
    return out;
  }
  out.membership_id = member.membership_id;
  if (!member.personal) return Damaged("member", "personal");
  const projections::MemberPersonal& p = *member.personal;
  out.level = member.level;
  out.expires = member.expires;
  out.status = member.status;
  out.active = member.active;
  for (const auto& a : member.add_ons) out.add_ons.push_back({a.name, std::to_string(a.quantity)});
  out.name = p.name;
  out.first_name = p.first_name;
  out.last_name = p.last_name;
  out.email = p.email;
  out.cardholders = p.cardholders;
  return out;
}

Result<signer::PassData> PassDataFrom(const projections::PassView& pass) {
  signer::PassData out;
  out.serial = pass.serial;
  if (out.serial.empty()) return Damaged("pass", "serial");
  if (pass.cardholder_index < 0) return Damaged("pass", "cardholderIndex");
  out.cardholder_index = static_cast<std::size_t>(pass.cardholder_index);
  if (!pass.forgotten) out.cardholder = pass.cardholder;
  out.token_generation = pass.token_generation;
  if (out.token_generation == 0) return Damaged("pass", "tokenGeneration");
  out.forgotten = pass.forgotten;
  out.voided = pass.voided || pass.forgotten;
  out.content_position = pass.content_position;
  out.last_modified_s = pass.last_modified_s;
  return out;
}

}  // namespace passledger::handlers

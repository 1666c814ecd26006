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
  out.membership_id = member.membership_id;
  if (out.membership_id.empty()) return Damaged("member", "membershipId");
  if (member.forgotten) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "member " + out.membership_id + " was forgotten; no pass can be made");
  }
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
  if (pass.forgotten) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + out.serial + " belongs to a forgotten member; it cannot be made");
  }
  if (pass.cardholder_index < 0) return Damaged("pass", "cardholderIndex");
  out.cardholder_index = static_cast<std::size_t>(pass.cardholder_index);
  out.cardholder = pass.cardholder;
  out.token_generation = pass.token_generation;
  if (out.token_generation == 0) return Damaged("pass", "tokenGeneration");
  out.voided = pass.voided;
  out.content_position = pass.content_position;
  out.last_modified_s = pass.last_modified_s;
  return out;
}

}  // namespace passledger::handlers

#include "handlers/passes/pass_records.h"

#include <boost/json/array.hpp>

namespace passledger::handlers {
namespace {

using boost::json::object;

std::string Text(const object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

bool Flag(const object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::uint64_t Unsigned(const object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  if (value == nullptr) return 0;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0)
    return static_cast<std::uint64_t>(value->get_int64());
  return 0;
}

std::string AddOnQuantity(const boost::json::value& quantity) {
  if (quantity.is_string()) return std::string(quantity.get_string());
  if (quantity.is_int64()) return std::to_string(quantity.get_int64());
  if (quantity.is_uint64()) return std::to_string(quantity.get_uint64());
  return {};
}

std::vector<signer::AddOn> AddOns(const object& member) {
  std::vector<signer::AddOn> out;
  const auto* list = member.if_contains("addOns");
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    if (!item.is_object()) continue;
    const auto& add_on = item.get_object();
    const auto* quantity = add_on.if_contains("quantity");
    out.push_back({Text(add_on, "name"), quantity ? AddOnQuantity(*quantity) : std::string()});
  }
  return out;
}

std::vector<std::string> Cardholders(const object& personal) {
  std::vector<std::string> out;
  const auto* list = personal.if_contains("cardholders");
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& name : list->get_array()) {
    if (name.is_string()) out.emplace_back(name.get_string());
  }
  return out;
}

Error Damaged(std::string_view what, std::string_view field) {
  return MakeError(ErrorCode::kCorruption,
                   std::string(what) + " record has no valid \"" + std::string(field) + "\"");
}

}  // namespace

Result<signer::MemberData> MemberDataFrom(const object& member) {
  signer::MemberData out;
  out.membership_id = Text(member, "membershipId");
  if (out.membership_id.empty()) return Damaged("member", "membershipId");
  if (Flag(member, "forgotten")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "member " + out.membership_id + " was forgotten; no pass can be made");
  }
  const auto* personal = member.if_contains("personal");
  if (personal == nullptr || !personal->is_object()) return Damaged("member", "personal");
  const object& p = personal->get_object();
  out.level = Text(member, "level");
  out.expires = Text(member, "expires");
  out.status = Text(member, "status");
  out.active = Flag(member, "active");
  out.add_ons = AddOns(member);
  out.member_since = Text(member, "memberSince");
  out.name = Text(p, "name");
  out.first_name = Text(p, "firstName");
  out.last_name = Text(p, "lastName");
  out.email = Text(p, "email");
  out.cardholders = Cardholders(p);
  return out;
}

Result<signer::PassData> PassDataFrom(const object& pass) {
  signer::PassData out;
  out.serial = Text(pass, "serial");
  if (out.serial.empty()) return Damaged("pass", "serial");
  if (Flag(pass, "forgotten")) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + out.serial + " belongs to a forgotten member; it cannot be made");
  }
  out.cardholder_index = Unsigned(pass, "cardholderIndex");
  out.cardholder = Text(pass, "cardholder");
  out.token_generation = Unsigned(pass, "tokenGeneration");
  if (out.token_generation == 0) return Damaged("pass", "tokenGeneration");
  out.voided = Flag(pass, "voided");
  out.content_position = Unsigned(pass, "contentPosition");
  out.last_modified_s = static_cast<std::int64_t>(Unsigned(pass, "lastModifiedS"));
  return out;
}

}  // namespace passledger::handlers

#include "handlers/passes/pass_bundles.h"

#include <algorithm>

#include "handlers/passes/pass_records.h"

namespace passledger::handlers {
namespace {

std::string_view TextOf(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_string() ? std::string_view(value->get_string())
                                                : std::string_view();
}

}  // namespace

PassBundles::PassBundles(const projections::ReadModel* read,
                         std::vector<std::shared_ptr<const signer::PassFactory>> factories)
    : read_(read) {
  for (auto& factory : factories) {
    const std::string id = factory->config().pass_type_id;
    factories_.emplace(id, std::move(factory));
  }
}

const signer::PassFactory* PassBundles::Factory(std::string_view pass_type_id) const {
  const auto it = factories_.find(pass_type_id);
  return it == factories_.end() ? nullptr : it->second.get();
}

Result<LatestPass> PassBundles::ForSerial(std::string_view serial) const {
  auto pass = read_->Pass(serial);
  if (!pass) return pass.error();
  if (!*pass) return MakeError(ErrorCode::kNotFound, "no pass with serial " + std::string(serial));
  return ForPass(**pass);
}

Result<LatestPass> PassBundles::ForPass(const boost::json::object& pass) const {
  auto member = MemberOf(pass);
  if (!member) return member.error();
  return Make(*member, pass);
}

Result<std::vector<LatestPass>> PassBundles::ForMember(std::string_view membership_id) const {
  auto member = read_->Member(membership_id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kNotFound, "no member with id " + std::string(membership_id));
  }
  auto passes = read_->PassesOfMember(membership_id);
  if (!passes) return passes.error();
  std::vector<LatestPass> out;
  for (const auto& pass : *passes) {
    auto made = Make(**member, pass);
    if (!made) return made.error();
    out.push_back(std::move(*made));
  }
  return out;
}

Result<boost::json::object> PassBundles::MemberOf(const boost::json::object& pass) const {
  const std::string_view id = TextOf(pass, "membershipId");
  auto member = read_->Member(id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kCorruption, "pass " + std::string(TextOf(pass, "serial")) +
                                                 " names member " + std::string(id) +
                                                 ", which the members view does not hold");
  }
  return std::move(**member);
}

Result<LatestPass> PassBundles::Make(const boost::json::object& member,
                                     const boost::json::object& pass) const {
  const std::string_view type = TextOf(pass, "passTypeId");
  const signer::PassFactory* factory = Factory(type);
  if (factory == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     "pass type " + std::string(type) + " is not configured on this server");
  }
  auto member_data = MemberDataFrom(member);
  if (!member_data) return member_data.error();
  auto pass_data = PassDataFrom(pass);
  if (!pass_data) return pass_data.error();
  auto bundle = factory->Get(*member_data, *pass_data);
  if (!bundle) return bundle.error();
  return LatestPass{std::move(*bundle), pass_data->serial, std::string(type),
                    pass_data->content_position, pass_data->last_modified_s};
}

}  // namespace passledger::handlers

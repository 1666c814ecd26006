#include "handlers/passes/pass_bundles.h"

#include <algorithm>
#include <utility>

#include "handlers/passes/pass_records.h"

namespace passledger::handlers {
namespace {

LatestPass LatestOf(signer::Bundle bundle, const signer::PassData& pass,
                    std::string_view pass_type) {
  return LatestPass{std::move(bundle), pass.serial, std::string(pass_type), pass.content_position,
                    pass.last_modified_s};
}

Error NotConfigured(std::string_view pass_type) {
  return MakeError(ErrorCode::kNotFound,
                   "pass type " + std::string(pass_type) + " is not configured on this server");
}

}  // namespace

PassBundles::PassBundles(const projections::ReadModel* read,
                         std::vector<std::shared_ptr<const signer::PassFactory>> factories)
    : read_(read) {
  MutexLock lock(mutex_);
  for (auto& factory : factories) {
    const std::string id = factory->config().pass_type_id;
    factories_.emplace(id, std::move(factory));
  }
}

std::shared_ptr<const signer::PassFactory> PassBundles::Factory(
    std::string_view pass_type_id) const {
  MutexLock lock(mutex_);
  const auto it = factories_.find(pass_type_id);
  return it == factories_.end() ? nullptr : it->second;
}

Result<void> PassBundles::Replace(std::shared_ptr<const signer::PassFactory> factory) {
  std::shared_ptr<const signer::PassFactory> old;  // released after the lock
  MutexLock lock(mutex_);
  const auto it = factories_.find(factory->config().pass_type_id);
  if (it == factories_.end()) return NotConfigured(factory->config().pass_type_id);
  old = std::exchange(it->second, std::move(factory));
  return {};
}

Result<LatestPass> PassBundles::ForSerial(std::string_view serial) const {
  auto pass = read_->Pass(serial);
  if (!pass) return pass.error();
  if (!*pass) return MakeError(ErrorCode::kNotFound, "no pass with serial " + std::string(serial));
  return ForPass(**pass);
}

Result<std::optional<LatestPass>> PassBundles::Cached(const projections::PassView& pass) const {
  const auto factory = Factory(pass.pass_type_id);
  if (factory == nullptr) return NotConfigured(pass.pass_type_id);
  auto pass_data = PassDataFrom(pass);
  if (!pass_data) return pass_data.error();
  auto bundle = factory->Cached(pass_data->serial, pass_data->content_position);
  if (!bundle) return std::optional<LatestPass>();
  return std::optional<LatestPass>(LatestOf(std::move(*bundle), *pass_data, pass.pass_type_id));
}

Result<LatestPass> PassBundles::ForPass(const projections::PassView& pass) const {
  auto cached = Cached(pass);
  if (!cached) return cached.error();
  if (*cached) return std::move(**cached);
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

Result<projections::MemberView> PassBundles::MemberOf(const projections::PassView& pass) const {
  const std::string_view id = pass.membership_id;
  auto member = read_->Member(id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kCorruption, "pass " + pass.serial + " names member " +
                                                 std::string(id) +
                                                 ", which the members view does not hold");
  }
  return std::move(**member);
}

Result<LatestPass> PassBundles::Make(const projections::MemberView& member,
                                     const projections::PassView& pass) const {
  const std::string_view type = pass.pass_type_id;
  const auto factory = Factory(type);
  if (factory == nullptr) return NotConfigured(type);
  auto member_data = MemberDataFrom(member);
  if (!member_data) return member_data.error();
  auto pass_data = PassDataFrom(pass);
  if (!pass_data) return pass_data.error();
  auto bundle = factory->Get(*member_data, *pass_data);
  if (!bundle) return bundle.error();
  return LatestOf(std::move(*bundle), *pass_data, type);
}

}  // namespace passledger::handlers

#include "events/schema_registry.h"

namespace passledger::events {

void SchemaRegistry::DeclareType(std::string type, std::uint32_t current_version) {
  current_[std::move(type)] = current_version;
}

void SchemaRegistry::AddUpcaster(std::string type, std::uint32_t from, Upcaster upcaster) {
  upcasters_[{std::move(type), from}] = std::move(upcaster);
}

std::uint32_t SchemaRegistry::CurrentVersion(std::string_view type) const {
  auto it = current_.find(type);
  return it == current_.end() ? 1 : it->second;
}

Result<std::uint32_t> SchemaRegistry::Upcast(std::string_view type, std::uint32_t version,
                                             boost::json::object& payload,
                                             boost::json::object* personal) const {
  const std::uint32_t current = CurrentVersion(type);
  if (version > current) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     std::string(type) + " v" + std::to_string(version) +
                         " is newer than this build knows (v" + std::to_string(current) +
                         "); upgrade passledger");
  }
  for (; version < current; ++version) {
    auto it = upcasters_.find(std::pair<std::string, std::uint32_t>(type, version));
    if (it == upcasters_.end()) {
      return MakeError(ErrorCode::kInternal,
                       "no upcaster for " + std::string(type) + " v" + std::to_string(version));
    }
    it->second(payload, personal);
  }
  return version;
}

}  // namespace passledger::events

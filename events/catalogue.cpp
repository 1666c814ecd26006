#include "events/catalogue.h"

namespace passledger::events {

void RegisterCatalogue(SchemaRegistry& registry) {
  registry.DeclareType(std::string(kSubjectForgotten), kSubjectForgottenVersion);
  registry.AddUpcaster(std::string(kSubjectForgotten), 1,
                       [](boost::json::object& payload, boost::json::object*) {
                         payload.emplace("reason", "unspecified");
                       });
}

const SchemaRegistry& DefaultSchemaRegistry() {
  static const SchemaRegistry registry = [] {
    SchemaRegistry r;
    RegisterCatalogue(r);
    return r;
  }();
  return registry;
}

}  // namespace passledger::events

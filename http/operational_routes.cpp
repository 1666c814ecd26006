#include "http/operational_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace passledger::http {
namespace {

std::string HealthBody(const Problems& problems) {
  if (problems.empty()) return R"({"status":"ok"})";
  boost::json::object body{{"status", "degraded"}};
  for (const auto& [name, problem] : problems) body[name] = problem;
  return boost::json::serialize(body);
}

}  // namespace

void AddOperationalRoutes(Router& router, Metrics& metrics, std::function<bool()> ready,
                          std::function<Problems()> degraded) {
  router.Add({bhttp::verb::get}, "/metrics", [&metrics](Request&&, Responder responder) {
    Response response{bhttp::status::ok, 11};
    response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = metrics.Render();
    responder.Send(std::move(response));
  });
  router.Add({bhttp::verb::get}, "/healthz",
             [ready = std::move(ready), degraded = std::move(degraded)](Request&&,
                                                                      Responder responder) {
               if (!ready()) {
                 responder.Send(MakeErrorResponse(bhttp::status::service_unavailable, "not ready"));
                 return;
               }
               const Problems problems = degraded ? degraded() : Problems{};
               responder.Send(MakeJsonResponse(bhttp::status::ok, HealthBody(problems)));
             });
}

}  // namespace passledger::http

#include "http/operational_routes.h"

namespace passledger::http {

void AddOperationalRoutes(Router& router, Metrics& metrics, std::function<bool()> ready) {
  router.Add({bhttp::verb::get}, "/metrics", [&metrics](Request&&, Responder responder) {
    Response response{bhttp::status::ok, 11};
    response.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = metrics.Render();
    responder.Send(std::move(response));
  });
  router.Add({bhttp::verb::get}, "/healthz",
             [ready = std::move(ready)](Request&&, Responder responder) {
               if (!ready()) {
                 responder.Send(MakeErrorResponse(bhttp::status::service_unavailable, "not ready"));
                 return;
               }
               responder.Send(MakeJsonResponse(bhttp::status::ok, R"({"status":"ok"})"));
             });
}

}  // namespace passledger::http

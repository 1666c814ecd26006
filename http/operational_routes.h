// The operational routes: GET /metrics (Prometheus text from `metrics`) and GET /healthz
// (200 {"status":"ok"} when `ready()` is true, else 503 {"error":"not ready"}). When
// `degraded` is set and names problems (e.g. {"push": "stopped: 403 BadCertificate ..."}),
// the answer is 200 {"status":"degraded", <name>: <problem>, ...}: the PassKit routes still
// serve, so a load balancer keeps the server, and an operator sees what is wrong.
// `metrics` must outlive the router's servers; `ready` and `degraded` are called on I/O
// threads and must be cheap and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/metrics.h"
#include "http/router.h"

namespace passledger::http {

using Problems = std::vector<std::pair<std::string, std::string>>;

void AddOperationalRoutes(Router& router, Metrics& metrics, std::function<bool()> ready,
                          std::function<Problems()> degraded = {});

}  // namespace passledger::http

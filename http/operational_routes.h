// The operational routes: GET /metrics (Prometheus text from `metrics`) and GET /healthz
// (200 {"status":"ok"} when `ready()` is true, else 503 {"error":"not ready"}).
// `metrics` must outlive the router's servers; `ready` is called on I/O threads and must be
// cheap and thread-safe.
#pragma once

#include <functional>

#include "http/metrics.h"
#include "http/router.h"

namespace passledger::http {

void AddOperationalRoutes(Router& router, Metrics& metrics, std::function<bool()> ready);

}  // namespace passledger::http

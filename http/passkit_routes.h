// The PassKit web service routes (docs/PASSKIT.md, "Routes") on a Router: the five /v1/
// routes, each taking the request apart (path parameters, Authorization, If-Modified-Since,
// passesUpdatedSince, the body, the client address), calling handlers::PassKitService on a
// WorkerPool thread, and mapping the result to a status. Errors go through StatusFor with a
// {"error": "..."} body; a full pool is 503. The Authorization value is never logged.
//
// `service`, `workers` and `metrics` (optional) are borrowed and must outlive every Server
// using the router; stop `workers` before destroying the Server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "handlers/passkit/passkit_service.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/worker_pool.h"

namespace passledger::http {

// Registers POST/DELETE /v1/devices/{device}/registrations/{passType}/{serial},
// GET /v1/devices/{device}/registrations/{passType}, GET/HEAD /v1/passes/{passType}/{serial}
// and POST /v1/log. With `metrics`, adds passledger_passkit_rejected_total (requests answered
// 503 because the worker pool was full).
void AddPassKitRoutes(Router& router, handlers::PassKitService& service, WorkerPool& workers,
                      Metrics* metrics);

}  // namespace passledger::http

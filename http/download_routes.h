// The download link of e-mailed passes (docs/PASSKIT.md, "Download links") on a Router:
// GET and HEAD /p/{id}, where {id} is a handlers::PassLinks id, optionally followed by
// ".pkpass". The route takes the request apart (the id, the form, the Accept header), calls
// handlers::PassDownloads (first on the I/O thread from memory, else on a WorkerPool thread)
// and maps the result: the signed pass, the HTML page for a browser that prefers text/html,
// or an error through StatusFor; a dead or invalid id is 404 {"error":"not found"}, the body
// of every other 404. A full pool is 503.
//
// `downloads`, `workers` and `metrics` (optional) are borrowed and must outlive every Server
// using the router; stop `workers` before destroying the Server.
#pragma once

#include <string_view>

#include "handlers/passes/pass_downloads.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/worker_pool.h"

namespace passledger::http {

// The page's Content-Security-Policy: nothing but the inline style.
inline constexpr std::string_view kDownloadPagePolicy =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// Registers GET/HEAD /p/{id}. /p/<id>.pkpass and /p/<id>?download=1 always give the pass;
// /p/<id> gives the page when PrefersHtml(Accept). With `metrics`, adds
// passledger_download_rejected_total (503: the pool was full) and
// passledger_download_not_found_total (404s).
void AddDownloadRoutes(Router& router, const handlers::PassDownloads& downloads,
                       WorkerPool& workers, Metrics* metrics);

// Whether an Accept header ranks text/html above application/vnd.apple.pkpass (RFC 9110
// §12.5.1: each type takes the q of its most specific matching range). False without a header
// or for "*/*": a client that does not say gets the pass.
[[nodiscard]] bool PrefersHtml(std::string_view accept);

}  // namespace passledger::http

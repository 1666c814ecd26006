#include "http/download_routes.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <memory>
#include <utility>

#include "base/time.h"
#include "http/header_text.h"

namespace passledger::http {
namespace {

using projections::ReadTier;

constexpr std::string_view kLink = "/p/{id}";
constexpr std::string_view kPkpassType = "application/vnd.apple.pkpass";

struct Counters {
  std::atomic<std::uint64_t> rejected{0};   // 503: the pool was full
  std::atomic<std::uint64_t> not_found{0};  // 404: a dead or invalid id
};

struct Context {
  const handlers::PassDownloads& downloads;
  WorkerPool& workers;
  std::shared_ptr<Counters> counters;
};

// What a request asks for.
struct Ask {
  std::string id;
  bool page = false;
};

// The q parameter of one media range's parameters ("; q=0.8; level=1"); 1 when absent, 0
// when malformed (a range that says nothing clear does not win).
double QualityOf(std::string_view params) {
  while (!params.empty()) {
    const auto semicolon = params.find(';');
    const std::string_view param = TrimOws(params.substr(0, semicolon));
    params =
        semicolon == std::string_view::npos ? std::string_view() : params.substr(semicolon + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      continue;
    }
    const std::string_view value = param.substr(2);
    double q = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

// The q `accept` gives `type`/`subtype`: that of the most specific matching range; 0 if none.
double Quality(std::string_view accept, std::string_view type, std::string_view subtype) {
  int best_specificity = 0;
  double best = 0;
  while (!accept.empty()) {
    const auto comma = accept.find(',');
    const std::string_view element = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const auto semicolon = element.find(';');
    const std::string_view range = TrimOws(element.substr(0, semicolon));
    const auto slash = range.find('/');
    if (slash == std::string_view::npos) continue;
    const std::string_view range_type = range.substr(0, slash);
    const std::string_view range_subtype = range.substr(slash + 1);
    int specificity = 0;
    if (range_type == "*" && range_subtype == "*") {
      specificity = 1;
    } else if (EqualsIgnoringCase(range_type, type) && range_subtype == "*") {
      specificity = 2;
    } else if (EqualsIgnoringCase(range_type, type) && EqualsIgnoringCase(range_subtype, subtype)) {
      specificity = 3;
    }
    if (specificity == 0 || specificity < best_specificity) continue;
    const double q =
        semicolon == std::string_view::npos ? 1 : QualityOf(element.substr(semicolon + 1));
    best = specificity > best_specificity ? q : std::max(best, q);
    best_specificity = specificity;
  }
  return best;
}

std::string_view Header(const Request& request, bhttp::field field) {
  const auto it = request.message.find(field);
  if (it == request.message.end()) return {};
  return {it->value().data(), it->value().size()};
}

Ask AskOf(const Request& request) {
  std::string_view segment = request.Param("id");
  if (segment.ends_with(handlers::kDownloadSuffix)) {
    segment.remove_suffix(handlers::kDownloadSuffix.size());
    return Ask{std::string(segment), false};
  }
  const bool download = request.QueryParam("download").has_value();
  return Ask{std::string(segment), !download && PrefersHtml(Header(request, bhttp::field::accept))};
}

// Headers every answer of the route carries: the id in the URL is a credential for the pass.
void SetCommonHeaders(Response& response) {
  response.set(bhttp::field::cache_control, "private, no-store");
  response.set(bhttp::field::vary, "Accept");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Content-Type-Options", "nosniff");
}

Response ResponseFor(const handlers::Download& download) {
  Response response{bhttp::status::ok, 11};
  SetCommonHeaders(response);
  response.set(bhttp::field::last_modified, FormatHttpDate(download.last_modified_s));
  if (download.is_page) {
    response.set(bhttp::field::content_type, "text/html; charset=utf-8");
    response.set("Content-Security-Policy", kDownloadPagePolicy);
    response.body() = download.page;
  } else {
    response.set(bhttp::field::content_type, kPkpassType);
    response.set(bhttp::field::content_disposition,
                 "attachment; filename=\"" + download.file_name + "\"");
    response.body() = *download.bundle;
  }
  response.prepare_payload();
  return response;
}

void Send(const Context& context, const Responder& responder, Result<handlers::Download> got) {
  if (!got) {
    if (got.error().code == ErrorCode::kNotFound) {
      context.counters->not_found.fetch_add(1, std::memory_order_relaxed);
    }
    return responder.SendError(got.error());
  }
  responder.Send(ResponseFor(*got));
}

// Tried on the I/O thread at kMemoryOnly (memtables, block cache, bundle cache); a read that
// would block or a pass that would be signed goes to the pool at kAny; a full pool is 503.
Handler Download(const Context& context) {
  return [context](Request&& request, Responder responder) {
    Ask ask = AskOf(request);
    auto fast = context.downloads.Get(ask.id, ask.page, ReadTier::kMemoryOnly);
    if (fast || fast.error().code != ErrorCode::kWouldBlock) {
      return Send(context, responder, std::move(fast));
    }
    const std::size_t bytes = request.ApproximateBytes();
    auto shared = std::make_shared<Ask>(std::move(ask));
    const bool queued = context.workers.Submit(
        [context, shared, responder] {
          Send(context, responder, context.downloads.Get(shared->id, shared->page, ReadTier::kAny));
        },
        bytes);
    if (queued) return;
    context.counters->rejected.fetch_add(1, std::memory_order_relaxed);
    responder.Send(MakeErrorResponse(bhttp::status::service_unavailable, "server busy"));
  };
}

}  // namespace

bool PrefersHtml(std::string_view accept) {
  const double html = Quality(accept, "text", "html");
  return html > 0 && html > Quality(accept, "application", "vnd.apple.pkpass");
}

void AddDownloadRoutes(Router& router, const handlers::PassDownloads& downloads,
                       WorkerPool& workers, Metrics* metrics) {
  const Context context{downloads, workers, std::make_shared<Counters>()};
  if (metrics != nullptr) {
    const auto counters = context.counters;
    metrics->AddCounter("passledger_download_rejected_total",
                        "Download link requests answered 503 because the worker pool was full",
                        [counters] { return static_cast<double>(counters->rejected.load()); });
    metrics->AddCounter("passledger_download_not_found_total",
                        "Download link requests answered 404 (dead, altered or invalid ids)",
                        [counters] { return static_cast<double>(counters->not_found.load()); });
  }
  router.Add({bhttp::verb::get, bhttp::verb::head}, kLink, Download(context));
}

}  // namespace passledger::http

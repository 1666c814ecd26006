#include "tools/passledger/push_setup.h"

#include <fmt/core.h>

namespace passledger::tools {
namespace {

Result<void> Invalid(std::string what) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(what));
}

apns::ClientOptions ClientOptionsFrom(const ApnsSettings& a) {
  apns::ClientOptions o;
  o.url = a.url;
  o.ca_file = a.ca_file;
  o.push_type = a.push_type;
  o.priority = static_cast<int>(a.priority);
  o.expiration = std::chrono::seconds(a.expiration_seconds);
  o.connections = static_cast<int>(a.connections);
  o.max_streams = static_cast<int>(a.max_streams);
  o.timeout = std::chrono::seconds(a.timeout_seconds);
  o.max_attempts = static_cast<int>(a.max_attempts);
  return o;
}

Result<void> SetUpToken(const Config& config, PushSetup& setup, apns::ClientOptions& options) {
  const ApnsSettings& a = config.apns;
  if (a.key_file.empty() || a.key_id.empty()) {
    return Invalid("apns.auth = \"token\" needs apns.key_file (the .p8 key) and apns.key_id");
  }
  apns::ProviderTokenOptions token_options;
  token_options.key_id = a.key_id;
  token_options.team_id = a.team_id.empty() ? config.pass.team_id : a.team_id;
  auto token = apns::ProviderToken::FromFile(a.key_file, token_options);
  if (!token) return MakeError(token.error().code, "apns.key_file: " + token.error().message);
  setup.token = std::move(*token);
  options.auth = apns::AuthMode::kToken;
  options.token = setup.token.get();
  setup.description = fmt::format("token auth (key {}, team {})", a.key_id, token_options.team_id);
  return {};
}

Result<void> SetUpCertificate(const Config& config, const PassSetup& passes, PushSetup& setup,
                              apns::ClientOptions& options) {
  const ApnsSettings& a = config.apns;
  if (a.certificate.empty()) {
    setup.identity = passes.identity;
  } else {
    signer::CertificateConfig certificates = config.certificates;
    certificates.certificate = a.certificate;
    certificates.key = a.certificate_key;
    certificates.pass_type_id = config.pass.pass_type_id;
    certificates.team_id = config.pass.team_id;
    auto identity = signer::LoadSigningIdentity(certificates, std::chrono::system_clock::now());
    if (!identity) {
      return MakeError(identity.error().code, "apns.certificate: " + identity.error().message);
    }
    setup.identity = *identity;
  }
  if (!setup.identity) return Invalid("apns.auth = \"certificate\" needs a pass certificate");
  options.auth = apns::AuthMode::kCertificate;
  options.certificate = setup.identity->certificate();
  options.certificate_key = setup.identity->key();
  setup.description = "certificate auth (" + setup.identity->subject() + ")";
  return {};
}

void RenderHistogram(std::string& out, std::string_view name, std::string_view help,
                     const handlers::LatencyHistogram& histogram) {
  const auto sample = histogram.Read();
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  for (std::size_t i = 0; i < handlers::LatencyHistogram::kBounds.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, handlers::LatencyHistogram::kBounds[i],
                       sample.cumulative[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, sample.count,
                     name, sample.sum, name, sample.count);
}

}  // namespace

Result<std::optional<PushSetup>> SetUpPush(const Config& config, const PassSetup& passes) {
  const std::string auth = config.push_auth();
  if (auth == "off") return std::optional<PushSetup>();
  PushSetup setup;
  apns::ClientOptions options = ClientOptionsFrom(config.apns);
  auto ready = auth == "token" ? SetUpToken(config, setup, options)
                               : SetUpCertificate(config, passes, setup, options);
  if (!ready) return ready.error();
  auto client = apns::Client::Create(options);
  if (!client) return MakeError(client.error().code, "[apns]: " + client.error().message);
  setup.client = std::move(*client);
  setup.dispatcher.pass_types = {config.pass.pass_type_id};
  setup.dispatcher.coalesce = std::chrono::milliseconds(config.apns.coalesce_ms);
  setup.description += " to " + config.apns.url;
  return std::optional<PushSetup>(std::move(setup));
}

void AddPushMetrics(http::Metrics& metrics, const apns::Client& client,
                    const handlers::PushDispatcher& dispatcher) {
  metrics.AddRendered([&client, &dispatcher](std::string& out) {
    const apns::ClientStats s = client.stats();
    out += "# HELP passledger_push_total Pushes by final outcome.\n";
    out += "# TYPE passledger_push_total counter\n";
    const std::pair<std::string_view, std::uint64_t> outcomes[] = {
        {"delivered", s.delivered}, {"unregistered", s.unregistered}, {"bad-token", s.bad_token},
        {"failed", s.failed},       {"not-sent", s.not_sent}};
    for (const auto& [outcome, count] : outcomes) {
      out += fmt::format("passledger_push_total{{outcome=\"{}\"}} {}\n", outcome, count);
    }
    const handlers::PushStatus status = dispatcher.status();
    const std::tuple<std::string_view, std::string_view, std::string_view, double> series[] = {
        {"passledger_push_requests_total", "counter", "Requests sent to APNs (retries included)",
         static_cast<double>(s.sent)},
        {"passledger_push_retries_total", "counter", "Requests that will be sent again",
         static_cast<double>(s.retried)},
        {"passledger_push_too_many_requests_total", "counter", "429 TooManyRequests answers",
         static_cast<double>(s.too_many_requests)},
        {"passledger_push_transport_errors_total", "counter",
         "Requests without an answer (lost connection, GOAWAY, refused stream, timeout)",
         static_cast<double>(s.transport_errors)},
        {"passledger_push_connections_opened_total", "counter", "TLS connections opened to APNs",
         static_cast<double>(s.connections_opened)},
        {"passledger_push_in_flight", "gauge", "Pushes on the wire now",
         static_cast<double>(s.in_flight)},
        {"passledger_push_queue_depth", "gauge", "Pushes waiting for a stream now",
         static_cast<double>(s.queued)},
        {"passledger_push_devices_due", "gauge", "Devices in the batch being sent",
         static_cast<double>(status.devices_due)},
        {"passledger_push_checkpoint_position", "gauge", "Log position pushed up to",
         static_cast<double>(status.checkpoint)},
        {"passledger_push_batches_total", "counter", "PushBatchCompleted records written",
         static_cast<double>(status.batches)},
        {"passledger_push_registrations_removed_total", "counter",
         "Devices unregistered after 410 or BadDeviceToken", static_cast<double>(status.unregistered)},
        {"passledger_push_registrations_kept_total", "counter",
         "Devices kept after 410 because they registered again", static_cast<double>(status.kept)},
        {"passledger_push_stopped", "gauge",
         "1 when a configuration error stopped pushing (see /healthz)",
         status.stopped ? 1.0 : 0.0},
    };
    for (const auto& [name, type, help, value] : series) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
    }
    RenderHistogram(out, "passledger_push_commit_to_accept_seconds",
                    "From a change's commit to APNs accepting its push",
                    dispatcher.commit_to_accept());
    RenderHistogram(out, "passledger_push_to_list_seconds",
                    "From a push to that device's next list request (the phone came back)",
                    dispatcher.push_to_return());
    RenderHistogram(out, "passledger_push_batch_seconds", "One batch, from building to record",
                    dispatcher.batch_seconds());
  });
}

}  // namespace passledger::tools

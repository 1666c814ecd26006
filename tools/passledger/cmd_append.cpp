// `passledger append`: appends one event from the command line (demos, scripts, repairs).
#include <fmt/core.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct AppendArgs {
  std::string stream;
  std::string type;
  std::string payload = "{}";
  std::string personal;
  std::string subject;
  std::string actor;
  std::string expected = "any";
  std::string idempotency_key;
};

Result<boost::json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " must be a JSON object");
  }
  return std::move(value.as_object());
}

Result<events::ExpectedVersion> ParseExpected(std::string_view text) {
  if (text == "any") return events::ExpectedVersion::Any();
  if (text == "none") return events::ExpectedVersion::NoStream();
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--expected-version must be any, none or a number");
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return events::ExpectedVersion::Exactly(v);
}

Result<events::AppendRequest> BuildRequest(const AppendArgs& args) {
  events::AppendRequest request;
  request.stream = args.stream;
  auto expected = ParseExpected(args.expected);
  if (!expected) return expected.error();
  request.expected = *expected;
  request.actor =
      args.actor.empty() ? "cli:" + std::string(getlogin() ? getlogin() : "operator") : args.actor;
  request.idempotency_key = args.idempotency_key;
  events::NewEvent event;
  event.type = args.type;
  auto payload = ParseObject(args.payload, "--payload");
  if (!payload) return payload.error();
  event.payload = std::move(*payload);
  event.subject = args.subject;
  if (!args.personal.empty()) {
    auto personal = ParseObject(args.personal, "--personal");
    if (!personal) return personal.error();
    event.personal = std::move(*personal);
  }
  request.events.push_back(std::move(event));
  return request;
}

void Run(const AppendArgs& args, CommandContext& ctx) {
  auto request = BuildRequest(args);
  if (!request) {
    ctx.exit_status = ReportError("append", request.error());
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  auto result = log->Append(std::move(*request));
  if (!result) {
    ctx.exit_status = ReportError("append", result.error());
    return;
  }
  boost::json::object out{{"first_position", result->first_position},
                          {"last_position", result->last_position},
                          {"stream_version", result->stream_version},
                          {"duplicate", result->duplicate}};
  fmt::print("{}\n", boost::json::serialize(out));
}

}  // namespace

void AddAppendCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<AppendArgs>();
  CLI::App* cmd = app.add_subcommand("append", "Append one event to a stream");
  cmd->add_option("--stream", args->stream, "Stream id, e.g. member-8-10000001")->required();
  cmd->add_option("--type", args->type, "Event type, e.g. MemberEnrolled")->required();
  cmd->add_option("--payload", args->payload, "Public payload (JSON object)");
  cmd->add_option("--personal", args->personal, "Personal part, sealed (JSON object)");
  cmd->add_option("--subject", args->subject, "Subject the personal part belongs to");
  cmd->add_option("--actor", args->actor, "Actor recorded with the event");
  cmd->add_option("--expected-version", args->expected, "any | none | N")->default_str("any");
  cmd->add_option("--idempotency-key", args->idempotency_key, "Repeat-safe request key");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools

// `passledger append`: appends one event from the command line (demos, scripts, repairs).
#include <fmt/core.h>

#include <fstream>
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
  std::string lines_file;  // JSON lines {"stream", "type", "payload"}: many events at once
};

// Lines appended together: each chunk is atomic (all its events or none).
constexpr std::size_t kLinesPerChunk = 1000;

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
  request.actor = CliActor(args.actor);
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

Result<std::vector<events::AppendRequest>> ReadLines(const AppendArgs& args) {
  std::ifstream in(args.lines_file);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot read " + args.lines_file);
  std::vector<events::AppendRequest> requests;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    auto object = ParseObject(line, "line " + std::to_string(number));
    if (!object) return object.error();
    const auto* stream = object->if_contains("stream");
    const auto* type = object->if_contains("type");
    const auto* payload = object->if_contains("payload");
    if (!stream || !stream->is_string() || !type || !type->is_string() ||
        (payload && !payload->is_object())) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "line " + std::to_string(number) +
                           " needs string \"stream\" and \"type\" and an object \"payload\"");
    }
    AppendArgs one = args;
    one.stream = std::string(stream->get_string());
    one.type = std::string(type->get_string());
    one.payload = payload ? boost::json::serialize(*payload) : "{}";
    auto request = BuildRequest(one);
    if (!request) return request.error();
    requests.push_back(std::move(*request));
  }
  return requests;
}

void RunLines(const AppendArgs& args, CommandContext& ctx) {
  auto requests = ReadLines(args);
  if (!requests) {
    ctx.exit_status = ReportError("append --lines", requests.error());
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  std::uint64_t last = 0;
  for (std::size_t first = 0; first < requests->size(); first += kLinesPerChunk) {
    const auto end = std::min(requests->size(), first + kLinesPerChunk);
    std::vector<events::AppendRequest> chunk(std::make_move_iterator(requests->begin() + first),
                                             std::make_move_iterator(requests->begin() + end));
    auto result = log->AppendAtomic(std::move(chunk));
    if (!result) {
      ctx.exit_status = ReportError("append --lines (from line " + std::to_string(first + 1) + ")",
                                    result.error());
      return;
    }
    if (!result->empty()) last = result->back().last_position;
  }
  fmt::print("{}\n", boost::json::serialize(boost::json::object{
                         {"events", requests->size()}, {"last_position", last}}));
}

void Run(const AppendArgs& args, CommandContext& ctx) {
  if (!args.lines_file.empty()) return RunLines(args, ctx);
  if (args.stream.empty() || args.type.empty()) {
    ctx.exit_status = ReportError(
        "append", MakeError(ErrorCode::kInvalidArgument, "give --stream and --type, or --lines"));
    return;
  }
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
  CLI::App* cmd = app.add_subcommand("append", "Append one event to a stream (or --lines)");
  cmd->add_option("--stream", args->stream, "Stream id, e.g. member-8-10000001");
  cmd->add_option("--type", args->type, "Event type, e.g. MemberEnrolled");
  cmd->add_option("--lines", args->lines_file,
                  "JSON lines {\"stream\", \"type\", \"payload\"}, appended in atomic chunks "
                  "of 1,000");
  cmd->add_option("--payload", args->payload, "Public payload (JSON object)");
  cmd->add_option("--personal", args->personal, "Personal part, sealed (JSON object)");
  cmd->add_option("--subject", args->subject, "Subject the personal part belongs to");
  cmd->add_option("--actor", args->actor, "Actor recorded with the event");
  cmd->add_option("--expected-version", args->expected, "any | none | N")->default_str("any");
  cmd->add_option("--idempotency-key", args->idempotency_key, "Repeat-safe request key");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools

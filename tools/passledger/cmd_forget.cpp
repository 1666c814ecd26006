// `passledger forget`: crypto-shreds one subject's personal data — through the running server
// when there is one (tools/passledger/server_client.h).
#include <fmt/core.h>

#include "projections/projections.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct ForgetArgs {
  std::string subject;
  std::string stream;
  std::string reason;
  std::string actor;
};

void PrintOutcome(const ForgetArgs& args, const projections::Projections::ForgetOutcome& outcome) {
  if (outcome.already_forgotten) {
    fmt::print("subject {} was already forgotten: purge of its plaintext completed\n",
               args.subject);
  } else {
    fmt::print("forgot subject {}: data key destroyed, SubjectForgotten at position {}\n",
               args.subject, outcome.position);
  }
}

// Through the running server (POST /admin/api/forget). Its RocksDB MANIFEST still names the
// first and last keys of the purged files until the server next opens the database for
// writing (docs/ADMIN.md, "The operator socket").
void RunThroughServer(ServerClient& server, const ForgetArgs& args, const std::string& stream,
                      CommandContext& ctx) {
  NoteActorNotUsed(args.actor);
  auto answer = server.Call(boost::beast::http::verb::post, "/admin/api/forget",
                            {{"subject", args.subject}, {"stream", stream}, {"reason", args.reason}});
  if (!answer) {
    ctx.exit_status = ReportError("forget", answer.error());
    return;
  }
  PrintOutcome(args, {UintOf(*answer, "position"), BoolOf(*answer, "alreadyForgotten")});
}

void Run(const ForgetArgs& args, CommandContext& ctx) {
  const std::string stream = args.stream.empty() ? "member-" + args.subject : args.stream;
  if (auto server = ServerClient::Connect(ctx.data_dir)) {
    return RunThroughServer(*server, args, stream, ctx);
  }
  const std::string actor = CliActor(args.actor);
  projections::Projections::ForgetOutcome outcome;
  {
    auto log = OpenLog(ctx, /*read_only=*/false);
    if (!log) return;
    auto result = log.projections->Forget(args.subject, stream, actor, args.reason);
    if (!result) {
      ctx.exit_status = ReportError("forget", result.error());
      return;
    }
    outcome = *result;
  }
  // Opening the database for writing again makes RocksDB write a new MANIFEST and delete the
  // old one, which still named the first and last keys of the files the purge deleted.
  if (auto log = OpenLog(ctx, /*read_only=*/false); !log) return;
  PrintOutcome(args, outcome);
}

}  // namespace

void AddForgetCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ForgetArgs>();
  CLI::App* cmd = app.add_subcommand("forget", "Destroy a subject's data key (crypto-shredding)");
  cmd->add_option("--subject", args->subject, "Subject id (e.g. a membership id)")->required();
  cmd->add_option("--stream", args->stream, "Stream for SubjectForgotten (default member-<id>)");
  cmd->add_option("--reason", args->reason, "Why (recorded in the event)");
  cmd->add_option("--actor", args->actor, "Actor recorded with the event");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools

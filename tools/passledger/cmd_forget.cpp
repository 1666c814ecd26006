// `passledger forget`: crypto-shreds one subject's personal data.
#include <fmt/core.h>
#include <unistd.h>

#include "projections/member_fields.h"
#include "projections/read_model.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct ForgetArgs {
  std::string subject;
  std::string stream;
  std::string reason;
  std::string actor;
};

void Run(const ForgetArgs& args, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  const std::string stream = args.stream.empty() ? "member-" + args.subject : args.stream;
  const std::string actor =
      args.actor.empty() ? "cli:" + std::string(getlogin() ? getlogin() : "operator") : args.actor;
  // What the views hold of the member now: its record and search keys are purged after.
  std::vector<std::string> terms, serials;
  projections::ReadModel views(log.projections.get());
  if (auto member = views.Member(args.subject); member && *member) {
    if (const auto* personal = (*member)->if_contains("personal");
        personal && personal->is_object()) {
      terms = projections::SearchTerms(personal->as_object());
    }
    for (const auto& serial : (*member)->at("serials").as_array()) {
      serials.emplace_back(serial.as_string());
    }
  }
  auto result = log->Forget(args.subject, stream, actor, args.reason);
  if (!result) {
    ctx.exit_status = ReportError("forget", result.error());
    return;
  }
  if (auto purged = log.projections->PurgeForgotten(args.subject, terms, serials); !purged) {
    ctx.exit_status = ReportError("forget (purging the views)", purged.error());
    return;
  }
  fmt::print("forgot subject {}: data key destroyed, SubjectForgotten at position {}\n",
             args.subject, result->last_position);
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

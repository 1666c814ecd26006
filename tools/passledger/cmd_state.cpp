// `passledger state member ID --at T` / `state pass SERIAL --at T`: an entity as it was,
// replayed from its streams (read-only; works beside a running server).
#include <fmt/core.h>

#include <boost/json.hpp>

#include "projections/read_model.h"
#include "projections/state_as_of.h"
#include "projections/view_json.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct StateArgs {
  std::string id;
  std::string at;
};

void Run(const StateArgs& args, bool member, CommandContext& ctx) {
  auto as_of = args.at.empty() ? Result<projections::AsOf>(projections::AsOf{})
                               : projections::ParseAsOf(args.at);
  if (!as_of) {
    ctx.exit_status = ReportError("state --at", as_of.error());
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/true, /*with_projections=*/member);
  if (!log) return;
  Result<projections::EntityState> state =
      member ? projections::MemberStateAsOf(*log, projections::ReadModel(log.projections.get()),
                                            args.id, *as_of)
             : projections::PassStateAsOf(*log, args.id, *as_of);
  if (!state) {
    ctx.exit_status = ReportError("state", state.error());
    return;
  }
  if (member ? !state->member : state->passes.empty()) {
    ctx.exit_status = ReportError(
        "state", MakeError(ErrorCode::kNotFound, std::string(member ? "member " : "pass ") +
                                                     args.id + " did not exist then"));
    return;
  }
  boost::json::object out{{"position", state->position}};
  if (!args.at.empty()) out["at"] = args.at;
  if (state->member) out["member"] = projections::ToJson(*state->member);
  boost::json::array passes;
  for (const auto& pass : state->passes) passes.push_back(projections::ToJson(pass));
  out["passes"] = std::move(passes);
  fmt::print("{}\n", boost::json::serialize(out));
}

}  // namespace

void AddStateCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* state = app.add_subcommand("state", "An entity as it was at a position or time");
  state->require_subcommand(1);
  for (const bool member : {true, false}) {
    auto args = std::make_shared<StateArgs>();
    CLI::App* cmd = state->add_subcommand(member ? "member" : "pass",
                                          member ? "A member and its passes" : "One pass");
    cmd->add_option(member ? "id" : "serial", args->id, member ? "Membership id" : "Serial number")
        ->required();
    cmd->add_option("--at", args->at,
                    "Position (1234) or ISO-8601 time (2026-11-28T12:00:00Z); default: now");
    cmd->callback([args, member, &ctx] { Run(*args, member, ctx); });
  }
}

}  // namespace passledger::tools

// Helpers shared by the subcommands: opening the log, turning domain errors into one line
// on stderr and an exit status.
#pragma once

#include <memory>
#include <string_view>

#include "events/error.h"
#include "events/event_log.h"
#include "tools/passledger/commands.h"

namespace passledger::tools {

// Prints "passledger: <what>: <error>" to stderr and returns the exit status for it.
int ReportError(std::string_view what, const Error& error);

// Opens the log in ctx.data_dir; on failure reports and returns nullptr with
// ctx.exit_status set.
std::unique_ptr<events::EventLog> OpenLog(CommandContext& ctx, bool read_only);

}  // namespace passledger::tools

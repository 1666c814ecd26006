// Helpers shared by the subcommands: opening the log, turning domain errors into one line
// on stderr and an exit status.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/projections.h"
#include "tools/passledger/commands.h"
#include "tools/passledger/config.h"

namespace passledger::tools {

// Prints "passledger: <what>: <error>" to stderr and returns the exit status for it.
int ReportError(std::string_view what, const Error& error);

// ReportError for a command whose request a module refused: a kFailedPrecondition (a rule of
// the system's state, such as "the last enabled admin") is a refusal too, exit 2.
int ReportRefused(std::string_view what, const Error& error);

// An open log with its projections; the projections go first when it is destroyed.
struct OpenedLog {
  std::unique_ptr<events::EventLog> log;
  std::unique_ptr<projections::Projections> projections;  // null unless attached

  explicit operator bool() const { return log != nullptr; }
  events::EventLog* operator->() const { return log.get(); }
  events::EventLog& operator*() const { return *log; }
};

// Opens the log in ctx.data_dir. Writers always attach the projections (so the views follow
// every append); read-only opens attach them when `with_projections`. On failure reports,
// sets ctx.exit_status and returns an empty OpenedLog.
// `max_open_files`: events::OpenOptions::max_open_files (serve bounds it, -1 elsewhere).
OpenedLog OpenLog(CommandContext& ctx, bool read_only, bool with_projections = false,
                  int max_open_files = -1);

// The actor recorded with a command's events: `given` (--actor), or "cli:<login name>".
std::string CliActor(std::string_view given);

// The configuration of ctx.config_file (tools/passledger/config.h). On failure reports, sets
// ctx.exit_status and returns nothing.
std::optional<Config> LoadContextConfig(CommandContext& ctx);

}  // namespace passledger::tools

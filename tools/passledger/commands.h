// Subcommands of the `passledger` executable. Each Add*Command registers a CLI11
// subcommand whose callback runs the command and sets the process exit status through
// CommandContext. Commands print results on stdout and one-line errors on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

namespace passledger::tools {

// Exit statuses shared by every command (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;         // internal or environment error
inline constexpr int kExitRejected = 2;      // bad input or usage
inline constexpr int kExitVerifyFailed = 3;  // the log or a digest does not verify

struct CommandContext {
  std::filesystem::path data_dir = "data";
  int exit_status = kExitOk;
  // --config FILE, else $PASSLEDGER_CONFIG, else none (built-in defaults + environment).
  std::optional<std::filesystem::path> config_file;
};

void AddAppendCommand(CLI::App& app, CommandContext& ctx);
void AddLogCommand(CLI::App& app, CommandContext& ctx);
// `device-logs`: the bounded store of what devices sent to POST /v1/log.
void AddDeviceLogsCommand(CLI::App& app, CommandContext& ctx);
void AddVerifyCommand(CLI::App& app, CommandContext& ctx);
void AddExportCommand(CLI::App& app, CommandContext& ctx);
// `backup` and `restore`. REQUIRES: the global --data option is already added.
void AddBackupCommands(CLI::App& app, CommandContext& ctx);
void AddDigestCommand(CLI::App& app, CommandContext& ctx);
void AddForgetCommand(CLI::App& app, CommandContext& ctx);
void AddBenchCommand(CLI::App& app, CommandContext& ctx);
void AddBenchRebuildCommand(CLI::App& bench, CommandContext& ctx);  // under `bench`
void AddBenchImportCommand(CLI::App& bench, CommandContext& ctx);   // under `bench`
void AddBenchPushCommand(CLI::App& bench, CommandContext& ctx);     // under `bench`
void AddBenchMailCommand(CLI::App& bench, CommandContext& ctx);     // under `bench`
// `push`: the devices of some passes told now, as one recorded batch (docs/PUSH.md).
void AddPushCommand(CLI::App& app, CommandContext& ctx);
void AddRebuildCommand(CLI::App& app, CommandContext& ctx);
void AddStateCommand(CLI::App& app, CommandContext& ctx);
void AddGenRosterCommand(CLI::App& app, CommandContext& ctx);
void AddImportCommand(CLI::App& app, CommandContext& ctx);
void AddDevCertsCommand(CLI::App& app, CommandContext& ctx);
// `pass render` and `pass inspect`.
void AddPassCommands(CLI::App& app, CommandContext& ctx);
void AddMailCommands(CLI::App& app, CommandContext& ctx);
// `user add|passwd|role|disable|list`: staff accounts of the admin app (docs/ADMIN.md).
void AddUserCommands(CLI::App& app, CommandContext& ctx);
// `config keys` (the reference of docs/CONFIG.md) and `config check`.
void AddConfigCommands(CLI::App& app, CommandContext& ctx);
// `serve`: the PassKit web service.
void AddServeCommand(CLI::App& app, CommandContext& ctx);
void AddBenchSignCommand(CLI::App& bench, CommandContext& ctx);  // under `bench`

}  // namespace passledger::tools

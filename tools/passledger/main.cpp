// passledger: the command-line entry point. Global options, then one subcommand.
#include <fmt/core.h>

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "events/data_dir.h"

#include "tools/passledger/commands.h"

int main(int argc, char** argv) {
  using namespace passledger::tools;
  // Everything this process creates (data directory, keys, rendered passes with their
  // tokens, exports, backups) is private to its owner: directories 0700, files 0600.
  ::umask(077);
  // The master key leaves the environment before any thread starts (a malformed value is
  // reported by the first command that needs the key).
  passledger::events::KeepEnvironmentMasterKey();
  CLI::App app{"PassLedger: Apple Wallet membership passes with a verifiable event log"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  CommandContext ctx;
  app.add_option("--data", ctx.data_dir, "Data directory")->default_str("./data");
  app.add_option("--config", ctx.config_file, "Configuration file (TOML, docs/CONFIG.md)")
      ->envname("PASSLEDGER_CONFIG");
  AddAppendCommand(app, ctx);
  AddLogCommand(app, ctx);
  AddDeviceLogsCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddExportCommand(app, ctx);
  AddBackupCommands(app, ctx);
  AddDigestCommand(app, ctx);
  AddForgetCommand(app, ctx);
  AddPushCommand(app, ctx);
  AddRebuildCommand(app, ctx);
  AddStateCommand(app, ctx);
  AddImportCommand(app, ctx);
  AddGenRosterCommand(app, ctx);
  AddDevCertsCommand(app, ctx);
  AddServeCommand(app, ctx);
  AddPassCommands(app, ctx);
  AddMailCommands(app, ctx);
  AddUserCommands(app, ctx);
  AddConfigCommands(app, ctx);
  AddBenchCommand(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? kExitOk : kExitRejected;
  } catch (const std::exception& e) {
    fmt::print(stderr, "passledger: error: {}\n", e.what());
    return kExitError;
  }
  return ctx.exit_status;
}

// `passledger config keys` prints the reference of every configuration key (the table in
// docs/CONFIG.md); `passledger config check` loads the configuration and reports the first
// problem, so a typo is found before a deploy.
#include <fmt/core.h>

#include "tools/passledger/cli_support.h"

namespace passledger::tools {

void AddConfigCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* config = app.add_subcommand("config", "The configuration file and its keys");
  config->require_subcommand(1);
  config->add_subcommand("keys", "Every key with its default and environment variable (Markdown)")
      ->callback([] { fmt::print("{}", ConfigReferenceMarkdown()); });
  config->add_subcommand("check", "Load --config (and the environment) and report problems")
      ->callback([&ctx] {
        if (LoadContextConfig(ctx)) {
          fmt::print("configuration ok{}\n",
                     ctx.config_file ? " (" + ctx.config_file->string() + ")" : " (defaults)");
        }
      });
}

}  // namespace passledger::tools

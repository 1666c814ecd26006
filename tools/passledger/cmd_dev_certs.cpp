// `passledger dev-certs`: makes (or reuses) throwaway development certificates, so that
// passes can be signed and verified locally without an Apple developer account.
#include <fmt/core.h>

#include <memory>
#include <string>

#include "signer/dev_certs.h"
#include "signer/pass_input.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct DevCertsOptions {
  std::string out;  // empty: <data dir>/dev-certs
  std::string pass_type_id = signer::PassTypeConfig{}.pass_type_id;
  std::string team_id = signer::PassTypeConfig{}.team_id;
  bool fresh = false;
};

void Run(const DevCertsOptions& options, CommandContext& ctx) {
  const std::filesystem::path dir =
      options.out.empty() ? ctx.data_dir / "dev-certs" : std::filesystem::path(options.out);
  auto files = options.fresh
                   ? signer::MakeDevCertificates(dir, options.pass_type_id, options.team_id)
                   : signer::EnsureDevCertificates(dir, options.pass_type_id, options.team_id);
  if (!files) {
    ctx.exit_status = ReportError("dev-certs", files.error());
    return;
  }
  fmt::print("root CA:           {}\n", files->root_ca.string());
  fmt::print("WWDR stand-in:     {}\n", files->wwdr.string());
  fmt::print("pass certificate:  {}  (UID {}, OU {})\n", files->certificate.string(),
             options.pass_type_id, options.team_id);
  fmt::print("pass key:          {}  (unencrypted, mode 0600)\n", files->key.string());
  fmt::print(
      "\nNOTICE: these are throwaway DEVELOPMENT certificates. Passes signed with them verify "
      "with\nOpenSSL (openssl cms -verify -binary -inform DER -in signature -content "
      "manifest.json\n-CAfile {}) but will NOT install on an iPhone, which trusts only Apple's "
      "WWDR.\nFor real passes use a Pass Type ID certificate from Apple (docs/CERTIFICATES.md).\n",
      files->root_ca.string());
}

}  // namespace

void AddDevCertsCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<DevCertsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dev-certs", "Make throwaway development certificates (they do not work on an iPhone)");
  cmd->add_option("--out", options->out, "Directory for the PEM files")
      ->default_str("<data dir>/dev-certs");
  cmd->add_option("--pass-type-id", options->pass_type_id, "Pass type id (certificate UID)")
      ->capture_default_str();
  cmd->add_option("--team-id", options->team_id, "Team id (certificate OU)")->capture_default_str();
  cmd->add_flag("--new", options->fresh,
                "Make new certificates even if usable ones exist (passes signed before stay "
                "verifiable only with the old root)");
  cmd->callback([options, &ctx] { Run(*options, ctx); });
}

}  // namespace passledger::tools

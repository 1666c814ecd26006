// `passledger pass render` writes the signed .pkpass of a member's passes (or of one serial,
// or of every pass); `passledger pass inspect FILE` checks a .pkpass: its pass.json, every
// manifest hash and the signature (against --ca). Both work beside a running server.
// `passledger pass revoke-token --serial S` gives the pass a new authentication token (through
// the running server when there is one). `passledger pass link --serial S` prints a new
// download link for the pass (read-only; the link the server serves under /p/).
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "events/data_dir.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/templates/template_service.h"
#include "handlers/passes/pass_links.h"
#include "handlers/passes/pass_tokens.h"
#include "projections/read_model.h"
#include "signer/pkpass_inspect.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/mail_setup.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

namespace fs = std::filesystem;

struct RenderArgs {
  std::string member;
  std::string serial;
  bool all = false;
  std::string out;
};

// A pass carries its authentication token: written 0600, whatever the umask.
Result<void> WriteFile(const fs::path& path, std::string_view bytes) {
  return passledger::WriteFileAtomically(path, bytes, 0600);
}

// Where a pass goes: --out as the file for a single pass, else as a directory.
fs::path Destination(const RenderArgs& args, const handlers::LatestPass& pass, bool single) {
  const std::string name = pass.serial + ".pkpass";
  if (args.out.empty()) return single ? fs::path(name) : fs::path("passes") / name;
  return single ? fs::path(args.out) : fs::path(args.out) / name;
}

Result<std::vector<handlers::LatestPass>> Collect(const RenderArgs& args,
                                                  const handlers::PassBundles& bundles,
                                                  const projections::ReadModel& read) {
  if (!args.serial.empty()) {
    auto one = bundles.ForSerial(args.serial);
    if (!one) return one.error();
    return std::vector<handlers::LatestPass>{std::move(*one)};
  }
  if (!args.member.empty()) return bundles.ForMember(args.member);
  std::vector<std::string> ids;
  auto scanned = read.ScanMemberSummaries([&](const projections::MemberSummary& member) {
    if (member.enrolled && !member.forgotten) ids.push_back(member.membership_id);
    return true;
  });
  if (!scanned) return scanned.error();
  std::vector<handlers::LatestPass> out;
  for (const auto& id : ids) {
    auto passes = bundles.ForMember(id);
    if (!passes && passes.error().code == ErrorCode::kFailedPrecondition) continue;  // forgotten
    if (!passes) return passes.error();
    for (auto& pass : *passes) out.push_back(std::move(pass));
  }
  return out;
}

void Render(const RenderArgs& args, CommandContext& ctx) {
  if (static_cast<int>(!args.member.empty()) + static_cast<int>(!args.serial.empty()) +
          static_cast<int>(args.all) !=
      1) {
    ctx.exit_status = ReportError(
        "pass render",
        MakeError(ErrorCode::kInvalidArgument, "give one of --member, --serial, --all"));
    return;
  }
  auto config = LoadContextConfig(ctx);
  if (!config) return;
  auto log = OpenLog(ctx, /*read_only=*/true, /*with_projections=*/true);
  if (!log) return;
  auto setup = SetUpPasses(*config, ctx.data_dir, *log);
  if (!setup) {
    ctx.exit_status = ReportError("pass render", setup.error());
    return;
  }
  const projections::ReadModel read(log.projections.get());
  // Passes as the server makes them: with the published template, if one was.
  auto published = handlers::UsePublishedTemplate(handlers::TemplateStore(ctx.data_dir / "templates"),
                                                  read, &setup->factory, &setup->warnings);
  if (!published) {
    ctx.exit_status = ReportError("pass render: published template", published.error());
    return;
  }
  for (const auto& warning : setup->warnings)
    fmt::print(stderr, "passledger: warning: {}\n", warning);
  const handlers::PassBundles bundles(&read, {setup->factory});
  auto passes = Collect(args, bundles, read);
  if (!passes) {
    ctx.exit_status = ReportError("pass render", passes.error());
    return;
  }
  const bool single = passes->size() == 1 && !args.all;
  if (!single) {
    std::error_code ec;
    fs::create_directories(args.out.empty() ? fs::path("passes") : fs::path(args.out), ec);
  }
  for (const auto& pass : *passes) {
    const fs::path path = Destination(args, pass, single);
    if (auto written = WriteFile(path, *pass.bundle); !written) {
      ctx.exit_status = ReportError("pass render", written.error());
      return;
    }
    fmt::print("{}\t{}\t{} bytes\n", pass.serial, path.string(), pass.bundle->size());
  }
  if (passes->empty()) fmt::print(stderr, "passledger: pass render: no passes\n");
}

struct InspectArgs {
  std::string file;
  std::string ca;
};

void Inspect(const InspectArgs& args, CommandContext& ctx) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    ctx.exit_status =
        ReportError("pass inspect", MakeError(ErrorCode::kNotFound, "cannot read " + args.file));
    return;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::optional<fs::path> ca;
  if (!args.ca.empty()) ca = args.ca;
  auto report = signer::InspectPkpass(bytes, ca);
  if (!report) {
    ctx.exit_status = ReportError("pass inspect " + args.file, report.error());
    return;
  }
  fmt::print("pass.json:\n{}\n\nfiles:\n", report->pass_json);
  for (const auto& name : report->files) fmt::print("  {}\n", name);
  for (const auto& note : report->notes) fmt::print("{}\n", note);
  fmt::print("signature: {}\n", report->chain_verified       ? "valid, chains to the CA file"
                                : report->signature_verified ? "valid (chain not checked)"
                                                             : "NOT valid");
  for (const auto& problem : report->problems) fmt::print("problem: {}\n", problem);
  fmt::print("{}\n", report->ok() ? "ok" : fmt::format("{} problem(s)", report->problems.size()));
  if (!report->ok()) ctx.exit_status = kExitVerifyFailed;
}

struct RevokeArgs {
  std::string serial;
  std::string reason;
  std::string actor;
};

void PrintRevoked(const RevokeArgs& args, const handlers::TokenRevocation& revoked) {
  fmt::print(
      "revoked the authentication token of pass {}: generation {} -> {} (PassTokenRevoked at "
      "position {}); the old token now gets 401. The member needs the new pass: `passledger "
      "pass render --serial {}` and send it to them (docs/PASSKIT.md)\n",
      args.serial, revoked.previous_generation, revoked.generation, revoked.position,
      args.serial);
}

// Through the running server: POST /admin/api/passes/{serial}/revoke-token.
void RevokeThroughServer(ServerClient& server, const RevokeArgs& args, CommandContext& ctx) {
  NoteActorNotUsed(args.actor);
  auto answer = server.Call(
      boost::beast::http::verb::post,
      "/admin/api/passes/" + PercentEncodeSegment(args.serial) + "/revoke-token",
      {{"reason", args.reason}});
  if (!answer) {
    ctx.exit_status = ReportError("pass revoke-token", answer.error());
    return;
  }
  PrintRevoked(args, {UintOf(*answer, "previousTokenGeneration"),
                      UintOf(*answer, "tokenGeneration"), UintOf(*answer, "position")});
}

void RevokeToken(const RevokeArgs& args, CommandContext& ctx) {
  if (auto server = ServerClient::Connect(ctx.data_dir)) {
    return RevokeThroughServer(*server, args, ctx);
  }
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  const std::string actor = CliActor(args.actor);
  const projections::ReadModel read(log.projections.get());
  auto revoked = handlers::RevokePassToken(*log, read, args.serial, actor, args.reason);
  if (!revoked) {
    ctx.exit_status = ReportError("pass revoke-token", revoked.error());
    return;
  }
  PrintRevoked(args, *revoked);
}

struct LinkArgs {
  std::string serial;
};

// A link to a dead pass would answer 404: refused rather than printed.
Result<std::string> MakeLink(const Config& config, const events::EventLog& log,
                             const projections::ReadModel& read, std::string_view serial) {
  auto pass = read.Pass(serial);
  if (!pass) return pass.error();
  if (!*pass) return MakeError(ErrorCode::kNotFound, "no pass with serial " + std::string(serial));
  if ((*pass)->voided) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + std::string(serial) + " is void: its links answer 404");
  }
  auto links = MakePassLinks(config, log);
  if (!links) return links.error();
  return (*links)->UrlFor(DownloadBaseUrl(config), **pass);
}

void Link(const LinkArgs& args, CommandContext& ctx) {
  auto config = LoadContextConfig(ctx);
  if (!config) return;
  auto log = OpenLog(ctx, /*read_only=*/true, /*with_projections=*/true);
  if (!log) return;
  const projections::ReadModel read(log.projections.get());
  auto url = MakeLink(*config, *log, read, args.serial);
  if (!url) {
    ctx.exit_status = ReportError("pass link", url.error());
    return;
  }
  fmt::print("{}\n", *url);
}

}  // namespace

void AddPassCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* pass = app.add_subcommand("pass", "Render, inspect and link signed passes (.pkpass)");
  pass->require_subcommand(1);

  auto render_args = std::make_shared<RenderArgs>();
  CLI::App* render = pass->add_subcommand(
      "render", "Write the signed .pkpass of a member's passes, one serial, or every pass");
  render->add_option("--member", render_args->member, "Membership id");
  render->add_option("--serial", render_args->serial, "One pass's serial number");
  render->add_flag("--all", render_args->all, "Every pass of every member");
  render->add_option("--out", render_args->out,
                     "File for a single pass; directory for several (default ./passes)");
  render->callback([render_args, &ctx] { Render(*render_args, ctx); });

  auto inspect_args = std::make_shared<InspectArgs>();
  CLI::App* inspect = pass->add_subcommand(
      "inspect", "Print pass.json, check every manifest hash and verify the signature");
  inspect->add_option("FILE", inspect_args->file, "A .pkpass file")->required();
  inspect->add_option("--ca", inspect_args->ca,
                      "CA certificates (PEM) the signature must chain to, e.g. Apple's root or "
                      "<data>/dev-certs/root-ca.pem");
  inspect->callback([inspect_args, &ctx] { Inspect(*inspect_args, ctx); });

  auto revoke_args = std::make_shared<RevokeArgs>();
  CLI::App* revoke = pass->add_subcommand(
      "revoke-token",
      "Revoke a pass's authentication token (a new token generation); the member needs the new "
      "pass");
  revoke->add_option("--serial", revoke_args->serial, "The pass's serial number")->required();
  revoke->add_option("--reason", revoke_args->reason, "Why (recorded in the event)");
  revoke->add_option("--actor", revoke_args->actor, "Actor recorded with the event");
  revoke->callback([revoke_args, &ctx] { RevokeToken(*revoke_args, ctx); });

  auto link_args = std::make_shared<LinkArgs>();
  CLI::App* link = pass->add_subcommand(
      "link", "Print a download link for a pass (<mail.public_url>/p/<id>), as e-mails carry it");
  link->add_option("--serial", link_args->serial, "The pass's serial number")->required();
  link->callback([link_args, &ctx] { Link(*link_args, ctx); });
}

}  // namespace passledger::tools

// `passledger digest`: prints a signed (position, head hash); `--check FILE` proves the log
// still extends an earlier digest.
#include <fmt/core.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "events/digest.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

Result<boost::json::object> ReadDigestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto value = boost::json::parse(text.str(), ec);
  if (ec || !value.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, path + " is not a JSON digest");
  }
  return std::move(value.as_object());
}

void Run(const std::string& check_file, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  if (check_file.empty()) {
    auto digest = events::MakeDigest(*log);
    if (!digest) {
      ctx.exit_status = ReportError("digest", digest.error());
      return;
    }
    fmt::print("{}\n", boost::json::serialize(*digest));
    return;
  }
  auto digest = ReadDigestFile(check_file);
  if (!digest) {
    ctx.exit_status = ReportError("digest --check", digest.error());
    return;
  }
  auto checked = events::CheckDigest(*log, *digest);
  if (!checked) {
    ctx.exit_status = ReportError("digest --check", checked.error());
    return;
  }
  fmt::print("ok: the log (head {}) extends the digest at position {}\n", checked->head,
             checked->position);
}

}  // namespace

void AddDigestCommand(CLI::App& app, CommandContext& ctx) {
  auto check_file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("digest", "Print a signed digest of the log head");
  cmd->add_option("--check", *check_file, "Prove the log extends this earlier digest file");
  cmd->callback([check_file, &ctx] { Run(*check_file, ctx); });
}

}  // namespace passledger::tools

// `passledger import FILE`: the roster import (handlers/import/roster_import.h) from the
// command line — progress on stderr, a summary table and the rejected rows on stdout.
// Exit status 0 on success, 2 when the file is rejected, 1 on an internal error. While the
// server runs, the import is a job of the server (the file sent over the operator socket, its
// progress followed), with the same output and statuses; the actor is then operator:<user>.
#include <fmt/core.h>

#include <filesystem>

#include "base/files.h"
#include "handlers/import/roster_import.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct ImportArgs {
  std::string file;
  bool dry_run = false;
  std::string policy_left;  // empty: the configuration's
  std::string encoding;
  std::string pass_type;
  std::size_t show = 20;
};

// The configuration's [import] table, overridden by the flags that were given.
Result<handlers::ImportConfig> ConfigFrom(const ImportArgs& args, Config config) {
  const std::pair<std::string_view, const std::string*> flags[] = {
      {"import.policy_left", &args.policy_left},
      {"import.encoding", &args.encoding},
      {"pass.type_id", &args.pass_type}};
  for (const auto& [key, value] : flags) {
    if (value->empty()) continue;
    if (auto applied = ApplyConfigValue(config, key, *value); !applied) return applied.error();
  }
  return config.import;
}

void PrintSummary(const handlers::ImportSummary& s, std::size_t show) {
  const auto& c = s.counts;
  fmt::print("import {}{}{}\n", s.import_id, s.resumed ? " (resumed)" : "",
             s.dry_run ? " — dry run, nothing written" : "");
  fmt::print("  {:<22}{:>10}\n", "rows", c.rows);
  fmt::print("  {:<22}{:>10}\n", "memberships", c.memberships);
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"enrolled", c.enrolled},
      {"changed", c.changed},
      {"lapsed", c.lapsed},
      {"reinstated", c.reinstated},
      {"left the roster", c.left},
      {"unchanged", c.unchanged},
      {"rejected memberships", c.rejected_memberships},
      {"rejected rows", c.rejected_rows},
      {"forgotten (skipped)", c.forgotten_skipped},
      {"passes issued", c.passes_issued},
      {"passes revised", c.passes_revised},
      {"passes voided", c.passes_voided},
      {"passes unvoided", c.passes_unvoided},
      {"not e-mailable", c.not_emailable},
  };
  for (const auto& [name, n] : rows) fmt::print("  {:<22}{:>10}\n", name, n);
  fmt::print("  {:<22}{:>10}\n", s.dry_run ? "events (would write)" : "events written", s.events);
  if (!s.left_skipped.empty()) fmt::print("note: {}\n", s.left_skipped);
  if (!s.changes.empty()) {
    fmt::print("{} (first {}):\n", s.dry_run ? "changes" : "changes made", s.changes.size());
    for (const auto& line : s.changes) fmt::print("  {}\n", line);
  }
  if (!s.rejected.empty()) {
    fmt::print("rejected rows ({}):\n", s.rejected.size());
    std::size_t shown = 0;
    for (const auto& r : s.rejected) {
      if (shown++ == show) {
        fmt::print("  … {} more\n", s.rejected.size() - show);
        break;
      }
      fmt::print("  line {}: {}{}{}{}\n", r.line, r.column.empty() ? "" : r.column + ": ", r.reason,
                 r.value.empty() ? "" : " (\"" + r.value + "\")",
                 r.membership_id.empty() ? "" : " [membership " + r.membership_id + "]");
    }
  }
}

// The two progress lines on stderr, fed by the importer (this process) or by the server's job.
class ImportProgressView {
 public:
  explicit ImportProgressView(std::uint64_t size) : size_(size) {}

  void Show(const handlers::ImportProgress& p) {
    using Phase = handlers::ImportProgress::Phase;
    if (p.phase == Phase::kReading) reading_.Update(p.bytes, p.total_bytes);
    if (p.phase != Phase::kReading && !read_done_) {
      reading_.Update(size_, size_);
      reading_.Done();
      read_done_ = true;
    }
    if (p.phase == Phase::kApplying) applying_.Update(p.memberships_done, p.memberships_total);
    if (p.phase == Phase::kDone) applying_.Done();
  }
  void Failed() {
    if (!read_done_) reading_.Done();
  }

 private:
  const std::uint64_t size_;
  ProgressLine reading_{"import: reading (bytes)"};
  ProgressLine applying_{"import: applying (memberships)"};
  bool read_done_ = false;
};

// A failure reported as the direct path reports it: a rejected file exits 2, anything else 1.
void ReportFailure(const Error& error, bool rejected, CommandContext& ctx) {
  ReportError(rejected ? "import: file rejected, nothing written" : "import", error);
  ctx.exit_status = rejected ? kExitRejected : kExitError;
}

bool IsRejection(ErrorCode code) {
  return code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge;
}

// ---- Through the running server (POST /admin/api/operator/import) ----

handlers::ImportProgress ProgressOf(const boost::json::object& o) {
  using Phase = handlers::ImportProgress::Phase;
  const std::string phase = StringOf(o, "phase");
  handlers::ImportProgress p;
  p.phase = phase == "reading" ? Phase::kReading : phase == "applying" ? Phase::kApplying : Phase::kDone;
  p.bytes = UintOf(o, "bytes");
  p.total_bytes = UintOf(o, "totalBytes");
  p.rows = UintOf(o, "rows");
  p.memberships_done = UintOf(o, "membershipsDone");
  p.memberships_total = UintOf(o, "membershipsTotal");
  p.events = UintOf(o, "events");
  return p;
}

// The summary the server's job or dry run answered (handlers::ImportSummaryJson), back into
// the record PrintSummary prints.
handlers::ImportSummary SummaryOf(const boost::json::object& o) {
  handlers::ImportSummary s;
  s.import_id = StringOf(o, "importId");
  s.dry_run = BoolOf(o, "dryRun");
  s.resumed = BoolOf(o, "resumed");
  s.events = UintOf(o, "events");
  s.left_skipped = StringOf(o, "leftSkipped");
  const auto& c = ObjectOf(o, "counts");
  auto& n = s.counts;
  n.rows = UintOf(c, "rows");
  n.memberships = UintOf(c, "memberships");
  n.enrolled = UintOf(c, "enrolled");
  n.changed = UintOf(c, "changed");
  n.lapsed = UintOf(c, "lapsed");
  n.reinstated = UintOf(c, "reinstated");
  n.left = UintOf(c, "left");
  n.unchanged = UintOf(c, "unchanged");
  n.rejected_rows = UintOf(c, "rejectedRows");
  n.rejected_memberships = UintOf(c, "rejectedMemberships");
  n.forgotten_skipped = UintOf(c, "forgottenSkipped");
  n.passes_issued = UintOf(c, "passesIssued");
  n.passes_revised = UintOf(c, "passesRevised");
  n.passes_voided = UintOf(c, "passesVoided");
  n.passes_unvoided = UintOf(c, "passesUnvoided");
  n.not_emailable = UintOf(c, "notEmailable");
  for (const auto& change : ArrayOf(o, "changes")) {
    if (change.is_string()) s.changes.emplace_back(change.as_string());
  }
  for (const auto& item : ArrayOf(o, "rejected")) {
    if (!item.is_object()) continue;
    const auto& r = item.as_object();
    handlers::RejectedRow row;
    row.line = UintOf(r, "line");
    row.column = StringOf(r, "column");
    row.reason = StringOf(r, "reason");
    row.value = StringOf(r, "value");
    row.membership_id = StringOf(r, "membershipId");
    s.rejected.push_back(std::move(row));
  }
  return s;
}

// The next change of the job: one Server-Sent Events answer (event, id, data).
struct JobEvent {
  std::string event;
  std::string revision;
  boost::json::object data;
};

Result<JobEvent> NextJobEvent(ServerClient& server, const std::string& id,
                              const std::string& after) {
  auto answer = server.Send(boost::beast::http::verb::get,
                            "/admin/api/imports/" + PercentEncodeSegment(id) + "/events", {}, {},
                            {{"Last-Event-ID", after}});
  if (!answer) return answer.error();
  if (static_cast<unsigned>(answer->status) / 100 != 2) return ErrorOfAnswer(*answer);
  JobEvent out;
  std::string_view rest = answer->body;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.starts_with("event: ")) out.event = line.substr(7);
    if (line.starts_with("id: ")) out.revision = line.substr(4);
    if (line.starts_with("data: ")) {
      auto data = AnswerObject(ServerAnswer{answer->status, std::string(line.substr(6))});
      if (!data) return data.error();
      out.data = std::move(*data);
    }
  }
  return out;
}

// Follows the job to its end, showing its progress; prints its summary.
void FollowJob(ServerClient& server, const std::string& id, const ImportArgs& args,
               ImportProgressView& progress, CommandContext& ctx) {
  std::string revision = "0";
  for (;;) {
    auto next = NextJobEvent(server, id, revision);
    if (!next) {
      progress.Failed();
      return ReportFailure(next.error(), false, ctx);
    }
    revision = next->revision;
    const auto& job = next->data;
    if (job.contains("progress")) progress.Show(ProgressOf(ObjectOf(job, "progress")));
    if (next->event != "done") continue;
    const std::string state = StringOf(job, "state");
    if (state == "completed" && job.contains("summary")) {
      return PrintSummary(SummaryOf(ObjectOf(job, "summary")), args.show);
    }
    progress.Failed();
    const std::string error = StringOf(job, "error");
    return ReportFailure(
        MakeError(ErrorCode::kInternal,
                  error.empty() ? "import " + id + " ended " + state + " in the server" : error),
        BoolOf(job, "rejected"), ctx);
  }
}

void RunThroughServer(ServerClient& server, const ImportArgs& args, std::uint64_t size,
                      CommandContext& ctx) {
  auto file = ReadSmallFile(args.file, size + 1);
  if (!file) return ReportFailure(file.error(), false, ctx);
  std::vector<std::pair<std::string, std::string>> query = {
      {"file_name", std::filesystem::path(args.file).filename().string()},
      {"show", std::to_string(args.show)}};
  if (args.dry_run) query.emplace_back("dry_run", "1");
  if (!args.policy_left.empty()) query.emplace_back("policy_left", args.policy_left);
  if (!args.encoding.empty()) query.emplace_back("encoding", args.encoding);
  if (!args.pass_type.empty()) query.emplace_back("pass_type", args.pass_type);
  ImportProgressView progress(size);
  auto answer = server.Send(boost::beast::http::verb::post,
                            WithQuery("/admin/api/operator/import", query), std::move(*file),
                            "text/csv");
  if (!answer) {
    progress.Failed();
    return ReportFailure(answer.error(), false, ctx);
  }
  if (static_cast<unsigned>(answer->status) / 100 != 2) {
    progress.Failed();
    const Error error = ErrorOfAnswer(*answer);
    return ReportFailure(error, IsRejection(error.code), ctx);
  }
  auto body = AnswerObject(*answer);
  if (!body) return ReportFailure(body.error(), false, ctx);
  if (args.dry_run) {
    progress.Show({handlers::ImportProgress::Phase::kDone});
    return PrintSummary(SummaryOf(*body), args.show);
  }
  FollowJob(server, StringOf(*body, "id"), args, progress, ctx);
}

// ---- In this process ----

void RunHere(const ImportArgs& args, const handlers::ImportConfig& config, std::uint64_t size,
             CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  ImportProgressView progress(size);
  handlers::ImportOptions options;
  options.file_name = std::filesystem::path(args.file).filename().string();
  options.actor = "system:cli-import";
  options.dry_run = args.dry_run;
  options.preview_changes = args.show;
  options.total_bytes = size;
  options.progress = [&](const handlers::ImportProgress& p) { progress.Show(p); };
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), config);
  auto summary = importer.Run(handlers::FileSource(args.file), options);
  if (!summary) {
    progress.Failed();
    return ReportFailure(summary.error(), IsRejection(summary.error().code), ctx);
  }
  PrintSummary(*summary, args.show);
}

void Run(const ImportArgs& args, CommandContext& ctx) {
  auto base = LoadContextConfig(ctx);
  if (!base) return;
  auto config = ConfigFrom(args, std::move(*base));
  if (!config) {
    ctx.exit_status = ReportError("import", config.error());
    return;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(args.file, ec);
  if (ec) {
    ctx.exit_status = ReportError(
        "import", MakeError(ErrorCode::kInvalidArgument, args.file + ": " + ec.message()));
    return;
  }
  if (auto server = ServerClient::Connect(ctx.data_dir)) {
    return RunThroughServer(*server, args, size, ctx);
  }
  RunHere(args, *config, size, ctx);
}

}  // namespace

void AddImportCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Import a membership roster export (CSV)");
  cmd->add_option("FILE", args->file, "The roster file")->required();
  cmd->add_flag("--dry-run", args->dry_run, "Compute and print the changes; write nothing");
  cmd->add_option("--policy-left", args->policy_left,
                  "Memberships absent from the file: keep their passes, or void them")
      ->check(CLI::IsMember({"keep", "void"}));
  cmd->add_option("--encoding", args->encoding,
                  "utf-8, windows-1252 or latin-1 (default: import.encoding, utf-8)");
  cmd->add_option("--pass-type", args->pass_type, "Pass type id of new passes");
  cmd->add_option("--show", args->show, "Changes and rejected rows to print")->default_val(20);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools

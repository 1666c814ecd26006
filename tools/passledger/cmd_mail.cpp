// `passledger mail …` (docs/EMAIL.md):
//   send (--member ID… | --never-sent) [--resend]  asks for e-mails of memberships' passes
//       (handlers/mail/mail_requests.h). The recipient is always the member's address from the
//       views. A refused member is reported with its reason and makes the exit status 2; the
//       others are still requested. Through the running server when there is one.
//   dispatch  sends every e-mail due now and exits (installations without a running server,
//       tests); retries not yet due are left for later and said.
//   preview --member ID  prints the member's message exactly as it would be sent.
#include <fmt/core.h>

#include <boost/json/serialize.hpp>
#include <cstdio>

#include "handlers/mail/mail_dispatcher.h"
#include "handlers/mail/mail_requests.h"
#include "mail/message.h"
#include "projections/read_model.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/mail_setup.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct SendArgs {
  std::vector<std::string> members;
  bool never_sent = false;
  bool resend = false;
  std::string actor;
};

void PrintOutcome(const handlers::MailRequestOutcome& outcome, CommandContext& ctx) {
  if (outcome.queued) {
    fmt::print("{}: e-mail requested for {} pass(es) (PassEmailRequested at position {})\n",
               outcome.membership_id, outcome.serials.size(), outcome.first_position);
    return;
  }
  fmt::print(stderr, "passledger: mail send: {}: refused: {}\n", outcome.membership_id,
             outcome.refusal);
  ctx.exit_status = kExitRejected;
}

void SendToMembers(handlers::MailRequests& requests, const SendArgs& args,
                   const handlers::MailRequestOptions& options, CommandContext& ctx) {
  for (const std::string& member : args.members) {
    auto outcome = requests.RequestMember(member, options);
    if (!outcome) {
      ctx.exit_status = ReportError("mail send", outcome.error());
      if (outcome.error().code != ErrorCode::kNotFound) return;  // storage: stop here
      continue;
    }
    PrintOutcome(*outcome, ctx);
  }
}

void SendNeverSent(handlers::MailRequests& requests, const handlers::MailRequestOptions& options,
                   CommandContext& ctx) {
  auto bulk = requests.RequestNeverSent(options);
  if (!bulk) {
    ctx.exit_status = ReportError("mail send", bulk.error());
    return;
  }
  std::uint64_t skipped = 0;
  for (const auto& [reason, count] : bulk->skipped) skipped += count;
  fmt::print("e-mail requested for {} member(s), {} pass(es); {} active member(s) skipped\n",
             bulk->queued, bulk->passes, skipped);
  for (const auto& [reason, count] : bulk->skipped) fmt::print("  skipped {}: {}\n", count, reason);
}

// Through the running server: POST /admin/api/members/{id}/email for each member, or
// POST /admin/api/emails {neverSent: true}; the same lines and statuses as without it.
void SendMembersThroughServer(ServerClient& server, const SendArgs& args, CommandContext& ctx) {
  for (const std::string& member : args.members) {
    auto answer = server.Send(boost::beast::http::verb::post,
                              "/admin/api/members/" + PercentEncodeSegment(member) + "/email",
                              boost::json::serialize(boost::json::object{{"resend", args.resend}}),
                              "application/json");
    if (!answer) {
      ctx.exit_status = ReportError("mail send", answer.error());
      return;
    }
    const auto code = answer->status;
    auto body = AnswerObject(*answer);
    if (code == boost::beast::http::status::unprocessable_entity && body) {
      handlers::MailRequestOutcome refused;
      refused.membership_id = member;
      refused.refusal = StringOf(*body, "error");
      PrintOutcome(refused, ctx);
      continue;
    }
    if (static_cast<unsigned>(code) / 100 != 2 || !body) {
      const Error error = body ? ErrorOfAnswer(*answer) : body.error();
      ctx.exit_status = ReportError("mail send", error);
      if (error.code != ErrorCode::kNotFound) return;  // storage: stop here
      continue;
    }
    handlers::MailRequestOutcome outcome;
    outcome.membership_id = member;
    outcome.queued = true;
    for (const auto& serial : ArrayOf(*body, "serials")) {
      if (serial.is_string()) outcome.serials.emplace_back(serial.as_string());
    }
    outcome.first_position = UintOf(*body, "position");
    PrintOutcome(outcome, ctx);
  }
}

void SendNeverSentThroughServer(ServerClient& server, CommandContext& ctx) {
  auto answer =
      server.Call(boost::beast::http::verb::post, "/admin/api/emails", {{"neverSent", true}});
  if (!answer) {
    ctx.exit_status = ReportError("mail send", answer.error());
    return;
  }
  fmt::print("e-mail requested for {} member(s), {} pass(es); {} active member(s) skipped\n",
             UintOf(*answer, "queued"), UintOf(*answer, "passes"), UintOf(*answer, "skippedTotal"));
  for (const auto& item : ArrayOf(*answer, "skipped")) {
    if (!item.is_object()) continue;
    fmt::print("  skipped {}: {}\n", UintOf(item.as_object(), "members"),
               StringOf(item.as_object(), "reason"));
  }
}

void RunSend(const SendArgs& args, CommandContext& ctx) {
  if (args.members.empty() == !args.never_sent) {
    ctx.exit_status = ReportError(
        "mail send", MakeError(ErrorCode::kInvalidArgument, "give --member ID… or --never-sent"));
    return;
  }
  if (args.never_sent && args.resend) {
    ctx.exit_status = ReportError(
        "mail send", MakeError(ErrorCode::kInvalidArgument,
                               "--never-sent never re-sends; --resend is for --member"));
    return;
  }
  if (auto server = ServerClient::Connect(ctx.data_dir)) {
    NoteActorNotUsed(args.actor);
    if (args.never_sent) return SendNeverSentThroughServer(*server, ctx);
    return SendMembersThroughServer(*server, args, ctx);
  }
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  handlers::MailRequests requests(log.log.get(), projections::ReadModel(log.projections.get()));
  const handlers::MailRequestOptions options{CliActor(args.actor), args.resend};
  if (args.never_sent) {
    SendNeverSent(requests, options, ctx);
  } else {
    SendToMembers(requests, args, options, ctx);
  }
}

// Everything a message needs, for one command: passes, bundles, links, PassMail, transport.
struct MailContext {
  std::optional<Config> config;
  OpenedLog log;
  std::unique_ptr<projections::ReadModel> read;
  std::unique_ptr<handlers::PassBundles> bundles;
  std::unique_ptr<handlers::PassLinks> links;
  MailSetup mail;
};

bool OpenMail(std::string_view what, CommandContext& ctx, MailContext& m) {
  m.config = LoadContextConfig(ctx);
  if (!m.config) return false;
  m.log = OpenLog(ctx, /*read_only=*/false);
  if (!m.log) return false;
  auto fail = [&](const Error& e) {
    ctx.exit_status = ReportError(what, e);
    return false;
  };
  auto passes = SetUpPasses(*m.config, ctx.data_dir, *m.log);
  if (!passes) return fail(passes.error());
  m.read = std::make_unique<projections::ReadModel>(m.log.projections.get());
  m.bundles = std::make_unique<handlers::PassBundles>(
      m.read.get(), std::vector<std::shared_ptr<const signer::PassFactory>>{passes->factory});
  auto links = MakePassLinks(*m.config, *m.log);
  if (!links) return fail(links.error());
  m.links = std::move(*links);
  auto mail = SetUpMail(*m.config, ctx.data_dir, m.bundles.get(), m.links.get());
  if (!mail) return fail(mail.error());
  m.mail = std::move(*mail);
  return true;
}

void RunDispatch(CommandContext& ctx) {
  MailContext m;
  if (!OpenMail("mail dispatch", ctx, m)) return;
  handlers::MailDispatcher dispatcher(m.log.log.get(), *m.read, m.mail.mail.get(),
                                      m.mail.transport.get(), m.mail.dispatcher);
  auto report = dispatcher.DispatchDue();
  if (!report) {
    ctx.exit_status = ReportError("mail dispatch", report.error());
    return;
  }
  fmt::print("{}\n{} message(s) sent ({} pass(es)), {} failed, {} to be retried\n",
             m.mail.description, report->messages, report->passes_sent, report->failed,
             report->retrying);
  if (report->next_retry_unix_s) {
    fmt::print(
        "the next retry is due at {} (Unix seconds); run `passledger mail dispatch` "
        "again then, or let `passledger serve` do it\n",
        *report->next_retry_unix_s);
  }
  if (report->failed > 0) ctx.exit_status = kExitError;
}

// The member's waiting passes, or else its active ones (what a request would send).
Result<std::vector<projections::PassView>> PreviewPasses(const projections::ReadModel& read,
                                                         std::string_view member,
                                                         std::uint64_t& request_position) {
  auto passes = read.PassesOfMember(member);
  if (!passes) return passes.error();
  std::vector<projections::PassView> waiting, active;
  for (auto& pass : *passes) {
    if (pass.voided) continue;
    if (projections::IsWaiting(pass.email.status)) {
      request_position = request_position == 0 ? pass.email.position : request_position;
      waiting.push_back(pass);
    }
    active.push_back(std::move(pass));
  }
  return waiting.empty() ? active : waiting;
}

void RunPreview(const std::string& member_id, CommandContext& ctx) {
  MailContext m;
  if (!OpenMail("mail preview", ctx, m)) return;
  auto fail = [&](const Error& e) { ctx.exit_status = ReportError("mail preview", e); };
  auto member = m.read->Member(member_id);
  if (!member) return fail(member.error());
  if (!*member) return fail(MakeError(ErrorCode::kNotFound, "no member with id " + member_id));
  std::uint64_t request_position = 0;
  auto passes = PreviewPasses(*m.read, member_id, request_position);
  if (!passes) return fail(passes.error());
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  auto message = m.mail.mail->Build(**member, *passes, request_position, now);
  if (!message) return fail(message.error());
  auto bytes = mail::Compose(*message);
  if (!bytes) return fail(bytes.error());
  std::fwrite(bytes->data(), 1, bytes->size(), stdout);
}

}  // namespace

void AddMailCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* mail = app.add_subcommand("mail", "E-mail members their passes (docs/EMAIL.md)");
  mail->require_subcommand(1);
  auto args = std::make_shared<SendArgs>();
  CLI::App* send = mail->add_subcommand("send", "Ask for e-mails of memberships' passes");
  send->add_option("--member", args->members, "A membership id (repeatable)");
  send->add_flag("--never-sent", args->never_sent,
                 "Every active member with a pass never e-mailed (bulk)");
  send->add_flag("--resend", args->resend, "Also passes already e-mailed (with --member)");
  send->add_option("--actor", args->actor, "Actor recorded with the events");
  send->callback([args, &ctx] { RunSend(*args, ctx); });

  CLI::App* dispatch = mail->add_subcommand("dispatch", "Send every e-mail due now and exit");
  dispatch->callback([&ctx] { RunDispatch(ctx); });

  auto preview_member = std::make_shared<std::string>();
  CLI::App* preview =
      mail->add_subcommand("preview", "Print a member's message exactly as it would be sent");
  preview->add_option("--member", *preview_member, "A membership id")->required();
  preview->callback([preview_member, &ctx] { RunPreview(*preview_member, ctx); });
}

}  // namespace passledger::tools

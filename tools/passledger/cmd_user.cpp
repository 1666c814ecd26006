// `passledger user …` (docs/ADMIN.md, "Accounts"): the staff accounts of the admin app, through
// handlers::StaffAccounts.
//   add NAME --role ROLE [--password-stdin]  creates an account (the first admin is made so)
//   passwd NAME [--password-stdin]           sets a new password and ends the account's sessions
//   role NAME ROLE                           changes the role
//   disable NAME [--reason TEXT]             disables the account and ends its sessions
//   list                                     the accounts as a table (never a hash; read-only)
// A password comes from the first line of standard input with --password-stdin, else it is
// asked for twice on the terminal without echo (refused when standard input is not a
// terminal). The actor recorded is cli:<login name>. Refusals exit 2. While the server runs,
// add, passwd, role and disable go through it (the operator socket: the actor is then
// operator:<unix user>); list reads the data directory beside it.
#include <fmt/core.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "base/time.h"
#include "handlers/staff/staff_accounts.h"
#include "projections/read_model.h"
#include "projections/session_store.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct UserArgs {
  std::string username;
  std::string role;
  std::string reason;
  bool password_stdin = false;
};

// ---- Passwords ------------------------------------------------------------------------------

// The terminal's settings while echo is off, for a signal that ends the process meanwhile.
termios g_saved_terminal;
volatile std::sig_atomic_t g_echo_off = 0;

void RestoreTerminalAndDie(int signal) {
  if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_terminal);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// Turns the terminal's echo off for its lifetime (and back on if SIGINT or SIGTERM come).
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) return;
    termios quiet = g_saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    std::signal(SIGINT, RestoreTerminalAndDie);
    std::signal(SIGTERM, RestoreTerminalAndDie);
    g_echo_off = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_echo_off) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
    g_echo_off = 0;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
};

// One line of standard input without its line end; kInvalidArgument when there is none.
Result<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no password on standard input");
  }
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

Result<std::string> Prompt(std::string_view prompt) {
  EchoOff quiet;  // first: what was typed before the prompt is discarded, not read
  fmt::print(stderr, "{}", prompt);
  std::fflush(stderr);
  auto line = ReadLine();
  fmt::print(stderr, "\n");
  return line;
}

Result<std::string> AskPassword(bool from_stdin) {
  if (from_stdin) return ReadLine();
  if (::isatty(STDIN_FILENO) == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "standard input is not a terminal: give the password with --password-stdin");
  }
  auto first = Prompt("New password (12 characters or more): ");
  if (!first) return first;
  auto second = Prompt("The same again: ");
  if (!second) return second;
  if (*first != *second) {
    return MakeError(ErrorCode::kInvalidArgument, "the two passwords differ; nothing was changed");
  }
  return first;
}

// ---- Commands -------------------------------------------------------------------------------

// The log, the session store and the accounts over them, for one command. Declared in this
// order so that they are destroyed in the other: accounts, sessions, then the log they borrow.
struct Accounts {
  OpenedLog log;
  std::unique_ptr<projections::SessionStore> sessions;
  std::unique_ptr<handlers::StaffAccounts> accounts;
};

bool OpenAccounts(std::string_view what, bool read_only, CommandContext& ctx, Accounts& out) {
  out.log = OpenLog(ctx, read_only, /*with_projections=*/true);
  if (!out.log) return false;
  auto sessions = projections::SessionStore::Open(out.log.log.get());
  if (!sessions) {
    ctx.exit_status = ReportError(what, sessions.error());
    return false;
  }
  out.sessions = std::move(*sessions);
  out.accounts = std::make_unique<handlers::StaffAccounts>(
      out.log.log.get(), projections::ReadModel(out.log.projections.get()), out.sessions.get());
  return true;
}

// The same change as an admin API request, for a running server (the operator socket).
struct ServerRequest {
  boost::beast::http::verb method;
  std::string target;
  boost::json::object body;
};

ServerRequest CreateRequest(const UserArgs& args, const std::string& password) {
  return {boost::beast::http::verb::post, "/admin/api/staff",
          {{"username", args.username}, {"role", args.role}, {"password", password}}};
}

ServerRequest ChangeRequest(const UserArgs& args, boost::json::object body) {
  return {boost::beast::http::verb::patch,
          "/admin/api/staff/" + PercentEncodeSegment(args.username), std::move(body)};
}

// What the lines below need of an answer: {user: {username, role}, position} (created) or
// {username, role} (changed).
handlers::StaffSummary SummaryOf(const boost::json::object& answer) {
  const auto& user = answer.contains("user") ? ObjectOf(answer, "user") : answer;
  handlers::StaffSummary summary;
  summary.username = StringOf(user, "username");
  summary.role = StringOf(user, "role");
  summary.created_position = UintOf(answer, "position");
  return summary;
}

// Runs `change` on freshly opened accounts — or `request` on the running server — and prints
// its line; a refusal exits 2.
template <class Change, class Line>
void RunChange(std::string_view what, CommandContext& ctx, Change change,
               const ServerRequest& request, Line line) {
  if (auto server = ServerClient::Connect(ctx.data_dir)) {
    auto answer = server->Call(request.method, request.target, request.body);
    if (!answer) {
      ctx.exit_status = ReportRefused(what, answer.error());
      return;
    }
    fmt::print("{}\n", line(SummaryOf(*answer)));
    return;
  }
  Accounts a;
  if (!OpenAccounts(what, /*read_only=*/false, ctx, a)) return;
  auto changed = change(*a.accounts, CliActor(""));
  if (!changed) {
    ctx.exit_status = ReportRefused(what, changed.error());
    return;
  }
  fmt::print("{}\n", line(*changed));
}

// RunChange with the password asked for first (AskPassword).
template <class Change, class MakeRequest, class Line>
void RunWithPassword(std::string_view what, const UserArgs& args, CommandContext& ctx,
                     Change change, MakeRequest make_request, Line line) {
  auto password = AskPassword(args.password_stdin);
  if (!password) {
    ctx.exit_status = ReportRefused(what, password.error());
    return;
  }
  RunChange(
      what, ctx,
      [&](handlers::StaffAccounts& accounts, const std::string& actor) {
        return change(accounts, *password, actor);
      },
      make_request(*password), line);
}

void RunAdd(const UserArgs& args, CommandContext& ctx) {
  RunWithPassword(
      "user add", args, ctx,
      [&](handlers::StaffAccounts& accounts, const std::string& password,
          const std::string& actor) {
        return accounts.Create(args.username, args.role, password, actor);
      },
      [&](const std::string& password) { return CreateRequest(args, password); },
      [](const handlers::StaffSummary& s) {
        return fmt::format("{}: created with the role {} (StaffCreated at position {})", s.username,
                           s.role, s.created_position);
      });
}

void RunPasswd(const UserArgs& args, CommandContext& ctx) {
  RunWithPassword(
      "user passwd", args, ctx,
      [&](handlers::StaffAccounts& accounts, const std::string& password,
          const std::string& actor) {
        return accounts.ChangePassword(args.username, password, actor);
      },
      [&](const std::string& password) {
        return ChangeRequest(args, {{"password", password}});
      },
      [](const handlers::StaffSummary& s) {
        return fmt::format("{}: password changed; its sessions are ended", s.username);
      });
}

void RunRole(const UserArgs& args, CommandContext& ctx) {
  RunChange(
      "user role", ctx,
      [&](handlers::StaffAccounts& accounts, const std::string& actor) {
        return accounts.ChangeRole(args.username, args.role, actor);
      },
      ChangeRequest(args, {{"role", args.role}}),
      [](const handlers::StaffSummary& s) {
        return fmt::format("{}: role {}", s.username, s.role);
      });
}

void RunDisable(const UserArgs& args, CommandContext& ctx) {
  RunChange(
      "user disable", ctx,
      [&](handlers::StaffAccounts& accounts, const std::string& actor) {
        return accounts.Disable(args.username, args.reason, actor);
      },
      ChangeRequest(args, {{"disabled", true}, {"reason", args.reason}}),
      [](const handlers::StaffSummary& s) {
        return fmt::format("{}: disabled; its sessions are ended", s.username);
      });
}

std::string Status(const handlers::StaffSummary& s) {
  if (s.forgotten) return "forgotten";
  return s.disabled ? "disabled" : "enabled";
}

void RunList(CommandContext& ctx) {
  Accounts a;
  if (!OpenAccounts("user list", /*read_only=*/true, ctx, a)) return;
  auto list = a.accounts->List();
  if (!list) {
    ctx.exit_status = ReportError("user list", list.error());
    return;
  }
  const std::int64_t now = events::SystemClockMicros();
  constexpr std::string_view kRow = "{:<24} {:<8} {:<9} {:<20} {:>8} {}\n";
  fmt::print(kRow, "USERNAME", "ROLE", "STATUS", "CREATED", "FAILURES", "LOCKED UNTIL");
  for (const auto& s : *list) {
    const std::string locked = s.locked_until_us > now && s.failures > 0
                                   ? FormatTimestamp(s.locked_until_us, Precision::kSeconds)
                                   : "-";
    fmt::print(kRow, s.username, s.role, Status(s),
               FormatTimestamp(s.created_us, Precision::kSeconds), s.failures, locked);
  }
}

}  // namespace

void AddUserCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* user = app.add_subcommand("user", "Staff accounts of the admin app (docs/ADMIN.md)");
  user->require_subcommand(1);
  auto args = std::make_shared<UserArgs>();
  const std::string stdin_help =
      "Read the password from the first line of standard input (else: asked on the terminal)";

  CLI::App* add = user->add_subcommand("add", "Create an account (the first admin, too)");
  add->add_option("name", args->username, "Username: 1-64 of a-z 0-9 . _ -")->required();
  add->add_option("--role", args->role, "admin, staff or auditor")->required();
  add->add_flag("--password-stdin", args->password_stdin, stdin_help);
  add->callback([args, &ctx] { RunAdd(*args, ctx); });

  CLI::App* passwd =
      user->add_subcommand("passwd", "Set a new password (ends the account's sessions)");
  passwd->add_option("name", args->username, "Username")->required();
  passwd->add_flag("--password-stdin", args->password_stdin, stdin_help);
  passwd->callback([args, &ctx] { RunPasswd(*args, ctx); });

  CLI::App* role = user->add_subcommand("role", "Change an account's role");
  role->add_option("name", args->username, "Username")->required();
  role->add_option("role", args->role, "admin, staff or auditor")->required();
  role->callback([args, &ctx] { RunRole(*args, ctx); });

  CLI::App* disable =
      user->add_subcommand("disable", "Disable an account for good (ends its sessions)");
  disable->add_option("name", args->username, "Username")->required();
  disable->add_option("--reason", args->reason, "Why (recorded with the event)");
  disable->callback([args, &ctx] { RunDisable(*args, ctx); });

  CLI::App* list = user->add_subcommand("list", "List the accounts (no password hashes)");
  list->callback([&ctx] { RunList(ctx); });
}

}  // namespace passledger::tools

// SmtpClient (mail/smtp_client.h) against a real SMTP server: tests/testing/smtp_server.py
// (aiosmtpd) started per case as a child process. Each case checks what the server received
// (the exact bytes, and Python's email package's reading of them) or how a refusal is told.
#include "mail/smtp_client.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "base/crypto.h"
#include "mail/message.h"
#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace passledger::mail {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kSourceDir = PASSLEDGER_SOURCE_DIR;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The test certificates (a CA, and a server certificate for 127.0.0.1) in dir/certs.
fs::path MakeCerts(const fs::path& dir) {
  const fs::path certs = dir / "certs";
  auto child = testing::ChildProcess::Start(
      {"/bin/bash", std::string(kSourceDir) + "/tests/testing/make_apns_test_certs.sh",
       certs.string()});
  BOOST_REQUIRE(child.Wait() == 0);
  return certs;
}

// smtp_server.py with the given options, its port, and what it recorded.
class SmtpServer {
 public:
  SmtpServer(const fs::path& dir, std::vector<std::string> options)
      : dir_(dir / "received"), child_(Start(dir, std::move(options))) {
    const fs::path ready = dir / "port";
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!fs::exists(ready) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    BOOST_REQUIRE_MESSAGE(fs::exists(ready), "smtp_server.py did not start (python3-aiosmtpd?)");
    port_ = std::stoi(Slurp(ready));
  }
  ~SmtpServer() {
    child_.CloseStdin();  // it exits when its stdin closes
    child_.Wait();
  }

  std::string url(std::string_view scheme = "smtp") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }
  int connections() const {
    const std::string n = Slurp(dir_ / "connections");
    return n.empty() ? 0 : std::stoi(n);
  }
  bool has_message(int n) const { return fs::exists(Record(n)); }
  std::string message(int n) const { return Slurp(dir_ / ("msg-" + std::to_string(n) + ".eml")); }
  json::object record(int n) const { return json::parse(Slurp(Record(n))).as_object(); }

 private:
  static testing::ChildProcess Start(const fs::path& dir, std::vector<std::string> options) {
    std::vector<std::string> argv = {PASSLEDGER_PYTHON3,
                                     std::string(kSourceDir) + "/tests/testing/smtp_server.py",
                                     "--dir",
                                     (dir / "received").string(),
                                     "--ready-file",
                                     (dir / "port").string()};
    argv.insert(argv.end(), options.begin(), options.end());
    return testing::ChildProcess::Start(argv);
  }
  fs::path Record(int n) const { return dir_ / ("msg-" + std::to_string(n) + ".json"); }

  fs::path dir_;
  testing::ChildProcess child_;
  int port_ = 0;
};

std::unique_ptr<SmtpClient> MakeClient(SmtpOptions options) {
  options.connect_timeout = 5s;
  options.timeout = 20s;
  auto client = SmtpClient::Create(std::move(options));
  BOOST_REQUIRE_MESSAGE(client, client.error().ToString());
  return std::move(*client);
}

SmtpOptions Plain(const SmtpServer& server) {
  SmtpOptions o;
  o.url = server.url();
  o.tls = SmtpTls::kNone;
  o.helo_domain = "passledger.test";
  return o;
}

Message Sample(std::string_view to, int n) {
  Message m;
  m.from = {"members@garden.example", "Garden Friends"};
  m.to = {std::string(to), "Zoë Núñez"};
  m.subject = "Deine Mitgliedskarte, Zoë Núñez";
  m.date_unix_s = 1700000000 + n;
  m.message_id = "pl-" + std::to_string(n) + "@garden.example";
  m.list_unsubscribe = "<mailto:unsubscribe@garden.example>";
  m.text = "Hallo Zoë,\n.\n..a line starting with dots\nThe card is attached. = ok   \n";
  m.html = "<p>Hallo Zo&euml;</p>";
  std::string bytes;
  for (int i = 0; i < 3000; ++i) bytes += static_cast<char>((i * 31 + n) % 256);
  m.attachments.push_back({"Mitgliedskarte Núñez.pkpass", "application/vnd.apple.pkpass", bytes});
  return m;
}

std::string ComposeOk(const Message& m) {
  auto bytes = Compose(m);
  BOOST_REQUIRE_MESSAGE(bytes, bytes.error().ToString());
  return *bytes;
}

std::string WithoutCr(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c != '\r') out += c;
  }
  return out;
}

BOOST_AUTO_TEST_SUITE(smtp_client)

BOOST_AUTO_TEST_CASE(a_message_arrives_byte_for_byte_and_python_parses_it) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {});
  auto client = MakeClient(Plain(server));
  const Message m = Sample("zoe@example.org", 1);
  const std::string bytes = ComposeOk(m);
  const SendOutcome outcome = client->Send("bounces@garden.example", "zoe@example.org", bytes);
  BOOST_REQUIRE_MESSAGE(outcome.delivered, outcome.reason);
  BOOST_TEST(outcome.reply.code == 250);
  BOOST_TEST(outcome.reply.text == "2.0.0 Ok: queued as M1");
  BOOST_TEST(server.message(1) == bytes);  // dot-stuffing undone by the server

  const json::object record = server.record(1);
  BOOST_TEST(record.at("mail_from").as_string() == "bounces@garden.example");
  BOOST_TEST(record.at("rcpt_tos").as_array() == json::array({"zoe@example.org"}));
  BOOST_REQUIRE_MESSAGE(record.contains("parsed"), json::serialize(record));
  const json::object& parsed = record.at("parsed").as_object();
  BOOST_TEST(parsed.at("defects").as_array().empty(), json::serialize(parsed.at("defects")));
  const json::object& headers = parsed.at("headers").as_object();
  BOOST_TEST(headers.at("Subject").as_string() == m.subject);
  BOOST_TEST(headers.at("Message-ID").as_string() == "<pl-1@garden.example>");
  BOOST_TEST(headers.at("Date").as_string() == "Tue, 14 Nov 2023 22:13:21 +0000");
  BOOST_TEST(headers.at("List-Unsubscribe").as_string() == m.list_unsubscribe);
  const json::object& to = parsed.at("mailboxes").at("To").as_object();
  BOOST_TEST(to.at("name").as_string() == "Zoë Núñez");
  BOOST_TEST(to.at("address").as_string() == "zoe@example.org");
  BOOST_TEST(parsed.at("mailboxes").at("From").at("name").as_string() == "Garden Friends");

  const json::array& parts = parsed.at("parts").as_array();
  BOOST_REQUIRE(parts.size() == 5u);
  const char* types[] = {"multipart/mixed", "multipart/alternative", "text/plain", "text/html",
                         "application/vnd.apple.pkpass"};
  for (std::size_t i = 0; i < 5; ++i) BOOST_TEST(parts[i].at("type").as_string() == types[i]);
  BOOST_TEST(parts[2].at("charset").as_string() == "utf-8");
  BOOST_TEST(WithoutCr(parts[2].at("text").as_string()) == m.text);
  BOOST_TEST(parts[3].at("text").as_string() == m.html);
  BOOST_TEST(parts[4].at("filename").as_string() == "Mitgliedskarte Núñez.pkpass");
  BOOST_TEST(parts[4].at("sha256").as_string() == ToHex(Sha256(m.attachments[0].bytes)));
}

BOOST_AUTO_TEST_CASE(consecutive_messages_share_one_connection) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {});
  auto client = MakeClient(Plain(server));
  for (int n = 1; n <= 3; ++n) {
    const auto outcome = client->Send("bounces@garden.example", "zoe@example.org",
                                      ComposeOk(Sample("zoe@example.org", n)));
    BOOST_REQUIRE_MESSAGE(outcome.delivered, outcome.reason);
    BOOST_TEST(outcome.reply.text == "2.0.0 Ok: queued as M" + std::to_string(n));
  }
  BOOST_TEST(server.connections() == 1);
  for (int n = 1; n <= 3; ++n) BOOST_TEST(server.record(n).at("connection").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(scripted_refusals_451_is_temporary_550_is_not_and_the_next_send_works) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {"--rcpt-reply", "busy@example.org=451", "--rcpt-reply",
                                 "nobody@example.org=550"});
  auto client = MakeClient(Plain(server));
  const std::string bytes = ComposeOk(Sample("zoe@example.org", 1));
  const auto busy = client->Send("bounces@garden.example", "busy@example.org", bytes);
  BOOST_TEST(!busy.delivered);
  BOOST_TEST(busy.temporary);
  BOOST_TEST(busy.reply.code == 451);
  BOOST_TEST(busy.reason ==
             "the server refused the recipient (RCPT TO): 451 4.7.1 Try again later");

  const auto nobody = client->Send("bounces@garden.example", "nobody@example.org", bytes);
  BOOST_TEST(!nobody.delivered);
  BOOST_TEST(!nobody.temporary);
  BOOST_TEST(nobody.reply.code == 550);
  BOOST_TEST(nobody.reason.find("RCPT TO): 550 5.1.1 No such user here") != std::string::npos,
             nobody.reason);

  const auto ok = client->Send("bounces@garden.example", "zoe@example.org", bytes);
  BOOST_REQUIRE_MESSAGE(ok.delivered, ok.reason);
  BOOST_TEST(server.message(1) == bytes);
  BOOST_TEST(!server.has_message(2));
}

BOOST_AUTO_TEST_CASE(starttls_required_but_not_offered_is_a_permanent_configuration_error) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {});
  SmtpOptions options = Plain(server);
  options.tls = SmtpTls::kStartTls;
  auto client = MakeClient(options);
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org",
                                    ComposeOk(Sample("zoe@example.org", 1)));
  BOOST_TEST(!outcome.delivered);
  BOOST_TEST(!outcome.temporary);
  BOOST_TEST(outcome.reason.find("does not offer STARTTLS") != std::string::npos, outcome.reason);
  BOOST_TEST(!server.has_message(1));
}

BOOST_AUTO_TEST_CASE(auth_after_starttls_delivers) {
  testing::TempDir tmp;
  const fs::path certs = MakeCerts(tmp.path());
  SmtpServer server(tmp.path(),
                    {"--starttls", (certs / "server.pem").string(), (certs / "server.key").string(),
                     "--auth", "mailer:s3cret!", "--auth-require-tls"});
  SmtpOptions options = Plain(server);
  options.tls = SmtpTls::kStartTls;
  options.ca_file = (certs / "ca.pem").string();
  options.username = "mailer";
  options.password = "s3cret!";
  auto client = MakeClient(options);
  const std::string bytes = ComposeOk(Sample("zoe@example.org", 1));
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org", bytes);
  BOOST_REQUIRE_MESSAGE(outcome.delivered, outcome.reason);
  const auto record = server.record(1);
  BOOST_TEST(record.at("tls").as_bool());
  BOOST_TEST(record.at("authenticated").as_bool());
  BOOST_TEST(server.message(1) == bytes);
}

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_a_temporary_tls_failure) {
  testing::TempDir tmp;
  const fs::path certs = MakeCerts(tmp.path());
  SmtpServer server(
      tmp.path(), {"--starttls", (certs / "server.pem").string(), (certs / "server.key").string()});
  SmtpOptions options = Plain(server);
  options.tls = SmtpTls::kStartTls;  // and the test CA not trusted
  auto client = MakeClient(options);
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org",
                                    ComposeOk(Sample("zoe@example.org", 1)));
  BOOST_TEST(!outcome.delivered);
  BOOST_TEST(outcome.temporary);
  BOOST_TEST(outcome.reason.find("TLS with " + server.url() + " failed") != std::string::npos,
             outcome.reason);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_is_refused_and_never_repeated) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {"--auth", "mailer:right-one"});  // AUTH in clear allowed
  SmtpOptions options = Plain(server);
  options.username = "mailer";
  options.password = "Wr0ng-Pa55word";
  auto client = MakeClient(options);
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org",
                                    ComposeOk(Sample("zoe@example.org", 1)));
  BOOST_TEST(!outcome.delivered);
  BOOST_TEST(!outcome.temporary);
  BOOST_TEST(outcome.reply.code == 535);
  // The search would find the password if it were there: it finds the user name.
  BOOST_TEST(outcome.reason.find("authentication as \"mailer\" failed: 535") != std::string::npos,
             outcome.reason);
  BOOST_TEST(outcome.reason.find("Wr0ng-Pa55word") == std::string::npos, outcome.reason);
  BOOST_TEST(!server.has_message(1));
}

BOOST_AUTO_TEST_CASE(smtps_delivers_over_tls_from_the_first_byte) {
  testing::TempDir tmp;
  const fs::path certs = MakeCerts(tmp.path());
  SmtpServer server(tmp.path(), {"--implicit-tls", (certs / "server.pem").string(),
                                 (certs / "server.key").string()});
  SmtpOptions options = Plain(server);
  options.url = server.url("smtps");
  options.tls = SmtpTls::kSmtps;
  options.ca_file = (certs / "ca.pem").string();
  auto client = MakeClient(options);
  const std::string bytes = ComposeOk(Sample("zoe@example.org", 1));
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org", bytes);
  BOOST_REQUIRE_MESSAGE(outcome.delivered, outcome.reason);
  BOOST_TEST(server.record(1).at("tls").as_bool());
  BOOST_TEST(server.message(1) == bytes);
}

BOOST_AUTO_TEST_CASE(nothing_listening_is_temporary) {
  // A port that was free a moment ago: bound by a server that then stopped.
  std::string url;
  {
    testing::TempDir tmp;
    SmtpServer server(tmp.path(), {});
    url = server.url();
  }
  SmtpOptions options;
  options.url = url;
  options.tls = SmtpTls::kNone;
  auto client = MakeClient(options);
  const auto outcome = client->Send("bounces@garden.example", "zoe@example.org", "x\r\n");
  BOOST_TEST(!outcome.delivered);
  BOOST_TEST(outcome.temporary);
  BOOST_TEST(outcome.reply.code == 0);
  BOOST_TEST(outcome.reason.find("cannot connect to " + url) != std::string::npos, outcome.reason);
}

BOOST_AUTO_TEST_CASE(bad_envelope_addresses_are_refused_before_connecting) {
  testing::TempDir tmp;
  SmtpServer server(tmp.path(), {});
  auto client = MakeClient(Plain(server));
  const auto injected = client->Send("bounces@garden.example", "a@b.example\r\nRCPT TO:<x@y>", "x");
  BOOST_TEST(!injected.delivered);
  BOOST_TEST(!injected.temporary);
  BOOST_TEST(injected.reason == "recipient contains a line break or control character");
  const auto sender = client->Send("", "a@b.example", "x");
  BOOST_TEST(sender.reason == "envelope sender no e-mail address");
  BOOST_TEST(server.connections() == 0);
}

BOOST_AUTO_TEST_CASE(create_refuses_options_that_cannot_work) {
  const struct {
    const char* url;
    void (*change)(SmtpOptions&);
    std::string message;
  } cases[] = {
      {"http://x.example", nullptr, "must start with smtp:// or smtps://"},
      {"smtps://x.example", nullptr, "an smtps:// url needs tls = smtps"},
      {"smtp://x.example", [](SmtpOptions& o) { o.tls = SmtpTls::kSmtps; },
       "tls = smtps needs an smtps:// url"},
      {"smtp://", nullptr, "has no host"},
      {"smtp://u:p@x.example", nullptr, "must not hold credentials"},
      {"smtp://x.example/helo", nullptr, "must not have a path"},
      {"smtp://x.example", [](SmtpOptions& o) { o.password = "p"; }, "password without"},
      {"smtp://x.example", [](SmtpOptions& o) { o.helo_domain = "a b"; }, "helo_domain"},
      {"smtp://x.example", [](SmtpOptions& o) { o.timeout = std::chrono::seconds(0); }, "timeouts"},
  };
  for (const auto& c : cases) {
    SmtpOptions options;
    options.url = c.url;
    if (c.change != nullptr) c.change(options);
    const auto got = SmtpClient::Create(options);
    BOOST_TEST_CONTEXT(c.url << " " << c.message) {
      BOOST_REQUIRE(!got);
      BOOST_TEST((got.error().code == ErrorCode::kInvalidArgument));
      BOOST_TEST(got.error().message.find(c.message) != std::string::npos, got.error().message);
    }
  }
  SmtpOptions fine;
  fine.url = "smtp://x.example:587/";
  BOOST_TEST(SmtpClient::Create(fine).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::mail

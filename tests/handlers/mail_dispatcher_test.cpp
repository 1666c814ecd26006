// The e-mail dispatcher with real transports: the .eml outbox (files a mail client opens) and
// an SMTP client pointed at a port nobody listens on (a real refused connection). One message
// per member carries all of its waiting passes; outcomes are recorded on every pass; temporary
// failures wait out the retry schedule and end as failed after max_attempts; nothing is sent
// twice.
#include "handlers/mail/mail_dispatcher.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "events/catalogue.h"
#include "handlers/mail/mail_requests.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/files.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

namespace fs = std::filesystem;
using passledger::testing::DevPassFactory;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using projections::EmailStatus;

constexpr std::string_view kFamily = "8-10000001";  // two cardholders, avery.quill@example.org

class Fixture {
 public:
  Fixture()
      : log_(ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        bundles_(&read_, {DevPassFactory(dir_.path() / "certs")}),
        links_(std::string(32, 'k'), std::chrono::days(0)) {
    passledger::testing::ImportRoster(*log_, SampleRoster());
    PassMailOptions options;
    options.from = mail::Mailbox{"members@garden.example", "Botanical Garden"};
    options.public_url = "https://passes.garden.example";
    auto loaded = PassMail::Load(signer::DefaultTemplateDir(), &bundles_, &links_, options);
    BOOST_TEST_REQUIRE(Succeeded(loaded));
    mail_ = std::make_unique<PassMail>(std::move(*loaded));
  }

  void Request(std::string_view member) {
    MailRequests requests(&log_->log(), read_);
    auto outcome = requests.RequestMember(member, MailRequestOptions{"staff:test", false});
    BOOST_TEST_REQUIRE(Succeeded(outcome));
    BOOST_TEST_REQUIRE(outcome->queued);
  }

  std::vector<projections::PassView> Passes(std::string_view member) {
    auto passes = read_.PassesOfMember(member);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    return *passes;
  }

  std::vector<fs::path> Outbox() const {
    std::vector<fs::path> files;
    if (!fs::exists(outbox_)) return files;
    for (const auto& entry : fs::directory_iterator(outbox_)) files.push_back(entry.path());
    return files;
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
  PassBundles bundles_;
  PassLinks links_;
  std::unique_ptr<PassMail> mail_;
  const fs::path outbox_ = dir_.path() / "outbox";
};

BOOST_FIXTURE_TEST_SUITE(mail_dispatcher, Fixture)

BOOST_AUTO_TEST_CASE(one_message_per_member_written_to_the_outbox_and_recorded_on_each_pass) {
  Request(kFamily);
  OutboxTransport outbox(outbox_);
  MailDispatcher dispatcher(&log_->log(), read_, mail_.get(), &outbox, {});
  BOOST_TEST(Outbox().empty());  // the check below sees files only once they are written
  auto report = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->messages == 1u);
  BOOST_TEST(report->passes_sent == 2u);
  const auto files = Outbox();
  BOOST_TEST_REQUIRE(files.size() == 1u);
  const std::string eml = passledger::testing::ReadAll(files[0]);
  BOOST_TEST(eml.find("To: Avery Quill <avery.quill@example.org>") != std::string::npos);
  BOOST_TEST(eml.find("application/vnd.apple.pkpass") != std::string::npos);
  BOOST_TEST(eml.find("https://passes.garden.example/p/") != std::string::npos);
  for (const auto& pass : Passes(kFamily)) {
    BOOST_TEST((pass.email.status == EmailStatus::kSent));
    BOOST_TEST(eml.find("Message-ID: <" + pass.email.message_id + ">") != std::string::npos);
  }
  auto waiting = read_.EmailsWaiting(0, 10);
  BOOST_TEST_REQUIRE(Succeeded(waiting));
  BOOST_TEST(waiting->empty());

  // Nothing is sent twice.
  auto again = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->messages == 0u);
  BOOST_TEST(Outbox().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_retried_on_schedule_then_fails_for_good) {
  Request(kFamily);
  // The dispatcher's clock starts at the real time (failures are recorded at it) and then
  // jumps to each retry.
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto smtp = mail::SmtpClient::Create(mail::SmtpOptions{"smtp://127.0.0.1:1", mail::SmtpTls::kNone,
                                                         "", "", "", "", std::chrono::seconds(2),
                                                         std::chrono::seconds(5)});
  BOOST_TEST_REQUIRE(Succeeded(smtp));
  SmtpTransport transport(std::move(*smtp), "smtp://127.0.0.1:1");
  MailDispatcherOptions options;
  options.retry_after = {std::chrono::seconds(60), std::chrono::seconds(300)};
  options.max_attempts = 3;
  options.now_unix_s = [&] { return now; };
  MailDispatcher dispatcher(&log_->log(), read_, mail_.get(), &transport, options);

  auto first = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(first));
  BOOST_TEST(first->retrying == 1u);
  BOOST_TEST_REQUIRE(first->next_retry_unix_s.has_value());
  for (const auto& pass : Passes(kFamily)) {
    BOOST_TEST((pass.email.status == EmailStatus::kRetrying));
    BOOST_TEST(pass.email.attempt == 1);
    BOOST_TEST(!pass.email.error.empty());
  }
  // Not yet due: nothing is tried.
  auto early = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(early));
  BOOST_TEST(early->retrying + early->failed + early->messages == 0u);

  now = *first->next_retry_unix_s;
  auto second = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(second));
  BOOST_TEST(second->retrying == 1u);
  now = *second->next_retry_unix_s;
  auto third = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(third));
  BOOST_TEST(third->failed == 1u);
  for (const auto& pass : Passes(kFamily)) {
    BOOST_TEST((pass.email.status == EmailStatus::kFailed));
    BOOST_TEST(pass.email.attempt == 3);
  }
  auto waiting = read_.EmailsWaiting(0, 10);
  BOOST_TEST_REQUIRE(Succeeded(waiting));
  BOOST_TEST(waiting->empty());
}

BOOST_AUTO_TEST_CASE(a_pass_voided_before_sending_fails_at_once_and_nothing_is_written) {
  Request(kFamily);
  for (const auto& pass : Passes(kFamily)) {
    log_->Append(passledger::testing::catalogued::Void(pass.serial, "staff"));
  }
  OutboxTransport outbox(outbox_);
  MailDispatcher dispatcher(&log_->log(), read_, mail_.get(), &outbox, {});
  auto report = dispatcher.DispatchDue();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->failed == 1u);
  BOOST_TEST(Outbox().empty());
  for (const auto& pass : Passes(kFamily)) {
    BOOST_TEST((pass.email.status == EmailStatus::kFailed));
    BOOST_TEST(pass.email.error.find("void") != std::string::npos, pass.email.error);
  }
}

// rate_per_minute spaces messages: three messages at 300 a minute take at least two intervals
// of 0.2 s (the first goes at once). A first round without a rate signs the passes, so that
// the paced round's time is the pacing, not the signing.
BOOST_AUTO_TEST_CASE(the_rate_spaces_messages_evenly) {
  auto timed = [&](double rate) {
    for (std::string_view member : {"8-10000001", "8-10000002", "8-10000004"}) {
      MailRequests requests(&log_->log(), read_);
      auto outcome = requests.RequestMember(member, MailRequestOptions{"staff:test", true});
      BOOST_TEST_REQUIRE(Succeeded(outcome));
      BOOST_TEST_REQUIRE(outcome->queued, outcome->refusal);
    }
    OutboxTransport outbox(outbox_);
    MailDispatcherOptions options;
    options.rate_per_minute = rate;
    MailDispatcher dispatcher(&log_->log(), read_, mail_.get(), &outbox, options);
    const auto start = std::chrono::steady_clock::now();
    auto report = dispatcher.DispatchDue();
    BOOST_TEST_REQUIRE(Succeeded(report));
    BOOST_TEST(report->messages == 3u);
    return std::chrono::steady_clock::now() - start;
  };
  timed(0);
  BOOST_TEST(timed(300) >= std::chrono::milliseconds(400));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// Requests to e-mail passes: the recipient comes from the views and is sealed in the event;
// members that cannot or need not be e-mailed are refused with a reason; bulk asks once per
// never-e-mailed pass and says whom it skipped and why.
#include "handlers/mail/mail_requests.h"

#include <boost/test/unit_test.hpp>

#include "events/catalogue.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::ProjectedLog;
using passledger::testing::ReplaceAll;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using projections::EmailStatus;

constexpr std::string_view kFamily = "8-10000001";   // two cardholders, avery.quill@example.org
constexpr std::string_view kLapsed = "8-10000003";   // Lapsed, passes voided
constexpr std::string_view kNoEmail = "8-10000006";  // no e-mail address
constexpr std::string_view kReyes = "8-10000002";

class Fixture {
 public:
  explicit Fixture(std::string roster = SampleRoster())
      : log_(ProjectedLog::Open(dir_.path() / "data")), read_(log_->read()) {
    passledger::testing::ImportRoster(*log_, roster);
  }

  MailRequests Requests() { return MailRequests(&log_->log(), read_); }

  std::vector<EmailStatus> Statuses(std::string_view member) {
    auto passes = read_.PassesOfMember(member);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    std::vector<EmailStatus> out;
    for (const auto& pass : *passes) out.push_back(pass.email.status);
    return out;
  }

  // The newest event of the pass's stream, personal part revealed.
  events::RecordedEvent LastOf(std::string_view serial) {
    const std::string stream = "pass-" + std::string(serial);
    auto version = log_->log().StreamVersion(stream);
    BOOST_TEST_REQUIRE(Succeeded(version));
    auto events = log_->log().ReadStream(stream, *version, 1, events::ReadOptions{true});
    BOOST_TEST_REQUIRE(Succeeded(events));
    BOOST_TEST_REQUIRE(events->size() == 1u);
    return events->front();
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
  const MailRequestOptions options_{"staff:test", false};
};

BOOST_FIXTURE_TEST_SUITE(mail_requests, Fixture)

BOOST_AUTO_TEST_CASE(a_member_request_seals_the_views_address_in_one_event_per_active_pass) {
  MailRequests requests = Requests();
  auto outcome = requests.RequestMember(kFamily, options_);
  BOOST_TEST_REQUIRE(Succeeded(outcome));
  BOOST_TEST_REQUIRE(outcome->queued);
  BOOST_TEST(outcome->serials.size() == 2u);
  BOOST_TEST((Statuses(kFamily) ==
              std::vector<EmailStatus>{EmailStatus::kRequested, EmailStatus::kRequested}));
  // The dispatcher's work list holds both, oldest first.
  auto waiting = read_.EmailsWaiting(0, 10);
  BOOST_TEST_REQUIRE(Succeeded(waiting));
  BOOST_TEST_REQUIRE(waiting->size() == 2u);
  BOOST_TEST(waiting->at(0).first == outcome->first_position);
  BOOST_TEST(waiting->at(0).second == outcome->serials[0]);
  BOOST_TEST(waiting->at(1).second == outcome->serials[1]);
  for (const auto& serial : outcome->serials) {
    const events::RecordedEvent event = LastOf(serial);
    BOOST_TEST(event.envelope.type == events::kPassEmailRequested);
    BOOST_TEST(event.envelope.actor == "staff:test");
    BOOST_TEST(event.payload.at("serial").as_string() == serial);
    BOOST_TEST(!event.payload.contains("email"));  // only in the sealed part
    BOOST_TEST_REQUIRE((event.personal_state == events::PersonalState::kRevealed));
    BOOST_TEST(event.personal.at("email").as_string() == "avery.quill@example.org");
  }
}

BOOST_AUTO_TEST_CASE(a_second_request_is_refused_unless_it_resends_and_nothing_waits) {
  MailRequests requests = Requests();
  BOOST_TEST_REQUIRE(Succeeded(requests.RequestMember(kFamily, options_)));
  const std::uint64_t head = log_->log().GetHead().position;
  auto again = requests.RequestMember(kFamily, options_);
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(!again->queued);
  BOOST_TEST(again->refusal.find("already e-mailed") != std::string::npos, again->refusal);
  auto resend = requests.RequestMember(kFamily, MailRequestOptions{"staff:test", true});
  BOOST_TEST_REQUIRE(Succeeded(resend));
  BOOST_TEST(!resend->queued);
  BOOST_TEST(resend->refusal.find("waiting") != std::string::npos, resend->refusal);
  BOOST_TEST(log_->log().GetHead().position == head);  // refusals write nothing
}

BOOST_AUTO_TEST_CASE(members_that_cannot_be_emailed_are_refused_with_a_reason) {
  MailRequests requests = Requests();
  auto no_email = requests.RequestMember(kNoEmail, options_);
  BOOST_TEST_REQUIRE(Succeeded(no_email));
  BOOST_TEST(!no_email->queued);
  BOOST_TEST(no_email->refusal.find("no usable e-mail address") != std::string::npos,
             no_email->refusal);
  auto lapsed = requests.RequestMember(kLapsed, options_);
  BOOST_TEST_REQUIRE(Succeeded(lapsed));
  BOOST_TEST(!lapsed->queued);
  BOOST_TEST(lapsed->refusal == "the membership is not active");
  auto unknown = requests.RequestMember("8-99999999", options_);
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == ErrorCode::kNotFound));
  BOOST_TEST((Statuses(kNoEmail) == std::vector<EmailStatus>{EmailStatus::kNone}));
}

BOOST_AUTO_TEST_CASE(forgotten_members_are_refused) {
  BOOST_TEST_REQUIRE(Succeeded(
      log_->log().Forget(kFamily, "member-" + std::string(kFamily), "staff:test", "request")));
  auto outcome = Requests().RequestMember(kFamily, options_);
  BOOST_TEST_REQUIRE(Succeeded(outcome));
  BOOST_TEST(!outcome->queued);
  BOOST_TEST(outcome->refusal == "the member was forgotten");
}

BOOST_AUTO_TEST_CASE(bulk_asks_once_for_every_never_emailed_pass_and_counts_the_skipped) {
  MailRequests requests = Requests();
  auto bulk = requests.RequestNeverSent(options_);
  BOOST_TEST_REQUIRE(Succeeded(bulk));
  // Active: 8-10000001 (2 passes), -02, -04, -05, -06 (no e-mail); -03 is lapsed.
  BOOST_TEST(bulk->queued == 4u);
  BOOST_TEST(bulk->passes == 5u);
  BOOST_TEST(bulk->members_seen == 5u);
  BOOST_TEST_REQUIRE(bulk->skipped.size() == 1u);
  BOOST_TEST(bulk->skipped.begin()->first.find("no usable e-mail address") != std::string::npos);
  BOOST_TEST(bulk->skipped.begin()->second == 1u);
  BOOST_TEST((Statuses(kLapsed) == std::vector<EmailStatus>{EmailStatus::kNone}));

  auto again = requests.RequestNeverSent(options_);
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->queued == 0u);
  BOOST_TEST(again->passes == 0u);
  BOOST_TEST(again->skipped.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// An address that could add a recipient is refused, and the same member with a clean
// address is not: the refusal comes from the address, not from the member.
BOOST_AUTO_TEST_CASE(an_address_list_in_the_roster_is_refused) {
  Fixture clean;
  auto ok = clean.Requests().RequestMember(kReyes, clean.options_);
  BOOST_TEST_REQUIRE(Succeeded(ok));
  BOOST_TEST(ok->queued);

  Fixture listed(ReplaceAll(SampleRoster(), ",m.reyes@example.net,",
                            ",\"m.reyes@example.net, eve@evil.example\",", 2));
  auto refused = listed.Requests().RequestMember(kReyes, listed.options_);
  BOOST_TEST_REQUIRE(Succeeded(refused));
  BOOST_TEST(!refused->queued);
  BOOST_TEST(refused->refusal.find("no usable e-mail address") != std::string::npos,
             refused->refusal);
}

}  // namespace
}  // namespace passledger::handlers

// Staff accounts: each command is one event with the caller's actor and the password hash
// sealed under the account's subject; refusals say why and write nothing; the last enabled
// admin cannot be demoted or disabled; a password change or a disable ends the account's
// sessions; List shows every account and no hash.
#include "handlers/staff/staff_accounts.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "handlers/staff/passwords.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kPassword = "violet tram under seven bridges";
constexpr std::string_view kOtherPassword = "amber kettle over quiet hills";
constexpr std::string_view kActor = "cli:operator";

class Fixture {
 public:
  Fixture() : log_(ProjectedLog::Open(dir_.path() / "data")) {
    auto store = projections::SessionStore::Open(&log_->log());
    BOOST_TEST_REQUIRE(Succeeded(store));
    store_ = std::move(*store);
    accounts_ = std::make_unique<StaffAccounts>(&log_->log(), log_->read(), store_.get());
  }

  StaffSummary Create(std::string_view username, std::string_view role,
                      std::string_view password = kPassword) {
    auto created = accounts_->Create(username, role, password, kActor);
    BOOST_TEST_REQUIRE(Succeeded(created));
    return *created;
  }

  std::vector<events::RecordedEvent> Stream(std::string_view username, bool reveal = false) {
    auto events = log_->log().ReadStream("staff-" + std::string(username), 1, 100,
                                         events::ReadOptions{reveal});
    BOOST_TEST_REQUIRE(Succeeded(events));
    return *events;
  }

  void PutSession(std::string_view id, std::string_view username) {
    projections::StaffSession session;
    session.username = std::string(username);
    session.expires_us = 1;
    BOOST_TEST_REQUIRE(Succeeded(store_->Put(Sha256(id), session)));
  }

  std::uint64_t Head() const { return log_->log().GetHead().position; }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  std::unique_ptr<projections::SessionStore> store_;
  std::unique_ptr<StaffAccounts> accounts_;
};

BOOST_FIXTURE_TEST_SUITE(staff_accounts_test, Fixture)

BOOST_AUTO_TEST_CASE(create_appends_one_event_with_the_hash_sealed_under_the_account) {
  const StaffSummary alice = Create("alice", "admin");
  BOOST_TEST(alice.username == "alice");
  BOOST_TEST(alice.role == "admin");
  BOOST_TEST(!alice.disabled);
  BOOST_TEST(alice.created_position == Head());
  BOOST_TEST(alice.created_us > 0);

  const auto sealed = Stream("alice");
  BOOST_TEST_REQUIRE(sealed.size() == 1u);
  const auto& event = sealed.front();
  BOOST_TEST(event.envelope.type == events::kStaffCreated);
  BOOST_TEST(event.envelope.actor == kActor);
  BOOST_TEST(event.envelope.subject == "staff:alice");
  BOOST_TEST(event.envelope.recorded_at_us == alice.created_us);
  BOOST_TEST((event.personal_state == events::PersonalState::kSealed));
  BOOST_TEST(!event.payload.contains("passwordHash"));
  BOOST_TEST(event.envelope.payload.find("argon2") == std::string::npos);

  const auto revealed = Stream("alice", /*reveal=*/true);
  const std::string hash(revealed.front().personal.at("passwordHash").as_string());
  BOOST_TEST(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  BOOST_TEST(VerifyPassword(hash, kPassword));
}

struct Refusal {
  std::string username, role, password, actor;
  ErrorCode code;
  std::string message;  // a part of the refusal's message
};

BOOST_AUTO_TEST_CASE(create_refuses_with_a_reason_and_writes_nothing) {
  Create("alice", "admin");
  const std::string pw(kPassword);
  const std::vector<Refusal> refusals = {
      {"", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "1 to 64"},
      {"Alice", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "lower case"},
      {"-bob", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "starting with a letter"},
      {".bob", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "starting with a letter"},
      {"bob smith", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "a-z, 0-9"},
      {"bob/x", "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "a-z, 0-9"},
      {std::string(65, 'b'), "staff", pw, "cli:op", ErrorCode::kInvalidArgument, "1 to 64"},
      {"bob", "root", pw, "cli:op", ErrorCode::kInvalidArgument, "admin, staff or auditor"},
      {"bob", "Admin", pw, "cli:op", ErrorCode::kInvalidArgument, "not a role"},
      {"bob", "staff", "short", "cli:op", ErrorCode::kInvalidArgument, "at least 12"},
      {"bob", "staff", "Password1234", "cli:op", ErrorCode::kInvalidArgument, "commonly used"},
      {"bobby", "staff", "bobby is my name ok", "cli:op", ErrorCode::kInvalidArgument,
       "contains the username"},
      {"bob", "staff", pw, "bob", ErrorCode::kInvalidArgument, "is not staff:<username>"},
      {"bob", "staff", pw, "cli:", ErrorCode::kInvalidArgument, "is not staff:<username>"},
      {"alice", "staff", pw, "cli:op", ErrorCode::kAlreadyExists, "is taken"},
  };
  const std::uint64_t head = Head();
  for (const auto& r : refusals) {
    auto created = accounts_->Create(r.username, r.role, r.password, r.actor);
    BOOST_TEST_REQUIRE(FailedWith(created, r.code), r.username << " / " << r.password);
    BOOST_TEST(created.error().message.find(r.message) != std::string::npos,
               created.error().message << " (expected: " << r.message << ")");
  }
  BOOST_TEST(Head() == head);
  // The three actor forms are accepted; a name of 64 characters and one of 1 too.
  for (const std::string actor : {"staff:alice", "operator:root", "cli:carol"}) {
    BOOST_TEST(
        Succeeded(accounts_->Create("u-" + actor.substr(0, actor.find(':')), "staff", pw, actor)));
  }
  BOOST_TEST(Succeeded(accounts_->Create(std::string(64, 'z'), "auditor", pw, kActor)));
  BOOST_TEST(Succeeded(accounts_->Create("9", "auditor", pw, kActor)));
  BOOST_TEST(Stream("u-operator").front().envelope.actor == "operator:root");
}

// The secret's absence is checked with the search that finds it where it is: in the revealed
// event. Every text a summary holds is searched for the hash, its prefix and the password.
BOOST_AUTO_TEST_CASE(list_shows_every_account_in_order_and_no_hash) {
  Create("carol", "auditor");
  Create("alice", "admin");
  Create("bob", "staff", kOtherPassword);
  BOOST_TEST_REQUIRE(Succeeded(accounts_->Disable("bob", "left", kActor)));
  const std::string hash(
      Stream("alice", /*reveal=*/true).front().personal.at("passwordHash").as_string());
  const std::string revealed_text = boost::json::serialize(Stream("alice", true).front().personal);
  BOOST_TEST_REQUIRE(revealed_text.find(hash) != std::string::npos);
  BOOST_TEST_REQUIRE(revealed_text.find("$argon2id") != std::string::npos);

  auto list = accounts_->List();
  BOOST_TEST_REQUIRE(Succeeded(list));
  BOOST_TEST_REQUIRE(list->size() == 3u);
  BOOST_TEST((*list)[0].username == "alice");
  BOOST_TEST((*list)[1].username == "bob");
  BOOST_TEST((*list)[2].username == "carol");
  BOOST_TEST((*list)[1].disabled);
  BOOST_TEST(!(*list)[0].disabled);
  BOOST_TEST((*list)[2].role == "auditor");
  for (const auto& summary : *list) {
    BOOST_TEST(summary.created_us > 0);
    const std::string texts = summary.username + "|" + summary.role;
    BOOST_TEST(texts.find(hash) == std::string::npos);
    BOOST_TEST(texts.find("$argon2id") == std::string::npos);
    BOOST_TEST(texts.find(kPassword) == std::string::npos);
  }
  auto got = accounts_->Get("bob");
  BOOST_TEST_REQUIRE(Succeeded(got));
  BOOST_TEST_REQUIRE(got->has_value());
  BOOST_TEST(((**got) == (*list)[1]));
  BOOST_TEST(!accounts_->Get("nobody")->has_value());
  BOOST_TEST(!accounts_->Get("Not A Name")->has_value());
}

BOOST_AUTO_TEST_CASE(a_password_change_is_one_sealed_event_and_ends_the_accounts_sessions) {
  Create("alice", "admin");
  Create("bob", "staff");
  PutSession("alice-1", "alice");
  PutSession("alice-2", "alice");
  PutSession("bob-1", "bob");
  BOOST_TEST_REQUIRE(Succeeded(accounts_->ChangePassword("alice", kOtherPassword, "staff:alice")));
  const auto events = Stream("alice", /*reveal=*/true);
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[1].envelope.type == events::kStaffPasswordChanged);
  BOOST_TEST(events[1].envelope.actor == "staff:alice");
  BOOST_TEST(events[1].envelope.subject == "staff:alice");
  BOOST_TEST(!events[1].payload.contains("passwordHash"));
  const std::string hash(events[1].personal.at("passwordHash").as_string());
  BOOST_TEST(VerifyPassword(hash, kOtherPassword));
  BOOST_TEST(!VerifyPassword(hash, kPassword));
  BOOST_TEST(!store_->Get(Sha256("alice-1")).has_value());
  BOOST_TEST(!store_->Get(Sha256("alice-2")).has_value());
  BOOST_TEST(store_->Get(Sha256("bob-1")).has_value());

  const std::uint64_t head = Head();
  BOOST_TEST(FailedWith(accounts_->ChangePassword("alice", kOtherPassword, kActor),
                        ErrorCode::kInvalidArgument));  // the current one
  BOOST_TEST(
      FailedWith(accounts_->ChangePassword("alice", "short", kActor), ErrorCode::kInvalidArgument));
  BOOST_TEST(
      FailedWith(accounts_->ChangePassword("nobody", kPassword, kActor), ErrorCode::kNotFound));
  BOOST_TEST(Head() == head);
}

BOOST_AUTO_TEST_CASE(a_role_change_records_the_previous_role_and_a_same_role_writes_nothing) {
  Create("alice", "admin");
  Create("bob", "staff");
  auto changed = accounts_->ChangeRole("bob", "auditor", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(changed));
  BOOST_TEST(changed->role == "auditor");
  const auto events = Stream("bob");
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[1].envelope.type == events::kStaffRoleChanged);
  BOOST_TEST(events[1].payload.at("role").as_string() == "auditor");
  BOOST_TEST(events[1].payload.at("previousRole").as_string() == "staff");
  BOOST_TEST(events[1].envelope.actor == "staff:alice");

  const std::uint64_t head = Head();
  auto same = accounts_->ChangeRole("bob", "auditor", kActor);
  BOOST_TEST_REQUIRE(Succeeded(same));
  BOOST_TEST(same->role == "auditor");
  BOOST_TEST(Head() == head);
  BOOST_TEST(
      FailedWith(accounts_->ChangeRole("bob", "superuser", kActor), ErrorCode::kInvalidArgument));
  BOOST_TEST(FailedWith(accounts_->ChangeRole("nobody", "staff", kActor), ErrorCode::kNotFound));
  BOOST_TEST(Head() == head);
}

BOOST_AUTO_TEST_CASE(the_last_enabled_admin_can_be_neither_demoted_nor_disabled) {
  Create("alice", "admin");
  auto demoted = accounts_->ChangeRole("alice", "staff", kActor);
  BOOST_TEST_REQUIRE(FailedWith(demoted, ErrorCode::kFailedPrecondition));
  BOOST_TEST(demoted.error().message.find("last enabled admin") != std::string::npos);
  BOOST_TEST(FailedWith(accounts_->Disable("alice", "", kActor), ErrorCode::kFailedPrecondition));

  Create("bob", "admin");
  BOOST_TEST(Succeeded(accounts_->ChangeRole("alice", "staff", kActor)));
  BOOST_TEST(FailedWith(accounts_->Disable("bob", "", kActor), ErrorCode::kFailedPrecondition));
  BOOST_TEST(
      FailedWith(accounts_->ChangeRole("bob", "auditor", kActor), ErrorCode::kFailedPrecondition));
  // A disabled admin does not count: with carol disabled, bob is still the last.
  Create("carol", "admin");
  BOOST_TEST(Succeeded(accounts_->Disable("carol", "", kActor)));
  BOOST_TEST(FailedWith(accounts_->Disable("bob", "", kActor), ErrorCode::kFailedPrecondition));
  // Other accounts change freely beside the last admin.
  BOOST_TEST(Succeeded(accounts_->ChangeRole("alice", "auditor", kActor)));
  BOOST_TEST(Succeeded(accounts_->Disable("alice", "", kActor)));
}

BOOST_AUTO_TEST_CASE(disabling_is_one_event_ends_the_sessions_and_is_final) {
  Create("alice", "admin");
  Create("bob", "staff");
  PutSession("bob-1", "bob");
  auto disabled = accounts_->Disable("bob", "left the organisation", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(disabled));
  BOOST_TEST(disabled->disabled);
  const auto events = Stream("bob");
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[1].envelope.type == events::kStaffDisabled);
  BOOST_TEST(events[1].payload.at("reason").as_string() == "left the organisation");
  BOOST_TEST(!store_->Get(Sha256("bob-1")).has_value());

  const std::uint64_t head = Head();
  auto again = accounts_->Disable("bob", "", kActor);  // nothing to change
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->disabled);
  BOOST_TEST(FailedWith(accounts_->ChangePassword("bob", kOtherPassword, kActor),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(
      FailedWith(accounts_->ChangeRole("bob", "admin", kActor), ErrorCode::kFailedPrecondition));
  BOOST_TEST(
      FailedWith(accounts_->Create("bob", "staff", kPassword, kActor), ErrorCode::kAlreadyExists));
  BOOST_TEST(FailedWith(accounts_->Disable("nobody", "", kActor), ErrorCode::kNotFound));
  BOOST_TEST(FailedWith(accounts_->Disable("alice", std::string(501, 'r'), kActor),
                        ErrorCode::kInvalidArgument));
  BOOST_TEST(Head() == head);
  // Without a reason the event has none.
  Create("carol", "staff");
  BOOST_TEST_REQUIRE(Succeeded(accounts_->Disable("carol", "", kActor)));
  BOOST_TEST(!Stream("carol")[1].payload.contains("reason"));
}

BOOST_AUTO_TEST_CASE(a_forgotten_account_keeps_its_name_and_cannot_be_changed) {
  Create("alice", "admin");
  Create("bob", "staff");
  BOOST_TEST_REQUIRE(
      Succeeded(log_->log().Forget("staff:bob", "staff-bob", kActor, "member request")));
  auto bob = accounts_->Get("bob");
  BOOST_TEST_REQUIRE(Succeeded(bob));
  BOOST_TEST_REQUIRE(bob->has_value());
  BOOST_TEST((*bob)->forgotten);
  BOOST_TEST(
      FailedWith(accounts_->Create("bob", "staff", kPassword, kActor), ErrorCode::kAlreadyExists));
  BOOST_TEST(FailedWith(accounts_->ChangePassword("bob", kOtherPassword, kActor),
                        ErrorCode::kFailedPrecondition));
  BOOST_TEST(
      FailedWith(accounts_->ChangeRole("bob", "auditor", kActor), ErrorCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

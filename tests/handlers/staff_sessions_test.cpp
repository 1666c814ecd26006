// Staff logins and sessions: a login opens a session that validates with its account's current
// role; a wrong password, an unknown user and a disabled one are the same invalid outcome at
// the same cost, and only a real account's failures reach the log (without the caller
// waiting for them); five failures lock an account (persisted: across a restart) and an
// address (in memory) for fifteen minutes of the injected clock; sessions expire when idle
// and absolutely, survive reopening the log, and end with a logout, a password change, a
// disable or a forget.
#include "handlers/staff/staff_sessions.h"

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "events/catalogue.h"
#include "handlers/staff/passwords.h"
#include "handlers/staff/staff_accounts.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kPassword = "violet tram under seven bridges";
constexpr std::string_view kWrong = "violet tram under six bridges";
constexpr std::string_view kActor = "cli:operator";
constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kStart = 1'800'000'000 * kSecond;

class Fixture {
 public:
  Fixture() : now_(std::make_shared<std::atomic<std::int64_t>>(kStart)) { Open(); }
  ~Fixture() { Close(); }

  void Open(std::size_t max_sessions = 10'000) {
    log_ = ProjectedLog::Open(dir_.path() / "data");
    auto store = projections::SessionStore::Open(&log_->log(), max_sessions);
    BOOST_TEST_REQUIRE(Succeeded(store));
    store_ = std::move(*store);
    accounts_ = std::make_unique<StaffAccounts>(&log_->log(), log_->read(), store_.get());
    sessions_ = std::make_unique<StaffSessions>(&log_->log(), log_->read(), store_.get(),
                                                StaffSessionOptions{},
                                                [now = now_] { return now->load(); });
  }
  void Close() {
    sessions_.reset();
    accounts_.reset();
    store_.reset();
    log_.reset();
  }
  void Reopen(std::size_t max_sessions = 10'000) {
    Close();
    Open(max_sessions);
  }

  void Advance(std::int64_t us) { *now_ += us; }

  void Create(std::string_view username, std::string_view role = "staff") {
    BOOST_TEST_REQUIRE(Succeeded(accounts_->Create(username, role, kPassword, kActor)));
  }

  LoginOutcome Login(std::string_view username, std::string_view password,
                     std::string_view client = "192.0.2.7") {
    auto outcome = sessions_->Login(username, password, client);
    BOOST_TEST_REQUIRE(Succeeded(outcome));
    return *outcome;
  }

  LoginSuccess LoginOk(std::string_view username, std::string_view client = "192.0.2.7") {
    LoginOutcome outcome = Login(username, kPassword, client);
    BOOST_TEST_REQUIRE(std::holds_alternative<LoginSuccess>(outcome));
    return std::get<LoginSuccess>(outcome);
  }

  std::optional<SessionInfo> Validate(std::string_view session_id) {
    auto info = sessions_->Validate(session_id);
    BOOST_TEST_REQUIRE(Succeeded(info));
    return *info;
  }

  std::vector<events::RecordedEvent> Failures(std::string_view username) {
    sessions_->Flush();
    auto events = log_->log().ReadStream("staff-" + std::string(username), 1, 1000);
    BOOST_TEST_REQUIRE(Succeeded(events));
    std::vector<events::RecordedEvent> out;
    for (auto& event : *events) {
      if (event.envelope.type == events::kStaffLoginFailed) out.push_back(std::move(event));
    }
    return out;
  }

  std::uint64_t Head() {
    sessions_->Flush();
    return log_->log().GetHead().position;
  }

  TempDir dir_;
  std::shared_ptr<std::atomic<std::int64_t>> now_;
  std::unique_ptr<ProjectedLog> log_;
  std::unique_ptr<projections::SessionStore> store_;
  std::unique_ptr<StaffAccounts> accounts_;
  std::unique_ptr<StaffSessions> sessions_;
};

bool IsInvalid(const LoginOutcome& outcome) {
  return std::holds_alternative<LoginInvalid>(outcome);
}

std::int64_t RetryAfter(const LoginOutcome& outcome) {
  const auto* locked = std::get_if<LoginLocked>(&outcome);
  return locked != nullptr ? locked->retry_after_seconds : -1;
}

BOOST_FIXTURE_TEST_SUITE(staff_sessions_test, Fixture)

BOOST_AUTO_TEST_CASE(a_login_opens_a_session_that_validates_with_its_csrf_token) {
  Create("alice", "admin");
  const LoginSuccess login = LoginOk("alice", "198.51.100.4");
  BOOST_TEST(login.session_id.size() == 43u);
  BOOST_TEST(login.csrf_token.size() == 43u);
  BOOST_TEST(login.session_id != login.csrf_token);
  BOOST_TEST(login.user.username == "alice");
  BOOST_TEST(login.user.role == "admin");
  BOOST_TEST(login.expires_us == kStart + 30 * kMinute);
  BOOST_TEST(login.session_id != LoginOk("alice").session_id);  // fresh randomness each time

  const auto info = Validate(login.session_id);
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->username == "alice");
  BOOST_TEST(info->role == "admin");
  BOOST_TEST(info->created_us == kStart);
  BOOST_TEST(info->expires_us == kStart + 30 * kMinute);
  BOOST_TEST((info->csrf_token_hash == Sha256(login.csrf_token)));
  BOOST_TEST(StaffSessions::CsrfMatches(*info, login.csrf_token));
  BOOST_TEST(!StaffSessions::CsrfMatches(*info, login.session_id));
  BOOST_TEST(!StaffSessions::CsrfMatches(*info, ""));
  BOOST_TEST(!StaffSessions::CsrfMatches(*info, login.csrf_token.substr(1)));

  // What the store holds: the id's hash as the key, the client, no id.
  const auto stored = store_->Get(Sha256(login.session_id));
  BOOST_TEST_REQUIRE(stored.has_value());
  BOOST_TEST(stored->client == "198.51.100.4");
  BOOST_TEST(stored->username == "alice");
  // Usernames are read in lower case; anything not shaped like a session id is no session.
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("ALICE", kPassword)));
  BOOST_TEST(!Validate("").has_value());
  BOOST_TEST(!Validate(login.session_id.substr(1)).has_value());
  BOOST_TEST(!Validate(login.csrf_token).has_value());
  BOOST_TEST(!Validate(std::string(43, '!')).has_value());
}

BOOST_AUTO_TEST_CASE(wrong_password_unknown_and_disabled_users_are_one_invalid_outcome) {
  Create("alice", "admin");
  Create("dora");
  BOOST_TEST_REQUIRE(Succeeded(accounts_->Disable("dora", "left", kActor)));
  const std::uint64_t head = Head();
  BOOST_TEST(IsInvalid(Login("alice", kWrong, "192.0.2.1")));
  BOOST_TEST(IsInvalid(Login("nobody", kPassword, "192.0.2.2")));
  BOOST_TEST(IsInvalid(Login("dora", kPassword, "192.0.2.3")));  // the right password
  BOOST_TEST(IsInvalid(Login("Not A Username!", kPassword, "192.0.2.4")));
  BOOST_TEST(IsInvalid(Login(std::string(5000, 'a'), kPassword, "192.0.2.5")));
  BOOST_TEST(IsInvalid(Login("alice", "", "192.0.2.6")));
  // Only the real account's failures are recorded: no stream for "nobody", nothing for dora.
  BOOST_TEST(Head() == head + 2);
  const auto failures = Failures("alice");
  BOOST_TEST_REQUIRE(failures.size() == 2u);
  BOOST_TEST(failures[0].payload.at("failures").as_int64() == 1);
  BOOST_TEST(failures[1].payload.at("failures").as_int64() == 2);
  BOOST_TEST(!failures[0].payload.contains("lockedUntilUs"));
  BOOST_TEST(failures[0].envelope.actor == "system:staff-login");
  auto nobody = log_->log().StreamVersion("staff-nobody");
  BOOST_TEST(*nobody == 0u);
}

// The cost of an unknown user's login is a real verification (of the dummy hash): it takes
// as long as a wrong password. Medians of a few tries each, compared loosely, so that a busy
// machine does not fail it; a skipped verification would be ~1000 times faster.
BOOST_AUTO_TEST_CASE(an_unknown_user_costs_what_a_wrong_password_costs) {
  Create("alice", "admin");
  auto median = [&](std::string_view username, int first_address) {
    std::vector<double> ms;
    for (int i = 0; i < 3; ++i) {
      const auto started = std::chrono::steady_clock::now();
      BOOST_TEST(IsInvalid(Login(username, kWrong, "10.0.0." + std::to_string(first_address + i))));
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[1];
  };
  const double unknown = median("nobody", 10);
  const double wrong = median("alice", 20);
  BOOST_TEST_MESSAGE("unknown user " << unknown << " ms, wrong password " << wrong << " ms");
  BOOST_TEST(unknown > wrong / 3);
  BOOST_TEST(wrong > unknown / 3);
}

// The failure's event is written by the log's writer while the caller has its answer: with
// every commit held back, the failed login still returns, and its event follows once
// commits resume.
BOOST_AUTO_TEST_CASE(a_failures_event_is_appended_off_the_callers_path) {
  Create("alice", "admin");
  const std::uint64_t head = Head();
  {
    auto paused = log_->log().PauseCommits();
    BOOST_TEST(IsInvalid(Login("alice", kWrong)));
    BOOST_TEST(log_->log().GetHead().position == head);
  }
  BOOST_TEST(Head() == head + 1);
  BOOST_TEST(Failures("alice").size() == 1u);
}

// Per account, from a new address each time (so that only the account's count applies).
BOOST_AUTO_TEST_CASE(five_failures_lock_an_account_for_fifteen_minutes) {
  Create("alice", "admin");
  for (int i = 1; i <= 5; ++i) {
    BOOST_TEST(IsInvalid(Login("alice", kWrong, "10.1.0." + std::to_string(i))));
    Advance(10 * kSecond);
  }
  // Locked: also the right password is refused, before it is checked.
  BOOST_TEST(RetryAfter(Login("alice", kPassword, "10.1.1.1")) == 15 * 60 - 10);
  const auto failures = Failures("alice");
  BOOST_TEST_REQUIRE(failures.size() == 5u);
  BOOST_TEST(failures[4].payload.at("failures").as_int64() == 5);
  BOOST_TEST(failures[4].payload.at("lockedUntilUs").as_int64() ==
             kStart + 40 * kSecond + 15 * kMinute);
  Advance(15 * kMinute - 10 * kSecond - kSecond);
  BOOST_TEST(RetryAfter(Login("alice", kPassword, "10.1.1.2")) == 1);
  BOOST_TEST(Failures("alice").size() == 5u);  // locked attempts are not counted
  Advance(kSecond);
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kPassword, "10.1.1.3")));
  // The success ends the count, in the log too.
  const auto after = Failures("alice");
  BOOST_TEST_REQUIRE(after.size() == 6u);
  BOOST_TEST(after[5].payload.at("failures").as_int64() == 0);
  auto view = log_->read().Staff("alice");
  BOOST_TEST((*view)->failures == 0);
  BOOST_TEST((*view)->locked_until_us == 0);
  // Counting starts again: four failures do not lock.
  for (int i = 1; i <= 4; ++i)
    BOOST_TEST(IsInvalid(Login("alice", kWrong, "10.2.0." + std::to_string(i))));
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kPassword, "10.2.1.1")));
}

BOOST_AUTO_TEST_CASE(an_accounts_lock_survives_a_restart) {
  Create("alice", "admin");
  for (int i = 1; i <= 5; ++i)
    BOOST_TEST(IsInvalid(Login("alice", kWrong, "10.3.0." + std::to_string(i))));
  Reopen();
  BOOST_TEST(RetryAfter(Login("alice", kPassword, "10.3.1.1")) == 15 * 60);
  Advance(15 * kMinute);
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kPassword, "10.3.1.2")));
}

// A lock must not tell which usernames exist: one without an account locks the same way (in
// memory), and still no event is written for it.
BOOST_AUTO_TEST_CASE(a_username_without_an_account_locks_the_same_way_without_events) {
  const std::uint64_t head = Head();
  for (int i = 1; i <= 5; ++i)
    BOOST_TEST(IsInvalid(Login("nobody", kWrong, "10.4.0." + std::to_string(i))));
  BOOST_TEST(RetryAfter(Login("nobody", kWrong, "10.4.1.1")) == 15 * 60);
  BOOST_TEST(Head() == head);
}

BOOST_AUTO_TEST_CASE(five_failures_from_one_address_lock_that_address_for_any_username) {
  Create("alice", "admin");
  for (const char* name : {"bob", "carol", "alice", "dave", "erin"}) {
    BOOST_TEST(IsInvalid(Login(name, kWrong, "203.0.113.9")));
  }
  BOOST_TEST(RetryAfter(Login("alice", kPassword, "203.0.113.9")) == 15 * 60);
  // The account itself has one failure only: from elsewhere it logs in.
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kPassword, "203.0.113.10")));
  Advance(15 * kMinute);
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kPassword, "203.0.113.9")));
}

BOOST_AUTO_TEST_CASE(a_password_change_gives_a_locked_account_a_new_count) {
  Create("alice", "admin");
  for (int i = 1; i <= 5; ++i)
    BOOST_TEST(IsInvalid(Login("alice", kWrong, "10.5.0." + std::to_string(i))));
  BOOST_TEST(RetryAfter(Login("alice", kPassword, "10.5.1.1")) > 0);
  constexpr std::string_view kNew = "amber kettle over quiet hills";
  BOOST_TEST_REQUIRE(Succeeded(accounts_->ChangePassword("alice", kNew, kActor)));
  BOOST_TEST(std::holds_alternative<LoginSuccess>(Login("alice", kNew, "10.5.1.2")));
}

BOOST_AUTO_TEST_CASE(a_session_expires_after_thirty_idle_minutes) {
  Create("alice");
  const std::string id = LoginOk("alice").session_id;
  Advance(29 * kMinute);
  const auto touched = Validate(id);
  BOOST_TEST_REQUIRE(touched.has_value());
  BOOST_TEST(touched->expires_us == kStart + 59 * kMinute);
  BOOST_TEST(store_->Get(Sha256(id))->last_seen_us == kStart + 29 * kMinute);
  // Touches are written at most once a minute per session.
  Advance(30 * kSecond);
  BOOST_TEST(Validate(id).has_value());
  BOOST_TEST(store_->Get(Sha256(id))->last_seen_us == kStart + 29 * kMinute);
  Advance(30 * kSecond);
  BOOST_TEST(Validate(id).has_value());
  BOOST_TEST(store_->Get(Sha256(id))->last_seen_us == kStart + 30 * kMinute);
  Advance(30 * kMinute - 1);
  BOOST_TEST(Validate(id).has_value());
  const std::string idle = LoginOk("alice").session_id;
  Advance(30 * kMinute);
  BOOST_TEST(!Validate(idle).has_value());
}

BOOST_AUTO_TEST_CASE(a_session_ends_twelve_hours_after_the_login_however_busy) {
  Create("alice");
  const std::string id = LoginOk("alice").session_id;
  for (int i = 0; i < 35; ++i) {
    Advance(20 * kMinute);
    BOOST_TEST_REQUIRE(Validate(id).has_value(), "at " << (i + 1) * 20 << " minutes");
  }
  BOOST_TEST(Validate(id)->expires_us == kStart + 12 * 60 * kMinute);
  Advance(20 * kMinute);  // 12 hours
  BOOST_TEST(!Validate(id).has_value());
}

BOOST_AUTO_TEST_CASE(sessions_survive_reopening_the_log) {
  Create("alice", "admin");
  const LoginSuccess login = LoginOk("alice");
  Advance(5 * kMinute);
  BOOST_TEST(Validate(login.session_id).has_value());
  Reopen();
  const auto info = Validate(login.session_id);
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->username == "alice");
  BOOST_TEST(StaffSessions::CsrfMatches(*info, login.csrf_token));
}

BOOST_AUTO_TEST_CASE(logout_a_password_change_and_a_disable_end_sessions) {
  Create("alice", "admin");
  Create("bob");
  const std::string first = LoginOk("bob").session_id;
  const std::string second = LoginOk("bob").session_id;
  const std::string alices = LoginOk("alice").session_id;
  BOOST_TEST_REQUIRE(Succeeded(sessions_->Logout(first)));
  BOOST_TEST(!Validate(first).has_value());
  BOOST_TEST(Validate(second).has_value());
  BOOST_TEST(Succeeded(sessions_->Logout(first)));  // twice, or an unknown id: nothing happens
  BOOST_TEST(Succeeded(sessions_->Logout("not a session")));

  constexpr std::string_view kNew = "amber kettle over quiet hills";
  BOOST_TEST_REQUIRE(Succeeded(accounts_->ChangePassword("bob", kNew, kActor)));
  BOOST_TEST(!Validate(second).has_value());
  BOOST_TEST(IsInvalid(Login("bob", kPassword)));
  const std::string third = std::get<LoginSuccess>(Login("bob", kNew)).session_id;
  BOOST_TEST(Validate(third).has_value());

  BOOST_TEST_REQUIRE(Succeeded(accounts_->Disable("bob", "left", kActor)));
  BOOST_TEST(!Validate(third).has_value());
  BOOST_TEST(IsInvalid(Login("bob", kNew)));
  BOOST_TEST(Validate(alices).has_value());
  auto ended = sessions_->EndSessions("alice");
  BOOST_TEST_REQUIRE(Succeeded(ended));
  BOOST_TEST(*ended == 1u);
  BOOST_TEST(!Validate(alices).has_value());
}

// Also when the store still holds the session (the password was changed by another path than
// StaffAccounts, which would have erased it), the views refuse it: a session is bound to the
// password it was opened with.
BOOST_AUTO_TEST_CASE(a_session_opened_before_a_password_change_is_refused_from_the_views) {
  Create("alice", "admin");
  const std::string id = LoginOk("alice").session_id;
  auto hash = HashPassword("amber kettle over quiet hills");
  BOOST_TEST_REQUIRE(Succeeded(hash));
  log_->Append(passledger::testing::catalogued::StaffPasswordChanged("alice", *hash));
  BOOST_TEST(store_->Get(Sha256(id)).has_value());
  BOOST_TEST(!Validate(id).has_value());
}

BOOST_AUTO_TEST_CASE(a_forgotten_account_has_no_sessions_and_no_logins) {
  Create("alice", "admin");
  Create("bob");
  const std::string id = LoginOk("bob").session_id;
  BOOST_TEST_REQUIRE(Succeeded(log_->log().Forget("staff:bob", "staff-bob", kActor, "request")));
  BOOST_TEST(!Validate(id).has_value());
  BOOST_TEST(IsInvalid(Login("bob", kPassword)));
}

BOOST_AUTO_TEST_CASE(a_role_change_applies_to_an_open_session_at_once) {
  Create("alice", "admin");
  Create("bob", "staff");
  const std::string id = LoginOk("bob").session_id;
  BOOST_TEST(Validate(id)->role == "staff");
  BOOST_TEST_REQUIRE(Succeeded(accounts_->ChangeRole("bob", "auditor", "staff:alice")));
  BOOST_TEST(Validate(id)->role == "auditor");
}

BOOST_AUTO_TEST_CASE(the_store_bound_drops_the_least_recently_seen_session) {
  Reopen(/*max_sessions=*/3);
  Create("alice");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(LoginOk("alice").session_id);
    Advance(kMinute);
  }
  BOOST_TEST(store_->size() == 3u);
  BOOST_TEST(!Validate(ids[0]).has_value());
  BOOST_TEST(!Validate(ids[1]).has_value());
  for (int i = 2; i < 5; ++i) BOOST_TEST(Validate(ids[i]).has_value());
}

BOOST_AUTO_TEST_CASE(logins_and_validations_from_several_threads_at_once) {
  Create("alice", "admin");
  Create("bob");
  const std::string open = LoginOk("alice").session_id;
  std::atomic<int> successes = 0, invalid = 0, validated = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2; ++i) {
        auto outcome = sessions_->Login(t % 2 ? "bob" : "alice", i ? kWrong : kPassword,
                                        "10.9.0." + std::to_string(t));
        if (outcome && std::holds_alternative<LoginSuccess>(*outcome)) ++successes;
        if (outcome && std::holds_alternative<LoginInvalid>(*outcome)) ++invalid;
        auto info = sessions_->Validate(open);
        if (info && *info) ++validated;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(successes.load() == 4);
  BOOST_TEST(invalid.load() == 4);
  BOOST_TEST(validated.load() == 8);
  // A success between them appends the reset (failures 0) as well: count the failures.
  auto counted = [&](std::string_view username) {
    const auto events = Failures(username);
    return std::count_if(events.begin(), events.end(), [](const events::RecordedEvent& e) {
      return e.payload.at("failures").as_int64() > 0;
    });
  };
  BOOST_TEST(counted("alice") == 2);
  BOOST_TEST(counted("bob") == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

#include "handlers/staff/staff_sessions.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "base/mac.h"
#include "base/time.h"
#include "events/catalogue.h"
#include "handlers/staff/passwords.h"

namespace passledger::handlers {
namespace {

// The actor of StaffLoginFailed: no one is authenticated yet, and the client's address is
// personal data that the public part of an event would keep for ever.
constexpr std::string_view kLoginActor = "system:staff-login";
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenChars = 43;  // base64url of 32 bytes, unpadded

std::int64_t Micros(std::chrono::seconds duration) {
  return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

std::string RandomToken() {
  std::string bytes(kTokenBytes, '\0');
  RandomBytes({reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()});
  return Base64UrlEncode(bytes);
}

}  // namespace

std::string StaffSessions::CsrfTokenFor(std::string_view session_id) {
  const Hash mac = HmacSha256(session_id, "passledger admin csrf token");
  return Base64UrlEncode({reinterpret_cast<const char*>(mac.data()), mac.size()});
}

namespace {

bool IsToken(std::string_view text) {
  if (text.size() != kTokenChars) return false;
  const auto bytes = Base64UrlDecode(text);
  return bytes && bytes->size() == kTokenBytes;
}

std::string_view View(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

// The throttle's key for a login name: the account name it would be, or "" for a name no
// account can have (all of those share one count).
std::string UserKey(std::string_view username) {
  if (username.size() > kMaxUsernameBytes) return {};
  std::string lower(username);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return IsValidUsername(lower) ? lower : std::string();
}

}  // namespace

StaffSessions::StaffSessions(events::EventLog* log, projections::ReadModel read,
                             projections::SessionStore* store, StaffSessionOptions options,
                             events::Clock now_us)
    : log_(log),
      read_(read),
      store_(store),
      options_(options),
      policy_{std::max(1, options.max_failures), Micros(options.lockout)},
      now_us_(std::move(now_us)),
      appends_(std::make_shared<Appends>()),
      users_(std::max<std::size_t>(1, options.max_tracked)),
      addresses_(std::max<std::size_t>(1, options.max_tracked)) {
  (void)DummyPasswordHash();  // now, rather than in the first unknown user's login
}

StaffSessions::~StaffSessions() { Flush(); }

std::int64_t StaffSessions::ExpiresUs(std::int64_t created_us, std::int64_t last_seen_us) const {
  return std::min(last_seen_us + Micros(options_.idle), created_us + Micros(options_.absolute));
}

Result<std::optional<StaffSessions::Account>> StaffSessions::FindAccount(
    std::string_view username) const {
  if (username.empty()) return std::optional<Account>();
  auto staff = read_.Staff(username);
  if (!staff) return staff.error();
  if (!*staff) return std::optional<Account>();
  const projections::StaffView& view = **staff;
  // Disabled, forgotten, or a record no login should trust: as if there were no account.
  if (view.disabled || view.forgotten || !IsStaffRole(view.role) ||
      !ParseArgon2Params(view.password_hash)) {
    return std::optional<Account>();
  }
  return std::optional<Account>(Account{view, Sha256(view.password_hash)});
}

FailureState StaffSessions::UserState(const std::string& key, const std::optional<Account>& account,
                                      std::int64_t now_us) {
  const Hash stamp = account ? account->password_stamp : Hash{};
  if (const FailureState* kept = users_.Find(key); kept && kept->password_stamp == stamp) {
    return *kept;
  }
  FailureState fresh;
  fresh.password_stamp = stamp;
  if (account && account->view.failures > 0) {
    // As persisted. When the last failure was is not kept: counted as now.
    fresh.failures = account->view.failures;
    fresh.locked_until_us = account->view.locked_until_us;
    fresh.last_failure_us = now_us;
  }
  return fresh;
}

std::int64_t StaffSessions::LockWait(const std::string& user_key, const std::string& address_key,
                                     const std::optional<Account>& account, std::int64_t now_us) {
  std::int64_t wait = handlers::LockedFor(UserState(user_key, account, now_us), now_us);
  if (const FailureState* address = addresses_.Find(address_key)) {
    wait = std::max(wait, handlers::LockedFor(*address, now_us));
  }
  return wait;
}

void StaffSessions::Persist(const std::string& username, const FailureState& state) {
  {
    MutexLock lock(appends_->mutex);
    if (appends_->pending >= options_.max_pending_appends) {
      ++appends_->unrecorded;
      return;
    }
    ++appends_->pending;
  }
  boost::json::object payload{{"username", username}, {"failures", state.failures}};
  if (state.locked_until_us != 0) payload["lockedUntilUs"] = state.locked_until_us;
  events::AppendRequest request;
  request.stream = StaffStream(username);
  request.actor = std::string(kLoginActor);
  request.events.push_back(events::NewEvent{
      std::string(events::kStaffLoginFailed), 0, std::move(payload), {}, std::nullopt});
  std::vector<events::AppendRequest> requests;
  requests.push_back(std::move(request));
  // May complete on this thread (a request the log refuses at once): the callback takes only
  // appends_->mutex, which is not held here.
  log_->AppendAsync(std::move(requests),
                    [appends = appends_](Result<std::vector<events::AppendResult>> result) {
                      MutexLock lock(appends->mutex);
                      --appends->pending;
                      if (!result) ++appends->unrecorded;
                      appends->drained.notify_all();
                    });
}

void StaffSessions::RecordFailure(const std::string& user_key, const std::string& address_key,
                                  const std::optional<Account>& account, std::int64_t now_us) {
  MutexLock lock(mutex_);
  const FailureState* address = addresses_.Find(address_key);
  addresses_.Set(address_key, AfterFailure(address ? *address : FailureState{}, now_us, policy_));
  const FailureState user = AfterFailure(UserState(user_key, account, now_us), now_us, policy_);
  users_.Set(user_key, user);
  if (account) Persist(account->view.username, user);
}

void StaffSessions::RecordSuccess(const std::string& user_key, const Account& account,
                                  std::int64_t now_us) {
  MutexLock lock(mutex_);
  const FailureState before = UserState(user_key, account, now_us);
  FailureState cleared;
  cleared.password_stamp = account.password_stamp;
  users_.Set(user_key, cleared);
  if (before.failures > 0 || account.view.failures > 0) Persist(account.view.username, cleared);
}

Result<LoginOutcome> StaffSessions::OpenSession(const Account& account,
                                                std::string_view client_address,
                                                std::int64_t now_us) {
  LoginSuccess success;
  success.session_id = RandomToken();
  success.csrf_token = CsrfTokenFor(success.session_id);
  success.expires_us = ExpiresUs(now_us, now_us);
  projections::StaffSession session{
      account.view.username, Sha256(success.csrf_token), account.password_stamp, now_us, now_us,
      success.expires_us,    std::string(client_address)};
  if (auto put = store_->Put(Sha256(success.session_id), std::move(session)); !put) {
    return put.error();
  }
  auto user = SummarizeStaff(*log_, account.view);
  if (!user) return user.error();
  success.user = std::move(*user);
  success.user.failures = 0;  // ended by this login (its event may not be folded yet)
  success.user.locked_until_us = 0;
  return LoginOutcome(std::move(success));
}

Result<LoginOutcome> StaffSessions::Login(std::string_view username, std::string_view password,
                                          std::string_view client_address) {
  const std::int64_t now = now_us_();
  const std::string user_key = UserKey(username);
  const std::string address_key(client_address.substr(0, projections::kMaxSessionClientBytes));
  auto account = FindAccount(user_key);
  if (!account) return account.error();
  {
    MutexLock lock(mutex_);
    if (const std::int64_t wait = LockWait(user_key, address_key, *account, now); wait > 0) {
      return LoginOutcome(LoginLocked{(wait + kMicrosPerSecond - 1) / kMicrosPerSecond});
    }
  }
  // The same Argon2id work whether or not there is an account.
  const std::string& hash = *account ? (*account)->view.password_hash : DummyPasswordHash();
  if (!VerifyPassword(hash, password) || !*account) {
    RecordFailure(user_key, address_key, *account, now);
    return LoginOutcome(LoginInvalid{});
  }
  RecordSuccess(user_key, **account, now);
  return OpenSession(**account, address_key, now);
}

Result<std::optional<SessionInfo>> StaffSessions::Validate(std::string_view session_id) {
  if (!IsToken(session_id)) return std::optional<SessionInfo>();
  const Hash id_hash = Sha256(session_id);
  auto session = store_->Get(id_hash);
  if (!session) return std::optional<SessionInfo>();
  const std::int64_t now = now_us_();
  if (now >= ExpiresUs(session->created_us, session->last_seen_us)) {
    return std::optional<SessionInfo>();
  }
  auto account = FindAccount(session->username);
  if (!account) return account.error();
  if (!*account || (*account)->password_stamp != session->password_stamp) {
    return std::optional<SessionInfo>();
  }
  if (now - session->last_seen_us >= Micros(options_.touch_interval)) {
    // A touch that fails does not fail the request; the next one tries again.
    (void)store_->Touch(id_hash, now, ExpiresUs(session->created_us, now));
    session->last_seen_us = now;
  }
  return std::optional<SessionInfo>(
      SessionInfo{(*account)->view.username, (*account)->view.role, session->csrf_token_hash,
                  session->created_us, ExpiresUs(session->created_us, session->last_seen_us)});
}

StaffSessions::PeekResult StaffSessions::Peek(std::string_view session_id,
                                              std::string_view csrf_token) const {
  if (!IsToken(session_id)) return PeekResult::kNoSession;
  const auto session = store_->Get(Sha256(session_id));
  if (!session || now_us_() >= ExpiresUs(session->created_us, session->last_seen_us)) {
    return PeekResult::kNoSession;
  }
  const bool matches = ConstantTimeEquals(View(Sha256(csrf_token)), View(session->csrf_token_hash));
  return matches ? PeekResult::kLive : PeekResult::kWrongToken;
}

bool StaffSessions::CsrfMatches(const SessionInfo& session, std::string_view token) {
  return ConstantTimeEquals(View(Sha256(token)), View(session.csrf_token_hash));
}

Result<void> StaffSessions::Logout(std::string_view session_id) {
  if (!IsToken(session_id)) return {};
  auto erased = store_->Erase(Sha256(session_id));
  if (!erased) return erased.error();
  return {};
}

Result<std::size_t> StaffSessions::EndSessions(std::string_view username) {
  return store_->EraseUser(username);
}

Result<std::size_t> StaffSessions::PruneExpired() { return store_->PruneExpired(now_us_()); }

void StaffSessions::Flush() {
  MutexLock lock(appends_->mutex);
  appends_->drained.wait(lock,
                         [&]() PL_REQUIRES(appends_->mutex) { return appends_->pending == 0; });
}

std::uint64_t StaffSessions::unrecorded_failures() const {
  MutexLock lock(appends_->mutex);
  return appends_->unrecorded;
}

}  // namespace passledger::handlers

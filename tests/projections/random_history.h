// RandomHistory: a seeded, reproducible script of catalogued appends that looks like a few
// months of a membership programme: enrolments with passes per cardholder, public and personal
// changes, lapses, reinstatements, members leaving the roster, voids and revisions, e-mail
// deliveries, device registrations, imports with rejected rows, staff accounts, template
// releases, a few forgotten members, idempotent retries and a little noise (events for passes
// that were never issued, uncatalogued types).
//
// The generator keeps its own model of the world, so every step it emits is valid when the
// steps are applied in order (no personal part for a forgotten subject, no pass event before
// its PassIssued unless on purpose). ApplyHistory() feeds a script to a log, grouping steps
// into pipelined asynchronous submissions and blocking atomic appends.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "events/event_log.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/projected_log.h"

namespace passledger::testing {

// One call on the log: AppendAtomic(requests), or Forget(forget_subject) when that is set.
struct HistoryStep {
  std::vector<events::AppendRequest> requests;
  std::string forget_subject;
  std::string forget_stream;
};

class RandomHistory {
 public:
  static constexpr const char* kPassTypes[] = {"pass.org.garden.member", "pass.org.garden.family",
                                               "pass.org.garden.patron"};

  RandomHistory(std::uint64_t seed, std::size_t member_count) : rng_(seed) {
    for (std::size_t i = 0; i < member_count; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "%05zu", 10000 + i * 7);
      members_.emplace_back();
      members_.back().id = id;
    }
    for (std::size_t i = 0; i < member_count / 2; ++i) {
      devices_.push_back("dev" + std::to_string(rng_() % 1'000'000) + "x" + std::to_string(i));
    }
  }

  // Steps until at least `min_events` events are scripted (a duplicate writes nothing and
  // does not count).
  std::vector<HistoryStep> Generate(std::size_t min_events) {
    std::vector<HistoryStep> steps;
    HistoryStep pending;
    std::size_t pending_limit = 1;
    std::vector<events::AppendRequest> pending_keys;
    auto flush = [&] {
      if (pending.requests.empty()) return;
      for (auto& request : pending_keys) sent_keys_.push_back(std::move(request));
      pending_keys.clear();
      steps.push_back(std::move(pending));
      pending = HistoryStep();
      // Mostly single requests, sometimes atomic groups of up to 8 requests.
      pending_limit = Chance(0.35) ? 2 + Below(7) : 1;
    };
    while (events_ < min_events) {
      if (auto forget = MaybeForget()) {
        flush();
        steps.push_back(std::move(*forget));
        events_ += 1;
        continue;
      }
      for (auto& request : NextAction()) {
        if (!request.idempotency_key.empty() && Chance(0.02) && !sent_keys_.empty()) {
          // A retry of a request of an earlier step: a duplicate, nothing is written.
          pending.requests.push_back(sent_keys_[Below(sent_keys_.size())]);
        }
        events_ += request.events.size();
        if (!request.idempotency_key.empty()) pending_keys.push_back(request);
        pending.requests.push_back(std::move(request));
      }
      if (pending.requests.size() >= pending_limit) flush();
    }
    flush();
    return steps;
  }

  std::size_t events() const { return events_; }

  // What the views must count once every step is applied, from the generator's own model.
  struct Expected {
    std::int64_t members = 0, members_active = 0, members_left = 0, members_forgotten = 0;
    std::int64_t passes = 0, passes_voided = 0, devices = 0, registrations = 0;
    std::int64_t staff = 0, imports = 0;
  };
  Expected Expect() const {
    Expected e;
    for (const auto& m : members_) {
      if (!m.enrolled) continue;
      ++e.members;
      e.members_active += m.active;
      e.members_left += m.left;
      e.members_forgotten += m.forgotten;
    }
    e.passes = static_cast<std::int64_t>(passes_.size());
    for (const auto& pass : passes_) e.passes_voided += pass.voided;
    e.devices = static_cast<std::int64_t>(tokens_.size());
    e.registrations = static_cast<std::int64_t>(registrations_.size());
    e.staff = static_cast<std::int64_t>(staff_.size());
    e.imports = static_cast<std::int64_t>(imports_);
    return e;
  }

 private:
  struct Member {
    std::string id;
    bool enrolled = false, active = false, left = false, forgotten = false, has_key = false;
    std::string level;
    std::optional<Personal> personal;
    std::vector<std::size_t> passes;  // indices into passes_
  };
  struct Pass {
    std::string serial, member, type;
    bool voided = false;
    std::int64_t token_generation = 1;
  };
  struct Import {
    std::string id;
    std::int64_t rows = 0;
  };

  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  template <class T>
  const T& Pick(const std::vector<T>& from) {
    return from[Below(from.size())];
  }

  std::string Word(const std::vector<std::string>& words) { return Pick(words); }

  Personal RandomPersonal(const std::string& id) {
    static const std::vector<std::string> kFirst = {
        "Ada",      "Grace",     "Alan",    "Barbara", "Edsger", "Frances", "Donald",
        "Margaret", "Linus",     "Radia",   "Ken",     "Hedy",   "Claude",  "Sophie",
        "Tim",      "Katherine", "Niklaus", "Shafi",   "Leslie", "Zoë"};
    static const std::vector<std::string> kLast = {
        "Lovelace", "Hopper",     "Turing",  "Liskov",   "Dijkstra", "Allen",     "Knuth",
        "Hamilton", "Torvalds",   "Perlman", "Thompson", "Lamarr",   "Shannon",   "Wilson",
        "O'Brien",  "de la Cruz", "Müller",  "Johnson",  "Wirth",    "Goldwasser"};
    Personal p;
    p.first_name = Word(kFirst);
    p.last_name = Word(kLast);
    p.name = p.first_name + " " + p.last_name;
    p.email = LowerAscii(p.first_name) + "." + std::to_string(Below(100)) + "@m" + id + ".example";
    p.cardholders.push_back(p.name);
    const std::size_t extra = Below(3);
    for (std::size_t i = 0; i < extra; ++i)
      p.cardholders.push_back(Word(kFirst) + " " + p.last_name);
    return p;
  }

  static std::string LowerAscii(std::string s) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
  }

  std::string NewSerial() {
    static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    std::string serial;
    for (int i = 0; i < 12; ++i) serial.push_back(kAlphabet[Below(sizeof kAlphabet - 1)]);
    return serial + std::to_string(passes_.size());
  }

  std::string Level() {
    static const std::vector<std::string> kLevels = {"Individual", "Dual", "Family", "Patron",
                                                     "Student"};
    return Word(kLevels);
  }

  // Members in a state: enrolled and matching `predicate`.
  template <class Fn>
  Member* AnyMember(Fn predicate) {
    for (int tries = 0; tries < 40; ++tries) {
      Member& m = members_[Below(members_.size())];
      if (m.enrolled && predicate(m)) return &m;
    }
    return nullptr;
  }

  std::vector<events::AppendRequest> Issue(Member& m, std::size_t cardholder) {
    Pass pass{NewSerial(), m.id, kPassTypes[Below(3)], m.forgotten};  // forgotten: void
    m.passes.push_back(passes_.size());
    passes_.push_back(pass);
    const std::string holder = m.personal && cardholder < m.personal->cardholders.size()
                                   ? m.personal->cardholders[cardholder]
                                   : m.id;
    std::vector<events::AppendRequest> out;
    out.push_back(catalogued::IssuePass(pass.serial, m.id, pass.type, holder,
                                        static_cast<std::int64_t>(cardholder), 1 + Below(2)));
    return out;
  }

  // PassIssued again for an issued serial (a new authentication token generation).
  std::vector<events::AppendRequest> Reissue() {
    Pass* pass = AnyPass();
    if (!pass) return Enrol();
    Member& m = MemberOf(*pass);
    if (m.forgotten) return PassContent();
    pass->voided = false;
    m.has_key = true;
    return {catalogued::IssuePass(pass->serial, m.id, pass->type, "Reissued holder", 0,
                                  2 + static_cast<std::int64_t>(Below(5)))};
  }

  std::vector<events::AppendRequest> Enrol() {
    for (int tries = 0; tries < 40; ++tries) {
      Member& m = members_[Below(members_.size())];
      if (m.enrolled) continue;
      m.enrolled = true;
      m.active = Chance(0.9);
      m.level = Level();
      if (Chance(0.95)) {
        m.personal = RandomPersonal(m.id);
        m.has_key = true;
      }
      boost::json::array add_ons;
      if (Chance(0.3)) add_ons.push_back(boost::json::object{{"name", "Parking"}, {"quantity", 1}});
      std::vector<events::AppendRequest> out;
      out.push_back(
          catalogued::Enrol(m.id, m.level, m.active, m.personal, std::move(add_ons),
                            Chance(0.5) ? std::optional<std::string>("2027-06-30") : std::nullopt));
      out.back().idempotency_key = "enrol-" + m.id;
      if (m.personal) {
        for (std::size_t c = 0; c < m.personal->cardholders.size(); ++c) {
          for (auto& r : Issue(m, c)) out.push_back(std::move(r));
        }
      }
      return out;
    }
    return ChangePublic();
  }

  std::vector<events::AppendRequest> ReEnrol() {
    Member* m = AnyMember([](const Member& x) { return !x.forgotten && x.personal; });
    if (!m) return Enrol();
    m->level = Level();
    m->active = true;
    m->left = false;
    m->personal = RandomPersonal(m->id);
    return {catalogued::Enrol(m->id, m->level, true, m->personal)};
  }

  std::vector<events::AppendRequest> ChangePublic() {
    Member* m = AnyMember([](const Member&) { return true; });
    if (!m) return Enrol();
    boost::json::object changes;
    const std::size_t what = Below(3);
    if (what == 0) {
      const std::string level = Level();
      changes["level"] = Change(m->level, level);
      m->level = level;
    } else if (what == 1) {
      changes["expires"] = Change("2027-06-30", Chance(0.8) ? boost::json::value("2028-06-30")
                                                            : boost::json::value(nullptr));
    } else {
      changes["addOns"] =
          Change(boost::json::array(), boost::json::array{boost::json::object{
                                           {"name", "Guest pass"}, {"quantity", 1 + Below(3)}}});
    }
    std::vector<events::AppendRequest> out = {catalogued::ChangeMember(m->id, std::move(changes))};
    // A content change of the member's passes follows, as the importer writes it.
    for (std::size_t index : m->passes) {
      if (Chance(0.7)) out.push_back(catalogued::Revise(passes_[index].serial, "member changed"));
    }
    return out;
  }

  std::vector<events::AppendRequest> ChangePersonal() {
    Member* m = AnyMember([](const Member& x) { return !x.forgotten; });
    if (!m) return ChangePublic();
    if (!m->personal) m->personal = Personal{};
    Personal& p = *m->personal;
    boost::json::object personal;
    boost::json::object public_changes;
    const std::size_t what = Below(4);
    if (what == 0) {
      const std::string email = "new" + std::to_string(Below(1000)) + "@m" + m->id + ".example";
      personal["email"] = Change(p.email, email);
      p.email = email;
    } else if (what == 1) {
      Personal fresh = RandomPersonal(m->id);
      personal["firstName"] = Change(p.first_name, fresh.first_name);
      personal["name"] = Change(p.name, fresh.first_name + " " + p.last_name);
      p.first_name = fresh.first_name;
      p.name = fresh.first_name + " " + p.last_name;
    } else if (what == 2) {
      personal["address"] =
          Change(nullptr, boost::json::object{{"line1", "1 Garden Way"}, {"zip", "01520"}});
      if (Chance(0.5)) personal["address"] = Change(nullptr, nullptr);  // removed again
    } else {
      const std::string level = Level();
      public_changes["level"] = Change(m->level, level);
      m->level = level;
      personal["lastName"] = Change(p.last_name, "Newname");
      p.last_name = "Newname";
    }
    m->has_key = true;
    return {catalogued::ChangeMember(m->id, std::move(public_changes), std::move(personal))};
  }

  std::vector<events::AppendRequest> LapseOrReinstate() {
    Member* m = AnyMember([](const Member&) { return true; });
    if (!m) return Enrol();
    std::vector<events::AppendRequest> out;
    if (m->active && !m->left) {
      m->active = false;
      out.push_back(catalogued::Lapse(m->id));
      // Policy: lapsed members' passes are voided.
      for (std::size_t index : m->passes) {
        if (!passes_[index].voided && Chance(0.8)) {
          passes_[index].voided = true;
          out.push_back(catalogued::Void(passes_[index].serial, "lapsed"));
        }
      }
    } else {
      m->active = true;
      m->left = false;
      out.push_back(catalogued::Reinstate(m->id));
      for (std::size_t index : m->passes) {
        if (passes_[index].voided && !m->forgotten) {  // a forgotten member's stay void
          passes_[index].voided = false;
          out.push_back(catalogued::Unvoid(passes_[index].serial));
        }
      }
    }
    return out;
  }

  std::vector<events::AppendRequest> LeaveRoster() {
    Member* m = AnyMember([](const Member& x) { return !x.left; });
    if (!m) return LapseOrReinstate();
    m->left = true;
    return {catalogued::LeftRoster(m->id, Chance(0.5) ? "keep" : "void")};
  }

  Pass* AnyPass() { return passes_.empty() ? nullptr : &passes_[Below(passes_.size())]; }
  Member& MemberOf(const Pass& pass) {
    for (auto& m : members_) {
      if (m.id == pass.member) return m;
    }
    return members_.front();  // unreachable: every pass has its member
  }

  std::vector<events::AppendRequest> PassContent() {
    Pass* pass = AnyPass();
    if (!pass) return Enrol();
    const std::size_t what = Below(4);
    if (what == 0) {
      const bool unvoid = pass->voided;
      // A forgotten member's pass stays void whatever happens to it.
      pass->voided = !unvoid || MemberOf(*pass).forgotten;
      return {unvoid ? catalogued::Unvoid(pass->serial) : catalogued::Void(pass->serial, "staff")};
    }
    if (what == 2 && Chance(0.2)) {
      return {catalogued::RevokeToken(pass->serial, ++pass->token_generation)};
    }
    Member& m = MemberOf(*pass);
    if (what == 1 && !m.forgotten) {
      m.has_key = true;
      return {catalogued::Revise(pass->serial, "cardholder renamed", 0, m.id,
                                 "Card " + std::to_string(Below(1000)))};
    }
    return {catalogued::Revise(pass->serial, "template", Below(2) ? 1 + Below(100) : 0)};
  }

  std::vector<events::AppendRequest> Email() {
    Pass* pass = AnyPass();
    if (!pass) return Enrol();
    Member& m = MemberOf(*pass);
    const std::size_t what = Below(4);
    if (what == 0 && !m.forgotten) {
      m.has_key = true;
      std::vector<events::AppendRequest> out = {catalogued::EmailRequested(
          pass->serial, m.id, m.personal ? m.personal->email : "unknown@example.org",
          1 + Below(3))};
      out.back().idempotency_key = "email-" + pass->serial + "-" + std::to_string(Below(1'000'000));
      return out;
    }
    if (what == 1) return {catalogued::EmailFailed(pass->serial, "421 try later", true, 1)};
    if (what == 2 && Chance(0.3))
      return {catalogued::EmailFailed(pass->serial, "550 no", false, 3)};
    return {catalogued::EmailSent(pass->serial, "<" + std::to_string(rng_()) + "@mail>")};
  }

  std::vector<events::AppendRequest> Device() {
    if (!registrations_.empty() && Chance(0.3)) {
      auto it = registrations_.begin();
      std::advance(it, static_cast<long>(Below(registrations_.size())));
      auto [device, type, serial] = *it;
      registrations_.erase(it);
      static const char* kReasons[] = {"device", "apns-410", "bad-token"};
      return {catalogued::Unregister(device, type, serial, kReasons[Below(3)])};
    }
    Pass* pass = AnyPass();
    if (!pass) return Enrol();
    const std::string& device = Pick(devices_);
    if (Chance(0.05)) {  // unregistering what was never registered changes nothing
      return {catalogued::Unregister(device, pass->type, pass->serial + "-none")};
    }
    std::string& token = tokens_[device];
    if (token.empty() || Chance(0.1)) token = "tok" + std::to_string(rng_());
    registrations_.insert({device, pass->type, pass->serial});
    std::vector<events::AppendRequest> out = {
        catalogued::Register(device, pass->type, pass->serial, token)};
    out.back().idempotency_key = "reg-" + std::to_string(registered_++);
    return out;
  }

  std::vector<events::AppendRequest> ImportJob() {
    if (!open_imports_.empty() && Chance(0.7)) {
      const std::size_t at = Below(open_imports_.size());
      Import& job = open_imports_[at];
      if (Chance(0.5)) {
        ++job.rows;
        return {
            catalogued::ImportRowRejected(job.id, 1 + job.rows * 3, "Status", "unknown status")};
      }
      std::vector<events::AppendRequest> out;
      if (Chance(0.85)) {
        out.push_back(catalogued::ImportCompleted(
            job.id, {{"rows", 100 + job.rows}, {"rejected", job.rows}, {"enrolled", Below(20)}}));
      } else {
        out.push_back(catalogued::ImportFailed(job.id, "the file is not CSV"));
      }
      open_imports_.erase(open_imports_.begin() + static_cast<long>(at));
      return out;
    }
    Import job{"imp" + std::to_string(imports_++), 0};
    open_imports_.push_back(job);
    return {catalogued::ImportStarted(job.id, "roster-" + job.id + ".csv", std::to_string(rng_()),
                                      100 + Below(400))};
  }

  std::vector<events::AppendRequest> StaffAction() {
    if (staff_.size() < 3 || Chance(0.1)) {
      const std::string name = "staff" + std::to_string(staff_.size());
      staff_.push_back({name, false});
      return {catalogued::StaffCreated(name, Chance(0.2) ? "admin" : "staff",
                                       "$argon2id$" + std::to_string(rng_()))};
    }
    auto& [name, forgotten] = staff_[Below(staff_.size())];
    switch (Below(4)) {
      case 0:
        return {catalogued::StaffRoleChanged(name, "auditor", "staff")};
      case 1:
        if (!forgotten) {
          return {catalogued::StaffPasswordChanged(name, "$argon2id$" + std::to_string(rng_()))};
        }
        [[fallthrough]];
      case 2:
        return {catalogued::StaffLoginFailed(name, 1 + Below(5),
                                             Chance(0.5) ? 1'900'000'000'000'000 : 0)};
      default:
        return {catalogued::StaffDisabled(name)};
    }
  }

  std::vector<events::AppendRequest> Noise() {
    switch (Below(5)) {
      case 0:
        return {catalogued::TemplatePublished(kPassTypes[Below(3)], ++template_version_,
                                              "sha256:" + std::to_string(rng_()))};
      case 1:
        return {catalogued::PushBatchCompleted(Below(50), Below(3))};
      case 2:
        return {catalogued::DeviceLogReceived("[" + std::to_string(Below(100)) + "] log line")};
      case 3:  // events for a pass that was never issued change nothing
        return {catalogued::Void("GHOST" + std::to_string(Below(5)), "test")};
      default:  // types outside the catalogue are history only
        return {MakeRequest("misc-noise", {MakeEvent("Tick", {{"n", Below(10)}})})};
    }
  }

  std::vector<events::AppendRequest> NextAction() {
    // Early on mostly enrolments; later a realistic mix.
    const bool early = enrolled_ < members_.size() * 3 / 4 && Chance(0.6);
    if (early) {
      ++enrolled_;
      return Enrol();
    }
    const std::size_t roll = Below(1000);
    if (roll < 40) {
      ++enrolled_;
      return Enrol();
    }
    if (roll < 50) return ReEnrol();
    if (roll < 80) {
      Member* m = AnyMember([](const Member& x) {
        return !x.forgotten && x.personal && !x.personal->cardholders.empty();
      });
      if (m) return Issue(*m, Below(m->personal->cardholders.size()));
      return Enrol();
    }
    if (roll < 90) return Reissue();
    if (roll < 190) return ChangePublic();
    if (roll < 290) return ChangePersonal();
    if (roll < 360) return LapseOrReinstate();
    if (roll < 380) return LeaveRoster();
    if (roll < 560) return PassContent();
    if (roll < 730) return Email();
    if (roll < 880) return Device();
    if (roll < 930) return ImportJob();
    if (roll < 965) return StaffAction();
    return Noise();
  }

  std::optional<HistoryStep> MaybeForget() {
    if (events_ < 1000 || !Chance(0.0012)) return std::nullopt;
    if (forgot_staff_ < 1 && staff_.size() > 3) {
      auto& [name, forgotten] = staff_[1];
      if (!forgotten) {
        forgotten = true;
        ++forgot_staff_;
        return HistoryStep{{}, catalogued::StaffSubject(name), catalogued::StaffStream(name)};
      }
    }
    Member* m = AnyMember([](const Member& x) { return !x.forgotten && x.has_key; });
    if (!m) return std::nullopt;
    m->forgotten = true;
    for (std::size_t index : m->passes) passes_[index].voided = true;  // SubjectForgotten voids
    return HistoryStep{{}, m->id, catalogued::MemberStream(m->id)};
  }

  std::mt19937_64 rng_;
  std::vector<Member> members_;
  std::vector<Pass> passes_;
  std::vector<std::string> devices_;
  std::map<std::string, std::string> tokens_;
  std::set<std::tuple<std::string, std::string, std::string>> registrations_;
  std::vector<Import> open_imports_;
  std::vector<std::pair<std::string, bool>> staff_;  // username, forgotten
  std::vector<events::AppendRequest> sent_keys_;     // requests with idempotency keys
  std::size_t events_ = 0;
  std::size_t enrolled_ = 0;
  std::size_t imports_ = 0;
  std::size_t registered_ = 0;
  std::int64_t template_version_ = 0;
  int forgot_staff_ = 0;
};

// Two requests that fail together: a valid enrolment and a version conflict. Submitted among
// the steps, they must leave no trace in the log or the views, while the submissions staged
// in the same group commit go through.
inline std::vector<events::AppendRequest> PoisonedRequests(std::uint64_t n) {
  const std::string id = "poison" + std::to_string(n);
  std::vector<events::AppendRequest> requests = {
      catalogued::Enrol(id, "Individual", true, Personal::Named("Poison Ivy", {"Ivy"})),
      catalogued::Enrol(id + "b", "Individual", true, std::nullopt)};
  requests.back().expected = events::ExpectedVersion::Exactly(9);
  return requests;
}

// Feeds `steps` to `log` in order. With `pipelined`, most steps are submitted with
// AppendAsync (up to 32 in flight, so the writer groups them variously), some with a blocking
// AppendAtomic, and now and then a submission that must fail (PoisonedRequests) goes between
// them; forgets wait for everything before them. Fails the test case if any step fails or a
// poisoned submission does not. Returns the number of duplicate (idempotent retry) requests.
inline std::size_t ApplyHistory(events::EventLog& log, const std::vector<HistoryStep>& steps,
                                bool pipelined, std::uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t in_flight = 0;
  std::size_t duplicates = 0;
  std::vector<std::string> failures;
  auto drain = [&](std::size_t down_to) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return in_flight <= down_to; });
  };
  for (const auto& step : steps) {
    if (!step.forget_subject.empty()) {
      drain(0);
      auto forgotten = log.Forget(step.forget_subject, step.forget_stream, kTestActor, "erasure");
      BOOST_TEST_REQUIRE(Succeeded(forgotten));
      continue;
    }
    if (!pipelined || rng() % 5 == 0) {
      drain(0);
      auto appended = log.AppendAtomic(step.requests);
      BOOST_TEST_REQUIRE(Succeeded(appended));
      for (const auto& r : *appended) duplicates += r.duplicate;
      continue;
    }
    drain(31);
    if (rng() % 40 == 0) {
      {
        std::lock_guard lock(mutex);
        ++in_flight;
      }
      log.AppendAsync(PoisonedRequests(rng()), [&](Result<std::vector<events::AppendResult>> r) {
        std::lock_guard lock(mutex);
        if (r || r.error().code != ErrorCode::kConflict) {
          failures.push_back("a poisoned submission did not fail with a conflict");
        }
        --in_flight;
        changed.notify_all();
      });
    }
    {
      std::lock_guard lock(mutex);
      ++in_flight;
    }
    log.AppendAsync(step.requests, [&](Result<std::vector<events::AppendResult>> result) {
      std::lock_guard lock(mutex);
      if (!result) {
        failures.push_back(result.error().ToString());
      } else {
        for (const auto& r : *result) duplicates += r.duplicate;
      }
      --in_flight;
      changed.notify_all();
    });
  }
  drain(0);
  if (!failures.empty()) {
    BOOST_FAIL(failures.size() << " appends failed, the first: " << failures.front());
  }
  return duplicates;
}

}  // namespace passledger::testing

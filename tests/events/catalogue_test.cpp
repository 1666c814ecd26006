// The event catalogue: every catalogued event is validated on append; personal fields never
// reach the public payload.
#include "events/catalogue.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "events/event_log.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using boost::json::object;
using passledger::testing::FailedWith;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

struct Case {
  std::string name;
  std::string stream;
  std::string type;
  object payload;
  std::optional<object> personal;
  bool valid;
};

const object kEnrolled = {
    {"membershipId", "8-1"}, {"level", "Family"}, {"status", "Active"}, {"active", true}};

object With(object base, std::string_view key, boost::json::value value) {
  base[key] = std::move(value);
  return base;
}

object Without(object base, std::string_view key) {
  base.erase(key);
  return base;
}

BOOST_AUTO_TEST_SUITE(catalogue)

BOOST_AUTO_TEST_CASE(CataloguedEventsAreValidatedOnAppend) {
  const object issued = {{"serial", "S1"},
                         {"passTypeId", "pass.org.example"},
                         {"membershipId", "8-1"},
                         {"cardholderIndex", 0},
                         {"tokenGeneration", 1}};
  const std::vector<Case> cases = {
      {"enrolled", "member-8-1", "MemberEnrolled", kEnrolled, object{{"name", "Ada"}}, true},
      {"enrolled without personal part", "member-8-1", "MemberEnrolled", kEnrolled, {}, true},
      {"missing level", "member-8-1", "MemberEnrolled", Without(kEnrolled, "level"), {}, false},
      {"active as a string",
       "member-8-1",
       "MemberEnrolled",
       With(kEnrolled, "active", "yes"),
       {},
       false},
      {"e-mail in the public payload",
       "member-8-1",
       "MemberEnrolled",
       With(kEnrolled, "email", "ada@example.org"),
       {},
       false},
      {"unknown personal field", "member-8-1", "MemberEnrolled", kEnrolled,
       object{{"shoeSize", "9"}}, false},
      {"wrong stream category", "pass-S1", "MemberEnrolled", kEnrolled, {}, false},
      {"pass issued", "pass-S1", "PassIssued", issued, object{{"cardholder", "Ada"}}, true},
      {"pass issued without cardholder", "pass-S1", "PassIssued", issued, {}, false},
      {"voided without personal part",
       "pass-S1",
       "PassVoided",
       object{{"serial", "S1"}, {"reason", "lapsed"}},
       {},
       true},
      {"personal part where none belongs", "pass-S1", "PassVoided",
       object{{"serial", "S1"}, {"reason", "lapsed"}}, object{{"cardholder", "Ada"}}, false},
      {"public change",
       "member-8-1",
       "MemberChanged",
       object{{"membershipId", "8-1"},
              {"changes", object{{"level", object{{"old", "A"}, {"new", "B"}}}}}},
       {},
       true},
      {"personal change in the payload",
       "member-8-1",
       "MemberChanged",
       object{{"membershipId", "8-1"},
              {"changes", object{{"email", object{{"old", "a@x"}, {"new", "b@x"}}}}}},
       {},
       false},
      {"personal change in the personal part", "member-8-1", "MemberChanged",
       object{{"membershipId", "8-1"}, {"changes", object{}}},
       object{{"changes", object{{"email", object{{"old", "a@x"}, {"new", "b@x"}}}}}}, true},
      {"public change in the personal part", "member-8-1", "MemberChanged",
       object{{"membershipId", "8-1"}, {"changes", object{}}},
       object{{"changes", object{{"level", object{{"old", "A"}, {"new", "B"}}}}}}, false},
      {"uncatalogued type passes", "member-8-1", "NoteAdded", object{{"anything", 1}}, {}, true},
  };
  TempDir dir;
  auto log = OpenLog(dir / "data");
  std::uint64_t written = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      AppendRequest request;
      request.stream = c.stream;
      request.actor = "test:runner";
      NewEvent event;
      event.type = c.type;
      event.payload = c.payload;
      if (c.personal) {
        event.subject = "8-1";
        event.personal = c.personal;
      }
      request.events.push_back(std::move(event));
      auto result = log->Append(std::move(request));
      if (c.valid) {
        BOOST_TEST(Succeeded(result));
        ++written;
      } else {
        BOOST_TEST(FailedWith(result, ErrorCode::kInvalidArgument));
      }
      BOOST_TEST(log->GetHead().position == written);
    }
  }
}

BOOST_AUTO_TEST_CASE(EveryTypeIsDeclaredInTheDefaultRegistry) {
  for (const auto& spec : AllEventSpecs()) {
    BOOST_TEST(DefaultSchemaRegistry().CurrentVersion(spec.type) == spec.version, spec.type);
    BOOST_TEST(FindEventSpec(spec.type) == &spec);
  }
  BOOST_TEST(AllEventSpecs().size() >= 27u);
}

// SubjectForgotten means "this subject's key is destroyed": through the generic append it
// would claim a forget that never happened. Only EventLog::Forget appends it.
BOOST_AUTO_TEST_CASE(ReservedTypesOnlyThroughTheirOwnPath) {
  TempDir dir;
  auto log = OpenLog(dir / "data");
  NewEvent personal{"MemberEnrolled", 0, kEnrolled, "8-1", object{{"name", "Ada"}}};
  BOOST_TEST_REQUIRE(Succeeded(log->Append(AppendRequest{"member-8-1", {}, {personal}, "test"})));
  const object forged = {{"subject", "8-1"}, {"reason", "forged"}};
  for (const std::uint32_t version : {0u, 1u, kSubjectForgottenVersion}) {
    BOOST_TEST_CONTEXT("schema version " << version) {
      NewEvent event{std::string(kSubjectForgotten), version, forged, "", std::nullopt};
      auto appended = log->Append(AppendRequest{"member-8-1", {}, {event}, "test"});
      BOOST_TEST_REQUIRE(FailedWith(appended, ErrorCode::kPermissionDenied));
      BOOST_TEST(appended.error().message.find("passledger forget") != std::string::npos,
                 appended.error().message);
    }
  }
  BOOST_TEST(log->GetHead().position == 1u);
  BOOST_TEST(!*log->IsForgotten("8-1"));
  auto forgotten = log->Forget("8-1", "member-8-1", "test", "request");
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  BOOST_TEST(*log->IsForgotten("8-1"));
  std::size_t reserved = 0;
  for (const auto& spec : AllEventSpecs()) reserved += !spec.reserved_for.empty();
  BOOST_TEST(reserved >= 1u);
}

// Older schema versions are validated too, in the shape they are read in (upcast).
BOOST_AUTO_TEST_CASE(EverySchemaVersionIsValidated) {
  TempDir dir;
  OpenOptions options = passledger::testing::TestOptions(dir / "data");
  options.historical_writes = true;  // SubjectForgotten v1, as old logs hold it
  auto log = OpenLog(options);
  struct VersionCase {
    std::string name;
    std::uint32_t version;
    object payload;
    bool valid;
  };
  const std::vector<VersionCase> cases = {
      {"v1 as written then", 1, {{"subject", "8-1"}}, true},
      {"v1 with an unknown field", 1, {{"subject", "8-2"}, {"surname", "Lovelace"}}, false},
      {"v1 without its subject", 1, {{"who", "8-3"}}, false},
      {"v1 with a subject of the wrong kind", 1, {{"subject", 7}}, false},
      {"v2 as written now", 2, {{"subject", "8-4"}, {"reason", "request"}}, true},
      {"v2 without its reason", 2, {{"subject", "8-5"}}, false},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto head = log->GetHead().position;
      NewEvent event{std::string(kSubjectForgotten), c.version, c.payload, "", std::nullopt};
      auto appended = log->Append(AppendRequest{"member-8-0", {}, {event}, "test"});
      if (c.valid) {
        BOOST_TEST(Succeeded(appended));
      } else {
        BOOST_TEST(FailedWith(appended, ErrorCode::kInvalidArgument));
        BOOST_TEST(log->GetHead().position == head);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

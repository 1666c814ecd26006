// SchemaRegistry and upcasting on read: events keep the shape they were written in and are
// upcast one version at a time to the newest shape the reader's registry knows.
#include "events/schema_registry.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "events/event_log.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

using passledger::testing::FailedWith;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

BOOST_AUTO_TEST_SUITE(schema_registry)

BOOST_AUTO_TEST_CASE(SubjectForgottenV1ReadsAsV2) {
  struct Case {
    std::string name;
    std::uint32_t written_version;      // 0 = current
    std::optional<std::string> reason;  // v1 has none
    std::uint32_t want_stored_version;
    std::string want_reason;
  };
  const std::vector<Case> cases = {
      {"v1 gains the default reason", 1, {}, 1, "unspecified"},
      {"v2 is read as written", 2, "request", 2, "request"},
      {"version 0 stores the current version", 0, "gdpr", kSubjectForgottenVersion, "gdpr"},
  };
  TempDir dir;
  OpenOptions options = TestOptions(dir / "data");
  options.historical_writes = true;  // SubjectForgotten is reserved for EventLog::Forget
  auto log = OpenLog(options);
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const std::string subject = "member-" + std::to_string(++n);
      boost::json::object payload = {{"subject", subject}};
      if (c.reason) payload["reason"] = *c.reason;
      const boost::json::object want_payload = {{"subject", subject}, {"reason", c.want_reason}};
      NewEvent event = MakeEvent(std::string(kSubjectForgotten), payload);
      event.schema_version = c.written_version;
      auto appended = log->Append(MakeRequest("member-1", {event}));
      BOOST_TEST_REQUIRE(Succeeded(appended));
      for (const bool by_stream : {false, true}) {
        auto read = by_stream ? log->ReadStream("member-1", appended->stream_version, 1)
                              : log->ReadRange(appended->first_position, 1);
        BOOST_TEST_REQUIRE(Succeeded(read));
        BOOST_TEST_REQUIRE(read->size() == 1u);
        const RecordedEvent& got = read->front();
        BOOST_TEST(got.envelope.schema_version == c.want_stored_version);
        BOOST_TEST(got.schema_version == kSubjectForgottenVersion);
        BOOST_TEST(got.payload == want_payload);
        // Upcasting happens on read only: the stored bytes keep the written shape.
        BOOST_TEST(got.envelope.payload == boost::json::serialize(payload));
      }
    }
  }
}

// A registry of the catalogue plus "WidgetChanged" at v3:
//   v1 {"n"} personal {"nm"}  ->  v2 {"count"} personal {"name"}   (renames)
//   v2 -> v3 adds "label" = "count=<count>" and personal "greeting" = "hi <name>"
// The second step reads what the first wrote, so applying them out of order would fail.
SchemaRegistry WidgetRegistry() {
  SchemaRegistry registry;
  RegisterCatalogue(registry);
  registry.DeclareType("WidgetChanged", 3);
  registry.AddUpcaster("WidgetChanged", 1,
                       [](boost::json::object& payload, boost::json::object* personal) {
                         // Copies first: inserting may rehash and move the old value.
                         const boost::json::value n = payload.at("n");
                         payload.erase("n");
                         payload["count"] = n;
                         if (personal) {
                           const boost::json::value nm = personal->at("nm");
                           personal->erase("nm");
                           (*personal)["name"] = nm;
                         }
                       });
  registry.AddUpcaster(
      "WidgetChanged", 2, [](boost::json::object& payload, boost::json::object* personal) {
        payload["label"] = "count=" + std::to_string(payload.at("count").to_number<int>());
        if (personal) {
          personal->emplace("greeting", "hi " + std::string(personal->at("name").as_string()));
        }
      });
  return registry;
}

BOOST_AUTO_TEST_CASE(CustomRegistryUpcastsThroughEveryStep) {
  struct Case {
    std::uint32_t written_version;
    boost::json::object payload;
    boost::json::object personal;
    boost::json::object want_payload;
    boost::json::object want_personal;
  };
  const std::vector<Case> cases = {
      {1,
       {{"n", 5}},
       {{"nm", "Ada"}},
       {{"count", 5}, {"label", "count=5"}},
       {{"name", "Ada"}, {"greeting", "hi Ada"}}},
      {2,
       {{"count", 6}},
       {{"name", "Bob"}},
       {{"count", 6}, {"label", "count=6"}},
       {{"name", "Bob"}, {"greeting", "hi Bob"}}},
      {3,
       {{"count", 7}, {"label", "seven"}},
       {{"name", "Cy"}, {"greeting", "yo"}},
       {{"count", 7}, {"label", "seven"}},
       {{"name", "Cy"}, {"greeting", "yo"}}},
      {0,
       {{"count", 8}, {"label", "eight"}},
       {{"name", "Di"}, {"greeting", "hey"}},
       {{"count", 8}, {"label", "eight"}},
       {{"name", "Di"}, {"greeting", "hey"}}},
  };
  const SchemaRegistry registry = WidgetRegistry();  // outlives the log
  TempDir dir;
  OpenOptions options = TestOptions(dir / "data");
  options.schemas = &registry;
  auto log = OpenLog(options);
  for (const auto& c : cases) {
    NewEvent event = MakePersonalEvent("WidgetChanged", c.payload, "member-1", c.personal);
    event.schema_version = c.written_version;
    BOOST_TEST_REQUIRE(Succeeded(log->Append(MakeRequest("widget-1", {event}))));
  }
  for (const bool reveal : {false, true}) {
    auto events = log->ReadStream("widget-1", 1, 10, ReadOptions{.reveal = reveal});
    BOOST_TEST_REQUIRE(Succeeded(events));
    BOOST_TEST_REQUIRE(events->size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      BOOST_TEST_CONTEXT("written as v" << cases[i].written_version << " reveal " << reveal) {
        const RecordedEvent& got = (*events)[i];
        BOOST_TEST(got.envelope.schema_version ==
                   (cases[i].written_version == 0 ? 3u : cases[i].written_version));
        BOOST_TEST(got.schema_version == 3u);
        BOOST_TEST(got.payload == cases[i].want_payload);
        if (reveal) {
          BOOST_TEST(got.personal_state == PersonalState::kRevealed);
          BOOST_TEST(got.personal == cases[i].want_personal);
        } else {
          BOOST_TEST(got.personal_state == PersonalState::kSealed);
          BOOST_TEST(got.personal.empty());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(EventNewerThanTheRegistryFailsToRead) {
  const SchemaRegistry registry = WidgetRegistry();
  TempDir dir;
  const auto data = dir / "data";
  {
    OpenOptions options = TestOptions(data);
    options.schemas = &registry;
    auto log = OpenLog(options);
    BOOST_TEST_REQUIRE(Succeeded(log->Append(MakeRequest("widget-1", {MakeEvent("Tick", {})}))));
    BOOST_TEST_REQUIRE(Succeeded(
        log->Append(MakeRequest("widget-1", {MakeEvent("WidgetChanged", {{"count", 1}})}))));
  }
  // An older build, whose registry knows WidgetChanged only at v1, reopens the log.
  auto log = OpenLog(data);
  auto range = log->ReadRange(1, 10);
  BOOST_TEST(FailedWith(range, ErrorCode::kFailedPrecondition));
  if (!range) BOOST_TEST(range.error().message.find("WidgetChanged v3") != std::string::npos);
  BOOST_TEST(FailedWith(log->ReadStream("widget-1", 1, 10), ErrorCode::kFailedPrecondition));
  auto older = log->ReadRange(1, 1);  // the event it does know still reads
  BOOST_TEST_REQUIRE(Succeeded(older));
  BOOST_TEST(older->size() == 1u);
  // The chain does not depend on schemas.
  auto report = log->Verify();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok(), report->problem);
}

BOOST_AUTO_TEST_CASE(UpcastWithAMissingStepIsAnError) {
  SchemaRegistry registry;
  registry.DeclareType("WidgetChanged", 3);
  registry.AddUpcaster("WidgetChanged", 2, [](boost::json::object&, boost::json::object*) {});
  boost::json::object payload = {{"n", 1}};
  auto from_v1 = registry.Upcast("WidgetChanged", 1, payload, nullptr);
  BOOST_TEST(FailedWith(from_v1, ErrorCode::kInternal));
  auto from_v2 = registry.Upcast("WidgetChanged", 2, payload, nullptr);
  BOOST_TEST_REQUIRE(Succeeded(from_v2));
  BOOST_TEST(*from_v2 == 3u);
  BOOST_TEST(registry.CurrentVersion("Undeclared") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

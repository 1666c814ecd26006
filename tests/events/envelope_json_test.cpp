// EnvelopeJson (envelope_json.h), the one serialiser of `passledger log` and `export` lines:
// which fields each preset shows for each kind of event, that a field means the same in both
// (schema_version is the stored version, also for an upcast event), that export lines still
// verify, and that export files written by an earlier build are reproduced byte for byte.
#include "events/envelope_json.h"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "events/catalogue.h"
#include "events/export_format.h"
#include "events/export_verifier.h"
#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::events {
namespace {

namespace json = boost::json;
using passledger::testing::MakeEvent;
using passledger::testing::MakePersonalEvent;
using passledger::testing::MakeRequest;
using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

std::vector<std::string> Keys(const json::object& line) {
  std::vector<std::string> keys;
  for (const auto& field : line) keys.emplace_back(field.key());
  return keys;
}

json::object Line(const RecordedEvent& event, const EnvelopeJsonOptions& options) {
  auto line = EnvelopeJson(event, options);
  BOOST_TEST_REQUIRE(Succeeded(line));
  return *line;
}

// Position 1: a public event; 2: one with a personal part; 3: SubjectForgotten in its v1
// shape, which this build reads as v2 (it gains "reason").
std::unique_ptr<EventLog> ThreeEvents(const std::filesystem::path& dir) {
  OpenOptions options = TestOptions(dir);
  options.historical_writes = true;  // SubjectForgotten v1, as old logs hold it
  auto log = OpenLog(options);
  BOOST_TEST_REQUIRE(
      Succeeded(log->Append(MakeRequest("note-1", {MakeEvent("Tick", {{"n", 1}})}))));
  BOOST_TEST_REQUIRE(Succeeded(log->Append(
      MakeRequest("member-1", {MakePersonalEvent("Enrolled", {{"level", "Patron"}}, "member-1",
                                                 {{"name", "Avery Quill"}})}))));
  NewEvent forgotten = MakeEvent(std::string(kSubjectForgotten), {{"subject", "member-9"}});
  forgotten.schema_version = 1;
  BOOST_TEST_REQUIRE(Succeeded(log->Append(MakeRequest("member-9", {forgotten}))));
  return log;
}

BOOST_AUTO_TEST_SUITE(envelope_json)

BOOST_AUTO_TEST_CASE(EachPresetShowsItsFieldsInOneOrder) {
  TempDir dir;
  auto log = ThreeEvents(dir / "data");
  const std::vector<std::string> head = {"position", "stream",         "version",
                                         "type",     "schema_version", "recorded_at"};
  const std::vector<std::string> who = {"actor", "correlation_id", "causation", "subject",
                                        "payload"};
  auto keys = [&](std::vector<std::string> after_recorded_at, std::vector<std::string> tail) {
    std::vector<std::string> out = head;
    out.insert(out.end(), after_recorded_at.begin(), after_recorded_at.end());
    out.insert(out.end(), who.begin(), who.end());
    out.insert(out.end(), tail.begin(), tail.end());
    out.insert(out.end(), {"prev_hash", "hash"});
    return out;
  };
  struct Case {
    std::string name;
    std::uint64_t position;
    bool reveal;  // read with the key, and the export's --reveal
    EnvelopeJsonOptions options;
    std::vector<std::string> want;
  };
  const EnvelopeJsonOptions log_line = LogLineOptions();
  const std::vector<Case> cases = {
      {"log, public", 1, false, log_line, keys({}, {})},
      {"export, public", 1, false, ExportLineOptions(false),
       keys({"recorded_at_us"}, {"payload_text"})},
      {"log, sealed", 2, false, log_line, keys({}, {"personal"})},
      {"log --reveal, sealed", 2, true, log_line,
       keys({}, {"personal", "personal_schema_version"})},
      {"export, sealed", 2, false, ExportLineOptions(false),
       keys({"recorded_at_us"}, {"payload_text", "sealed"})},
      {"export --reveal, sealed", 2, true, ExportLineOptions(true),
       keys({"recorded_at_us"}, {"payload_text", "sealed", "personal", "personal_schema_version"})},
      {"log, upcast", 3, false, log_line, keys({}, {"upcast_schema_version", "upcast_payload"})},
      {"export, upcast", 3, false, ExportLineOptions(false),
       keys({"recorded_at_us"}, {"payload_text"})},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto read = log->ReadRange(c.position, 1, ReadOptions{c.reveal});
      BOOST_TEST_REQUIRE(Succeeded(read));
      const auto got = Keys(Line(read->front(), c.options));
      BOOST_TEST(got == c.want, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(SchemaVersionIsTheStoredOneAndTheUpcastShapeHasItsOwnFields) {
  TempDir dir;
  auto log = ThreeEvents(dir / "data");
  auto read = log->ReadRange(3, 1);
  BOOST_TEST_REQUIRE(Succeeded(read));
  const RecordedEvent& event = read->front();
  BOOST_TEST_REQUIRE(event.envelope.schema_version == 1u);
  BOOST_TEST_REQUIRE(event.schema_version == kSubjectForgottenVersion);
  const json::object stored = {{"subject", "member-9"}};
  const json::object upcast = {{"subject", "member-9"}, {"reason", "unspecified"}};
  for (const auto& options : {LogLineOptions(), ExportLineOptions(false)}) {
    const json::object line = Line(event, options);
    BOOST_TEST(line.at("schema_version").to_number<std::uint32_t>() == 1u);
    BOOST_TEST(line.at("payload").as_object() == stored);
  }
  const json::object log_line = Line(event, LogLineOptions());
  BOOST_TEST(log_line.at("upcast_schema_version").to_number<std::uint32_t>() ==
             kSubjectForgottenVersion);
  BOOST_TEST(log_line.at("upcast_payload").as_object() == upcast);
  BOOST_TEST(!log_line.contains("stored_schema_version"));
}

BOOST_AUTO_TEST_CASE(PersonalPartInEveryState) {
  TempDir dir;
  auto log = ThreeEvents(dir / "data");
  auto sealed = log->ReadRange(2, 1);
  auto revealed = log->ReadRange(2, 1, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(sealed));
  BOOST_TEST_REQUIRE(Succeeded(revealed));
  const json::object personal = {{"name", "Avery Quill"}};
  BOOST_TEST(Line(sealed->front(), LogLineOptions()).at("personal").as_string() == "sealed");
  BOOST_TEST(!Line(sealed->front(), ExportLineOptions(true)).contains("personal"));
  for (const auto& options : {LogLineOptions(), ExportLineOptions(true)}) {
    const json::object line = Line(revealed->front(), options);
    BOOST_TEST(line.at("personal").as_object() == personal);
    BOOST_TEST(line.at("personal_schema_version").to_number<std::uint32_t>() == 1u);
  }
  BOOST_TEST(!Line(revealed->front(), ExportLineOptions(false)).contains("personal"));

  BOOST_TEST_REQUIRE(Succeeded(log->Forget("member-1", "member-1", "test:runner", "test")));
  auto forgotten = log->ReadRange(2, 1, ReadOptions{.reveal = true});
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  for (const auto& options : {LogLineOptions(), ExportLineOptions(true)}) {
    BOOST_TEST(Line(forgotten->front(), options).at("personal").as_string() == "forgotten");
  }
}

BOOST_AUTO_TEST_CASE(ExportLinesOfEveryKindVerify) {
  TempDir dir;
  auto log = ThreeEvents(dir / "data");
  for (const bool reveal : {false, true}) {
    BOOST_TEST_CONTEXT("reveal " << reveal) {
      auto events = log->ReadRange(1, 10, ReadOptions{reveal});
      BOOST_TEST_REQUIRE(Succeeded(events));
      std::string text;
      for (const auto& event : *events) {
        text += json::serialize(Line(event, ExportLineOptions(reveal))) + "\n";
      }
      std::istringstream in(text);
      const auto report = VerifyExport(in);
      BOOST_TEST(report.ok(), report.problem);
      BOOST_TEST(report.checked == 3u);
    }
  }
}

// The seeds of the export fuzzer are `passledger export` files written by an earlier build
// (2026-11-29): they verify, and each line comes out of EnvelopeJson byte for byte.
BOOST_AUTO_TEST_CASE(ExportFilesOfAnEarlierBuildVerifyAndAreReproduced) {
  for (const char* name : {"all", "from3", "reveal"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string path = std::string(PASSLEDGER_EXPORT_CORPUS) + "/" + name;
      std::ifstream file(path, std::ios::binary);
      BOOST_TEST_REQUIRE(file.good(), path);
      std::ostringstream text;
      text << file.rdbuf();
      std::istringstream in(text.str());
      const auto report = VerifyExport(in);
      BOOST_TEST(report.ok(), report.problem);
      BOOST_TEST(report.checked > 0u);

      std::istringstream lines(text.str());
      const bool reveal = std::string(name) == "reveal";
      for (std::string line; std::getline(lines, line);) {
        const json::object old_line = json::parse(line, {}, ExportParseOptions()).as_object();
        auto envelope = EnvelopeFromExportLine(old_line);
        BOOST_TEST_REQUIRE(Succeeded(envelope));
        RecordedEvent event{*envelope, envelope->schema_version, {}, PersonalState::kNone, {}};
        if (const json::value* personal = old_line.if_contains("personal")) {
          if (personal->is_object()) {
            event.personal_state = PersonalState::kRevealed;
            event.personal = personal->as_object();
            event.schema_version =
                old_line.at("personal_schema_version").to_number<std::uint32_t>();
          } else {
            event.personal_state = PersonalState::kForgotten;
          }
        } else if (!envelope->sealed.empty()) {
          event.personal_state = PersonalState::kSealed;
        }
        BOOST_TEST(json::serialize(Line(event, ExportLineOptions(reveal))) == line);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(PayloadThatIsNotAnObjectIsCorruption) {
  RecordedEvent event{};
  event.envelope.position = 4;
  event.envelope.payload = "[1]";
  for (const auto& options : {LogLineOptions(), ExportLineOptions(false)}) {
    auto line = EnvelopeJson(event, options);
    BOOST_TEST_REQUIRE(!line.has_value());
    BOOST_TEST((line.error().code == ErrorCode::kCorruption));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::events

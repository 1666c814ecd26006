// Helpers for tests of the event log: building requests, opening a log in a test directory,
// and Boost.Test predicates over Result<T> that print the error when they fail.
#pragma once

#include <boost/json/object.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"

namespace passledger {

// Lets BOOST_TEST print error codes in failure messages.
inline std::ostream& boost_test_print_type(std::ostream& out, ErrorCode code) {
  return out << ErrorCodeName(code);
}

namespace events {

inline std::ostream& boost_test_print_type(std::ostream& out, PersonalState state) {
  switch (state) {
    case PersonalState::kNone:
      return out << "kNone";
    case PersonalState::kSealed:
      return out << "kSealed";
    case PersonalState::kRevealed:
      return out << "kRevealed";
    case PersonalState::kForgotten:
      return out << "kForgotten";
  }
  return out << "PersonalState(" << static_cast<int>(state) << ")";
}

}  // namespace events
}  // namespace passledger

namespace passledger::testing {

inline constexpr std::string_view kTestActor = "test:runner";

inline events::NewEvent MakeEvent(std::string type, boost::json::object payload) {
  events::NewEvent event;
  event.type = std::move(type);
  event.payload = std::move(payload);
  return event;
}

// An event with a personal part sealed under `subject`'s key.
inline events::NewEvent MakePersonalEvent(std::string type, boost::json::object payload,
                                          std::string subject, boost::json::object personal) {
  events::NewEvent event = MakeEvent(std::move(type), std::move(payload));
  event.subject = std::move(subject);
  event.personal = std::move(personal);
  return event;
}

inline events::AppendRequest MakeRequest(
    std::string stream, std::vector<events::NewEvent> events,
    events::ExpectedVersion expected = events::ExpectedVersion::Any()) {
  events::AppendRequest request;
  request.stream = std::move(stream);
  request.expected = expected;
  request.events = std::move(events);
  request.actor = std::string(kTestActor);
  return request;
}

// A request of `count` small public events {"n": 0..count-1} of type "Tick".
inline events::AppendRequest TickRequest(
    std::string stream, std::size_t count = 1,
    events::ExpectedVersion expected = events::ExpectedVersion::Any()) {
  std::vector<events::NewEvent> ticks;
  for (std::size_t i = 0; i < count; ++i) ticks.push_back(MakeEvent("Tick", {{"n", i}}));
  return MakeRequest(std::move(stream), std::move(ticks), expected);
}

template <class T>
boost::test_tools::predicate_result Succeeded(const Result<T>& result) {
  if (result.has_value()) return true;
  boost::test_tools::predicate_result failed(false);
  failed.message() << "failed with " << result.error().ToString();
  return failed;
}

template <class T>
boost::test_tools::predicate_result FailedWith(const Result<T>& result, ErrorCode code) {
  boost::test_tools::predicate_result failed(false);
  if (result.has_value()) {
    failed.message() << "succeeded; expected " << ErrorCodeName(code);
    return failed;
  }
  if (result.error().code != code) {
    failed.message() << "failed with " << result.error().ToString() << "; expected "
                     << ErrorCodeName(code);
    return failed;
  }
  return true;
}

// Options for a log in `data_dir` with a small block cache (tests open many logs).
inline events::OpenOptions TestOptions(const std::filesystem::path& data_dir) {
  events::OpenOptions options;
  options.data_dir = data_dir;
  options.block_cache_bytes = 8u << 20;
  return options;
}

// Opens the log or fails the test case.
inline std::unique_ptr<events::EventLog> OpenLog(const events::OpenOptions& options) {
  auto log = events::EventLog::Open(options);
  BOOST_TEST_REQUIRE(Succeeded(log));
  return std::move(*log);
}

inline std::unique_ptr<events::EventLog> OpenLog(const std::filesystem::path& data_dir) {
  return OpenLog(TestOptions(data_dir));
}

inline std::vector<std::uint64_t> Positions(const std::vector<events::RecordedEvent>& events) {
  std::vector<std::uint64_t> positions;
  for (const auto& event : events) positions.push_back(event.envelope.position);
  return positions;
}

// first, first + 1, ..., first + count - 1.
inline std::vector<std::uint64_t> Iota(std::uint64_t first, std::uint64_t count) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < count; ++i) out.push_back(first + i);
  return out;
}

}  // namespace passledger::testing

// DeviceLogStore: the bounded ring of device logs beside the event log — records in arrival
// order, queries by device, client and time, the byte budget kept by dropping the oldest
// first, the ring's state surviving a reopen, a read-only open beside the data, and none of
// it in the hash chain.
#include "projections/device_log_store.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/testing/event_log_helpers.h"
#include "tests/testing/temp_dir.h"

namespace passledger::projections {
namespace {

using passledger::testing::OpenLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using passledger::testing::TestOptions;

DeviceLogRecord Record(std::int64_t at_ms, std::string client, std::string line,
                       std::string device = {}) {
  DeviceLogRecord record;
  record.at_ms = at_ms;
  record.client = std::move(client);
  record.device = std::move(device);
  record.lines = {std::move(line)};
  return record;
}

std::vector<DeviceLogRecord> All(const DeviceLogStore& store, DeviceLogQuery query = {}) {
  std::vector<DeviceLogRecord> out;
  auto scanned = store.Scan(query, [&](const DeviceLogRecord& record) {
    out.push_back(record);
    return true;
  });
  BOOST_TEST_REQUIRE(Succeeded(scanned));
  return out;
}

bool FailedWithTooLarge(DeviceLogStore& store, std::string line) {
  auto appended = store.Append(Record(1, "c", std::move(line)));
  return !appended && appended.error().code == ErrorCode::kTooLarge;
}

std::unique_ptr<DeviceLogStore> OpenStore(events::EventLog& log, std::uint64_t budget) {
  auto store = DeviceLogStore::Open(&log, budget);
  BOOST_TEST_REQUIRE(Succeeded(store));
  return std::move(*store);
}

BOOST_AUTO_TEST_CASE(records_come_back_in_order_and_by_query) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log, 1 << 20);
  BOOST_TEST(*store->Append(Record(1000, "aa", "one")) == 1u);
  BOOST_TEST(*store->Append(Record(2000, "bb", "two", "phone")) == 2u);
  BOOST_TEST(*store->Append(Record(3000, "aa", "three")) == 3u);
  const auto all = All(*store);
  BOOST_TEST_REQUIRE(all.size() == 3u);
  BOOST_TEST(all[0].lines[0] == "one");
  BOOST_TEST(all[2].sequence == 3u);
  BOOST_TEST(All(*store, {.client = "aa"}).size() == 2u);
  BOOST_TEST(All(*store, {.device = "phone"}).size() == 1u);
  BOOST_TEST(All(*store, {.since_ms = 2000}).size() == 2u);
  BOOST_TEST(All(*store, {.limit = 1}).size() == 1u);
  // Not in the hash chain: the log is as empty as it was.
  BOOST_TEST(log->GetHead().position == 0u);
}

// A bounded page reads at most max_scanned records and says where it stopped; the next page
// goes on after that record.
BOOST_AUTO_TEST_CASE(a_bounded_page_says_where_it_stopped) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  auto store = OpenStore(*log, 1 << 20);
  for (int i = 1; i <= 10; ++i) {
    BOOST_TEST_REQUIRE(Succeeded(store->Append(
        Record(1000 * i, "c", "line " + std::to_string(i), i % 3 == 0 ? "phone" : ""))));
  }
  std::vector<std::uint64_t> seen;
  DeviceLogQuery query{.device = "phone", .max_scanned = 4};
  auto page = [&] {
    auto scanned = store->ScanPage(query, [&](const DeviceLogRecord& record) {
      seen.push_back(record.sequence);
      return true;
    });
    BOOST_TEST_REQUIRE(Succeeded(scanned));
    return *scanned;
  };
  const DeviceLogScan first = page();
  BOOST_TEST(first.capped);
  BOOST_TEST(first.read == 4u);
  BOOST_TEST(first.last_scanned == 4u);
  BOOST_TEST((seen == std::vector<std::uint64_t>{3}));
  query.after_sequence = first.last_scanned;
  const DeviceLogScan second = page();
  BOOST_TEST(second.capped);
  BOOST_TEST(second.last_scanned == 8u);
  query.after_sequence = second.last_scanned;
  const DeviceLogScan third = page();
  BOOST_TEST(!third.capped);
  BOOST_TEST(third.read == 2u);
  BOOST_TEST((seen == std::vector<std::uint64_t>{3, 6, 9}));
}

// The budget holds however much arrives; what is dropped is always the oldest. The positive
// control: before the budget is reached nothing is dropped and every record is there.
BOOST_AUTO_TEST_CASE(the_ring_keeps_its_byte_budget_dropping_the_oldest_first) {
  TempDir dir;
  auto log = OpenLog(TestOptions(dir.path() / "data"));
  constexpr std::uint64_t kBudget = 64 * 1024;
  auto store = OpenStore(*log, kBudget);
  const std::string line(1000, 'x');
  std::uint64_t appended = 0;
  while (store->Stats().bytes + 2000 < kBudget) {
    BOOST_TEST_REQUIRE(Succeeded(store->Append(Record(1, "c", line))));
    ++appended;
  }
  BOOST_TEST_REQUIRE(store->Stats().dropped == 0u);
  BOOST_TEST_REQUIRE(All(*store).size() == appended);
  for (int i = 0; i < 1000; ++i) {
    BOOST_TEST_REQUIRE(Succeeded(store->Append(Record(2, "c", line + std::to_string(i)))));
    BOOST_TEST_REQUIRE(store->Stats().bytes <= kBudget);
  }
  const auto kept = All(*store, {.limit = 100'000});
  BOOST_TEST(kept.size() == store->Stats().records);
  BOOST_TEST(kept.size() >= appended - 2);
  BOOST_TEST(store->Stats().dropped == appended + 1000 - kept.size());
  BOOST_TEST(kept.back().lines[0] == line + "999");  // the newest is kept
  for (std::size_t i = 1; i < kept.size(); ++i) {
    BOOST_TEST_REQUIRE(kept[i].sequence == kept[i - 1].sequence + 1);  // no hole
  }
  BOOST_TEST(kept.front().sequence == appended + 1000 - kept.size() + 1);
  BOOST_TEST(FailedWithTooLarge(*store, std::string(kBudget, 'y')));
}

BOOST_AUTO_TEST_CASE(the_ring_survives_a_reopen_and_reads_beside_a_writer) {
  TempDir dir;
  const auto data = dir.path() / "data";
  {
    auto log = OpenLog(TestOptions(data));
    auto store = OpenStore(*log, 8 * 1024);
    for (int i = 0; i < 50; ++i) {
      BOOST_TEST_REQUIRE(Succeeded(store->Append(Record(i, "c", std::string(500, 'a')))));
    }
  }
  auto log = OpenLog(TestOptions(data));
  auto store = OpenStore(*log, 8 * 1024);
  const DeviceLogStats before = store->Stats();
  BOOST_TEST(before.records > 0u);
  BOOST_TEST(before.dropped > 0u);
  BOOST_TEST(before.bytes <= 8u * 1024);
  BOOST_TEST(*store->Append(Record(99, "c", "after")) == 51u);

  auto read_only_options = TestOptions(data);
  read_only_options.read_only = true;
  auto reader_log = OpenLog(read_only_options);
  auto reader = OpenStore(*reader_log, 1);
  const auto seen = All(*reader);
  BOOST_TEST_REQUIRE(!seen.empty());
  BOOST_TEST(seen.back().lines[0] == "after");
  BOOST_TEST(!Succeeded(reader->Append(Record(1, "c", "x"))));
}

BOOST_AUTO_TEST_CASE(a_read_only_log_without_the_ring_reads_as_empty) {
  TempDir dir;
  const auto data = dir.path() / "data";
  { auto log = OpenLog(TestOptions(data)); }
  auto options = TestOptions(data);
  options.read_only = true;
  auto log = OpenLog(options);
  auto store = OpenStore(*log, 1);
  BOOST_TEST(All(*store).empty());
  BOOST_TEST(store->Stats().records == 0u);
}

}  // namespace
}  // namespace passledger::projections

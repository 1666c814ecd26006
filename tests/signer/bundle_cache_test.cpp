// The signed-bundle cache: hits and misses, byte-bounded LRU eviction, one maker for many
// concurrent requests of the same key, and failures that are shared but never cached.
#include "signer/bundle_cache.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace passledger::signer {
namespace {

BundleCache::Maker MakerOf(std::string bytes, std::atomic<int>& calls) {
  return [bytes = std::move(bytes), &calls]() -> Result<std::string> {
    ++calls;
    return bytes;
  };
}

BOOST_AUTO_TEST_SUITE(bundle_cache)

BOOST_AUTO_TEST_CASE(second_request_is_a_hit_and_a_new_position_a_miss) {
  BundleCache cache(1 << 20);
  std::atomic<int> calls = 0;
  auto a = cache.GetOrMake("S1", 7, MakerOf("bundle-7", calls));
  auto b = cache.GetOrMake("S1", 7, MakerOf("other", calls));
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST(**b == "bundle-7");
  BOOST_TEST((a->get() == b->get()));  // the same shared bytes
  auto c = cache.GetOrMake("S1", 9, MakerOf("bundle-9", calls));
  BOOST_TEST(**c == "bundle-9");
  BOOST_TEST(calls == 2);
  const auto stats = cache.Stats();
  BOOST_TEST(stats.hits == 1u);
  BOOST_TEST(stats.misses == 2u);
  BOOST_TEST(stats.bytes == 16u);
  BOOST_TEST(stats.entries == 2u);
}

BOOST_AUTO_TEST_CASE(evicts_least_recently_used_within_the_byte_budget) {
  BundleCache cache(300);
  std::atomic<int> calls = 0;
  for (std::uint64_t pos : {1, 2, 3}) {
    BOOST_TEST(cache.GetOrMake("S", pos, MakerOf(std::string(100, 'a'), calls)).has_value());
  }
  BOOST_TEST(cache.GetOrMake("S", 1, MakerOf("", calls)).has_value());  // 1 is now newest
  BOOST_TEST(cache.GetOrMake("S", 4, MakerOf(std::string(100, 'b'), calls)).has_value());
  auto stats = cache.Stats();
  BOOST_TEST(stats.evictions == 1u);
  BOOST_TEST(stats.bytes == 300u);
  calls = 0;
  BOOST_TEST(cache.GetOrMake("S", 1, MakerOf("x", calls)).has_value());  // kept
  BOOST_TEST(calls == 0);
  BOOST_TEST(**cache.GetOrMake("S", 2, MakerOf("evicted", calls)) == "evicted");
  BOOST_TEST(calls == 1);
  BOOST_TEST(cache.Stats().bytes <= 300u);

  // Larger than the whole budget: returned, never kept, nothing evicted for it.
  const auto before = cache.Stats();
  auto huge = cache.GetOrMake("H", 1, MakerOf(std::string(1000, 'h'), calls));
  BOOST_TEST(huge.has_value());
  BOOST_TEST(cache.Stats().entries == before.entries);
  BOOST_TEST(cache.Stats().evictions == before.evictions);
}

BOOST_AUTO_TEST_CASE(concurrent_misses_of_one_key_make_it_once) {
  BundleCache cache(1 << 20);
  std::atomic<int> calls = 0;
  std::atomic<bool> release = false;
  auto slow = [&]() -> Result<std::string> {
    ++calls;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return std::string("signed");
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok = 0;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto got = cache.GetOrMake("S", 1, slow);
      if (got && **got == "signed") ++ok;
    });
  }
  while (cache.Stats().misses + cache.Stats().waits < 16) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  release = true;
  for (auto& t : threads) t.join();
  BOOST_TEST(calls == 1);
  BOOST_TEST(ok == 16);
  BOOST_TEST(cache.Stats().waits == 15u);
}

BOOST_AUTO_TEST_CASE(a_failure_reaches_every_waiter_and_is_not_cached) {
  BundleCache cache(1 << 20);
  std::atomic<int> calls = 0;
  auto failing = [&]() -> Result<std::string> {
    ++calls;
    return MakeError(ErrorCode::kFailedPrecondition, "certificate expired");
  };
  auto first = cache.GetOrMake("S", 1, failing);
  BOOST_TEST_REQUIRE(!first.has_value());
  BOOST_TEST(first.error().message == "certificate expired");
  BOOST_TEST(cache.Stats().entries == 0u);
  auto second = cache.GetOrMake("S", 1, MakerOf("fine", calls));
  BOOST_TEST_REQUIRE(second.has_value());
  BOOST_TEST(**second == "fine");
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

// The PassKit web service without sockets: a device's whole life against the sample roster
// (register, list, a roster change, download, 304, unregister), push-token refresh, every
// authentication failure answered alike, bad bodies and ids, log limits and the log rate
// limit, and concurrent identical registrations writing one event.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "events/stream_names.h"
#include "handlers/passkit/passkit_service.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::DevPassFactory;
using passledger::testing::FailedWith;
using passledger::testing::PassJsonOf;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::SampleWithNewEmail;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kType = "pass.org.example.member";
constexpr std::string_view kFamily = "8-10000001";  // two cardholders, two passes

std::string Body(std::string_view push_token) {
  return R"({"pushToken":")" + std::string(push_token) + R"("})";
}

class Fixture {
 public:
  Fixture()
      : log_(ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        device_logs_(OpenDeviceLogs(log_->log())),
        factory_(DevPassFactory(dir_.path() / "certs")),
        bundles_(&read_, {factory_}) {
    Import(SampleRoster());
    auto passes = read_.PassesOfMember(kFamily);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    BOOST_TEST_REQUIRE(passes->size() == 2u);
    serial_ = passes->at(0).serial;
    other_serial_ = passes->at(1).serial;
    auth_ = Auth(serial_);
  }

  void Import(std::string_view bytes) { passledger::testing::ImportRoster(*log_, bytes); }

  std::string Auth(std::string_view serial) const {
    return "ApplePass " + factory_->AuthToken(serial, 1);
  }

  static std::unique_ptr<projections::DeviceLogStore> OpenDeviceLogs(events::EventLog& log) {
    auto store = projections::DeviceLogStore::Open(&log, 64 << 20);
    BOOST_TEST_REQUIRE(Succeeded(store));
    return std::move(*store);
  }

  PassKitService Service(PassKitOptions options = {}) {
    if (options.device_logs == nullptr) options.device_logs = device_logs_.get();
    return PassKitService(&log_->log(), read_, &bundles_, std::move(options));
  }

  std::uint64_t Head() const { return log_->log().GetHead().position; }

  std::uint64_t DeviceEvents(std::string_view device) const {
    auto version = log_->log().StreamVersion("device-" + std::string(device));
    BOOST_TEST_REQUIRE(Succeeded(version));
    return *version;
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
  std::unique_ptr<projections::DeviceLogStore> device_logs_;  // destroyed before log_
  std::shared_ptr<const signer::PassFactory> factory_;
  PassBundles bundles_;
  std::string serial_;
  std::string other_serial_;
  std::string auth_;
};

BOOST_FIXTURE_TEST_SUITE(passkit, Fixture)

BOOST_AUTO_TEST_CASE(a_device_lifecycle_without_http) {
  PassKitService service = Service();
  auto created = service.Register("device1", kType, serial_, auth_, Body("00ff"));
  BOOST_TEST_REQUIRE(Succeeded(created));
  BOOST_TEST((created->outcome == RegisterOutcome::kCreated));
  auto again = service.Register("device1", kType, serial_, auth_, Body("00ff"));
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST((again->outcome == RegisterOutcome::kAlreadyRegistered));
  BOOST_TEST(DeviceEvents("device1") == 1u);

  auto all = service.ListUpdated("device1", kType, "");
  BOOST_TEST_REQUIRE(Succeeded(all));
  BOOST_TEST_REQUIRE(all->has_value());
  BOOST_TEST((*all)->serials == std::vector<std::string>{serial_});
  const std::string tag = std::to_string((*all)->last_updated);
  auto none = service.ListUpdated("device1", kType, tag);
  BOOST_TEST_REQUIRE(Succeeded(none));
  BOOST_TEST(!none->has_value());

  // Both of the family's passes are revised; only the registered one is listed.
  Import(SampleWithNewEmail());
  auto changed = service.ListUpdated("device1", kType, tag);
  BOOST_TEST_REQUIRE(Succeeded(changed));
  BOOST_TEST_REQUIRE(changed->has_value());
  BOOST_TEST((*changed)->serials == std::vector<std::string>{serial_});
  BOOST_TEST((*changed)->last_updated > (*all)->last_updated);

  auto latest = service.LatestPass(kType, serial_, auth_, std::nullopt);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  BOOST_TEST(!latest->not_modified);
  BOOST_TEST_REQUIRE(latest->bundle != nullptr);
  BOOST_TEST(latest->content_position == (*changed)->last_updated);
  BOOST_TEST(latest->last_modified_s > 0);
  BOOST_TEST(PassJsonOf(latest->bundle).at("serialNumber").as_string() == serial_);

  auto same = service.LatestPass(kType, serial_, auth_, latest->last_modified_s);
  BOOST_TEST_REQUIRE(Succeeded(same));
  BOOST_TEST(same->not_modified);
  BOOST_TEST(same->bundle == nullptr);
  BOOST_TEST(same->last_modified_s == latest->last_modified_s);
  auto older = service.LatestPass(kType, serial_, auth_, latest->last_modified_s - 1);
  BOOST_TEST_REQUIRE(Succeeded(older));
  BOOST_TEST(!older->not_modified);
  BOOST_TEST((older->bundle.get() == latest->bundle.get()));  // the cached bundle

  auto removed = service.Unregister("device1", kType, serial_, auth_);
  BOOST_TEST_REQUIRE(Succeeded(removed));
  BOOST_TEST(*removed);
  auto after = service.ListUpdated("device1", kType, "");
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST(!after->has_value());
  auto removed_again = service.Unregister("device1", kType, serial_, auth_);
  BOOST_TEST_REQUIRE(Succeeded(removed_again));
  BOOST_TEST(!*removed_again);
  BOOST_TEST(DeviceEvents("device1") == 2u);
}

// The I/O thread's try: at kMemoryOnly a pass whose bundle was never signed is kWouldBlock
// (nothing is signed there), and authentication failures are answered as at kAny; once kAny
// has made the bundle, kMemoryOnly hands out that same cached bundle.
BOOST_AUTO_TEST_CASE(memory_only_never_signs_and_serves_the_cached_bundle) {
  using projections::ReadTier;
  PassKitService service = Service();
  auto first = service.LatestPass(kType, serial_, auth_, std::nullopt, ReadTier::kMemoryOnly);
  BOOST_TEST_REQUIRE(!first.has_value());
  BOOST_TEST(first.error().code == ErrorCode::kWouldBlock);
  auto wrong =
      service.LatestPass(kType, serial_, "ApplePass wrong", std::nullopt, ReadTier::kMemoryOnly);
  BOOST_TEST_REQUIRE(!wrong.has_value());
  BOOST_TEST(wrong.error().code == ErrorCode::kUnauthenticated);

  auto made = service.LatestPass(kType, serial_, auth_, std::nullopt);
  BOOST_TEST_REQUIRE(Succeeded(made));
  auto cached = service.LatestPass(kType, serial_, auth_, std::nullopt, ReadTier::kMemoryOnly);
  BOOST_TEST_REQUIRE(Succeeded(cached));
  BOOST_TEST((cached->bundle.get() == made->bundle.get()));
  BOOST_TEST(cached->content_position == made->content_position);
  BOOST_TEST(cached->last_modified_s == made->last_modified_s);
  // The other pass was never signed, but "not modified" needs no bundle.
  const std::int64_t far_future = 4'000'000'000;
  auto not_modified = service.LatestPass(kType, other_serial_, Auth(other_serial_), far_future,
                                         ReadTier::kMemoryOnly);
  BOOST_TEST_REQUIRE(Succeeded(not_modified));
  BOOST_TEST(not_modified->not_modified);
}

BOOST_AUTO_TEST_CASE(a_new_push_token_is_one_new_event) {
  PassKitService service = Service();
  BOOST_TEST_REQUIRE(Succeeded(service.Register("device1", kType, serial_, auth_, Body("aa"))));
  auto updated = service.Register("device1", kType, serial_, auth_, Body("BB01"));
  BOOST_TEST_REQUIRE(Succeeded(updated));
  BOOST_TEST((updated->outcome == RegisterOutcome::kUpdated));
  BOOST_TEST(DeviceEvents("device1") == 2u);
  auto devices = read_.DevicesForSerial(serial_);
  BOOST_TEST_REQUIRE(Succeeded(devices));
  BOOST_TEST_REQUIRE(devices->size() == 1u);
  BOOST_TEST(devices->at(0).push_token == "bb01");  // stored lowercased
  auto same = service.Register("device1", kType, serial_, auth_, Body("bb01"));
  BOOST_TEST_REQUIRE(Succeeded(same));
  BOOST_TEST((same->outcome == RegisterOutcome::kAlreadyRegistered));
  BOOST_TEST(DeviceEvents("device1") == 2u);
}

BOOST_AUTO_TEST_CASE(every_authentication_failure_is_answered_alike) {
  PassKitService service = Service();
  const std::string token = factory_->AuthToken(serial_, 1);
  struct Case {
    std::string name, pass_type, serial, authorization;
  };
  const std::vector<Case> cases = {
      {"missing header", std::string(kType), serial_, ""},
      {"wrong scheme", std::string(kType), serial_, "Bearer " + token},
      {"scheme only", std::string(kType), serial_, "ApplePass "},
      {"wrong token", std::string(kType), serial_, "ApplePass " + std::string(43, 'A')},
      {"token with a suffix", std::string(kType), serial_, auth_ + "x"},
      {"another serial's token", std::string(kType), serial_, Auth(other_serial_)},
      {"unknown serial", std::string(kType), "NOSUCHSERIAL", Auth("NOSUCHSERIAL")},
      {"wrong pass type", "pass.org.other.member", serial_, auth_},
  };
  std::string message;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto registered =
          service.Register("device1", c.pass_type, c.serial, c.authorization, Body("00ff"));
      BOOST_TEST_REQUIRE(FailedWith(registered, ErrorCode::kUnauthenticated));
      if (message.empty()) message = registered.error().message;
      BOOST_TEST(registered.error().message == message);
      auto latest = service.LatestPass(c.pass_type, c.serial, c.authorization, std::nullopt);
      BOOST_TEST_REQUIRE(FailedWith(latest, ErrorCode::kUnauthenticated));
      BOOST_TEST(latest.error().message == message);
      auto removed = service.Unregister("device1", c.pass_type, c.serial, c.authorization);
      BOOST_TEST_REQUIRE(FailedWith(removed, ErrorCode::kUnauthenticated));
      BOOST_TEST(removed.error().message == message);
    }
  }
  BOOST_TEST(message.find(token) == std::string::npos);
  BOOST_TEST(DeviceEvents("device1") == 0u);
  // The scheme is case-insensitive and blanks around the token do not matter.
  auto lenient = service.LatestPass(kType, serial_, "applepass   " + token + " ", 0);
  BOOST_TEST(Succeeded(lenient));
}

// A pass type this server does serve, but not the pass's own: the token is right, the type
// is not, and the answer is the same as for a wrong token.
BOOST_AUTO_TEST_CASE(a_served_pass_type_that_is_not_the_passs_own_is_unauthenticated) {
  signer::PassTypeConfig other;
  other.pass_type_id = "pass.org.other.member";
  const PassBundles both(&read_, {factory_, DevPassFactory(dir_.path() / "other", other)});
  PassKitService service(&log_->log(), read_, &both);
  auto wrong_token = service.LatestPass(kType, serial_, "ApplePass x", std::nullopt);
  BOOST_TEST_REQUIRE(FailedWith(wrong_token, ErrorCode::kUnauthenticated));
  auto registered = service.Register("device1", other.pass_type_id, serial_, auth_, Body("00ff"));
  BOOST_TEST_REQUIRE(FailedWith(registered, ErrorCode::kUnauthenticated));
  BOOST_TEST(registered.error().message == wrong_token.error().message);
  auto latest = service.LatestPass(other.pass_type_id, serial_, auth_, std::nullopt);
  BOOST_TEST(FailedWith(latest, ErrorCode::kUnauthenticated));
  auto listed = service.ListUpdated("device1", other.pass_type_id, "");
  BOOST_TEST_REQUIRE(Succeeded(listed));
  BOOST_TEST(!listed->has_value());
  BOOST_TEST(DeviceEvents("device1") == 0u);
}

// A forgotten member's pass downloads as a void pass without personal data, with a later
// Last-Modified so that a phone holding the old one takes it. The check for absent personal
// data first finds it in the pass as it was.
BOOST_AUTO_TEST_CASE(a_forgotten_members_pass_downloads_void_and_without_personal_data) {
  PassKitService service = Service();
  auto before = service.LatestPass(kType, serial_, auth_, std::nullopt);
  BOOST_TEST_REQUIRE(Succeeded(before));
  auto personal = [](const signer::Bundle& bundle) {
    const std::string text = boost::json::serialize(PassJsonOf(bundle));
    std::vector<std::string> found;
    for (std::string_view needle : {"Avery", "Quill", "Jordan", "avery.quill@example.org",
                                    "8-10000001", "Family"}) {
      if (text.find(needle) != std::string::npos) found.emplace_back(needle);
    }
    return found;
  };
  BOOST_TEST(personal(before->bundle).size() == 6u);
  BOOST_TEST(PassJsonOf(before->bundle).contains("barcodes"));

  BOOST_TEST_REQUIRE(Succeeded(
      log_->log().Forget(kFamily, "member-" + std::string(kFamily), "staff:test", "request")));
  auto after = service.LatestPass(kType, serial_, auth_, before->last_modified_s);
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST(!after->not_modified);
  BOOST_TEST(after->last_modified_s > before->last_modified_s);
  BOOST_TEST(after->content_position > before->content_position);
  BOOST_TEST_REQUIRE(after->bundle != nullptr);
  const boost::json::object pass = PassJsonOf(after->bundle);
  BOOST_TEST(pass.at("voided").as_bool());
  BOOST_TEST(!pass.contains("barcodes"));
  BOOST_TEST(!pass.contains("barcode"));
  BOOST_TEST(pass.at("serialNumber").as_string() == serial_);
  BOOST_TEST(personal(after->bundle).empty(), boost::json::serialize(pass));

  // Both passes of the membership are listed as changed; the record says why it is void.
  auto record = read_.Pass(other_serial_);
  BOOST_TEST_REQUIRE(Succeeded(record));
  BOOST_TEST((*record)->voided);
  BOOST_TEST((*record)->void_reason == "forgotten");
  BOOST_TEST((*record)->content_position > before->content_position);
  // A wrong token is still refused.
  BOOST_TEST(FailedWith(service.LatestPass(kType, serial_, "ApplePass x", std::nullopt),
                        ErrorCode::kUnauthenticated));
}

BOOST_AUTO_TEST_CASE(bad_bodies_and_ids_are_invalid_arguments) {
  PassKitService service = Service();
  const std::vector<std::string> bodies = {"",
                                           "not json",
                                           "[]",
                                           "{}",
                                           R"({"pushToken":""})",
                                           R"({"pushToken":12})",
                                           R"({"pushToken":"xyz"})",
                                           R"({"pushToken":"00 ff"})",
                                           Body(std::string(257, 'a'))};
  for (const auto& body : bodies) {
    BOOST_TEST_CONTEXT(body) {
      BOOST_TEST(FailedWith(service.Register("device1", kType, serial_, auth_, body),
                            ErrorCode::kInvalidArgument));
    }
  }
  BOOST_TEST(
      FailedWith(service.Register("device1", kType, serial_, auth_, Body(std::string(5000, 'a'))),
                 ErrorCode::kTooLarge));
  const std::vector<std::string> devices = {"", "a/b", "dev ice", std::string(129, 'd'), "dé"};
  for (const auto& device : devices) {
    BOOST_TEST_CONTEXT(device) {
      BOOST_TEST(FailedWith(service.Register(device, kType, serial_, auth_, Body("00")),
                            ErrorCode::kInvalidArgument));
      BOOST_TEST(FailedWith(service.ListUpdated(device, kType, ""), ErrorCode::kInvalidArgument));
      BOOST_TEST(FailedWith(service.Unregister(device, kType, serial_, auth_),
                            ErrorCode::kInvalidArgument));
    }
  }
  BOOST_TEST(FailedWith(service.LatestPass(kType, "../etc", auth_, std::nullopt),
                        ErrorCode::kInvalidArgument));
  BOOST_TEST(
      FailedWith(service.ListUpdated("device1", "pass/type", ""), ErrorCode::kInvalidArgument));
  BOOST_TEST(Succeeded(service.Register(std::string(128, 'd'), kType, serial_, auth_, Body("0"))));
  BOOST_TEST(DeviceEvents("device1") == 0u);
}

BOOST_AUTO_TEST_CASE(listing_unknown_devices_types_and_tags) {
  PassKitService service = Service();
  auto unknown_device = service.ListUpdated("nobody", kType, "");
  BOOST_TEST_REQUIRE(Succeeded(unknown_device));
  BOOST_TEST(!unknown_device->has_value());
  BOOST_TEST(
      FailedWith(service.ListUpdated("nobody", "pass.org.other.member", ""), ErrorCode::kNotFound));
  BOOST_TEST_REQUIRE(Succeeded(service.Register("device1", kType, serial_, auth_, Body("01"))));
  BOOST_TEST_REQUIRE(Succeeded(
      service.Register("device1", kType, other_serial_, Auth(other_serial_), Body("01"))));
  for (const std::string tag : {"", "abc", "-1", "12x", "99999999999999999999999"}) {
    BOOST_TEST_CONTEXT("tag " << tag) {
      auto listed = service.ListUpdated("device1", kType, tag);
      BOOST_TEST_REQUIRE(Succeeded(listed));
      BOOST_TEST_REQUIRE(listed->has_value());
      BOOST_TEST((*listed)->serials.size() == 2u);
    }
  }
}

std::vector<projections::DeviceLogRecord> StoredLogs(const projections::DeviceLogStore& store) {
  std::vector<projections::DeviceLogRecord> out;
  auto scanned = store.Scan({}, [&](const projections::DeviceLogRecord& record) {
    out.push_back(record);
    return true;
  });
  BOOST_TEST_REQUIRE(Succeeded(scanned));
  return out;
}

// Issue 12: device logs leave the hash chain. The positive control: a DeviceLogReceived
// appended the old way is seen on device-logs and moves the head; Log() moves neither.
BOOST_AUTO_TEST_CASE(logs_go_to_the_device_log_store_not_the_event_log) {
  PassKitService service = Service();
  const std::uint64_t before_control = Head();
  log_->Append(passledger::testing::catalogued::DeviceLogReceived("the old way"));
  BOOST_TEST_REQUIRE(Head() == before_control + 1);
  BOOST_TEST_REQUIRE(*log_->log().StreamVersion("device-logs") == 1u);

  const std::uint64_t head = Head();
  const std::string longest(4096, 'x');
  auto stored = service.Log(
      "10.0.0.1", R"({"logs":["first line","second \"quoted\" é",")" + longest + R"("]})");
  BOOST_TEST_REQUIRE(Succeeded(stored));
  BOOST_TEST(*stored == 3u);
  BOOST_TEST(Head() == head);
  BOOST_TEST(*log_->log().StreamVersion("device-logs") == 1u);

  const auto records = StoredLogs(*device_logs_);
  BOOST_TEST_REQUIRE(records.size() == 1u);
  BOOST_TEST_REQUIRE(records[0].lines.size() == 3u);
  BOOST_TEST(records[0].lines[1] == "second \"quoted\" é");
  BOOST_TEST(records[0].lines[2] == longest);
  BOOST_TEST(records[0].device.empty());  // POST /v1/log names no device
  // The client network is kept only as a keyed hash: the same for the same network, another
  // for another, and never the address.
  BOOST_TEST(records[0].client == service.ClientHash("10.0.0.1"));
  BOOST_TEST(records[0].client != service.ClientHash("10.0.0.2"));
  BOOST_TEST(records[0].client.size() == 16u);
  BOOST_TEST(records[0].client.find("10.0.0.1") == std::string::npos);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  BOOST_TEST(records[0].at_ms <= now_ms);
  BOOST_TEST(records[0].at_ms > now_ms - 60'000);
}

BOOST_AUTO_TEST_CASE(log_bodies_are_bounded) {
  PassKitService service = Service();
  const std::string longest(4096, 'x');
  std::string hundred_and_one = R"({"logs":[)";
  for (int i = 0; i < 101; ++i) hundred_and_one += (i ? ",\"l\"" : "\"l\"");
  hundred_and_one += "]}";
  BOOST_TEST(FailedWith(service.Log("10.0.0.2", hundred_and_one), ErrorCode::kTooLarge));
  BOOST_TEST(FailedWith(service.Log("10.0.0.2", R"({"logs":[")" + longest + "y\"]}"),
                        ErrorCode::kTooLarge));
  BOOST_TEST(
      FailedWith(service.Log("10.0.0.2", std::string(600 * 1024, ' ')), ErrorCode::kTooLarge));
  for (const std::string body :
       {"", "nope", "[]", R"({"logs":"x"})", R"({"logs":[1]})", "{\"logs\":[\"\xff\"]}"}) {
    BOOST_TEST_CONTEXT(body) {
      BOOST_TEST(FailedWith(service.Log("10.0.0.2", body), ErrorCode::kInvalidArgument));
    }
  }
  auto empty = service.Log("10.0.0.2", R"({"logs":[]})");
  BOOST_TEST_REQUIRE(Succeeded(empty));
  BOOST_TEST(*empty == 0u);
  BOOST_TEST(device_logs_->Stats().records == 0u);
  PassKitOptions without_store;
  without_store.device_logs = nullptr;
  PassKitService no_store(&log_->log(), read_, &bundles_, without_store);
  BOOST_TEST(FailedWith(no_store.Log("10.0.0.2", R"({"logs":["a"]})"), ErrorCode::kUnavailable));
}

BOOST_AUTO_TEST_CASE(logs_are_admitted_per_client_network) {
  auto now = std::chrono::steady_clock::now();
  PassKitOptions options;
  options.log_rate = RateLimit{10, 20, 1000};
  options.clock = [&now] { return now; };
  PassKitService service = Service(options);
  for (int i = 0; i < 20; ++i) BOOST_TEST_REQUIRE(!service.AdmitLog("10.0.0.1", 100));
  const auto limited = service.AdmitLog("10.0.0.1", 100);
  BOOST_TEST_REQUIRE(limited.has_value());
  BOOST_TEST(limited->count() == 6);  // 10 a minute: one every 6 s
  BOOST_TEST(!service.AdmitLog("10.0.0.2", 100));
  now += std::chrono::seconds(6);
  BOOST_TEST(!service.AdmitLog("10.0.0.1", 100));
  BOOST_TEST(service.AdmitLog("10.0.0.1", 100).has_value());
}

BOOST_AUTO_TEST_CASE(logs_are_admitted_within_byte_budgets) {
  auto now = std::chrono::steady_clock::now();
  PassKitOptions options;
  options.log_rate = RateLimit{1000, 1000, 1000};
  options.log_bytes_per_client = RateLimit{1000, 1000, 1000};  // bytes a minute
  options.log_bytes_total = RateLimit{2500, 2500, 1};
  options.clock = [&now] { return now; };
  PassKitService service = Service(options);
  BOOST_TEST(!service.AdmitLog("10.0.0.1", 600));
  // The second 600 bytes would pass the request count but not the network's byte budget.
  const auto over_client = service.AdmitLog("10.0.0.1", 600);
  BOOST_TEST_REQUIRE(over_client.has_value());
  BOOST_TEST(over_client->count() == 12);  // 200 bytes short at 1000 a minute
  BOOST_TEST(!service.AdmitLog("10.0.0.2", 900));
  BOOST_TEST(!service.AdmitLog("10.0.0.3", 900));
  // 2400 of the 2500 global bytes are spent: a fourth network is refused although its own
  // budget is untouched, and what it was refused is not charged to it.
  BOOST_TEST(service.AdmitLog("10.0.0.4", 900).has_value());
  BOOST_TEST(!service.AdmitLog("10.0.0.4", 100));
}

// Issue 12: one pass token cannot buy unlimited registrations. The limits are raised so the
// device cap is what stops the flood.
BOOST_AUTO_TEST_CASE(ten_thousand_registrations_with_one_token_stay_under_the_cap) {
  PassKitOptions options;
  options.register_per_pass = RateLimit{1e9, 1e9, 1000};
  options.register_per_client = RateLimit{1e9, 1e9, 1000};
  PassKitService service = Service(options);
  const std::uint64_t head = Head();
  int created = 0;
  int refused = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto registered = service.Register("flood" + std::to_string(i), kType, serial_, auth_,
                                       Body("ab" + std::to_string(i)), "10.0.0.66");
    if (registered) {
      created += registered->outcome == RegisterOutcome::kCreated ? 1 : 0;
      // While the cap is not reached each registration is one event (the growth is seen).
      if (i < 20) BOOST_TEST_REQUIRE(Head() == head + i + 1);
    } else {
      BOOST_TEST_REQUIRE(FailedWith(registered, ErrorCode::kPermissionDenied));
      ++refused;
    }
    if (i % 1000 == 999) {
      // The pass's second cardholder is served meanwhile.
      auto other = service.Register("other" + std::to_string(i), kType, other_serial_,
                                    Auth(other_serial_), Body("cd"), "10.0.0.7");
      BOOST_TEST_REQUIRE(Succeeded(other));
      BOOST_TEST((other->outcome == RegisterOutcome::kCreated));
    }
  }
  BOOST_TEST(created == 20);
  BOOST_TEST(refused == 10'000 - 20);
  auto counted = read_.CountDevicesForSerial(serial_, 100'000);
  BOOST_TEST_REQUIRE(Succeeded(counted));
  BOOST_TEST(*counted == 20u);
  BOOST_TEST(Head() == head + 20 + 10);  // the cap's 20 and the other pass's 10
  // A registered device may still change its push token at the cap; a repeat writes nothing.
  auto updated = service.Register("flood3", kType, serial_, auth_, Body("ffff"), "10.0.0.66");
  BOOST_TEST_REQUIRE(Succeeded(updated));
  BOOST_TEST((updated->outcome == RegisterOutcome::kUpdated));
  auto repeated = service.Register("flood3", kType, serial_, auth_, Body("ffff"), "10.0.0.66");
  BOOST_TEST_REQUIRE(Succeeded(repeated));
  BOOST_TEST((repeated->outcome == RegisterOutcome::kAlreadyRegistered));
  BOOST_TEST(Head() == head + 31);
  // After one unregisters, one more may come.
  BOOST_TEST_REQUIRE(Succeeded(service.Unregister("flood0", kType, serial_, auth_)));
  auto next = service.Register("late", kType, serial_, auth_, Body("01"), "10.0.0.66");
  BOOST_TEST_REQUIRE(Succeeded(next));
  BOOST_TEST((next->outcome == RegisterOutcome::kCreated));
  BOOST_TEST(FailedWith(service.Register("later", kType, serial_, auth_, Body("01"), "10.0.0.66"),
                        ErrorCode::kPermissionDenied));
}

BOOST_AUTO_TEST_CASE(racing_devices_cannot_overshoot_the_cap) {
  PassKitOptions options;
  options.max_devices_per_pass = 3;
  options.register_per_pass = RateLimit{1e9, 1e9, 1000};
  PassKitService service = Service(options);
  std::vector<Result<RegisterResult>> outcomes(12, MakeError(ErrorCode::kInternal, "not run"));
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      threads.emplace_back([&, i] {
        outcomes[i] = service.Register("racer" + std::to_string(i), kType, serial_, auth_,
                                       Body("aa"), "10.0.0.1");
      });
    }
  }
  int created = 0;
  for (const auto& outcome : outcomes) created += outcome ? 1 : 0;
  BOOST_TEST(created == 3);
  BOOST_TEST(*read_.CountDevicesForSerial(serial_, 100) == 3u);
}

BOOST_AUTO_TEST_CASE(registrations_are_rate_limited_per_serial_and_per_client) {
  auto now = std::chrono::steady_clock::now();
  PassKitOptions options;
  options.register_per_pass = RateLimit{6, 3, 1000};
  options.register_per_client = RateLimit{6, 5, 1000};
  options.clock = [&now] { return now; };
  PassKitService service = Service(options);
  for (int i = 0; i < 3; ++i) {
    auto registered =
        service.Register("d" + std::to_string(i), kType, serial_, auth_, Body("aa"), "10.0.0.1");
    BOOST_TEST_REQUIRE(Succeeded(registered));
    BOOST_TEST((registered->outcome == RegisterOutcome::kCreated));
  }
  const std::uint64_t head = Head();
  auto limited = service.Register("d9", kType, serial_, auth_, Body("aa"), "10.0.0.1");
  BOOST_TEST_REQUIRE(Succeeded(limited));
  BOOST_TEST((limited->outcome == RegisterOutcome::kRateLimited));
  BOOST_TEST(limited->retry_after.count() == 10);  // 6 a minute
  // Another pass from the same client is not limited by the first pass's budget ...
  auto other =
      service.Register("d0", kType, other_serial_, Auth(other_serial_), Body("aa"), "10.0.0.1");
  BOOST_TEST_REQUIRE(Succeeded(other));
  BOOST_TEST((other->outcome == RegisterOutcome::kCreated));
  // ... but the client's own budget (5) is spent now, for any pass, even with a bad token.
  auto client_limited =
      service.Register("d1", kType, other_serial_, "ApplePass x", Body("aa"), "10.0.0.1");
  BOOST_TEST_REQUIRE(Succeeded(client_limited));
  BOOST_TEST((client_limited->outcome == RegisterOutcome::kRateLimited));
  // A wrong token from elsewhere does not spend the serial's budget.
  now += std::chrono::seconds(10);
  BOOST_TEST(
      FailedWith(service.Register("d9", kType, serial_, "ApplePass x", Body("aa"), "10.0.0.2"),
                 ErrorCode::kUnauthenticated));
  auto refilled = service.Register("d9", kType, serial_, auth_, Body("aa"), "10.0.0.2");
  BOOST_TEST_REQUIRE(Succeeded(refilled));
  BOOST_TEST((refilled->outcome == RegisterOutcome::kCreated));
  BOOST_TEST(Head() == head + 2);
  // A phone repeating its registration writes nothing and spends neither budget (the
  // client's 5 and the serial's, now empty, would otherwise refuse the 6th).
  for (int i = 0; i < 50; ++i) {
    auto repeated = service.Register("d0", kType, serial_, auth_, Body("aa"), "10.0.0.3");
    BOOST_TEST_REQUIRE(Succeeded(repeated));
    BOOST_TEST_REQUIRE((repeated->outcome == RegisterOutcome::kAlreadyRegistered));
  }
  BOOST_TEST(Head() == head + 2);
}

// Issue 12: internal streams cannot be reached through a device id. The positive control:
// the legacy device-logs stream holds an event; the device "logs" gets a stream of its own.
BOOST_AUTO_TEST_CASE(no_device_id_reaches_an_internal_stream) {
  PassKitService service = Service();
  log_->Append(passledger::testing::catalogued::DeviceLogReceived("old"));
  BOOST_TEST_REQUIRE(*log_->log().StreamVersion("device-logs") == 1u);
  for (const std::string_view reserved : events::kReservedDeviceStreams) {
    const std::string id(reserved.substr(std::string_view("device-").size()));
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(events::DeviceStream(id) != reserved);
      auto registered = service.Register(id, kType, serial_, auth_, Body("00ff"));
      BOOST_TEST_REQUIRE(Succeeded(registered));
      BOOST_TEST((registered->outcome == RegisterOutcome::kCreated));
      BOOST_TEST(*log_->log().StreamVersion(events::DeviceStream(id)) == 1u);
      auto listed = service.ListUpdated(id, kType, "");
      BOOST_TEST_REQUIRE(Succeeded(listed));
      BOOST_TEST_REQUIRE(listed->has_value());
      BOOST_TEST_REQUIRE(Succeeded(service.Unregister(id, kType, serial_, auth_)));
      BOOST_TEST(*log_->log().StreamVersion(events::DeviceStream(id)) == 2u);
    }
  }
  BOOST_TEST(*log_->log().StreamVersion("device-logs") == 1u);
  BOOST_TEST(*log_->log().StreamVersion("device-pushes") == 0u);
  BOOST_TEST(!events::kPushBatchStream.starts_with("device-"));
  // The escaped names cannot be asked for directly: '~' (and '$', ':' ...) is in no device id.
  for (const std::string id : {"~logs", "~pushes", "$logs", "x:logs", "logs/x"}) {
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(FailedWith(service.Register(id, kType, serial_, auth_, Body("00")),
                            ErrorCode::kInvalidArgument));
    }
  }
  BOOST_TEST(events::DeviceStream("logs2") == "device-logs2");
}

BOOST_AUTO_TEST_CASE(the_rate_limiter_bounds_its_keys) {
  auto now = std::chrono::steady_clock::now();
  RateLimiter limiter(RateLimit{60, 1, 2}, [&now] { return now; });
  BOOST_TEST(limiter.Admit("a").count() == 0);
  BOOST_TEST(limiter.Admit("b").count() == 0);
  BOOST_TEST(limiter.Admit("a").count() == 1000);
  // Past the cap, new keys share one bucket instead of being let through.
  BOOST_TEST(limiter.Admit("c").count() == 0);
  BOOST_TEST(limiter.Admit("d").count() > 0);
  now += std::chrono::seconds(1);  // a and b are full again and are forgotten
  BOOST_TEST(limiter.Admit("e").count() == 0);
  BOOST_TEST(limiter.Admit("e").count() > 0);
}

BOOST_AUTO_TEST_CASE(the_rate_limiter_sweeps_at_most_once_per_token_interval) {
  using std::chrono::milliseconds;
  auto now = std::chrono::steady_clock::now();
  RateLimiter limiter(RateLimit{60, 2, 1}, [&now] { return now; });  // a token a second
  BOOST_TEST(limiter.Admit("a").count() == 0);
  now += milliseconds(600);
  BOOST_TEST(limiter.Admit("b").count() == 0);  // swept (a not full yet): b shares overflow
  now += milliseconds(600);                     // a is full again, but the last sweep was
  BOOST_TEST(limiter.Admit("c").count() == 0);  // 0.6 s ago: c shares the overflow bucket too,
  BOOST_TEST(limiter.Admit("c").count() > 0);   // which is now empty
  now += milliseconds(500);                     // 1.1 s after the sweep: a is forgotten
  BOOST_TEST(limiter.Admit("d").count() == 0);  // and d gets a bucket of its own
  BOOST_TEST(limiter.Admit("d").count() == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_identical_registrations_write_one_event) {
  PassKitService service = Service();
  std::vector<Result<RegisterResult>> outcomes(8, MakeError(ErrorCode::kInternal, "not run"));
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      threads.emplace_back([&, i] {
        outcomes[i] = service.Register("device1", kType, serial_, auth_, Body("00ff"));
      });
    }
  }
  int created = 0;
  for (const auto& outcome : outcomes) {
    BOOST_TEST_REQUIRE(Succeeded(outcome));
    created += outcome->outcome == RegisterOutcome::kCreated ? 1 : 0;
    BOOST_TEST((outcome->outcome != RegisterOutcome::kUpdated));
  }
  BOOST_TEST(created == 1);
  BOOST_TEST(DeviceEvents("device1") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// The PassKit routes over real sockets: a Server on 127.0.0.1 (port 0) in front of a
// PassKitService built in-process (ProjectedLog, the sample roster, a dev-certificate
// PassFactory). A device's whole life, authentication failures answered alike, bad bodies,
// unknown pass types, wrong methods, the log rate limit, and the HTTP date helpers.
#include "http/passkit_routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "base/time.h"
#include "tests/http/client.h"
#include "tests/http/passkit_server.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::http {
namespace {

using passledger::testing::DevPassFactory;
using passledger::testing::SampleRoster;
using passledger::testing::SampleWithNewEmail;
using namespace std::chrono_literals;
using testing::ClientResponse;
using testing::Connection;

constexpr std::string_view kType = "pass.org.example.member";
constexpr std::string_view kFamily = "8-10000001";

handlers::PassKitOptions SmallLogBurst(projections::DeviceLogStore* device_logs) {
  handlers::PassKitOptions options;
  options.log_rate = handlers::RateLimit{1, 3, 1000};
  options.device_logs = device_logs;
  return options;
}

std::unique_ptr<projections::DeviceLogStore> OpenDeviceLogs(events::EventLog& log) {
  auto store = projections::DeviceLogStore::Open(&log, 1 << 20);
  BOOST_TEST_REQUIRE(passledger::testing::Succeeded(store));
  return std::move(*store);
}

Network Loopback() { return *ParseNetwork("127.0.0.1"); }

class Fixture {
 public:
  Fixture()
      : log_(passledger::testing::ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        device_logs_(OpenDeviceLogs(log_->log())),
        factory_(DevPassFactory(dir_.path() / "certs")),
        bundles_(&read_, {factory_}),
        service_(&log_->log(), read_, &bundles_, SmallLogBurst(device_logs_.get())) {
    Import(SampleRoster());
    auto passes = read_.PassesOfMember(kFamily);
    BOOST_TEST_REQUIRE(passledger::testing::Succeeded(passes));
    BOOST_TEST_REQUIRE(passes->size() == 2u);
    serial_ = passes->at(0).serial;
    auth_ = "Authorization: ApplePass " + factory_->AuthToken(serial_, 1) + "\r\n";
  }

  void Import(std::string_view bytes) { passledger::testing::ImportRoster(*log_, bytes); }

  ClientResponse Call(std::string_view method, std::string_view target,
                      std::string_view headers = "", std::string_view body = "") {
    return server_.Call(method, target, headers, body);
  }

  std::string Registration(std::string_view device) const {
    return "/v1/devices/" + std::string(device) + "/registrations/" + std::string(kType) + "/" +
           serial_;
  }
  std::string List(std::string_view device, std::string_view tag = "") const {
    std::string target =
        "/v1/devices/" + std::string(device) + "/registrations/" + std::string(kType);
    if (!tag.empty()) target += "?passesUpdatedSince=" + std::string(tag);
    return target;
  }
  std::string PassPath() const { return "/v1/passes/" + std::string(kType) + "/" + serial_; }

  passledger::testing::TempDir dir_;
  std::unique_ptr<passledger::testing::ProjectedLog> log_;
  projections::ReadModel read_;
  std::unique_ptr<projections::DeviceLogStore> device_logs_;
  std::shared_ptr<const signer::PassFactory> factory_;
  handlers::PassBundles bundles_;
  handlers::PassKitService service_;
  testing::PassKitServer server_{service_};
  // The same service behind a server that trusts 127.0.0.1 as a reverse proxy.
  testing::PassKitServer proxied_{service_, 64, {Loopback()}};
  WorkerPool& workers_ = server_.workers();
  std::string serial_;
  std::string auth_;
};

// Sends `request` on a fresh connection and returns everything received until the close.
std::string RawUntilClose(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_TEST_REQUIRE(fd >= 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string received;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char chunk[4096];
    ssize_t n;
    while ((n = ::recv(fd, chunk, sizeof chunk, 0)) > 0) {
      received.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return received;
}

boost::json::object Json(const ClientResponse& response) {
  return boost::json::parse(response.body).as_object();
}

BOOST_FIXTURE_TEST_SUITE(passkit_routes, Fixture)

BOOST_AUTO_TEST_CASE(a_device_lifecycle_over_http) {
  const std::string body = R"({"pushToken":"00ff"})";
  BOOST_TEST(Call("POST", Registration("d1"), auth_, body).status == 201);
  BOOST_TEST(Call("POST", Registration("d1"), auth_, body).status == 200);

  const ClientResponse all = Call("GET", List("d1"));
  BOOST_TEST_REQUIRE(all.status == 200);
  BOOST_TEST(all.Header("content-type") == "application/json");
  const auto listed = Json(all);
  BOOST_TEST(listed.at("serialNumbers").as_array().size() == 1u);
  BOOST_TEST(listed.at("serialNumbers").as_array().at(0).as_string() == serial_);
  const std::string tag = listed.at("lastUpdated").as_string().c_str();
  BOOST_TEST(Call("GET", List("d1", tag)).status == 204);

  Import(SampleWithNewEmail());
  const ClientResponse changed = Call("GET", List("d1", tag));
  BOOST_TEST_REQUIRE(changed.status == 200);
  const auto changed_json = Json(changed);
  BOOST_TEST(changed_json.at("serialNumbers").as_array().size() == 1u);
  BOOST_TEST(changed_json.at("serialNumbers").as_array().at(0).as_string() == serial_);
  BOOST_TEST(std::stoull(std::string(changed_json.at("lastUpdated").as_string())) >
             std::stoull(tag));

  const ClientResponse pass = Call("GET", PassPath(), auth_);
  BOOST_TEST_REQUIRE(pass.status == 200);
  BOOST_TEST(pass.Header("content-type") == "application/vnd.apple.pkpass");
  BOOST_TEST(pass.Header("cache-control") == "no-cache");
  BOOST_TEST(pass.body.substr(0, 2) == "PK");
  const std::string last_modified = pass.Header("last-modified");
  BOOST_TEST_REQUIRE(ParseHttpDate(last_modified).has_value());

  const ClientResponse not_modified =
      Call("GET", PassPath(), auth_ + "If-Modified-Since: " + last_modified + "\r\n");
  BOOST_TEST(not_modified.status == 304);
  BOOST_TEST(not_modified.body.empty());
  const ClientResponse garbled =
      Call("GET", PassPath(), auth_ + "If-Modified-Since: yesterday\r\n");
  BOOST_TEST(garbled.status == 200);

  // HEAD with Connection: close: every byte up to the close is the header block.
  const std::string head =
      RawUntilClose(server_.port(), "HEAD " + PassPath() + " HTTP/1.1\r\nHost: test\r\n" + auth_ +
                                        "Connection: close\r\n\r\n");
  BOOST_TEST(head.substr(0, 12) == "HTTP/1.1 200");
  const auto end_of_headers = head.find("\r\n\r\n");
  BOOST_TEST_REQUIRE(end_of_headers != std::string::npos);
  BOOST_TEST(head.size() == end_of_headers + 4);  // no body
  ClientResponse head_headers;
  head_headers.headers = head.substr(0, end_of_headers + 2);
  BOOST_TEST(head_headers.Header("content-length") == std::to_string(pass.body.size()));
  BOOST_TEST(head_headers.Header("last-modified") == last_modified);

  BOOST_TEST(Call("DELETE", Registration("d1"), auth_).status == 200);
  BOOST_TEST(Call("GET", List("d1")).status == 204);
  BOOST_TEST(Call("DELETE", Registration("d1"), auth_).status == 200);
}

BOOST_AUTO_TEST_CASE(every_authentication_failure_is_the_same_401) {
  const std::string wrong_token =
      "Authorization: ApplePass " + factory_->AuthToken(serial_ + "x", 1) + "\r\n";
  const std::string wrong_scheme =
      "Authorization: Bearer " + factory_->AuthToken(serial_, 1) + "\r\n";
  const std::string unknown = "/v1/passes/" + std::string(kType) + "/NOSUCHSERIAL";
  const std::string unknown_auth =
      "Authorization: ApplePass " + factory_->AuthToken("NOSUCHSERIAL", 1) + "\r\n";
  const ClientResponse missing = Call("GET", PassPath());
  BOOST_TEST_REQUIRE(missing.status == 401);
  BOOST_TEST(missing.Header("content-type") == "application/json");
  BOOST_TEST(Json(missing).contains("error"));
  for (const ClientResponse& response :
       {Call("GET", PassPath(), wrong_scheme), Call("GET", PassPath(), wrong_token),
        Call("GET", unknown, unknown_auth),
        Call("POST", Registration("d2"), wrong_token, R"({"pushToken":"00ff"})"),
        Call("POST", Registration("d2"), "", "not json"),
        Call("DELETE", Registration("d2"), wrong_scheme)}) {
    BOOST_TEST(response.status == 401);
    BOOST_TEST(response.body == missing.body);
  }
  const std::string head =
      RawUntilClose(server_.port(), "HEAD " + PassPath() + " HTTP/1.1\r\nHost: test\r\n" +
                                        wrong_token + "Connection: close\r\n\r\n");
  BOOST_TEST(head.substr(0, 12) == "HTTP/1.1 401");
  BOOST_TEST(Call("GET", List("d2")).status == 204);  // nothing was registered
}

BOOST_AUTO_TEST_CASE(bad_bodies_unknown_pass_types_and_wrong_methods) {
  BOOST_TEST(Call("POST", Registration("d3"), auth_, "{not json").status == 400);
  const ClientResponse bad = Call("POST", Registration("d3"), auth_, R"({"pushToken":"xyz"})");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(Json(bad).contains("error"));
  BOOST_TEST(Call("GET", "/v1/devices/d3/registrations/pass.org.example.other").status == 404);
  BOOST_TEST(Call("GET", "/v1/devices/d%20/registrations/" + std::string(kType)).status == 400);
  const ClientResponse wrong = Call("PUT", PassPath(), auth_);
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(wrong.Header("allow") == "GET, HEAD");
  BOOST_TEST(Call("GET", "/v1/log").status == 405);
}

BOOST_AUTO_TEST_CASE(logs_are_taken_until_the_burst_is_spent) {
  const std::string body = R"({"logs":["a line"]})";
  // Without a trusted proxy, X-Forwarded-For is the client's own word and is ignored.
  for (int i = 0; i < 3; ++i) {
    const std::string forwarded = "X-Forwarded-For: 198.51.100." + std::to_string(i) + "\r\n";
    BOOST_TEST(Call("POST", "/v1/log", forwarded, body).status == 200);
  }
  const ClientResponse limited = Call("POST", "/v1/log", "X-Forwarded-For: 198.51.100.9\r\n", body);
  BOOST_TEST(limited.status == 429);
  BOOST_TEST(std::stoi(limited.Header("retry-after")) >= 1);
  BOOST_TEST(Json(limited).contains("error"));
  BOOST_TEST(device_logs_->Stats().records == 3u);
}

// The refusal is decided from Content-Length: the 429 comes although no byte of the body was
// sent. The positive control: while admitted, the same header alone gets no answer until the
// body follows.
BOOST_AUTO_TEST_CASE(a_log_over_budget_is_refused_before_its_body_is_read) {
  const std::string body = R"({"logs":["a line"]})";
  const std::string header =
      "POST /v1/log HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    Connection admitted(server_.port());
    BOOST_TEST_REQUIRE(admitted.Send(header));
    std::this_thread::sleep_for(50ms);
    BOOST_TEST_REQUIRE(admitted.Send(body));
    const auto response = admitted.Read();
    BOOST_TEST_REQUIRE(response.has_value());
    BOOST_TEST(response->status == 200);
  }
  Connection refused(server_.port(), 5s);
  BOOST_TEST_REQUIRE(refused.Send(header));
  const auto response = refused.Read();
  BOOST_TEST_REQUIRE(response.has_value());
  BOOST_TEST(response->status == 429);
  BOOST_TEST(response->Header("connection") == "close");
  BOOST_TEST(device_logs_->Stats().records == 3u);
}

// A chunked body declares no length, so it cannot be judged before it is read: 411, nothing
// stored, and the request count is not spent (three logs still pass afterwards).
BOOST_AUTO_TEST_CASE(a_log_without_content_length_is_411) {
  Connection chunked(server_.port());
  BOOST_TEST_REQUIRE(
      chunked.Send("POST /v1/log HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "13\r\n{\"logs\":[\"a line\"]}\r\n0\r\n\r\n"));
  const auto response = chunked.Read();
  BOOST_TEST_REQUIRE(response.has_value());
  BOOST_TEST(response->status == 411);
  BOOST_TEST(device_logs_->Stats().records == 0u);
  const std::string body = R"({"logs":["a line"]})";
  for (int i = 0; i < 3; ++i) BOOST_TEST(Call("POST", "/v1/log", "", body).status == 200);
  BOOST_TEST(device_logs_->Stats().records == 3u);
}

// Behind a trusted proxy each client has its own budget: an IPv4 address, an IPv6 /64.
BOOST_AUTO_TEST_CASE(behind_a_trusted_proxy_logs_are_limited_per_forwarded_network) {
  const std::string body = R"({"logs":["a line"]})";
  const auto post = [&](std::string_view forwarded_for) {
    return proxied_.Call("POST", "/v1/log",
                         "X-Forwarded-For: " + std::string(forwarded_for) + "\r\n", body);
  };
  for (int i = 0; i < 3; ++i) BOOST_TEST(post("203.0.113.5").status == 200);
  BOOST_TEST(post("203.0.113.5").status == 429);
  // A client cannot pick its own address: what it sent is left of the proxy's entry.
  BOOST_TEST(post("198.51.100.1, 203.0.113.5").status == 429);
  BOOST_TEST(post("203.0.113.6").status == 200);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(post("2001:db8:1:2::" + std::to_string(i + 1)).status == 200);
  }
  BOOST_TEST(post("2001:db8:1:2:ffff:ffff:ffff:ffff").status == 429);  // the same /64
  BOOST_TEST(post("2001:db8:1:3::1").status == 200);                   // the next one
  // Without X-Forwarded-For the proxy itself is the client.
  BOOST_TEST(proxied_.Call("POST", "/v1/log", "", body).status == 200);
  std::set<std::string> clients;
  auto scanned = device_logs_->Scan({}, [&](const projections::DeviceLogRecord& record) {
    clients.insert(record.client);
    return true;
  });
  BOOST_TEST_REQUIRE(passledger::testing::Succeeded(scanned));
  BOOST_TEST(clients.size() == 5u);  // .5, .6, the two /64s and the proxy
  BOOST_TEST(clients.count(service_.ClientHash("203.0.113.5")) == 1u);
  BOOST_TEST(clients.count(service_.ClientHash("2001:db8:1:2::/64")) == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_worker_pool_is_503) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  // Both threads blocked first, so the queue filled next stays full.
  std::atomic<int> started = 0;
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST_REQUIRE(workers_.Submit([gate, &started] {
      ++started;
      gate.wait();
    }));
  }
  while (started < 2) std::this_thread::sleep_for(1ms);
  std::size_t queued = 0;
  while (workers_.Submit([gate] { gate.wait(); })) ++queued;
  BOOST_TEST_REQUIRE(queued == 64u);
  const ClientResponse busy = Call("POST", Registration("d4"), auth_, R"({"pushToken":"00ff"})");
  // A read that memory can answer does not need the pool (the list was just written, so it
  // is in the memtable): answered on the I/O thread while the pool is full.
  const ClientResponse read = Call("GET", List("d4"));
  release.set_value();
  BOOST_TEST(busy.status == 503);
  BOOST_TEST(Json(busy).contains("error"));
  BOOST_TEST(read.status == 204);
  const std::string metrics = server_.metrics().Render();
  BOOST_TEST(metrics.find("passledger_passkit_rejected_total 1\n") != std::string::npos);
  BOOST_TEST(metrics.find("passledger_passkit_deferred_total 0\n") != std::string::npos);
  BOOST_TEST(metrics.find("passledger_passkit_io_thread_total 0\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_log_body_is_400) {
  BOOST_TEST(Call("POST", "/v1/log", "", R"({"logs":[1]})").status == 400);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http

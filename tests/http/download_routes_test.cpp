// The download link over real sockets: a Server on 127.0.0.1 (port 0) with GET/HEAD /p/{id} in
// front of PassDownloads built in-process (ProjectedLog, the sample roster, a dev-certificate
// PassFactory). The pass with its headers, HEAD, the page for a browser and its working link,
// one 404 body for every dead or invalid id, and the Accept ranking.
#include "http/download_routes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "base/time.h"
#include "http/server.h"
#include "tests/http/client.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::http {
namespace {

using passledger::testing::DevPassFactory;
using passledger::testing::PassJsonOf;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using testing::ClientResponse;
using testing::Connection;

constexpr std::string_view kFamily = "8-10000001";
// What Safari on iOS sends for a page.
constexpr std::string_view kSafari =
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n";

class Fixture {
 public:
  Fixture()
      : log_(passledger::testing::ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        factory_(DevPassFactory(dir_.path() / "certs")),
        bundles_(&read_, {factory_}),
        links_(std::string(32, 'k'), std::chrono::days(0)),
        downloads_(&links_, read_, &bundles_),
        workers_(2, 64) {
    passledger::testing::ImportRoster(*log_, SampleRoster());
    auto passes = read_.PassesOfMember(kFamily);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    BOOST_TEST_REQUIRE(passes->size() == 2u);
    serial_ = passes->at(0).serial;
    other_serial_ = passes->at(1).serial;
    id_ = links_.IdFor(passes->at(0));
    other_id_ = links_.IdFor(passes->at(1));
    AddDownloadRoutes(router_, downloads_, workers_, &metrics_);
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.access_log = {};
    options.metrics = &metrics_;
    server_ = std::make_unique<Server>(std::move(options), router_);
    BOOST_TEST_REQUIRE(server_->Start().has_value());
  }
  ~Fixture() {
    server_->Stop(std::chrono::seconds(2));
    workers_.Stop();
  }

  ClientResponse Call(std::string_view method, std::string_view target,
                      std::string_view headers = "") const {
    Connection connection(server_->port());
    BOOST_TEST_REQUIRE(connection.Send(std::string(method) + " " + std::string(target) +
                                       " HTTP/1.1\r\nHost: test\r\n" + std::string(headers) +
                                       "\r\n"));
    auto response = connection.Read();
    BOOST_TEST_REQUIRE(response.has_value());
    return *response;
  }

  // HEAD with Connection: close: every byte up to the close is the header block.
  std::string HeadUntilClose(std::string_view target) const {
    const std::string request =
        "HEAD " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_TEST_REQUIRE(fd >= 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_->port());
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

  std::int64_t LastModified(std::string_view serial) const {
    auto pass = read_.Pass(serial);
    BOOST_TEST_REQUIRE(Succeeded(pass));
    BOOST_TEST_REQUIRE(pass->has_value());
    return (*pass)->last_modified_s;
  }

  passledger::testing::TempDir dir_;
  std::unique_ptr<passledger::testing::ProjectedLog> log_;
  projections::ReadModel read_;
  std::shared_ptr<const signer::PassFactory> factory_;
  handlers::PassBundles bundles_;
  handlers::PassLinks links_;
  handlers::PassDownloads downloads_;
  WorkerPool workers_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::string serial_;
  std::string other_serial_;
  std::string id_;
  std::string other_id_;
};

void CheckPass(const ClientResponse& response, const std::string& serial,
               std::int64_t last_modified) {
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.Header("content-type") == "application/vnd.apple.pkpass");
  BOOST_TEST(response.Header("content-disposition") ==
             "attachment; filename=\"PassLedger-Botanical-Garden-" + serial + ".pkpass\"");
  BOOST_TEST(response.Header("last-modified") == FormatHttpDate(last_modified));
  BOOST_TEST(response.Header("cache-control") == "private, no-store");
  BOOST_TEST(response.Header("x-content-type-options") == "nosniff");
  BOOST_TEST(response.Header("referrer-policy") == "no-referrer");
  const signer::Bundle bundle = std::make_shared<const std::string>(response.body);
  BOOST_TEST(PassJsonOf(bundle).at("serialNumber").as_string() == serial);
}

BOOST_FIXTURE_TEST_SUITE(download_routes, Fixture)

BOOST_AUTO_TEST_CASE(the_link_serves_the_signed_pass_in_each_form) {
  CheckPass(Call("GET", "/p/" + id_), serial_, LastModified(serial_));  // signed on a worker
  CheckPass(Call("GET", "/p/" + id_), serial_, LastModified(serial_));  // from the cache
  CheckPass(Call("GET", "/p/" + other_id_ + ".pkpass", kSafari), other_serial_,
            LastModified(other_serial_));
  CheckPass(Call("GET", "/p/" + id_ + "?download=1", kSafari), serial_, LastModified(serial_));
  CheckPass(Call("GET", "/p/" + id_, "Accept: */*\r\n"), serial_, LastModified(serial_));
}

BOOST_AUTO_TEST_CASE(head_sends_the_headers_of_get_without_the_body) {
  const ClientResponse get = Call("GET", "/p/" + id_);
  BOOST_TEST_REQUIRE(get.status == 200);
  const std::string head = HeadUntilClose("/p/" + id_);
  BOOST_TEST(head.substr(0, 12) == "HTTP/1.1 200");
  const auto end_of_headers = head.find("\r\n\r\n");
  BOOST_TEST_REQUIRE(end_of_headers != std::string::npos);
  BOOST_TEST(head.size() == end_of_headers + 4);  // no body
  ClientResponse headers;
  headers.headers = head.substr(0, end_of_headers + 2);
  BOOST_TEST(headers.Header("content-length") == std::to_string(get.body.size()));
  BOOST_TEST(headers.Header("content-type") == "application/vnd.apple.pkpass");
  BOOST_TEST(headers.Header("content-disposition") == get.Header("content-disposition"));
  BOOST_TEST(headers.Header("last-modified") == get.Header("last-modified"));
}

BOOST_AUTO_TEST_CASE(a_browser_gets_the_page_and_its_link_downloads_the_pass) {
  const ClientResponse page = Call("GET", "/p/" + id_, kSafari);
  BOOST_TEST_REQUIRE(page.status == 200);
  BOOST_TEST(page.Header("content-type") == "text/html; charset=utf-8");
  BOOST_TEST(page.Header("content-security-policy") == std::string(kDownloadPagePolicy));
  BOOST_TEST(page.Header("referrer-policy") == "no-referrer");
  BOOST_TEST(page.Header("x-content-type-options") == "nosniff");
  BOOST_TEST(page.Header("content-disposition").empty());
  BOOST_TEST(page.body.find("Add to Apple Wallet") != std::string::npos);
  BOOST_TEST(page.body.find("<script") == std::string::npos);
  // The link, resolved against the page's URL /p/<id>, is /p/<id>.pkpass: the pass, also for
  // the browser that asked for the page.
  const std::string marker = "href=\"";
  const auto at = page.body.find(marker + id_);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const auto start = at + marker.size();
  const std::string href = page.body.substr(start, page.body.find('"', start) - start);
  BOOST_TEST(href == id_ + ".pkpass");
  BOOST_TEST(href.find('/') == std::string::npos);  // relative to /p/
  CheckPass(Call("GET", "/p/" + href, kSafari), serial_, LastModified(serial_));
}

BOOST_AUTO_TEST_CASE(every_dead_or_invalid_id_gets_the_body_of_any_other_404) {
  BOOST_TEST_REQUIRE(Call("GET", "/p/" + other_id_).status == 200);  // the control
  log_->Void(other_serial_);
  const ClientResponse voided = Call("GET", "/p/" + other_id_);
  BOOST_TEST(voided.status == 404);
  BOOST_TEST(voided.body == R"({"error":"not found"})");
  BOOST_TEST(voided.Header("content-type") == "application/json");

  std::string altered = id_;
  altered[10] = altered[10] == 'A' ? 'B' : 'A';
  const std::string targets[] = {"/p/" + altered,
                                 "/p/" + altered + ".pkpass",
                                 "/p/" + id_.substr(0, id_.size() - 1),
                                 "/p/" + other_id_ + ".pkpass",
                                 "/p/x",
                                 "/p/" + std::string(3000, 'A'),
                                 "/nowhere"};  // the router's own 404
  for (const auto& target : targets) {
    for (const std::string_view accept : {std::string_view(), kSafari}) {
      const ClientResponse response = Call("GET", target, accept);
      BOOST_TEST(response.status == 404, target.substr(0, 40));
      BOOST_TEST(response.body == voided.body, target.substr(0, 40));
    }
  }
  // The live link still works beside them.
  BOOST_TEST(Call("GET", "/p/" + id_).status == 200);
}

BOOST_AUTO_TEST_CASE(accept_ranks_html_above_the_pass_only_when_it_says_so) {
  struct Case {
    std::string_view accept;
    bool html;
  };
  const Case cases[] = {
      {"", false},
      {"*/*", false},
      {"text/html", true},
      {"TEXT/HTML", true},
      {"text/*", true},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
      {"application/vnd.apple.pkpass, text/html", false},
      {"application/vnd.apple.pkpass;q=0.5, text/html;q=0.9", true},
      {"text/html;q=0.5, application/vnd.apple.pkpass", false},
      {"text/html;q=0, */*", false},
      {"text/html;q=bad", false},
      {"text/html;level=1;q=0.7, */*;q=0.6", true},
      {"*/*;q=0.1, text/html;q=0.2", true},
      {"application/*, text/html;q=0.9", false},
      {"image/png", false},
      {"garbage", false},
  };
  for (const auto& c : cases) BOOST_TEST(PrefersHtml(c.accept) == c.html, c.accept);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http

// PassKitServer: the PassKit routes of a PassKitService behind a real Server on 127.0.0.1
// (any free port, two I/O threads, no access log), its WorkerPool and Metrics, and Call():
// one request on a fresh connection, its response read whole. For tests in tests/http/.
#pragma once

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/passkit/passkit_service.h"
#include "http/metrics.h"
#include "http/passkit_routes.h"
#include "http/router.h"
#include "http/server.h"
#include "http/worker_pool.h"
#include "tests/http/client.h"

namespace passledger::http::testing {

class PassKitServer {
 public:
  // `service` is borrowed and must outlive this object. `queue`: the worker pool's queue.
  // `trusted_proxies`: ServerOptions::trusted_proxies.
  explicit PassKitServer(handlers::PassKitService& service, std::size_t queue = 64,
                         std::vector<Network> trusted_proxies = {})
      : workers_(2, queue) {
    AddPassKitRoutes(router_, service, workers_, &metrics_);
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.access_log = {};
    options.metrics = &metrics_;
    options.trusted_proxies = std::move(trusted_proxies);
    server_ = std::make_unique<Server>(std::move(options), router_);
    BOOST_TEST_REQUIRE(server_->Start().has_value());
  }
  ~PassKitServer() {
    server_->Stop(std::chrono::seconds(2));
    workers_.Stop();
  }
  PassKitServer(const PassKitServer&) = delete;
  PassKitServer& operator=(const PassKitServer&) = delete;

  // `headers`: whole header lines, each ending in \r\n. A Content-Length is added for a body.
  ClientResponse Call(std::string_view method, std::string_view target,
                      std::string_view headers = "", std::string_view body = "") const {
    Connection connection(server_->port());
    std::string request = std::string(method) + " " + std::string(target) +
                          " HTTP/1.1\r\nHost: test\r\n" + std::string(headers);
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    BOOST_TEST_REQUIRE(connection.Send(request + "\r\n" + std::string(body)));
    auto response = connection.Read();
    BOOST_TEST_REQUIRE(response.has_value());
    return *response;
  }

  std::uint16_t port() const { return server_->port(); }
  WorkerPool& workers() { return workers_; }
  Metrics& metrics() { return metrics_; }

 private:
  WorkerPool workers_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<Server> server_;
};

}  // namespace passledger::http::testing

// The Server against real sockets on 127.0.0.1 (port 0): routing over the wire, limits,
// timeouts, keep-alive and pipelining, connection cap, graceful stop, error bodies, access
// log and metrics. Server timeouts are short (about 1 s); client waits are generous.
#include "http/server.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "http/operational_routes.h"
#include "http/worker_pool.h"
#include "tests/http/client.h"

namespace passledger::http {
namespace {

using namespace std::chrono_literals;
using testing::ClientResponse;
using testing::Connection;
using testing::ConnectOptions;
using testing::Get;

// A Server with test routes, capturing its access and error logs.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = Defaults(), bool access_log = true) {
    AddRoutes();
    options.access_log = {};
    if (access_log) {
      options.access_log = [this](std::string_view line) {
        // A stuck stderr, while block_logs() is set (bounded, so a failing test still ends).
        for (int i = 0; i < 2000 && block_logs_; ++i) std::this_thread::sleep_for(10ms);
        Append(access_, line);
      };
    }
    options.error_log = [this](std::string_view line) { Append(errors_, line); };
    options.metrics = &metrics_;
    server_ = std::make_unique<Server>(std::move(options), router_);
    const auto started = server_->Start();
    BOOST_REQUIRE_MESSAGE(started.has_value(), "Start failed");
  }
  ~TestServer() {
    server_->Stop(2s);
    pool_.Stop();
  }

  static ServerOptions Defaults() {
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.header_timeout = 1s;
    options.idle_timeout = 2s;
    options.body_timeout = 1s;
    options.write_timeout = 2s;
    return options;
  }

  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  Metrics& metrics() { return metrics_; }
  std::atomic<bool>& ready() { return ready_; }
  std::atomic<bool>& block_logs() { return block_logs_; }
  std::atomic<int>& slow_started() { return slow_started_; }
  std::string AccessLog() { return Joined(access_); }
  std::string ErrorLog() { return Joined(errors_); }

 private:
  void AddRoutes() {
    router_.Add({bhttp::verb::get}, "/echo/{a}/{b}", [](Request&& request, Responder responder) {
      Response response{bhttp::status::ok, 11};
      response.body() =
          "a=" + std::string(request.Param("a")) + " b=" + std::string(request.Param("b"));
      responder.Send(std::move(response));
    });
    router_.Add({bhttp::verb::get}, "/big/{bytes}", [](Request&& request, Responder responder) {
      Response response{bhttp::status::ok, 11};
      response.body() = std::string(std::stoul(std::string(request.Param("bytes"))), 'b');
      responder.Send(std::move(response));
    });
    router_.Add(
        {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_}, "/small",
        [](Request&& request, Responder responder) {
          Response response{bhttp::status::ok, 11};
          response.body() = std::to_string(request.message.body().size());
          responder.Send(std::move(response));
        },
        RouteOptions{1024});
    router_.Add({bhttp::verb::get}, "/slow", [this](Request&&, Responder responder) {
      ++slow_started_;
      const bool queued = pool_.Submit([responder] {
        std::this_thread::sleep_for(700ms);
        Response response{bhttp::status::ok, 11};
        response.body() = "slow done";
        responder.Send(std::move(response));
      });
      if (!queued) responder.SendError(MakeError(ErrorCode::kUnavailable, "busy"));
    });
    router_.Add({bhttp::verb::get}, "/fail/{kind}", [](Request&& request, Responder responder) {
      const std::string_view kind = request.Param("kind");
      if (kind == "unavailable") {
        return responder.SendError(
            MakeError(ErrorCode::kUnavailable,
                      "RocksDB append: IO error: /var/lib/passledger/db/000042.log: No space left "
                      "on device"));
      }
      if (kind == "timeout") {
        return responder.SendError(MakeError(ErrorCode::kTimeout, "RocksDB write timed out"));
      }
      const ErrorCode code = kind == "internal" ? ErrorCode::kInternal : ErrorCode::kNotFound;
      responder.SendError(MakeError(code, "secret detail 42"));
    });
    router_.Add({bhttp::verb::get}, "/throw",
                [](Request&&, Responder) -> void { throw std::runtime_error("handler bug"); });
    router_.Add({bhttp::verb::get}, "/drop", [](Request&&, Responder) {});
    router_.Add({bhttp::verb::post}, "/v1/devices/{device}/registrations/{passType}/{serial}",
                [](Request&&, Responder responder) {
                  responder.Send(MakeJsonResponse(bhttp::status::created, "{}"));
                });
    AddOperationalRoutes(router_, metrics_, [this] { return ready_.load(); });
  }

  void Append(std::vector<std::string>& lines, std::string_view line) {
    std::lock_guard lock(mutex_);
    lines.emplace_back(line);
  }
  std::string Joined(const std::vector<std::string>& lines) {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }

  Router router_;
  Metrics metrics_;
  WorkerPool pool_{2, 16};
  std::atomic<bool> ready_{true};
  std::atomic<bool> block_logs_{false};
  std::atomic<int> slow_started_{0};
  std::mutex mutex_;
  std::vector<std::string> access_;
  std::vector<std::string> errors_;
  std::unique_ptr<Server> server_;
};

ClientResponse Roundtrip(std::uint16_t port, const std::string& request) {
  Connection connection(port);
  BOOST_REQUIRE(connection.Send(request));
  auto response = connection.Read();
  BOOST_REQUIRE(response.has_value());
  return *response;
}

template <class Predicate>
bool WaitFor(Predicate predicate, std::chrono::milliseconds bound = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(routes_over_the_wire) {
  TestServer server;
  const auto ok = Roundtrip(server.port(), Get("/echo/x%20y/%C3%A9"));
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.body == "a=x y b=\xC3\xA9");
  BOOST_TEST(ok.Header("server") == "PassLedger");

  const auto missing = Roundtrip(server.port(), Get("/nope"));
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body == R"({"error":"not found"})");
  BOOST_TEST(missing.Header("content-type") == "application/json");

  const auto wrong_method =
      Roundtrip(server.port(), "DELETE /echo/a/b HTTP/1.1\r\nHost: t\r\n\r\n");
  BOOST_TEST(wrong_method.status == 405);
  BOOST_TEST(wrong_method.Header("allow") == "GET");

  BOOST_TEST(Roundtrip(server.port(), Get("/echo/%zz/b")).status == 400);
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/../b")).status == 400);
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/%2E%2E/b")).status == 400);
}

BOOST_AUTO_TEST_CASE(limits) {
  TestServer server;
  const std::string big_header = "X-Filler: " + std::string(9000, 'a') + "\r\n";
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/a/b", big_header)).status == 431);

  const std::string long_target = "/echo/a/" + std::string(5000, 'b');
  BOOST_TEST(Roundtrip(server.port(), Get(long_target)).status == 414);

  const auto too_large =
      Roundtrip(server.port(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n");
  BOOST_TEST(too_large.status == 413);
  BOOST_TEST(too_large.body == R"({"error":"request body too large"})");

  // Chunked: no Content-Length to check up front; the parser stops at the limit.
  Connection chunked(server.port());
  BOOST_REQUIRE(
      chunked.Send("POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                   std::string(2048, 'c') + "\r\n0\r\n\r\n"));
  const auto chunked_response = chunked.Read();
  BOOST_REQUIRE(chunked_response.has_value());
  BOOST_TEST(chunked_response->status == 413);

  const auto fits = Roundtrip(server.port(),
                              "POST /small HTTP/1.1\r\nHost: t\r\n"
                              "Content-Length: 1024\r\n\r\n" +
                                  std::string(1024, 'x'));
  BOOST_TEST(fits.status == 200);
  BOOST_TEST(fits.body == "1024");
}

BOOST_AUTO_TEST_CASE(expect_100_continue) {
  TestServer server;
  Connection connection(server.port());
  BOOST_REQUIRE(
      connection.Send("PUT /small HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                      "Content-Length: 5\r\n\r\n"));
  const auto interim = connection.Read();
  BOOST_REQUIRE(interim.has_value());
  BOOST_TEST(interim->status == 100);
  BOOST_REQUIRE(connection.Send("hello"));
  const auto response = connection.Read();
  BOOST_REQUIRE(response.has_value());
  BOOST_TEST(response->status == 200);
  BOOST_TEST(response->body == "5");
}

BOOST_AUTO_TEST_CASE(garbage_is_400_and_the_server_lives_on) {
  TestServer server;
  const std::vector<std::string> garbage_requests = {
      "GARBAGE\r\n\r\n", "GET /echo/a/b HTTP/9.9\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)};
  for (const std::string& garbage : garbage_requests) {
    Connection connection(server.port());
    BOOST_REQUIRE(connection.Send(garbage));
    const auto response = connection.Read();
    BOOST_REQUIRE(response.has_value());
    BOOST_TEST(response->status == 400);
    BOOST_TEST(connection.WaitForClose());
  }
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/a/b")).status == 200);
}

BOOST_AUTO_TEST_CASE(keep_alive_and_pipelining_in_order) {
  TestServer server;
  Connection connection(server.port());
  for (int i = 0; i < 3; ++i) {
    BOOST_REQUIRE(connection.Send(Get("/echo/" + std::to_string(i) + "/k")));
    const auto response = connection.Read();
    BOOST_REQUIRE(response.has_value());
    BOOST_TEST(response->body == "a=" + std::to_string(i) + " b=k");
  }
  // The slow one is answered on a worker later than the fast ones behind it, yet first.
  BOOST_REQUIRE(connection.Send(Get("/slow") + Get("/echo/1/p") + Get("/nope") +
                                Get("/echo/2/p", "Connection: close\r\n")));
  const std::vector<std::string> expected = {"slow done", "a=1 b=p", R"({"error":"not found"})",
                                             "a=2 b=p"};
  for (const std::string& body : expected) {
    const auto response = connection.Read();
    BOOST_REQUIRE(response.has_value());
    BOOST_TEST(response->body == body);
  }
  BOOST_TEST(connection.WaitForClose());
}

BOOST_AUTO_TEST_CASE(pipelining_beyond_the_queue_limit) {
  TestServer server;
  Connection connection(server.port());
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += Get("/echo/" + std::to_string(i) + "/q");
  BOOST_REQUIRE(connection.Send(burst));
  for (int i = 0; i < 20; ++i) {
    const auto response = connection.Read();
    BOOST_REQUIRE(response.has_value());
    BOOST_TEST(response->body == "a=" + std::to_string(i) + " b=q");
  }
}

BOOST_AUTO_TEST_CASE(a_request_one_byte_at_a_time) {
  TestServer server;
  Connection connection(server.port());
  for (char c : Get("/echo/bytes/one")) {
    BOOST_REQUIRE(connection.Send(std::string_view(&c, 1)));
    std::this_thread::sleep_for(1ms);
  }
  const auto response = connection.Read();
  BOOST_REQUIRE(response.has_value());
  BOOST_TEST(response->body == "a=bytes b=one");
}

BOOST_AUTO_TEST_CASE(a_trickling_client_is_dropped_while_others_are_served) {
  TestServer server;  // header_timeout 1 s
  Connection slow(server.port());
  const auto start = std::chrono::steady_clock::now();
  std::atomic<bool> dropped{false};
  std::thread trickle([&] {
    const std::string request = Get("/echo/slow/client");
    for (char c : request) {
      if (!slow.Send(std::string_view(&c, 1))) break;
      std::this_thread::sleep_for(400ms);
      if (dropped) break;
    }
  });
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/fast/client")).status == 200);
  dropped = slow.WaitForClose();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  trickle.join();
  BOOST_TEST(dropped.load());
  BOOST_TEST((elapsed >= 900ms));
  BOOST_TEST((elapsed < 8s));
}

BOOST_AUTO_TEST_CASE(many_idle_connections_do_not_block_others) {
  ServerOptions options = TestServer::Defaults();
  options.max_connections_per_address = 0;  // all from 127.0.0.1
  TestServer server(options);
  // PASSLEDGER_HTTP_IDLE_CONNECTIONS=2000 for the manual check (docs/HTTP.md); needs
  // ulimit -n above twice that, client and server being one process.
  const char* configured = std::getenv("PASSLEDGER_HTTP_IDLE_CONNECTIONS");
  const int count = configured ? std::atoi(configured) : 500;
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < count; ++i) idle.push_back(std::make_unique<Connection>(server.port()));
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/still/served")).body == "a=still b=served");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  // The idle ones are dropped at the header timeout.
  BOOST_TEST(idle.front()->WaitForClose());
  BOOST_TEST(idle.back()->WaitForClose());
}

BOOST_AUTO_TEST_CASE(connection_cap_answers_503) {
  ServerOptions options = TestServer::Defaults();
  options.max_connections = 3;
  options.header_timeout = 10s;
  options.idle_timeout = 10s;
  TestServer server(options);
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Connection>(server.port()));
    // A served request proves the session exists before the next connect.
    BOOST_REQUIRE(held.back()->Send(Get("/echo/held/" + std::to_string(i))));
    BOOST_REQUIRE(held.back()->Read().has_value());
  }
  Connection extra(server.port());
  const auto refused = extra.Read();
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status == 503);
  BOOST_TEST(refused->body == R"({"error":"too many connections"})");
  // The held connections still work.
  BOOST_REQUIRE(held.front()->Send(Get("/echo/still/ok")));
  const auto again = held.front()->Read();
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->status == 200);
  // Freeing one slot lets a new client in.
  held.pop_back();
  BOOST_TEST(WaitFor([&] {
    Connection next(server.port());
    return next.Send(Get("/echo/new/one")) && next.Read().value_or(ClientResponse{}).status == 200;
  }));
}

// Issue 12: a per-address connection cap below the global one. 127.0.0.2 opens more than its
// cap and is refused while 127.0.0.1 is served normally. Fails on the old code, which had
// only the global cap and served the fourth connection.
BOOST_AUTO_TEST_CASE(per_address_connection_cap_answers_503_to_that_address_only) {
  ServerOptions options = TestServer::Defaults();
  options.max_connections_per_address = 3;
  options.header_timeout = 10s;
  options.idle_timeout = 10s;
  TestServer server(options);
  const ConnectOptions from_two{10s, "127.0.0.2", 0};
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Connection>(server.port(), from_two));
    BOOST_REQUIRE(held.back()->Send(Get("/echo/held/" + std::to_string(i))));
    BOOST_REQUIRE(held.back()->Read().has_value());
  }
  Connection extra(server.port(), from_two);
  const auto refused = extra.Read();
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status == 503);
  BOOST_TEST(refused->body == R"({"error":"too many connections from this address"})");
  BOOST_TEST(extra.WaitForClose());
  // 127.0.0.1 is served, up to its own cap, while 127.0.0.2 is full.
  std::vector<std::unique_ptr<Connection>> local;
  for (int i = 0; i < 3; ++i) {
    local.push_back(std::make_unique<Connection>(server.port()));
    BOOST_REQUIRE(local.back()->Send(Get("/echo/local/" + std::to_string(i))));
    const auto served = local.back()->Read();
    BOOST_REQUIRE(served.has_value());
    BOOST_TEST(served->status == 200);
  }
  // The held ones still work, and a freed slot lets 127.0.0.2 in again.
  BOOST_REQUIRE(held.front()->Send(Get("/echo/still/ok")));
  BOOST_TEST(held.front()->Read().value_or(ClientResponse{}).status == 200);
  held.pop_back();
  BOOST_TEST(WaitFor([&] {
    Connection next(server.port(), from_two);
    return next.Send(Get("/echo/new/one")) && next.Read().value_or(ClientResponse{}).status == 200;
  }));
}

BOOST_AUTO_TEST_CASE(graceful_stop_lets_the_slow_request_finish) {
  TestServer server;
  Connection idle(server.port());
  BOOST_REQUIRE(idle.Send(Get("/echo/idle/first")));
  BOOST_REQUIRE(idle.Read().has_value());
  Connection busy(server.port());
  BOOST_REQUIRE(busy.Send(Get("/slow")));
  BOOST_REQUIRE(WaitFor([&] { return server.slow_started() == 1; }));

  const auto start = std::chrono::steady_clock::now();
  server.server().Stop(5s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST((elapsed < 5s));
  const auto response = busy.Read();
  BOOST_REQUIRE(response.has_value());
  BOOST_TEST(response->body == "slow done");
  BOOST_TEST(response->Header("connection") == "close");
  BOOST_TEST(idle.WaitForClose());
  BOOST_TEST(busy.WaitForClose());
  BOOST_CHECK_THROW(Connection refused(server.port()), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(stop_bounds_a_handler_that_never_answers_in_time) {
  TestServer server;
  Connection busy(server.port());
  BOOST_REQUIRE(busy.Send(Get("/slow")));
  BOOST_REQUIRE(WaitFor([&] { return server.slow_started() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  server.server().Stop(100ms);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
  BOOST_TEST(busy.WaitForClose());
}

// Issue 12: server-side failures (internal, and unavailable: a full disk, a storage error)
// never show their details to the client; the body carries the request id under which the
// details were logged. Fails on the old code, which answered 503 with the storage message.
BOOST_AUTO_TEST_CASE(error_bodies_are_json_and_internal_details_stay_in_the_log) {
  TestServer server;
  const auto not_found = Roundtrip(server.port(), Get("/fail/missing"));
  BOOST_TEST(not_found.status == 404);
  BOOST_TEST(not_found.body == R"({"error":"secret detail 42"})");

  const std::regex with_id(
      R"re(\{"error":"([a-z ]+)","request_id":"([0-9a-f]{8}-[0-9a-f]{8})"\})re");
  std::vector<std::string> ids;
  for (const auto& [target, status, message] :
       std::vector<std::tuple<std::string, int, std::string>>{
           {"/fail/internal", 500, "internal error"},
           {"/throw", 500, "internal error"},
           {"/drop", 500, "internal error"},
           {"/fail/unavailable", 503, "service unavailable"},
           {"/fail/timeout", 504, "timed out"}}) {
    const auto answer = Roundtrip(server.port(), Get(target));
    BOOST_TEST(answer.status == status, target);
    BOOST_TEST(answer.Header("content-type") == "application/json");
    std::smatch match;
    BOOST_REQUIRE_MESSAGE(std::regex_match(answer.body, match, with_id), answer.body);
    BOOST_TEST(match[1].str() == message);
    BOOST_TEST(answer.Header("x-request-id") == match[2].str());
    for (const char* detail :
         {"secret detail 42", "/var/lib/passledger", "RocksDB", "handler bug"}) {
      BOOST_TEST(answer.body.find(detail) == std::string::npos, target << ": " << detail);
    }
    ids.push_back(match[2]);
  }
  BOOST_TEST(ids[0] != ids[1]);
  // The details are in the error log, under the id the client got (the positive control:
  // they were there to leak).
  BOOST_REQUIRE(WaitFor([&] {
    const std::string log = server.ErrorLog();
    return std::count(log.begin(), log.end(), '\n') >= static_cast<long>(ids.size());
  }));
  const std::string errors = server.ErrorLog();
  BOOST_TEST_MESSAGE(errors);
  const std::vector<std::string> details = {
      "secret detail 42", "handler bug", "dropped its Responder",
      "/var/lib/passledger/db/000042.log: No space left", "RocksDB write timed out"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto line_at = errors.find("request_id=" + ids[i]);
    BOOST_REQUIRE_MESSAGE(line_at != std::string::npos, ids[i]);
    const std::string line = errors.substr(line_at, errors.find('\n', line_at) - line_at);
    BOOST_TEST(line.find(details[i]) != std::string::npos, line);
  }
}

BOOST_AUTO_TEST_CASE(access_log_has_the_template_not_ids_or_headers) {
  TestServer server;
  const auto created =
      Roundtrip(server.port(),
                "POST /v1/devices/DEVICE123/registrations/pass.com.example/SERIAL999 HTTP/1.1\r\n"
                "Host: t\r\nAuthorization: ApplePass TOKEN-SECRET\r\nContent-Length: 2\r\n\r\n{}");
  BOOST_TEST(created.status == 201);
  BOOST_REQUIRE(WaitFor([&] { return !server.AccessLog().empty(); }));
  const std::string log = server.AccessLog();
  BOOST_TEST_MESSAGE(log);
  BOOST_TEST(log.find("method=POST route=\"/v1/devices/{device}/registrations/{passType}/"
                      "{serial}\" status=201 bytes=") != std::string::npos);
  BOOST_TEST(log.find("remote=127.0.0.1:") != std::string::npos);
  for (const char* secret : {"DEVICE123", "SERIAL999", "pass.com.example", "TOKEN-SECRET"}) {
    BOOST_TEST(log.find(secret) == std::string::npos, secret);
  }
}

BOOST_AUTO_TEST_CASE(metrics_and_healthz) {
  TestServer server;
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/m/1")).status == 200);
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/m/2")).status == 200);
  BOOST_TEST(Roundtrip(server.port(), Get("/nope")).status == 404);

  const auto health = Roundtrip(server.port(), Get("/healthz"));
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.body == R"({"status":"ok"})");
  server.ready() = false;
  const auto unready = Roundtrip(server.port(), Get("/healthz"));
  BOOST_TEST(unready.status == 503);
  BOOST_TEST(unready.body == R"({"error":"not ready"})");

  // Each Roundtrip's request is logged once its response is written; wait for all five.
  BOOST_REQUIRE(WaitFor([&] {
    const std::string log = server.AccessLog();
    return std::count(log.begin(), log.end(), '\n') >= 5;
  }));
  const auto metrics = Roundtrip(server.port(), Get("/metrics"));
  BOOST_TEST(metrics.status == 200);
  const std::string& text = metrics.body;
  BOOST_TEST_MESSAGE(text);
  for (const char* expected :
       {"passledger_http_requests_total{route=\"/echo/{a}/{b}\",method=\"GET\",status=\"200\"} 2",
        "passledger_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
        "passledger_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"503\"} 1",
        "passledger_http_request_duration_seconds_count{route=\"/echo/{a}/{b}\"} 2",
        "passledger_http_request_duration_seconds_bucket{route=\"/echo/{a}/{b}\",le=\"+Inf\"} 2",
        "passledger_http_bytes_sent_total "}) {
    BOOST_TEST(text.find(expected) != std::string::npos, expected);
  }
  // Closed client connections leave the gauge once the server has seen them go; the one
  // asking is the only one left.
  BOOST_TEST(WaitFor([&] {
    return Roundtrip(server.port(), Get("/metrics"))
               .body.find("\npassledger_http_open_connections 1\n") != std::string::npos;
  }));
}

// The request series (requests_total and the duration histograms) in a /metrics text.
std::size_t CountRequestSeries(const std::string& text) {
  std::size_t count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("passledger_http_requests_total{", 0) == 0 ||
        line.rfind("passledger_http_request_duration_seconds_count{", 0) == 0) {
      ++count;
    }
  }
  return count;
}

// Issue 12: any token is a method to Beast; neither it nor an unmatched target may mint a
// series. Fails on the old code, where each random method added a requests_total series.
BOOST_AUTO_TEST_CASE(metrics_labels_stay_bounded_under_random_methods_and_targets) {
  TestServer server(TestServer::Defaults(), /*access_log=*/false);  // 100,000 lines of noise
  const auto series = [&] { return CountRequestSeries(server.metrics().Render()); };
  const std::size_t before = series();
  // Positive control: a route and status not seen yet add series (requests_total and the
  // route's histogram), so the count is read correctly.
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/a/b")).status == 200);
  BOOST_REQUIRE(WaitFor([&] { return series() == before + 2; }));
  // The fixed labels appear once: OTHER and unmatched, as 405 (known path) and 404.
  BOOST_TEST(Roundtrip(server.port(), "BREW /echo/a/b HTTP/1.1\r\nHost: t\r\n\r\n").status == 405);
  BOOST_TEST(Roundtrip(server.port(), "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n").status == 404);
  BOOST_REQUIRE_MESSAGE(WaitFor([&] {
                          const std::string text = server.metrics().Render();
                          return text.find(R"(route="unmatched",method="OTHER",status="404"} 1)") !=
                                     std::string::npos &&
                                 text.find(R"(route="unmatched",method="OTHER",status="405"} 1)") !=
                                     std::string::npos;
                        }),
                        server.metrics().Render() + server.AccessLog() + server.ErrorLog());
  const std::size_t settled = series();

  constexpr int kConnections = 4;
  constexpr int kPerConnection = 25'000;
  constexpr int kBatch = 100;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random(static_cast<unsigned>(c) + 1);
      std::uniform_int_distribution<int> letter('A', 'Z');
      Connection connection(server.port());
      for (int sent = 0; sent < kPerConnection; sent += kBatch) {
        std::string burst;
        for (int i = 0; i < kBatch; ++i) {
          std::string method(8, 'A');
          for (char& ch : method) ch = static_cast<char>(letter(random));
          const std::string target = i % 2 ? "/echo/a/b" : "/" + method + "/x";
          burst += method + " " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
        }
        if (!connection.Send(burst)) return;
        for (int i = 0; i < kBatch; ++i) {
          const auto response = connection.Read();
          if (!response) return;
          ++answered;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  BOOST_REQUIRE(answered.load() == kConnections * kPerConnection);
  BOOST_REQUIRE(WaitFor([&] {
    return server.metrics().Render().find(
               R"(route="unmatched",method="OTHER",status="404"} 50001)") != std::string::npos;
  }));
  BOOST_TEST(series() == settled);
}

// Issue 12: /metrics renders without the lock every response takes. A scrape stuck in a
// slow callback must not hold up requests; on the old code the second request on the
// connection hung, its I/O thread waiting for the registry's mutex to log the first one.
BOOST_AUTO_TEST_CASE(a_slow_metrics_callback_does_not_hold_up_responses) {
  TestServer server;
  std::mutex mutex;
  std::condition_variable changed;
  bool entered = false;
  bool release = false;
  server.metrics().AddGauge("test_slow_gauge", "blocks until released", [&] {
    std::unique_lock lock(mutex);
    entered = true;
    changed.notify_all();
    changed.wait_for(lock, 20s, [&] { return release; });
    return 1.0;
  });
  std::thread scrape([&] { (void)server.metrics().Render(); });
  {
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(changed.wait_for(lock, 10s, [&] { return entered; }));
  }
  Connection connection(server.port(), 3s);
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    if (!connection.Send(Get("/echo/during/scrape"))) break;
    const auto response = connection.Read();
    if (!response || response->status != 200) break;
    ++answered;
  }
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  scrape.join();
  BOOST_TEST(answered == 5);
}

// Issue 12: bodies are read only where a route takes one. Fails on the old code, which read
// (and answered 200 to) bodies on GET/DELETE/healthz and waited for an unmatched route's.
BOOST_AUTO_TEST_CASE(bodies_are_read_only_where_a_route_takes_one) {
  TestServer server;
  // Controls: a route that takes a body gets it; an empty body on GET is fine.
  const auto posted =
      Roundtrip(server.port(), "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  BOOST_TEST(posted.status == 200);
  BOOST_TEST(posted.body == "5");
  BOOST_TEST(Roundtrip(server.port(), Get("/echo/a/b", "Content-Length: 0\r\n")).status == 200);

  for (const std::string head :
       {"GET /echo/a/b", "GET /healthz", "GET /metrics", "DELETE /small"}) {
    Connection connection(server.port());
    BOOST_REQUIRE(connection.Send(head + " HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"));
    const auto response = connection.Read();
    BOOST_REQUIRE_MESSAGE(response.has_value(), head);
    BOOST_TEST(response->status == 413, head);
    BOOST_TEST(connection.WaitForClose(), head);
  }
  // Chunked on a bodiless route: refused at the first body byte.
  Connection chunked(server.port());
  BOOST_REQUIRE(
      chunked.Send("GET /echo/a/b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
                   "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  const auto chunked_response = chunked.Read();
  BOOST_REQUIRE(chunked_response.has_value());
  BOOST_TEST(chunked_response->status == 413);

  // No route: answered at once from the header, the announced body never read, then closed.
  for (const auto& [request, status] : std::vector<std::pair<std::string, int>>{
           {"POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", 404},
           {"POST /echo/a/b HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", 405}}) {
    Connection connection(server.port());
    BOOST_REQUIRE(connection.Send(request));
    const auto response = connection.Read();
    BOOST_REQUIRE_MESSAGE(response.has_value(), request);
    BOOST_TEST(response->status == status);
    BOOST_TEST(connection.WaitForClose());
  }
}

// Issue 12: logging never blocks an I/O thread. With the access log's sink stuck, requests
// on one connection are still answered, and the lines past the queue's bound are dropped and
// counted in /metrics. Fails on the old code: the sink ran on the I/O thread, so the second
// request waited for the first one's log line.
BOOST_AUTO_TEST_CASE(a_stuck_log_sink_drops_lines_and_never_blocks_responses) {
  ServerOptions options = TestServer::Defaults();
  options.log_queue_lines = 8;
  TestServer server(options);
  server.block_logs() = true;
  Connection connection(server.port(), 3s);
  int answered = 0;
  for (int i = 0; i < 40; ++i) {
    if (!connection.Send(Get("/echo/log/" + std::to_string(i)))) break;
    const auto response = connection.Read();
    if (!response || response->status != 200) break;
    ++answered;
  }
  BOOST_TEST(answered == 40);
  BOOST_REQUIRE(connection.Send(Get("/metrics")));
  const auto metrics = connection.Read();
  BOOST_REQUIRE(metrics.has_value());
  std::smatch match;
  BOOST_REQUIRE(std::regex_search(metrics->body, match,
                                  std::regex("\npassledger_log_lines_dropped_total ([0-9]+)\n")));
  // At most the batch the writer took and a full queue got through; the rest were dropped.
  BOOST_TEST(std::stoi(match[1]) >= 40 - 2 * 8);
  server.block_logs() = false;
  // Once the sink moves again, the queued lines are written.
  BOOST_TEST(
      WaitFor([&] { return server.AccessLog().find("/echo/{a}/{b}") != std::string::npos; }));
}

// The kernel's largest TCP send buffer (tcp_wmem max), so that a test response is bigger than
// what the kernel can take off the server's hands.
std::size_t MaxSendBuffer() {
  std::ifstream file("/proc/sys/net/ipv4/tcp_wmem");
  std::size_t min = 0, initial = 0, max = 4u << 20;
  file >> min >> initial >> max;
  return max;
}

// Issue 12: the keep-alive idle deadline must not cut off a response still being written.
// Scaled down: idle 1 s, write 5 s, a reader that takes about 2.5 s. On the old code the
// header read for the next request was armed with the idle deadline while the response was in
// flight, and the download died at 1 s.
BOOST_AUTO_TEST_CASE(a_slow_reader_gets_the_whole_response_within_the_write_timeout) {
  ServerOptions options = TestServer::Defaults();
  options.idle_timeout = 1s;
  options.write_timeout = 5s;
  TestServer server(options);
  const std::size_t size = 2 * MaxSendBuffer() + (4u << 20);
  Connection connection(server.port(), ConnectOptions{10s, nullptr, 64 * 1024});
  BOOST_REQUIRE(connection.Send(Get("/big/" + std::to_string(size))));
  const auto start = std::chrono::steady_clock::now();
  const double bytes_per_second = static_cast<double>(size) / 2.5;
  std::size_t received = 0;
  std::string head;
  while (true) {
    const std::string chunk = connection.ReadSome(16 * 1024);
    if (chunk.empty()) break;
    if (head.size() < 512) head += chunk.substr(0, 512);
    received += chunk.size();
    const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(received / bytes_per_second));
    std::this_thread::sleep_until(due);
    if (head.find("\r\n\r\n") != std::string::npos &&
        received >= head.find("\r\n\r\n") + 4 + size) {
      break;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST_MESSAGE("received " << received << " of " << size << " body bytes in "
                                 << std::chrono::duration<double>(elapsed).count() << " s");
  BOOST_REQUIRE(head.find("\r\n\r\n") != std::string::npos);
  BOOST_TEST(received == head.find("\r\n\r\n") + 4 + size);
  BOOST_TEST((elapsed > 2s));  // it did outlast the idle deadline
  // The connection is still usable afterwards.
  BOOST_REQUIRE(connection.Send(Get("/echo/after/big")));
  const auto next = connection.Read();
  BOOST_REQUIRE(next.has_value());
  BOOST_TEST(next->body == "a=after b=big");
}

// ... and one that stops reading is dropped at the write timeout (5 s), not at the idle one
// (1 s, the old behaviour), nor never. The access log's duration is the write's end.
BOOST_AUTO_TEST_CASE(a_stalled_reader_is_dropped_at_the_write_timeout) {
  ServerOptions options = TestServer::Defaults();
  options.idle_timeout = 1s;
  options.write_timeout = 5s;
  TestServer server(options);
  const std::size_t size = 2 * MaxSendBuffer() + (4u << 20);
  Connection connection(server.port(), ConnectOptions{15s, nullptr, 64 * 1024});
  BOOST_REQUIRE(connection.Send(Get("/big/" + std::to_string(size))));
  BOOST_REQUIRE(
      WaitFor([&] { return server.AccessLog().find("/big/") != std::string::npos; }, 15s));
  const std::string log = server.AccessLog();
  BOOST_TEST_MESSAGE(log);
  std::smatch match;
  BOOST_REQUIRE(std::regex_search(log, match,
                                  std::regex("route=\"/big/\\{bytes\\}\" status=200 "
                                             "bytes=([0-9]+) duration_us=([0-9]+)")));
  BOOST_TEST(std::stoull(match[1]) < size);  // cut off
  const auto duration = std::chrono::microseconds(std::stoll(match[2]));
  BOOST_TEST((duration >= 4500ms));
  BOOST_TEST((duration < 8s));
  BOOST_TEST(connection.WaitForClose());
}

BOOST_AUTO_TEST_CASE(start_on_a_taken_port_is_unavailable) {
  TestServer first;
  Router router;
  ServerOptions options = TestServer::Defaults();
  options.port = first.port();
  Server second(options, router);
  const auto started = second.Start();
  BOOST_REQUIRE(!started.has_value());
  BOOST_TEST(ErrorCodeName(started.error().code) == ErrorCodeName(ErrorCode::kUnavailable));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(worker_pool_refuses_when_full) {
  WorkerPool pool(1, 1);
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  BOOST_REQUIRE(pool.Submit([&] {
    while (!release) std::this_thread::sleep_for(1ms);
    ++ran;
  }));
  // The first task may still be queued or already running: fill until refused.
  bool refused = false;
  int accepted = 0;
  for (int i = 0; i < 3 && !refused; ++i) {
    if (pool.Submit([&] { ++ran; })) {
      ++accepted;
    } else {
      refused = true;
    }
  }
  BOOST_TEST(refused);
  release = true;
  pool.Stop();
  BOOST_TEST(ran.load() == 1 + accepted);
  BOOST_TEST(!pool.Submit([] {}));
}

// Issue 12: the worker queue is bounded in bytes, not only in tasks.
BOOST_AUTO_TEST_CASE(worker_pool_refuses_past_its_byte_budget) {
  WorkerPool pool(1, 100, 1000);
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  std::atomic<int> ran{0};
  BOOST_REQUIRE(pool.Submit([&] {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
  }));
  while (!started) std::this_thread::sleep_for(1ms);  // the queue is empty again
  // Into an empty queue a task goes whatever its size (one big request is never starved).
  BOOST_TEST(pool.Submit([&] { ++ran; }, 5000));
  BOOST_TEST(!pool.Submit([&] { ++ran; }, 1));  // 5000 queued, over the 1000 budget
  release = true;
  BOOST_REQUIRE(WaitFor([&] { return ran.load() == 1; }));
  release = false;
  started = false;
  BOOST_REQUIRE(pool.Submit([&] {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
  }));
  while (!started) std::this_thread::sleep_for(1ms);
  BOOST_TEST(pool.Submit([&] { ++ran; }, 600));
  BOOST_TEST(!pool.Submit([&] { ++ran; }, 600));  // 1200 > 1000: refused though 98 tasks free
  BOOST_TEST(pool.Submit([&] { ++ran; }, 400));   // exactly the budget
  BOOST_TEST(!pool.Submit([&] { ++ran; }, 1));
  release = true;
  pool.Stop();
  BOOST_TEST(ran.load() == 3);
}

}  // namespace
}  // namespace passledger::http

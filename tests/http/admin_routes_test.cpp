// The staff admin API over a real Server on 127.0.0.1 (issue 16 §4): every route of the route
// table refuses without a session (401) and for each role below its own (403) — the table
// drives the test, so a new route is covered the day it is added; CSRF and Origin; lockout;
// logout and expiry; the security headers; and no secret in any answer.
#include "http/admin_routes.h"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>

#include "http/admin_security.h"
#include "http/server.h"
#include "projections/session_store.h"
#include "tests/http/client.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::http {
namespace {

using passledger::testing::DevPassFactory;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;
using testing::ClientResponse;
using testing::Connection;

constexpr std::string_view kFamily = "8-10000001";
const std::string kPasswords[] = {"first-correct-horse-pw", "second-battery-staple-pw",
                                  "third-tr0ub4dor-and-3-pw"};
const std::string kUsers[] = {"root", "sam", "audrey"};
const std::string kRoles[] = {"admin", "staff", "auditor"};

struct Signed {
  std::string cookie;  // "passledger_session=<id>"
  std::string session_id;
  std::string csrf;
};

class AdminServer {
 public:
  AdminServer() : log_(ProjectedLog::Open(dir_.path() / "data")), workers_(2, 64) {
    passledger::testing::ImportRoster(*log_, SampleRoster());
    read_ = std::make_unique<projections::ReadModel>(log_->read());
    factory_ = DevPassFactory(dir_.path() / "certs");
    bundles_ = std::make_unique<handlers::PassBundles>(
        read_.get(), std::vector<std::shared_ptr<const signer::PassFactory>>{factory_});
    auto store = projections::SessionStore::Open(&log_->log());
    BOOST_TEST_REQUIRE(Succeeded(store));
    store_ = std::move(*store);
    accounts_ = std::make_unique<handlers::StaffAccounts>(&log_->log(), *read_, store_.get());
    sessions_ = std::make_unique<handlers::StaffSessions>(
        &log_->log(), *read_, store_.get(), handlers::StaffSessionOptions{},
        [this] { return now_us_.load(); });
    imports_ = std::make_unique<handlers::ImportJobs>(&log_->log(), &log_->projections(),
                                                      handlers::ImportConfig{});
    auto device_logs = projections::DeviceLogStore::Open(&log_->log(), 1 << 20);
    BOOST_TEST_REQUIRE(Succeeded(device_logs));
    device_logs_ = std::move(*device_logs);
    verification_ = std::make_unique<handlers::VerificationRuns>(&log_->log());
    revisions_ = std::make_unique<handlers::TemplateRevisions>(&log_->log(), *read_);
    templates_ = std::make_unique<handlers::TemplateService>(
        &log_->log(), *read_, bundles_.get(), handlers::TemplateStore(dir_.path() / "templates"),
        revisions_.get());
    for (int i = 0; i < 3; ++i) {
      BOOST_TEST_REQUIRE(Succeeded(accounts_->Create(kUsers[i], kRoles[i], kPasswords[i], "cli:test")));
    }
    AdminServices services;
    services.log = &log_->log();
    services.projections = &log_->projections();
    services.read = read_.get();
    services.bundles = bundles_.get();
    services.accounts = accounts_.get();
    services.sessions = sessions_.get();
    services.imports = imports_.get();
    services.device_logs = device_logs_.get();
    services.verification = verification_.get();
    services.templates = templates_.get();
    AdminHttpOptions options;
    options.public_origin = "https://pass.example.org";
    AddAdminRoutes(router_, services, workers_, options, nullptr);
    ServerOptions server_options;
    server_options.port = 0;
    server_options.threads = 2;
    server_options.access_log = {};
    server_options.decorations.push_back({"/admin", AddAdminSecurityHeaders});
    server_ = std::make_unique<Server>(std::move(server_options), router_);
    BOOST_TEST_REQUIRE(server_->Start().has_value());
  }
  ~AdminServer() {
    server_->Stop(std::chrono::seconds(2));
    workers_.Stop();
    verification_->Wait();
    revisions_->Stop();
  }

  // One request on a fresh connection; every response is kept for the secrets scan.
  ClientResponse Call(std::string_view method, std::string_view target, std::string_view headers = "",
                      std::string_view body = "") {
    Connection connection(server_->port());
    std::string request = std::string(method) + " " + std::string(target) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(headers);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    BOOST_TEST_REQUIRE(connection.Send(request + "\r\n" + std::string(body)));
    auto response = connection.Read();
    BOOST_TEST_REQUIRE(response.has_value());
    seen_.push_back(*response);
    return *response;
  }

  ClientResponse Login(std::string_view user, std::string_view password,
                       std::string_view extra = "") {
    const std::string body = boost::json::serialize(
        boost::json::object{{"username", user}, {"password", password}});
    return Call("POST", "/admin/api/session",
                "Content-Type: application/json\r\n" + std::string(extra), body);
  }

  Signed SignIn(int who) {
    const ClientResponse r = Login(kUsers[who], kPasswords[who]);
    BOOST_TEST_REQUIRE(r.status == 200);
    const std::string cookie = r.Header("Set-Cookie");
    const std::string id = cookie.substr(cookie.find('=') + 1, cookie.find(';') - cookie.find('=') - 1);
    const auto body = boost::json::parse(r.body).as_object();
    return Signed{std::string(kSessionCookie) + "=" + id, id,
                  std::string(body.at("csrfToken").as_string())};
  }

  static std::string Headers(const Signed& s, bool with_csrf = true) {
    std::string h = "Cookie: " + s.cookie + "\r\n";
    if (with_csrf) h += "X-CSRF-Token: " + s.csrf + "\r\n";
    return h;
  }

  std::string Serial() const {
    auto passes = read_->PassesOfMember(kFamily);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    return passes->at(0).serial;
  }

  // A concrete target for a route's template.
  std::string Target(std::string_view path) const {
    std::string target(path);
    const std::pair<std::string_view, std::string> params[] = {
        {"{id}", std::string(kFamily)}, {"{serial}", Serial()}, {"{username}", "sam"},
        {"{passType}", std::string(factory_->config().pass_type_id)}};
    for (const auto& [name, value] : params) {
      if (auto at = target.find(name); at != std::string::npos) target.replace(at, name.size(), value);
    }
    return target;
  }

  void Advance(std::chrono::seconds by) { now_us_ += std::chrono::microseconds(by).count(); }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  std::unique_ptr<projections::ReadModel> read_;
  std::shared_ptr<const signer::PassFactory> factory_;
  std::unique_ptr<handlers::PassBundles> bundles_;
  std::unique_ptr<projections::SessionStore> store_;
  std::unique_ptr<handlers::StaffAccounts> accounts_;
  std::atomic<std::int64_t> now_us_{1'800'000'000'000'000};
  std::unique_ptr<handlers::StaffSessions> sessions_;
  std::unique_ptr<handlers::ImportJobs> imports_;
  std::unique_ptr<projections::DeviceLogStore> device_logs_;
  std::unique_ptr<handlers::VerificationRuns> verification_;
  std::unique_ptr<handlers::TemplateRevisions> revisions_;
  std::unique_ptr<handlers::TemplateService> templates_;
  WorkerPool workers_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::vector<ClientResponse> seen_;
};

std::string_view MethodName(bhttp::verb v) { return bhttp::to_string(v); }

BOOST_AUTO_TEST_SUITE(admin_routes)

BOOST_AUTO_TEST_CASE(EveryRouteRefusesWithoutASessionAndBelowItsRole) {
  AdminServer server;
  const Signed signed_in[] = {server.SignIn(0), server.SignIn(1), server.SignIn(2)};
  std::size_t checked = 0;
  for (const AdminRouteSpec& spec : AdminRouteTable()) {
    if (!spec.role) continue;  // the login route
    const std::string target = server.Target(spec.path);
    const std::string_view method = MethodName(spec.method);
    BOOST_TEST_CONTEXT(method << " " << spec.path) {
      const bool has_body = spec.body_limit > 0;
      const std::string body = has_body ? "{}" : "";
      const ClientResponse anonymous = server.Call(method, target, "", body);
      BOOST_TEST(anonymous.status == 401);
      BOOST_TEST(anonymous.Header("Cache-Control") == "no-store");
      BOOST_TEST(!anonymous.Header("Content-Security-Policy").empty());
      // admin = 0, staff = 1, auditor = 2 in signed_in; roles rank the other way.
      for (int who = 0; who < 3; ++who) {
        const auto role = *ParseAdminRole(kRoles[who]);
        if (role >= *spec.role) continue;
        const ClientResponse refused =
            server.Call(method, target, AdminServer::Headers(signed_in[who]), body);
        BOOST_TEST(refused.status == 403, kRoles[who] << ": " << refused.body);
      }
      ++checked;
    }
  }
  BOOST_TEST(checked + 1 == AdminRouteTable().size());
  // Routing errors under /admin carry the headers too (the server's decoration).
  const ClientResponse missing = server.Call("GET", "/admin/api/no-such-route");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.Header("Cache-Control") == "no-store");
  BOOST_TEST(missing.Header("X-Frame-Options") == "DENY");
  const ClientResponse too_large = server.Call("POST", "/admin/api/session", "", std::string(20 << 10, 'x'));
  BOOST_TEST(too_large.status == 413);
  BOOST_TEST(!too_large.Header("Content-Security-Policy").empty());
  // The control: the least role a route names gets past the checks.
  const ClientResponse staff_list = server.Call("GET", "/admin/api/staff", AdminServer::Headers(signed_in[0]));
  BOOST_TEST(staff_list.status == 200);
  const ClientResponse whoami = server.Call("GET", "/admin/api/session", AdminServer::Headers(signed_in[2]));
  BOOST_TEST(whoami.status == 200);
  BOOST_TEST(boost::json::parse(whoami.body).at("user").at("role").as_string() == "auditor");
  BOOST_TEST(boost::json::parse(whoami.body).at("csrfToken").as_string() == signed_in[2].csrf);
}

BOOST_AUTO_TEST_CASE(StateChangesNeedTheCsrfTokenAndNoForeignOrigin) {
  AdminServer server;
  const Signed sam = server.SignIn(1);
  const std::string target = "/admin/api/passes/" + server.Serial() + "/void";
  const std::string body = R"({"reason":"card lost"})";
  BOOST_TEST(server.Call("POST", target, AdminServer::Headers(sam, false), body).status == 403);
  Signed wrong = sam;
  wrong.csrf = handlers::StaffSessions::CsrfTokenFor("another session");
  BOOST_TEST(server.Call("POST", target, AdminServer::Headers(wrong), body).status == 403);
  const ClientResponse foreign = server.Call(
      "POST", target, AdminServer::Headers(sam) + "Origin: https://evil.example\r\n", body);
  BOOST_TEST(foreign.status == 403);
  BOOST_TEST(foreign.body.find("another site") != std::string::npos);
  // Nothing was voided by the refusals; the right token from the public origin voids it.
  auto pass = server.read_->Pass(server.Serial());
  BOOST_TEST_REQUIRE(Succeeded(pass));
  BOOST_TEST(!(*pass)->voided);
  const ClientResponse done = server.Call(
      "POST", target, AdminServer::Headers(sam) + "Origin: https://pass.example.org\r\n", body);
  BOOST_TEST(done.status == 200, done.body);
  pass = server.read_->Pass(server.Serial());
  BOOST_TEST((*pass)->voided);
  auto events = server.log_->log().ReadRange(server.log_->log().GetHead().position, 1);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST(events->front().envelope.actor == "staff:sam");
  // Same-origin requests name the host they were sent to.
  const ClientResponse same = server.Call(
      "POST", "/admin/api/passes/" + server.Serial() + "/unvoid",
      AdminServer::Headers(sam) + "Origin: http://127.0.0.1\r\n", "{}");
  BOOST_TEST(same.status == 200, same.body);
}

BOOST_AUTO_TEST_CASE(AWrongPasswordAndAnUnknownUserLookTheSameAndLockOut) {
  AdminServer server;
  const ClientResponse wrong = server.Login("sam", "not-the-password-at-all");
  const ClientResponse unknown = server.Login("nobody", "not-the-password-at-all");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(unknown.status == 401);
  BOOST_TEST(wrong.body == unknown.body);
  BOOST_TEST(wrong.Header("Set-Cookie").empty());
  for (int i = 0; i < 4; ++i) server.Login("sam", "not-the-password-at-all");
  const ClientResponse locked = server.Login("sam", kPasswords[1]);
  BOOST_TEST(locked.status == 429, locked.body);
  BOOST_TEST(std::stoi(locked.Header("Retry-After")) > 0);
  BOOST_TEST(locked.Header("Set-Cookie").empty());
  server.Advance(std::chrono::minutes(16));
  BOOST_TEST(server.Login("sam", kPasswords[1]).status == 200);
}

BOOST_AUTO_TEST_CASE(LogoutExpiryAndAPasswordChangeEndSessions) {
  AdminServer server;
  const Signed root = server.SignIn(0);
  const Signed sam = server.SignIn(1);
  const Signed audrey = server.SignIn(2);
  const ClientResponse out = server.Call("DELETE", "/admin/api/session", AdminServer::Headers(audrey));
  BOOST_TEST(out.status == 204);
  BOOST_TEST(out.Header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  BOOST_TEST(server.Call("GET", "/admin/api/session", AdminServer::Headers(audrey)).status == 401);

  const std::string change = R"({"password":"a-brand-new-secret-phrase"})";
  BOOST_TEST(server.Call("PATCH", "/admin/api/staff/sam", AdminServer::Headers(root), change).status == 200);
  BOOST_TEST(server.Call("GET", "/admin/api/session", AdminServer::Headers(sam)).status == 401);
  BOOST_TEST(server.Call("GET", "/admin/api/session", AdminServer::Headers(root)).status == 200);

  server.Advance(std::chrono::minutes(31));  // idle expiry
  BOOST_TEST(server.Call("GET", "/admin/api/session", AdminServer::Headers(root)).status == 401);
}

boost::json::value Parse(const ClientResponse& r) { return boost::json::parse(r.body); }

BOOST_AUTO_TEST_CASE(TheReadRoutesAnswerWhatThePagesShow) {
  AdminServer server;
  const Signed sam = server.SignIn(1);
  const Signed audrey = server.SignIn(2);
  const std::string staff = AdminServer::Headers(sam);
  const std::string auditor = AdminServer::Headers(audrey);

  const auto dashboard = Parse(server.Call("GET", "/admin/api/dashboard", auditor));
  BOOST_TEST(dashboard.at("members").at("active").as_int64() > 0);
  BOOST_TEST(dashboard.at("lastImport").at("state").as_string() == "completed");

  const auto found = Parse(server.Call("GET", "/admin/api/members?q=quill", auditor));
  BOOST_TEST_REQUIRE(found.at("members").as_array().size() == 1u);
  BOOST_TEST(found.at("members").at(0).at("membershipId").as_string() == kFamily);
  const ClientResponse bad = server.Call("GET", "/admin/api/members?status=sleeping", auditor);
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(bad.body.find("status") != std::string::npos, bad.body);
  const ClientResponse bad_limit = server.Call("GET", "/admin/api/members?limit=0", auditor);
  BOOST_TEST(bad_limit.status == 400);
  BOOST_TEST(bad_limit.body.find("limit") != std::string::npos, bad_limit.body);

  const auto member = Parse(server.Call("GET", "/admin/api/members/" + std::string(kFamily), auditor));
  BOOST_TEST(member.at("member").at("membershipId").as_string() == kFamily);
  BOOST_TEST(!member.at("timeline").at("entries").as_array().empty());
  BOOST_TEST(server.Call("GET", "/admin/api/members/8-99999999", auditor).status == 404);

  const auto preview = Parse(server.Call("GET", "/admin/api/passes/" + server.Serial(), auditor));
  BOOST_TEST(preview.at("barcode").at("message").as_string() == kFamily);

  // The audit log: personal parts revealed to staff, sealed for auditors.
  const std::string enrolled = "/admin/api/events?stream=member-" + std::string(kFamily) + "&limit=200";
  const ClientResponse as_staff = server.Call("GET", enrolled, staff);
  const ClientResponse as_auditor = server.Call("GET", enrolled, auditor);
  BOOST_TEST(as_staff.status == 200);
  BOOST_TEST(as_staff.body.find("avery.quill@example.org") != std::string::npos);
  BOOST_TEST(as_auditor.status == 200);
  BOOST_TEST(as_auditor.body.find("avery.quill@example.org") == std::string::npos);
  BOOST_TEST(server.Call("GET", "/admin/api/events?from=yesterday", auditor).status == 400);

  const auto imports = Parse(server.Call("GET", "/admin/api/imports?limit=1", auditor));
  BOOST_TEST(imports.at("imports").as_array().size() == 1u);

  // Verification: a run in the background, then its result and the digest it recorded.
  const ClientResponse started = server.Call("POST", "/admin/api/verification", staff, "{}");
  BOOST_TEST(started.status == 202, started.body);
  server.verification_->Wait();
  const auto verified = Parse(server.Call("GET", "/admin/api/verification", auditor));
  BOOST_TEST(verified.at("lastRun").at("state").as_string() == "verified");
  BOOST_TEST(verified.at("lastRun").at("actor").as_string() == "staff:sam");
  BOOST_TEST(verified.at("lastDigest").at("position").to_number<std::uint64_t>() ==
             verified.at("lastRun").at("position").to_number<std::uint64_t>());
  BOOST_TEST(verified.at("lastRun").at("position").to_number<std::uint64_t>() > 0u);
}

BOOST_AUTO_TEST_CASE(AnUploadOverTheLimitIsRefusedBeforeItsBodyIsRead) {
  AdminServer server;
  const Signed sam = server.SignIn(1);
  // 201 MiB announced, 64 KiB sent: the answer comes from the headers alone, while the client
  // still holds almost all of the body.
  const std::size_t announced = 201u << 20;
  Connection connection(server.server_->port(), std::chrono::seconds(5));
  const std::string head = "POST /admin/api/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                           AdminServer::Headers(sam) + "Content-Type: text/csv\r\nContent-Length: " +
                           std::to_string(announced) + "\r\n\r\n";
  BOOST_TEST_REQUIRE(connection.Send(head + std::string(64 << 10, 'x')));
  const auto refused = connection.Read();
  BOOST_TEST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status == 413, refused->body);
  BOOST_TEST(!refused->Header("Content-Security-Policy").empty());
  // Under the limit, a caller who could not make the request is answered from the headers as
  // well: no session → 401, a wrong CSRF token → 403, each with 64 KiB of 150 MiB sent.
  Signed forged = sam;
  forged.csrf = handlers::StaffSessions::CsrfTokenFor("another session");
  const std::pair<std::string, int> callers[] = {{"", 401}, {AdminServer::Headers(forged), 403}};
  for (const auto& [headers, expected] : callers) {
    Connection early(server.server_->port(), std::chrono::seconds(5));
    BOOST_TEST_REQUIRE(early.Send("POST /admin/api/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                                  "Content-Type: text/csv\r\nContent-Length: " +
                                  std::to_string(150u << 20) + "\r\n\r\n" + std::string(64 << 10, 'x')));
    const auto answer = early.Read();
    BOOST_TEST_REQUIRE(answer.has_value());
    BOOST_TEST(answer->status == expected, answer->body);
  }
  // The control: a body under the limit is read and reaches the route.
  const ClientResponse small = server.Call("POST", "/admin/api/imports?dry_run=1",
                                           AdminServer::Headers(sam) + "Content-Type: text/csv\r\n",
                                           SampleRoster());
  BOOST_TEST(small.status == 200, small.body);
}

BOOST_AUTO_TEST_CASE(AnUploadIsPreviewedImportedFollowedAndIdempotent) {
  AdminServer server;
  const Signed sam = server.SignIn(1);
  const std::string csv = AdminServer::Headers(sam) + "Content-Type: text/csv\r\n";
  // A changed e-mail and one row with an impossible expiry date.
  const std::string messy = passledger::testing::SampleWithNewEmail() +
                            "\r\n8-10000099,Family,31/31/2027,Active,Pat Bad,Bad,Pat,1 Road,,City,PA,"
                            "15210,pat@example.org,,\r\n";
  const std::uint64_t head = server.log_->log().GetHead().position;

  const ClientResponse preview = server.Call("POST", "/admin/api/imports?dry_run=1", csv, messy);
  BOOST_TEST_REQUIRE(preview.status == 200, preview.body);
  const auto diff = Parse(preview);
  BOOST_TEST(diff.at("dryRun").as_bool());
  BOOST_TEST(diff.at("counts").at("changed").to_number<int>() == 1);
  const auto& rejected = diff.at("rejected").as_array();
  BOOST_TEST_REQUIRE(rejected.size() == 1u);
  BOOST_TEST(rejected.at(0).at("line").to_number<int>() > 1);
  BOOST_TEST(!rejected.at(0).at("column").as_string().empty());
  BOOST_TEST(!diff.at("changes").as_array().empty());
  BOOST_TEST(server.log_->log().GetHead().position == head);  // the dry run wrote nothing

  const ClientResponse started = server.Call("POST", "/admin/api/imports?file_name=crm.csv", csv, messy);
  BOOST_TEST_REQUIRE(started.status == 202, started.body);
  const std::string id(Parse(started).at("id").as_string());
  // Follow the event stream as a browser's EventSource does, to its "done".
  std::string last_event_id = "0";
  std::string event;
  for (int i = 0; i < 100 && event != "done"; ++i) {
    const ClientResponse sse = server.Call("GET", "/admin/api/imports/" + id + "/events",
                                           AdminServer::Headers(sam) + "Last-Event-ID: " + last_event_id + "\r\n");
    BOOST_TEST_REQUIRE(sse.status == 200);
    BOOST_TEST(sse.Header("Content-Type") == "text/event-stream");
    const auto at = sse.body.find("id: ");
    last_event_id = sse.body.substr(at + 4, sse.body.find('\n', at) - at - 4);
    const auto ev = sse.body.find("event: ");
    event = sse.body.substr(ev + 7, sse.body.find('\n', ev) - ev - 7);
  }
  BOOST_TEST(event == "done");
  const auto job = Parse(server.Call("GET", "/admin/api/imports/" + id, AdminServer::Headers(sam)));
  BOOST_TEST(job.at("state").as_string() == "completed", boost::json::serialize(job));
  BOOST_TEST(job.at("fileName").as_string() == "crm.csv");
  BOOST_TEST(server.log_->log().GetHead().position > head);
  auto member = server.read_->Member(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(member));
  BOOST_TEST_REQUIRE((*member)->personal.has_value());
  BOOST_TEST((*member)->personal->email == "avery.q@example.org");

  const ClientResponse again = server.Call("POST", "/admin/api/imports", csv, messy);
  BOOST_TEST(again.status == 200, again.body);
  BOOST_TEST(Parse(again).at("id").as_string() == id);
  BOOST_TEST(Parse(again).at("existing").as_bool());
  const auto history = Parse(server.Call("GET", "/admin/api/imports", AdminServer::Headers(sam)));
  BOOST_TEST(history.at("imports").at(0).at("importId").as_string() == id);
  BOOST_TEST(history.at("imports").at(0).at("rejected").to_number<int>() == 1);
}

// The template routes end to end: an auditor reads the draft, an admin replaces it (the GET
// document sent back with one colour changed), a bad image is refused naming the field, the
// preview renders a member's pass from the draft, publishing revises every pass and the pass
// file served afterwards has the new colour.
BOOST_AUTO_TEST_CASE(TemplatesAreReadReplacedPreviewedAndPublished) {
  AdminServer server;
  const Signed root = server.SignIn(0);
  const Signed audrey = server.SignIn(2);
  const std::string base = server.Target("/admin/api/templates/{passType}");
  const std::string json_type = "Content-Type: application/json\r\n";

  const ClientResponse got = server.Call("GET", base, AdminServer::Headers(audrey, false));
  BOOST_TEST_REQUIRE(got.status == 200, got.body);
  boost::json::object doc = boost::json::parse(got.body).as_object();
  BOOST_TEST(doc.at("saved").as_bool() == false);
  BOOST_TEST(doc.at("colors").at("background").as_string() == "rgb(38, 84, 58)");
  BOOST_TEST(doc.at("published").is_null());

  const ClientResponse image =
      server.Call("GET", base + "/image?path=icon.png", AdminServer::Headers(audrey, false));
  BOOST_TEST(image.status == 200);
  BOOST_TEST(image.Header("Content-Type") == "image/png");
  BOOST_TEST(image.body.substr(1, 3) == "PNG");

  boost::json::object bad = doc;
  bad["images"].as_object()["logo.png"] = "bm90IGEgcG5n";  // "not a png"
  const ClientResponse refused =
      server.Call("PUT", base, AdminServer::Headers(root) + json_type, boost::json::serialize(bad));
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(boost::json::parse(refused.body).at("error").as_string().find("images[\"logo.png\"]") !=
                 std::string::npos,
             refused.body);

  doc["colors"].as_object()["background"] = "#0a141e";
  const ClientResponse put =
      server.Call("PUT", base, AdminServer::Headers(root) + json_type, boost::json::serialize(doc));
  BOOST_TEST_REQUIRE(put.status == 200, put.body);
  const auto saved = boost::json::parse(put.body);
  BOOST_TEST(saved.at("saved").as_bool());
  BOOST_TEST(saved.at("differsFromPublished").as_bool());

  const ClientResponse preview = server.Call("POST", base + "/preview",
                                             AdminServer::Headers(root) + json_type,
                                             R"({"membershipId":"8-10000001"})");
  BOOST_TEST_REQUIRE(preview.status == 200, preview.body);
  const auto shown = boost::json::parse(preview.body);
  BOOST_TEST(shown.at("backgroundColor").as_string() == "rgb(10, 20, 30)");
  BOOST_TEST(!shown.at("fields").at("primary").as_array().empty());
  BOOST_TEST(shown.at("barcode").at("message").as_string() == kFamily);
  const ClientResponse no_member =
      server.Call("POST", base + "/preview", AdminServer::Headers(root) + json_type, "{}");
  BOOST_TEST(no_member.status == 400);

  const std::string serial = server.Serial();
  const ClientResponse before = server.Call("GET", "/admin/api/passes/" + serial + "/pkpass",
                                            AdminServer::Headers(audrey, false));
  BOOST_TEST_REQUIRE(before.status == 200);
  BOOST_TEST(before.body.find("rgb(10, 20, 30)") == std::string::npos);

  const ClientResponse published =
      server.Call("POST", base + "/publish", AdminServer::Headers(root) + json_type, "{}");
  BOOST_TEST_REQUIRE(published.status == 200, published.body);
  const auto outcome = boost::json::parse(published.body);
  BOOST_TEST(outcome.at("version").as_int64() == 1);
  BOOST_TEST(outcome.at("done").as_bool());
  auto passes = server.read_->PassesChangedSince(server.factory_->config().pass_type_id, 0, 1000);
  BOOST_TEST_REQUIRE(Succeeded(passes));
  BOOST_TEST(outcome.at("passesRevised").to_number<std::int64_t>() == static_cast<std::int64_t>(passes->size()));
  auto events = server.log_->log().ReadStream(
      "template-" + server.factory_->config().pass_type_id, 1, 10);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST_REQUIRE(events->size() == 1u);
  BOOST_TEST(events->front().envelope.actor == "staff:root");

  const ClientResponse after = server.Call("GET", "/admin/api/passes/" + serial + "/pkpass",
                                           AdminServer::Headers(audrey, false));
  BOOST_TEST_REQUIRE(after.status == 200);
  auto latest = server.bundles_->ForSerial(serial);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  BOOST_TEST(after.body == *latest->bundle);
  BOOST_TEST(passledger::testing::PassJsonOf(latest->bundle).at("backgroundColor").as_string() ==
             "rgb(10, 20, 30)");

  const ClientResponse again =
      server.Call("POST", base + "/publish", AdminServer::Headers(root) + json_type, "{}");
  BOOST_TEST(again.status >= 400);
  BOOST_TEST(again.status < 500);
  BOOST_TEST(again.body.find("as published") != std::string::npos, again.body);
}

BOOST_AUTO_TEST_CASE(NoAnswerCarriesASecret) {
  AdminServer server;
  const Signed root = server.SignIn(0);
  const Signed sam = server.SignIn(1);
  const std::string serial = server.Serial();
  const std::string push_token = "f00dfeedc0ffee0123456789abcdef0123456789abcdef0123456789abcdef01";
  server.log_->Register("device-a", server.factory_->config().pass_type_id, serial, push_token);
  // Exercise the routes that show accounts, passes, devices and members, as admin and staff
  // (who see the audit log's personal parts revealed) and as auditor.
  const Signed audrey = server.SignIn(2);
  for (const Signed* who : {&root, &sam, &audrey}) {
    for (const std::string& target : std::vector<std::string>{"/admin/api/dashboard", "/admin/api/members?q=a", "/admin/api/members/" + std::string(kFamily),
          "/admin/api/members/" + std::string(kFamily) + "/timeline", "/admin/api/passes/" + serial,
          "/admin/api/devices", "/admin/api/device-logs", "/admin/api/events?limit=200",
          "/admin/api/events?stream=device-device-a", "/admin/api/imports"}) {
      const ClientResponse r = server.Call("GET", target, AdminServer::Headers(*who));
      BOOST_TEST(r.status == 200, target << ": " << r.body);
    }
  }
  server.Call("GET", "/admin/api/staff", AdminServer::Headers(root));
  server.Call("POST", "/admin/api/staff", AdminServer::Headers(root),
              R"({"username":"newbie","role":"staff","password":"fresh-hire-long-phrase"})");
  server.Call("POST", "/admin/api/members/" + std::string(kFamily) + "/email", AdminServer::Headers(sam),
              R"({"resend":true})");
  server.Call("POST", "/admin/api/passes/" + serial + "/revoke-token", AdminServer::Headers(sam),
              R"({"reason":"phone stolen"})");
  server.Call("POST", "/admin/api/imports?dry_run=1", AdminServer::Headers(sam) + "Content-Type: text/csv\r\n",
              SampleRoster());
  server.Call("GET", "/admin/api/session", AdminServer::Headers(sam));
  server.Call("POST", server.Target("/admin/api/templates/{passType}/preview"),
              AdminServer::Headers(root), R"({"membershipId":"8-10000001"})");
  server.Call("GET", server.Target("/admin/api/templates/{passType}"), AdminServer::Headers(sam));

  // What must never appear: every pass token (both generations), both session ids, every
  // password and every password hash.
  std::vector<std::string> secrets = {root.session_id, sam.session_id, audrey.session_id,
                                      "fresh-hire-long-phrase", push_token};
  for (const auto& p : kPasswords) secrets.push_back(p);
  auto passes = server.read_->PassesOfMember(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(passes));
  for (const auto& pass : *passes) {
    for (std::uint64_t generation = 1; generation <= 2; ++generation) {
      secrets.push_back(server.factory_->AuthToken(pass.serial, generation));
    }
  }
  for (const std::string& user : {std::string("root"), std::string("sam"), std::string("newbie")}) {
    auto events = server.log_->log().ReadStream("staff-" + user, 1, 100, events::ReadOptions{true});
    BOOST_TEST_REQUIRE(Succeeded(events));
    for (const auto& e : *events) {
      if (e.personal.contains("passwordHash")) {
        secrets.emplace_back(e.personal.at("passwordHash").as_string());
      }
    }
  }
  BOOST_TEST(secrets.size() > 10u);
  // The scan sees a secret when one is there: the login answers carry the session id in
  // Set-Cookie, and the pass's signed file carries its token (the member's own pass, which
  // must hold it to register; that file is the one exception, see docs/ADMIN.md).
  std::size_t in_cookies = 0;
  for (const auto& r : server.seen_) {
    if (r.Header("Set-Cookie").find(sam.session_id) != std::string::npos) ++in_cookies;
  }
  BOOST_TEST(in_cookies == 1u);
  const std::string token = server.factory_->AuthToken(serial, 2);
  auto latest = server.bundles_->ForSerial(serial);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  BOOST_TEST(passledger::testing::PassJsonOf(latest->bundle).at("authenticationToken").as_string() == token);
  // And the push token is in the log the audit routes read (sealed away from their answers).
  auto registered = server.log_->log().ReadStream("device-device-a", 1, 10, events::ReadOptions{true});
  BOOST_TEST_REQUIRE(Succeeded(registered));
  const std::string stored = boost::json::serialize(registered->front().payload) +
                             boost::json::serialize(registered->front().personal);
  BOOST_TEST(stored.find(push_token) != std::string::npos);

  for (const auto& r : server.seen_) {
    std::string headers = r.headers;
    for (auto at = headers.find("Set-Cookie:"); at != std::string::npos; at = headers.find("Set-Cookie:")) {
      headers.erase(at, headers.find("\r\n", at) - at);
    }
    const std::string text = headers + r.body;
    for (const auto& secret : secrets) {
      BOOST_TEST(text.find(secret) == std::string::npos, "a secret in: " << text.substr(0, 200));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http

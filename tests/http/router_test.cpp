#define BOOST_TEST_MODULE http
#include "http/router.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "http/status.h"

namespace passledger::http {
namespace {

Router MakeRouter() {
  Router router;
  const Handler ignore = [](Request&&, Responder) {};
  router.Add({bhttp::verb::post, bhttp::verb::delete_},
             "/v1/devices/{device}/registrations/{passType}/{serial}", ignore);
  router.Add({bhttp::verb::get}, "/v1/devices/{device}/registrations/{passType}", ignore);
  router.Add({bhttp::verb::get, bhttp::verb::head}, "/v1/passes/{passType}/{serial}", ignore);
  router.Add({bhttp::verb::post}, "/v1/log", ignore);
  return router;
}

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(captures_decoded_params_and_query) {
  const Router router = MakeRouter();
  const RouteMatch match =
      router.Match(bhttp::verb::post, "/v1/devices/d%201/registrations/pass.a%2Bb/S%C3%A9?x=1");
  BOOST_TEST(static_cast<int>(match.status) == 200);
  BOOST_REQUIRE(match.route != nullptr);
  BOOST_TEST(match.route->path_template ==
             "/v1/devices/{device}/registrations/{passType}/{serial}");
  BOOST_TEST(match.params.at("device") == "d 1");
  BOOST_TEST(match.params.at("passType") == "pass.a+b");
  BOOST_TEST(match.params.at("serial") == "S\xC3\xA9");
  BOOST_TEST(match.query == "x=1");
}

BOOST_AUTO_TEST_CASE(a_trailing_slash_matches_only_a_template_with_one) {
  Router router;
  const Handler ignore = [](Request&&, Responder) {};
  router.Add({bhttp::verb::get}, "/admin", ignore);
  router.Add({bhttp::verb::get}, "/admin/", ignore);
  router.Add({bhttp::verb::get}, "/admin/static/{version}/{file}", ignore);
  const RouteMatch with = router.Match(bhttp::verb::get, "/admin/");
  BOOST_REQUIRE(with.route != nullptr);
  BOOST_TEST(with.route->path_template == "/admin/");
  const RouteMatch without = router.Match(bhttp::verb::get, "/admin");
  BOOST_REQUIRE(without.route != nullptr);
  BOOST_TEST(without.route->path_template == "/admin");
  for (std::string_view target : {"/admin//", "/admin/static/v/", "/admin//static", "//admin/"}) {
    BOOST_TEST_CONTEXT(target) {
      BOOST_TEST(static_cast<int>(router.Match(bhttp::verb::get, target).status) == 404);
    }
  }
  BOOST_CHECK_THROW(router.Add({bhttp::verb::get}, "/a//b", ignore), std::invalid_argument);
  BOOST_CHECK_THROW(router.Add({bhttp::verb::get}, "//", ignore), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(refusals) {
  const Router router = MakeRouter();
  struct Case {
    bhttp::verb method;
    std::string_view target;
    int status;
  };
  const Case cases[] = {
      {bhttp::verb::get, "/v1/nothing", 404},       {bhttp::verb::get, "/v1/log/extra", 404},
      {bhttp::verb::get, "/v1/passes/a//b", 404},   {bhttp::verb::get, "/v1/passes/a/b/", 404},
      {bhttp::verb::get, "/v1/passes/a/%zz", 400},  {bhttp::verb::get, "/v1/passes/a/%4", 400},
      {bhttp::verb::get, "/v1/passes/../b", 400},   {bhttp::verb::get, "/v1/passes/%2e%2E/b", 400},
      {bhttp::verb::get, "/v1/passes/./b", 400},    {bhttp::verb::get, "/v1/passes/a%2Fb/c", 400},
      {bhttp::verb::get, "/v1/passes/a%00/c", 400}, {bhttp::verb::get, "http://host/v1/log", 400},
      {bhttp::verb::get, "/v1/log", 405},           {bhttp::verb::put, "/v1/passes/a/b", 405},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.target) {
      const RouteMatch match = router.Match(c.method, c.target);
      BOOST_TEST(static_cast<int>(match.status) == c.status);
      BOOST_TEST(match.route == nullptr);
    }
  }
}

BOOST_AUTO_TEST_CASE(method_not_allowed_lists_allow) {
  const Router router = MakeRouter();
  BOOST_TEST(router.Match(bhttp::verb::put, "/v1/passes/a/b").allow == "GET, HEAD");
  BOOST_TEST(router.Match(bhttp::verb::get, "/v1/devices/a/registrations/b/c").allow ==
             "POST, DELETE");
}

BOOST_AUTO_TEST_CASE(bad_templates_throw) {
  Router router;
  const Handler ignore = [](Request&&, Responder) {};
  BOOST_CHECK_THROW(router.Add({bhttp::verb::get}, "no-slash", ignore), std::invalid_argument);
  BOOST_CHECK_THROW(router.Add({bhttp::verb::get}, "/a//b", ignore), std::invalid_argument);
  BOOST_CHECK_THROW(router.Add({bhttp::verb::get}, "/a/x{b}", ignore), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(query_params) {
  Request request;
  request.query = "a=1&passesUpdatedSince=12%3A30+x&flag&bad=%zz";
  BOOST_TEST(request.QueryParam("a").value() == "1");
  BOOST_TEST(request.QueryParam("passesUpdatedSince").value() == "12:30 x");
  BOOST_TEST(request.QueryParam("flag").value() == "");
  BOOST_TEST(!request.QueryParam("bad").has_value());
  BOOST_TEST(!request.QueryParam("missing").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(status_for_every_code) {
  const std::pair<ErrorCode, int> table[] = {
      {ErrorCode::kInvalidArgument, 400},    {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403},   {ErrorCode::kNotFound, 404},
      {ErrorCode::kConflict, 409},           {ErrorCode::kAlreadyExists, 409},
      {ErrorCode::kFailedPrecondition, 410}, {ErrorCode::kTooLarge, 413},
      {ErrorCode::kUnavailable, 503},        {ErrorCode::kTimeout, 504},
      {ErrorCode::kCancelled, 503},          {ErrorCode::kCorruption, 500},
      {ErrorCode::kInternal, 500},
  };
  for (const auto& [code, status] : table) {
    BOOST_TEST(static_cast<int>(StatusFor(code)) == status, ErrorCodeName(code));
  }
  const Response response = MakeErrorResponse(bhttp::status::not_found, "no \"such\" pass");
  BOOST_TEST(response.body() == R"({"error":"no \"such\" pass"})");
  BOOST_TEST(response[bhttp::field::content_type] == "application/json");
}

}  // namespace
}  // namespace passledger::http

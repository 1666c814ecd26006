// Revoking a pass's authentication token (issue 12): PassTokenRevoked bumps the generation,
// the old token is refused on every token route, the new pass carries the new token, other
// passes keep theirs, and the views still equal a replay.
#include "handlers/passes/pass_tokens.h"

#include <boost/test/unit_test.hpp>

#include "handlers/passes/pass_bundles.h"
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
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kType = "pass.org.example.member";
constexpr std::string_view kFamily = "8-10000001";  // two cardholders, two passes
constexpr std::string_view kBody = R"({"pushToken":"00ff"})";

BOOST_AUTO_TEST_SUITE(pass_tokens)

BOOST_AUTO_TEST_CASE(RevokedTokenIsRefusedEverywhereAndTheNewPassCarriesTheNewOne) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  passledger::testing::ImportRoster(*log, SampleRoster());
  const projections::ReadModel read = log->read();
  auto factory = DevPassFactory(dir.path() / "certs");
  const PassBundles bundles(&read, {factory});
  PassKitService service(&log->log(), read, &bundles);
  auto passes = read.PassesOfMember(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(passes));
  BOOST_TEST_REQUIRE(passes->size() == 2u);
  const std::string serial(passes->at(0).serial);
  const std::string other(passes->at(1).serial);
  const std::string old_token = factory->AuthToken(serial, 1);
  const std::string old_auth = "ApplePass " + old_token;

  // Before: the generation-1 token works (the control for the refusals below).
  BOOST_TEST_REQUIRE(Succeeded(service.Register("device1", kType, serial, old_auth, kBody)));
  BOOST_TEST_REQUIRE(Succeeded(service.LatestPass(kType, serial, old_auth, std::nullopt)));
  auto before = bundles.ForSerial(serial);
  BOOST_TEST_REQUIRE(Succeeded(before));
  BOOST_TEST(PassJsonOf(before->bundle).at("authenticationToken").as_string() == old_token);

  auto revoked = RevokePassToken(log->log(), read, serial, "staff:test", "phone stolen");
  BOOST_TEST_REQUIRE(Succeeded(revoked));
  BOOST_TEST(revoked->previous_generation == 1u);
  BOOST_TEST(revoked->generation == 2u);
  auto events = log->log().ReadRange(revoked->position, 1);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST(events->front().envelope.type == "PassTokenRevoked");
  BOOST_TEST(events->front().envelope.stream == "pass-" + serial);

  // The old token: 401 on every token route.
  BOOST_TEST(FailedWith(service.Register("device2", kType, serial, old_auth, kBody),
                        ErrorCode::kUnauthenticated));
  BOOST_TEST(FailedWith(service.LatestPass(kType, serial, old_auth, std::nullopt),
                        ErrorCode::kUnauthenticated));
  BOOST_TEST(FailedWith(service.Unregister("device1", kType, serial, old_auth),
                        ErrorCode::kUnauthenticated));

  // The new pass carries the new token, which works everywhere.
  const std::string new_token = factory->AuthToken(serial, 2);
  BOOST_TEST(new_token != old_token);
  const std::string new_auth = "ApplePass " + new_token;
  auto latest = service.LatestPass(kType, serial, new_auth, std::nullopt);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  BOOST_TEST_REQUIRE(latest->bundle != nullptr);
  BOOST_TEST(PassJsonOf(latest->bundle).at("authenticationToken").as_string() == new_token);
  BOOST_TEST(latest->content_position == revoked->position);  // a content change
  BOOST_TEST(Succeeded(service.Register("device2", kType, serial, new_auth, kBody)));
  auto removed = service.Unregister("device1", kType, serial, new_auth);
  BOOST_TEST_REQUIRE(Succeeded(removed));
  BOOST_TEST(*removed);

  // The other pass of the member keeps its generation-1 token.
  BOOST_TEST(Succeeded(
      service.LatestPass(kType, other, "ApplePass " + factory->AuthToken(other, 1), std::nullopt)));

  // Revoking again goes on to generation 3; an unknown serial is kNotFound.
  auto again = RevokePassToken(log->log(), read, serial, "staff:test", "");
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST(again->generation == 3u);
  BOOST_TEST(FailedWith(service.LatestPass(kType, serial, new_auth, std::nullopt),
                        ErrorCode::kUnauthenticated));
  BOOST_TEST(FailedWith(RevokePassToken(log->log(), read, "NO-SUCH-SERIAL", "staff:test", ""),
                        ErrorCode::kNotFound));

  auto report = log->projections().VerifyAgainstReplay();
  BOOST_TEST_REQUIRE(Succeeded(report));
  BOOST_TEST(report->ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

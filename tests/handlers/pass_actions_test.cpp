// Staff pass actions (issue 16): voiding and unvoiding append one event with the staff actor,
// change the pass's content (so its devices are pushed) and say how many devices that is;
// the refusals leave the log as it was.
#include "handlers/passes/pass_actions.h"

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
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kType = "pass.org.example.member";
constexpr std::string_view kFamily = "8-10000001";

BOOST_AUTO_TEST_SUITE(pass_actions)

BOOST_AUTO_TEST_CASE(VoidAndUnvoidChangeTheContentAndCountTheDevices) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  passledger::testing::ImportRoster(*log, SampleRoster());
  const projections::ReadModel read = log->read();
  auto factory = DevPassFactory(dir.path() / "certs");
  const PassBundles bundles(&read, {factory});
  PassKitService service(&log->log(), read, &bundles);
  auto passes = read.PassesOfMember(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(passes));
  const projections::PassView before = passes->at(0);
  BOOST_TEST_REQUIRE(!before.voided);
  const std::string auth = "ApplePass " + factory->AuthToken(before.serial, 1);
  for (const char* device : {"deviceA", "deviceB"}) {
    BOOST_TEST_REQUIRE(Succeeded(
        service.Register(device, kType, before.serial, auth, R"({"pushToken":"00ff"})")));
  }

  auto voided = VoidPass(log->log(), read, before.serial, "card lost", "staff:alice");
  BOOST_TEST_REQUIRE(Succeeded(voided));
  BOOST_TEST(voided->devices == 2u);
  auto event = log->log().ReadRange(voided->position, 1);
  BOOST_TEST_REQUIRE(Succeeded(event));
  BOOST_TEST(event->front().envelope.type == "PassVoided");
  BOOST_TEST(event->front().envelope.actor == "staff:alice");
  auto after = read.Pass(before.serial);
  BOOST_TEST_REQUIRE(Succeeded(after));
  BOOST_TEST((*after)->voided);
  BOOST_TEST((*after)->void_reason == "card lost");
  BOOST_TEST((*after)->content_position == voided->position);  // the phones are pushed

  const std::uint64_t head = log->log().GetHead().position;
  BOOST_TEST(FailedWith(VoidPass(log->log(), read, before.serial, "again", "staff:alice"),
                        ErrorCode::kFailedPrecondition));
  auto unvoided = UnvoidPass(log->log(), read, before.serial, "staff:bob");
  BOOST_TEST_REQUIRE(Succeeded(unvoided));
  BOOST_TEST(unvoided->position == head + 1);  // the refusal wrote nothing
  auto restored = read.Pass(before.serial);
  BOOST_TEST_REQUIRE(Succeeded(restored));
  BOOST_TEST(!(*restored)->voided);
  BOOST_TEST(FailedWith(UnvoidPass(log->log(), read, before.serial, "staff:bob"),
                        ErrorCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_CASE(BadReasonsAndUnknownSerialsAreRefused) {
  TempDir dir;
  auto log = ProjectedLog::Open(dir.path() / "data");
  passledger::testing::ImportRoster(*log, SampleRoster());
  const projections::ReadModel read = log->read();
  auto passes = read.PassesOfMember(kFamily);
  BOOST_TEST_REQUIRE(Succeeded(passes));
  const std::string serial = passes->at(0).serial;
  for (const std::string& reason : {std::string(), std::string("two\nlines"),
                                   std::string(kMaxVoidReason + 1, 'x')}) {
    BOOST_TEST(FailedWith(VoidPass(log->log(), read, serial, reason, "staff:alice"),
                          ErrorCode::kInvalidArgument));
  }
  BOOST_TEST(Succeeded(VoidPass(log->log(), read, serial, std::string(kMaxVoidReason, 'x'),
                                "staff:alice")));
  BOOST_TEST(FailedWith(VoidPass(log->log(), read, "NOSUCHSERIAL", "lost", "staff:alice"),
                        ErrorCode::kNotFound));
  BOOST_TEST(FailedWith(UnvoidPass(log->log(), read, "NOSUCHSERIAL", "staff:alice"),
                        ErrorCode::kNotFound));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// Signed passes of the projections' members: the sample roster's passes come out signed and
// cached per content position; a changed member gets a new bundle; unknown serials, pass
// types nobody configured are clear errors; a forgotten member's passes are made void.
#include "handlers/passes/pass_bundles.h"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::DevPassFactory;
using passledger::testing::PassJsonOf;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

class Fixture {
 public:
  Fixture() : log_(ProjectedLog::Open(dir_.path() / "data")), read_(log_->read()) {}

  void Import(std::string_view bytes) { passledger::testing::ImportRoster(*log_, bytes); }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
};

BOOST_FIXTURE_TEST_SUITE(pass_bundles, Fixture)

BOOST_AUTO_TEST_CASE(every_sample_pass_is_signed_and_cached_per_content_position) {
  Import(SampleRoster());
  const auto factory = DevPassFactory(dir_.path() / "certs");
  const PassBundles bundles(&read_, {factory});

  auto family = bundles.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(Succeeded(family));
  BOOST_TEST_REQUIRE(family->size() == 2u);
  const auto first = PassJsonOf((*family)[0].bundle);
  const auto second = PassJsonOf((*family)[1].bundle);
  BOOST_TEST(first.at("serialNumber").as_string() == (*family)[0].serial);
  BOOST_TEST(first.at("authenticationToken").as_string() ==
             factory->AuthToken((*family)[0].serial, 1));
  BOOST_TEST(first.at("barcode").at("message").as_string() == "8-10000001");
  // Two cardholders, two different primary names.
  BOOST_TEST(first.at("generic").at("primaryFields").at(0).at("value") !=
             second.at("generic").at("primaryFields").at(0).at("value"));

  auto again = bundles.ForSerial((*family)[0].serial);
  BOOST_TEST_REQUIRE(Succeeded(again));
  BOOST_TEST((again->bundle.get() == (*family)[0].bundle.get()));  // served from the cache
  BOOST_TEST(again->last_modified_s > 0);

  // A changed e-mail revises the passes: a new content position, a new bundle.
  Import(passledger::testing::SampleWithNewEmail());  // every row of the family membership
  auto revised = bundles.ForSerial((*family)[0].serial);
  BOOST_TEST_REQUIRE(Succeeded(revised));
  BOOST_TEST(revised->content_position > (*family)[0].content_position);
  BOOST_TEST((revised->bundle.get() != (*family)[0].bundle.get()));
}

BOOST_AUTO_TEST_CASE(unknown_serials_and_types_are_errors_and_forgotten_members_void) {
  Import(SampleRoster());
  const PassBundles bundles(&read_, {DevPassFactory(dir_.path() / "certs")});
  auto unknown = bundles.ForSerial("NOSUCHSERIAL");
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == ErrorCode::kNotFound));
  BOOST_TEST((bundles.ForMember("8-99999999").error().code == ErrorCode::kNotFound));

  signer::PassTypeConfig other;
  other.pass_type_id = "pass.org.other.member";
  const PassBundles elsewhere(&read_, {DevPassFactory(dir_.path() / "other", other)});
  auto unconfigured = elsewhere.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(!unconfigured.has_value());
  BOOST_TEST((unconfigured.error().code == ErrorCode::kNotFound));
  BOOST_TEST(unconfigured.error().message.find("pass.org.example.member") != std::string::npos);

  auto passes = bundles.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(Succeeded(passes));
  BOOST_TEST_REQUIRE(
      Succeeded(log_->log().Forget("8-10000001", "member-8-10000001", "staff:test", "request")));
  auto forgotten = bundles.ForSerial((*passes)[0].serial);
  BOOST_TEST_REQUIRE(Succeeded(forgotten));
  BOOST_TEST(forgotten->content_position > (*passes)[0].content_position);
  BOOST_TEST(PassJsonOf(forgotten->bundle).at("voided").as_bool());
  auto all = bundles.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(Succeeded(all));
  BOOST_TEST(all->size() == passes->size());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

// Signed passes of the projections' members: the sample roster's passes come out signed and
// cached per content position; a changed member gets a new bundle; unknown serials, pass
// types nobody configured and forgotten members are clear errors.
#include "handlers/passes/pass_bundles.h"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "handlers/import/roster_import.h"
#include "signer/dev_certs.h"
#include "signer/pkpass.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

using passledger::testing::ProjectedLog;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

std::string Sample() {
  std::ifstream in(std::string(PASSLEDGER_TEST_DATA_DIR) + "/altru-roster.csv", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const signer::PassFactory> DevFactory(const std::filesystem::path& dir,
                                                      signer::PassTypeConfig config = {}) {
  auto certs = signer::MakeDevCertificates(dir, config.pass_type_id, config.team_id);
  BOOST_TEST_REQUIRE(Succeeded(certs));
  signer::CertificateConfig cert_config{certs->certificate,  certs->key,    {}, {}, {}, certs->wwdr,
                                        config.pass_type_id, config.team_id};
  auto identity = signer::LoadSigningIdentity(cert_config, std::chrono::system_clock::now());
  BOOST_TEST_REQUIRE(Succeeded(identity));
  auto cms = signer::CmsSigner::Create(*identity);
  BOOST_TEST_REQUIRE(Succeeded(cms));
  auto pass_template = signer::PassTemplate::Load(signer::DefaultTemplateDir());
  BOOST_TEST_REQUIRE(Succeeded(pass_template));
  return std::make_shared<const signer::PassFactory>(
      config, std::make_shared<const signer::PassTemplate>(std::move(*pass_template)),
      std::move(*cms), std::make_shared<signer::BundleCache>(16u << 20), std::string(32, 's'));
}

class Fixture {
 public:
  Fixture() : log_(ProjectedLog::Open(dir_.path() / "data")), read_(log_->read()) {}

  void Import(std::string_view bytes) {
    RosterImporter importer(&log_->log(), &log_->projections(), ImportConfig{});
    ImportOptions options;
    options.file_name = "roster.csv";
    BOOST_TEST_REQUIRE(Succeeded(importer.Run(MemorySource(bytes), options)));
  }

  // The pass.json inside a bundle.
  static boost::json::object PassJson(const signer::Bundle& bundle) {
    auto files = signer::ReadPkpass(*bundle);
    BOOST_TEST_REQUIRE(Succeeded(files));
    for (const auto& file : *files) {
      if (file.path == "pass.json") return boost::json::parse(file.bytes).as_object();
    }
    BOOST_FAIL("no pass.json");
    return {};
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
};

BOOST_FIXTURE_TEST_SUITE(pass_bundles, Fixture)

BOOST_AUTO_TEST_CASE(every_sample_pass_is_signed_and_cached_per_content_position) {
  Import(Sample());
  const auto factory = DevFactory(dir_.path() / "certs");
  const PassBundles bundles(&read_, {factory});

  auto family = bundles.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(Succeeded(family));
  BOOST_TEST_REQUIRE(family->size() == 2u);
  const auto first = PassJson((*family)[0].bundle);
  const auto second = PassJson((*family)[1].bundle);
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
  std::string changed = Sample();
  const std::string old_email = "avery.quill@example.org";
  int replaced = 0;
  for (auto pos = changed.find(old_email); pos != std::string::npos;
       pos = changed.find(old_email, pos)) {
    changed.replace(pos, old_email.size(), "avery.q@example.org");
    ++replaced;
  }
  BOOST_TEST_REQUIRE(replaced >= 2);  // every row of the family membership
  Import(changed);
  auto revised = bundles.ForSerial((*family)[0].serial);
  BOOST_TEST_REQUIRE(Succeeded(revised));
  BOOST_TEST(revised->content_position > (*family)[0].content_position);
  BOOST_TEST((revised->bundle.get() != (*family)[0].bundle.get()));
}

BOOST_AUTO_TEST_CASE(unknown_serials_types_and_forgotten_members_are_errors) {
  Import(Sample());
  const PassBundles bundles(&read_, {DevFactory(dir_.path() / "certs")});
  auto unknown = bundles.ForSerial("NOSUCHSERIAL");
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == ErrorCode::kNotFound));
  BOOST_TEST((bundles.ForMember("8-99999999").error().code == ErrorCode::kNotFound));

  signer::PassTypeConfig other;
  other.pass_type_id = "pass.org.other.member";
  const PassBundles elsewhere(&read_, {DevFactory(dir_.path() / "other", other)});
  auto unconfigured = elsewhere.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(!unconfigured.has_value());
  BOOST_TEST((unconfigured.error().code == ErrorCode::kNotFound));
  BOOST_TEST(unconfigured.error().message.find("pass.org.example.member") != std::string::npos);

  auto passes = bundles.ForMember("8-10000001");
  BOOST_TEST_REQUIRE(Succeeded(passes));
  BOOST_TEST_REQUIRE(
      Succeeded(log_->log().Forget("8-10000001", "member-8-10000001", "staff:test", "request")));
  auto forgotten = bundles.ForSerial((*passes)[0].serial);
  BOOST_TEST_REQUIRE(!forgotten.has_value());
  BOOST_TEST((forgotten.error().code == ErrorCode::kFailedPrecondition));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

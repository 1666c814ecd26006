// Passes for tests: a PassFactory signing with freshly made development certificates, the
// sample roster (tests/data/altru-roster.csv) and small synthetic rosters in Altru's layout,
// a roster import into a ProjectedLog, and the pass.json inside a signed bundle.
//
// Header-only like the rest of tests/testing/; a target including it links passledger::signer
// and passledger::handlers and defines PASSLEDGER_TEST_DATA_DIR (the tests/data directory).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "handlers/import/roster_import.h"
#include "signer/dev_certs.h"
#include "signer/pass_factory.h"
#include "signer/pkpass.h"
#include "tests/testing/files.h"
#include "tests/testing/projected_log.h"

#ifndef PASSLEDGER_TEST_DATA_DIR
#error "tests/testing/dev_passes.h needs PASSLEDGER_TEST_DATA_DIR (the tests/data directory)"
#endif

namespace passledger::testing {

// The sample Altru export, byte for byte.
inline std::string SampleRoster() {
  std::string roster =
      ReadAll(std::filesystem::path(PASSLEDGER_TEST_DATA_DIR) / "altru-roster.csv");
  BOOST_TEST_REQUIRE(!roster.empty());
  return roster;
}

// `text` with every `from` replaced by `to`; fails the test when `from` occurs fewer than
// `at_least` times.
inline std::string ReplaceAll(std::string text, std::string_view from, std::string_view to,
                              int at_least = 1) {
  int replaced = 0;
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
    ++replaced;
  }
  BOOST_TEST_REQUIRE(replaced >= at_least);
  return text;
}

// The sample with the family membership's e-mail changed: both its passes are revised.
inline std::string SampleWithNewEmail() {
  return ReplaceAll(SampleRoster(), "avery.quill@example.org", "avery.q@example.org", 2);
}

// The header line of an Altru export (the sample's, without its byte-order mark).
inline std::string RosterHeader() {
  const std::string sample = SampleRoster();
  std::string header = sample.substr(0, sample.find('\n') + 1);
  if (header.starts_with("\xEF\xBB\xBF")) header.erase(0, 3);
  return header;
}

// One active single-cardholder membership row in Altru's layout.
inline std::string RosterRow(std::string_view membership_id, std::string_view email) {
  const std::string id(membership_id);
  return id + ",Individual,12/31/2030,Active,Member " + id + ",Member,M" + id +
         ",1 Garden Way,,Pittsburgh,PA,15210," + std::string(email) + ",,\n";
}

// A development-certificate PassFactory for `config`'s pass type, its certificates made in
// `dir`, with a 16 MiB bundle cache and a fixed token secret.
inline std::shared_ptr<const signer::PassFactory> DevPassFactory(
    const std::filesystem::path& dir, signer::PassTypeConfig config = {}) {
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

// Imports `bytes` as a roster file; fails the test case when the import fails.
inline handlers::ImportSummary ImportRoster(ProjectedLog& log, std::string_view bytes,
                                            handlers::ImportConfig config = {}) {
  handlers::RosterImporter importer(&log.log(), &log.projections(), std::move(config));
  handlers::ImportOptions options;
  options.file_name = "roster.csv";
  auto summary = importer.Run(handlers::MemorySource(bytes), options);
  BOOST_TEST_REQUIRE(Succeeded(summary));
  return *summary;
}

// The pass.json inside a signed bundle.
inline boost::json::object PassJsonOf(const signer::Bundle& bundle) {
  auto files = signer::ReadPkpass(*bundle);
  BOOST_TEST_REQUIRE(Succeeded(files));
  for (const auto& file : *files) {
    if (file.path == "pass.json") return boost::json::parse(file.bytes).as_object();
  }
  BOOST_FAIL("no pass.json in the bundle");
  return {};
}

}  // namespace passledger::testing

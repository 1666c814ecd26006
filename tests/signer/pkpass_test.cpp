// The .pkpass container: manifest hashes, deterministic zip, stored/deflated entries, and the
// reader's checks on untrusted archives (verified against the real `unzip` too).
#include "signer/pkpass.h"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/temp_dir.h"

namespace passledger::signer {
namespace {

using passledger::testing::TempDir;

std::vector<BundleFile> SampleFiles() {
  std::vector<BundleFile> files = {
      {"pass.json", R"({"formatVersion":1,"description":"Zoë"})", {}},
      {"icon.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3000, 'x'), {}},
      {"de.lproj/pass.strings", "\"level\" = \"Stufe\";\n", {}},
  };
  for (auto& f : files) f.sha1_hex = Sha1Hex(f.bytes);
  return files;
}

std::vector<const BundleFile*> Pointers(const std::vector<BundleFile>& files) {
  std::vector<const BundleFile*> out;
  for (const auto& f : files) out.push_back(&f);
  return out;
}

// Runs a shell command and returns its stdout.
std::string Run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  BOOST_TEST(::pclose(pipe) == 0, command);
  return out;
}

BOOST_AUTO_TEST_SUITE(pkpass)

BOOST_AUTO_TEST_CASE(sha1_is_lowercase_hex) {
  BOOST_TEST(Sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(Sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

BOOST_AUTO_TEST_CASE(manifest_lists_every_file_in_path_order) {
  const auto files = SampleFiles();
  const auto pointers = Pointers(files);
  const std::string manifest = ManifestJson(pointers);
  BOOST_TEST(manifest.find("\"de.lproj/pass.strings\"") < manifest.find("\"icon.png\""));
  BOOST_TEST(manifest.find("\"icon.png\"") < manifest.find("\"pass.json\""));
  const auto parsed = boost::json::parse(manifest).as_object();
  BOOST_TEST(parsed.size() == 3u);
  for (const auto& f : files) BOOST_TEST(parsed.at(f.path).as_string() == f.sha1_hex);
}

BOOST_AUTO_TEST_CASE(zip_round_trips_and_is_deterministic) {
  const auto files = SampleFiles();
  const auto pointers = Pointers(files);
  auto a = ZipBundle(pointers, 1'800'000'000);
  auto b = ZipBundle(pointers, 1'800'000'000);
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST_REQUIRE(b.has_value());
  BOOST_TEST((*a == *b));
  auto read = ReadPkpass(*a);
  BOOST_TEST_REQUIRE(read.has_value());
  BOOST_TEST_REQUIRE(read->size() == files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    BOOST_TEST((*read)[i].path == files[i].path);  // archive order = the given order
    BOOST_TEST((*read)[i].bytes == files[i].bytes);
    BOOST_TEST((*read)[i].sha1_hex == files[i].sha1_hex);
  }
}

BOOST_AUTO_TEST_CASE(png_is_stored_and_json_deflated_as_unzip_reports) {
  std::vector<BundleFile> files = SampleFiles();
  files[0].bytes = "{\"text\":\"" + std::string(2000, 'a') + "\"}";
  files[0].sha1_hex = Sha1Hex(files[0].bytes);
  auto zip = ZipBundle(Pointers(files), 1'800'000'000);
  BOOST_TEST_REQUIRE(zip.has_value());
  TempDir dir;
  const auto path = dir.path() / "p.pkpass";
  std::ofstream(path, std::ios::binary) << *zip;
  const std::string listing = Run("unzip -v '" + path.string() + "'");
  BOOST_TEST_MESSAGE(listing);
  auto line_of = [&](std::string_view name) {
    const auto at = listing.find(name);
    BOOST_TEST_REQUIRE(at != std::string::npos);
    const auto start = listing.rfind('\n', at) + 1;
    return listing.substr(start, at - start);
  };
  BOOST_TEST(line_of("icon.png").find("Stored") != std::string::npos);
  BOOST_TEST(line_of("pass.json").find("Defl") != std::string::npos);
  Run("unzip -tq '" + path.string() + "'");  // CRCs check out
}

BOOST_AUTO_TEST_CASE(reader_refuses_damaged_and_unsafe_archives) {
  BOOST_TEST(!ReadPkpass("not a zip at all").has_value());
  BOOST_TEST(!ReadPkpass("").has_value());

  const auto files = SampleFiles();
  auto zip = ZipBundle(Pointers(files), 1'800'000'000);
  BOOST_TEST_REQUIRE(zip.has_value());
  std::string truncated = zip->substr(0, zip->size() / 2);
  BOOST_TEST(!ReadPkpass(truncated).has_value());

  for (const std::string name : {"../evil.png", "/etc/passwd", "a/../../b", "a\\b"}) {
    BundleFile evil{name, "x", Sha1Hex("x")};
    const BundleFile* one[] = {&evil};
    auto bad = ZipBundle(one, 1'800'000'000);
    BOOST_TEST_REQUIRE(bad.has_value());
    auto read = ReadPkpass(*bad);
    BOOST_TEST(!read.has_value(), name);
  }

  PkpassLimits tight;
  tight.max_total_bytes = 1000;
  auto big = ReadPkpass(*zip, tight);
  BOOST_TEST_REQUIRE(!big.has_value());
  BOOST_TEST((big.error().code == ErrorCode::kTooLarge));
  tight = {};
  tight.max_entries = 2;
  BOOST_TEST(!ReadPkpass(*zip, tight).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

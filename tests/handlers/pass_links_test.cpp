// Download links (issue 15 §2): an id round-trips to its pass, follows the pass through
// revisions, dies on void, forget, token revocation and the maximum age, and every altered,
// truncated, oversized or malformed id is the same kNotFound. PassDownloads serves the latest
// bundle under "<organisation>-<serial>.pkpass", or an escaped page linking to it.
#include "handlers/passes/pass_links.h"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <set>

#include "handlers/passes/pass_bundles.h"
#include "handlers/passes/pass_downloads.h"
#include "handlers/passes/pass_tokens.h"
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
using passledger::testing::SampleWithNewEmail;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kFamily = "8-10000001";  // two cardholders, two passes
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::int64_t kDay = 86'400;
constexpr std::int64_t kStart = 1'800'000'000;  // 2027-01-15, mid-day UTC

class Fixture {
 public:
  Fixture()
      : log_(ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        factory_(DevPassFactory(dir_.path() / "certs")),
        bundles_(&read_, {factory_}) {
    passledger::testing::ImportRoster(*log_, SampleRoster());
    auto passes = read_.PassesOfMember(kFamily);
    BOOST_TEST_REQUIRE(Succeeded(passes));
    BOOST_TEST_REQUIRE(passes->size() == 2u);
    serial_ = passes->at(0).serial;
    other_serial_ = passes->at(1).serial;
  }

  projections::PassView Record(std::string_view serial) const {
    auto pass = read_.Pass(serial);
    BOOST_TEST_REQUIRE(Succeeded(pass));
    BOOST_TEST_REQUIRE(pass->has_value());
    return **pass;
  }

  PassLinks Links(std::chrono::days max_age = std::chrono::days(0)) {
    return PassLinks(std::string(32, 'k'), max_age, [this] { return now_; });
  }

  // The error a dead link gets, to compare every other failure with.
  static std::string MessageOf(const Result<projections::PassView>& resolved) {
    BOOST_TEST_REQUIRE(!resolved.has_value());
    return resolved.error().message;
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
  std::shared_ptr<const signer::PassFactory> factory_;
  PassBundles bundles_;
  std::string serial_;
  std::string other_serial_;
  std::int64_t now_ = kStart;
};

BOOST_FIXTURE_TEST_SUITE(pass_links, Fixture)

BOOST_AUTO_TEST_CASE(an_id_resolves_to_its_pass_and_is_url_safe) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  BOOST_TEST(id.size() == 67u);  // (30 + 20 bytes) in base64url
  BOOST_TEST(id.find_first_not_of(kAlphabet) == std::string::npos, id);
  auto resolved = links.Resolve(id, read_);
  BOOST_TEST_REQUIRE(Succeeded(resolved));
  BOOST_TEST(resolved->serial == serial_);
  // Another pass has another id, which resolves to that pass.
  const std::string other = links.IdFor(Record(other_serial_));
  BOOST_TEST(other != id);
  auto resolved_other = links.Resolve(other, read_);
  BOOST_TEST_REQUIRE(Succeeded(resolved_other));
  BOOST_TEST(resolved_other->serial == other_serial_);
  // The URL: the base without its trailing '/', "/p/", the id.
  BOOST_TEST(links.UrlFor("https://passes.example.org/m/", Record(serial_)) ==
             "https://passes.example.org/m/p/" + id);
}

BOOST_AUTO_TEST_CASE(the_link_follows_revisions_and_serves_the_latest_content) {
  const PassLinks links = Links();
  const PassDownloads downloads(&links, read_, &bundles_);
  const std::string id = links.IdFor(Record(serial_));
  auto before = downloads.Get(id, false);
  BOOST_TEST_REQUIRE(Succeeded(before));
  const std::string old_json = boost::json::serialize(PassJsonOf(before->bundle));
  BOOST_TEST(old_json.find("avery.quill@example.org") != std::string::npos);

  passledger::testing::ImportRoster(*log_, SampleWithNewEmail());
  auto resolved = links.Resolve(id, read_);
  BOOST_TEST_REQUIRE(Succeeded(resolved));
  BOOST_TEST(resolved->content_position == Record(serial_).content_position);
  auto after = downloads.Get(id, false);
  BOOST_TEST_REQUIRE(Succeeded(after));
  const std::string new_json = boost::json::serialize(PassJsonOf(after->bundle));
  BOOST_TEST(new_json.find("avery.q@example.org") != std::string::npos);
  BOOST_TEST(new_json.find("avery.quill@example.org") == std::string::npos);
  BOOST_TEST(after->last_modified_s > before->last_modified_s);
  BOOST_TEST(after->last_modified_s == Record(serial_).last_modified_s);
}

BOOST_AUTO_TEST_CASE(a_voided_pass_kills_its_link_and_not_the_others) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  const std::string other = links.IdFor(Record(other_serial_));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(id, read_)));
  log_->Void(serial_);
  BOOST_TEST(FailedWith(links.Resolve(id, read_), ErrorCode::kNotFound));
  BOOST_TEST(Succeeded(links.Resolve(other, read_)));
}

BOOST_AUTO_TEST_CASE(forgetting_the_member_kills_the_links_of_their_passes) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  const std::string other = links.IdFor(Record(other_serial_));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(id, read_)));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(other, read_)));
  log_->Forget(kFamily);
  BOOST_TEST(FailedWith(links.Resolve(id, read_), ErrorCode::kNotFound));
  BOOST_TEST(FailedWith(links.Resolve(other, read_), ErrorCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(revoking_the_token_kills_the_old_links_and_new_ones_work) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(id, read_)));
  auto revoked = RevokePassToken(log_->log(), read_, serial_, "staff:test", "phone lost");
  BOOST_TEST_REQUIRE(Succeeded(revoked));
  BOOST_TEST(FailedWith(links.Resolve(id, read_), ErrorCode::kNotFound));
  const std::string fresh = links.IdFor(Record(serial_));
  BOOST_TEST(fresh != id);
  auto resolved = links.Resolve(fresh, read_);
  BOOST_TEST_REQUIRE(Succeeded(resolved));
  BOOST_TEST(resolved->token_generation == revoked->generation);
}

BOOST_AUTO_TEST_CASE(a_maximum_age_counts_whole_days_from_the_day_the_link_was_made) {
  const PassLinks aging = Links(std::chrono::days(30));
  const PassLinks ageless = Links();
  const std::string id = aging.IdFor(Record(serial_));
  const std::string forever = ageless.IdFor(Record(serial_));
  const std::int64_t end_of_day = (kStart / kDay + 1) * kDay - 1;
  for (const std::int64_t t : {kStart, end_of_day + 30 * kDay}) {
    now_ = t;
    BOOST_TEST(Succeeded(aging.Resolve(id, read_)), t);
  }
  now_ = end_of_day + 30 * kDay + 1;  // the 31st day after the day it was made
  BOOST_TEST(FailedWith(aging.Resolve(id, read_), ErrorCode::kNotFound));
  now_ = kStart + 10 * 365 * kDay;
  BOOST_TEST(FailedWith(aging.Resolve(id, read_), ErrorCode::kNotFound));
  BOOST_TEST(Succeeded(ageless.Resolve(forever, read_)));
  // A link made today lives again for 30 days: the age is the link's, not the pass's.
  BOOST_TEST(Succeeded(aging.Resolve(aging.IdFor(Record(serial_)), read_)));
}

BOOST_AUTO_TEST_CASE(every_altered_character_and_bit_is_not_found_with_one_message) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(id, read_)));  // the control
  log_->Void(other_serial_);
  const std::string expected = MessageOf(links.Resolve(links.IdFor(Record(other_serial_)), read_));
  std::set<std::string> messages;
  std::size_t tried = 0;
  for (std::size_t at = 0; at < id.size(); ++at) {
    for (const char c : std::string(kAlphabet) + std::string("=+/.%~ \0\xff", 9)) {
      if (c == id[at]) continue;
      std::string altered = id;
      altered[at] = c;
      auto resolved = links.Resolve(altered, read_);
      BOOST_TEST_REQUIRE(FailedWith(resolved, ErrorCode::kNotFound), altered);
      messages.insert(resolved.error().message);
      ++tried;
    }
  }
  BOOST_TEST(tried == id.size() * (kAlphabet.size() - 1 + 9));
  BOOST_TEST((messages == std::set<std::string>{expected}));
  // Another server's secret makes ids of the same shape that never resolve here.
  const PassLinks elsewhere(std::string(32, 'x'), std::chrono::days(0));
  const std::string foreign = elsewhere.IdFor(Record(serial_));
  BOOST_TEST(foreign.size() == id.size());
  BOOST_TEST(MessageOf(links.Resolve(foreign, read_)) == expected);
}

BOOST_AUTO_TEST_CASE(truncated_empty_huge_and_malformed_ids_are_not_found_with_one_message) {
  const PassLinks links = Links();
  const std::string id = links.IdFor(Record(serial_));
  BOOST_TEST_REQUIRE(Succeeded(links.Resolve(id, read_)));  // the control
  const std::string expected = MessageOf(links.Resolve("x", read_));
  std::vector<std::string> ids = {"",
                                  std::string(100'000, 'A'),
                                  std::string(kMaxIdChars, 'A'),
                                  std::string(kMaxIdChars + 1, 'A'),
                                  id + "A",
                                  id + "AAAA",
                                  id + "=",
                                  id + ".pkpass",
                                  "A" + id,
                                  std::string(id.size(), '_'),
                                  std::string("\0", 1) + id.substr(1),
                                  "%41" + id.substr(1),
                                  id.substr(0, 30) + " " + id.substr(31)};
  for (std::size_t n = 0; n < id.size(); ++n) ids.push_back(id.substr(0, n));
  for (std::size_t n = 1; n < id.size(); ++n) ids.push_back(id.substr(n));
  for (const auto& bad : ids) {
    auto resolved = links.Resolve(bad, read_);
    BOOST_TEST_REQUIRE(FailedWith(resolved, ErrorCode::kNotFound), bad.substr(0, 80));
    BOOST_TEST(resolved.error().message == expected);
  }
  BOOST_TEST(expected == LinkNotFound().message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(pass_downloads, Fixture)

BOOST_AUTO_TEST_CASE(the_bundle_is_the_latest_pass_named_by_organisation_and_serial) {
  const PassLinks links = Links();
  const PassDownloads downloads(&links, read_, &bundles_);
  const std::string id = links.IdFor(Record(serial_));
  // Nothing is signed yet: at kMemoryOnly the bundle would block, having done nothing.
  BOOST_TEST(FailedWith(downloads.Get(id, false, projections::ReadTier::kMemoryOnly),
                        ErrorCode::kWouldBlock));
  auto download = downloads.Get(id, false);
  BOOST_TEST_REQUIRE(Succeeded(download));
  BOOST_TEST(!download->is_page);
  BOOST_TEST_REQUIRE(download->bundle != nullptr);
  BOOST_TEST(PassJsonOf(download->bundle).at("serialNumber").as_string() == serial_);
  BOOST_TEST(download->file_name == "PassLedger-Botanical-Garden-" + serial_ + ".pkpass");
  BOOST_TEST(download->last_modified_s == Record(serial_).last_modified_s);
  auto latest = bundles_.ForSerial(serial_);
  BOOST_TEST_REQUIRE(Succeeded(latest));
  BOOST_TEST((*download->bundle == *latest->bundle));
  // Now cached: served from memory.
  auto fast = downloads.Get(id, false, projections::ReadTier::kMemoryOnly);
  BOOST_TEST_REQUIRE(Succeeded(fast));
  BOOST_TEST((fast->bundle.get() == download->bundle.get()));
  // A dead link gets the link's one error, in either form.
  log_->Void(serial_);
  BOOST_TEST(downloads.Get(id, false).error().message == LinkNotFound().message);
  BOOST_TEST(downloads.Get(id, true).error().message == LinkNotFound().message);
}

BOOST_AUTO_TEST_CASE(the_page_links_to_the_bundle_form_and_escapes_what_it_prints) {
  const PassLinks links = Links();
  const PassDownloads downloads(&links, read_, &bundles_);
  const std::string id = links.IdFor(Record(serial_));
  auto page = downloads.Get(id, true);
  BOOST_TEST_REQUIRE(Succeeded(page));
  BOOST_TEST(page->is_page);
  BOOST_TEST(page->bundle == nullptr);
  BOOST_TEST(page->page.find("href=\"" + id + ".pkpass\">Add to Apple Wallet</a>") !=
             std::string::npos);
  BOOST_TEST(page->page.find("Google Wallet") != std::string::npos);
  BOOST_TEST(page->page.find("PassLedger Botanical Garden") != std::string::npos);
  BOOST_TEST(page->page.find("<script") == std::string::npos);
  BOOST_TEST(page->page.find("Avery") == std::string::npos);

  // What the page prints from configuration is escaped (the unescaped text would be seen).
  const std::string hostile = PassDownloads::Page("<script>x</script> & \"'", "id");
  BOOST_TEST(hostile.find("<script") == std::string::npos);
  BOOST_TEST(hostile.find("&lt;script&gt;x&lt;/script&gt; &amp; &quot;&#39;") != std::string::npos);
  BOOST_TEST(PassDownloads::FileName(" Phipps  Conservatory & Gardens! ", "ABC") ==
             "Phipps-Conservatory-Gardens-ABC.pkpass");
  BOOST_TEST(PassDownloads::FileName("\"; x=<>", "ABC") == "x-ABC.pkpass");
  BOOST_TEST(PassDownloads::FileName("", "ABC") == "pass-ABC.pkpass");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::handlers

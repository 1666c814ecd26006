// Templates edited over the admin API (handlers/templates/): a draft's round trip through its
// JSON document and the store; bad drafts refused with the field named and nothing saved;
// publishing appends TemplatePublished with the caller as the actor and a new version,
// revises every pass of the type in bounded batches (each once, with the publish as cause) and
// the passes served afterwards carry the new colour; the preview renders from the draft; the
// server's start uses the published version, and refuses altered files.
#include "handlers/templates/template_service.h"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "base/crypto.h"
#include "events/catalogue.h"
#include "handlers/admin/admin_json.h"
#include "handlers/admin/pass_preview.h"
#include "handlers/templates/template_json.h"
#include "tests/testing/dev_passes.h"
#include "tests/testing/projected_log.h"
#include "tests/testing/temp_dir.h"

namespace passledger::handlers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using passledger::testing::DevPassFactory;
using passledger::testing::PassJsonOf;
using passledger::testing::ProjectedLog;
using passledger::testing::SampleRoster;
using passledger::testing::Succeeded;
using passledger::testing::TempDir;

constexpr std::string_view kType = "pass.org.example.member";

class Fixture {
 public:
  explicit Fixture(RevisionOptions options = {})
      : log_(ProjectedLog::Open(dir_.path() / "data")),
        read_(log_->read()),
        factory_(DevPassFactory(dir_.path() / "certs")),
        bundles_(&read_, {factory_}),
        revisions_(&log_->log(), read_, options),
        service_(&log_->log(), read_, &bundles_, TemplateStore(TemplatesDir()), &revisions_) {}

  fs::path TemplatesDir() const { return dir_.path() / "data" / "templates"; }

  TemplateDocument Get() {
    auto doc = service_.Get(kType);
    BOOST_TEST_REQUIRE(Succeeded(doc));
    return std::move(*doc);
  }

  // The current document as JSON, with `edit` applied, PUT back.
  Result<TemplateDocument> PutEdited(const std::function<void(json::object&)>& edit) {
    json::object body = ToJson(Get());
    edit(body);
    bool saved = false;
    auto current = service_.CurrentDraft(kType, &saved);
    BOOST_TEST_REQUIRE(Succeeded(current));
    auto draft = DraftFromJson(body, *current);
    if (!draft) return draft.error();
    return service_.Put(kType, std::move(*draft));
  }

  void PutBackground(std::string colour) {
    auto put = PutEdited([&](json::object& body) {
      body["colors"].as_object()["background"] = colour;
    });
    BOOST_TEST_REQUIRE(Succeeded(put));
  }

  std::string PassTextOf(const std::string& serial, std::string_view key) {
    auto latest = bundles_.ForSerial(serial);
    BOOST_TEST_REQUIRE(Succeeded(latest));
    return std::string(PassJsonOf(latest->bundle).at(key).as_string());
  }

  std::vector<projections::PassView> AllPasses() {
    std::vector<projections::PassView> out;
    auto changed = read_.PassesChangedSince(kType, 0, 10'000);
    BOOST_TEST_REQUIRE(Succeeded(changed));
    for (const auto& [position, serial] : *changed) {
      auto pass = read_.Pass(serial);
      BOOST_TEST_REQUIRE(Succeeded(pass));
      out.push_back(**pass);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ProjectedLog> log_;
  projections::ReadModel read_;
  std::shared_ptr<const signer::PassFactory> factory_;
  PassBundles bundles_;
  TemplateRevisions revisions_;
  TemplateService service_;
};

std::string FileOf(const TemplateDraft& draft, std::string_view path) {
  for (const auto& file : draft.files) {
    if (file.path == path) return file.bytes;
  }
  BOOST_FAIL("no file " << path);
  return {};
}

BOOST_FIXTURE_TEST_SUITE(template_service, Fixture)

BOOST_AUTO_TEST_CASE(without_a_draft_get_shows_the_served_template) {
  const TemplateDocument doc = Get();
  BOOST_TEST(!doc.saved);
  BOOST_TEST(!doc.differs);
  BOOST_TEST(!doc.published.has_value());
  BOOST_TEST((doc.draft.look == LookOf(factory_->config())));
  BOOST_TEST(FileOf(doc.draft, "pass.json") == factory_->pass_template().pass_json_template());
  const json::object document = ToJson(doc);
  BOOST_TEST(document.at("colors").at("background").as_string() == "rgb(38, 84, 58)");
  BOOST_TEST(document.at("texts").at("logoText").as_string() == factory_->config().logo_text);
  const json::object& icon = document.at("images").at("icon.png").as_object();
  BOOST_TEST(icon.at("width").to_number<std::int64_t>() == 29);
  BOOST_TEST(icon.at("height").to_number<std::int64_t>() == 29);
  BOOST_TEST(icon.at("sha256").as_string().size() == 64u);
  // The field labels by zone, from the sample member.
  const json::array& secondary = document.at("fields").at("secondary").as_array();
  BOOST_TEST_REQUIRE(secondary.size() == 2u);
  BOOST_TEST(secondary.at(0).at("label").as_string() == "Level");
  BOOST_TEST(document.at("strings").at("de.lproj/pass.strings").is_string());
}

BOOST_AUTO_TEST_CASE(a_draft_round_trips_through_its_document_and_the_store) {
  PutBackground("#112233");
  auto put = PutEdited([](json::object& body) {
    body["texts"].as_object()["logoText"] = "New Garden";
    std::string text(body["passJson"].as_string());
    const std::string from = "\"label\": \"Level\"";
    text.replace(text.find(from), from.size(), "\"label\": \"Tier\"");
    body["passJson"] = text;
  });
  BOOST_TEST_REQUIRE(Succeeded(put));
  const TemplateDocument doc = Get();
  BOOST_TEST(doc.saved);
  BOOST_TEST(doc.differs);
  BOOST_TEST(doc.draft.look.background.r == 0x11);
  BOOST_TEST(doc.draft.look.background.b == 0x33);
  BOOST_TEST(doc.draft.look.logo_text == "New Garden");
  BOOST_TEST_REQUIRE(doc.sample.has_value());
  BOOST_TEST(doc.sample->secondary_fields.at(0).label == "Tier");
  BOOST_TEST(doc.sample->background_color == "rgb(17, 34, 51)");
  // The images came back by their hashes, byte for byte.
  BOOST_TEST(FileOf(doc.draft, "logo@2x.png") ==
             FileOf(DraftOf(factory_->config(), factory_->pass_template()), "logo@2x.png"));
  BOOST_TEST(doc.content_hash == ContentHashOf(doc.draft));

  // A second service over the same folder reads the same draft; the file is private.
  const TemplateStore store(TemplatesDir());
  auto stored = store.ReadDraft(kType);
  BOOST_TEST_REQUIRE(Succeeded(stored));
  BOOST_TEST_REQUIRE(stored->has_value());
  BOOST_TEST((**stored == doc.draft));
  const auto perms = fs::status(TemplatesDir() / kType / "draft.json").permissions();
  BOOST_TEST(((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none));

  // The document PUT back unchanged saves the same draft.
  auto same = PutEdited([](json::object&) {});
  BOOST_TEST_REQUIRE(Succeeded(same));
  BOOST_TEST(same->content_hash == doc.content_hash);
}

std::string Base64Png(std::string bytes) { return Base64Encode(bytes); }

BOOST_AUTO_TEST_CASE(bad_drafts_are_refused_naming_the_field_and_nothing_is_saved) {
  const std::string icon = FileOf(Get().draft, "icon.png");
  std::string bad_crc = icon;
  bad_crc[20] ^= 0x01;  // inside IHDR's data
  struct Case {
    std::string what;
    std::function<void(json::object&)> edit;
    std::string expected;  // in the message
  };
  const std::vector<Case> cases = {
      {"text as an image",
       [](json::object& b) { b["images"].as_object()["logo.png"] = Base64Png("not a png"); },
       "images[\"logo.png\"]: not a PNG image"},
      {"a PNG whose CRC is wrong",
       [&](json::object& b) { b["images"].as_object()["icon.png"] = Base64Png(bad_crc); },
       "images[\"icon.png\"]: not a PNG image (the CRC of chunk IHDR is wrong)"},
      {"a PNG cut short",
       [&](json::object& b) {
         b["images"].as_object()["icon.png"] = Base64Png(icon.substr(0, icon.size() - 5));
       },
       "images[\"icon.png\"]: not a PNG image"},
      {"not base64", [](json::object& b) { b["images"].as_object()["logo.png"] = "***"; },
       "images[\"logo.png\"] is not base64"},
      {"an unknown image name",
       [&](json::object& b) { b["images"].as_object()["Logo.png"] = Base64Png(icon); },
       "unexpected file \"Logo.png\""},
      {"no icon", [](json::object& b) { b["images"].as_object().erase("icon.png"); },
       "has no icon.png"},
      {"an image too large",
       [&](json::object& b) {
         b["images"].as_object()["strip.png"] = Base64Png(std::string(1'100'000, 'x'));
       },
       "images[\"strip.png\"] has 1100000 bytes; at most 1048576"},
      {"a colour that is not one",
       [](json::object& b) { b["colors"].as_object()["background"] = "green"; },
       "colors.background: \"green\" is not a colour"},
      {"a colour out of range",
       [](json::object& b) { b["colors"].as_object()["label"] = "rgb(1, 2, 300)"; },
       "colors.label"},
      {"an empty organisation name",
       [](json::object& b) { b["texts"].as_object()["organizationName"] = ""; },
       "texts.organizationName must not be empty"},
      {"a logo text on two lines",
       [](json::object& b) { b["texts"].as_object()["logoText"] = "a\nb"; },
       "texts.logoText must be one line"},
      {"an unknown placeholder",
       [](json::object& b) {
         std::string text(b["passJson"].as_string());
         text.replace(text.find("{{member.level}}"), 16, "{{member.levle}}");
         b["passJson"] = text;
       },
       "unknown placeholder {{member.levle}}"},
      {"pass.json that renders no JSON",
       [](json::object& b) { b["passJson"] = "{\"generic\": {}, }"; }, "pass.json"},
      {"no passJson", [](json::object& b) { b.erase("passJson"); }, "passJson is required"},
      {"a strings file outside an lproj folder",
       [](json::object& b) { b["strings"].as_object()["pass.strings"] = "\"a\" = \"b\";"; },
       "strings[\"pass.strings\"]"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      auto put = PutEdited(c.edit);
      BOOST_TEST_REQUIRE(!put.has_value());
      BOOST_TEST(put.error().message.find(c.expected) != std::string::npos,
                 put.error().message);
      BOOST_TEST(!Get().saved);
    }
  }
}

BOOST_AUTO_TEST_CASE(publishing_revises_every_pass_and_serves_the_new_colour) {
  passledger::testing::ImportRoster(*log_, SampleRoster());
  const auto before = AllPasses();
  BOOST_TEST_REQUIRE(before.size() >= 2u);
  const std::string serial = before.front().serial;
  log_->Register("phone-a", kType, serial, std::string(64, 'a'));
  BOOST_TEST(PassTextOf(serial, "backgroundColor") == "rgb(38, 84, 58)");

  auto nothing = service_.Publish(kType, "staff:alice", std::chrono::seconds(5));
  BOOST_TEST_REQUIRE(!nothing.has_value());
  BOOST_TEST((nothing.error().code == ErrorCode::kFailedPrecondition));

  PutBackground("rgb(10, 20, 30)");
  auto published = service_.Publish(kType, "staff:alice", std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(Succeeded(published));
  BOOST_TEST(published->version == 1);
  BOOST_TEST(published->revision.done);
  BOOST_TEST(published->revision.error.empty());
  BOOST_TEST(published->revision.passes_revised == before.size());
  BOOST_TEST(published->revision.devices_to_push == 1u);

  auto stream = log_->log().ReadStream("template-" + std::string(kType), 1, 10);
  BOOST_TEST_REQUIRE(Succeeded(stream));
  BOOST_TEST_REQUIRE(stream->size() == 1u);
  const auto& event = stream->front();
  BOOST_TEST(event.envelope.type == std::string(events::kTemplatePublished));
  BOOST_TEST(event.envelope.actor == "staff:alice");
  BOOST_TEST(event.envelope.position == published->position);
  BOOST_TEST(event.payload.at("version").as_int64() == 1);
  BOOST_TEST(event.payload.at("contentHash").as_string() == published->content_hash);
  BOOST_TEST(event.payload.at("passTypeId").as_string() == kType);

  // Every pass was revised once, by alice, caused by the publish; its content moved.
  for (const auto& pass : before) {
    BOOST_TEST_CONTEXT(pass.serial) {
      auto events = log_->log().ReadStream("pass-" + pass.serial, 1, 100);
      BOOST_TEST_REQUIRE(Succeeded(events));
      int revisions = 0;
      for (const auto& e : *events) {
        if (e.envelope.type != std::string(events::kPassRevised)) continue;
        if (e.envelope.causation != published->position) continue;
        ++revisions;
        BOOST_TEST(e.envelope.actor == "staff:alice");
        BOOST_TEST(e.payload.at("causePosition").as_int64() ==
                   static_cast<std::int64_t>(published->position));
      }
      BOOST_TEST(revisions == 1);
      auto now = read_.Pass(pass.serial);
      BOOST_TEST_REQUIRE(Succeeded(now));
      BOOST_TEST((*now)->content_position > published->position);
      BOOST_TEST((*now)->last_modified_s >= pass.last_modified_s);
    }
  }
  // Served with the new colour (a new content position: not the cached bundle).
  BOOST_TEST(PassTextOf(serial, "backgroundColor") == "rgb(10, 20, 30)");
  const TemplateDocument doc = Get();
  BOOST_TEST_REQUIRE(doc.published.has_value());
  BOOST_TEST(doc.published->version == 1);
  BOOST_TEST(!doc.differs);

  // The same draft again is refused; a changed one becomes version 2.
  auto again = service_.Publish(kType, "staff:alice", std::chrono::seconds(5));
  BOOST_TEST_REQUIRE(!again.has_value());
  BOOST_TEST(again.error().message.find("version 1 as published") != std::string::npos);
  PutBackground("rgb(40, 50, 60)");
  auto second = service_.Publish(kType, "staff:bob", std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(Succeeded(second));
  BOOST_TEST(second->version == 2);
  BOOST_TEST(second->revision.passes_revised == before.size());
  BOOST_TEST(PassTextOf(serial, "backgroundColor") == "rgb(40, 50, 60)");
  BOOST_TEST(fs::is_directory(TemplatesDir() / kType / "v1" / "template"));
  BOOST_TEST(fs::is_regular_file(TemplatesDir() / kType / "v2" / "look.json"));
}

BOOST_AUTO_TEST_CASE(the_preview_renders_the_draft_not_the_served_template) {
  passledger::testing::ImportRoster(*log_, SampleRoster());
  PutBackground("#0a141e");
  auto preview = service_.Preview(kType, "8-10000001", "");
  BOOST_TEST_REQUIRE(Succeeded(preview));
  BOOST_TEST(preview->background_color == "rgb(10, 20, 30)");
  BOOST_TEST(preview->barcode.has_value());
  BOOST_TEST(preview->barcode->message == "8-10000001");
  const PassPreviews served(&read_, &bundles_);
  auto now = served.Get(preview->serial);
  BOOST_TEST_REQUIRE(Succeeded(now));
  BOOST_TEST(now->background_color == "rgb(38, 84, 58)");
  const std::string body = json::serialize(ToJson(*preview));
  BOOST_TEST(body.find("authenticationToken") == std::string::npos);

  auto unknown = service_.Preview(kType, "8-99999999", "");
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST((unknown.error().code == ErrorCode::kNotFound));
  auto other_type = service_.Preview("pass.org.other", "8-10000001", "");
  BOOST_TEST_REQUIRE(!other_type.has_value());
  BOOST_TEST((other_type.error().code == ErrorCode::kNotFound));
}

BOOST_AUTO_TEST_CASE(the_server_starts_with_the_published_version_and_refuses_altered_files) {
  PutBackground("rgb(1, 2, 3)");
  auto published = service_.Publish(kType, "staff:alice", std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(Succeeded(published));
  const TemplateStore store(TemplatesDir());
  std::vector<std::string> warnings;

  auto fresh = DevPassFactory(dir_.path() / "certs2");
  auto used = UsePublishedTemplate(store, read_, &fresh, &warnings);
  BOOST_TEST_REQUIRE(Succeeded(used));
  BOOST_TEST(*used == 1);
  BOOST_TEST(fresh->config().background.b == 3);
  BOOST_TEST(warnings.empty());

  const fs::path logo = TemplatesDir() / kType / "v1" / "template" / "logo.png";
  const std::string original = passledger::testing::ReadAll(logo);
  fs::remove(logo);
  auto altered_factory = DevPassFactory(dir_.path() / "certs3");
  auto altered = UsePublishedTemplate(store, read_, &altered_factory, &warnings);
  BOOST_TEST_REQUIRE(!altered.has_value());
  BOOST_TEST((altered.error().code == ErrorCode::kCorruption));
  BOOST_TEST(altered.error().message.find("not what was published") != std::string::npos);

  fs::remove_all(TemplatesDir() / kType / "v1");
  auto missing_factory = DevPassFactory(dir_.path() / "certs4");
  auto missing = UsePublishedTemplate(store, read_, &missing_factory, &warnings);
  BOOST_TEST_REQUIRE(Succeeded(missing));
  BOOST_TEST(*missing == 0);
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("is missing") != std::string::npos);
  BOOST_TEST(missing_factory->config().background.b == 58);
}

BOOST_AUTO_TEST_SUITE_END()

class SmallBatches : public Fixture {
 public:
  SmallBatches() : Fixture(RevisionOptions{2}) {}
};

BOOST_FIXTURE_TEST_CASE(revisions_run_in_small_batches_and_resume_finds_nothing_left,
                        SmallBatches) {
  passledger::testing::ImportRoster(*log_, SampleRoster());
  const std::size_t passes = AllPasses().size();
  BOOST_TEST_REQUIRE(passes >= 3u);  // more than one batch
  PutBackground("rgb(9, 9, 9)");
  auto published = service_.Publish(kType, "staff:alice", std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(Succeeded(published));
  BOOST_TEST(published->revision.done);
  BOOST_TEST(published->revision.passes_revised == passes);
  // Each batch is one atomic append of at most 2 passes: as many correlation groups as that.
  auto events = log_->log().ReadRange(published->position + 1, 1000);
  BOOST_TEST_REQUIRE(Succeeded(events));
  BOOST_TEST(events->size() == passes);

  // Started again (a restart), the job finds nothing below its bound.
  BOOST_TEST_REQUIRE(Succeeded(revisions_.Resume(kType)));
  auto status = revisions_.WaitFor(kType, published->position, std::chrono::seconds(30));
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(status->done);
  BOOST_TEST(status->passes_revised == 0u);
  BOOST_TEST(log_->log().GetHead().position == published->position + passes);
}

BOOST_AUTO_TEST_CASE(inspect_png_reads_real_headers) {
  const auto draft = DraftOf(signer::PassTypeConfig{},
                             *signer::PassTemplate::Load(signer::DefaultTemplateDir()));
  auto info = InspectPng(FileOf(draft, "logo@3x.png"));
  BOOST_TEST_REQUIRE(Succeeded(info));
  BOOST_TEST(info->width == 150u);
  BOOST_TEST(info->height == 150u);
  std::string trailing = FileOf(draft, "icon.png") + "x";
  BOOST_TEST(!InspectPng(trailing).has_value());
  BOOST_TEST(!InspectPng("\x89PNG\r\n\x1a\n").has_value());
}

}  // namespace
}  // namespace passledger::handlers

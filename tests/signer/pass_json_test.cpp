// pass.json rendering with the default template: escaping, barcodes, voided, expiry in the
// organisation's zone, field keys, server-owned keys; and the schema checker
// (tests/tools/check_pass_json.py) run over a table of rendered members and over broken files.
#include "signer/pass_json.h"

#include <sys/wait.h>
#include <zip.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "signer/pass_template.h"
#include "tests/testing/temp_dir.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kToken = "0123456789abcdef0123456789abcdef";
constexpr std::array<std::string_view, 5> kGroups = {
    "headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields"};

// One member and pass plus the config, owning what PassInput points to.
struct Case {
  std::string label;
  PassTypeConfig config;
  MemberData member;
  PassData pass;

  PassInput Input() const { return PassInput{&config, &member, &pass, std::string(kToken)}; }
};

Case Individual() {
  Case c;
  c.label = "individual";
  c.config.time_zone = "America/New_York";
  c.config.contact = "Member services: +1 555 0100";
  c.config.hours = "Open daily 9–17";
  c.member.membership_id = "M-100234";
  c.member.level = "Family Plus";
  c.member.expires = "2027-03-31";
  c.member.status = "Active";
  c.member.active = true;
  c.member.name = "Ada Lovelace";
  c.member.first_name = "Ada";
  c.member.last_name = "Lovelace";
  c.member.email = "ada@example.org";
  c.member.cardholders = {"Ada Lovelace", "Charles Babbage", "Mary Somerville"};
  c.member.add_ons = {{"Parking", "1"}, {"Guest passes", "10"}, {"Café", "2"}};
  c.member.member_since = "2015-06-01";
  c.pass.serial = "serial-ada-1";
  c.pass.cardholder_index = 0;
  c.pass.cardholder = "Ada Lovelace";
  return c;
}

Case Organisation() {
  Case c;
  c.label = "organisation";
  c.config.time_zone = "Europe/Berlin";
  c.config.barcode = BarcodeFormat::kAztec;
  c.member.membership_id = "ORG-77";
  c.member.level = "Corporate";
  c.member.expires = "2026-12-31";
  c.member.status = "Active";
  c.member.active = true;
  c.member.name = "Riverside Garden Club";
  c.member.cardholders = {"Riverside Garden Club"};
  c.pass.serial = "serial-org-1";
  c.pass.cardholder = "Riverside Garden Club";
  return c;
}

Case NonAscii() {
  Case c;
  c.label = "non_ascii";
  c.config.time_zone = "Australia/Lord_Howe";
  c.config.barcode = BarcodeFormat::kCode128;
  c.member.membership_id = "M-ÅÑ-1";
  c.member.level = "Étudiant";
  c.member.expires = "2045-01-15";
  c.member.status = "Active";
  c.member.name = "Zoë Ångström-Nuñez";
  c.member.first_name = "Zoë";
  c.member.last_name = "Ångström-Nuñez";
  c.member.email = "zoe@example.org";
  c.member.cardholders = {"Zoë Ångström-Nuñez", "李小龍"};
  c.pass.serial = "serial-zoe";
  c.pass.cardholder_index = 1;
  c.pass.cardholder = "李小龍";
  return c;
}

Case NoExpiryNoEmail() {
  Case c;
  c.label = "no_expiry";
  c.member.membership_id = "M-5";
  c.member.level = "Lifetime";
  c.member.status = "Active";
  c.member.name = "Grace Hopper";
  c.member.first_name = "Grace";
  c.member.last_name = "Hopper";
  c.pass.serial = "serial-grace";  // no cardholder: falls back to the name
  return c;
}

Case Lapsed() {
  Case c;
  c.label = "lapsed";
  c.config.time_zone = "America/Sao_Paulo";
  c.config.barcode = BarcodeFormat::kQr;
  c.member.membership_id = "M-9";
  c.member.level = "Individual";
  c.member.expires = "2020-01-31";
  c.member.status = "Lapsed";
  c.member.active = false;
  c.member.name = "Alan Turing";
  c.member.cardholders = {"Alan Turing"};
  c.pass.serial = "serial-alan";
  c.pass.cardholder = "Alan Turing";
  return c;
}

Case VoidedPass() {
  Case c;
  c.label = "voided";
  c.config.time_zone = "Asia/Kolkata";
  c.config.web_service_url.clear();  // no updates: no webServiceURL / authenticationToken
  c.member.membership_id = "M-10";
  c.member.level = "Dual";
  c.member.expires = "2030-02-28";
  c.member.status = "Active";
  c.member.name = "Emmy Noether";
  c.member.cardholders = {"Emmy Noether", "Fritz Noether"};
  c.pass.serial = "serial-fritz";
  c.pass.cardholder_index = 1;
  c.pass.cardholder = "Fritz Noether";
  c.pass.voided = true;
  return c;
}

Case Awkward() {
  Case c;
  c.label = "awkward";
  c.config.organization_name = "The \"Quoted\" \\ Garden";
  c.config.logo_text = "Back\\slash \"Garden\"";
  c.config.contact = "Line one\nLine two\ttabbed";
  c.member.membership_id = "M-\"1\"";
  c.member.level = "Level \\ \"Two\"";
  c.member.expires = "2028-02-29";
  c.member.status = "Active";
  c.member.name = "O'Brien \"Bob\" \\ Jr.";
  c.member.email = "bob\"@example.org";
  c.member.cardholders = {"O'Brien \"Bob\" \\ Jr.", "Ctrl\x01\x1f Char\nNew"};
  c.member.add_ons = {{"Quote \"add-on\"", "1\\2"}};
  c.pass.serial = "serial-bob";
  c.pass.cardholder = "O'Brien \"Bob\" \\ Jr.";
  return c;
}

std::vector<Case> AllCases() {
  return {Individual(), Organisation(), NonAscii(), NoExpiryNoEmail(),
          Lapsed(),     VoidedPass(),   Awkward()};
}

const PassTemplate& DefaultTemplate() {
  static const PassTemplate* const loaded = [] {
    auto t = PassTemplate::Load(DefaultTemplateDir());
    BOOST_REQUIRE_MESSAGE(t, t.error().ToString());
    return new PassTemplate(std::move(*t));
  }();
  return *loaded;
}

json::object Render(const Case& c) {
  auto rendered = DefaultTemplate().RenderPassJson(c.Input());
  BOOST_REQUIRE_MESSAGE(rendered, c.label << ": " << rendered.error().ToString());
  json::error_code ec;
  json::value parsed = json::parse(*rendered, ec);
  BOOST_REQUIRE_MESSAGE(!ec, c.label << ": output is not JSON: " << *rendered);
  BOOST_REQUIRE(parsed.is_object());
  return parsed.as_object();
}

// The field with `key` in any group of the generic style; null if none.
const json::object* Field(const json::object& pass, std::string_view key) {
  const json::object& style = pass.at("generic").as_object();
  for (const std::string_view group : kGroups) {
    const json::value* fields = style.if_contains(group);
    if (fields == nullptr) continue;
    for (const json::value& field : fields->as_array()) {
      if (field.as_object().at("key").as_string() == key) return &field.as_object();
    }
  }
  return nullptr;
}

std::string FieldValue(const json::object& pass, std::string_view key) {
  const json::object* field = Field(pass, key);
  BOOST_REQUIRE_MESSAGE(field != nullptr, "no field " << key);
  return std::string(field->at("value").as_string());
}

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunChecker(const std::vector<fs::path>& files) {
  std::string command =
      "python3 '" + std::string(PASSLEDGER_SOURCE_DIR) + "/tests/tools/check_pass_json.py'";
  for (const fs::path& f : files) command += " '" + f.string() + "'";
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  CommandResult result;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    result.output.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  BOOST_REQUIRE(out.good());
}

// A zip holding pass.json (and an icon), as a .pkpass would.
void WritePkpass(const fs::path& path, const std::string& pass_json) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  BOOST_REQUIRE(archive != nullptr);
  zip_source_t* source = zip_source_buffer(archive, pass_json.data(), pass_json.size(), 0);
  BOOST_REQUIRE(source != nullptr);
  BOOST_REQUIRE(zip_file_add(archive, "pass.json", source, ZIP_FL_ENC_UTF_8) >= 0);
  BOOST_REQUIRE(zip_close(archive) == 0);
}

BOOST_AUTO_TEST_SUITE(pass_json)

BOOST_AUTO_TEST_CASE(json_escaping_round_trips_quotes_backslashes_controls_and_unicode) {
  const Case c = Awkward();
  const json::object pass = Render(c);
  BOOST_TEST(FieldValue(pass, "member") == c.pass.cardholder);
  BOOST_TEST(FieldValue(pass, "level") == c.member.level);
  BOOST_TEST(FieldValue(pass, "number") == c.member.membership_id);
  BOOST_TEST(FieldValue(pass, "associates") == c.member.cardholders[1]);
  BOOST_TEST(FieldValue(pass, "add_ons") == "Quote \"add-on\": 1\\2");
  BOOST_TEST(FieldValue(pass, "contact") == c.config.contact);
  BOOST_TEST(FieldValue(pass, "email") == c.member.email);
  BOOST_TEST(pass.at("logoText").as_string() == c.config.logo_text);
  BOOST_TEST(pass.at("organizationName").as_string() == c.config.organization_name);
  BOOST_TEST(pass.at("barcodes").as_array()[0].as_object().at("message").as_string() ==
             c.member.membership_id);

  const Case u = NonAscii();
  const json::object unicode = Render(u);
  BOOST_TEST(FieldValue(unicode, "member") == "李小龍");
  BOOST_TEST(FieldValue(unicode, "associates") == "Zoë Ångström-Nuñez");
  BOOST_TEST(FieldValue(unicode, "level") == "Étudiant");
  // Non-ASCII stays UTF-8 in the bytes (no \u escapes needed).
  auto raw = DefaultTemplate().RenderPassJson(u.Input());
  BOOST_REQUIRE(raw);
  BOOST_TEST(raw->find("Zoë Ångström-Nuñez") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(all_four_barcode_formats_with_barcodes_and_legacy_barcode) {
  const std::vector<std::tuple<BarcodeFormat, std::string, std::string>> formats = {
      {BarcodeFormat::kPdf417, "PKBarcodeFormatPDF417", "PKBarcodeFormatPDF417"},
      {BarcodeFormat::kQr, "PKBarcodeFormatQR", "PKBarcodeFormatQR"},
      {BarcodeFormat::kAztec, "PKBarcodeFormatAztec", "PKBarcodeFormatAztec"},
      // The legacy key cannot hold Code 128; PDF417 stands in for iOS 8 and earlier.
      {BarcodeFormat::kCode128, "PKBarcodeFormatCode128", "PKBarcodeFormatPDF417"}};
  for (const auto& [format, modern, legacy] : formats) {
    Case c = Individual();
    c.config.barcode = format;
    const json::object pass = Render(c);
    const json::array& barcodes = pass.at("barcodes").as_array();
    BOOST_REQUIRE_EQUAL(barcodes.size(), 1u);
    for (const json::object* b : {&barcodes[0].as_object(), &pass.at("barcode").as_object()}) {
      BOOST_TEST(b->at("message").as_string() == "M-100234");
      BOOST_TEST(b->at("altText").as_string() == "M-100234");
      BOOST_TEST(b->at("messageEncoding").as_string() == "iso-8859-1");
    }
    BOOST_TEST(barcodes[0].as_object().at("format").as_string() == modern);
    BOOST_TEST(pass.at("barcode").as_object().at("format").as_string() == legacy);
  }
  BOOST_TEST((PassTypeConfig{}.barcode == BarcodeFormat::kPdf417));
}

BOOST_AUTO_TEST_CASE(voided_when_the_pass_is_voided_or_the_member_inactive) {
  BOOST_TEST(!Render(Individual()).contains("voided"));
  BOOST_TEST(Render(VoidedPass()).at("voided").as_bool());
  BOOST_TEST(Render(Lapsed()).at("voided").as_bool());
}

BOOST_AUTO_TEST_CASE(expiration_date_is_end_of_day_in_the_organisation_zone) {
  const json::object ny = Render(Individual());
  BOOST_TEST(ny.at("expirationDate").as_string() == "2027-03-31T23:59:59-04:00");
  const json::object* expires = Field(ny, "expires");
  BOOST_REQUIRE(expires != nullptr);
  BOOST_TEST(expires->at("value").as_string() == "2027-03-31T23:59:59-04:00");
  BOOST_TEST(expires->at("dateStyle").as_string() == "PKDateStyleMedium");
  BOOST_TEST(expires->at("ignoresTimeZone").as_bool());
  BOOST_TEST(expires->at("changeMessage").as_string() == "Your membership now expires %@");
  BOOST_TEST(FieldValue(ny, "since") == "2015-06-01T00:00:00-04:00");

  BOOST_TEST(Render(Organisation()).at("expirationDate").as_string() ==
             "2026-12-31T23:59:59+01:00");
  BOOST_TEST(Render(NonAscii()).at("expirationDate").as_string() == "2045-01-15T23:59:59+11:00");
  BOOST_TEST(Render(VoidedPass()).at("expirationDate").as_string() == "2030-02-28T23:59:59+05:30");

  // A caller-held zone wins over the config's name.
  const Case c = Individual();
  const auto berlin = TimeZone::Load("Europe/Berlin");
  BOOST_REQUIRE(berlin);
  auto in_berlin = DefaultTemplate().RenderPassJson(c.Input(), *berlin);
  BOOST_REQUIRE(in_berlin);
  BOOST_TEST(in_berlin->find("2027-03-31T23:59:59+02:00") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_expiry_means_no_expiration_date_and_a_dash) {
  const json::object pass = Render(NoExpiryNoEmail());
  BOOST_TEST(!pass.contains("expirationDate"));
  const json::object* expires = Field(pass, "expires");
  BOOST_REQUIRE(expires != nullptr);
  BOOST_TEST(expires->at("value").as_string() == "—");
  BOOST_TEST(!expires->contains("dateStyle"));
  BOOST_TEST(Field(pass, "since") == nullptr);
  BOOST_TEST(Field(pass, "email") == nullptr);
  BOOST_TEST(Field(pass, "associates") == nullptr);
  BOOST_TEST(Field(pass, "add_ons") == nullptr);
  BOOST_TEST(FieldValue(pass, "member") == "Grace Hopper");  // no cardholder: the name
}

BOOST_AUTO_TEST_CASE(organisation_member_without_first_name) {
  const json::object pass = Render(Organisation());
  BOOST_TEST(FieldValue(pass, "member") == "Riverside Garden Club");
  BOOST_TEST(FieldValue(pass, "level") == "Corporate");
  BOOST_TEST(FieldValue(pass, "number") == "ORG-77");
  BOOST_TEST(Field(pass, "associates") == nullptr);  // the only cardholder is this pass's
  BOOST_TEST(pass.at("barcodes").as_array()[0].as_object().at("format").as_string() ==
             "PKBarcodeFormatAztec");
}

BOOST_AUTO_TEST_CASE(front_and_back_fields_of_a_full_member) {
  const json::object pass = Render(Individual());
  const json::object& generic = pass.at("generic").as_object();
  BOOST_TEST(generic.at("primaryFields").as_array().size() == 1u);
  BOOST_TEST(FieldValue(pass, "member") == "Ada Lovelace");
  BOOST_TEST(Field(pass, "level")->at("changeMessage").as_string() ==
             "Your membership level is now %@");
  BOOST_TEST(FieldValue(pass, "associates") == "Charles Babbage\nMary Somerville");
  BOOST_TEST(FieldValue(pass, "add_ons") == "Parking: 1\nGuest passes: 10\nCafé: 2");
  BOOST_TEST(FieldValue(pass, "contact") == "Member services: +1 555 0100");
  BOOST_TEST(FieldValue(pass, "hours") == "Open daily 9–17");
  BOOST_TEST(FieldValue(pass, "email") == "ada@example.org");
  BOOST_TEST(FieldValue(pass, "status") == "Active");
  const json::object& semantics = pass.at("semantics").as_object();
  BOOST_TEST(semantics.at("membershipProgramName").as_string() == "Garden Membership");
  BOOST_TEST(semantics.at("membershipProgramNumber").as_string() == "M-100234");
  BOOST_TEST(pass.at("logoText").as_string() == "Botanical Garden");
}

BOOST_AUTO_TEST_CASE(field_keys_are_unique_in_every_render) {
  for (const Case& c : AllCases()) {
    const json::object pass = Render(c);
    std::set<std::string> keys;
    std::size_t count = 0;
    for (const std::string_view group : kGroups) {
      const json::value* fields = pass.at("generic").as_object().if_contains(group);
      if (fields == nullptr) continue;
      for (const json::value& f : fields->as_array()) {
        keys.insert(std::string(f.as_object().at("key").as_string()));
        ++count;
      }
    }
    BOOST_TEST(keys.size() == count, c.label);
    BOOST_TEST(count >= 5u, c.label);
  }
}

BOOST_AUTO_TEST_CASE(colours_are_rgb_triples_from_the_config) {
  Case c = Individual();
  c.config.foreground = {1, 2, 3};
  c.config.background = {255, 0, 128};
  c.config.label = {10, 200, 30};
  const json::object pass = Render(c);
  BOOST_TEST(pass.at("foregroundColor").as_string() == "rgb(1, 2, 3)");
  BOOST_TEST(pass.at("backgroundColor").as_string() == "rgb(255, 0, 128)");
  BOOST_TEST(pass.at("labelColor").as_string() == "rgb(10, 200, 30)");
  BOOST_TEST(RgbString(Rgb{38, 84, 58}) == "rgb(38, 84, 58)");
}

BOOST_AUTO_TEST_CASE(server_keys_are_set_by_code_whatever_the_template_says) {
  const Case c = Individual();
  const std::string rendered = R"({
    "formatVersion": 7, "passTypeIdentifier": "pass.wrong", "teamIdentifier": "WRONG",
    "serialNumber": "wrong", "organizationName": "Wrong", "description": "Wrong",
    "webServiceURL": "https://evil.example", "authenticationToken": "wrongwrongwrongwrong",
    "expirationDate": "1999-01-01T00:00:00Z", "voided": true,
    "generic": {"primaryFields": [{"key": "a", "value": "b"}]}})";
  const auto zone = TimeZone::Load("America/New_York");
  BOOST_REQUIRE(zone);
  auto finished = FinishPassJson(rendered, c.Input(), *zone, "custom/pass.json");
  BOOST_REQUIRE_MESSAGE(finished, finished.error().ToString());
  const json::object pass = json::parse(*finished).as_object();
  BOOST_TEST(pass.at("formatVersion").as_int64() == 1);
  BOOST_TEST(pass.at("passTypeIdentifier").as_string() == c.config.pass_type_id);
  BOOST_TEST(pass.at("teamIdentifier").as_string() == c.config.team_id);
  BOOST_TEST(pass.at("serialNumber").as_string() == "serial-ada-1");
  BOOST_TEST(pass.at("organizationName").as_string() == c.config.organization_name);
  BOOST_TEST(pass.at("description").as_string() == c.config.description);
  BOOST_TEST(pass.at("webServiceURL").as_string() == c.config.web_service_url);
  BOOST_TEST(pass.at("authenticationToken").as_string() == kToken);
  BOOST_TEST(pass.at("expirationDate").as_string() == "2027-03-31T23:59:59-04:00");
  BOOST_TEST(!pass.contains("voided"));

  // Without a web service URL neither key survives.
  Case offline = Individual();
  offline.config.web_service_url.clear();
  auto no_service = FinishPassJson(rendered, offline.Input(), *zone, "custom/pass.json");
  BOOST_REQUIRE(no_service);
  const json::object offline_pass = json::parse(*no_service).as_object();
  BOOST_TEST(!offline_pass.contains("webServiceURL"));
  BOOST_TEST(!offline_pass.contains("authenticationToken"));
}

BOOST_AUTO_TEST_CASE(finish_refuses_bad_pass_json) {
  const Case c = Individual();
  const TimeZone utc = TimeZone::Utc();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"generic": {"primaryFields": [{"key": "a", "value": 1}],
                       "backFields": [{"key": "a", "value": 2}]}})",
       "field key \"a\" is used twice (primaryFields and backFields)"},
      {R"({"generic": {}, "storeCard": {}})", "two pass styles"},
      {R"({"barcodes": []})", "no pass style"},
      {R"({"generic": {"primaryFields": [{"value": 1}]}})", "has no string \"key\""},
      {R"({"generic": {"primaryFields": {}}})", "generic.primaryFields is not an array"},
      {R"([1, 2])", "not a JSON object"},
      {"{\n  \"generic\": {\n    \"primaryFields\": [,]\n  }\n}", "line 3, column"},
      {R"({"generic": {}} trailing)", "not valid JSON"},
  };
  for (const auto& [rendered, expected] : cases) {
    auto finished = FinishPassJson(rendered, c.Input(), utc, "custom/pass.json");
    BOOST_REQUIRE_MESSAGE(!finished, rendered << " was accepted");
    BOOST_TEST((finished.error().code == ErrorCode::kInvalidArgument));
    BOOST_TEST(finished.error().message.find("custom/pass.json") != std::string::npos,
               finished.error().message);
    BOOST_TEST(finished.error().message.find(expected) != std::string::npos,
               finished.error().message << " (expected " << expected << ")");
  }
  PassInput short_token = c.Input();
  short_token.authentication_token = "short";
  const auto refused = FinishPassJson(R"({"generic": {}})", short_token, utc, "t");
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().message.find("authenticationToken") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_before_rendering) {
  Case c = Individual();
  c.member.expires = "2027-02-30";
  auto bad_date = DefaultTemplate().RenderPassJson(c.Input());
  BOOST_REQUIRE(!bad_date);
  BOOST_TEST(bad_date.error().message.find("2027-02-30") != std::string::npos);
  c = Individual();
  c.member.member_since = "yesterday";
  BOOST_TEST(!DefaultTemplate().RenderPassJson(c.Input()));
  c = Individual();
  c.config.time_zone = "Mars/Olympus_Mons";
  auto bad_zone = DefaultTemplate().RenderPassJson(c.Input());
  BOOST_REQUIRE(!bad_zone);
  BOOST_TEST(bad_zone.error().message.find("Mars/Olympus_Mons") != std::string::npos);
  BOOST_TEST(!DefaultTemplate().RenderPassJson(PassInput{}));
  BOOST_TEST(ParsePassDate("2028-02-29").has_value());
  BOOST_TEST(!ParsePassDate("2027-02-29").has_value());
  BOOST_TEST(!ParsePassDate("2027-13-01").has_value());
  BOOST_TEST(!ParsePassDate("2027-1-01").has_value());
  BOOST_TEST(ParsePassDate("1000-01-01").has_value());
  BOOST_TEST(!ParsePassDate("0999-12-31").has_value());  // a date, but not a pass's
}

BOOST_AUTO_TEST_CASE(context_names_this_pass_and_the_other_cardholders) {
  const Case c = NonAscii();  // this pass is cardholder 2 of 2
  const json::object context = PassContext(c.Input());
  const json::object& member = context.at("member").as_object();
  BOOST_TEST(context.at("pass").as_object().at("cardholder").as_string() == "李小龍");
  BOOST_TEST(context.at("pass").as_object().at("cardholder_number").as_uint64() == 2u);
  const json::array& associates = member.at("associates").as_array();
  BOOST_REQUIRE_EQUAL(associates.size(), 1u);
  BOOST_TEST(associates[0].as_object().at("name").as_string() == "Zoë Ångström-Nuñez");
  BOOST_TEST(associates[0].as_object().at("last").as_bool());
  const json::array& cardholders = member.at("cardholders").as_array();
  BOOST_REQUIRE_EQUAL(cardholders.size(), 2u);
  BOOST_TEST(cardholders[1].as_object().at("is_this_pass").as_bool());
  BOOST_TEST(!cardholders[0].as_object().at("is_this_pass").as_bool());
  BOOST_TEST(member.at("expires_at").as_string() == "2045-01-15T23:59:59+11:00");
  BOOST_TEST(!member.at("has_member_since").as_bool());
  BOOST_TEST(context.at("barcode").as_object().at("legacy_format").as_string() ==
             "PKBarcodeFormatPDF417");
}

BOOST_AUTO_TEST_CASE(schema_checker_accepts_every_rendered_member) {
  testing::TempDir dir;
  std::vector<fs::path> files;
  for (const Case& c : AllCases()) {
    auto rendered = DefaultTemplate().RenderPassJson(c.Input());
    BOOST_REQUIRE_MESSAGE(rendered, c.label << ": " << rendered.error().ToString());
    files.push_back(dir / (c.label + ".pass.json"));
    WriteFile(files.back(), *rendered);
  }
  // One rendered pass inside a .pkpass zip as well.
  auto zipped = DefaultTemplate().RenderPassJson(Individual().Input());
  BOOST_REQUIRE(zipped);
  files.push_back(dir / "individual.pkpass");
  WritePkpass(files.back(), *zipped);
  const CommandResult result = RunChecker(files);
  BOOST_TEST(result.exit_code == 0, result.output);
}

BOOST_AUTO_TEST_CASE(schema_checker_rejects_broken_pass_json) {
  testing::TempDir dir;
  auto good = DefaultTemplate().RenderPassJson(Individual().Input());
  BOOST_REQUIRE(good);
  const json::object base = json::parse(*good).as_object();

  std::vector<std::pair<std::string, json::object>> broken;
  {
    json::object p = base;  // a back field reusing a front field's key
    json::object dup{{"key", "level"}, {"label", "Again"}, {"value", "x"}};
    p.at("generic").as_object().at("backFields").as_array().push_back(dup);
    broken.emplace_back("duplicate_key", p);
  }
  {
    json::object p = base;
    p["backgroundColor"] = "rgb(300, 0, 0)";
    broken.emplace_back("bad_colour", p);
  }
  {
    json::object p = base;
    p.erase("serialNumber");
    broken.emplace_back("missing_serial", p);
  }
  {
    json::object p = base;
    p.at("barcode").as_object()["format"] = "PKBarcodeFormatCode128";
    broken.emplace_back("legacy_code128", p);
  }
  {
    json::object p = base;
    p.erase("authenticationToken");  // webServiceURL without its token
    broken.emplace_back("url_without_token", p);
  }
  std::vector<fs::path> all;
  for (const auto& [name, pass] : broken) {
    const fs::path path = dir / (name + ".json");
    WriteFile(path, json::serialize(pass));
    all.push_back(path);
    const CommandResult result = RunChecker({path});
    BOOST_TEST(result.exit_code == 1, name << ": " << result.output);
    BOOST_TEST(result.output.find(path.string()) != std::string::npos,
               name << ": " << result.output);
  }
  const CommandResult dup = RunChecker({all[0]});
  BOOST_TEST(dup.output.find("\"level\"") != std::string::npos, dup.output);
  // Several files: every problem is printed, and one good file does not hide them.
  const fs::path good_path = dir / "good.json";
  WriteFile(good_path, *good);
  all.push_back(good_path);
  const CommandResult every = RunChecker(all);
  BOOST_TEST(every.exit_code == 1);
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    BOOST_TEST(every.output.find(all[i].string()) != std::string::npos, all[i]);
  }
  // Not JSON at all, and a zip without pass.json.
  const fs::path garbage = dir / "garbage.json";
  WriteFile(garbage, "{not json");
  BOOST_TEST(RunChecker({garbage}).exit_code == 1);
  const fs::path empty_zip = dir / "empty.pkpass";
  WriteFile(empty_zip, "PK\x05\x06" + std::string(18, '\0'));
  BOOST_TEST(RunChecker({empty_zip}).exit_code == 1);
  const fs::path broken_zip = dir / "broken.pkpass";
  WritePkpass(broken_zip, json::serialize(broken[0].second));
  BOOST_TEST(RunChecker({broken_zip}).exit_code == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

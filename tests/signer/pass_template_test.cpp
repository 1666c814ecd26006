// PassTemplate loading (the default folder and broken copies of it) and the Mustache
// renderer it is built on.
#include "signer/pass_template.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "signer/mustache_render.h"
#include "signer/pass_json.h"
#include "tests/testing/temp_dir.h"

namespace passledger::signer {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteAll(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A copy of the default template in the test's own directory, to break.
fs::path CopyDefault(const testing::TempDir& dir) {
  const fs::path copy = dir / "membership";
  fs::copy(DefaultTemplateDir(), copy, fs::copy_options::recursive);
  return copy;
}

// Loads `folder` and returns the error message (failing the test if it loads).
std::string LoadError(const fs::path& folder, ErrorCode code = ErrorCode::kInvalidArgument) {
  auto loaded = PassTemplate::Load(folder);
  BOOST_REQUIRE_MESSAGE(!loaded, "template " << folder << " loaded but should not");
  BOOST_TEST((loaded.error().code == code), loaded.error().ToString());
  BOOST_TEST_MESSAGE(loaded.error().ToString());
  return loaded.error().message;
}

// Replaces the first `from` in the copy's pass.json with `to`.
void EditPassJson(const fs::path& folder, std::string_view from, std::string_view to) {
  std::string text = ReadAll(folder / "pass.json");
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "pass.json has no " << from);
  text.replace(at, from.size(), to);
  WriteAll(folder / "pass.json", text);
}

struct PngInfo {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int color_type = -1;
};

// Reads the IHDR chunk directly (independent of the code under test).
PngInfo ReadIhdr(const std::string& bytes) {
  BOOST_REQUIRE(bytes.size() >= 33);
  BOOST_REQUIRE(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  BOOST_REQUIRE(bytes.compare(12, 4, "IHDR") == 0);
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes[at + i]);
    return v;
  };
  return {u32(16), u32(20), static_cast<std::uint8_t>(bytes[25])};
}

std::string Sha1(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  BOOST_REQUIRE(EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha1(), nullptr) == 1);
  std::string hex;
  char buffer[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(buffer, sizeof(buffer), "%02x", digest[i]);
    hex += buffer;
  }
  return hex;
}

Result<std::string> RenderMustache(std::string_view text, std::string_view context_json,
                                   MustacheEscape escape = MustacheEscape::kJsonString) {
  auto parsed = MustacheTemplate::Parse(text, "t.mustache", escape);
  if (!parsed) return parsed.error();
  std::string out;
  const json::value context = json::parse(context_json);
  if (auto r = parsed->CheckNames(context); !r) return r.error();
  if (auto r = parsed->Render(context, &out); !r) return r.error();
  return out;
}

// Every dotted name reachable in a context; list items as "member.add_ons[].quantity".
void CollectNames(const json::value& v, const std::string& prefix, std::set<std::string>* out) {
  if (const auto* object = v.if_object()) {
    for (const auto& [key, child] : *object) {
      const std::string name = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
      out->insert(name);
      CollectNames(child, name, out);
    }
  } else if (const auto* array = v.if_array(); array != nullptr && !array->empty()) {
    CollectNames(array->front(), prefix + "[]", out);
  }
}

BOOST_AUTO_TEST_SUITE(pass_template)

// ---- the default template ----

BOOST_AUTO_TEST_CASE(default_template_loads_with_every_file) {
  auto loaded = PassTemplate::Load(DefaultTemplateDir());
  BOOST_REQUIRE_MESSAGE(loaded, loaded.error().ToString());
  std::vector<std::string> paths;
  for (const BundleFile& f : loaded->files()) {
    paths.push_back(f.path);
    BOOST_TEST(f.sha1_hex == Sha1(ReadAll(DefaultTemplateDir() / f.path)), f.path);
    BOOST_TEST(f.bytes == ReadAll(DefaultTemplateDir() / f.path), f.path);
  }
  const std::vector<std::string> expected = {"de.lproj/pass.strings",
                                             "en.lproj/pass.strings",
                                             "icon.png",
                                             "icon@2x.png",
                                             "icon@3x.png",
                                             "logo.png",
                                             "logo@2x.png",
                                             "logo@3x.png"};
  BOOST_TEST(paths == expected, boost::test_tools::per_element());
  BOOST_TEST(loaded->content_hash().size() == 64u);
  BOOST_TEST(loaded->content_hash().find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(loaded->pass_json_template() == ReadAll(DefaultTemplateDir() / "pass.json"));
  BOOST_TEST(loaded->folder() == DefaultTemplateDir());
}

BOOST_AUTO_TEST_CASE(default_images_have_the_documented_pixel_sizes) {
  const std::vector<std::pair<std::string, std::uint32_t>> sizes = {
      {"icon.png", 29}, {"icon@2x.png", 58},  {"icon@3x.png", 87},
      {"logo.png", 50}, {"logo@2x.png", 100}, {"logo@3x.png", 150}};
  for (const auto& [name, size] : sizes) {
    const PngInfo info = ReadIhdr(ReadAll(DefaultTemplateDir() / name));
    BOOST_TEST(info.width == size, name);
    BOOST_TEST(info.height == size, name);
    BOOST_TEST(info.color_type == 6, name << " is not 8-bit RGBA");
  }
  // The logo must fit Wallet's 160x50 pt logo area at every scale.
  for (const auto& [name, scale] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"logo.png", 1}, {"logo@2x.png", 2}, {"logo@3x.png", 3}}) {
    const PngInfo info = ReadIhdr(ReadAll(DefaultTemplateDir() / name));
    BOOST_TEST(info.width <= 160 * scale);
    BOOST_TEST(info.height <= 50 * scale);
  }
}

BOOST_AUTO_TEST_CASE(every_context_name_and_placeholder_is_documented) {
  const std::string docs = ReadAll(fs::path(PASSLEDGER_SOURCE_DIR) / "docs" / "TEMPLATES.md");
  BOOST_REQUIRE(!docs.empty());
  PassTypeConfig config;
  MemberData member;
  member.membership_id = "M-1";
  member.cardholders = {"A", "B"};
  member.add_ons = {{"P", "1"}};
  PassData pass;
  const json::value context =
      PassContext(PassInput{&config, &member, &pass, "token"}, TimeZone::Utc());
  std::set<std::string> names;
  CollectNames(context, "", &names);
  BOOST_TEST(names.size() > 40u);
  for (const std::string& name : names) {
    BOOST_TEST(docs.find("`" + name + "`") != std::string::npos,
               name << " is not documented in docs/TEMPLATES.md");
  }
  auto loaded = PassTemplate::Load(DefaultTemplateDir());
  BOOST_REQUIRE(loaded);
  for (const std::string& name : loaded->PlaceholderNames()) {
    const bool documented = names.count(name) > 0 || name == "name" || name == "quantity" ||
                            name == "last";  // list-item names, documented with their list
    BOOST_TEST(documented, name);
  }
}

BOOST_AUTO_TEST_CASE(content_hash_is_stable_and_follows_every_file) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  auto original = PassTemplate::Load(DefaultTemplateDir());
  auto first = PassTemplate::Load(copy);
  BOOST_REQUIRE(original && first);
  BOOST_TEST(first->content_hash() == original->content_hash());
  std::string strings = ReadAll(copy / "de.lproj" / "pass.strings");
  WriteAll(copy / "de.lproj" / "pass.strings", strings + "\n");
  auto changed = PassTemplate::Load(copy);
  BOOST_REQUIRE(changed);
  BOOST_TEST(changed->content_hash() != first->content_hash());
  WriteAll(copy / "de.lproj" / "pass.strings", strings);
  EditPassJson(copy, "\"Member\"", "\"Member \"");
  auto edited = PassTemplate::Load(copy);
  BOOST_REQUIRE(edited);
  BOOST_TEST(edited->content_hash() != first->content_hash());
}

// ---- broken folders ----

BOOST_AUTO_TEST_CASE(missing_folder_is_not_found) {
  testing::TempDir dir;
  const std::string message = LoadError(dir / "nope", ErrorCode::kNotFound);
  BOOST_TEST(message.find((dir / "nope").string()) != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(missing_icon_names_the_folder) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  fs::remove(copy / "icon.png");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find(copy.string()) != std::string::npos, message);
  BOOST_TEST(message.find("icon.png") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(missing_pass_json_names_the_folder) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  fs::remove(copy / "pass.json");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find(copy.string()) != std::string::npos, message);
  BOOST_TEST(message.find("pass.json") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unexpected_files_and_folders_are_refused) {
  const std::vector<std::string> bad = {
      "notes.txt", "Icon.png", "logo@4x.png", "logo@2x.PNG",         "manifest.json",
      ".DS_Store", "images/",  "xx.lproj/a/", "de.lproj/readme.txt", "de.lproj/pass.json"};
  for (const std::string& entry : bad) {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    const fs::path path = copy / entry;
    if (entry.back() == '/') {
      fs::create_directories(path);
    } else {
      WriteAll(path, "x");
    }
    const std::string message = LoadError(copy);
    const std::string named = path.has_filename() ? path.string() : path.parent_path().string();
    BOOST_TEST(message.find(named) != std::string::npos, entry << ": " << message);
  }
}

BOOST_AUTO_TEST_CASE(localized_images_and_extra_languages_are_accepted) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  fs::create_directories(copy / "zh-Hans.lproj");
  fs::copy_file(copy / "en.lproj" / "pass.strings", copy / "zh-Hans.lproj" / "pass.strings");
  fs::copy_file(copy / "logo.png", copy / "de.lproj" / "logo.png");
  fs::copy_file(copy / "logo.png", copy / "strip@2x.png");
  auto loaded = PassTemplate::Load(copy);
  BOOST_REQUIRE_MESSAGE(loaded, loaded.error().ToString());
  std::vector<std::string> paths;
  for (const BundleFile& f : loaded->files()) paths.push_back(f.path);
  BOOST_TEST(std::is_sorted(paths.begin(), paths.end()));
  for (const char* expected : {"de.lproj/logo.png", "strip@2x.png", "zh-Hans.lproj/pass.strings"}) {
    BOOST_TEST((std::find(paths.begin(), paths.end(), expected) != paths.end()), expected);
  }
}

BOOST_AUTO_TEST_CASE(non_png_images_symlinks_and_bad_strings_are_refused) {
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    WriteAll(copy / "logo@2x.png", "GIF89a this is not a png at all, really not");
    BOOST_TEST(LoadError(copy).find("not a PNG") != std::string::npos);
  }
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    fs::create_symlink(copy / "logo.png", copy / "thumbnail.png");
    BOOST_TEST(LoadError(copy).find("symlink") != std::string::npos);
  }
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    WriteAll(copy / "de.lproj" / "pass.strings", "\"Member\" = \"Mitglied\xff\";\n");
    const std::string message = LoadError(copy);
    BOOST_TEST(message.find("de.lproj/pass.strings") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(size_limits_are_enforced) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  std::string big = ReadAll(copy / "logo.png");
  big.resize(kMaxTemplateFileBytes + 1, '\0');
  WriteAll(copy / "strip.png", big);
  const std::string message = LoadError(copy, ErrorCode::kTooLarge);
  BOOST_TEST(message.find("strip.png") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unknown_placeholder_names_file_line_and_placeholder) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "{{member.level}}", "{{member.levle}}");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find((copy / "pass.json").string()) != std::string::npos, message);
  BOOST_TEST(message.find("{{member.levle}}") != std::string::npos, message);
  BOOST_TEST(message.find("unknown placeholder") != std::string::npos, message);
  // The line of the placeholder in the template.
  const std::string text = ReadAll(copy / "pass.json");
  const auto line =
      1 + std::count(text.begin(), text.begin() + text.find("{{member.levle}}"), '\n');
  BOOST_TEST(message.find("pass.json:" + std::to_string(line) + ":") != std::string::npos,
             message << " (expected line " << line << ")");
}

BOOST_AUTO_TEST_CASE(unknown_placeholder_in_a_branch_no_sample_takes_is_found) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "\"logoText\": \"{{organization.logo_text}}\"",
               "\"logoText\": \"{{#pass.voided}}{{#member.active}}{{member.lapsed_on}}"
               "{{/member.active}}{{/pass.voided}}{{organization.logo_text}}\"");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find("{{member.lapsed_on}}") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(render_that_is_not_json_names_the_file) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "\"formatVersion\": 1,", "\"formatVersion\": 1");  // lost comma
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find((copy / "pass.json").string()) != std::string::npos, message);
  BOOST_TEST(message.find("not valid JSON") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unquoted_placeholder_is_reported_with_its_name) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "\"value\": \"{{pass.cardholder}}\"", "\"value\": {{pass.cardholder}}");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find((copy / "pass.json").string()) != std::string::npos, message);
  BOOST_TEST(message.find("{{pass.cardholder}}") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(raw_placeholder_with_quotes_in_the_value_fails_at_load) {
  // The sample members have quotes in their names: raw insertion cannot pass unnoticed.
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "\"{{pass.cardholder}}\"", "\"{{{pass.cardholder}}}\"");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find("{{{pass.cardholder}}}") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unclosed_and_mismatched_sections_are_errors) {
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    EditPassJson(copy, "{{/member.has_email}}", "");
    const std::string message = LoadError(copy);
    BOOST_TEST(message.find("{{#member.has_email}} is never closed") != std::string::npos, message);
    BOOST_TEST(message.find((copy / "pass.json").string()) != std::string::npos, message);
  }
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    EditPassJson(copy, "{{/member.has_email}}", "{{/member.has_add_ons}}");
    const std::string message = LoadError(copy);
    BOOST_TEST(message.find("closes {{#member.has_email}}") != std::string::npos, message);
  }
  {
    testing::TempDir dir;
    const fs::path copy = CopyDefault(dir);
    WriteAll(copy / "pass.json", ReadAll(copy / "pass.json") + "\n{{pass.serial");
    const std::string message = LoadError(copy);
    BOOST_TEST(message.find("unclosed tag {{pass.serial") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(duplicate_field_key_in_template_fails_at_load) {
  testing::TempDir dir;
  const fs::path copy = CopyDefault(dir);
  EditPassJson(copy, "\"key\": \"number\"", "\"key\": \"level\"");
  const std::string message = LoadError(copy);
  BOOST_TEST(message.find("\"level\" is used twice") != std::string::npos, message);
}

// ---- the Mustache renderer ----

BOOST_AUTO_TEST_CASE(mustache_variables_are_json_escaped_raw_is_not) {
  const auto out = RenderMustache("[{{a}}|{{{a}}}|{{&a}}|{{n}}|{{b}}|{{z}}]",
                                  R"({"a": "q\"b\\c\n\t\u0001é", "n": 42, "b": true, "z": null})");
  BOOST_REQUIRE_MESSAGE(out, out.error().ToString());
  BOOST_TEST(*out == "[q\\\"b\\\\c\\n\\t\\u0001é|q\"b\\c\n\t\x01é|q\"b\\c\n\t\x01é|42|true|]");
}

BOOST_AUTO_TEST_CASE(mustache_html_mode_escapes_the_five_html_characters) {
  const auto out = RenderMustache(
      "<p title=\"{{a}}\">{{a}}|{{{a}}}|{{&a}}|{{n}}|{{#l}}{{.}}{{/l}}</p>",
      R"({"a": "<b>Tom & \"Jo\"'s</b> é\n", "n": 7, "l": ["<", "&"]})", MustacheEscape::kHtml);
  BOOST_REQUIRE_MESSAGE(out, out.error().ToString());
  const std::string escaped = "&lt;b&gt;Tom &amp; &quot;Jo&quot;&#39;s&lt;/b&gt; é\n";
  const std::string raw = "<b>Tom & \"Jo\"'s</b> é\n";
  BOOST_TEST(*out == "<p title=\"" + escaped + "\">" + escaped + "|" + raw + "|" + raw +
                         "|7|&lt;&amp;</p>");
}

BOOST_AUTO_TEST_CASE(mustache_none_mode_inserts_values_intact) {
  const std::string context = R"({"a": "q\"b\\c\n<&>'\u0001é", "n": 42})";
  const auto out = RenderMustache("{{a}}|{{{a}}}|{{n}}", context, MustacheEscape::kNone);
  BOOST_REQUIRE_MESSAGE(out, out.error().ToString());
  BOOST_TEST(*out == "q\"b\\c\n<&>'\x01é|q\"b\\c\n<&>'\x01é|42");
  // The mode is the template's: the default stays the JSON string escape.
  const auto parsed = MustacheTemplate::Parse("{{a}}", "t", MustacheEscape::kNone);
  BOOST_REQUIRE(parsed);
  BOOST_TEST((parsed->escape() == MustacheEscape::kNone));
  BOOST_TEST((MustacheTemplate::Parse("{{a}}", "t")->escape() == MustacheEscape::kJsonString));
}

BOOST_AUTO_TEST_CASE(mustache_sections_lists_objects_booleans_and_inverted) {
  const auto out = RenderMustache(
      "{{#list}}<{{name}}{{^last}},{{/last}}>{{/list}}"
      "{{#obj}}[{{x}}/{{top}}]{{/obj}}"
      "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}!N{{/no}}{{^empty}}E{{/empty}}{{#empty}}X{{/empty}}"
      "{{#str}}({{.}}){{/str}}{{#blank}}B{{/blank}}{{! a comment }}."
      "{{#nums}}{{.}}{{/nums}}",
      R"({"list": [{"name": "a", "last": false}, {"name": "b", "last": true}],
          "obj": {"x": 1}, "top": "T", "yes": true, "no": false, "empty": [],
          "str": "s", "blank": "", "nums": [1, 2, 3]})");
  BOOST_REQUIRE_MESSAGE(out, out.error().ToString());
  BOOST_TEST(*out == "<a,><b>[1/T]Y!NE(s).123");
}

BOOST_AUTO_TEST_CASE(mustache_dotted_names_resolve_through_the_stack) {
  const auto out =
      RenderMustache("{{#outer}}{{#inner}}{{a.b}}-{{c}}-{{outer.c}}{{/inner}}{{/outer}}",
                     R"({"a": {"b": "root"}, "c": "rc",
                                      "outer": {"c": "oc", "inner": {"x": 1}}})");
  BOOST_REQUIRE_MESSAGE(out, out.error().ToString());
  BOOST_TEST(*out == "root-oc-oc");
  // Once the first part is found, the rest must resolve inside it (no fallback outwards).
  const auto strict =
      RenderMustache("{{#inner}}{{a.b}}{{/inner}}", R"({"a": {"b": 1}, "inner": {"a": {"c": 2}}})");
  BOOST_REQUIRE(!strict);
  BOOST_TEST(strict.error().message.find("{{a.b}}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mustache_errors_name_file_line_and_placeholder) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x\n\n{{missing}}", "t.mustache:3: unknown placeholder {{missing}}"},
      {"{{obj}}", "t.mustache:1: cannot insert an object or array: {{obj}}"},
      {"a\n{{#obj}}", "t.mustache:2: section {{#obj}} is never closed"},
      {"{{^obj}}", "t.mustache:1: section {{^obj}} is never closed"},
      {"{{/obj}}", "t.mustache:1: {{/obj}} closes no section"},
      {"{{#obj}}{{/other}}", "t.mustache:1: {{/other}} closes {{#obj}} opened at line 1"},
      {"\n{{>partial}}", "t.mustache:2: partials"},
      {"{{=<% %>=}}", "t.mustache:1: changing delimiters"},
      {"{{a..b}}", "t.mustache:1: invalid placeholder name {{a..b}}"},
      {"{{}}", "t.mustache:1: invalid placeholder name"},
      {"{{a b}}", "t.mustache:1: invalid placeholder name {{a b}}"},
      {"x {{obj", "t.mustache:1: unclosed tag {{obj"},
  };
  for (const auto& [text, expected] : cases) {
    const auto out = RenderMustache(text, R"({"obj": {"x": 1}})");
    BOOST_REQUIRE_MESSAGE(!out, text << " rendered");
    BOOST_TEST(out.error().message.find(expected) == 0u,
               text << " -> " << out.error().message << " (expected " << expected << ")");
  }
}

BOOST_AUTO_TEST_CASE(mustache_nesting_is_bounded) {
  std::string deep;
  for (int i = 0; i <= MustacheTemplate::kMaxDepth; ++i) deep += "{{#a}}";
  const auto parsed = MustacheTemplate::Parse(deep, "deep");
  BOOST_REQUIRE(!parsed);
  BOOST_TEST(parsed.error().message.find("nested deeper") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mustache_locate_points_at_the_placeholder) {
  auto parsed = MustacheTemplate::Parse("{\n  \"a\": {{v}},\n  \"b\": 1\n}", "t");
  BOOST_REQUIRE(parsed);
  const json::value context = json::parse(R"({"v": "x y"})");
  std::string out;
  BOOST_REQUIRE(parsed->Render(context, &out));
  const auto origin = parsed->Locate(context, out.find("x y"));
  BOOST_TEST(origin.line == 2u);
  BOOST_TEST(origin.placeholder == "{{v}}");
  const auto later = parsed->Locate(context, out.find("\"b\""));
  BOOST_TEST(later.line == 3u);
  BOOST_TEST(later.placeholder.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

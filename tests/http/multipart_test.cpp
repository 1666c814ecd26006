// The upload part of a multipart/form-data body (http/multipart.h): found wherever it is among
// the parts, as a view into the body, and every malformed body refused with a reason.
#include "http/multipart.h"

#include <boost/test/unit_test.hpp>

namespace passledger::http {
namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=----WebKitFormBoundaryAbc123";

std::string Part(std::string_view disposition, std::string_view content) {
  return "------WebKitFormBoundaryAbc123\r\nContent-Disposition: " + std::string(disposition) +
         "\r\nContent-Type: text/csv\r\n\r\n" + std::string(content) + "\r\n";
}
const std::string kEnd = "------WebKitFormBoundaryAbc123--\r\n";

BOOST_AUTO_TEST_SUITE(multipart)

BOOST_AUTO_TEST_CASE(TheFileIsFoundAmongThePartsAsAViewIntoTheBody) {
  const std::string csv = "a,b\r\n1,2\r\n--not a boundary\r\n";
  const std::string body = "preamble\r\n" + Part("form-data; name=\"dry_run\"", "1") +
                           Part("form-data; name=\"file\"; filename=\"roster \\\"x\\\".csv\"", csv) +
                           kEnd;
  auto file = FindFormFile(kType, body, "file");
  BOOST_TEST_REQUIRE(file.has_value());
  BOOST_TEST(file->bytes == csv);
  BOOST_TEST(file->filename == "roster \"x\".csv");
  // Not a copy: the view points into the body (compared as offsets; Boost.Test would compare
  // char pointers as strings).
  const auto offset = file->bytes.data() - body.data();
  BOOST_TEST(offset > 0);
  BOOST_TEST(static_cast<std::size_t>(offset) < body.size());
  BOOST_TEST(body.substr(static_cast<std::size_t>(offset), csv.size()) == csv);
  auto dry = FindFormFile(kType, body, "dry_run");
  BOOST_TEST_REQUIRE(dry.has_value());
  BOOST_TEST(dry->bytes == "1");
}

BOOST_AUTO_TEST_CASE(AnEmptyFileAndAQuotedBoundaryWork) {
  const std::string body =
      "--b b\r\nContent-Disposition: form-data; name=file; filename=\"\"\r\n\r\n\r\n--b b--";
  auto file = FindFormFile("Multipart/Form-Data; charset=x; boundary=\"b b\"", body, "file");
  BOOST_TEST_REQUIRE(file.has_value());
  BOOST_TEST(file->bytes.empty());
}

BOOST_AUTO_TEST_CASE(MalformedBodiesAreRefused) {
  const std::string good = Part("form-data; name=\"file\"", "x") + kEnd;
  BOOST_TEST_REQUIRE(FindFormFile(kType, good, "file").has_value());  // the control
  const std::pair<std::string, std::string> cases[] = {
      {"text/csv", good},
      {"multipart/form-data", good},
      {"multipart/form-data; boundary=", good},
      {"multipart/form-data; boundary=\"unterminated", good},
      {"multipart/form-data; boundary=" + std::string(71, 'b'), good},  // RFC 2046: at most 70
      {std::string(kType), good.substr(0, good.size() - kEnd.size())},  // no closing delimiter
      {std::string(kType), Part("form-data; name=\"other\"", "x") + kEnd},  // no such field
      {std::string(kType), "------WebKitFormBoundaryAbc123\r\nNo colon here\r\n\r\nx\r\n" + kEnd},
      {std::string(kType), "------WebKitFormBoundaryAbc123\r\nContent-Type: text/csv\r\n\r\nx\r\n" + kEnd},
      {std::string(kType), "------WebKitFormBoundaryAbc123\r\nContent-Disposition: attachment; name=file\r\n\r\nx\r\n" + kEnd},
      {std::string(kType), "------WebKitFormBoundaryAbc123\r\nContent-Disposition: form-data; name=\"file\"\r\n"},
      {std::string(kType), "no boundary at all"},
      {std::string(kType), ""},
  };
  for (const auto& [type, body] : cases) {
    auto file = FindFormFile(type, body, "file");
    BOOST_TEST(!file.has_value(), type << " | " << body);
    if (!file) BOOST_TEST((file.error().code == ErrorCode::kInvalidArgument));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http

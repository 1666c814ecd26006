// BarcodeSvg: each pass.json format draws a symbol of the right shape with its quiet zone,
// different messages draw different symbols, and what a symbology cannot hold is refused.
// (The staff app's browser test decodes a drawn PDF417 back to its membership id.)
#include "signer/barcode_svg.h"

#include <boost/test/unit_test.hpp>
#include <regex>
#include <string>

namespace passledger::signer {
namespace {

struct Box {
  double width = 0, height = 0;
};

Box ViewBox(const std::string& svg) {
  static const std::regex kViewBox("viewBox=\"0 0 ([0-9.]+) ([0-9.]+)\"");
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(svg, m, kViewBox));
  return {std::stod(m[1]), std::stod(m[2])};
}

// The smallest x and y any dark module starts at.
Box FirstModule(const std::string& svg) {
  static const std::regex kMove("M([0-9.]+) ([0-9.]+)");
  Box min{1e9, 1e9};
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kMove); it != std::sregex_iterator();
       ++it) {
    min.width = std::min(min.width, std::stod((*it)[1]));
    min.height = std::min(min.height, std::stod((*it)[2]));
  }
  return min;
}

BOOST_AUTO_TEST_SUITE(barcode_svg)

BOOST_AUTO_TEST_CASE(each_format_draws_its_shape_with_a_quiet_zone) {
  for (const char* format : {"PKBarcodeFormatPDF417", "PKBarcodeFormatQR",
                             "PKBarcodeFormatAztec", "PKBarcodeFormatCode128"}) {
    BOOST_TEST_CONTEXT(format) {
      auto svg = BarcodeSvg(format, "8-10000001");
      BOOST_REQUIRE(svg.has_value());
      BOOST_TEST(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
      BOOST_TEST(svg->find("<path fill=\"#000\" d=\"M") != std::string::npos);
      BOOST_TEST(svg->find("<text") == std::string::npos);  // no human-readable text
      const Box box = ViewBox(*svg);
      const Box first = FirstModule(*svg);
      BOOST_TEST(first.width > 0);  // the quiet zone on the left
      const std::string f = format;
      if (f == "PKBarcodeFormatQR" || f == "PKBarcodeFormatAztec") {
        BOOST_TEST(box.width == box.height);
        BOOST_TEST(first.height > 0);
      } else {
        BOOST_TEST(box.width > 2 * box.height);  // a wide symbol
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(different_messages_draw_different_symbols) {
  auto a = BarcodeSvg("PKBarcodeFormatPDF417", "8-10000001");
  auto again = BarcodeSvg("PKBarcodeFormatPDF417", "8-10000001");
  auto b = BarcodeSvg("PKBarcodeFormatPDF417", "8-10000002");
  BOOST_REQUIRE(a && again && b);
  BOOST_TEST(*a == *again);
  BOOST_TEST(*a != *b);
  auto latin = BarcodeSvg("PKBarcodeFormatQR", "Núñez");  // ISO-8859-1 characters
  BOOST_TEST(latin.has_value());
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_draw) {
  auto unknown = BarcodeSvg("PKBarcodeFormatEAN13", "123");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST((unknown.error().code == ErrorCode::kInvalidArgument));
  BOOST_TEST(unknown.error().message.find("PKBarcodeFormatEAN13") != std::string::npos);
  BOOST_TEST(!BarcodeSvg("PKBarcodeFormatQR", ""));
  BOOST_TEST(!BarcodeSvg("PKBarcodeFormatQR", std::string(3000, 'x')));
  auto too_long = BarcodeSvg("PKBarcodeFormatCode128", std::string(500, '7'));
  BOOST_REQUIRE(!too_long);
  BOOST_TEST(too_long.error().message.find("cannot hold") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::signer

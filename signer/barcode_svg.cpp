#include "signer/barcode_svg.h"

#include <zint.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

namespace passledger::signer {
namespace {

constexpr std::size_t kMaxMessageBytes = 2048;  // more than any symbology here holds

struct SymbolDeleter {
  void operator()(zint_symbol* symbol) const { ZBarcode_Delete(symbol); }
};
using Symbol = std::unique_ptr<zint_symbol, SymbolDeleter>;

// The zint symbology and the quiet zone (in modules, each side) of a pass.json format.
struct Symbology {
  int zint = 0;
  int quiet_modules = 0;
};

std::optional<Symbology> SymbologyOf(std::string_view format) {
  if (format == "PKBarcodeFormatPDF417") return Symbology{BARCODE_PDF417, 2};
  if (format == "PKBarcodeFormatQR") return Symbology{BARCODE_QRCODE, 4};
  if (format == "PKBarcodeFormatAztec") return Symbology{BARCODE_AZTEC, 2};
  if (format == "PKBarcodeFormatCode128") return Symbology{BARCODE_CODE128, 10};
  return std::nullopt;
}

// A coordinate of the vector output with at most two decimals ("12", "3.5").
std::string Number(float value) {
  char buffer[32];
  const double rounded = std::round(static_cast<double>(value) * 100) / 100;
  std::snprintf(buffer, sizeof buffer, "%g", rounded);
  return buffer;
}

std::string SvgOf(const zint_vector& vector) {
  std::string path;
  for (const zint_vector_rect* rect = vector.rectangles; rect != nullptr; rect = rect->next) {
    path += "M" + Number(rect->x) + " " + Number(rect->y) + "h" + Number(rect->width) + "v" +
            Number(rect->height) + "h-" + Number(rect->width) + "z";
  }
  const std::string width = Number(vector.width);
  const std::string height = Number(vector.height);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + width + " " + height +
         "\" width=\"" + width + "\" height=\"" + height +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
         "fill=\"#fff\"/><path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

}  // namespace

Result<std::string> BarcodeSvg(std::string_view format, std::string_view message) {
  const auto symbology = SymbologyOf(format);
  if (!symbology) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown barcode format \"" + std::string(format) + "\"");
  }
  if (message.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty barcode message");
  if (message.size() > kMaxMessageBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "barcode message too long");
  }
  Symbol symbol(ZBarcode_Create());
  if (!symbol) return MakeError(ErrorCode::kInternal, "zint: out of memory");
  symbol->symbology = symbology->zint;
  symbol->input_mode = UNICODE_MODE;  // UTF-8 in; ISO-8859-1 in the symbol where it fits
  symbol->show_hrt = 0;
  symbol->whitespace_width = symbology->quiet_modules;
  symbol->whitespace_height = symbology->quiet_modules;
  symbol->scale = 1;
  if (symbology->zint == BARCODE_CODE128) symbol->height = 20;
  const int encoded = ZBarcode_Encode(symbol.get(),
                                      reinterpret_cast<const unsigned char*>(message.data()),
                                      static_cast<int>(message.size()));
  if (encoded >= ZINT_ERROR) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("the barcode cannot hold this message: ") + symbol->errtxt);
  }
  if (ZBarcode_Buffer_Vector(symbol.get(), 0) >= ZINT_ERROR || symbol->vector == nullptr) {
    return MakeError(ErrorCode::kInternal, std::string("zint: ") + symbol->errtxt);
  }
  return SvgOf(*symbol->vector);
}

}  // namespace passledger::signer

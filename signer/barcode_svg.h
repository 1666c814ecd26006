// A pass's barcode drawn as an SVG document, for the staff app's pass preview: the same
// symbol Wallet draws from pass.json's `barcodes` entry, encoded by Debian's libzint and
// written as one path of dark modules on a white ground with the symbology's quiet zone.
// The text under the barcode is left out (the preview shows altText itself).
//
// Thread-safety: each call uses its own zint symbol; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::signer {

// `format` is a pass.json name: "PKBarcodeFormatPDF417", "PKBarcodeFormatQR",
// "PKBarcodeFormatAztec" or "PKBarcodeFormatCode128"; `message` is UTF-8 (encoded as
// ISO-8859-1 where every character allows, as pass.json's messageEncoding says).
// kInvalidArgument for an unknown format or a message the symbology cannot hold (too long,
// characters Code 128 has no code for); the message names the problem.
[[nodiscard]] Result<std::string> BarcodeSvg(std::string_view format, std::string_view message);

}  // namespace passledger::signer

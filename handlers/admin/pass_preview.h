// A pass as Wallet would draw it, for the admin UI: the organisation's texts and colours, the
// fields by zone, the barcode, voided and the dates — read from the very pass.json the
// signer makes for the pass now (signer/pass_json.h, through its PassFactory's template and
// configuration, the member and pass from the views, as handlers/passes/pass_bundles.h
// does), not from a second rendering of our own.
//
// Rendered with the pass type's configuration minus its web service URL, so that pass.json
// leaves out webServiceURL and authenticationToken (signer/pass_json.h): the token is never
// made for a preview, and the preview record has no field that could hold it. Nothing is
// signed or cached. A forgotten member's pass previews as the phones get it: void, without
// barcode.
//
// Thread-safe; the read model and the bundles are borrowed and must outlive this object.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "handlers/passes/pass_bundles.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// One field of pass.json. `value` is the field's value as text (numbers as written); a date
// field keeps its W3C value and says how Wallet shows it (dateStyle, timeStyle).
struct PreviewField {
  std::string key, label, value;
  std::string date_style, time_style;  // "PKDateStyleMedium", ...; empty when not a date
  bool ignores_time_zone = false;
  std::string text_alignment;  // "PKTextAlignmentRight", ...; empty: natural
};

struct PreviewBarcode {
  std::string format;  // "PKBarcodeFormatPDF417", ...
  std::string message;
  std::string alt_text;
  std::string encoding;  // messageEncoding
  // The symbol drawn (signer/barcode_svg.h); empty with `svg_error` saying why when the
  // message cannot be drawn in its format.
  std::string svg;
  std::string svg_error;
};

struct PassPreview {
  std::string serial;
  std::string pass_type_id;
  std::string style;  // "generic", "storeCard", ...
  std::string organization_name, description, logo_text;
  std::string foreground_color, background_color, label_color;  // as in pass.json: "rgb(…)"
  std::vector<PreviewField> header_fields, primary_fields, secondary_fields, auxiliary_fields,
      back_fields;
  std::optional<PreviewBarcode> barcode;  // the first of `barcodes`, else the legacy `barcode`
  bool voided = false;
  std::string expiration_date;  // W3C, as in pass.json; empty: none
  std::string relevant_date;
  // The template's top-level images ("icon.png", "logo@2x.png", …; no .lproj ones), in path
  // order: what the preview may show (PassPreviews::Image). Empty from PreviewOfPassJson.
  std::vector<std::string> images;
};

// The top-level .png paths among a template's files, in path order.
std::vector<std::string> PreviewImagesOf(const std::vector<signer::BundleFile>& files);

class PassPreviews {
 public:
  PassPreviews(const projections::ReadModel* read, const PassBundles* bundles)
      : read_(read), bundles_(bundles) {}

  // kNotFound for an unknown serial or a pass type this server has no factory for;
  // kCorruption for views that do not hold the pass's member.
  Result<PassPreview> Get(std::string_view serial) const;
  // One image of the template the pass is rendered with now ("logo@2x.png", a path from
  // PassPreview::images): its PNG bytes. kNotFound for an unknown serial or image.
  Result<std::string> Image(std::string_view serial, std::string_view path) const;

 private:
  const projections::ReadModel* const read_;
  const PassBundles* const bundles_;
};

// The preview of a finished pass.json (exposed for tests). kInvalidArgument when it is not a
// JSON object with a pass style.
Result<PassPreview> PreviewOfPassJson(std::string_view pass_json);

}  // namespace passledger::handlers

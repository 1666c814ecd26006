#include "handlers/admin/pass_preview.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "handlers/passes/pass_records.h"
#include "signer/barcode_svg.h"

namespace passledger::handlers {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 5> kStyles = {"boardingPass", "coupon", "eventTicket",
                                                     "generic", "storeCard"};

std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);  // numbers as pass.json writes them
}

std::vector<PreviewField> FieldsOf(const json::object& style, std::string_view group) {
  std::vector<PreviewField> out;
  const json::value* fields = style.if_contains(group);
  if (!fields || !fields->is_array()) return out;
  for (const json::value& field : fields->as_array()) {
    const json::object* f = field.if_object();
    if (!f) continue;
    const json::value* ignores = f->if_contains("ignoresTimeZone");
    out.push_back({Text(*f, "key"), Text(*f, "label"), Text(*f, "value"), Text(*f, "dateStyle"),
                   Text(*f, "timeStyle"), ignores && ignores->is_bool() && ignores->as_bool(),
                   Text(*f, "textAlignment")});
  }
  return out;
}

std::optional<PreviewBarcode> BarcodeOf(const json::object& pass) {
  const json::object* barcode = nullptr;
  if (const json::value* list = pass.if_contains("barcodes");
      list && list->is_array() && !list->as_array().empty()) {
    barcode = list->as_array().front().if_object();
  } else if (const json::value* legacy = pass.if_contains("barcode")) {
    barcode = legacy->if_object();
  }
  if (!barcode) return std::nullopt;
  PreviewBarcode out{Text(*barcode, "format"), Text(*barcode, "message"),
                     Text(*barcode, "altText"), Text(*barcode, "messageEncoding"), {}, {}};
  if (auto svg = signer::BarcodeSvg(out.format, out.message)) {
    out.svg = std::move(*svg);
  } else {
    out.svg_error = svg.error().message;
  }
  return out;
}

Error NotFound(std::string message) { return MakeError(ErrorCode::kNotFound, std::move(message)); }

}  // namespace

Result<PassPreview> PreviewOfPassJson(std::string_view pass_json) {
  boost::system::error_code ec;
  json::value parsed = json::parse(pass_json, ec);
  if (ec || !parsed.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "pass.json is not a JSON object");
  }
  const json::object& pass = parsed.as_object();
  PassPreview out;
  const json::object* style = nullptr;
  for (const std::string_view name : kStyles) {
    if (const json::value* v = pass.if_contains(name); v && v->is_object()) {
      out.style = std::string(name);
      style = &v->as_object();
      break;
    }
  }
  if (!style) return MakeError(ErrorCode::kInvalidArgument, "pass.json has no pass style");
  out.serial = Text(pass, "serialNumber");
  out.pass_type_id = Text(pass, "passTypeIdentifier");
  out.organization_name = Text(pass, "organizationName");
  out.description = Text(pass, "description");
  out.logo_text = Text(pass, "logoText");
  out.foreground_color = Text(pass, "foregroundColor");
  out.background_color = Text(pass, "backgroundColor");
  out.label_color = Text(pass, "labelColor");
  out.header_fields = FieldsOf(*style, "headerFields");
  out.primary_fields = FieldsOf(*style, "primaryFields");
  out.secondary_fields = FieldsOf(*style, "secondaryFields");
  out.auxiliary_fields = FieldsOf(*style, "auxiliaryFields");
  out.back_fields = FieldsOf(*style, "backFields");
  out.barcode = BarcodeOf(pass);
  const json::value* voided = pass.if_contains("voided");
  out.voided = voided && voided->is_bool() && voided->as_bool();
  out.expiration_date = Text(pass, "expirationDate");
  out.relevant_date = Text(pass, "relevantDate");
  return out;
}

std::vector<std::string> PreviewImagesOf(const std::vector<signer::BundleFile>& files) {
  std::vector<std::string> out;
  for (const signer::BundleFile& file : files) {
    if (file.path.ends_with(".png") && file.path.find('/') == std::string::npos) {
      out.push_back(file.path);
    }
  }
  return out;
}

Result<std::string> PassPreviews::Image(std::string_view serial, std::string_view path) const {
  auto pass = read_->Pass(serial);
  if (!pass) return pass.error();
  if (!*pass) return NotFound("no pass with serial " + std::string(serial));
  const auto factory = bundles_->Factory((*pass)->pass_type_id);
  if (!factory) {
    return NotFound("pass type " + (*pass)->pass_type_id + " is not configured on this server");
  }
  for (const signer::BundleFile& file : factory->pass_template().files()) {
    if (file.path == path && path.ends_with(".png")) return file.bytes;
  }
  return NotFound("the pass's template has no image " + std::string(path));
}

Result<PassPreview> PassPreviews::Get(std::string_view serial) const {
  auto pass = read_->Pass(serial);
  if (!pass) return pass.error();
  if (!*pass) return NotFound("no pass with serial " + std::string(serial));
  const auto factory = bundles_->Factory((*pass)->pass_type_id);
  if (!factory) {
    return NotFound("pass type " + (*pass)->pass_type_id + " is not configured on this server");
  }
  auto member = read_->Member((*pass)->membership_id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kCorruption, "pass " + std::string(serial) + " names member " +
                                                 (*pass)->membership_id +
                                                 ", which the members view does not hold");
  }
  auto member_data = MemberDataFrom(**member);
  if (!member_data) return member_data.error();
  auto pass_data = PassDataFrom(**pass);
  if (!pass_data) return pass_data.error();
  // Without a web service URL pass.json has neither it nor an authenticationToken.
  signer::PassTypeConfig config = factory->config();
  config.web_service_url.clear();
  const signer::PassInput input{&config, &*member_data, &*pass_data, {}};
  auto rendered = factory->pass_template().RenderPassJson(input);
  if (!rendered) return rendered.error();
  auto preview = PreviewOfPassJson(*rendered);
  if (preview) preview->images = PreviewImagesOf(factory->pass_template().files());
  return preview;
}

}  // namespace passledger::handlers

// The Mustache context and the finishing step of signer/pass_json.h.
#include "signer/pass_json.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <vector>

namespace passledger::signer {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 5> kStyles = {"boardingPass", "coupon", "eventTicket",
                                                     "generic", "storeCard"};
constexpr std::array<std::string_view, 6> kFieldGroups = {
    "headerFields",    "primaryFields", "secondaryFields",
    "auxiliaryFields", "backFields",    "additionalInfoFields"};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// ---- the context ----

// {name, number (1-based), first, last} for element `i` of `count`, plus `extra`.
json::object ListItem(std::string_view name, std::size_t i, std::size_t count,
                      const json::storage_ptr& sp) {
  json::object item(sp);
  item.emplace("name", name);
  item.emplace("number", static_cast<std::uint64_t>(i + 1));
  item.emplace("first", i == 0);
  item.emplace("last", i + 1 == count);
  return item;
}

std::string ThisPassCardholder(const PassInput& input) {
  if (!input.pass->cardholder.empty()) return input.pass->cardholder;
  return input.member->name;
}

json::object OrganizationContext(const PassTypeConfig& c, const json::storage_ptr& sp) {
  json::object o(sp);
  o.reserve(10);
  o.emplace("name", c.organization_name);
  o.emplace("description", c.description);
  o.emplace("logo_text", c.logo_text);
  o.emplace("program_name", c.program_name);
  o.emplace("pass_type_id", c.pass_type_id);
  o.emplace("team_id", c.team_id);
  o.emplace("contact", c.contact);
  o.emplace("has_contact", !c.contact.empty());
  o.emplace("hours", c.hours);
  o.emplace("has_hours", !c.hours.empty());
  return o;
}

json::object ColorsContext(const PassTypeConfig& c, const json::storage_ptr& sp) {
  json::object o(sp);
  o.emplace("foreground", RgbString(c.foreground));
  o.emplace("background", RgbString(c.background));
  o.emplace("label", RgbString(c.label));
  return o;
}

// Sets <key>, <key>_at (W3C, via `to_w3c`) and has_<flag> for an optional YYYY-MM-DD date.
template <class ToW3c>
void AddDate(json::object& o, std::string_view key, std::string_view flag, std::string_view date,
             ToW3c to_w3c) {
  const auto parsed = ParsePassDate(date);
  o.emplace(key, date);
  o.emplace(std::string(key) + "_at", parsed ? to_w3c(*parsed) : std::string());
  o.emplace(std::string("has_") + std::string(flag), parsed.has_value());
}

json::array CardholderList(const PassInput& input, bool others_only, const json::storage_ptr& sp) {
  const auto& all = input.member->cardholders;
  const std::size_t self = input.pass->cardholder_index;
  const std::size_t count = all.size() - (others_only && self < all.size() ? 1 : 0);
  json::array list(sp);
  list.reserve(count);
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (others_only && i == self) continue;
    json::object item = ListItem(all[i], list.size(), count, sp);
    if (!others_only) item.emplace("is_this_pass", i == self);
    list.emplace_back(std::move(item));
  }
  return list;
}

json::object MemberContext(const PassInput& input, const TimeZone& zone,
                           const json::storage_ptr& sp) {
  const MemberData& m = *input.member;
  json::object o(sp);
  o.reserve(26);
  o.emplace("membership_id", m.membership_id);
  o.emplace("level", m.level);
  o.emplace("status", m.status);
  o.emplace("active", m.active);
  o.emplace("name", m.name);
  o.emplace("first_name", m.first_name);
  o.emplace("has_first_name", !m.first_name.empty());
  o.emplace("last_name", m.last_name);
  o.emplace("email", m.email);
  o.emplace("has_email", !m.email.empty());
  AddDate(o, "expires", "expiry", m.expires, [&zone](const CivilDate& d) {
    return zone.EndOfDayW3C(static_cast<int>(d.year), d.month, d.day);
  });
  AddDate(o, "member_since", "member_since", m.member_since, [&zone](const CivilDate& d) {
    return zone.StartOfDayW3C(static_cast<int>(d.year), d.month, d.day);
  });
  o.emplace("cardholders", CardholderList(input, false, sp));
  o.emplace("cardholder_count", static_cast<std::uint64_t>(m.cardholders.size()));
  json::array associates = CardholderList(input, true, sp);
  o.emplace("has_associates", !associates.empty());
  o.emplace("associates", std::move(associates));
  json::array add_ons(sp);
  add_ons.reserve(m.add_ons.size());
  for (std::size_t i = 0; i < m.add_ons.size(); ++i) {
    json::object item = ListItem(m.add_ons[i].name, i, m.add_ons.size(), sp);
    item.emplace("quantity", m.add_ons[i].quantity);
    add_ons.emplace_back(std::move(item));
  }
  o.emplace("has_add_ons", !add_ons.empty());
  o.emplace("add_ons", std::move(add_ons));
  return o;
}

json::object PassDataContext(const PassInput& input, const json::storage_ptr& sp) {
  json::object o(sp);
  o.emplace("serial", input.pass->serial);
  o.emplace("cardholder", ThisPassCardholder(input));
  o.emplace("cardholder_number", static_cast<std::uint64_t>(input.pass->cardholder_index + 1));
  o.emplace("voided", input.pass->voided || !input.member->active);
  return o;
}

json::object BarcodeContext(const PassInput& input, const json::storage_ptr& sp) {
  json::object o(sp);
  o.emplace("format", BarcodeFormatName(input.config->barcode));
  o.emplace("legacy_format", LegacyBarcodeFormatName(input.config->barcode));
  o.emplace("message", input.member->membership_id);
  o.emplace("alt_text", input.member->membership_id);
  o.emplace("encoding", "iso-8859-1");
  return o;
}

// ---- finishing ----

struct LineColumn {
  std::size_t line = 1;
  std::size_t column = 1;
};

LineColumn LocateOffset(std::string_view text, std::size_t offset) {
  LineColumn at;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
  }
  return at;
}

// Up to 40 bytes of the line around `offset`, for error messages.
std::string Snippet(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t begin = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = begin == std::string_view::npos ? 0 : begin + 1;
  begin = std::max(begin, offset > 30 ? offset - 30 : std::size_t{0});
  std::size_t end = text.find('\n', offset);
  end = std::min(end == std::string_view::npos ? text.size() : end, begin + 40);
  std::string snippet(text.substr(begin, end - begin));
  const auto not_space = [](char c) { return c != ' ' && c != '\t'; };
  snippet.erase(snippet.begin(), std::find_if(snippet.begin(), snippet.end(), not_space));
  return snippet;
}

// Parses with a position for errors: the byte offset where parsing stopped.
Result<json::value> ParseRendered(std::string_view rendered, std::string_view template_file,
                                  json::storage_ptr sp) {
  // The parser's own temporary storage starts in a stack buffer; the value goes to `sp`.
  std::array<unsigned char, 4096> temp;
  json::stream_parser parser({}, {}, temp.data(), temp.size());
  parser.reset(std::move(sp));
  json::error_code ec;
  const std::size_t consumed = parser.write(rendered.data(), rendered.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) return parser.release();
  const LineColumn at = LocateOffset(rendered, consumed);
  return Invalid(std::string(template_file) + ": the rendered pass.json is not valid JSON (" +
                 ec.message() + ") at line " + std::to_string(at.line) + ", column " +
                 std::to_string(at.column) + ", near `" + Snippet(rendered, consumed) + "`");
}

Result<void> SetServerKeys(json::object& pass, const PassInput& input) {
  const PassTypeConfig& c = *input.config;
  pass["formatVersion"] = 1;
  pass["passTypeIdentifier"] = c.pass_type_id;
  pass["teamIdentifier"] = c.team_id;
  pass["serialNumber"] = input.pass->serial;
  pass["organizationName"] = c.organization_name;
  pass["description"] = c.description;
  if (c.web_service_url.empty()) {
    pass.erase("webServiceURL");
    pass.erase("authenticationToken");
    return {};
  }
  if (input.authentication_token.size() < kMinAuthenticationTokenLength) {
    return Invalid("pass " + input.pass->serial + ": authenticationToken must have at least " +
                   std::to_string(kMinAuthenticationTokenLength) + " characters");
  }
  pass["webServiceURL"] = c.web_service_url;
  pass["authenticationToken"] = input.authentication_token;
  return {};
}

void SetExpiryAndVoided(json::object& pass, const PassInput& input, const TimeZone& zone) {
  if (const auto expires = ParsePassDate(input.member->expires)) {
    pass["expirationDate"] =
        zone.EndOfDayW3C(static_cast<int>(expires->year), expires->month, expires->day);
  } else {
    pass.erase("expirationDate");
  }
  if (input.pass->voided || input.pass->forgotten || !input.member->active) {
    pass["voided"] = true;
  } else {
    pass.erase("voided");
  }
}

// A forgotten member's pass keeps nothing that could name the person or open a door.
void StripForgotten(json::object& pass, const PassInput& input) {
  if (!input.pass->forgotten) return;
  for (std::string_view key : {"barcodes", "barcode", "nfc", "userInfo"}) pass.erase(key);
}

// Exactly one style; every field an object with a string key, unique across all groups.
Result<void> CheckFields(const json::object& pass, std::string_view template_file) {
  const std::string file(template_file);
  const json::object* style = nullptr;
  std::string_view style_name;
  for (const std::string_view name : kStyles) {
    const json::value* v = pass.if_contains(name);
    if (v == nullptr) continue;
    if (style != nullptr) {
      return Invalid(file + ": pass.json has two pass styles, " + std::string(style_name) +
                     " and " + std::string(name));
    }
    style = v->if_object();
    style_name = name;
    if (style == nullptr) return Invalid(file + ": " + std::string(name) + " is not an object");
  }
  if (style == nullptr) {
    return Invalid(file + ": pass.json has no pass style (generic, storeCard, ...)");
  }
  std::vector<std::pair<std::string_view, std::string_view>> seen;  // key, group
  for (const std::string_view group : kFieldGroups) {
    const json::value* v = style->if_contains(group);
    if (v == nullptr) continue;
    const json::array* fields = v->if_array();
    const std::string where = std::string(style_name) + "." + std::string(group);
    if (fields == nullptr) return Invalid(file + ": " + where + " is not an array");
    for (const json::value& field : *fields) {
      const json::value* key = field.is_object() ? field.get_object().if_contains("key") : nullptr;
      if (key == nullptr || !key->is_string() || key->get_string().empty()) {
        return Invalid(file + ": a field in " + where + " has no string \"key\"");
      }
      const std::string_view k = key->get_string();
      const auto dup =
          std::find_if(seen.begin(), seen.end(), [k](const auto& s) { return s.first == k; });
      if (dup != seen.end()) {
        return Invalid(file + ": field key \"" + std::string(k) + "\" is used twice (" +
                       std::string(dup->second) + " and " + std::string(group) +
                       "); keys must be unique across all field groups");
      }
      seen.emplace_back(k, group);
    }
  }
  return {};
}

}  // namespace

boost::json::object PassContext(const PassInput& input, const TimeZone& zone,
                                boost::json::storage_ptr sp) {
  json::object context(sp);
  context.reserve(5);
  context.emplace("organization", OrganizationContext(*input.config, sp));
  context.emplace("colors", ColorsContext(*input.config, sp));
  context.emplace("member", MemberContext(input, zone, sp));
  context.emplace("pass", PassDataContext(input, sp));
  context.emplace("barcode", BarcodeContext(input, sp));
  return context;
}

boost::json::object PassContext(const PassInput& input) {
  const auto zone = TimeZone::LoadCached(input.config->time_zone);
  return PassContext(input, zone ? *zone : TimeZone::Utc());
}

Result<void> CheckPassInput(const PassInput& input) {
  if (input.config == nullptr || input.member == nullptr || input.pass == nullptr) {
    return Invalid("PassInput needs config, member and pass");
  }
  const MemberData& m = *input.member;
  if (!m.expires.empty() && !ParsePassDate(m.expires)) {
    return Invalid("membership " + m.membership_id + ": expiry \"" + m.expires +
                   "\" is not a YYYY-MM-DD date");
  }
  if (!m.member_since.empty() && !ParsePassDate(m.member_since)) {
    return Invalid("membership " + m.membership_id + ": member-since date \"" + m.member_since +
                   "\" is not a YYYY-MM-DD date");
  }
  return {};
}

Result<std::string> FinishPassJson(std::string_view rendered, const PassInput& input,
                                   const TimeZone& zone, std::string_view template_file) {
  if (auto ok = CheckPassInput(input); !ok) return ok.error();
  // One arena for the parse tree: pass.json is small and every node dies together.
  std::array<unsigned char, 16384> arena;
  json::monotonic_resource resource(arena.data(), arena.size());
  auto parsed = ParseRendered(rendered, template_file, &resource);
  if (!parsed) return parsed.error();
  json::object* pass = parsed->if_object();
  if (pass == nullptr) {
    return Invalid(std::string(template_file) + ": the rendered pass.json is not a JSON object");
  }
  if (auto ok = SetServerKeys(*pass, input); !ok) return ok.error();
  SetExpiryAndVoided(*pass, input, zone);
  StripForgotten(*pass, input);
  if (auto ok = CheckFields(*pass, template_file); !ok) return ok.error();
  return json::serialize(*pass);
}

std::optional<std::size_t> JsonErrorOffset(std::string_view text) {
  json::stream_parser parser;
  json::error_code ec;
  const std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec) return std::nullopt;
  return consumed;
}

std::string RgbString(const Rgb& rgb) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "rgb(%u, %u, %u)", unsigned{rgb.r}, unsigned{rgb.g},
                unsigned{rgb.b});
  return buffer;
}

std::string_view BarcodeFormatName(BarcodeFormat format) {
  switch (format) {
    case BarcodeFormat::kPdf417:
      return "PKBarcodeFormatPDF417";
    case BarcodeFormat::kQr:
      return "PKBarcodeFormatQR";
    case BarcodeFormat::kAztec:
      return "PKBarcodeFormatAztec";
    case BarcodeFormat::kCode128:
      return "PKBarcodeFormatCode128";
  }
  return "PKBarcodeFormatPDF417";
}

std::string_view LegacyBarcodeFormatName(BarcodeFormat format) {
  return format == BarcodeFormat::kCode128 ? BarcodeFormatName(BarcodeFormat::kPdf417)
                                           : BarcodeFormatName(format);
}

std::optional<CivilDate> ParsePassDate(std::string_view text) {
  const auto date = ParseIsoDate(text);
  if (!date || date->year < 1000) return std::nullopt;
  return date;
}

}  // namespace passledger::signer

// pass.json for one pass, in two steps around the Mustache render:
//  - PassContext: the values a template may use ({{member.name}}, {{pass.serial}}, ...);
//    every name is documented in docs/TEMPLATES.md.
//  - FinishPassJson: parses the rendered text and sets what code owns, whatever the template
//    says: formatVersion, passTypeIdentifier, teamIdentifier, serialNumber, organizationName,
//    description, webServiceURL + authenticationToken, expirationDate and voided; for a
//    forgotten member's pass it removes barcodes, barcode, nfc and userInfo. It also
//    checks that exactly one pass style is present and that field keys are unique across all
//    of its field groups.
// Pure functions of their arguments; thread-safe. PassInput's pointers are only read during
// the call.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"
#include "signer/pass_input.h"
#include "signer/time_zone.h"

namespace passledger::signer {

// Apple requires at least 16 characters for authenticationToken.
inline constexpr std::size_t kMinAuthenticationTokenLength = 16;

// The Mustache context of one pass; dates are placed in `zone`. Allocates from `sp`.
// REQUIRES: CheckPassInput(input) succeeded.
boost::json::object PassContext(const PassInput& input, const TimeZone& zone,
                                boost::json::storage_ptr sp = {});

// The same, in the zone named by input.config->time_zone (through TimeZone::LoadCached).
// If that name does not load, dates are placed in UTC; this changes no displayed day, since
// the date fields ignore time zones, and FinishPassJson still needs a real zone.
// REQUIRES: CheckPassInput(input) succeeded.
boost::json::object PassContext(const PassInput& input);

// kInvalidArgument unless config, member and pass are set, and member.expires and
// member.member_since are empty or valid YYYY-MM-DD dates.
Result<void> CheckPassInput(const PassInput& input);

// Parses `rendered` (the template's output), sets the server-owned keys, checks the field
// keys and serialises. `template_file` names the template in errors. kInvalidArgument for
// text that is not a JSON object, no or several pass styles, a field without a string key,
// a duplicate field key, or a token shorter than kMinAuthenticationTokenLength while the
// config has a web service URL. With an empty web_service_url, webServiceURL and
// authenticationToken are left out (the pass then never updates).
Result<std::string> FinishPassJson(std::string_view rendered, const PassInput& input,
                                   const TimeZone& zone, std::string_view template_file);

// The byte offset at which `text` stops being one valid JSON value; nullopt if it is one.
std::optional<std::size_t> JsonErrorOffset(std::string_view text);

// "rgb(38, 84, 58)", the colour syntax of pass.json.
std::string RgbString(const Rgb& rgb);

// "PKBarcodeFormatPDF417", ... for the `barcodes` array.
std::string_view BarcodeFormatName(BarcodeFormat format);
// The same for the legacy `barcode` key, which cannot hold Code 128: PDF417 stands in.
std::string_view LegacyBarcodeFormatName(BarcodeFormat format);

// A member's expiry or member-since date: a YYYY-MM-DD date (base/time.h's ParseIsoDate) in
// the years 1000-9999; nullopt otherwise.
std::optional<CivilDate> ParsePassDate(std::string_view text);

}  // namespace passledger::signer

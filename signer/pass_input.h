// What one pass is made of, as plain values. A handler reads the member and pass state from
// the projections and the pass type's look from the configuration; signer/ turns them into a
// signed .pkpass and knows nothing about the database. Plain structs: copy freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace passledger::signer {

struct Rgb {
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  bool operator==(const Rgb&) const = default;
};

enum class BarcodeFormat { kPdf417, kQr, kAztec, kCode128 };

// One pass type: identifiers, the organisation's texts and colours (from the config file).
struct PassTypeConfig {
  std::string pass_type_id = "pass.org.example.member";  // must equal the certificate's UID
  std::string team_id = "PLDEVTEAM1";                     // must equal the certificate's OU
  std::string organization_name = "PassLedger Botanical Garden";
  std::string description = "Membership card";
  std::string logo_text = "Botanical Garden";
  std::string program_name = "Garden Membership";  // semantics.membershipProgramName
  Rgb foreground{255, 255, 255};
  Rgb background{38, 84, 58};
  Rgb label{200, 230, 201};
  BarcodeFormat barcode = BarcodeFormat::kPdf417;
  std::string web_service_url = "http://127.0.0.1:8080";  // Apple needs https; no /v1
  std::string time_zone = "UTC";  // IANA name: expiry = end of the expiry day there
  std::string contact;            // back field, e.g. "Member services: +1 555 0100"
  std::string hours;              // back field, e.g. "Open daily 9–17"
};

struct AddOn {
  std::string name;
  std::string quantity;  // text as exported ("10" stays "10")
};

// The member as the projections hold it (personal fields already unsealed).
struct MemberData {
  std::string membership_id;
  std::string level;
  std::string expires;  // YYYY-MM-DD; empty when unknown
  std::string status;   // as exported, e.g. "Active"
  bool active = true;
  std::string name;  // display name (first + last, or the organisation name)
  std::string first_name;
  std::string last_name;
  std::string email;
  std::vector<std::string> cardholders;  // every cardholder of the membership, in order
  std::vector<AddOn> add_ons;
  std::string member_since;  // YYYY-MM-DD; empty when unknown
};

// One pass of that member.
struct PassData {
  std::string serial;
  std::size_t cardholder_index = 0;
  std::string cardholder;  // this pass's cardholder name
  std::uint64_t token_generation = 1;
  bool voided = false;
  // A forgotten member's pass (with an empty MemberData): rendered void, without barcode or
  // NFC payload, whatever the template says.
  bool forgotten = false;
  std::uint64_t content_position = 0;  // position of the last content change
  std::int64_t last_modified_s = 0;    // Unix seconds of that change
};

// Everything a render needs. The pointers are borrowed for the duration of the call.
struct PassInput {
  const PassTypeConfig* config = nullptr;
  const MemberData* member = nullptr;
  const PassData* pass = nullptr;
  std::string authentication_token;  // see signer/auth_token.h
};

}  // namespace passledger::signer

#include "projections/member_fields.h"

#include <algorithm>

#include "base/bytes.h"
#include "base/crypto.h"

namespace passledger::projections {

// The hashed bytes: each field length-prefixed, in a fixed order, with a presence byte for
// the personal part; so no two different records hash the same input.
std::string MemberRowHash(const MemberView& m) {
  std::string canonical;
  auto text = [&](std::string_view s) { PutVarBytes(&canonical, s); };
  text(m.level);
  text(m.status);
  canonical.push_back(m.active ? '1' : '0');
  text(m.expires);
  PutVarU64(&canonical, m.add_ons.size());
  for (const auto& a : m.add_ons) {
    text(a.name);
    text(std::to_string(a.quantity));
  }
  canonical.push_back(m.emailable ? '1' : '0');
  canonical.push_back(m.personal ? 'P' : '-');
  if (m.personal) {
    const MemberPersonal& p = *m.personal;
    for (const std::string* s : {&p.name, &p.first_name, &p.last_name, &p.email,
                                 &p.address.line1, &p.address.line2, &p.address.city,
                                 &p.address.state, &p.address.zip}) {
      text(*s);
    }
    PutVarU64(&canonical, p.cardholders.size());
    for (const auto& c : p.cardholders) text(c);
  }
  return passledger::ToHex(passledger::Sha256(canonical));
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> SearchTerms(const MemberPersonal& personal) {
  constexpr std::size_t kMaxTerm = 64;
  std::vector<std::string> terms;
  auto add = [&](std::string term) {
    if (term.empty()) return;
    if (term.size() > kMaxTerm) term.resize(kMaxTerm);
    terms.push_back(std::move(term));
  };
  for (const std::string* field : {&personal.name, &personal.first_name, &personal.last_name}) {
    std::string word;
    for (char c : *field) {
      // Split on ASCII separators; bytes >= 0x80 (UTF-8) belong to words.
      const bool separator = c == ' ' || c == ',' || c == '.' || c == '-' || c == '\'' ||
                             c == '"' || c == '/' || c == '&' || c == '(' || c == ')';
      if (separator) {
        add(LowerAscii(word));
        word.clear();
      } else {
        word.push_back(c);
      }
    }
    add(LowerAscii(word));
  }
  add(LowerAscii(personal.email));
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace passledger::projections

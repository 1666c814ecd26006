#include "projections/member_fields.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "base/crypto.h"

namespace passledger::projections {

std::string MemberRowHash(const boost::json::object& public_fields,
                          const boost::json::object* personal) {
  boost::json::array canonical;
  for (auto field : kPublicMemberFields) {
    const auto* v = public_fields.if_contains(field);
    canonical.push_back(v ? *v : boost::json::value(nullptr));
  }
  for (auto field : kPersonalMemberFields) {
    const auto* v = personal ? personal->if_contains(field) : nullptr;
    canonical.push_back(v ? *v : boost::json::value(nullptr));
  }
  return passledger::ToHex(passledger::Sha256(boost::json::serialize(canonical)));
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> SearchTerms(const boost::json::object& personal) {
  constexpr std::size_t kMaxTerm = 64;
  std::vector<std::string> terms;
  auto add = [&](std::string term) {
    if (term.empty()) return;
    if (term.size() > kMaxTerm) term.resize(kMaxTerm);
    terms.push_back(std::move(term));
  };
  for (auto field : {"name", "firstName", "lastName"}) {
    const auto* v = personal.if_contains(field);
    if (!v || !v->is_string()) continue;
    std::string word;
    for (char c : std::string_view(v->as_string())) {
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
  if (const auto* email = personal.if_contains("email"); email && email->is_string()) {
    add(LowerAscii(email->as_string()));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

}  // namespace passledger::projections

// Small text helpers for HTTP header values (RFC 9110 §5.6): optional whitespace and
// case-insensitive tokens. Pure functions; safe from any thread.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace passledger::http {

// `text` without leading and trailing spaces and tabs (OWS).
inline std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// ASCII case-insensitive equality (header names, media types, parameter names).
inline bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace passledger::http

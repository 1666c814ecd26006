// libFuzzer target: CheckAddress and Compose (mail/address.h, mail/message.h), whose inputs come
// from rosters, templates and operators. The input is split at NUL bytes into the fields: the
// recipient address, its display name, the subject, the message id, List-Unsubscribe, the
// text, the HTML, an attachment's file name, content type and bytes. Properties, each aborting
// when violated:
//  - CheckAddress never crashes; an accepted address is at most 254 bytes of printable ASCII
//    without spaces, holds an @, and is accepted again unchanged.
//  - Compose never crashes, and refuses every message whose recipient CheckAddress refuses.
//  - A composed message is ASCII, every CR is followed by LF and every LF preceded by CR, no
//    line exceeds 998 octets, and composing again gives the same bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/address.h"
#include "mail/message.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace passledger::mail;

std::vector<std::string> Fields(std::string_view input, std::size_t count) {
  std::vector<std::string> fields;
  while (fields.size() + 1 < count) {
    const std::size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    fields.emplace_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  fields.emplace_back(input);
  fields.resize(count);
  return fields;
}

void CheckAcceptedAddress(const std::string& address) {
  FUZZ_CHECK(address.size() <= kMaxAddress);
  FUZZ_CHECK(address.find('@') != std::string::npos);
  for (const char c : address) FUZZ_CHECK(c > ' ' && c < 0x7f);
  const auto again = CheckAddress(address);
  FUZZ_CHECK(again && *again == address);
}

void CheckComposed(const std::string& bytes, const Message& m) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    FUZZ_CHECK(c < 0x80);
    if (c == '\r') FUZZ_CHECK(i + 1 < bytes.size() && bytes[i + 1] == '\n');
    if (c == '\n') {
      FUZZ_CHECK(i > 0 && bytes[i - 1] == '\r');
      line = 0;
      continue;
    }
    if (c != '\r') FUZZ_CHECK(++line <= 998);
  }
  const auto again = Compose(m);
  FUZZ_CHECK(again && *again == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> f = Fields(input, 10);
  const auto address = CheckAddress(f[0]);
  if (address) CheckAcceptedAddress(*address);

  Message m;
  m.from = {"members@garden.example", "Garden Friends"};
  m.to = {f[0], f[1]};
  m.subject = f[2];
  m.date_unix_s = 1700000000;
  m.message_id = f[3].empty() ? "pl-1@garden.example" : f[3];
  m.list_unsubscribe = f[4];
  m.text = f[5];
  m.html = f[6];
  if (!f[7].empty()) m.attachments.push_back({f[7], f[8], f[9]});
  const auto bytes = Compose(m);
  if (!address) FUZZ_CHECK(!bytes);
  if (bytes) CheckComposed(*bytes, m);
  return 0;
}

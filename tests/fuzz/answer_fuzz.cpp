// libFuzzer target: APNs response bodies (apns/answer.h), which come from the network. The
// first two bytes pick the status (mod 600), the rest is the body. Properties, each aborting
// when violated:
//  - Parsing never crashes and never fails; a body over 4 KiB yields no fields.
//  - The status is kept as given, and the verdict is a named one.
//  - A registration is removed (kUnregistered, kBadDeviceToken) only for 410, or for 400 with
//    the reason BadDeviceToken; 200 and only 200 is delivered.
#include <cstdint>
#include <string_view>

#include "apns/answer.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const int status = ((data[0] << 8) | data[1]) % 600;
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  using namespace passledger::apns;
  const Answer answer = ParseAnswer(status, body);
  FUZZ_CHECK(answer.status == status);
  if (body.size() > 4096) FUZZ_CHECK(answer.reason.empty() && !answer.timestamp_ms);
  const Verdict verdict = Judge(answer);
  FUZZ_CHECK(VerdictName(verdict) != "unknown");
  FUZZ_CHECK((verdict == Verdict::kDelivered) == (status == 200));
  if (verdict == Verdict::kUnregistered) FUZZ_CHECK(status == 410);
  if (verdict == Verdict::kBadDeviceToken) {
    FUZZ_CHECK(status == 400 && answer.reason == "BadDeviceToken");
  }
  return 0;
}

// libFuzzer target: envelope records as read from disk (DecodeRecord, ViewRecord,
// ChainVerifier). Properties: no crash or sanitizer report on any input; whatever decodes
// re-encodes to exactly the same bytes (the encoding is canonical); ViewRecord agrees with
// DecodeRecord.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "events/chain_verifier.h"
#include "events/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace passledger::events;
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeRecord(record);
  auto view = ViewRecord(record);
  if (decoded) {
    if (EncodeRecord(*decoded) != record) std::abort();
    if (!view || view->position != decoded->position || view->prev_hash != decoded->prev_hash ||
        view->stored_hash != decoded->hash) {
      std::abort();
    }
  }
  ChainVerifier verifier(1, GenesisHash());
  verifier.Feed(1, record);
  verifier.Finish(1);
  return 0;
}

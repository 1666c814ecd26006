// libFuzzer target: the view record decoders (projections/view_codec.h), which read whatever
// the views' column family holds — a damaged disk, a hand-copied directory. Byte 0 picks the
// record type (mod 7), the rest is the stored value. Properties, each aborting when violated:
//  - Decoding never crashes, reads past the end or allocates by an unchecked count (ASan).
//  - A failure is kCorruption and names the record's id.
//  - A success is canonical: encoding the record gives back exactly the input bytes.
//  - For members, the summary agrees with the full record (row hash, flags, enrolment), and
//    the summary succeeds whenever the full decode does.
#include <cstdint>
#include <string>
#include <string_view>

#include "projections/view_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace codec = passledger::projections::codec;
using passledger::ErrorCode;

constexpr std::string_view kId = "id-7";

template <class R>
void Check(const R& decoded, std::string_view bytes) {
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code == ErrorCode::kCorruption);
    return;
  }
  FUZZ_CHECK(codec::Encoded(*decoded) == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto member = codec::DecodeMember(kId, bytes);
      Check(member, bytes);
      if (!member) {
        FUZZ_CHECK(member.error().message.find(kId) != std::string::npos);
      }
      auto summary = codec::DecodeMemberSummary(kId, bytes);
      if (member) {
        FUZZ_CHECK(summary.has_value());
        FUZZ_CHECK(summary->row_hash == member->row_hash);
        FUZZ_CHECK(summary->enrolled == member->enrolled());
        FUZZ_CHECK(summary->left_roster == member->left_roster);
        FUZZ_CHECK(summary->forgotten == member->forgotten);
        FUZZ_CHECK(member->membership_id == kId);
      }
      break;
    }
    case 1:
      Check(codec::DecodePass(kId, bytes), bytes);
      break;
    case 2:
      Check(codec::DecodeDevice(kId, bytes), bytes);
      break;
    case 3:
      Check(codec::DecodeImport(kId, bytes), bytes);
      break;
    case 4:
      Check(codec::DecodeStaff(kId, bytes), bytes);
      break;
    case 5:
      Check(codec::DecodeTemplate(kId, bytes), bytes);
      break;
    default:
      Check(codec::DecodeCounts(bytes), bytes);
      break;
  }
  return 0;
}

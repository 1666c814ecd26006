// libFuzzer target: the .pkpass reader and inspector (signer/pkpass.h, pkpass_inspect.h) —
// `passledger pass inspect` reads files anyone can hand us. The input is the zip's bytes.
// Properties, each aborting when violated:
//  - ReadPkpass either fails with kInvalidArgument or kTooLarge, or returns entries whose
//    names are safe (not absolute, no "..", no backslash), distinct, within the limits, and
//    whose sha1_hex is the SHA-1 of their bytes.
//  - InspectPkpass (no CA file) fails exactly when ReadPkpass fails; a report with no
//    problems has pass.json, manifest.json, signature and icon.png and a verified signature.
//  - Zipping the entries again (ZipBundle) and reading them back gives the same entries.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "signer/pkpass.h"
#include "signer/pkpass_inspect.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using passledger::ErrorCode;
namespace signer = passledger::signer;

bool SafeName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) {
    return false;
  }
  return name != ".." && !name.starts_with("../") && name.find("/../") == std::string_view::npos &&
         !name.ends_with("/..");
}

bool Lists(const std::vector<std::string>& files, std::string_view name) {
  for (const auto& f : files) {
    if (f == name) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  signer::PkpassLimits limits;
  limits.max_total_bytes = 4u << 20;  // keeps each run fast
  auto files = signer::ReadPkpass(bytes, limits);
  auto report = signer::InspectPkpass(bytes, std::nullopt);
  if (!files) {
    FUZZ_CHECK(files.error().code == ErrorCode::kInvalidArgument ||
               files.error().code == ErrorCode::kTooLarge);
    return 0;
  }
  std::set<std::string> names;
  std::uint64_t total = 0;
  for (const auto& file : *files) {
    FUZZ_CHECK(SafeName(file.path));
    FUZZ_CHECK(names.insert(file.path).second);
    FUZZ_CHECK(file.sha1_hex == signer::Sha1Hex(file.bytes));
    total += file.bytes.size();
  }
  FUZZ_CHECK(total <= limits.max_total_bytes);
  FUZZ_CHECK(files->size() <= limits.max_entries);

  // The inspector's default limits are larger, so it may read what the reader above refused
  // only for size; with these entries it must succeed.
  FUZZ_CHECK(report.has_value());
  if (report->ok()) {
    for (auto name : {"pass.json", "manifest.json", "signature", "icon.png"}) {
      FUZZ_CHECK(Lists(report->files, name));
    }
    FUZZ_CHECK(report->signature_verified);
  }

  std::vector<const signer::BundleFile*> pointers;
  for (const auto& file : *files) pointers.push_back(&file);
  auto zipped = signer::ZipBundle(pointers, 1'800'000'000);
  FUZZ_CHECK(zipped.has_value());
  auto again = signer::ReadPkpass(*zipped);
  FUZZ_CHECK(again.has_value() && again->size() == files->size());
  for (std::size_t i = 0; i < files->size(); ++i) {
    FUZZ_CHECK((*again)[i].path == (*files)[i].path);
    FUZZ_CHECK((*again)[i].bytes == (*files)[i].bytes);
  }
  return 0;
}

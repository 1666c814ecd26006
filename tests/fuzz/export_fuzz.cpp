// libFuzzer target: export files as `passledger verify --file` reads them (VerifyExport,
// EnvelopeFromExportLine). Properties: no crash or sanitizer report on any input; a line the
// decoder accepts, exported again, decodes to exactly the same envelope record.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "events/envelope.h"
#include "events/envelope_json.h"
#include "events/export_format.h"
#include "events/export_verifier.h"

namespace {

using namespace passledger::events;

// Re-exports every line that decodes and checks that it decodes to the same record.
void CheckLinesRoundTrip(std::string_view text) {
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(line, ec, {}, ExportParseOptions());
    if (ec || !value.is_object()) continue;
    auto envelope = EnvelopeFromExportLine(value.as_object());
    if (!envelope) continue;
    const RecordedEvent event{*envelope, envelope->schema_version, {}, PersonalState::kNone, {}};
    auto again = EnvelopeJson(event, ExportLineOptions(false));
    if (!again) continue;  // payload_text that the log's own reader would refuse
    boost::json::value reparsed =
        boost::json::parse(boost::json::serialize(*again), ec, {}, ExportParseOptions());
    if (ec || !reparsed.is_object()) std::abort();
    auto back = EnvelopeFromExportLine(reparsed.as_object());
    if (!back || EncodeRecord(*back) != EncodeRecord(*envelope)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  const ExportVerifyReport report = VerifyExport(in);
  if (report.ok() != report.problem.empty()) std::abort();
  if (report.checked > report.lines) std::abort();
  CheckLinesRoundTrip(text);
  return 0;
}

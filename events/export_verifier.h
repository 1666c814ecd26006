// ExportVerifier: verifies an export file (export_format.h) offline, without the database.
//
// The lines must hold consecutive positions from the first line's position; each line's
// envelope is rebuilt and fed to a ChainVerifier, which recomputes its hash and checks that it
// links to the line before. A file that starts at position 1 must start from the genesis
// hash; a file that starts later is anchored at its first line's prev_hash, which the report
// names so it can be compared with a digest or an earlier export. Verification stops at the
// first problem and names the position (or, for a line that is not an event, the line).
//
// What an export alone cannot prove: that lines were not dropped from its end, or that the
// whole chain was not recomputed by whoever wrote the file. Compare the reported head hash
// with a signed digest (`passledger digest`) for that.
//
// Not thread-safe; one instance per file. VerifyExport reads one line at a time, so memory
// stays bounded by kMaxExportLineBytes whatever the file size.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "events/chain_verifier.h"
#include "events/crypto.h"

namespace passledger::events {

struct ExportVerifyReport {
  std::uint64_t lines = 0;    // lines read
  std::uint64_t checked = 0;  // events whose hash verified
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;  // of the last verified event
  Hash anchor{};                    // prev_hash of the first event
  Hash head{};                      // hash of the last verified event

  // Set at the first problem: the position when the line is an event, else the line number.
  std::optional<std::uint64_t> bad_position;
  std::optional<std::uint64_t> bad_line;
  std::string problem;

  bool ok() const { return problem.empty(); }
};

class ExportVerifier {
 public:
  // Feeds the next line, without its '\n'. Returns false at the first problem; later calls
  // keep returning false.
  bool FeedLine(std::string_view line);
  // Records a problem the reader found with the next line instead of feeding it: too long,
  // unreadable, or cut short (an export always ends with a newline). Returns false.
  bool RejectLine(std::string problem);

  const ExportVerifyReport& report() const { return report_; }

 private:
  bool FailAtLine(std::string problem);
  bool FailAtPosition(std::uint64_t position, std::string problem);

  std::optional<ChainVerifier> chain_;  // from the first event on
  ExportVerifyReport report_;
};

// Reads `in` to its end through an ExportVerifier. A read error is reported as a problem at
// the line being read.
ExportVerifyReport VerifyExport(std::istream& in);

}  // namespace passledger::events

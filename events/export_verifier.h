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
// whole chain was not recomputed by whoever wrote the file. RequireHash anchors the file to a
// signed digest (`passledger digest`): the file must then contain the digest's position with
// the digest's hash.
//
// What the chain covers: each line's envelope, its payload and its sealed ciphertext. What it
// does not: the revealed plaintext (`personal`, added by `export --reveal`), which anyone
// could have edited; a RevealedChecker (given the key) compares it with the ciphertext.
//
// Not thread-safe; one instance per file. VerifyExport reads one line at a time, so memory
// stays bounded by kMaxExportLineBytes whatever the file size.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "events/chain_verifier.h"
#include "base/crypto.h"
#include "events/envelope.h"

namespace passledger::events {

struct ExportVerifyReport {
  std::uint64_t lines = 0;    // lines read
  std::uint64_t checked = 0;  // events whose hash verified
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;       // of the last verified event
  Hash anchor{};                         // prev_hash of the first event
  Hash head{};                           // hash of the last verified event
  std::uint64_t sealed = 0;              // verified events with a sealed part (covered)
  std::uint64_t revealed = 0;            // lines with revealed plaintext (not covered by the chain)
  std::uint64_t forgotten = 0;           // lines whose personal part is shown as "forgotten"
  std::uint64_t revealed_matched = 0;    // revealed parts a RevealedChecker matched
  std::uint64_t revealed_unchecked = 0;  // revealed parts it could not check
  std::string unchecked_reason;          // why, for the first of them
  bool required_found = false;           // RequireHash's position was in the file

  // Set at the first problem: the position when the line is an event, else the line number
  // (neither for a problem with the file as a whole: no events, no required position).

  std::optional<std::uint64_t> bad_position;
  std::optional<std::uint64_t> bad_line;
  std::string problem;

  bool ok() const { return problem.empty(); }
};

// Compares a revealed personal part (upcast to `schema_version`) with the plaintext of the
// event's sealed ciphertext. Returns true when they are equal, false when they differ, and an
// error when it cannot tell (no key, the subject forgotten, another log).
using RevealedChecker = std::function<Result<bool>(
    const Envelope& envelope, const boost::json::object& personal, std::uint32_t schema_version)>;

struct ExportVerifyOptions {
  // The file must contain this position with this hash (a digest; position 0 = the genesis
  // hash, which a file starting at position 1 hangs on).
  std::optional<std::pair<std::uint64_t, Hash>> required;
  RevealedChecker check_revealed;  // empty: revealed parts are counted, not checked
};

class ExportVerifier {
 public:
  explicit ExportVerifier(ExportVerifyOptions options = {}) : options_(std::move(options)) {}

  // Feeds the next line, without its '\n'. Returns false at the first problem; later calls
  // keep returning false.
  bool FeedLine(std::string_view line);
  // Records a problem the reader found with the next line instead of feeding it: too long,
  // unreadable, or cut short (an export always ends with a newline). Returns false.
  bool RejectLine(std::string problem);
  // After the last line: a file without events, or without the required position, fails.
  bool Finish();

  const ExportVerifyReport& report() const { return report_; }

 private:
  bool FailAtLine(std::string problem);
  bool FailAtPosition(std::uint64_t position, std::string problem);
  bool CheckPersonal(const Envelope& envelope, const boost::json::object& line);

  ExportVerifyOptions options_;

  std::optional<ChainVerifier> chain_;  // from the first event on
  ExportVerifyReport report_;
};

// Reads `in` to its end through an ExportVerifier and Finish()es it. A read error is reported
// as a problem at the line being read.
ExportVerifyReport VerifyExport(std::istream& in, ExportVerifyOptions options = {});

}  // namespace passledger::events

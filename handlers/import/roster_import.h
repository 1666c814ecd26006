// The roster import as a job (docs/IMPORT.md, "The job"): reads a whole export (nothing is
// written for a file that is rejected), diffs every membership against the projections, and
// appends the changes as events in atomic chunks — all events of one membership in the same
// chunk — framed by ImportStarted and ImportCompleted (or ImportFailed).
//
// Idempotent and resumable: the diff is against the current views, so the same rows imported
// again write no member or pass events, and re-running an import that was interrupted (crash,
// kill, disk full) finishes the same job (same import id: the file's SHA-256 and a counter)
// without writing anything twice. Used by `passledger import` and, later, the HTTP upload.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "base/error.h"
#include "events/event_log.h"
#include "handlers/import/roster_config.h"
#include "handlers/import/roster_reader.h"
#include "projections/projections.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// Pulls the file's bytes: each call returns the next piece, an empty view at the end. A view
// stays valid until the next call.
using ByteSource = std::function<Result<std::string_view>()>;
ByteSource MemorySource(std::string_view bytes);
// Reads `path` in 1 MiB blocks; a missing or unreadable file is an error on the first call.
ByteSource FileSource(const std::filesystem::path& path);

struct ImportProgress {
  enum class Phase { kReading, kApplying, kDone };
  Phase phase = Phase::kReading;
  std::uint64_t bytes = 0, total_bytes = 0;  // reading (total 0 when unknown)
  std::uint64_t rows = 0;
  std::uint64_t memberships_done = 0, memberships_total = 0;  // applying
  std::uint64_t events = 0;                                   // events written so far
};

struct ImportOptions {
  std::string file_name;  // as the user named it (recorded in ImportStarted)
  std::string actor = "system:import";
  bool dry_run = false;              // compute and report, write nothing
  std::size_t preview_changes = 20;  // how many change lines the summary keeps
  std::uint64_t total_bytes = 0;     // for progress, when known
  std::function<void(const ImportProgress&)> progress;
};

struct ImportCounts {
  std::uint64_t rows = 0, memberships = 0;
  std::uint64_t enrolled = 0, changed = 0, lapsed = 0, reinstated = 0, left = 0, unchanged = 0;
  std::uint64_t rejected_rows = 0, rejected_memberships = 0;
  std::uint64_t forgotten_skipped = 0;  // forgotten members are never re-created
  std::uint64_t passes_issued = 0, passes_revised = 0, passes_voided = 0, passes_unvoided = 0;
  std::uint64_t not_emailable = 0;  // memberships whose e-mail address is missing or malformed
};

struct ImportSummary {
  std::string import_id;
  bool dry_run = false;
  bool resumed = false;  // an interrupted run of the same file was finished
  ImportCounts counts;
  std::uint64_t events = 0;           // events written by this run
  std::vector<RejectedRow> rejected;  // every rejected row, in line order
  std::vector<std::string> changes;   // the first few changes, without personal data
  std::string left_skipped;           // why departures were not applied, if they were not
};

// The JSON forms of a summary (the admin API's, and ImportCompleted's "counts"). Rejected rows
// carry no personal data (RejectedRow::value is empty for personal columns).
boost::json::object ImportCountsJson(const ImportCounts& counts);
boost::json::object ImportSummaryJson(const ImportSummary& summary);

// Which job an import of a file runs as: the newest job of the file if it never finished
// (resumed), else a new one, "<first 16 hex of the file's SHA-256>-<k>" for the next k.
struct ImportJobSlot {
  std::string import_id;
  bool resumed = false;
  std::uint64_t started_position = 0;  // of the resumed job's ImportStarted
  std::string previous;                // the newest earlier job of the file; empty if none
};
[[nodiscard]] Result<ImportJobSlot> FindImportJob(const projections::ReadModel& views,
                                                  std::string_view sha256);

class RosterImporter {
 public:
  // `log` and `projections` are borrowed (the log must have the projections attached).
  RosterImporter(events::EventLog* log, const projections::Projections* projections,
                 ImportConfig config);

  // A rejected file: kInvalidArgument / kTooLarge, nothing written. Other errors after the
  // job started: ImportFailed is appended when possible; running again resumes.
  [[nodiscard]] Result<ImportSummary> Run(const ByteSource& source,
                                          const ImportOptions& options) const;

  // Reads and checks a whole file without looking at the views (the first half of Run).
  [[nodiscard]] Result<Roster> Read(const ByteSource& source, const ImportOptions& options) const;

 private:
  events::EventLog* log_;
  const projections::Projections* projections_;
  ImportConfig config_;
};

}  // namespace passledger::handlers

#include "handlers/import/roster_import.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "events/catalogue.h"
#include "base/crypto.h"
#include "handlers/import/roster_diff.h"
#include "projections/read_model.h"

namespace passledger::handlers {
namespace {

namespace ev = passledger::events;
using boost::json::object;

constexpr std::size_t kReadBlock = 1 << 20;
constexpr std::uint64_t kProgressBytes = 8 << 20;
constexpr std::size_t kMaxChunkEvents = 20'000;
constexpr int kChunksInFlight = 2;

std::string_view Str(const object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

// A fresh pass serial: 20 uppercase hex digits from the CSPRNG (unguessable, URL-safe).
std::string NewSerial() {
  std::array<std::uint8_t, 10> bytes{};
  passledger::RandomBytes(bytes);
  std::string hex = passledger::ToHex(bytes);
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

// The member's record and passes as RosterDiff needs them.
Result<ExistingMember> LoadExisting(const projections::ReadModel& views, std::string_view id) {
  auto member = views.Member(id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kCorruption,
                     "member " + std::string(id) + " vanished from the views during the import");
  }
  auto passes = views.PassesOfMember(id);
  if (!passes) return passes.error();
  ExistingMember existing{std::move(**member), {}};
  for (auto& p : *passes) {
    existing.passes.push_back(ExistingPass{std::move(p.serial), p.cardholder_index,
                                           std::move(p.cardholder), p.voided,
                                           std::move(p.void_reason)});
  }
  return existing;
}


// Outcomes of memberships already applied by an interrupted run of the same job, read back
// from the log (member events carry the import id).
Result<std::unordered_map<std::string, Outcome>> PriorOutcomes(const ev::EventLog& log,
                                                               std::uint64_t from,
                                                               std::string_view import_id) {
  std::unordered_map<std::string, Outcome> outcomes;
  auto rank = [](Outcome o) {
    switch (o) {
      case Outcome::kEnrolled:
        return 5;
      case Outcome::kLeft:
        return 4;
      case Outcome::kReinstated:
        return 3;
      case Outcome::kLapsed:
        return 2;
      case Outcome::kChanged:
        return 1;
      default:
        return 0;
    }
  };
  for (std::uint64_t next = from;;) {
    auto events = log.ReadRange(next, 10'000);
    if (!events) return events.error();
    if (events->empty()) break;
    for (const auto& e : *events) {
      if (Str(e.payload, "importId") != import_id) continue;
      const std::string& type = e.envelope.type;
      Outcome o = Outcome::kUnchanged;
      if (type == ev::kMemberEnrolled) o = Outcome::kEnrolled;
      if (type == ev::kMemberChanged) o = Outcome::kChanged;
      if (type == ev::kMemberLapsed) o = Outcome::kLapsed;
      if (type == ev::kMemberReinstated) o = Outcome::kReinstated;
      if (type == ev::kMemberLeftRoster) o = Outcome::kLeft;
      if (o == Outcome::kUnchanged) continue;
      Outcome& kept = outcomes[std::string(Str(e.payload, "membershipId"))];
      if (rank(o) > rank(kept)) kept = o;
    }
    next = events->back().envelope.position + 1;
  }
  return outcomes;
}

// A request on the job's own stream with one event of the job (no personal data).
ev::AppendRequest JobRequest(std::string_view import_id, std::string_view actor,
                             std::string_view type, object payload) {
  ev::AppendRequest request;
  request.stream = "import-" + std::string(import_id);
  request.actor = std::string(actor);
  payload["importId"] = import_id;
  request.events.push_back(ev::NewEvent{std::string(type), 0, std::move(payload), {}, {}});
  return request;
}

// One run of a job: folds plans into chunks and appends them.
class ImportRun {
 public:
  ImportRun(ev::EventLog* log, const ImportConfig& config, const ImportOptions& options,
            ImportSummary& summary)
      : log_(log), config_(config), options_(options), summary_(summary) {}

  void set_prior(std::unordered_map<std::string, Outcome> prior) { prior_ = std::move(prior); }
  void set_total(std::uint64_t memberships) { progress_.memberships_total = memberships; }

  Result<void> Add(std::string_view id, MembershipPlan plan) {
    Count(id, plan);
    ++progress_.memberships_done;
    if (plan.requests.empty()) {
      if (progress_.memberships_done % 10'000 == 0) Report();
      return {};
    }
    if (summary_.changes.size() < options_.preview_changes)
      summary_.changes.push_back(plan.preview);
    chunk_events_ += plan.events();
    for (auto& r : plan.requests) chunk_.push_back(std::move(r));
    if (++chunk_memberships_ >= config_.memberships_per_chunk || chunk_events_ >= kMaxChunkEvents) {
      return Flush();
    }
    return {};
  }

  // Hands the current chunk to the writer without waiting for it (at most kChunksInFlight
  // chunks are in flight): building the next chunk overlaps with writing this one. Chunks are
  // independent (no membership spans two), so a failed one never spoils the others; the
  // first failure is reported by the next call and by Finish().
  Result<void> Flush() {
    if (chunk_.empty()) return {};
    const std::uint64_t events = chunk_events_;
    std::vector<ev::AppendRequest> requests = std::move(chunk_);
    chunk_.clear();
    chunk_events_ = 0;
    chunk_memberships_ = 0;
    if (!options_.dry_run) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [&] { return in_flight_ < kChunksInFlight; });
      if (failure_) return *failure_;
      ++in_flight_;
      lock.unlock();
      log_->AppendAsync(std::move(requests), [this, events](auto result) {
        std::lock_guard guard(mutex_);
        --in_flight_;
        if (result) {
          written_ += events;
        } else if (!failure_) {
          failure_ = result.error();
        }
        done_.notify_all();
      });
    }
    Report();
    return {};
  }

  // Waits for every chunk in flight; the first failure, if any.
  Result<void> Finish() {
    if (auto ok = Flush(); !ok) return ok;
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return in_flight_ == 0; });
    summary_.events += written_;
    written_ = 0;
    if (failure_) return *failure_;
    return {};
  }

  ~ImportRun() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return in_flight_ == 0; });
  }

 private:
  void Count(std::string_view id, const MembershipPlan& plan) {
    ImportCounts& c = summary_.counts;
    Outcome outcome = plan.outcome;
    if (outcome == Outcome::kUnchanged) {
      if (auto it = prior_.find(std::string(id)); it != prior_.end()) outcome = it->second;
    }
    switch (outcome) {
      case Outcome::kUnchanged:
        ++c.unchanged;
        break;
      case Outcome::kEnrolled:
        ++c.enrolled;
        break;
      case Outcome::kChanged:
        ++c.changed;
        break;
      case Outcome::kLapsed:
        ++c.lapsed;
        break;
      case Outcome::kReinstated:
        ++c.reinstated;
        break;
      case Outcome::kLeft:
        ++c.left;
        break;
      case Outcome::kForgotten:
        ++c.forgotten_skipped;
        break;
    }
    c.passes_issued += plan.passes_issued;
    c.passes_revised += plan.passes_revised;
    c.passes_voided += plan.passes_voided;
    c.passes_unvoided += plan.passes_unvoided;
  }

  void Report() {
    if (!options_.progress) return;
    progress_.phase = ImportProgress::Phase::kApplying;
    {
      std::lock_guard guard(mutex_);
      progress_.events = summary_.events + written_;
    }
    options_.progress(progress_);
  }

  ev::EventLog* log_;
  const ImportConfig& config_;
  const ImportOptions& options_;
  ImportSummary& summary_;
  std::unordered_map<std::string, Outcome> prior_;
  std::vector<ev::AppendRequest> chunk_;
  std::uint64_t chunk_events_ = 0;
  std::size_t chunk_memberships_ = 0;
  ImportProgress progress_;
  std::mutex mutex_;
  std::condition_variable done_;
  int in_flight_ = 0;
  std::uint64_t written_ = 0;  // events of chunks acknowledged since the last Finish()
  std::optional<Error> failure_;
};

}  // namespace

ByteSource MemorySource(std::string_view bytes) {
  return [bytes, done = false]() mutable -> Result<std::string_view> {
    if (done) return std::string_view();
    done = true;
    return bytes;
  };
}

ByteSource FileSource(const std::filesystem::path& path) {
  struct State {
    std::filesystem::path path;
    std::ifstream in;
    bool opened = false;
    std::vector<char> buffer = std::vector<char>(kReadBlock);
  };
  auto state = std::make_shared<State>();
  state->path = path;
  return [state]() -> Result<std::string_view> {
    if (!state->opened) {
      state->opened = true;
      state->in.open(state->path, std::ios::binary);
      if (!state->in) {
        return MakeError(ErrorCode::kNotFound,
                         "cannot open " + state->path.string() + ": " + std::strerror(errno));
      }
    }
    state->in.read(state->buffer.data(), static_cast<std::streamsize>(state->buffer.size()));
    if (state->in.bad()) {
      return MakeError(ErrorCode::kUnavailable, "cannot read " + state->path.string());
    }
    return std::string_view(state->buffer.data(), static_cast<std::size_t>(state->in.gcount()));
  };
}

RosterImporter::RosterImporter(ev::EventLog* log, const projections::Projections* projections,
                               ImportConfig config)
    : log_(log), projections_(projections), config_(std::move(config)) {}

Result<Roster> RosterImporter::Read(const ByteSource& source, const ImportOptions& options) const {
  RosterReader reader(config_);
  ImportProgress progress;
  progress.total_bytes = options.total_bytes;
  std::uint64_t reported = 0;
  for (;;) {
    auto piece = source();
    if (!piece) return piece.error();
    if (piece->empty()) break;
    if (auto ok = reader.Feed(*piece); !ok) return ok.error();
    if (options.progress && reader.bytes_read() - reported >= kProgressBytes) {
      reported = reader.bytes_read();
      progress.bytes = reported;
      progress.rows = reader.rows_read();
      options.progress(progress);
    }
  }
  return reader.Finish();
}

boost::json::object ImportCountsJson(const ImportCounts& c) {
  return boost::json::object{{"rows", c.rows},
                {"memberships", c.memberships},
                {"enrolled", c.enrolled},
                {"changed", c.changed},
                {"lapsed", c.lapsed},
                {"reinstated", c.reinstated},
                {"left", c.left},
                {"unchanged", c.unchanged},
                {"rejectedRows", c.rejected_rows},
                {"rejectedMemberships", c.rejected_memberships},
                {"forgottenSkipped", c.forgotten_skipped},
                {"passesIssued", c.passes_issued},
                {"passesRevised", c.passes_revised},
                {"passesVoided", c.passes_voided},
                {"passesUnvoided", c.passes_unvoided},
                {"notEmailable", c.not_emailable}};
}

boost::json::object ImportSummaryJson(const ImportSummary& s) {
  boost::json::array rejected, changes;
  for (const RejectedRow& r : s.rejected) {
    boost::json::object row{{"line", r.line}, {"reason", r.reason}};
    if (!r.membership_id.empty()) row["membershipId"] = r.membership_id;
    if (!r.column.empty()) row["column"] = r.column;
    if (!r.value.empty()) row["value"] = r.value;
    rejected.push_back(std::move(row));
  }
  for (const std::string& change : s.changes) changes.emplace_back(change);
  boost::json::object o{{"importId", s.import_id}, {"dryRun", s.dry_run},
                        {"resumed", s.resumed},    {"counts", ImportCountsJson(s.counts)},
                        {"events", s.events},      {"rejected", std::move(rejected)},
                        {"changes", std::move(changes)}};
  if (!s.left_skipped.empty()) o["leftSkipped"] = s.left_skipped;
  return o;
}

Result<ImportJobSlot> FindImportJob(const projections::ReadModel& views,
                                    std::string_view sha256) {
  ImportJobSlot slot;
  for (int k = 1;; ++k) {
    slot.import_id = std::string(sha256.substr(0, 16)) + "-" + std::to_string(k);
    auto job = views.Import(slot.import_id);
    if (!job) return job.error();
    if (!*job) return slot;
    slot.previous = slot.import_id;
    if ((*job)->state == projections::ImportState::kRunning) {
      slot.resumed = true;
      slot.started_position = (*job)->started_position;
      return slot;
    }
  }
}

Result<ImportSummary> RosterImporter::Run(const ByteSource& source,
                                          const ImportOptions& options) const {
  auto roster = Read(source, options);
  if (!roster) return roster.error();
  const projections::ReadModel views(projections_);

  ImportSummary summary;
  summary.dry_run = options.dry_run;
  auto job = FindImportJob(views, roster->sha256);
  if (!job) return job.error();
  summary.import_id = job->import_id;
  summary.resumed = job->resumed;
  std::uint64_t started_position = job->started_position;

  ImportCounts& counts = summary.counts;
  counts.rows = roster->rows;
  counts.memberships = roster->memberships.size() + roster->rejected_ids.size();
  counts.rejected_rows = roster->rejected.size();
  counts.rejected_memberships = roster->rejected_ids.size();
  for (const auto& m : roster->memberships) counts.not_emailable += m.emailable ? 0 : 1;
  summary.rejected = roster->rejected;
  const bool apply_departures = roster->rows_without_id == 0;
  if (!apply_departures) {
    summary.left_skipped = std::to_string(roster->rows_without_id) +
                           " rejected row(s) name no membership, so no membership was marked "
                           "as having left the roster";
  }

  auto fail = [&](const Error& error) -> Error {
    if (!options.dry_run) {
      (void)log_->Append(JobRequest(summary.import_id, options.actor, ev::kImportFailed,
                                    object{{"reason", error.ToString()}}));
    }
    return error;
  };

  if (!options.dry_run && !summary.resumed) {
    ev::AppendRequest started = JobRequest(summary.import_id, options.actor, ev::kImportStarted,
                                           object{{"fileName", options.file_name},
                                                  {"sha256", roster->sha256},
                                                  {"rowCount", roster->rows},
                                                  {"bytes", roster->bytes}});
    started.expected = ev::ExpectedVersion::NoStream();
    for (const auto& r : roster->rejected) {
      if (started.events.size() > config_.max_rejection_events) break;
      object payload{{"importId", summary.import_id}, {"line", r.line}, {"reason", r.reason}};
      if (!r.column.empty()) payload["column"] = r.column;
      if (!r.value.empty()) payload["value"] = r.value;
      started.events.push_back(
          ev::NewEvent{std::string(ev::kImportRowRejected), 0, std::move(payload), {}, {}});
    }
    auto appended = log_->Append(std::move(started));
    if (!appended) return appended.error();
    started_position = appended->first_position;
    summary.events += appended->last_position - appended->first_position + 1;
  }

  ImportRun run(log_, config_, options, summary);
  run.set_total(roster->memberships.size());
  if (summary.resumed) {
    auto prior = PriorOutcomes(*log_, started_position, summary.import_id);
    if (!prior) return fail(prior.error());
    run.set_prior(std::move(*prior));
  }
  const RosterDiff diff(config_, summary.import_id, options.actor, NewSerial);
  const auto& memberships = roster->memberships;
  std::size_t next = 0;
  Result<void> status;
  auto add_new_before = [&](std::string_view bound) -> bool {
    while (next < memberships.size() && (bound.empty() || memberships[next].id < bound)) {
      status = run.Add(memberships[next].id, diff.ForNew(memberships[next]));
      ++next;
      if (!status) return false;
    }
    return true;
  };
  // One pass over the members view beside the sorted roster: decoding only each record's
  // summary, so an unchanged member costs no more than its row hash comparison.
  auto scanned = views.ScanMemberSummaries([&](const projections::MemberSummary& member) -> bool {
    const std::string_view id = member.membership_id;
    if (!member.enrolled) return true;  // a stub only a pass named: the roster enrols it anew
    if (!add_new_before(id)) return false;
    if (next < memberships.size() && memberships[next].id == id) {
      const Membership& m = memberships[next++];
      if (!member.forgotten && !member.left_roster && member.row_hash == RosterDiff::RowHash(m)) {
        status = run.Add(id, MembershipPlan{});
        return static_cast<bool>(status);
      }
      auto existing = LoadExisting(views, id);
      if (!existing) {
        status = existing.error();
        return false;
      }
      status = run.Add(id, diff.ForExisting(m, *existing));
      return static_cast<bool>(status);
    }
    if (!apply_departures ||
        std::binary_search(roster->rejected_ids.begin(), roster->rejected_ids.end(), id)) {
      return true;
    }
    if (member.left_roster || member.forgotten) return true;  // already off the roster, or erased
    auto existing = LoadExisting(views, id);
    if (!existing) {
      status = existing.error();
      return false;
    }
    status = run.Add(id, diff.ForDeparted(id, *existing));
    return static_cast<bool>(status);
  });
  if (scanned && status) add_new_before({});
  // Every chunk in flight lands (or fails) before the job is closed either way.
  auto finished = run.Finish();
  if (!scanned) return fail(scanned.error());
  if (!status) return fail(status.error());
  if (!finished) return fail(finished.error());

  if (!options.dry_run) {
    auto appended = log_->Append(JobRequest(summary.import_id, options.actor, ev::kImportCompleted,
                                            object{{"counts", ImportCountsJson(counts)}}));
    if (!appended) return fail(appended.error());
    summary.events += 1;
  }
  if (options.progress) {
    ImportProgress done;
    done.phase = ImportProgress::Phase::kDone;
    done.memberships_done = done.memberships_total = memberships.size();
    done.events = summary.events;
    options.progress(done);
  }
  return summary;
}

}  // namespace passledger::handlers

#include "handlers/admin/dashboard.h"

#include "base/crypto.h"
#include "base/time.h"

namespace passledger::handlers {
namespace {

constexpr std::int64_t kDayS = 24 * 3600;

// The local day (days since 1970-01-01 in `zone`) of the instant `s`.
std::int64_t LocalDay(const signer::TimeZone& zone, std::int64_t s) {
  return FloorDiv(s + zone.OffsetAt(s), kDayS);
}

}  // namespace

DashboardQuery::DashboardQuery(const events::EventLog* log, projections::ReadModel read,
                               DashboardOptions options)
    : log_(log), read_(read), options_(std::move(options)) {}

Result<Dashboard> DashboardQuery::Get() const {
  Dashboard out;
  out.generated_at_us = options_.now_us();
  out.time_zone = options_.time_zone.name();
  if (auto ok = AddCounts(out); !ok) return ok.error();
  if (auto ok = AddActivity(out, FloorDiv(out.generated_at_us, 1'000'000)); !ok) return ok.error();
  if (auto ok = AddLastImport(out); !ok) return ok.error();
  if (auto ok = AddChain(out); !ok) return ok.error();
  return out;
}

Result<void> DashboardQuery::AddCounts(Dashboard& out) const {
  auto counts = read_.Counts();
  if (!counts) return counts.error();
  const projections::CountsView& c = *counts;
  out.members = {c.members, c.members_active_on_roster, c.members - c.members_active,
                 c.members_left, c.members_forgotten};
  out.passes = {c.passes, c.passes - c.passes_voided, c.passes_voided, c.passes_installed};
  out.devices = {c.devices_registered, c.devices, c.registrations};
  out.emails = {c.emails_requested, c.emails_retrying, c.emails_sent, c.emails_failed};
  return {};
}

Result<void> DashboardQuery::AddActivity(Dashboard& out, std::int64_t now_s) const {
  const signer::TimeZone& zone = options_.time_zone;
  const std::int64_t today = LocalDay(zone, now_s);
  const std::int64_t first_day = today - (Dashboard::kDays - 1);
  for (std::int64_t day = first_day; day <= today; ++day) {
    out.days.push_back({FormatIsoDate(CivilFromDays(day))});
  }
  // A day's buckets all lie in it: zone offsets are whole quarter hours, like the buckets.
  // A day ago plus a day of the largest offset reaches back far enough.
  auto buckets = read_.Activity(now_s - (Dashboard::kDays + 1) * kDayS, now_s + 1);
  if (!buckets) return buckets.error();
  const std::int64_t since_24h =
      FloorDiv(now_s - kDayS, projections::kActivityBucketS) * projections::kActivityBucketS;
  for (const projections::ActivityBucket& b : *buckets) {
    const std::int64_t day = LocalDay(zone, b.start_s);
    if (day >= first_day && day <= today) {
      DashboardDay& d = out.days[static_cast<std::size_t>(day - first_day)];
      d.events += b.events;
      d.pushes_sent += b.pushes_sent;
      d.pushes_failed += b.pushes_failed;
      d.emails_sent += b.emails_sent;
    }
    if (b.start_s >= since_24h) {
      out.pushes_sent_24h += b.pushes_sent;
      out.pushes_failed_24h += b.pushes_failed;
    }
  }
  return {};
}

Result<void> DashboardQuery::AddLastImport(Dashboard& out) const {
  auto imports = read_.Imports(0, 1);
  if (!imports) return imports.error();
  if (!imports->empty()) out.last_import = std::move(imports->front());
  return {};
}

Result<void> DashboardQuery::AddChain(Dashboard& out) const {
  const events::Head head = log_->GetHead();
  out.head_position = head.position;
  out.head_hash = ToHex(head.hash);
  auto checkpoint = read_.Checkpoint();
  if (!checkpoint) return checkpoint.error();
  out.views_position = *checkpoint;
  auto digest = events::LastVerifiedDigest(*log_);
  if (digest) {
    out.last_verification = std::move(*digest);
  } else {
    out.verification_problem = digest.error().message;
  }
  return {};
}

}  // namespace passledger::handlers

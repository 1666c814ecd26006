#include "handlers/mail/mail_requests.h"

#include "events/catalogue.h"
#include "mail/address.h"

namespace passledger::handlers {

namespace ev = events;
using projections::EmailStatus;

namespace {

constexpr std::string_view kRefusedForgotten = "the member was forgotten";
constexpr std::string_view kRefusedInactive = "the membership is not active";
constexpr std::string_view kRefusedNoPass = "the membership has no active pass";
constexpr std::string_view kRefusedWaiting =
    "an e-mail of these passes is already waiting to be sent";
constexpr std::string_view kRefusedSent =
    "every active pass was already e-mailed or is waiting to be (re-send explicitly)";

bool Waiting(const projections::PassView& pass) {
  return pass.email.status == EmailStatus::kRequested ||
         pass.email.status == EmailStatus::kRetrying;
}

bool EverAsked(const projections::PassView& pass) {
  return pass.email.status != EmailStatus::kNone;
}

}  // namespace

MailRequests::MailRequests(events::EventLog* log, projections::ReadModel read)
    : log_(log), read_(read) {}

Result<MailRequests::Eligibility> MailRequests::Check(const projections::MemberView& member,
                                                      bool resend) const {
  Eligibility out;
  auto refuse = [&](std::string_view why) {
    out.refusal = std::string(why);
    out.active.clear();
    return out;
  };
  if (member.forgotten) return refuse(kRefusedForgotten);
  if (!member.active || member.left_roster) return refuse(kRefusedInactive);
  auto passes = read_.PassesOfMember(member.membership_id);
  if (!passes) return passes.error();
  bool any_active = false;
  for (auto& pass : *passes) {
    if (pass.voided) continue;
    any_active = true;
    if (resend && Waiting(pass)) return refuse(kRefusedWaiting);
    if (resend || !EverAsked(pass)) out.active.push_back(std::move(pass));
  }
  if (!any_active) return refuse(kRefusedNoPass);
  if (out.active.empty()) return refuse(kRefusedSent);
  const std::string email = member.personal ? member.personal->email : std::string();
  auto address = mail::CheckAddress(email);
  if (!address) return refuse("no usable e-mail address: " + address.error().message);
  out.address = std::move(*address);
  return out;
}

Result<MailRequestOutcome> MailRequests::Append(const projections::MemberView& member,
                                                const Eligibility& eligible,
                                                const MailRequestOptions& options) {
  std::vector<events::AppendRequest> requests;
  MailRequestOutcome outcome;
  outcome.membership_id = member.membership_id;
  for (const auto& pass : eligible.active) {
    events::AppendRequest request;
    request.stream = "pass-" + pass.serial;
    request.actor = options.actor;
    request.events.push_back(ev::NewEvent{
        std::string(ev::kPassEmailRequested), 0, boost::json::object{{"serial", pass.serial}},
        member.membership_id, boost::json::object{{"email", eligible.address}}});
    requests.push_back(std::move(request));
    outcome.serials.push_back(pass.serial);
  }
  auto appended = log_->AppendAtomic(std::move(requests));
  if (!appended) return appended.error();
  outcome.queued = true;
  outcome.first_position = appended->front().first_position;
  return outcome;
}

Result<MailRequestOutcome> MailRequests::RequestMember(std::string_view membership_id,
                                                       const MailRequestOptions& options) {
  auto member = read_.Member(membership_id);
  if (!member) return member.error();
  if (!*member || !(*member)->enrolled()) {
    return MakeError(ErrorCode::kNotFound, "no member with id " + std::string(membership_id));
  }
  auto eligible = Check(**member, options.resend);
  if (!eligible) return eligible.error();
  if (!eligible->refusal.empty()) {
    return MailRequestOutcome{std::string(membership_id), false, eligible->refusal, {}, 0};
  }
  return Append(**member, *eligible, options);
}

Result<BulkMailOutcome> MailRequests::RequestNeverSent(const MailRequestOptions& options) {
  BulkMailOutcome bulk;
  Error failure;
  bool failed = false;
  auto visit = [&](const projections::MemberSummary& summary) {
    if (!summary.enrolled || summary.forgotten || summary.left_roster) return true;
    auto member = read_.Member(summary.membership_id);
    if (!member || !*member) {
      if (!member) failure = member.error(), failed = true;
      return !failed;
    }
    if (!(*member)->active) return true;  // bulk is for active members: not counted as skipped
    ++bulk.members_seen;
    auto eligible = Check(**member, /*resend=*/false);
    if (!eligible) {
      failure = eligible.error();
      failed = true;
      return false;
    }
    if (eligible->refusal == kRefusedSent) return true;  // nothing new: not a skip
    if (!eligible->refusal.empty()) {
      ++bulk.skipped[eligible->refusal];
      return true;
    }
    auto appended = Append(**member, *eligible, options);
    if (!appended) {
      failure = appended.error();
      failed = true;
      return false;
    }
    ++bulk.queued;
    bulk.passes += appended->serials.size();
    return true;
  };
  if (auto ok = read_.ScanMemberSummaries(visit); !ok) return ok.error();
  if (failed) return failure;
  return bulk;
}

}  // namespace passledger::handlers

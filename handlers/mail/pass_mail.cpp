#include "handlers/mail/pass_mail.h"

#include <boost/json/value.hpp>

#include "base/files.h"
#include "mail/address.h"
#include "signer/pass_template.h"

namespace passledger::handlers {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTemplateBytes = 256 * 1024;
constexpr std::size_t kMaxFileNameBytes = 120;
constexpr std::string_view kPkpassType = "application/vnd.apple.pkpass";

Result<signer::MustacheTemplate> LoadTemplate(const fs::path& folder, std::string_view name,
                                              signer::MustacheEscape escape) {
  const fs::path path = folder / signer::kEmailFolder / name;
  auto text = ReadSmallFile(path, kMaxTemplateBytes);
  if (!text) {
    return MakeError(text.error().code,
                     "e-mail template " + path.string() + ": " + text.error().message);
  }
  return signer::MustacheTemplate::Parse(*text, path.string(), escape);
}

json::object PassEntry(std::string_view cardholder, std::string_view link,
                       std::string_view serial) {
  return json::object{{"cardholder", cardholder}, {"link", link}, {"serial", serial}};
}

// The context every template sees (docs/TEMPLATES.md "E-mail templates").
json::value Context(const signer::PassTypeConfig& organisation,
                    const projections::MemberView& member, json::array passes) {
  const projections::MemberPersonal& p = *member.personal;
  const std::string first = p.first_name.empty() ? p.name : p.first_name;
  const bool many = passes.size() > 1;
  return json::object{{"organization",
                       {{"name", organisation.organization_name},
                        {"program_name", organisation.program_name},
                        {"description", organisation.description}}},
                      {"member",
                       {{"name", p.name},
                        {"first_name", first},
                        {"membership_id", member.membership_id},
                        {"level", member.level}}},
                      {"passes", std::move(passes)},
                      {"many_passes", many}};
}

json::value SampleContext() {
  signer::PassTypeConfig organisation;
  projections::MemberView member;
  member.membership_id = "8-00000000";
  member.level = "Family";
  member.personal = projections::MemberPersonal{};
  member.personal->name = member.personal->first_name = "Sample";
  json::array passes;
  passes.push_back(PassEntry("Sample", "https://example.org/p/x", "SERIAL"));
  return Context(organisation, member, std::move(passes));
}

std::string FirstLine(std::string text) {
  const auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  return text;
}

}  // namespace

std::string PassFileName(std::string_view organisation, std::string_view cardholder) {
  std::string name = std::string(organisation) + "-" + std::string(cardholder);
  for (char& c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == '"' || c == ':') c = '_';
  }
  if (name.size() > kMaxFileNameBytes) {
    std::size_t cut = kMaxFileNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8
    name.resize(cut);
  }
  return name + ".pkpass";
}

PassMail::PassMail(signer::MustacheTemplate subject, signer::MustacheTemplate text,
                   signer::MustacheTemplate html, const PassBundles* bundles,
                   const PassLinks* links, PassMailOptions options)
    : subject_(std::move(subject)),
      text_(std::move(text)),
      html_(std::move(html)),
      bundles_(bundles),
      links_(links),
      options_(std::move(options)) {}

Result<PassMail> PassMail::Load(const fs::path& template_folder, const PassBundles* bundles,
                                const PassLinks* links, PassMailOptions options) {
  auto subject = LoadTemplate(template_folder, "subject.txt", signer::MustacheEscape::kNone);
  if (!subject) return subject.error();
  auto text = LoadTemplate(template_folder, "body.txt", signer::MustacheEscape::kNone);
  if (!text) return text.error();
  auto html = LoadTemplate(template_folder, "body.html", signer::MustacheEscape::kHtml);
  if (!html) return html.error();
  const json::value sample = SampleContext();
  for (const auto* t : {&*subject, &*text, &*html}) {
    if (auto ok = t->CheckNames(sample); !ok) return ok.error();
  }
  if (auto ok = mail::CheckAddress(options.from.address); !ok) {
    return MakeError(ErrorCode::kInvalidArgument, "mail.from: " + ok.error().message);
  }
  return PassMail(std::move(*subject), std::move(*text), std::move(*html), bundles, links,
                  std::move(options));
}

std::string PassMail::MessageIdFor(std::uint64_t request_position) const {
  const std::string& from = options_.from.address;
  return "passledger-" + std::to_string(request_position) + from.substr(from.rfind('@'));
}

Result<mail::Message> PassMail::Build(const projections::MemberView& member,
                                      const std::vector<projections::PassView>& passes,
                                      std::uint64_t request_position,
                                      std::int64_t now_unix_s) const {
  auto refuse = [&](std::string why) { return MakeError(ErrorCode::kFailedPrecondition, why); };
  if (member.forgotten || !member.personal) return refuse("the member was forgotten");
  auto address = mail::CheckAddress(member.personal->email);
  if (!address) return refuse("no usable e-mail address: " + address.error().message);
  if (passes.empty()) return refuse("no pass to send");

  mail::Message m;
  json::array entries;
  std::shared_ptr<const signer::PassFactory> factory;  // holds `organisation`
  const signer::PassTypeConfig* organisation = nullptr;
  for (const auto& pass : passes) {
    if (pass.voided) return refuse("pass " + pass.serial + " is void");
    auto latest = bundles_->ForPass(pass);
    if (!latest) return latest.error();
    factory = bundles_->Factory(pass.pass_type_id);
    if (!factory) return refuse("pass type " + pass.pass_type_id + " is not configured");
    organisation = &factory->config();
    const std::string link = links_->UrlFor(options_.public_url, pass);
    entries.push_back(PassEntry(pass.cardholder, link, pass.serial));
    m.attachments.push_back(
        mail::Attachment{PassFileName(organisation->organization_name, pass.cardholder),
                         std::string(kPkpassType), *latest->bundle});
  }
  const json::value context = Context(*organisation, member, std::move(entries));
  std::string subject;
  if (auto ok = subject_.Render(context, &subject); !ok) return ok.error();
  if (auto ok = text_.Render(context, &m.text); !ok) return ok.error();
  if (auto ok = html_.Render(context, &m.html); !ok) return ok.error();
  m.subject = FirstLine(std::move(subject));
  m.from = options_.from;
  m.reply_to = options_.reply_to;
  m.to = mail::Mailbox{*address, member.personal->name};
  m.date_unix_s = now_unix_s;
  m.message_id = MessageIdFor(request_position);
  m.list_unsubscribe = options_.list_unsubscribe;
  return m;
}

}  // namespace passledger::handlers

#include "handlers/passes/pass_downloads.h"

namespace passledger::handlers {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// A pass type this server no longer serves is one more dead link, not a different answer.
Error AsLinkError(Error error) {
  if (error.code == ErrorCode::kNotFound) return LinkNotFound();
  return error;
}

// At kMemoryOnly only a cached bundle: signing would block an I/O thread.
Result<LatestPass> Latest(const PassBundles& bundles, const projections::PassView& pass,
                          projections::ReadTier tier) {
  if (tier != projections::ReadTier::kMemoryOnly) return bundles.ForPass(pass);
  auto cached = bundles.Cached(pass);
  if (!cached) return cached.error();
  if (!*cached) return MakeError(ErrorCode::kWouldBlock, "the pass's bundle is not cached");
  return std::move(**cached);
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string PassDownloads::FileName(std::string_view organisation, std::string_view serial) {
  std::string name;
  for (const char c : organisation) {
    if (IsAsciiAlnum(c)) {
      name += c;
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
  }
  while (name.ends_with('-')) name.pop_back();
  if (name.empty()) name = "pass";
  return name + "-" + std::string(serial) + std::string(kDownloadSuffix);
}

std::string PassDownloads::Page(std::string_view organisation, std::string_view id) {
  const std::string org = HtmlEscape(organisation);
  const std::string href = HtmlEscape(std::string(id) + std::string(kDownloadSuffix));
  return "<!DOCTYPE html>\n"
         "<html lang=\"en\">\n"
         "<head>\n"
         "<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"robots\" content=\"noindex\">\n"
         "<title>" +
         org +
         " pass</title>\n"
         "<style>body{font-family:-apple-system,system-ui,sans-serif;max-width:32em;"
         "margin:2em auto;padding:0 1em;line-height:1.5}"
         "a.add{display:inline-block;padding:.75em 1.25em;border-radius:.5em;background:#000;"
         "color:#fff;text-decoration:none;font-weight:600}</style>\n"
         "</head>\n"
         "<body>\n"
         "<h1>" +
         org +
         "</h1>\n"
         "<p>Your pass is ready.</p>\n"
         "<p><a class=\"add\" href=\"" +
         href +
         "\">Add to Apple Wallet</a></p>\n"
         "<p>On Android: Google Wallet imports .pkpass files on many phones. Download the pass "
         "with the link above and open it.</p>\n"
         "</body>\n"
         "</html>\n";
}

PassDownloads::PassDownloads(const PassLinks* links, projections::ReadModel read,
                             const PassBundles* bundles)
    : links_(links), read_(read), bundles_(bundles) {}

Result<Download> PassDownloads::Get(std::string_view id, bool page,
                                    projections::ReadTier tier) const {
  auto pass = links_->Resolve(id, read_.WithTier(tier));
  if (!pass) return pass.error();
  if (!page) return Bundle(*pass, tier);
  const auto factory = bundles_->Factory(pass->pass_type_id);
  if (factory == nullptr) return LinkNotFound();
  Download download;
  download.is_page = true;
  download.page = Page(factory->config().organization_name, id);
  download.last_modified_s = pass->last_modified_s;
  return download;
}

Result<Download> PassDownloads::Bundle(const projections::PassView& pass,
                                       projections::ReadTier tier) const {
  const auto factory = bundles_->Factory(pass.pass_type_id);
  if (factory == nullptr) return LinkNotFound();
  auto latest = Latest(*bundles_, pass, tier);
  if (!latest) return AsLinkError(latest.error());
  Download download;
  download.bundle = std::move(latest->bundle);
  download.last_modified_s = latest->last_modified_s;
  download.file_name = FileName(factory->config().organization_name, pass.serial);
  return download;
}

}  // namespace passledger::handlers

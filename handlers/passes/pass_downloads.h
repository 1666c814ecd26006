// PassDownloads: the socket-free handler of the download link (`GET /p/<id>`, docs/PASSKIT.md
// "Download links"). An id that PassLinks resolves gives either the pass's latest signed
// bundle, or, for a browser that prefers HTML, a small page whose "Add to Apple Wallet" link
// downloads it (`<id>.pkpass`, relative to the page, which the route serves as the bundle).
// Every dead or invalid id is PassLinks' one kNotFound, also when the pass type is no longer
// configured here.
//
// File name (decision): "<organisation>-<serial>.pkpass", the organisation name reduced to
// [A-Za-z0-9-]. Not the cardholder's name, unlike the e-mail attachment: a URL-served file's
// name travels in a response header that proxies and access logs may keep, and the serial is
// random and not personal (handlers/passes/pass_links.h).
//
// The page has no script and no external resource (the route sends a CSP that forbids both);
// everything it prints from configuration is HTML-escaped. It names the organisation, never
// the member.
//
// Thread-safe. `links` and `bundles` are borrowed and must outlive this object; `read` must
// read the projections `bundles` reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passes/pass_links.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// What the route serves for the bundle form of a link: /p/<id> + kDownloadSuffix. No id
// contains a '.', so the suffix is never part of one.
inline constexpr std::string_view kDownloadSuffix = ".pkpass";

struct Download {
  bool is_page = false;
  std::string page;                  // is_page: the HTML document (UTF-8)
  signer::Bundle bundle;             // !is_page: the .pkpass bytes
  std::int64_t last_modified_s = 0;  // of the pass's latest content (both forms)
  std::string file_name;             // !is_page: for Content-Disposition
};

class PassDownloads {
 public:
  PassDownloads(const PassLinks* links, projections::ReadModel read, const PassBundles* bundles);

  // The bundle, or with `page` the HTML page. At ReadTier::kMemoryOnly (an I/O thread) a read
  // that would block or a bundle that would have to be signed is kWouldBlock, having done
  // nothing else; the caller asks again at kAny off that thread.
  Result<Download> Get(std::string_view id, bool page,
                       projections::ReadTier tier = projections::ReadTier::kAny) const;

  // "<organisation>-<serial>.pkpass" with the organisation reduced to [A-Za-z0-9-].
  static std::string FileName(std::string_view organisation, std::string_view serial);
  // The page for the link `id` of a pass of `organisation`.
  static std::string Page(std::string_view organisation, std::string_view id);

 private:
  Result<Download> Bundle(const projections::PassView& pass, projections::ReadTier tier) const;

  // Constant after construction.
  const PassLinks* const links_;
  const projections::ReadModel read_;
  const PassBundles* const bundles_;
};

// `text` with & < > " ' as character references.
std::string HtmlEscape(std::string_view text);

}  // namespace passledger::handlers

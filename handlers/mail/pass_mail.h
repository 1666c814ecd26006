// PassMail: the e-mail that carries a membership's passes (issue 15 §2; docs/EMAIL.md), built
// from the pass type's e-mail templates and the views, as a mail::Message that mail::Compose
// turns into bytes.
//
// Templates: <template folder>/email/subject.txt, body.txt and body.html (Mustache, the
// signer's engine; docs/TEMPLATES.md "E-mail templates"). The subject and the text part are
// rendered without escaping, the HTML part HTML-escaped. Each pass is attached as
// application/vnd.apple.pkpass named "<organisation>-<cardholder>.pkpass" and has a download
// link (handlers/passes/pass_links.h) in both parts. The Message-ID derives from the request's
// log position, so a retry of the same request reuses it.
//
// Immutable after Load; Build may run on any thread (the bundles and links are thread-safe).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passes/pass_links.h"
#include "mail/message.h"
#include "projections/views.h"
#include "signer/mustache_render.h"

namespace passledger::handlers {

struct PassMailOptions {
  mail::Mailbox from;
  std::optional<mail::Mailbox> reply_to;
  std::string list_unsubscribe;  // header value; empty = none
  std::string public_url;        // base of the download links, without a trailing slash
};

class PassMail {
 public:
  // Reads and parses <folder>/email/{subject.txt,body.txt,body.html} and checks their
  // placeholders against a sample. `bundles` and `links` are borrowed and must outlive this.
  static Result<PassMail> Load(const std::filesystem::path& template_folder,
                               const PassBundles* bundles, const PassLinks* links,
                               PassMailOptions options);

  // The message of `passes` (the member's, in cardholder order) for the request at
  // `request_position`, dated `now_unix_s`. kFailedPrecondition when the member has no usable
  // address or was forgotten, or a pass is void; bundle errors as PassBundles gives them.
  Result<mail::Message> Build(const projections::MemberView& member,
                              const std::vector<projections::PassView>& passes,
                              std::uint64_t request_position, std::int64_t now_unix_s) const;

  // "passledger-<position>@<domain of from>": the Message-ID of a request.
  std::string MessageIdFor(std::uint64_t request_position) const;

 private:
  PassMail(signer::MustacheTemplate subject, signer::MustacheTemplate text,
           signer::MustacheTemplate html, const PassBundles* bundles, const PassLinks* links,
           PassMailOptions options);

  signer::MustacheTemplate subject_, text_, html_;
  const PassBundles* bundles_;
  const PassLinks* links_;
  PassMailOptions options_;
};

// "<organisation>-<cardholder>.pkpass" with path separators, quotes and control characters
// replaced, at most 120 bytes before the extension (UTF-8 kept whole).
std::string PassFileName(std::string_view organisation, std::string_view cardholder);

}  // namespace passledger::handlers

// The staff web app's files on a Router (docs/ADMIN.md, "The staff app"):
//   GET/HEAD /admin                                    308 to /admin/
//   GET/HEAD /admin/                                   the app (index.html)
//   GET/HEAD /admin/static/{version}/{file}            an asset: app.js, app.css, …
//   GET/HEAD /admin/static/{version}/{dir}/{file}      pages/member.js, vendor/…
// By default the files are web::EmbeddedAssets(): answered from memory on the I/O thread, with
// the asset's ETag (If-None-Match → 304); a version other than web::EmbeddedVersion() is 404,
// so a page of an older build never mixes with this one's files. With `dev_dir` (serve
// --web-dir, for working on the app) they are read from that directory on every request,
// under the version "dev", with Cache-Control: no-store.
//
// Caching: AddAdminStaticHeaders, the decoration for kAdminStaticPrefix, gives the security
// headers of every /admin answer and `public, max-age=31536000, immutable` to a 200 or 304
// whose handler set no Cache-Control; everything else (errors, the index) is no-store.
#pragma once

#include <filesystem>
#include <string_view>

#include "http/router.h"

namespace passledger::http {

inline constexpr std::string_view kAdminStaticPrefix = "/admin/static/";

struct WebAppOptions {
  std::filesystem::path dev_dir;  // empty: the embedded files
};

void AddWebAppRoutes(Router& router, const WebAppOptions& options);

// The decoration for kAdminStaticPrefix (ServerOptions::decorations, before "/admin").
void AddAdminStaticHeaders(Response& response);

}  // namespace passledger::http

// The staff web app (web/*.html, *.js, *.css, …) compiled into the binary by
// cmake/EmbedWeb.cmake, so `passledger serve` needs no files beside it. http/web_routes.h
// serves them under /admin/. Everything here is constant data: safe from any thread.
#pragma once

#include <span>
#include <string_view>

namespace passledger::web {

struct Asset {
  std::string_view path;          // relative to web/: "app.js", "pages/member.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view etag;          // quoted: "\"0123456789abcdef\""
};

// Every asset, sorted by path. index.html has its "__ASSETS__" placeholders replaced by
// "/admin/static/<EmbeddedVersion()>".
std::span<const Asset> EmbeddedAssets();

// 16 hex digits that change whenever any asset does: the path segment that lets browsers
// cache assets for good (Cache-Control: immutable).
std::string_view EmbeddedVersion();

// The asset at `path` ("pages/member.js"); nullptr when there is none.
const Asset* FindEmbeddedAsset(std::string_view path);

// The content type the embedded assets use for a file name's extension; empty when unknown
// (serve --web-dir serves only the kinds of file the build would embed).
std::string_view ContentTypeFor(std::string_view path);

}  // namespace passledger::web

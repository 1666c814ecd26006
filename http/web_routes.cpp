#include "http/web_routes.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "http/admin_security.h"
#include "http/header_text.h"
#include "web/embedded_assets.h"

namespace passledger::http {
namespace {

constexpr std::string_view kDevVersion = "dev";
constexpr std::string_view kAssetsPlaceholder = "__ASSETS__";
constexpr std::size_t kMaxDevFileBytes = 8u << 20;

// A file to answer with: an embedded asset or one read from the development directory.
struct WebFile {
  std::string content_type;
  std::string body;
  std::string etag;  // empty: none (development files)
};

Response Answer(bhttp::status status, const WebFile& file) {
  Response response{status, 11};
  response.set(bhttp::field::content_type, file.content_type);
  if (!file.etag.empty()) response.set(bhttp::field::etag, file.etag);
  if (status != bhttp::status::not_modified) response.body() = file.body;
  response.prepare_payload();
  return response;
}

// Whether an If-None-Match list ("\"a\", W/\"b\"" or "*") names `etag`.
bool NoneMatchNames(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = TrimOws(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

std::optional<std::string> ReadDevFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxDevFileBytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::nullopt;
  return body;
}

std::string WithAssetBase(std::string text, std::string_view version) {
  const std::string base = std::string(kAdminStaticPrefix) + std::string(version);
  for (auto at = text.find(kAssetsPlaceholder); at != std::string::npos;
       at = text.find(kAssetsPlaceholder, at + base.size())) {
    text.replace(at, kAssetsPlaceholder.size(), base);
  }
  return text;
}

// Serves the files of one source: the embedded assets, or a development directory.
class WebFiles {
 public:
  explicit WebFiles(std::filesystem::path dev_dir) : dev_dir_(std::move(dev_dir)) {}

  [[nodiscard]] std::string_view Version() const {
    return dev_dir_.empty() ? web::EmbeddedVersion() : kDevVersion;
  }

  // `path` is "app.js" or "pages/member.js", made of segments the router already refused
  // '.', '..', '/' and NUL in.
  [[nodiscard]] std::optional<WebFile> Find(std::string_view path) const {
    if (dev_dir_.empty()) {
      const web::Asset* asset = web::FindEmbeddedAsset(path);
      if (asset == nullptr || path == "index.html") return std::nullopt;
      return WebFile{std::string(asset->content_type), std::string(asset->body),
                     std::string(asset->etag)};
    }
    const std::string_view type = web::ContentTypeFor(path);
    if (type.empty() || path == "index.html") return std::nullopt;
    auto body = ReadDevFile(dev_dir_ / std::string(path));
    if (!body) return std::nullopt;
    return WebFile{std::string(type), std::move(*body), ""};
  }

  [[nodiscard]] std::optional<WebFile> Index() const {
    if (dev_dir_.empty()) {
      const web::Asset* asset = web::FindEmbeddedAsset("index.html");
      if (asset == nullptr) return std::nullopt;
      return WebFile{std::string(asset->content_type), std::string(asset->body),
                     std::string(asset->etag)};
    }
    auto body = ReadDevFile(dev_dir_ / "index.html");
    if (!body) return std::nullopt;
    return WebFile{"text/html; charset=utf-8", WithAssetBase(std::move(*body), kDevVersion), ""};
  }

  [[nodiscard]] bool Development() const { return !dev_dir_.empty(); }

 private:
  std::filesystem::path dev_dir_;
};

void SendFile(const Request& request, const Responder& responder, const WebFiles& files,
              const std::optional<WebFile>& file) {
  if (!file) {
    responder.Send(MakeErrorResponse(bhttp::status::not_found, "not found"));
    return;
  }
  const auto if_none_match = request.message.find(bhttp::field::if_none_match);
  const bool unchanged = !file->etag.empty() && if_none_match != request.message.end() &&
                         NoneMatchNames(if_none_match->value(), file->etag);
  Response response = Answer(unchanged ? bhttp::status::not_modified : bhttp::status::ok, *file);
  if (files.Development()) response.set(bhttp::field::cache_control, "no-store");
  responder.Send(std::move(response));
}

Handler Asset(std::shared_ptr<const WebFiles> files, bool in_folder) {
  return [files = std::move(files), in_folder](Request&& request, Responder responder) {
    if (request.Param("version") != files->Version()) {
      responder.Send(MakeErrorResponse(bhttp::status::not_found, "not found"));
      return;
    }
    std::string path = in_folder ? std::string(request.Param("dir")) + "/" : std::string();
    path += request.Param("file");
    SendFile(request, responder, *files, files->Find(path));
  };
}

}  // namespace

void AddWebAppRoutes(Router& router, const WebAppOptions& options) {
  auto files = std::make_shared<const WebFiles>(options.dev_dir);
  const auto get = {bhttp::verb::get, bhttp::verb::head};
  router.Add(get, "/admin", [](Request&&, Responder responder) {
    Response response{bhttp::status::permanent_redirect, 11};
    response.set(bhttp::field::location, "/admin/");
    response.prepare_payload();
    responder.Send(std::move(response));
  });
  router.Add(get, "/admin/", [files](Request&& request, Responder responder) {
    auto index = files->Index();
    if (index) index->etag.clear();  // the index is never cached: it names this build's assets
    SendFile(request, responder, *files, index);
  });
  router.Add(get, "/admin/static/{version}/{file}", Asset(files, false));
  router.Add(get, "/admin/static/{version}/{dir}/{file}", Asset(files, true));
}

void AddAdminStaticHeaders(Response& response) {
  const bool cacheable =
      response.result() == bhttp::status::ok || response.result() == bhttp::status::not_modified;
  const bool handler_chose = response.find(bhttp::field::cache_control) != response.end();
  std::string cache_control = handler_chose
                                  ? std::string(response[bhttp::field::cache_control])
                                  : std::string(cacheable ? "public, max-age=31536000, immutable"
                                                          : "no-store");
  AddAdminSecurityHeaders(response);  // sets no-store
  response.set(bhttp::field::cache_control, cache_control);
}

}  // namespace passledger::http

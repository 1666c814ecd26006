// SmtpReferenceLoop of mail/smtp_reference.h: libcurl's easy interface, nothing more.
#include "mail/smtp_reference.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <memory>

namespace passledger::mail {
namespace {

struct Upload {
  std::string_view rest;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t items, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * items, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

struct EasyFree {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

Result<SmtpReferenceFigures> SmtpReferenceLoop(const std::string& url,
                                               const std::string& envelope_from,
                                               const std::string& recipient,
                                               const std::vector<std::string>& messages,
                                               std::uint64_t count) {
  if (messages.empty()) return MakeError(ErrorCode::kInvalidArgument, "no message to send");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::unique_ptr<CURL, EasyFree> easy(curl_easy_init());
  const std::string rcpt = "<" + recipient + ">";
  const std::unique_ptr<curl_slist, SlistFree> rcpts(curl_slist_append(nullptr, rcpt.c_str()));
  if (!easy || !rcpts) return MakeError(ErrorCode::kInternal, "libcurl did not start");
  const std::string from = "<" + envelope_from + ">";
  Upload upload;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(easy.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(easy.get(), CURLOPT_READDATA, &upload);
  SmtpReferenceFigures figures;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string& bytes = messages[i % messages.size()];
    upload.rest = bytes;
    curl_easy_setopt(easy.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
    if (const CURLcode rc = curl_easy_perform(easy.get()); rc != CURLE_OK) {
      return MakeError(ErrorCode::kUnavailable,
                       "reference message " + std::to_string(i + 1) + ": " + curl_easy_strerror(rc));
    }
    ++figures.messages;
    figures.bytes += bytes.size();
  }
  figures.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return figures;
}

}  // namespace passledger::mail

// SmtpClient of mail/smtp_client.h over libcurl's easy interface.
#include "mail/smtp_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

#include "mail/address.h"

namespace passledger::mail {
namespace {

constexpr std::size_t kMaxReplyText = 512;

struct CurlEasyFree {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlSlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using UniqueEasy = std::unique_ptr<CURL, CurlEasyFree>;
using UniqueSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

// Once per process before the first handle. apns/ has its own once: libcurl 7.84 and later
// (Debian 12 has 7.88) make curl_global_init itself thread-safe, so two onces are harmless.
void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The last reply of the server during one transfer, assembled from its lines ("250-a",
// "250 b"), and the verb of the last command we sent.
class ReplyCapture {
 public:
  void Reset() { *this = ReplyCapture(); }

  void OnReplyData(std::string_view data) {
    if (quitting_) return;
    while (!data.empty()) {
      const std::size_t newline = data.find('\n');
      const std::size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
      const std::size_t room = kMaxReplyText - std::min(partial_.size(), kMaxReplyText);
      partial_.append(data.substr(0, std::min(end, room)));  // a line is kept bounded
      data.remove_prefix(end);
      if (newline != std::string_view::npos) OnLine(std::exchange(partial_, {}));
    }
  }

  // Only the verb is kept: the AUTH exchange's arguments are credentials. libcurl closes a
  // failed connection with QUIT; neither it nor its "221 Bye" is the exchange that failed.
  void OnCommandData(std::string_view data) {
    static constexpr std::array<std::string_view, 9> kVerbs = {
        "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "NOOP"};
    const std::string_view word = data.substr(0, data.find_first_of(" :\r\n"));
    if (word == "QUIT") quitting_ = true;
    if (quitting_) return;
    for (const std::string_view verb : kVerbs) {
      if (word == verb) last_verb_ = verb;
    }
  }

  const SmtpReply& reply() const { return reply_; }
  std::string_view last_verb() const { return last_verb_; }

 private:
  void OnLine(std::string line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, digit)) return;
    if (complete_) reply_ = SmtpReply();  // the first line of a new reply
    reply_.code = std::stoi(line.substr(0, 3));
    complete_ = line.size() == 3 || line[3] != '-';
    const std::string text = line.size() > 4 ? line.substr(4) : "";
    if (!reply_.text.empty() && !text.empty()) reply_.text += ' ';
    reply_.text += text;
    if (reply_.text.size() > kMaxReplyText) reply_.text.resize(kMaxReplyText);
  }

  SmtpReply reply_;
  bool complete_ = true;
  std::string partial_;         // a reply line not yet ended
  std::string_view last_verb_;  // points into kVerbs
  bool quitting_ = false;
};

// The message being uploaded, for the read callback.
struct Upload {
  std::string_view bytes;
  std::size_t offset = 0;
};

std::size_t ReadBody(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->bytes.size() - upload->offset);
  std::memcpy(buffer, upload->bytes.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

int OnDebug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  auto* capture = static_cast<ReplyCapture*>(user);
  if (type == CURLINFO_HEADER_IN) capture->OnReplyData({data, size});
  if (type == CURLINFO_HEADER_OUT) capture->OnCommandData({data, size});
  return 0;
}

Error Invalid(std::string what) { return MakeError(ErrorCode::kInvalidArgument, std::move(what)); }

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

Result<void> CheckUrl(const SmtpOptions& o) {
  const bool smtps = o.url.starts_with("smtps://");
  if (!smtps && !o.url.starts_with("smtp://")) {
    return Invalid("smtp url must start with smtp:// or smtps://");
  }
  if (smtps != (o.tls == SmtpTls::kSmtps)) {
    return Invalid(smtps ? "an smtps:// url needs tls = smtps"
                         : "tls = smtps needs an smtps:// url (starttls and none use smtp://)");
  }
  const std::string_view rest = std::string_view(o.url).substr(smtps ? 8 : 7);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return Invalid("smtp url has no host");
  if (authority.find('@') != std::string_view::npos) {
    return Invalid("smtp url must not hold credentials (set username and password instead)");
  }
  if (slash != std::string_view::npos && slash + 1 != rest.size()) {
    return Invalid("smtp url must not have a path (set helo_domain instead)");
  }
  return {};
}

Result<void> CheckOptions(const SmtpOptions& o) {
  if (auto ok = CheckUrl(o); !ok) return ok;
  if (o.username.empty() && !o.password.empty()) return Invalid("smtp password without username");
  if (!std::all_of(o.helo_domain.begin(), o.helo_domain.end(), IsHostChar)) {
    return Invalid("helo_domain must be a host name");
  }
  if (o.connect_timeout.count() <= 0 || o.timeout.count() <= 0) {
    return Invalid("smtp timeouts must be positive");
  }
  return {};
}

std::string WithoutTrailingSlash(std::string url) {
  if (url.ends_with('/')) url.pop_back();
  return url;
}

// What the refused command was, for a person.
std::string Stage(std::string_view verb, const SmtpOptions& o) {
  if (verb == "MAIL") return "the server refused the sender (MAIL FROM)";
  if (verb == "RCPT") return "the server refused the recipient (RCPT TO)";
  if (verb == "DATA") return "the server refused the message (DATA)";
  if (verb == "AUTH") return "authentication as \"" + o.username + "\" failed";
  if (verb == "EHLO" || verb == "HELO") return "the server refused the greeting (EHLO)";
  if (verb == "STARTTLS") return "the server refused STARTTLS";
  return "the server refused";
}

bool IsTlsError(CURLcode code) {
  return code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
         code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_CERTPROBLEM ||
         code == CURLE_SSL_CIPHER || code == CURLE_SSL_ISSUER_ERROR;
}

// The outcome of a finished transfer; `detail` is libcurl's error text.
SendOutcome Judge(CURLcode code, const ReplyCapture& capture, const SmtpOptions& o,
                  std::string_view detail) {
  SendOutcome outcome;
  outcome.reply = capture.reply();
  const int reply = outcome.reply.code;
  if (code == CURLE_OK) {
    outcome.delivered = true;
    return outcome;
  }
  if (code == CURLE_USE_SSL_FAILED) {
    outcome.reason =
        "the server at " + o.url + " does not offer STARTTLS, which tls = starttls requires";
    return outcome;
  }
  if (reply >= 400 && reply < 600) {
    outcome.temporary = reply < 500;
    outcome.reason =
        Stage(capture.last_verb(), o) + ": " + std::to_string(reply) + " " + outcome.reply.text;
    return outcome;
  }
  outcome.reply = SmtpReply();
  if (code == CURLE_LOGIN_DENIED) {
    outcome.reason = "authentication as \"" + o.username + "\" failed: " + std::string(detail);
    return outcome;
  }
  outcome.temporary = true;
  const std::string what = IsTlsError(code)                   ? "TLS with "
                           : code == CURLE_OPERATION_TIMEDOUT ? "timed out talking to "
                           : code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST
                               ? "cannot connect to "
                               : "failed talking to ";
  outcome.reason = what + o.url + (IsTlsError(code) ? " failed: " : ": ") + std::string(detail);
  return outcome;
}

// Replaces every occurrence of `secret` in `text`, in case a server echoes it.
void Redact(std::string_view secret, std::string* text) {
  if (secret.empty()) return;
  for (std::size_t at; (at = text->find(secret)) != std::string::npos;) {
    text->replace(at, secret.size(), "(password)");
  }
}

}  // namespace

class SmtpClient::Impl {
 public:
  Impl(SmtpOptions options, UniqueEasy easy)
      : options_(std::move(options)), easy_(std::move(easy)) {}

  // The options that stay for the client's life (libcurl copies the strings).
  Result<void> Configure() {
    CURL* e = easy_.get();
    // The URL's path is the domain libcurl names in EHLO.
    const std::string url = WithoutTrailingSlash(options_.url) + "/" + options_.helo_domain;
    const long use_ssl = options_.tls == SmtpTls::kNone ? CURLUSESSL_NONE : CURLUSESSL_ALL;
    bool ok = curl_easy_setopt(e, CURLOPT_URL, url.c_str()) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_READFUNCTION, ReadBody) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_READDATA, &upload_) == CURLE_OK;
    // The debug callback sees the dialogue only in verbose mode; it prints nothing itself.
    ok = ok && curl_easy_setopt(e, CURLOPT_VERBOSE, 1L) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, OnDebug) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_DEBUGDATA, &capture_) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_.data()) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
                                static_cast<long>(options_.connect_timeout.count())) == CURLE_OK;
    ok = ok && curl_easy_setopt(e, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count())) ==
                   CURLE_OK;
    if (!options_.ca_file.empty()) {
      ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str()) == CURLE_OK;
    }
    if (!options_.username.empty()) {
      ok = ok && curl_easy_setopt(e, CURLOPT_USERNAME, options_.username.c_str()) == CURLE_OK;
      ok = ok && curl_easy_setopt(e, CURLOPT_PASSWORD, options_.password.c_str()) == CURLE_OK;
    }
    if (!ok) return MakeError(ErrorCode::kInternal, "curl_easy_setopt: an SMTP option failed");
    return {};
  }

  SendOutcome Send(std::string_view from, std::string_view recipient, std::string_view bytes) {
    auto checked_from = CheckAddress(from);
    if (!checked_from) return Refused("envelope sender " + checked_from.error().message);
    auto checked_to = CheckAddress(recipient);
    if (!checked_to) return Refused("recipient " + checked_to.error().message);
    const std::string mail_from = "<" + *checked_from + ">";
    UniqueSlist rcpt(curl_slist_append(nullptr, ("<" + *checked_to + ">").c_str()));
    if (rcpt == nullptr) return Failed("curl_slist_append failed");
    CURL* e = easy_.get();
    upload_ = Upload{bytes, 0};
    capture_.Reset();
    error_[0] = '\0';
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
    const CURLcode code = curl_easy_perform(e);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, nullptr);  // `rcpt` ends with this call
    const std::string detail = error_[0] != '\0' ? error_.data() : curl_easy_strerror(code);
    SendOutcome outcome = Judge(code, capture_, options_, detail);
    Redact(options_.password, &outcome.reason);
    Redact(options_.password, &outcome.reply.text);
    return outcome;
  }

 private:
  static SendOutcome Refused(std::string reason) {
    SendOutcome outcome;
    outcome.reason = std::move(reason);
    return outcome;
  }
  static SendOutcome Failed(std::string reason) {
    SendOutcome outcome = Refused(std::move(reason));
    outcome.temporary = true;
    return outcome;
  }

  // Constant after Configure.
  const SmtpOptions options_;
  UniqueEasy easy_;
  // Per Send, read by libcurl's callbacks during curl_easy_perform.
  Upload upload_;
  ReplyCapture capture_;
  std::array<char, CURL_ERROR_SIZE> error_{};
};

Result<std::unique_ptr<SmtpClient>> SmtpClient::Create(SmtpOptions options) {
  if (auto ok = CheckOptions(options); !ok) return ok.error();
  CurlGlobalInit();
  UniqueEasy easy(curl_easy_init());
  if (easy == nullptr) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(easy));
  if (auto ok = impl->Configure(); !ok) return ok.error();
  return std::unique_ptr<SmtpClient>(new SmtpClient(std::move(impl)));
}

SmtpClient::SmtpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SmtpClient::~SmtpClient() = default;

SendOutcome SmtpClient::Send(std::string_view envelope_from, std::string_view recipient,
                             std::string_view message_bytes) {
  return impl_->Send(envelope_from, recipient, message_bytes);
}

}  // namespace passledger::mail

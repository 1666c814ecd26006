// RAII owners for libcurl handles, owned on the line they are acquired, and the one-time
// global initialisation libcurl requires before any other call. Header-only; apns/ only.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace passledger::apns {

struct CurlEasyFree {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct CurlMultiFree {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct CurlSlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using UniqueEasy = std::unique_ptr<CURL, CurlEasyFree>;
using UniqueMulti = std::unique_ptr<CURLM, CurlMultiFree>;
using UniqueSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

// curl_global_init, once per process, before the first handle (it is not thread-safe itself).
inline void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace passledger::apns

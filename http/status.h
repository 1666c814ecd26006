// The one place where a domain ErrorCode becomes an HTTP status, and the JSON error body
// every error response carries: {"error":"..."} with Content-Type application/json.
// Pure functions; safe from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string_view>

#include "base/error.h"

namespace passledger::http {

using Response = boost::beast::http::response<boost::beast::http::string_body>;

[[nodiscard]] boost::beast::http::status StatusFor(ErrorCode code);

// The other way, for a client of our own API (the CLI over the operator socket): the code an
// error status stands for. 409 is kConflict (kAlreadyExists answers the same), 422 (a refusal
// the answer explains) kFailedPrecondition, an unknown 5xx kInternal, an unknown 4xx
// kInvalidArgument.
[[nodiscard]] ErrorCode ErrorCodeFor(boost::beast::http::status status);

// True for the codes of server-side failures (kCorruption, kInternal, kUnavailable,
// kCancelled, kTimeout), whose message may hold file paths or storage messages: the client
// gets GenericMessage(code) and a request id, the details go to the error log with that id.
[[nodiscard]] bool HidesDetails(ErrorCode code);

// "internal error", "service unavailable" or "timed out" for a code HidesDetails covers.
[[nodiscard]] std::string_view GenericMessage(ErrorCode code);

// A response with body {"error": message}, and "request_id" when one is given; version and
// keep-alive are set by the session.
[[nodiscard]] Response MakeErrorResponse(boost::beast::http::status status,
                                         std::string_view message,
                                         std::string_view request_id = {});

// A response with a JSON body and Content-Type application/json.
[[nodiscard]] Response MakeJsonResponse(boost::beast::http::status status, std::string body);

}  // namespace passledger::http

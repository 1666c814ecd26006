#include "http/status.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace passledger::http {

namespace bhttp = boost::beast::http;

bhttp::status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return bhttp::status::bad_request;
    case ErrorCode::kUnauthenticated:
      return bhttp::status::unauthorized;
    case ErrorCode::kPermissionDenied:
      return bhttp::status::forbidden;
    case ErrorCode::kNotFound:
      return bhttp::status::not_found;
    case ErrorCode::kConflict:
    case ErrorCode::kAlreadyExists:
      return bhttp::status::conflict;
    // A forgotten subject or a voided pass will not come back: 410 tells clients to stop
    // asking, where 409 would invite a retry after "resolving the conflict".
    case ErrorCode::kFailedPrecondition:
      return bhttp::status::gone;
    case ErrorCode::kTooLarge:
      return bhttp::status::payload_too_large;
    case ErrorCode::kUnavailable:
    case ErrorCode::kCancelled:
      return bhttp::status::service_unavailable;
    case ErrorCode::kTimeout:
      return bhttp::status::gateway_timeout;
    // Never meant to reach a client: a memory-only attempt falls back to the worker pool.
    case ErrorCode::kWouldBlock:
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return bhttp::status::internal_server_error;
  }
  return bhttp::status::internal_server_error;
}

ErrorCode ErrorCodeFor(bhttp::status status) {
  switch (status) {
    case bhttp::status::bad_request:
      return ErrorCode::kInvalidArgument;
    case bhttp::status::unauthorized:
      return ErrorCode::kUnauthenticated;
    case bhttp::status::forbidden:
      return ErrorCode::kPermissionDenied;
    case bhttp::status::not_found:
      return ErrorCode::kNotFound;
    case bhttp::status::conflict:
      return ErrorCode::kConflict;
    case bhttp::status::gone:
    case bhttp::status::unprocessable_entity:
      return ErrorCode::kFailedPrecondition;
    case bhttp::status::payload_too_large:
      return ErrorCode::kTooLarge;
    case bhttp::status::service_unavailable:
      return ErrorCode::kUnavailable;
    case bhttp::status::gateway_timeout:
      return ErrorCode::kTimeout;
    default:
      break;
  }
  return static_cast<unsigned>(status) >= 500 ? ErrorCode::kInternal : ErrorCode::kInvalidArgument;
}

bool HidesDetails(ErrorCode code) {
  switch (code) {
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
    case ErrorCode::kWouldBlock:
    case ErrorCode::kUnavailable:
    case ErrorCode::kCancelled:
    case ErrorCode::kTimeout:
      return true;
    default:
      return false;
  }
}

std::string_view GenericMessage(ErrorCode code) {
  switch (StatusFor(code)) {
    case bhttp::status::service_unavailable:
      return "service unavailable";
    case bhttp::status::gateway_timeout:
      return "timed out";
    default:
      return "internal error";
  }
}

Response MakeJsonResponse(bhttp::status status, std::string body) {
  Response response{status, 11};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response MakeErrorResponse(bhttp::status status, std::string_view message,
                           std::string_view request_id) {
  boost::json::object body;
  body["error"] = message;
  if (!request_id.empty()) body["request_id"] = request_id;
  return MakeJsonResponse(status, boost::json::serialize(body));
}

}  // namespace passledger::http

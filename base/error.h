// Domain errors as values, shared by every module.
//
// An Error is a protocol-agnostic code plus a human-readable message. Functions at module
// boundaries return Result<T> (a [[nodiscard]] boost::system::result<T, Error>); only http/ turns a
// code into an HTTP status, only tools/ turns it into an exit status. Exceptions are for start-up
// failures and bugs.
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace passledger {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is malformed or out of bounds
  kNotFound,            // the named thing does not exist
  kConflict,            // expected version mismatch; nothing was written
  kAlreadyExists,       // creating something that is already there
  kFailedPrecondition,  // the system is not in a state that allows this (e.g. forgotten subject)
  kUnauthenticated,     // missing or wrong credentials
  kPermissionDenied,    // authenticated but not allowed
  kTooLarge,            // a size limit was exceeded
  kUnavailable,         // cannot serve now (fail-stop, locked database, shutting down)
  kTimeout,             // a wait ran out of time
  kCancelled,           // the caller cancelled
  kWouldBlock,          // the caller asked for an answer from memory, and it needs I/O
  kCorruption,          // stored data does not verify or decode
  kInternal,            // a bug or an unexpected library failure
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // "conflict: stream member-1 is at version 3, expected 2"
  std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// Thrown only by Result<T>::value() on an error, i.e. when a caller chose not to check.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error error)
      : std::runtime_error(error.ToString()), error_(std::move(error)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// Found by argument-dependent lookup from boost::system::result<T, Error>::value().
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& loc);

// boost::system::result<T, Error>, [[nodiscard]] as a type: a call whose Result is dropped
// without a look is a compiler warning at every call site, not only where a function was
// marked. (Cast to void, with a comment, where dropping it is really meant.)
template <class T>
class [[nodiscard]] Result : public boost::system::result<T, Error> {
 public:
  using Base = boost::system::result<T, Error>;
  using Base::Base;
  Result() = default;
  Result(const Base& base) : Base(base) {}        // NOLINT: implicit, as the base converts
  Result(Base&& base) : Base(std::move(base)) {}  // NOLINT
};

}  // namespace passledger

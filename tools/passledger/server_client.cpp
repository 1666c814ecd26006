#include "tools/passledger/server_client.h"

#include <sys/un.h>

#include <fmt/core.h>

#include <cctype>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/status.h"

namespace passledger::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using local = asio::local::stream_protocol;

// What a 5xx answer says (the details are in the server's error log under the id).
std::string ServerSideMessage(const json::object& body, const std::string& message) {
  const std::string id = StringOf(body, "request_id");
  if (id.empty()) return message;
  return message + " (request " + id + ": the server's log has the details)";
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::filesystem::path OperatorSocketPath(const std::filesystem::path& data_dir) {
  return data_dir / "passledger.sock";
}

struct ServerClient::Impl {
  asio::io_context io;
  local::socket socket{io};
  beast::flat_buffer buffer;
  std::string path;
};

ServerClient::ServerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ServerClient::ServerClient(ServerClient&&) noexcept = default;
ServerClient& ServerClient::operator=(ServerClient&&) noexcept = default;
ServerClient::~ServerClient() = default;

std::optional<ServerClient> ServerClient::Connect(const std::filesystem::path& data_dir) {
  auto impl = std::make_unique<Impl>();
  impl->path = OperatorSocketPath(data_dir).string();
  if (impl->path.size() >= sizeof(sockaddr_un{}.sun_path)) return std::nullopt;  // none bound
  beast::error_code ec;
  impl->socket.connect(local::endpoint(impl->path), ec);
  if (ec) return std::nullopt;  // no socket, a dead one, or not ours to reach
  return ServerClient(std::move(impl));
}

Result<ServerAnswer> ServerClient::Send(
    bhttp::verb method, std::string_view target, std::string body, std::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> request{method, target, 11};
  request.set(bhttp::field::host, "passledger.sock");
  request.set(bhttp::field::user_agent, "passledger-cli");
  if (!body.empty() || method == bhttp::verb::post || method == bhttp::verb::patch) {
    request.set(bhttp::field::content_type, content_type);
  }
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  beast::error_code ec;
  bhttp::write(impl_->socket, request, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "sending to the server at " + impl_->path + ": " + ec.message());
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(boost::none);  // our own server: its answers are bounded by what we ask
  bhttp::read(impl_->socket, impl_->buffer, parser, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "the server at " + impl_->path + " closed the connection without an " +
                         "answer (" + ec.message() +
                         "); it serves only its own user and root: see its log");
  }
  auto response = parser.release();
  return ServerAnswer{response.result(), std::move(response.body())};
}

Result<json::object> ServerClient::Call(bhttp::verb method, std::string_view target,
                                        const json::object& body) {
  const bool has_body = method != bhttp::verb::get && method != bhttp::verb::delete_;
  auto answer = Send(method, target, has_body ? json::serialize(body) : std::string(),
                     "application/json");
  if (!answer) return answer.error();
  if (static_cast<unsigned>(answer->status) / 100 != 2) return ErrorOfAnswer(*answer);
  return AnswerObject(*answer);
}

Result<json::object> AnswerObject(const ServerAnswer& answer) {
  boost::system::error_code ec;
  json::value parsed = json::parse(answer.body, ec);
  if (ec || !parsed.is_object()) {
    return MakeError(ErrorCode::kInternal, "the server's answer is not a JSON object");
  }
  return std::move(parsed.as_object());
}

void NoteActorNotUsed(std::string_view given) {
  if (given.empty()) return;
  fmt::print(stderr,
             "passledger: note: through the running server the events record its caller "
             "(operator:<your user name>), not --actor {}\n",
             given);
}

Error ErrorOfAnswer(const ServerAnswer& answer) {
  const ErrorCode code = http::ErrorCodeFor(answer.status);
  auto body = AnswerObject(answer);
  std::string message = body ? StringOf(*body, "error") : std::string();
  if (message.empty()) {
    message = "the server answered " + std::to_string(static_cast<unsigned>(answer.status));
  }
  if (body && http::HidesDetails(code)) message = ServerSideMessage(*body, message);
  return MakeError(code, std::move(message));
}

std::string PercentEncodeSegment(std::string_view segment) { return PercentEncode(segment); }

std::string WithQuery(std::string_view path,
                      const std::vector<std::pair<std::string, std::string>>& query) {
  std::string target(path);
  char separator = '?';
  for (const auto& [name, value] : query) {
    target += separator;
    target += PercentEncode(name) + "=" + PercentEncode(value);
    separator = '&';
  }
  return target;
}

std::uint64_t UintOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return 0;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64()) return value->get_int64() < 0 ? 0 : static_cast<std::uint64_t>(value->get_int64());
  if (value->is_double()) return static_cast<std::uint64_t>(value->get_double());
  return 0;
}

double DoubleOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return 0;
  if (value->is_double()) return value->get_double();
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  return 0;
}

std::string StringOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

bool BoolOf(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_bool() && value->as_bool();
}

const json::object& ObjectOf(const json::object& object, std::string_view name) {
  static const json::object kEmpty;
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_object() ? value->as_object() : kEmpty;
}

const json::array& ArrayOf(const json::object& object, std::string_view name) {
  static const json::array kEmpty;
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_array() ? value->as_array() : kEmpty;
}

}  // namespace passledger::tools

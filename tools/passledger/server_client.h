// The CLI's side of the operator socket (docs/ADMIN.md, "The operator socket"): while
// `passledger serve` holds the data directory, the write commands (import, mail send, push,
// forget, pass revoke-token, user add|passwd|role|disable, rebuild) speak the admin API to it
// over <data>/passledger.sock instead of opening the directory, and print what they would
// have printed themselves.
//
// ServerClient is one keep-alive HTTP/1.1 connection (Beast over a Unix stream socket), used
// by one thread; requests are synchronous. The server authenticates the connection by its
// peer credentials: nothing here carries a secret besides the request bodies themselves.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "tools/passledger/commands.h"

namespace passledger::tools {

// Where `serve` listens for the CLI: "<data>/passledger.sock".
std::filesystem::path OperatorSocketPath(const std::filesystem::path& data_dir);

// One answer of the server.
struct ServerAnswer {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
};

class ServerClient {
 public:
  // Connects to the operator socket of the server holding `data_dir`; nullopt when no server
  // runs there (no socket, or nobody accepting on it: a crashed server's) or the socket is not
  // ours to reach — the command then opens the data directory itself, as without a server.
  static std::optional<ServerClient> Connect(const std::filesystem::path& data_dir);

  ServerClient(ServerClient&&) noexcept;
  ServerClient& operator=(ServerClient&&) noexcept;
  ~ServerClient();

  // Sends one request and reads its answer, whatever its status. kUnavailable when the
  // connection fails or the server closes it without an answer (it refuses other users).
  Result<ServerAnswer> Send(boost::beast::http::verb method, std::string_view target,
                            std::string body, std::string_view content_type,
                            const std::vector<std::pair<std::string, std::string>>& headers = {});

  // A JSON request whose answer is JSON: the answer's object for a 2xx status, else the error
  // it stands for (http::ErrorCodeFor, with the server's message; a server-side failure names
  // the request id its log has the details under).
  Result<boost::json::object> Call(boost::beast::http::verb method, std::string_view target,
                                   const boost::json::object& body = {});

 private:
  struct Impl;
  explicit ServerClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// For a command given --actor that runs through the server: the server records its caller
// (operator:<unix user>), never an actor the client names; says so on stderr.
void NoteActorNotUsed(std::string_view given);

// The error an answer with a status other than 2xx stands for.
Error ErrorOfAnswer(const ServerAnswer& answer);
// The answer's body as a JSON object (kInternal when it is not one).
Result<boost::json::object> AnswerObject(const ServerAnswer& answer);

// A path segment percent-encoded (everything but unreserved characters).
std::string PercentEncodeSegment(std::string_view segment);

// A target with its query: "/admin/api/x" + "?a=1&b=two%20words" for the pairs given.
std::string WithQuery(std::string_view path,
                      const std::vector<std::pair<std::string, std::string>>& query);

// Field readers for the answers (0, "" or false when absent or of another type).
std::uint64_t UintOf(const boost::json::object& object, std::string_view name);
double DoubleOf(const boost::json::object& object, std::string_view name);
std::string StringOf(const boost::json::object& object, std::string_view name);
bool BoolOf(const boost::json::object& object, std::string_view name);
const boost::json::object& ObjectOf(const boost::json::object& object, std::string_view name);
const boost::json::array& ArrayOf(const boost::json::object& object, std::string_view name);

}  // namespace passledger::tools

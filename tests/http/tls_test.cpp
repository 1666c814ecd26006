// The Server with TLS: a self-signed certificate made here, a real OpenSSL client over a raw
// socket; TLS 1.2+ only, plain HTTP refused (tls_only) or served (tls_only = false).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>

#include "http/server.h"
#include "tests/http/client.h"
#include "tests/testing/files.h"
#include "tests/testing/temp_dir.h"

namespace passledger::http {
namespace {

using namespace std::chrono_literals;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using CtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Writes cert.pem and key.pem (P-256, CN=localhost, valid one hour) into `dir`.
void WriteSelfSigned(const std::filesystem::path& dir) {
  KeyPtr key(EVP_EC_gen("P-256"));
  BOOST_REQUIRE(key);
  CertPtr cert(X509_new());
  BOOST_REQUIRE(X509_set_version(cert.get(), 2) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  BOOST_REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string common_name = "localhost";
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  BOOST_REQUIRE(X509_set_issuer_name(cert.get(), name) == 1);
  BOOST_REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  BOOST_REQUIRE(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1);
  BOOST_REQUIRE(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) == 1);
  ::passledger::testing::WriteFile(dir / "cert.pem", BioText(cert_bio.get()));
  ::passledger::testing::WriteFile(dir / "key.pem", BioText(key_bio.get()));
}

int ConnectSocket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// One TLS request with "Connection: close"; the whole answer, or nullopt when the
// handshake fails. `max_version` 0: the client's default.
std::optional<std::string> TlsRoundtrip(std::uint16_t port, const std::string& request,
                                        int max_version = 0) {
  CtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (max_version != 0) {
    SSL_CTX_set_security_level(context.get(), 0);
    SSL_CTX_set_min_proto_version(context.get(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(context.get(), max_version);
  }
  const int fd = ConnectSocket(port);
  SslPtr ssl(SSL_new(context.get()));
  SSL_set_fd(ssl.get(), fd);
  std::optional<std::string> answer;
  if (SSL_connect(ssl.get()) == 1 &&
      SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) > 0) {
    answer.emplace();
    char chunk[4096];
    int n;
    while ((n = SSL_read(ssl.get(), chunk, sizeof chunk)) > 0) {
      answer->append(chunk, static_cast<std::size_t>(n));
    }
  }
  ssl.reset();
  ::close(fd);
  return answer;
}

struct TlsServer {
  explicit TlsServer(bool tls_only = true) {
    WriteSelfSigned(dir.path());
    router.Add({bhttp::verb::get}, "/hello/{name}", [](Request&& request, Responder responder) {
      Response response{bhttp::status::ok, 11};
      response.body() = "hello " + std::string(request.Param("name"));
      responder.Send(std::move(response));
    });
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.header_timeout = 2s;
    options.tls_certificate_file = (dir.path() / "cert.pem").string();
    options.tls_key_file = (dir.path() / "key.pem").string();
    options.tls_only = tls_only;
    options.access_log = nullptr;
    options.error_log = nullptr;
    server = std::make_unique<Server>(options, router);
    BOOST_REQUIRE(server->Start().has_value());
  }
  ~TlsServer() { server->Stop(2s); }

  ::passledger::testing::TempDir dir;
  Router router;
  std::unique_ptr<Server> server;
};

const std::string kHello = "GET /hello/tls HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(serves_https) {
  TlsServer server;
  const auto answer = TlsRoundtrip(server.server->port(), kHello);
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST(answer->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  BOOST_TEST(answer->find("\r\n\r\nhello tls") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_tls_1_1) {
  TlsServer server;
  BOOST_TEST(!TlsRoundtrip(server.server->port(), kHello, TLS1_1_VERSION).has_value());
  // A TLS 1.2 client of the same kind gets through: the refusal is the version's.
  BOOST_TEST(TlsRoundtrip(server.server->port(), kHello, TLS1_2_VERSION).has_value());
}

BOOST_AUTO_TEST_CASE(plain_http_closed_when_tls_only) {
  TlsServer server;
  testing::Connection plain(server.server->port());
  BOOST_REQUIRE(plain.Send(kHello));
  BOOST_TEST(!plain.Read().has_value());
}

BOOST_AUTO_TEST_CASE(plain_http_served_when_not_tls_only) {
  TlsServer server(/*tls_only=*/false);
  testing::Connection plain(server.server->port());
  BOOST_REQUIRE(plain.Send(kHello));
  const auto response = plain.Read();
  BOOST_REQUIRE(response.has_value());
  BOOST_TEST(response->body == "hello tls");
  BOOST_TEST(TlsRoundtrip(server.server->port(), kHello).has_value());
}

BOOST_AUTO_TEST_CASE(missing_certificate_is_invalid_argument) {
  Router router;
  ServerOptions options;
  options.port = 0;
  options.tls_certificate_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  Server server(options, router);
  const auto started = server.Start();
  BOOST_REQUIRE(!started.has_value());
  BOOST_TEST(ErrorCodeName(started.error().code) == ErrorCodeName(ErrorCode::kInvalidArgument));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace passledger::http

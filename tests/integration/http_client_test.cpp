// The integration tests' HTTP client against a canned server thread on 127.0.0.1:0: response
// framing (Content-Length, chunked, close), header lookup, what the client sends, and that a
// silent or absent server gives an exception rather than a hang.
#include "integration/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using mes::itest::HttpClient;
using mes::itest::HttpResponse;
using mes::itest::urlEncode;
namespace bdata = boost::unit_test::data;

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kServerPatience = std::chrono::seconds(5);

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// What the canned server does once it has written its pieces.
enum class After {
  kWaitForClientClose,  // keep the connection open: the client must frame the body itself
  kClose,               // close right away: close-delimited bodies
  kStaySilent,          // never answer (the pieces are not sent): the client must time out
};

// Accepts one connection, reads one request, answers with `pieces` written separately (so the
// client sees fragmented reads), then behaves as `after` says. Every wait is bounded, so a
// broken client fails the test instead of hanging the server thread.
class CannedServer {
 public:
  CannedServer(std::vector<std::string> pieces, After after)
      : pieces_(std::move(pieces)), after_(after) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    BOOST_REQUIRE(listenFd_ >= 0);
    sockaddr_in addr = loopback(0);
    BOOST_REQUIRE(::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    BOOST_REQUIRE(::listen(listenFd_, 4) == 0);
    socklen_t len = sizeof(addr);
    BOOST_REQUIRE(::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(listenFd_);
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;

  uint16_t port() const { return port_; }
  HttpClient client() const { return {"127.0.0.1", port_}; }

  // The bytes the client sent, once the exchange is over.
  const std::string& receivedRequest() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return request_;
  }

 private:
  // Waits for `fd` to become readable; false when stopped or out of patience.
  bool waitReadable(int fd, Clock::time_point deadline) const {
    while (!stop_ && Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        return true;
      }
    }
    return false;
  }

  bool requestComplete() const {
    const auto headerEnd = request_.find("\r\n\r\n");
    if (headerEnd == std::string::npos) {
      return false;
    }
    const std::string head = request_.substr(0, headerEnd);
    const std::size_t bodyStart = headerEnd + 4;
    if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
      return request_.size() >= bodyStart + 5 &&
             request_.compare(request_.size() - 5, 5, "0\r\n\r\n") == 0;
    }
    if (const auto cl = head.find("Content-Length: "); cl != std::string::npos) {
      return request_.size() - bodyStart >= std::stoul(head.substr(cl + 16));
    }
    return true;
  }

  void serve() {
    const auto deadline = Clock::now() + kServerPatience;
    if (!waitReadable(listenFd_, deadline)) {
      return;
    }
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      return;
    }
    std::array<char, 4096> buf{};
    while (!requestComplete() && waitReadable(fd, deadline)) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        break;
      }
      request_.append(buf.data(), static_cast<std::size_t>(n));
    }
    if (after_ != After::kStaySilent) {
      for (const auto& piece : pieces_) {
        ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
      }
    }
    if (after_ != After::kClose) {
      // Until the client hangs up (recv returns 0) or patience runs out.
      while (waitReadable(fd, deadline) && ::recv(fd, buf.data(), buf.size(), 0) > 0) {
      }
    }
    ::close(fd);
  }

  std::vector<std::string> pieces_;
  After after_;
  int listenFd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::string request_;
  std::thread thread_;
};

// A loopback port with nobody listening.
uint16_t closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof(addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  BOOST_REQUIRE(bound);
  return ntohs(addr.sin_port);
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

struct FramingCase {
  const char* name;
  std::vector<std::string> pieces;
  After after;
  int status;
  const char* body;
};
std::ostream& operator<<(std::ostream& os, const FramingCase& c) {
  return os << c.name;
}

const FramingCase kFramingCases[] = {
    {"content-length",
     {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"},
     After::kWaitForClientClose,
     200,
     "hello"},
    {"content-length split across reads",
     {"HTTP/1.1 201 Cre", "ated\r\nContent-Le", "ngth: 11\r\n\r\nhello", " world"},
     After::kWaitForClientClose,
     201,
     "hello world"},
    {"chunked with extension and trailer",
     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5;ext=1\r\nhello\r\n",
      "7\r\n, world\r\n", "0\r\nX-Trailer: t\r\n\r\n"},
     After::kWaitForClientClose,
     200,
     "hello, world"},
    {"chunked with upper-case hex size, split inside a chunk",
     {"HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n01234", "56789\r\n0\r\n\r\n"},
     After::kWaitForClientClose,
     200,
     "0123456789"},
    {"close-delimited",
     {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil", " close"},
     After::kClose,
     200,
     "until close"},
    {"204 has no body", {"HTTP/1.1 204 No Content\r\n\r\n"}, After::kWaitForClientClose, 204, ""},
    {"interim 100 Continue skipped",
     {"HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
     After::kWaitForClientClose,
     200,
     "ok"},
    {"error status with body",
     {"HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 2\r\n\r\n{}"},
     After::kWaitForClientClose,
     422,
     "{}"},
};

struct BrokenCase {
  const char* name;
  std::vector<std::string> pieces;
  const char* messagePart;
};
std::ostream& operator<<(std::ostream& os, const BrokenCase& c) {
  return os << c.name;
}

const BrokenCase kBrokenCases[] = {
    {"closed without a response", {}, "connection closed without a response"},
    {"body shorter than Content-Length",
     {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
     "Content-Length 10"},
    {"chunked stream cut",
     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"},
     "chunk data"},
    {"not HTTP", {"SSH-2.0-OpenSSH\r\n\r\n"}, "malformed status line"},
    {"invalid Content-Length",
     {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"},
     "invalid Content-Length"},
    {"invalid chunk size",
     {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
     "malformed chunk size"},
};

struct EncodeCase {
  const char* in;
  const char* out;
};
std::ostream& operator<<(std::ostream& os, const EncodeCase& c) {
  return os << '"' << c.in << '"';
}

const EncodeCase kEncodeCases[] = {
    {"", ""},
    {"abcXYZ019", "abcXYZ019"},
    {"-._~", "-._~"},
    {"a b", "a%20b"},
    {"a+b&c=d", "a%2Bb%26c%3Dd"},
    {"http://x/y?z#f", "http%3A%2F%2Fx%2Fy%3Fz%23f"},
    {"2024-05-03T10:20:30+02:00", "2024-05-03T10%3A20%3A30%2B02%3A00"},
    {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
    {"100%", "100%25"},
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_DATA_TEST_CASE(response_is_framed, bdata::make(kFramingCases), c) {
  CannedServer server(c.pieces, c.after);
  HttpClient client = server.client();
  client.setTimeoutMs(3000);
  const HttpResponse r = client.get("/framing");
  BOOST_TEST(r.status == c.status);
  BOOST_TEST(r.body == c.body);
}

BOOST_DATA_TEST_CASE(broken_response_throws, bdata::make(kBrokenCases), c) {
  CannedServer server(c.pieces, After::kClose);
  HttpClient client = server.client();
  client.setTimeoutMs(3000);
  BOOST_CHECK_EXCEPTION(
      client.get("/broken"), std::runtime_error, [&](const std::runtime_error& e) {
        BOOST_TEST_MESSAGE(e.what());
        return contains(e.what(), c.messagePart) && contains(e.what(), "GET http://127.0.0.1:");
      });
}

BOOST_AUTO_TEST_CASE(header_lookup_ignores_case_and_takes_the_first) {
  CannedServer server({"HTTP/1.1 200 OK\r\n"
                       "Content-Type: application/fhir+json\r\n"
                       "X-Request-Id:   abc-123  \r\n"
                       "ETag: W/\"1\"\r\n"
                       "Set-Cookie: a=1\r\n"
                       "set-cookie: b=2\r\n"
                       "Content-Length: 0\r\n\r\n"},
                      After::kWaitForClientClose);
  const HttpResponse r = server.client().get("/headers");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("content-type") == "application/fhir+json");
  BOOST_TEST(r.header("X-REQUEST-ID") == "abc-123");
  BOOST_TEST(r.header("etag") == "W/\"1\"");
  BOOST_TEST(r.header("Set-Cookie") == "a=1");
  BOOST_TEST(r.header("Location") == "");
  BOOST_TEST(r.headers.size() == 6u);
  BOOST_TEST(r.headers[4].first == "set-cookie");
}

BOOST_AUTO_TEST_CASE(chunked_trailers_join_the_headers) {
  CannedServer server({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n0\r\nX-Checksum: 42\r\n\r\n"},
                      After::kWaitForClientClose);
  const HttpResponse r = server.client().get("/trailers");
  BOOST_TEST(r.body == "abc");
  BOOST_TEST(r.header("x-checksum") == "42");
}

BOOST_AUTO_TEST_CASE(post_sends_host_length_type_and_body) {
  CannedServer server({"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"},
                      After::kWaitForClientClose);
  const std::string body = R"({"a":"\u00e9"})";
  const HttpResponse r = server.client().post(
      "/fhir/Observation?x=1", body, "application/fhir+json", {{"Authorization", "Bearer t"}});
  BOOST_TEST(r.status == 201);
  const std::string& sent = server.receivedRequest();
  BOOST_TEST(sent.rfind("POST /fhir/Observation?x=1 HTTP/1.1\r\n", 0) == 0u);
  BOOST_TEST(contains(sent, "\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"));
  BOOST_TEST(contains(sent, "\r\nConnection: close\r\n"));
  BOOST_TEST(contains(sent, "\r\nAuthorization: Bearer t\r\n"));
  BOOST_TEST(contains(sent, "\r\nContent-Type: application/fhir+json\r\n"));
  BOOST_TEST(contains(sent, "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"));
  BOOST_TEST(sent.substr(sent.size() - body.size()) == body);
}

BOOST_AUTO_TEST_CASE(get_and_delete_send_no_content_length) {
  for (const char* method : {"GET", "DELETE"}) {
    CannedServer server({"HTTP/1.1 204 No Content\r\n\r\n"}, After::kWaitForClientClose);
    HttpClient client = server.client();
    const HttpResponse r = std::string(method) == "GET" ? client.get("/x") : client.del("/x");
    BOOST_TEST(r.status == 204);
    const std::string& sent = server.receivedRequest();
    BOOST_TEST(sent.rfind(std::string(method) + " /x HTTP/1.1\r\n", 0) == 0u);
    BOOST_TEST(!contains(sent, "Content-Length"));
    BOOST_TEST(sent.substr(sent.size() - 4) == "\r\n\r\n");
  }
}

BOOST_AUTO_TEST_CASE(put_with_empty_body_sends_zero_length) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}, After::kWaitForClientClose);
  const HttpResponse r = server.client().put("/fhir/Patient/1", "", "application/json");
  BOOST_TEST(r.status == 200);
  const std::string& sent = server.receivedRequest();
  BOOST_TEST(sent.rfind("PUT /fhir/Patient/1 HTTP/1.1\r\n", 0) == 0u);
  BOOST_TEST(contains(sent, "\r\nContent-Length: 0\r\n"));
  BOOST_TEST(contains(sent, "\r\nContent-Type: application/json\r\n"));
}

BOOST_AUTO_TEST_CASE(caller_chunked_body_is_sent_as_given) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}, After::kWaitForClientClose);
  const std::string chunked = "5\r\nhello\r\n0\r\n\r\n";
  const HttpResponse r = server.client().request(
      "POST", "/chunked", {{"Transfer-Encoding", "chunked"}, {"Host", "example.org"}}, chunked);
  BOOST_TEST(r.status == 200);
  const std::string& sent = server.receivedRequest();
  BOOST_TEST(!contains(sent, "Content-Length"));
  BOOST_TEST(contains(sent, "\r\nHost: example.org\r\n"));
  BOOST_TEST(!contains(sent, "Host: 127.0.0.1"));
  BOOST_TEST(sent.substr(sent.size() - chunked.size()) == chunked);
}

BOOST_AUTO_TEST_CASE(raw_sends_exactly_the_bytes) {
  CannedServer server({"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad"},
                      After::kWaitForClientClose);
  const std::string bytes = "GET /raw HTTP/1.1\r\nX-Odd:  spaced \r\nHost: h\r\n\r\n";
  const HttpResponse r = server.client().raw(bytes);
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.body == "bad");
  BOOST_TEST(server.receivedRequest() == bytes);
}

BOOST_AUTO_TEST_CASE(silent_server_times_out_instead_of_hanging) {
  CannedServer server({}, After::kStaySilent);
  HttpClient client = server.client();
  client.setTimeoutMs(200);
  const auto start = Clock::now();
  BOOST_CHECK_EXCEPTION(client.get("/slow"), std::runtime_error, [](const std::runtime_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return contains(e.what(), "no complete response within 200 ms") && contains(e.what(), "/slow");
  });
  const auto elapsed = Clock::now() - start;
  BOOST_TEST(elapsed >= std::chrono::milliseconds(190));
  BOOST_TEST(elapsed < std::chrono::seconds(3));
}

BOOST_AUTO_TEST_CASE(partial_response_then_silence_times_out) {
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"},
                      After::kWaitForClientClose);
  HttpClient client = server.client();
  client.setTimeoutMs(200);
  BOOST_CHECK_EXCEPTION(
      client.get("/partial"), std::runtime_error, [](const std::runtime_error& e) {
        return contains(e.what(), "within 200 ms") && contains(e.what(), "only this");
      });
}

BOOST_AUTO_TEST_CASE(connection_refused_throws) {
  HttpClient client("127.0.0.1", closedPort());
  client.setTimeoutMs(2000);
  BOOST_CHECK_EXCEPTION(
      client.get("/healthz"), std::runtime_error, [](const std::runtime_error& e) {
        BOOST_TEST_MESSAGE(e.what());
        return contains(e.what(), "connection failed") && contains(e.what(), "/healthz");
      });
}

BOOST_AUTO_TEST_CASE(timeout_must_be_positive) {
  HttpClient client("127.0.0.1", 1);
  BOOST_CHECK_THROW(client.setTimeoutMs(0), std::invalid_argument);
  BOOST_TEST(client.timeoutMs() == HttpClient::kDefaultTimeoutMs);
}

BOOST_DATA_TEST_CASE(url_encode, bdata::make(kEncodeCases), c) {
  BOOST_TEST(urlEncode(c.in) == c.out);
}

BOOST_AUTO_TEST_SUITE_END()

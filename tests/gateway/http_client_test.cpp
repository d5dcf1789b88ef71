// The plain HTTP client (gateway/http/http_client.h) against a real server of ours on loopback:
// redirects come back as they are, bodies are bytes, the caller's headers go out, and failures
// are errors with their codes instead of exceptions.
#include "gateway/http/http_client.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "gateway/http/http_server.h"

using namespace mes;
using namespace mes::http;

namespace {

std::string allBytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out += static_cast<char>(i);
  return out;
}

Response route(Request& request) {
  Response r;
  if (request.path == "/redirect") {
    r.status = 302;
    r.headers.add("Location", "/target?code=abc");
    return r;
  }
  if (request.path == "/bytes") {
    r.headers.add("Content-Type", "application/octet-stream");
    r.body = allBytes();
    return r;
  }
  if (request.path == "/echo") {
    r.status = 201;
    r.headers.add("Content-Type", "text/plain");
    r.headers.add("X-Method", request.method);
    r.headers.add("X-Content-Type", request.headers.get("Content-Type"));
    r.headers.add("X-Custom", request.headers.get("X-Custom"));
    r.headers.add("X-Query", request.rawQuery);
    r.body = request.body;
    return r;
  }
  if (request.path == "/slow") {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return r;
  }
  r.status = 404;
  r.headers.add("Content-Type", "application/fhir+json");
  r.body = R"({"resourceType":"OperationOutcome"})";
  return r;
}

// A server of ours on a loopback port nobody else uses (tried from a pid-derived start).
struct LocalServer {
  std::unique_ptr<Server> server;
  uint16_t port = 0;
  LocalServer() {
    for (int attempt = 0; attempt < 50 && !server; ++attempt) {
      const auto candidate =
          static_cast<uint16_t>(20000 + (::getpid() * 7 + attempt * 131) % 40000);
      ServerOptions options;
      options.port = candidate;
      options.threads = 4;
      auto s = std::make_unique<Server>(options, route);
      if (s->start()) {
        server = std::move(s);
        port = candidate;
      }
    }
    BOOST_REQUIRE(server);
  }
  ~LocalServer() { server->shutdown(std::chrono::milliseconds(2000)); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_AUTO_TEST_CASE(redirects_are_not_followed) {
  LocalServer local;
  auto client = makeHttpClient();
  auto r = client->send({"GET", local.url("/redirect"), {}, {}});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 302);
  BOOST_TEST(r->headers.get("Location") == "/target?code=abc");
}

BOOST_AUTO_TEST_CASE(bodies_are_bytes_and_errors_are_answers) {
  LocalServer local;
  auto client = makeHttpClient();
  auto bytes = client->send({"GET", local.url("/bytes"), {}, {}});
  BOOST_REQUIRE(bytes);
  BOOST_TEST(bytes->status == 200);
  BOOST_TEST(bytes->body == allBytes());
  auto missing = client->send({"GET", local.url("/nothing"), {}, {}});
  BOOST_REQUIRE(missing);
  BOOST_TEST(missing->status == 404);
  BOOST_TEST(missing->reason == "Not Found");
  BOOST_TEST(missing->headers.get("Content-Type") == "application/fhir+json");
  BOOST_TEST(missing->body == R"({"resourceType":"OperationOutcome"})");
}

BOOST_AUTO_TEST_CASE(the_callers_method_headers_query_and_body_go_out) {
  LocalServer local;
  auto client = makeHttpClient();
  ClientRequest request{"PUT", local.url("/echo?a=1&b=x%7Cy"), {}, "{\"x\":\"\xC3\xA9\"}"};
  request.headers.add("Content-Type", "application/fhir+json");
  request.headers.add("X-Custom", "value 1");
  auto r = client->send(request);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 201);
  BOOST_TEST(r->headers.get("X-Method") == "PUT");
  BOOST_TEST(r->headers.get("X-Content-Type") == "application/fhir+json");
  BOOST_TEST(r->headers.get("X-Custom") == "value 1");
  BOOST_TEST(r->headers.get("X-Query") == "a=1&b=x%7Cy");
  BOOST_TEST(r->body == request.body);
  auto empty = client->send({"POST", local.url("/echo"), {}, {}});
  BOOST_REQUIRE(empty);
  BOOST_TEST(empty->body.empty());
}

BOOST_AUTO_TEST_CASE(failures_are_errors_with_codes) {
  LocalServer local;
  ClientOptions quick;
  quick.timeout = std::chrono::milliseconds(300);
  auto client = makeHttpClient(quick);
  auto slow = client->send({"GET", local.url("/slow"), {}, {}});
  BOOST_REQUIRE(!slow);
  BOOST_TEST(slow.error().code() == "http-timeout");
  const uint16_t closed = local.port;
  local.server->shutdown(std::chrono::milliseconds(2000));
  auto refused = makeHttpClient(quick)->send(
      {"GET", "http://127.0.0.1:" + std::to_string(closed) + "/", {}, {}});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(refused.error().code() == "http-unreachable");
  for (const char* url : {"not a url", "ftp://host/file", "/relative"}) {
    auto invalid = client->send({"GET", url, {}, {}});
    BOOST_REQUIRE(!invalid);
    BOOST_TEST(invalid.error().code() == "url-invalid", url);
  }
  auto badMethod = client->send({"GE T", local.url("/"), {}, {}});
  BOOST_TEST(badMethod.error().code() == "url-invalid");
}

BOOST_AUTO_TEST_SUITE_END()

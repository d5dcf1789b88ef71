// A plain HTTP client: request and response values over http and https, so that code outside
// gateway/http (the conformance harness, test fixtures) can make outgoing calls without
// including cpprestsdk.
//
//   std::unique_ptr<HttpClient> client = makeHttpClient({.timeout = std::chrono::seconds(10)});
//   Result<ClientResponse> r = client->send({"GET", "http://127.0.0.1:8080/fhir/metadata"});
//
// Literal by design, because its users judge what a server answers:
//  - redirects are never followed: a 302 comes back as a 302 with its Location;
//  - the response is reported as received: status, reason phrase, headers, body bytes
//    (any content type, never decoded or decompressed; no error for 4xx or 5xx);
//  - the request carries the caller's headers. The library adds Host, Content-Length (for a
//    body, and for POST, PUT and PATCH without one) and a User-Agent when the caller sets none;
//    a body without a Content-Type header is sent as application/octet-stream.
// Headers of the response: the library folds repeated headers into one value joined by ", "
// (RFC 9110 §5.3), and reports them sorted by name, not in wire order.
//
// Errors (the exchange did not complete; no status to report):
//   kInvalid      "url-invalid"        not an absolute http or https URL, or a method that is
//                                      not an HTTP token
//   kUnavailable  "http-unreachable"   the connection could not be made or broke (refused,
//                                      unknown host, TLS failure, reset)
//   kUnavailable  "http-timeout"       no complete response within the timeout
// Thread-safe: one client may send from many threads; connections to one origin are pooled.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"
#include "gateway/http/message.h"

namespace mes::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path[?query], already percent-encoded
  Headers headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  std::string reason;  // reason phrase as sent, e.g. "Found"
  Headers headers;
  std::string body;  // bytes as received
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
};

struct ClientOptions {
  // Bounds each exchange (connect, send, receive the whole response).
  std::chrono::milliseconds timeout{30000};
  // https only: check the server certificate against the system's trust store and its name.
  bool verifyTls = true;
};

// The cpprestsdk implementation.
std::unique_ptr<HttpClient> makeHttpClient(const ClientOptions& options = {});

}  // namespace mes::http

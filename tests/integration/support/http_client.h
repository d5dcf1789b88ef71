// A small blocking HTTP/1.1 client for the integration tests, over plain POSIX sockets.
//
// It exists so the tests talk to the real gateway the way any outside client does, without
// sharing the server's HTTP stack (cpprestsdk). It is deliberately literal: it sends what the
// caller asks for, adds only Host, Connection: close and Content-Length when the caller did not
// set them, and reports the response as received. Every call opens one connection and closes
// it when the response is read.
//
// Errors are exceptions (this is test code, and a failed exchange should fail the test with a
// readable message): std::runtime_error when the connection cannot be made, the exchange does
// not finish within the timeout, or the response is not valid HTTP/1.1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mes::itest {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // in received order, names as sent; chunked trailers are appended
  std::string body;    // de-chunked when the response used chunked transfer-encoding

  // Value of the first header whose name equals `name` ignoring ASCII case; "" when absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  static constexpr int kDefaultTimeoutMs = 30000;

  // `host` is a numeric address or a name getaddrinfo resolves ("127.0.0.1", "localhost").
  HttpClient(std::string host, uint16_t port);

  // Sends `method target HTTP/1.1` with `headers` and `body`, and reads one response.
  // Added unless the caller passes a header of the same name (case-insensitive):
  //   Host: <host>:<port>, Connection: close, and Content-Length: <body size> — the last one
  //   only when the body is non-empty or the method is POST, PUT or PATCH, and never when the
  //   caller passes Transfer-Encoding (the body is then sent exactly as given, e.g. already
  //   chunk-encoded).
  // The response body is delimited by chunked transfer-encoding, Content-Length or connection
  // close, in that order of precedence; HEAD, 1xx, 204 and 304 responses have none. Interim 1xx
  // responses (except 101) are skipped.
  // Throws std::runtime_error on connection failure, on timeout, on a malformed response, or
  // when the server closes the connection before the response is complete.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HeaderList& headers = {}, std::string_view body = {});

  HttpResponse get(std::string_view target, const HeaderList& headers = {});
  HttpResponse post(std::string_view target, std::string_view body,
                    std::string_view contentType = "application/fhir+json",
                    const HeaderList& headers = {});
  HttpResponse put(std::string_view target, std::string_view body,
                   std::string_view contentType = "application/fhir+json",
                   const HeaderList& headers = {});
  HttpResponse del(std::string_view target, const HeaderList& headers = {});

  // Sends exactly `bytes` (nothing added) and reads one response, framed as above; for tests of
  // malformed requests. If the server closes while the bytes are still being sent, whatever
  // response it wrote before closing is still returned.
  HttpResponse raw(std::string_view bytes);

  // Bounds each whole exchange (connect, send, read the complete response). Default 30 s.
  void setTimeoutMs(int timeoutMs);
  int timeoutMs() const { return timeoutMs_; }

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

  // Headers sent with every request unless the call passes one of the same name (e.g. the
  // Authorization of a paired app).
  void setDefaultHeaders(HeaderList headers) { defaults_ = std::move(headers); }

 private:
  HttpResponse exchange(std::string_view label, std::string_view bytes, bool headRequest);

  std::string host_;
  uint16_t port_;
  int timeoutMs_ = kDefaultTimeoutMs;
  HeaderList defaults_;
};

// Percent-encodes a query or path value: every byte except RFC 3986 unreserved characters
// (A-Z a-z 0-9 - . _ ~) becomes %XX with upper-case hex; a space becomes %20.
std::string urlEncode(std::string_view value);

}  // namespace mes::itest

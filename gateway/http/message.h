// Plain HTTP request/response values. The router and handlers only ever see these; the
// HTTP library behind them (cpprestsdk today) stays inside gateway/http/http_server.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mes::http {

// Header list with case-insensitive lookup; keeps order and duplicates.
class Headers {
 public:
  // First value for `name`, or "" when absent.
  const std::string& get(std::string_view name) const;
  bool has(std::string_view name) const;
  // Replaces every value of `name` with one.
  void set(std::string_view name, std::string value);
  void add(std::string name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);

// Headers that belong to one connection, which the HTTP library sets itself on each hop (Host,
// Content-Length, Connection, Transfer-Encoding, Keep-Alive): a proxy does not copy them.
bool isPerHopHeader(std::string_view name);

struct Request {
  std::string method;   // upper case, e.g. "GET"
  std::string path;     // percent-decoded path, e.g. "/fhir/Observation/abc"
  std::string rawQuery; // as received, without '?'
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
  Headers headers;
  std::string body;
  std::string remoteAddress;
  // Set by the adapter when the body was over the limit; `body` is then empty.
  bool bodyTooLarge = false;
  uint64_t declaredBodyBytes = 0;  // Content-Length, or bytes received when chunked
};

// A response body produced on demand (large downloads): the adapter pulls it piece by piece
// while the client reads, so a 20 MiB document is never one string in memory.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Exact number of bytes read() will deliver in all (sent as Content-Length).
  virtual uint64_t size() const = 0;
  // Copies up to `capacity` next bytes into `buffer`; returns how many (0 only at the end).
  // An error aborts the response: the connection is closed before Content-Length bytes were
  // sent, which the client sees as a truncated body. May be called from any thread, one call
  // at a time.
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body comes from it instead of `body` (which must then be empty).
  std::shared_ptr<BodySource> source;
  bool closeConnection = false;  // ask the adapter to close the connection after this response
};

// A request body delivered to a streaming route chunk by chunk as it arrives, instead of
// being buffered whole into Request::body (uploads of documents; see Server and
// gateway/router.h Router::openStream).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The largest body it takes, in bytes; past it the adapter stops delivering and calls
  // finish() with kTooLarge "body-too-large".
  virtual uint64_t limit() const = 0;
  // The next bytes of the body, in order; never empty. An error stops the delivery: the rest
  // of the body is read and dropped (memory stays bounded), then finish() gets that error.
  virtual Status write(std::string_view chunk) = 0;
  // Called exactly once, when the body has been read: with ok after the last chunk, with the
  // error write() returned, with kTooLarge past limit(), or with kInvalid "body-incomplete"
  // when the client went away mid-body (the response is then not delivered). Returns the
  // response to send.
  virtual Response finish(Status received) = 0;
};

// Decides from the head of a request (method, path, query, headers, remote address;
// declaredBodyBytes = Content-Length when given; body empty) whether its body is streamed:
// returns the BodyStream that receives it, or nullptr for the ordinary buffered path. Only
// asked for requests that carry a body.
using StreamOpener = std::function<std::unique_ptr<BodyStream>(Request& head)>;

// Splits "a=1&b=x%20y" into decoded pairs. '+' stays a plus (RFC 3986; FHIR dates carry
// offsets such as +02:00 and media types such as application/fhir+json); a space is %20.
// Malformed escapes stay literal.
std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view rawQuery);
// Splits an application/x-www-form-urlencoded body (HTML forms, OAuth token requests): like
// parseQuery, but '+' is a space (WHATWG URL "application/x-www-form-urlencoded parser").
std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body);
// The value of the first `name` in a parsed query or form, or "" when absent.
const std::string& firstValue(const std::vector<std::pair<std::string, std::string>>& pairs,
                              std::string_view name);
// How many times `name` occurs (OAuth refuses repeated parameters, RFC 6749 §3.1).
size_t countOf(const std::vector<std::pair<std::string, std::string>>& pairs,
               std::string_view name);
std::string percentDecode(std::string_view text, bool plusAsSpace);
// Encodes everything but unreserved characters (RFC 3986).
std::string percentEncode(std::string_view text);

}  // namespace mes::http

// Plain HTTP request/response values. The router and handlers only ever see these; the
// HTTP library behind them (cpprestsdk today) stays inside gateway/http/http_server.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  bool closeConnection = false;  // ask the adapter to close the connection after this response
};

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

#include "conformance/redaction.h"

#include <array>
#include <regex>

namespace mes::conformance {

namespace {

constexpr std::array<std::string_view, 9> kSecretParameters = {
    "code",     "access_token",     "refresh_token", "id_token", "token",
    "password", "client_assertion", "code_verifier", "csrf"};

bool isSecretParameter(std::string_view name, bool codeIsSecret) {
  if (name == "code") return codeIsSecret;
  for (std::string_view secret : kSecretParameters) {
    if (name == secret) return true;
  }
  return false;
}

bool hasParameter(std::string_view pairs, std::string_view name) {
  size_t start = 0;
  while (start <= pairs.size()) {
    size_t end = pairs.find('&', start);
    if (end == std::string_view::npos) end = pairs.size();
    const std::string_view pair = pairs.substr(start, end - start);
    if (pair.substr(0, pair.find('=')) == name) return true;
    start = end + 1;
  }
  return false;
}

// "a=1&code=xyz" → "a=1&code=[redacted]"; order and everything else kept. `code` only when
// `codeIsSecret` (an OAuth code rather than a FHIR search's code).
std::string redactPairs(std::string_view pairs, bool codeIsSecret) {
  std::string out;
  size_t start = 0;
  while (start <= pairs.size()) {
    size_t end = pairs.find('&', start);
    if (end == std::string_view::npos) end = pairs.size();
    const std::string_view pair = pairs.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && isSecretParameter(pair.substr(0, eq), codeIsSecret)) {
      out += std::string(pair.substr(0, eq + 1)) + std::string(kRedacted);
    } else {
      out += pair;
    }
    if (end == pairs.size()) break;
    out += '&';
    start = end + 1;
  }
  return out;
}

std::string redactCookies(std::string_view value, bool setCookie) {
  // Cookie: "a=1; b=2"; Set-Cookie: "a=1; Path=/; HttpOnly" (only the first pair is a cookie).
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start < value.size()) {
    size_t end = value.find(';', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view part = value.substr(start, end - start);
    const size_t eq = part.find('=');
    if ((!setCookie || first) && eq != std::string_view::npos) {
      out += std::string(part.substr(0, eq + 1)) + std::string(kRedacted);
    } else {
      out += part;
    }
    if (end < value.size()) out += ';';
    first = false;
    start = end + 1;
  }
  return out;
}

http::Headers redactHeaders(const http::Headers& headers) {
  http::Headers out;
  for (const auto& [name, value] : headers.all()) {
    if (http::equalsIgnoreCase(name, "Authorization") ||
        http::equalsIgnoreCase(name, "Proxy-Authorization")) {
      out.add(name, redactAuthorization(value));
    } else if (http::equalsIgnoreCase(name, "Cookie")) {
      out.add(name, redactCookies(value, false));
    } else if (http::equalsIgnoreCase(name, "Set-Cookie")) {
      out.add(name, redactCookies(value, true));
    } else if (http::equalsIgnoreCase(name, "Location")) {
      out.add(name, redactUrl(value));
    } else {
      out.add(name, value);
    }
  }
  return out;
}

std::string redactBody(const http::Headers& headers, std::string_view body) {
  if (body.empty()) return {};
  if (headers.get("Content-Type").find("application/x-www-form-urlencoded") != std::string::npos) {
    return redactFormBody(body);
  }
  return redactJsonSecrets(body);
}

}  // namespace

std::string redactUrl(std::string_view url) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  const size_t hash = url.find('#', q);
  const std::string_view query =
      url.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1);
  // `code` is an authorization code outside FHIR searches, and in any redirect carrying the
  // authorization response's `state` or `iss`; in a FHIR search it is the search parameter.
  const std::string_view path = url.substr(0, q);
  const bool fhirSearch = path.find("/fhir/") != std::string_view::npos ||
                          (path.size() >= 5 && path.substr(path.size() - 5) == "/fhir");
  const bool codeIsSecret =
      !fhirSearch || hasParameter(query, "state") || hasParameter(query, "iss");
  std::string out = std::string(url.substr(0, q + 1)) + redactPairs(query, codeIsSecret);
  if (hash != std::string_view::npos) out += url.substr(hash);
  return out;
}

std::string redactFormBody(std::string_view body) {
  return redactPairs(body, true);  // forms are OAuth's (token requests, the portal's pages)
}

std::string redactJsonSecrets(std::string_view body) {
  static const std::regex kMember(
      R"re(("(?:access_token|refresh_token|id_token|password|code_verifier|client_assertion|csrf_token)"\s*:\s*)"(?:[^"\\]|\\.)*")re");
  return std::regex_replace(std::string(body), kMember, "$1\"" + std::string(kRedacted) + "\"");
}

std::string redactAuthorization(std::string_view value) {
  const size_t space = value.find(' ');
  if (space == std::string_view::npos) return std::string(kRedacted);
  const std::string_view scheme = value.substr(0, space);
  std::string_view credentials = value.substr(space + 1);
  std::string kept;
  const size_t dot = credentials.find('.');
  if (http::equalsIgnoreCase(scheme, "Bearer") && dot != std::string_view::npos &&
      credentials.find('.', dot + 1) != std::string_view::npos) {
    kept = std::string(credentials.substr(0, dot + 1));
  }
  return std::string(scheme) + " " + kept + std::string(kRedacted);
}

Exchange redact(const Exchange& exchange) {
  Exchange out = exchange;
  out.url = redactUrl(exchange.url);
  out.requestHeaders = redactHeaders(exchange.requestHeaders);
  out.requestBody = redactBody(exchange.requestHeaders, exchange.requestBody);
  out.responseHeaders = redactHeaders(exchange.responseHeaders);
  out.responseBody = redactBody(exchange.responseHeaders, exchange.responseBody);
  return out;
}

}  // namespace mes::conformance

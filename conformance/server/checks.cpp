#include "conformance/server/checks.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "gateway/http/message.h"

namespace mes::conformance::server {

using fhir::Value;

namespace {

std::string statusText(int status) {
  switch (status) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 302:
      return "302 Found";
    case 303:
      return "303 See Other";
    case 400:
      return "400 Bad Request";
    case 401:
      return "401 Unauthorized";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 413:
      return "413 Content Too Large";
    case 415:
      return "415 Unsupported Media Type";
    case 422:
      return "422 Unprocessable Content";
    default:
      return std::to_string(status);
  }
}

}  // namespace

void expectStatus(TestScope& t, const http::ClientResponse& r, int status, std::string_view why) {
  t.expect(r.status == status, statusText(status) + " " + std::string(why), describeResponse(r));
}

Value expectJson(TestScope& t, const http::ClientResponse& r, std::string_view what) {
  Result<Value> json = fhir::parseJson(r.body);
  const bool ok = json && json->isObject();
  t.expect(ok, std::string(what) + " as a JSON object",
           r.body.empty() ? describeResponse(r) + " with an empty body"
                          : describeResponse(r) + " whose body is not a JSON object");
  return std::move(json).value();
}

Value expectResource(TestScope& t, const http::ClientResponse& r, std::string_view type) {
  Value v = expectJson(t, r, "a FHIR " + std::string(type));
  const std::string actual = stringAt(v, "resourceType");
  t.expect(actual == type, "resourceType " + std::string(type),
           actual.empty() ? "no resourceType" : "resourceType " + actual);
  return v;
}

std::string expectOutcome(TestScope& t, const http::ClientResponse& r, int status,
                          std::string_view code, std::string_view why) {
  expectStatus(t, r, status, why);
  Result<Value> json = fhir::parseJson(r.body);
  const bool isOutcome =
      json && json->isObject() && stringAt(*json, "resourceType") == "OperationOutcome";
  t.expect(isOutcome, "an OperationOutcome body (SPEC §0)", describeResponse(r));
  const std::vector<std::string> codes = outcomeCodes(*json);
  std::string seen;
  for (const std::string& c : codes) seen += (seen.empty() ? "" : ", ") + c;
  t.expect(std::find(codes.begin(), codes.end(), code) != codes.end(),
           "an issue with the code " + std::string(code) + " in details.coding",
           codes.empty() ? std::string("no code") : "the codes " + seen);
  std::string diagnostics;
  if (const Value* issues = json->find("issue")) {
    for (const Value& issue : issues->items()) {
      if (const Value* details = issue.find("details")) {
        const Value* codings = details->find("coding");
        if (codings == nullptr || !codings->isArray()) continue;
        for (const Value& c : codings->items()) {
          if (stringAt(c, "code") == code) diagnostics = stringAt(issue, "diagnostics");
        }
      }
    }
  }
  t.expect(!diagnostics.empty(),
           "diagnostics in plain words on the " + std::string(code) + " issue", "none");
  return diagnostics;
}

void expectOAuthError(TestScope& t, const http::ClientResponse& r, int status,
                      std::string_view error, std::string_view why) {
  expectStatus(t, r, status, why);
  Result<Value> json = fhir::parseJson(r.body);
  const std::string actual = json && json->isObject() ? stringAt(*json, "error") : std::string();
  t.expect(actual == error, "the OAuth error " + std::string(error),
           actual.empty() ? describeResponse(r) : "the error " + actual);
}

void expectHeader(TestScope& t, const http::ClientResponse& r, std::string_view name,
                  std::optional<std::string_view> value) {
  const bool has = r.headers.has(name);
  if (!value) {
    t.expect(has, "a " + std::string(name) + " header", "none");
    return;
  }
  t.expect(
      has && r.headers.get(name) == *value, std::string(name) + ": " + std::string(*value),
      has ? std::string(name) + ": " + r.headers.get(name) : "no " + std::string(name) + " header");
}

std::string stringAt(const Value& v, std::string_view key) {
  const std::string* s = v.isObject() ? v.findString(key) : nullptr;
  return s != nullptr ? *s : std::string();
}

std::vector<std::string> outcomeCodes(const Value& outcome) {
  std::vector<std::string> codes;
  const Value* issues = outcome.isObject() ? outcome.find("issue") : nullptr;
  if (issues == nullptr || !issues->isArray()) return codes;
  for (const Value& issue : issues->items()) {
    const Value* details = issue.isObject() ? issue.find("details") : nullptr;
    const Value* codings =
        details != nullptr && details->isObject() ? details->find("coding") : nullptr;
    if (codings == nullptr || !codings->isArray()) continue;
    for (const Value& c : codings->items()) {
      const std::string code = stringAt(c, "code");
      if (!code.empty()) codes.push_back(code);
    }
  }
  return codes;
}

std::vector<const Value*> bundleResources(const Value& bundle, std::string_view type) {
  std::vector<const Value*> out;
  const Value* entries = bundle.isObject() ? bundle.find("entry") : nullptr;
  if (entries == nullptr || !entries->isArray()) return out;
  for (const Value& entry : entries->items()) {
    const Value* resource = entry.isObject() ? entry.find("resource") : nullptr;
    if (resource == nullptr) continue;
    if (type.empty() || stringAt(*resource, "resourceType") == type) out.push_back(resource);
  }
  return out;
}

std::string bundleLink(const Value& bundle, std::string_view relation) {
  const Value* links = bundle.isObject() ? bundle.find("link") : nullptr;
  if (links == nullptr || !links->isArray()) return {};
  for (const Value& link : links->items()) {
    if (stringAt(link, "relation") == relation) return stringAt(link, "url");
  }
  return {};
}

std::string queryParameter(std::string_view url, std::string_view name) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  return http::firstValue(http::parseQuery(query), name);
}

std::string encode(std::string_view value) {
  return http::percentEncode(value);
}

}  // namespace mes::conformance::server

// The checks server tests make on answers, phrased once so that every message says what was
// expected and what came back ("Expected 412 Precondition Failed for a stale If-Match; got
// 200 OK.").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/runner.h"
#include "fhir/json/value.h"
#include "gateway/http/http_client.h"

namespace mes::conformance::server {

// The status is `status`; `why` completes "Expected <status> <why>".
void expectStatus(TestScope& t, const http::ClientResponse& r, int status, std::string_view why);
// The body parses as a JSON object (ends the test as failed otherwise); returns it.
fhir::Value expectJson(TestScope& t, const http::ClientResponse& r, std::string_view what);
// The body is a FHIR resource of this type; returns it.
fhir::Value expectResource(TestScope& t, const http::ClientResponse& r, std::string_view type);
// An OperationOutcome whose issues carry `code` in details.coding (SPEC §0), with diagnostics.
// Returns the diagnostics of that issue.
std::string expectOutcome(TestScope& t, const http::ClientResponse& r, int status,
                          std::string_view code, std::string_view why);
// An OAuth error answer: `status` with {"error": error}.
void expectOAuthError(TestScope& t, const http::ClientResponse& r, int status,
                      std::string_view error, std::string_view why);
// The header is present (and equals `value` when given).
void expectHeader(TestScope& t, const http::ClientResponse& r, std::string_view name,
                  std::optional<std::string_view> value = std::nullopt);

// Reading answers.
std::string stringAt(const fhir::Value& v, std::string_view key);  // "" when absent
// The project codes of an OperationOutcome's issues (details.coding[].code), in order.
std::vector<std::string> outcomeCodes(const fhir::Value& outcome);
// A Bundle's entry resources (of `type` when given).
std::vector<const fhir::Value*> bundleResources(const fhir::Value& bundle,
                                                std::string_view type = {});
// The url of the Bundle link with this relation, or "".
std::string bundleLink(const fhir::Value& bundle, std::string_view relation);
// Query parameter of a URL, percent-decoded ("" when absent).
std::string queryParameter(std::string_view url, std::string_view name);
// Percent-encodes a query value (RFC 3986 unreserved kept).
std::string encode(std::string_view value);

}  // namespace mes::conformance::server

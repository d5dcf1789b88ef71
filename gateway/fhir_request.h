// Reading FHIR HTTP requests, for the /fhir handlers: content negotiation (Accept, _format), the
// JSON body of a resource (media type, parse limits, resourceType), Prefer and _pretty, and the
// query parameters an interaction allows. The same rules FhirApi applies to the measures routes
// (gateway/fhir_api.cpp), as free functions so that other route families (gateway/agenda_api)
// share them instead of copying them.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/json.h"
#include "fhir/json/value.h"
#include "gateway/config.h"
#include "gateway/http/message.h"

namespace mes::gateway {

// application/fhir+json or application/json (parameters such as charset ignored).
bool isJsonMediaType(std::string_view contentType);

// _pretty=true in the query.
bool prettyRequested(const http::Request& request);

// Prefer: return=minimal | representation (the default) | OperationOutcome.
std::string preferReturn(const http::Request& request);

// kInvalid "unknown-parameter" for a query parameter other than _format, _pretty and `allowed`.
Status noQueryExcept(const http::Request& request, std::initializer_list<const char*> allowed);

// The media types of an Accept header, in order, parameters (";q=...") dropped.
std::vector<std::string_view> acceptedMediaTypes(std::string_view accept);

// kNotAcceptable "format-unsupported" unless Accept and _format allow FHIR JSON.
Status checkAccept(const http::Request& request);

// kInvalid resource-not-object / resource-type-missing / resource-type-mismatch unless `body`
// is a JSON object of resourceType `type`.
Status checkResourceType(const fhir::Value& body, const std::string& type);

// The entries of a transaction Bundle: kInvalid "bundle-type-unsupported" unless Bundle.type is
// "transaction", "bundle-empty" when it has no entry.
Result<const std::vector<fhir::Value>*> transactionEntries(const fhir::Value& bundle);

// One entry of a transaction Bundle, checked for what every transaction needs: an object with a
// fullUrl, a resource with a resourceType, request.method POST and request.url = that type
// (kInvalid "invalid-type", "fullurl-missing", "resource-missing",
// "transaction-method-unsupported", "transaction-url-mismatch", located at Bundle.entry[i]).
struct TransactionEntry {
  size_t index = 0;
  std::string at;  // "Bundle.entry[<i>]"
  std::string fullUrl;
  std::string type;
  const fhir::Value* resource = nullptr;
  const fhir::Value* request = nullptr;
};
Result<TransactionEntry> transactionEntry(const fhir::Value& entry, size_t index);

// The parser limits for a request body (or any JSON a person or an app uploads, e.g. a
// TestReport through the registry's page): config.maxJsonDepth and config.maxBodyBytes.
fhir::ParseLimits bodyLimits(const Config& config);

// kUnsupportedMediaType "content-type-unsupported" unless Content-Type is FHIR JSON.
Status checkJsonContentType(const http::Request& request);

// The body as a JSON object of resourceType `type`: 415 content-type-unsupported, 400 from the
// JSON parser (malformed, too deep: config.maxJsonDepth, too big: config.maxBodyBytes),
// 400 resource-not-object / resource-type-missing / resource-type-mismatch.
Result<fhir::Value> resourceBody(const http::Request& request, const std::string& type,
                                 const Config& config);

}  // namespace mes::gateway

// Reading FHIR HTTP requests, for the /fhir handlers: content negotiation (Accept, _format), the
// JSON body of a resource (media type, parse limits, resourceType), Prefer and _pretty, and the
// query parameters an interaction allows. The same rules FhirApi applies to the measures routes
// (gateway/fhir_api.cpp), as free functions so that other route families (gateway/agenda_api)
// share them instead of copying them.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/status.h"
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

// kNotAcceptable "format-unsupported" unless Accept and _format allow FHIR JSON.
Status checkAccept(const http::Request& request);

// kInvalid resource-not-object / resource-type-missing / resource-type-mismatch unless `body`
// is a JSON object of resourceType `type`.
Status checkResourceType(const fhir::Value& body, const std::string& type);

// kUnsupportedMediaType "content-type-unsupported" unless Content-Type is FHIR JSON.
Status checkJsonContentType(const http::Request& request);

// The body as a JSON object of resourceType `type`: 415 content-type-unsupported, 400 from the
// JSON parser (malformed, too deep: config.maxJsonDepth, too big: config.maxBodyBytes),
// 400 resource-not-object / resource-type-missing / resource-type-mismatch.
Result<fhir::Value> resourceBody(const http::Request& request, const std::string& type,
                                 const Config& config);

}  // namespace mes::gateway

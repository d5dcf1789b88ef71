// Building FHIR HTTP responses: JSON bodies, OperationOutcome errors, ETag / Last-Modified.
#pragma once

#include <optional>
#include <string>

#include "connectors/store/repository.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/http/message.h"

namespace mes::gateway {

inline constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

http::Response fhirJson(int status, const fhir::Value& body, bool pretty = false);
// A body that is already FHIR JSON text (e.g. as stored).
http::Response fhirText(int status, std::string body);
// The OperationOutcome for `error`, with the status its kind maps to.
http::Response errorResponse(const Error& error);
// ETag W/"<version>", Last-Modified and, for writes, Location <base>/<Type>/<id>/_history/<v>.
void setVersionHeaders(http::Response& response, const store::ResourceRecord& record);
void setLocation(http::Response& response, const std::string& fhirBase,
                 const store::ResourceRecord& record);

// W/"3" or "3" -> 3. nullopt when the header is absent; kInvalid when it is malformed.
Result<std::optional<int64_t>> parseIfMatch(const std::string& header);

// The JSON text of a resource with id/meta set: resourceType first, then id, then meta.
std::string stampedJson(fhir::Value resource, const std::string& id, int64_t versionId,
                        int64_t lastUpdatedMs, const std::string& source);

}  // namespace mes::gateway

// Building FHIR HTTP responses: JSON bodies, OperationOutcome errors, ETag / Last-Modified.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// A searchset Bundle (FHIR R4 search): total, links self / next / previous on
// <fhirBase>/<type>?<linkParams>&_count=&_offset=, one "match" entry per record (fullUrl
// <fhirBase>/<type>/<id>, the stored content as is), then the `included` entries (fullUrl,
// content) in "include" mode. `pretty` re-indents it.
struct SearchsetPage {
  std::string fhirBase;
  std::string type;
  const std::vector<std::pair<std::string, std::string>>* linkParams = nullptr;
  int count = 0;
  int offset = 0;
  const store::SearchPage* page = nullptr;
  std::vector<std::pair<std::string, std::string>> included;
  bool pretty = false;
};
http::Response searchsetResponse(const SearchsetPage& searchset);
// The same for a search's query and page (count and offset from the query).
http::Response searchsetResponse(const std::string& fhirBase, const std::string& type,
                                 const std::vector<std::pair<std::string, std::string>>& linkParams,
                                 const store::SearchQuery& query, const store::SearchPage& page,
                                 bool pretty);

// A FHIRPath rooted at `type` ("List.entry[0]") moved under `at`
// ("Bundle.entry[2].resource" -> "Bundle.entry[2].resource.entry[0]"); empty becomes `at`.
std::string locatedUnder(const std::string& expression, const std::string& at,
                         const std::string& type);
// Every problem of `error` located under `at` instead of `type` (a resource in a Bundle entry).
Error underBundleEntry(Error error, const std::string& at, const std::string& type);
// The Bundle.entry.response of a written resource in a transaction-response: status (201 Created
// or 200 OK), location <Type>/<id>/_history/<v>, etag, lastModified.
fhir::Value transactionResponseEntry(const store::ResourceRecord& record, bool created);

// W/"3" or "3" -> 3. nullopt when the header is absent; kInvalid when it is malformed.
Result<std::optional<int64_t>> parseIfMatch(const std::string& header);

// The JSON text of a resource with id/meta set: resourceType first, then id, then meta.
std::string stampedJson(fhir::Value resource, const std::string& id, int64_t versionId,
                        int64_t lastUpdatedMs, const std::string& source);

}  // namespace mes::gateway

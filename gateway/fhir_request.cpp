#include "gateway/fhir_request.h"

#include "fhir/json/json.h"
#include "gateway/observation_search.h"

namespace mes::gateway {

bool isJsonMediaType(std::string_view contentType) {
  std::string_view type = contentType.substr(0, contentType.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return http::equalsIgnoreCase(type, "application/fhir+json") ||
         http::equalsIgnoreCase(type, "application/json");
}

bool prettyRequested(const http::Request& request) {
  for (const auto& [name, value] : request.query) {
    if (name == "_pretty" && value == "true") return true;
  }
  return false;
}

std::string preferReturn(const http::Request& request) {
  const std::string& prefer = request.headers.get("Prefer");
  auto pos = prefer.find("return=");
  if (pos == std::string::npos) return "representation";
  auto end = prefer.find_first_of(";, ", pos);
  return prefer.substr(pos + 7, end == std::string::npos ? std::string::npos : end - pos - 7);
}

Status noQueryExcept(const http::Request& request, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : request.query) {
    bool ok = isFormatParam(name);
    for (const char* a : allowed) ok = ok || name == a;
    if (!ok) {
      return Error::make(ErrorKind::kInvalid, "unknown-parameter",
                         "Unknown parameter '" + name + "' for this interaction.");
    }
  }
  return Status::ok();
}

Status checkAccept(const http::Request& request) {
  for (const auto& [name, value] : request.query) {
    if (name == "_format" && value != "json" && !isJsonMediaType(value)) {
      return Error::make(ErrorKind::kNotAcceptable, "format-unsupported",
                         "_format=" + value + " is not supported; this server speaks JSON only.");
    }
  }
  const std::string& accept = request.headers.get("Accept");
  if (accept.empty()) return Status::ok();
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string::npos) end = accept.size();
    std::string_view item = std::string_view(accept).substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view type = item.substr(0, item.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (isJsonMediaType(type) || type == "*/*" || type == "application/*") return Status::ok();
    start = end + 1;
  }
  return Error::make(ErrorKind::kNotAcceptable, "format-unsupported",
                     "Accept: " + accept + " cannot be served; use application/fhir+json.");
}

Status checkJsonContentType(const http::Request& request) {
  const std::string& contentType = request.headers.get("Content-Type");
  if (isJsonMediaType(contentType)) return Status::ok();
  return Error::make(ErrorKind::kUnsupportedMediaType, "content-type-unsupported",
                     "Content-Type must be application/fhir+json (or application/json); got '" +
                         contentType + "'.");
}

Status checkResourceType(const fhir::Value& body, const std::string& type) {
  if (!body.isObject()) {
    return Error::make(ErrorKind::kInvalid, "resource-not-object",
                       "The body must be a JSON object holding a " + type + " resource.");
  }
  const fhir::Value* rtype = body.find("resourceType");
  if (rtype == nullptr) {
    return Error::make(ErrorKind::kInvalid, "resource-type-missing",
                       "The body has no resourceType; expected '" + type + "'.", "resourceType");
  }
  if (!rtype->isString() || rtype->text() != type) {
    return Error::make(ErrorKind::kInvalid, "resource-type-mismatch",
                       "The body's resourceType is " +
                           (rtype->isString() ? "'" + rtype->text() + "'"
                                              : std::string("not a string")) +
                           " but this endpoint takes '" + type + "'.",
                       "resourceType");
  }
  return Status::ok();
}

Result<fhir::Value> resourceBody(const http::Request& request, const std::string& type,
                                 const Config& config) {
  MES_RETURN_IF_ERROR(checkJsonContentType(request));
  fhir::ParseLimits limits;
  limits.maxDepth = config.maxJsonDepth;
  limits.maxBytes = config.maxBodyBytes;
  auto parsed = fhir::parseJson(request.body, limits);
  if (!parsed) return parsed;
  MES_RETURN_IF_ERROR(checkResourceType(*parsed, type));
  return parsed;
}

}  // namespace mes::gateway

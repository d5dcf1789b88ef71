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

std::vector<std::string_view> acceptedMediaTypes(std::string_view accept) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= accept.size()) {
    size_t end = accept.find(',', start);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    std::string_view type = item.substr(0, item.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    if (!type.empty()) out.push_back(type);
    start = end + 1;
  }
  return out;
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
  for (std::string_view type : acceptedMediaTypes(accept)) {
    if (isJsonMediaType(type) || type == "*/*" || type == "application/*") return Status::ok();
  }
  return Error::make(ErrorKind::kNotAcceptable, "format-unsupported",
                     "Accept: " + accept + " cannot be served; use application/fhir+json.");
}

Result<const std::vector<fhir::Value>*> transactionEntries(const fhir::Value& bundle) {
  const std::string* type = bundle.findString("type");
  if (type == nullptr || *type != "transaction") {
    return Error::make(ErrorKind::kInvalid, "bundle-type-unsupported",
                       "POST /fhir takes a Bundle of type 'transaction'" +
                           (type != nullptr ? "; got '" + *type + "'." : std::string(".")),
                       "Bundle.type");
  }
  const fhir::Value* entries = bundle.find("entry");
  if (entries == nullptr || !entries->isArray() || entries->items().empty()) {
    return Error::make(ErrorKind::kInvalid, "bundle-empty", "The transaction Bundle has no entry.",
                       "Bundle.entry");
  }
  return &entries->items();
}

Result<TransactionEntry> transactionEntry(const fhir::Value& entry, size_t index) {
  auto invalid = [](std::string code, std::string message, std::string expression) {
    return Error::make(ErrorKind::kInvalid, std::move(code), std::move(message),
                       std::move(expression));
  };
  TransactionEntry out;
  out.index = index;
  out.at = "Bundle.entry[" + std::to_string(index) + "]";
  const std::string& at = out.at;
  if (!entry.isObject()) return invalid("invalid-type", at + " must be an object.", at);
  const std::string* fullUrl = entry.findString("fullUrl");
  if (fullUrl == nullptr || fullUrl->empty()) {
    return invalid("fullurl-missing", at + ".fullUrl is required (e.g. urn:uuid:…).",
                   at + ".fullUrl");
  }
  const fhir::Value* resource = entry.find("resource");
  const std::string* rtype = resource != nullptr ? resource->findString("resourceType") : nullptr;
  if (rtype == nullptr) {
    return invalid("resource-missing", at + ".resource with a resourceType is required.",
                   at + ".resource");
  }
  const fhir::Value* request = entry.find("request");
  const std::string* method = request != nullptr ? request->findString("method") : nullptr;
  const std::string* url = request != nullptr ? request->findString("url") : nullptr;
  if (method == nullptr || *method != "POST") {
    return invalid("transaction-method-unsupported",
                   at + ".request.method must be POST (only creates are accepted).",
                   at + ".request.method");
  }
  if (url == nullptr || *url != *rtype) {
    return invalid("transaction-url-mismatch", at + ".request.url must be '" + *rtype + "'.",
                   at + ".request.url");
  }
  out.fullUrl = *fullUrl;
  out.type = *rtype;
  out.resource = resource;
  out.request = request;
  return out;
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
    return Error::make(
        ErrorKind::kInvalid, "resource-type-mismatch",
        "The body's resourceType is " +
            (rtype->isString() ? "'" + rtype->text() + "'" : std::string("not a string")) +
            " but this endpoint takes '" + type + "'.",
        "resourceType");
  }
  return Status::ok();
}

fhir::ParseLimits bodyLimits(const Config& config) {
  fhir::ParseLimits limits;
  limits.maxDepth = config.maxJsonDepth;
  limits.maxBytes = config.maxBodyBytes;
  return limits;
}

Result<fhir::Value> resourceBody(const http::Request& request, const std::string& type,
                                 const Config& config) {
  MES_RETURN_IF_ERROR(checkJsonContentType(request));
  auto parsed = fhir::parseJson(request.body, bodyLimits(config));
  if (!parsed) return parsed;
  MES_RETURN_IF_ERROR(checkResourceType(*parsed, type));
  return parsed;
}

}  // namespace mes::gateway

#include "gateway/fhir_response.h"

#include <algorithm>
#include <charconv>

#include "fhir/json/json.h"
#include "fhir/outcome/operation_outcome.h"
#include "fhir/types/datetime.h"

namespace mes::gateway {

http::Response fhirJson(int status, const fhir::Value& body, bool pretty) {
  return fhirText(status, pretty ? fhir::toPrettyJson(body) : fhir::toJson(body));
}

http::Response fhirText(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", kFhirJson);
  r.body = std::move(body);
  return r;
}

http::Response errorResponse(const Error& error) {
  return fhirJson(httpStatusOf(error.kind), fhir::operationOutcome(error));
}

void setVersionHeaders(http::Response& response, const store::ResourceRecord& record) {
  response.headers.set("ETag", "W/\"" + std::to_string(record.versionId) + "\"");
  response.headers.set("Last-Modified", fhir::formatHttpDate(record.lastUpdatedMs));
}

void setLocation(http::Response& response, const std::string& fhirBase,
                 const store::ResourceRecord& record) {
  response.headers.set("Location", fhirBase + "/" + record.type + "/" + record.id + "/_history/" +
                                       std::to_string(record.versionId));
}

http::Response searchsetResponse(const SearchsetPage& s) {
  std::string base = s.fhirBase + "/" + s.type + "?";
  if (s.linkParams != nullptr) {
    for (const auto& [name, value] : *s.linkParams) {
      base += http::percentEncode(name) + "=" + http::percentEncode(value) + "&";
    }
  }
  auto pageUrl = [&](int off) {
    return fhir::toJson(fhir::Value::string(base + "_count=" + std::to_string(s.count) +
                                            "&_offset=" + std::to_string(off)));
  };
  const int64_t total = s.page->total.value_or(0);
  std::string body = R"({"resourceType":"Bundle","type":"searchset","total":)" +
                     std::to_string(total) + R"(,"link":[{"relation":"self","url":)" +
                     pageUrl(s.offset) + "}";
  if (s.count > 0 && s.offset + s.count < total) {
    body += R"(,{"relation":"next","url":)" + pageUrl(s.offset + s.count) + "}";
  }
  if (s.offset > 0) {
    body += R"(,{"relation":"previous","url":)" +
            pageUrl(std::max(0, s.offset - std::max(s.count, 1))) + "}";
  }
  body += R"(],"entry":[)";
  bool first = true;
  auto entry = [&](const std::string& fullUrl, const std::string& content, const char* mode) {
    if (!first) body += ',';
    first = false;
    body += R"({"fullUrl":)" + fhir::toJson(fhir::Value::string(fullUrl)) + R"(,"resource":)" +
            content + R"(,"search":{"mode":")" + mode + R"("}})";
  };
  for (const auto& record : s.page->records) {
    entry(s.fhirBase + "/" + s.type + "/" + record.id, record.content, "match");
  }
  for (const auto& [fullUrl, content] : s.included) entry(fullUrl, content, "include");
  body += "]}";
  if (s.pretty) {
    auto json = fhir::parseJson(body, fhir::ParseLimits{512, body.size() + 1});
    if (json) return fhirJson(200, *json, true);
  }
  return fhirText(200, std::move(body));
}

std::string locatedUnder(const std::string& expression, const std::string& at,
                         const std::string& type) {
  if (expression.empty()) return at;
  if (expression.rfind(type, 0) == 0) return at + expression.substr(type.size());
  return expression;
}

Error underBundleEntry(Error error, const std::string& at, const std::string& type) {
  for (auto& p : error.problems) p.expression = locatedUnder(p.expression, at, type);
  return error;
}

fhir::Value transactionResponseEntry(const store::ResourceRecord& record, bool created) {
  fhir::Value r = fhir::Value::object();
  r.set("status", fhir::Value::string(created ? "201 Created" : "200 OK"));
  r.set("location", fhir::Value::string(record.type + "/" + record.id + "/_history/" +
                                        std::to_string(record.versionId)));
  r.set("etag", fhir::Value::string("W/\"" + std::to_string(record.versionId) + "\""));
  r.set("lastModified", fhir::Value::string(fhir::formatInstant(record.lastUpdatedMs)));
  return r;
}

http::Response searchsetResponse(const std::string& fhirBase, const std::string& type,
                                 const std::vector<std::pair<std::string, std::string>>& linkParams,
                                 const store::SearchQuery& query, const store::SearchPage& page,
                                 bool pretty) {
  SearchsetPage searchset;
  searchset.fhirBase = fhirBase;
  searchset.type = type;
  searchset.linkParams = &linkParams;
  searchset.count = query.count;
  searchset.offset = query.offset;
  searchset.page = &page;
  searchset.pretty = pretty;
  return searchsetResponse(searchset);
}

Result<std::optional<int64_t>> parseIfMatch(const std::string& header) {
  if (header.empty()) return std::optional<int64_t>();
  std::string_view v = header;
  if (v.rfind("W/", 0) == 0) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int64_t version = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), version);
  if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size() || version < 1) {
    return Error::make(ErrorKind::kInvalid, "invalid-if-match",
                       "If-Match must be a version ETag such as W/\"3\"; got '" + header + "'.");
  }
  return std::optional<int64_t>(version);
}

std::string stampedJson(fhir::Value resource, const std::string& id, int64_t versionId,
                        int64_t lastUpdatedMs, const std::string& source) {
  fhir::Value meta = fhir::Value::object();
  if (const fhir::Value* old = resource.find("meta"); old != nullptr && old->isObject()) {
    meta = *old;
  }
  meta.set("versionId", fhir::Value::string(std::to_string(versionId)));
  meta.set("lastUpdated", fhir::Value::string(fhir::formatInstant(lastUpdatedMs)));
  if (!source.empty()) meta.set("source", fhir::Value::string(source));

  fhir::Value out = fhir::Value::object();
  if (const fhir::Value* type = resource.find("resourceType")) out.set("resourceType", *type);
  out.set("id", fhir::Value::string(id));
  out.set("meta", std::move(meta));
  for (auto& [key, value] : resource.members()) {
    if (key == "resourceType" || key == "id" || key == "meta") continue;
    out.members().emplace_back(std::move(key), std::move(value));
  }
  return fhir::toJson(out);
}

}  // namespace mes::gateway

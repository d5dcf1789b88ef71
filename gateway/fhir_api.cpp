#include "gateway/fhir_api.h"

#include <algorithm>
#include <charconv>

#include "fhir/json/json.h"
#include "fhir/profiles/measure_profiles.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/observation_search.h"
#include "gateway/resource_index.h"
#include "gateway/search_patient.h"

namespace mes::gateway {
namespace {

// SPEC §1: a resource outside the caller's patient compartment does not exist for it (404, so
// that existence is not leaked). The owner is the patient the store indexes the resource under
// (ResourceRecord.patient); a resource in no patient's compartment (a Device without patient)
// belongs to its writer.
bool visibleTo(const store::ResourceRecord& record, const RequestContext& context) {
  if (context.patientId.empty()) return true;
  std::string owner = record.patient;
  if (owner.empty() && !record.content.empty()) {
    // The store's row of a resource deleted since has no patient any more: an older version's
    // content still says whose it was (history and vread of deleted resources only).
    auto json = fhir::parseJson(record.content, fhir::ParseLimits{512, record.content.size() + 1});
    if (!json) return false;
    owner = indexRowsFor(record.type, record.id, *json).patient;
  }
  if (owner.empty()) return !context.source.empty() && record.source == context.source;
  return owner == context.patientId;
}

Error notFound(const std::string& type, const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "not-found", type + "/" + id + " does not exist.");
}

http::Response withRecord(int status, const store::ResourceRecord& record) {
  http::Response r = fhirText(status, record.content);
  setVersionHeaders(r, record);
  return r;
}

}  // namespace

FhirApi::FhirApi(const Config& config, store::Repository& repository, MeasureService& measures)
    : config_(config),
      repository_(repository),
      measures_(measures),
      fhirBase_(config.fhirBase()) {}

void FhirApi::registerRoutes(Router& router) {
  auto bind = [this](http::Response (FhirApi::*method)(const http::Request&, RequestContext&)) {
    return [this, method](const http::Request& request, RequestContext& context) {
      Status accept = checkAccept(request);
      if (!accept) return errorResponse(accept.error());
      return (this->*method)(request, context);
    };
  };
  using I = Interaction;
  router.add("GET", "/fhir/metadata", I::kPublic, "", bind(&FhirApi::metadata));
  router.add("GET", "/fhir/Observation", I::kSearch, "Observation",
             bind(&FhirApi::searchObservation));
  router.add("POST", "/fhir/Observation", I::kCreate, "Observation",
             bind(&FhirApi::createObservation));
  router.add("GET", "/fhir/Observation/{id}", I::kRead, "Observation", bind(&FhirApi::readResource));
  router.add("PUT", "/fhir/Observation/{id}", I::kUpdate, "Observation",
             bind(&FhirApi::updateObservation));
  router.add("DELETE", "/fhir/Observation/{id}", I::kDelete, "Observation",
             bind(&FhirApi::deleteObservation));
  router.add("GET", "/fhir/Observation/{id}/_history", I::kHistory, "Observation",
             bind(&FhirApi::historyObservation));
  router.add("GET", "/fhir/Observation/{id}/_history/{vid}", I::kVread, "Observation",
             bind(&FhirApi::vreadResource));
  router.add("GET", "/fhir/Patient/{id}", I::kRead, "Patient", bind(&FhirApi::readResource));
  router.add("GET", "/fhir/Device/{id}", I::kRead, "Device", bind(&FhirApi::readResource));
}

http::Response FhirApi::metadata(const http::Request& request, RequestContext&) {
  if (prettyRequested(request)) return fhirJson(200, capabilityStatement(), true);
  // The statement never changes once the routes are registered: serialised once.
  std::call_once(capabilityOnce_,
                 [this] { capabilityText_ = fhir::toJson(capabilityStatement()); });
  return fhirText(200, capabilityText_);
}

http::Response FhirApi::readResource(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto record = repository_.read(context.resourceType, context.params.at("id"));
  if (!record && record.error().kind == ErrorKind::kGone && !context.patientId.empty()) {
    // Deleted: whether it was the caller's decides between 410 and 404.
    if (Status owned = checkOwner(context.resourceType, context.params.at("id"), context); !owned) {
      return errorResponse(owned.error());
    }
  }
  if (record && !visibleTo(*record, context)) {
    return errorResponse(notFound(context.resourceType, context.params.at("id")));
  }
  if (!record) {
    Error e = record.takeError();
    if (e.kind == ErrorKind::kNotFound || e.kind == ErrorKind::kGone) {
      e = Error::make(e.kind, e.kind == ErrorKind::kGone ? "deleted" : "not-found",
                      context.resourceType + "/" + context.params.at("id") +
                          (e.kind == ErrorKind::kGone ? " has been deleted." : " does not exist."));
    }
    return errorResponse(e);
  }
  return withRecord(200, *record);
}

http::Response FhirApi::vreadResource(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  const std::string& vid = context.params.at("vid");
  int64_t version = 0;
  auto res = std::from_chars(vid.data(), vid.data() + vid.size(), version);
  if (res.ec != std::errc() || res.ptr != vid.data() + vid.size() || version < 1) {
    return errorResponse(Error::make(ErrorKind::kNotFound, "not-found",
                                     "There is no version '" + vid + "'."));
  }
  if (Status owned = checkOwner(context.resourceType, context.params.at("id"), context); !owned) {
    return errorResponse(owned.error());
  }
  auto record = repository_.vread(context.resourceType, context.params.at("id"), version);
  if (!record) return errorResponse(record.error());
  return withRecord(200, *record);
}

http::Response FhirApi::historyObservation(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  const std::string& id = context.params.at("id");
  auto versions = repository_.history("Observation", id);
  if (!versions) return errorResponse(versions.error());
  if (!context.patientId.empty()) {
    bool visible = false;
    for (const auto& v : *versions) {
      if (v.deleted) continue;
      visible = visibleTo(v, context);
      break;
    }
    if (!visible) return errorResponse(notFound("Observation", id));
  }
  std::string body = R"({"resourceType":"Bundle","type":"history","total":)" +
                     std::to_string(versions->size()) + R"(,"link":[{"relation":"self","url":)" +
                     fhir::toJson(fhir::Value::string(fhirBase_ + "/Observation/" + id + "/_history")) +
                     R"(}],"entry":[)";
  bool first = true;
  for (const auto& v : *versions) {
    if (!first) body += ',';
    first = false;
    const std::string url = fhirBase_ + "/Observation/" + id;
    body += R"({"fullUrl":)" + fhir::toJson(fhir::Value::string(url));
    if (!v.deleted) body += R"(,"resource":)" + v.content;
    body += R"(,"request":{"method":")" + std::string(v.deleted ? "DELETE" : (v.versionId == 1 ? "POST" : "PUT")) +
            R"(","url":"Observation/)" + id + R"("},"response":{"status":")" +
            (v.deleted ? "204 No Content" : (v.versionId == 1 ? "201 Created" : "200 OK")) + R"(","etag":"W/\")" +
            std::to_string(v.versionId) + R"(\"","lastModified":")" +
            fhir::formatInstant(v.lastUpdatedMs) + R"("}})";
  }
  body += "]}";
  return fhirText(200, std::move(body));
}

http::Response FhirApi::createObservation(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto body = resourceBody(request, "Observation", config_);
  if (!body) return errorResponse(body.error());
  auto outcome =
      measures_.create(std::move(*body), context, request.headers.get("If-None-Exist"));
  if (!outcome) return errorResponse(outcome.error());
  const int status = outcome->created ? 201 : 200;
  http::Response r = preferReturn(request) == "minimal" ? fhirText(status, {})
                                                         : fhirText(status, outcome->record.content);
  if (r.body.empty()) r.headers = {};
  setVersionHeaders(r, outcome->record);
  setLocation(r, fhirBase_, outcome->record);
  return r;
}

http::Response FhirApi::updateObservation(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto ifMatch = parseIfMatch(request.headers.get("If-Match"));
  if (!ifMatch) return errorResponse(ifMatch.error());
  auto body = resourceBody(request, "Observation", config_);
  if (!body) return errorResponse(body.error());
  const std::string& id = context.params.at("id");
  const std::string* bodyId = body->findString("id");
  if (bodyId == nullptr || *bodyId != id) {
    return errorResponse(Error::make(
        ErrorKind::kInvalid, "id-mismatch",
        "The body's id must equal the id in the URL ('" + id + "')" +
            (bodyId != nullptr ? "; got '" + *bodyId + "'." : std::string("; it is missing.")),
        "Observation.id"));
  }
  // Another patient's measure, deleted or not, does not exist for this caller. (A body naming
  // another patient is refused as patient-mismatch by the service, whatever the id.)
  const fhir::Value* subject = body->find("subject");
  const std::string subjectId = subject != nullptr ? referencedId(*subject, "Patient") : "";
  if (subjectId.empty() || subjectId == context.patientId) {
    if (Status owned = checkOwner("Observation", id, context); !owned) {
      return errorResponse(owned.error());
    }
  }
  auto record = measures_.update(id, std::move(*body), *ifMatch, context);
  if (!record) return errorResponse(record.error());
  http::Response r = preferReturn(request) == "minimal" ? http::Response{} : withRecord(200, *record);
  setVersionHeaders(r, *record);
  setLocation(r, fhirBase_, *record);
  return r;
}

http::Response FhirApi::deleteObservation(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto ifMatch = parseIfMatch(request.headers.get("If-Match"));
  if (!ifMatch) return errorResponse(ifMatch.error());
  if (Status owned = checkOwner("Observation", context.params.at("id"), context); !owned) {
    return errorResponse(owned.error());
  }
  auto record = measures_.remove(context.params.at("id"), *ifMatch, context);
  if (!record) return errorResponse(record.error());
  http::Response r;
  r.status = 204;
  setVersionHeaders(r, *record);
  return r;
}

http::Response FhirApi::searchObservation(const http::Request& request, RequestContext& context) {
  auto parsed = parseObservationSearch(request.query);
  if (!parsed) return errorResponse(parsed.error());
  ObservationSearch& search = *parsed;
  auto found = searchInCompartment(repository_, context, search.query, search.patientIdentifier);
  if (!found) return errorResponse(found.error());
  store::SearchPage page = std::move(*found);

  // Links carry the request's own parameters, normalised, plus the page window.
  SearchsetPage searchset;
  searchset.fhirBase = fhirBase_;
  searchset.type = "Observation";
  searchset.linkParams = &search.linkParams;
  searchset.count = search.query.count;
  searchset.offset = search.query.offset;
  searchset.page = &page;
  searchset.pretty = search.pretty;
  std::vector<std::string> deviceIds;
  if (search.includeDevice) {
    for (const auto& record : page.records) {
      auto json = fhir::parseJson(record.content, fhir::ParseLimits{512, record.content.size() + 1});
      if (!json) continue;
      if (const fhir::Value* device = json->find("device")) {
        std::string id = referencedId(*device, "Device");
        if (!id.empty() && std::find(deviceIds.begin(), deviceIds.end(), id) == deviceIds.end()) {
          deviceIds.push_back(id);
        }
      }
    }
  }
  for (const auto& id : deviceIds) {
    auto device = repository_.read("Device", id);
    if (!device) continue;  // deleted since: an include is best effort, the match stays
    searchset.included.emplace_back(fhirBase_ + "/Device/" + id, device->content);
  }
  return searchsetResponse(searchset);
}

Status FhirApi::checkOwner(const std::string& type, const std::string& id,
                           const RequestContext& context) {
  if (context.patientId.empty()) return Status::ok();
  auto versions = repository_.history(type, id);
  if (!versions) {
    if (versions.error().kind == ErrorKind::kNotFound) return notFound(type, id);
    return versions.takeError();
  }
  for (const auto& v : *versions) {  // newest first: the last content written decides
    if (v.deleted) continue;
    return visibleTo(v, context) ? Status::ok() : Status(notFound(type, id));
  }
  return notFound(type, id);
}

}  // namespace mes::gateway

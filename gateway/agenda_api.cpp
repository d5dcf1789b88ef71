#include "gateway/agenda_api.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "gateway/capability.h"
#include "fhir/profiles/appointment_profile.h"
#include "fhir/search/search_params.h"
#include "gateway/appointment_search.h"
#include "gateway/fhir_request.h"
#include "gateway/fhir_response.h"
#include "gateway/search_patient.h"

namespace mes::gateway {
namespace {

constexpr const char* kType = "Appointment";

Error notFound(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "not-found",
                     std::string(kType) + "/" + id + " does not exist.");
}

fhir::Value str(std::string s) { return fhir::Value::string(std::move(s)); }


// The identifier=<system>|<value> of a conditional update, and nothing else in the query.
Result<AppointmentKey> conditionalKey(const http::Request& request) {
  auto invalid = [](std::string message) {
    return Error::make(ErrorKind::kInvalid, "invalid-conditional-update", std::move(message));
  };
  MES_RETURN_IF_ERROR(noQueryExcept(request, {"identifier"}));
  const std::string* value = nullptr;
  for (const auto& [name, v] : request.query) {
    if (name != "identifier") continue;
    if (value != nullptr) return invalid("A conditional update takes one identifier.");
    value = &v;
  }
  if (value == nullptr) {
    return invalid("PUT /fhir/Appointment needs identifier=<system>|<value> (a conditional "
                   "update), or use PUT /fhir/Appointment/<id>.");
  }
  auto token = fhir::parseTokenParam("identifier", *value);
  if (!token || !token->system || token->system->empty() || token->code.empty() ||
      fhir::splitOr(*value).size() != 1) {
    return invalid("identifier must be <system>|<value>, both non-empty and one value; got '" +
                   *value + "'.");
  }
  return AppointmentKey{*token->system, token->code};
}

}  // namespace

AgendaApi::AgendaApi(const Config& config, store::Repository& repository, AgendaService& agenda,
                     const Clock& clock)
    : config_(config),
      repository_(repository),
      agenda_(agenda),
      clock_(clock),
      fhirBase_(config.fhirBase()) {}

void AgendaApi::registerRoutes(Router& router) {
  auto bind = [this](http::Response (AgendaApi::*method)(const http::Request&, RequestContext&)) {
    return [this, method](const http::Request& request, RequestContext& context) {
      Status accept = checkAccept(request);
      if (!accept) return errorResponse(accept.error());
      return (this->*method)(request, context);
    };
  };
  using I = Interaction;
  router.add("GET", "/fhir/Appointment", I::kSearch, kType, bind(&AgendaApi::search));
  router.add("POST", "/fhir/Appointment", I::kCreate, kType, bind(&AgendaApi::create));
  router.add("PUT", "/fhir/Appointment", I::kUpdate, kType, bind(&AgendaApi::conditionalUpdate));
  router.add("GET", "/fhir/Appointment/{id}", I::kRead, kType, bind(&AgendaApi::read));
  router.add("PUT", "/fhir/Appointment/{id}", I::kUpdate, kType, bind(&AgendaApi::update));
}

fhir::Value AgendaApi::capabilityResource() {
  fhir::Value r = fhir::Value::object();
  r.set("type", str(kType));
  r.set("interaction", capabilityInteractions({"read", "update", "create", "search-type"}));
  r.set("versioning", str("versioned-update"));
  r.set("readHistory", fhir::Value::boolean(false));
  r.set("updateCreate", fhir::Value::boolean(false));
  r.set("conditionalCreate", fhir::Value::boolean(false));
  r.set("conditionalUpdate", fhir::Value::boolean(true));
  r.set("conditionalDelete", str("not-supported"));
  r.set("documentation",
        str("The patient's agenda (SPEC §4). An app updates or cancels (status=cancelled) only "
            "the appointments it wrote; there is no DELETE. The conditional update "
            "PUT Appointment?identifier=<system>|<value> matches only the calling app's "
            "appointments of the patient."));
  fhir::Value params = fhir::Value::array();
  params.push(capabilitySearchParam("patient", "reference", "The patient participant (Patient/<id> or <id>)."));
  params.push(capabilitySearchParam("patient.identifier", "token", "The patient participant's identifier, <system>|<value> (e.g. the INS)."));
  params.push(capabilitySearchParam("date", "date",
                          "The [start, end] range, with prefix eq, ne, gt, lt, ge, le, sa, eb or "
                          "ap; may repeat."));
  params.push(capabilitySearchParam("status", "token", "AppointmentStatus code; a comma means OR."));
  params.push(capabilitySearchParam("identifier", "token", "The app's identifier, [system|]value."));
  params.push(capabilitySearchParam("_lastUpdated", "date", "meta.lastUpdated, same prefixes as date."));
  params.push(capabilitySearchParam("_sort", "special", "date (default), -date, _lastUpdated or -_lastUpdated."));
  params.push(capabilitySearchParam("_count", "number", "Page size, default 50, maximum 100."));
  params.push(capabilitySearchParam("_offset", "number", "Index of the first result of the page."));
  r.set("searchParam", std::move(params));
  return r;
}

http::Response AgendaApi::written(const http::Request& request, const AgendaWrite& write) {
  const int status = write.created ? 201 : 200;
  http::Response r = preferReturn(request) == "minimal" ? http::Response{}
                                                         : fhirText(status, write.record.content);
  r.status = status;
  setVersionHeaders(r, write.record);
  setLocation(r, fhirBase_, write.record);
  return r;
}

http::Response AgendaApi::create(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto body = resourceBody(request, kType, config_);
  if (!body) return errorResponse(body.error());
  auto write = agenda_.create(std::move(*body), context);
  if (!write) return errorResponse(write.error());
  context.auditedResources = {std::string(kType) + "/" + write->record.id};
  return written(request, *write);
}

http::Response AgendaApi::read(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  const std::string& id = context.params.at("id");
  auto record = repository_.read(kType, id);
  if (!record) {
    Error e = record.takeError();
    if (e.kind == ErrorKind::kNotFound) return errorResponse(notFound(id));
    // Appointments are never deleted through the API; a deleted one keeps no compartment row,
    // so it does not exist for an app.
    if (e.kind == ErrorKind::kGone) {
      if (!context.patientId.empty()) return errorResponse(notFound(id));
      return errorResponse(Error::make(ErrorKind::kGone, "deleted",
                                       std::string(kType) + "/" + id + " has been deleted."));
    }
    return errorResponse(e);
  }
  if (!context.patientId.empty() && record->patient != context.patientId) {
    return errorResponse(notFound(id));
  }
  http::Response r = fhirText(200, record->content);
  setVersionHeaders(r, *record);
  return r;
}

http::Response AgendaApi::update(const http::Request& request, RequestContext& context) {
  if (Status s = noQueryExcept(request, {}); !s) return errorResponse(s.error());
  auto ifMatch = parseIfMatch(request.headers.get("If-Match"));
  if (!ifMatch) return errorResponse(ifMatch.error());
  auto body = resourceBody(request, kType, config_);
  if (!body) return errorResponse(body.error());
  const std::string& id = context.params.at("id");
  const std::string* bodyId = body->findString("id");
  if (bodyId == nullptr || *bodyId != id) {
    return errorResponse(Error::make(
        ErrorKind::kInvalid, "id-mismatch",
        "The body's id must equal the id in the URL ('" + id + "')" +
            (bodyId != nullptr ? "; got '" + *bodyId + "'." : std::string("; it is missing.")),
        "Appointment.id"));
  }
  auto write = agenda_.update(id, std::move(*body), *ifMatch, context);
  if (!write) return errorResponse(write.error());
  return written(request, *write);
}

http::Response AgendaApi::conditionalUpdate(const http::Request& request,
                                            RequestContext& context) {
  auto key = conditionalKey(request);
  if (!key) return errorResponse(key.error());
  auto ifMatch = parseIfMatch(request.headers.get("If-Match"));
  if (!ifMatch) return errorResponse(ifMatch.error());
  auto body = resourceBody(request, kType, config_);
  if (!body) return errorResponse(body.error());
  auto write = agenda_.updateByIdentifier(*key, std::move(*body), *ifMatch, context);
  if (!write) return errorResponse(write.error());
  context.auditedResources = {std::string(kType) + "/" + write->record.id};
  // The trail records what happened: a conditional update that found nothing was a create.
  if (write->created) context.interaction = Interaction::kCreate;
  return written(request, *write);
}

http::Response AgendaApi::search(const http::Request& request, RequestContext& context) {
  auto parsed = parseAppointmentSearch(request.query, clock_.nowMs());
  if (!parsed) return errorResponse(parsed.error());
  AppointmentSearch& search = *parsed;
  auto result =
      searchInCompartment(repository_, context, search.query, search.patientIdentifier);
  if (!result) return errorResponse(result.error());

  return searchsetResponse(fhirBase_, kType, search.linkParams, search.query, *result,
                           search.pretty);
}

}  // namespace mes::gateway

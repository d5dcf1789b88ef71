// GET /fhir/metadata: what this server implements, and nothing more.
#include "gateway/capability.h"

#include "fhir/profiles/measure_profiles.h"
#include "fhir/types/datetime.h"
#include "gateway/agenda_api.h"
#include "gateway/document_api.h"
#include "gateway/fhir_api.h"
#include "gateway/observation_search.h"

namespace mes::gateway {
namespace {

using fhir::Value;

Value str(std::string s) { return Value::string(std::move(s)); }

}  // namespace

fhir::Value capabilityInteractions(std::initializer_list<const char*> codes) {
  Value list = Value::array();
  for (const char* code : codes) {
    Value item = Value::object();
    item.set("code", str(code));
    list.push(std::move(item));
  }
  return list;
}

fhir::Value capabilitySearchParam(const char* name, const char* type, const char* documentation) {
  Value p = Value::object();
  p.set("name", str(name));
  p.set("type", str(type));
  p.set("documentation", str(documentation));
  return p;
}

fhir::Value FhirApi::capabilityStatement() const {
  Value cs = Value::object();
  cs.set("resourceType", str("CapabilityStatement"));
  cs.set("status", str("active"));
  cs.set("date", str("2026-11-23"));
  cs.set("publisher", str("MES Gateway contributors"));
  cs.set("kind", str("instance"));
  Value software = Value::object();
  software.set("name", str("mes-gateway"));
  software.set("version", str("0.1.0"));
  cs.set("software", std::move(software));
  Value implementation = Value::object();
  implementation.set("description", str("MES Gateway: Mon espace santé APIs for referenced apps"));
  implementation.set("url", str(fhirBase_));
  cs.set("implementation", std::move(implementation));
  cs.set("fhirVersion", str("4.0.1"));
  Value formats = Value::array();
  formats.push(str("application/fhir+json"));
  formats.push(str("json"));
  cs.set("format", std::move(formats));

  Value rest = Value::object();
  rest.set("mode", str("server"));
  rest.set("documentation",
           str("Measures API (SPEC §2), Documents API (SPEC §3, IHE MHD), Agenda API (SPEC §4) and "
               "the app's pairing (Consent, SPEC §1). The transaction interaction is the Measures "
               "Bundle (an Observation and its Device) or an ITI-65 document publication (a "
               "SubmissionSet List, DocumentReferences and their Binaries). Errors are "
               "OperationOutcome resources with a stable code in details.coding (system "
               "urn:mes-gateway:error-code)."));
  Value resources = Value::array();

  Value observation = Value::object();
  observation.set("type", str("Observation"));
  Value profiles = Value::array();
  for (const auto& profile : fhir::measureProfiles()) profiles.push(str(std::string(profile.url)));
  observation.set("supportedProfile", std::move(profiles));
  observation.set("interaction", capabilityInteractions({"read", "vread", "update", "delete",
                                               "history-instance", "create", "search-type"}));
  observation.set("versioning", str("versioned-update"));
  observation.set("readHistory", Value::boolean(true));
  observation.set("updateCreate", Value::boolean(false));
  observation.set("conditionalCreate", Value::boolean(true));
  observation.set("conditionalUpdate", Value::boolean(false));
  observation.set("conditionalDelete", str("not-supported"));
  Value includes = Value::array();
  includes.push(str("Observation:device"));
  observation.set("searchInclude", std::move(includes));
  Value params = Value::array();
  params.push(capabilitySearchParam("patient", "reference", "The patient (Patient/<id> or <id>)."));
  params.push(capabilitySearchParam("subject", "reference", "Same as patient."));
  params.push(capabilitySearchParam("patient.identifier", "token", "The patient's identifier, <system>|<value> (e.g. the INS)."));
  params.push(capabilitySearchParam("subject.identifier", "token", "Same as patient.identifier."));
  params.push(capabilitySearchParam("code", "token", "LOINC code, [system|]code; a comma means OR."));
  params.push(capabilitySearchParam("identifier", "token", "The measure's business identifier."));
  params.push(capabilitySearchParam("date", "date", "effectiveDateTime with prefix eq, ne, gt, lt, ge or le; may repeat."));
  params.push(capabilitySearchParam("_lastUpdated", "date", "meta.lastUpdated, same prefixes as date."));
  params.push(capabilitySearchParam("_sort", "special", "date, -date (default), _lastUpdated or -_lastUpdated."));
  params.push(capabilitySearchParam("_count", "number", "Page size, default 50, maximum 100."));
  params.push(capabilitySearchParam("_offset", "number", "Index of the first result of the page."));
  observation.set("searchParam", std::move(params));
  resources.push(std::move(observation));

  resources.push(AgendaApi::capabilityResource());  // SPEC §4
  resources.push(DocumentApi::capabilityDocumentReference());  // SPEC §3
  resources.push(DocumentApi::capabilityBinary());
  for (const char* type : {"Patient", "Device"}) {
    Value r = Value::object();
    r.set("type", str(type));
    r.set("interaction", capabilityInteractions({"read"}));
    resources.push(std::move(r));
  }
  // The app's own pairing (SPEC §1), whatever its data scopes.
  Value consent = Value::object();
  consent.set("type", str("Consent"));
  consent.set("interaction", capabilityInteractions({"read", "search-type"}));
  Value consentParams = Value::array();
  consentParams.push(capabilitySearchParam("patient", "reference", "The paired patient; the result is the calling app's pairing."));
  consent.set("searchParam", std::move(consentParams));
  resources.push(std::move(consent));
  rest.set("resource", std::move(resources));

  // SMART App Launch: every interaction needs a bearer token from this server's endpoints.
  Value security = Value::object();
  Value oauthUris = Value::object();
  oauthUris.set("url", str("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"));
  Value uris = Value::array();
  const std::string issuer = fhirBase_.substr(0, fhirBase_.size() - 5);  // without "/fhir"
  for (const auto& [name, path] : {std::pair{"authorize", "/oauth/authorize"},
                                   std::pair{"token", "/oauth/token"},
                                   std::pair{"introspect", "/oauth/introspect"},
                                   std::pair{"revoke", "/oauth/revoke"}}) {
    Value u = Value::object();
    u.set("url", str(name));
    u.set("valueUri", str(issuer + path));
    uris.push(std::move(u));
  }
  oauthUris.set("extension", std::move(uris));
  Value securityExtensions = Value::array();
  securityExtensions.push(std::move(oauthUris));
  security.set("extension", std::move(securityExtensions));
  Value service = Value::object();
  Value serviceCoding = Value::object();
  serviceCoding.set("system", str("http://terminology.hl7.org/CodeSystem/restful-security-service"));
  serviceCoding.set("code", str("SMART-on-FHIR"));
  Value serviceCodings = Value::array();
  serviceCodings.push(std::move(serviceCoding));
  service.set("coding", std::move(serviceCodings));
  Value services = Value::array();
  services.push(std::move(service));
  security.set("service", std::move(services));
  security.set("description", str("OAuth2 authorization code + PKCE (S256) with the patient's "
                                  "consent; see /fhir/.well-known/smart-configuration."));
  rest.set("security", std::move(security));
  rest.set("interaction", capabilityInteractions({"transaction"}));
  Value restList = Value::array();
  restList.push(std::move(rest));
  cs.set("rest", std::move(restList));
  return cs;
}

}  // namespace mes::gateway

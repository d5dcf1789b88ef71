// The /fhir/Appointment routes (SPEC §4, API Agenda): thin handlers that translate HTTP to
// AgendaService / repository calls and back. Access (token, pairing, scope letter of the route's
// interaction) runs in the Router's AccessPolicy before a handler; the router's auditor records
// one AuditEvent per request (handlers name "Appointment/<id>" in auditedResources).
//
//   GET  /fhir/Appointment?…                         search-type (patient, date, status,
//                                                    identifier, _lastUpdated, _sort, _count,
//                                                    _offset; gateway/appointment_search.h)
//   POST /fhir/Appointment                           create (201)
//   PUT  /fhir/Appointment?identifier=<sys>|<value>  conditional update: create (201, audited as
//                                                    a create, needs the c letter too) or
//                                                    replace (200); If-Match honoured
//   GET  /fhir/Appointment/<id>                      read
//   PUT  /fhir/Appointment/<id>                      update (If-Match honoured)
//
// No DELETE: an app cancels an appointment (status = cancelled), which keeps it in the
// patient's agenda and history, tells the patient, and is what SPEC §4 and the agenda.write
// family (patient/Appointment.cu + .rs, no d) provide. DELETE answers 405 with Allow.
#pragma once

#include <string>

#include "connectors/store/repository.h"
#include "core/clock.h"
#include "fhir/json/value.h"
#include "gateway/agenda_service.h"
#include "gateway/config.h"
#include "gateway/router.h"

namespace mes::gateway {

class AgendaApi {
 public:
  AgendaApi(const Config& config, store::Repository& repository, AgendaService& agenda,
            const Clock& clock);
  void registerRoutes(Router& router);

  // The Appointment entry of CapabilityStatement.rest[0].resource: exactly the routes above.
  static fhir::Value capabilityResource();

 private:
  http::Response create(const http::Request& request, RequestContext& context);
  http::Response read(const http::Request& request, RequestContext& context);
  http::Response update(const http::Request& request, RequestContext& context);
  http::Response conditionalUpdate(const http::Request& request, RequestContext& context);
  http::Response search(const http::Request& request, RequestContext& context);
  // 201/200 with the stored version (or no body for Prefer: return=minimal), ETag, Location.
  http::Response written(const http::Request& request, const AgendaWrite& write);

  const Config& config_;
  store::Repository& repository_;
  AgendaService& agenda_;
  const Clock& clock_;
  std::string fhirBase_;
};

}  // namespace mes::gateway

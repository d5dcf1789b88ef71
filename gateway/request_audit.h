// The router's audit step for /fhir: one AuditEvent per interaction, allowed or refused (one
// per resource when the handler names several, RequestContext::auditedResources),
// committed before the response leaves (AuditTrail group commit), and the patient's
// "first access by a service" notification.
#pragma once

#include "connectors/outbox/outbox.h"
#include "core/clock.h"
#include "gateway/audit.h"
#include "gateway/log.h"
#include "gateway/router.h"

namespace mes::gateway {

class FhirRequestAuditor final : public RequestAuditor {
 public:
  FhirRequestAuditor(AuditTrail& trail, outbox::Outbox& outbox, const Clock& clock, Logger& logger);
  Status audit(const http::Request& request, const RequestContext& context,
               const http::Response& response) override;

  // The record audit() writes, for tests.
  static AuditRecord recordFor(const http::Request& request, const RequestContext& context,
                               const http::Response& response, int64_t nowMs);

 private:
  AuditTrail& trail_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  Logger& logger_;
};

}  // namespace mes::gateway

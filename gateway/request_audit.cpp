#include "gateway/request_audit.h"

#include <vector>

#include "fhir/json/json.h"

namespace mes::gateway {
namespace {

// FHIR AuditEvent.action and the restful-interaction code of each interaction.
std::pair<const char*, const char*> actionOf(Interaction interaction) {
  switch (interaction) {
    case Interaction::kRead: return {"R", "read"};
    case Interaction::kVread: return {"R", "vread"};
    case Interaction::kHistory: return {"R", "history-instance"};
    case Interaction::kSearch: return {"E", "search-type"};
    case Interaction::kCreate: return {"C", "create"};
    case Interaction::kUpdate: return {"U", "update"};
    case Interaction::kDelete: return {"D", "delete"};
    case Interaction::kTransaction: return {"E", "transaction"};
    case Interaction::kPublic: break;
  }
  return {"E", "operation"};
}

// The stable error code of an OperationOutcome body (details.coding[0].code), or "".
std::string outcomeCodeOf(const std::string& body) {
  auto json = fhir::parseJson(body, fhir::ParseLimits{32, body.size() + 1});
  if (!json) return {};
  const fhir::Value* issues = json->find("issue");
  if (issues == nullptr || !issues->isArray() || issues->items().empty()) return {};
  const fhir::Value* details = issues->items().front().find("details");
  const fhir::Value* codings = details != nullptr ? details->find("coding") : nullptr;
  if (codings == nullptr || !codings->isArray() || codings->items().empty()) return {};
  const std::string* code = codings->items().front().findString("code");
  return code != nullptr ? *code : std::string();
}

}  // namespace

FhirRequestAuditor::FhirRequestAuditor(AuditTrail& trail, outbox::Outbox& outbox,
                                       const Clock& clock, Logger& logger)
    : trail_(trail), outbox_(outbox), clock_(clock), logger_(logger) {}

AuditRecord FhirRequestAuditor::recordFor(const http::Request& request,
                                          const RequestContext& context,
                                          const http::Response& response, int64_t nowMs) {
  AuditRecord r;
  r.recordedMs = nowMs;
  r.category = kAuditRest;
  auto [action, subtype] = actionOf(context.interaction);
  r.action = action;
  r.subtype = subtype;
  r.httpStatus = response.status;
  r.success = response.status < 400;
  if (!r.success) r.outcomeCode = outcomeCodeOf(response.body);
  r.patientId = context.patientId;
  r.clientId = context.clientId;
  r.serviceName = context.serviceName;
  if (auto hash = context.source.find('#'); hash != std::string::npos) {
    r.serviceOid = context.source.substr(0, hash);
  }
  if (!context.auditedResources.empty()) {
    r.resource = context.auditedResources.front();
  } else if (auto it = context.params.find("id"); it != context.params.end()) {
    r.resource = context.resourceType + "/" + it->second;
  } else {
    r.resource = context.resourceType;
    // A create names what it made in Location: <base>/<Type>/<id>/_history/<v>.
    const std::string& location = response.headers.get("Location");
    const std::string marker = "/" + context.resourceType + "/";
    if (auto at = location.rfind(marker); !location.empty() && at != std::string::npos) {
      std::string rest = location.substr(at + marker.size());
      r.resource = context.resourceType + "/" + rest.substr(0, rest.find('/'));
    }
  }
  if (context.interaction == Interaction::kSearch) r.query = request.rawQuery;
  r.sourceAddress = request.remoteAddress;
  r.requestId = context.requestId;
  return r;
}

Status FhirRequestAuditor::audit(const http::Request& request, const RequestContext& context,
                                 const http::Response& response) {
  AuditRecord record = recordFor(request, context, response, clock_.nowMs());
  const std::string patient = record.patientId;
  const std::string client = record.clientId;
  const std::string service = record.serviceName;
  // The further resources the handler named (an ITI-65 publication's other documents): the
  // same event once more for each, after the first (which tells whether this is the
  // service's first access).
  std::vector<AuditRecord> more;
  for (size_t i = 1; i < context.auditedResources.size(); ++i) {
    more.push_back(record);
    more.back().resource = context.auditedResources[i];
  }
  auto first = trail_.recordAccess(std::move(record));
  if (!first) return first.takeError();
  if (!more.empty()) MES_RETURN_IF_ERROR(trail_.recordBatch(std::move(more)));
  if (*first) {
    outbox::Notification n;
    n.recipient = patient;
    n.kind = "first-access";
    n.subject = "Première connexion de " + service + " à votre profil";
    n.body = "L’application " + service +
             " a accédé pour la première fois à votre profil Mon espace santé. Vous pouvez "
             "consulter l’historique des accès et retirer son autorisation depuis votre espace.";
    n.data = {{"client_id", client}};
    if (auto sent = outbox_.send(n); !sent) {
      logger_.error("first-access notification not sent", {{"detail", sent.error().detail}});
    }
  }
  return Status::ok();
}

}  // namespace mes::gateway

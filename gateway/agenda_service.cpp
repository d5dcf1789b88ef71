#include "gateway/agenda_service.h"

#include <memory>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/profiles/appointment_profile.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"

namespace mes::gateway {
namespace {

constexpr const char* kType = "Appointment";
// Index token of the writer (meta.source): scopes the conditional update to the writing service.
constexpr const char* kSourceToken = "_source";
constexpr size_t kMaxDescriptionInMessage = 120;

Error unprocessable(std::string code, std::string message, std::string expression) {
  return Error::make(ErrorKind::kUnprocessable, std::move(code), std::move(message),
                     std::move(expression));
}

Error notFound(const std::string& id) {
  return Error::make(ErrorKind::kNotFound, "not-found",
                     std::string(kType) + "/" + id + " does not exist.");
}

// SPEC §1 / §4: an app changes or cancels only what it wrote (meta.source of the current
// version). Unrestricted contexts (tools, tests) may change anything.
Status checkAuthor(const store::ResourceRecord& current, const RequestContext& context) {
  if (context.source.empty() || current.source == context.source) return Status::ok();
  return Error::make(ErrorKind::kForbidden, "not-author",
                     current.type + "/" + current.id +
                         " was written by another service; only its author may change or cancel "
                         "it.");
}

const std::string& statusOf(const fhir::Value& appointment) {
  static const std::string kEmpty;
  const std::string* s = appointment.findString("status");
  return s != nullptr ? *s : kEmpty;
}

// "01/12/2026 à 10:00" from an instant as the app wrote it (its own offset, usually the
// patient's local time; " UTC" added for Z). Empty when there is no start.
std::string whenFr(const fhir::Value& appointment) {
  const std::string* start = appointment.findString("start");
  if (start == nullptr || start->size() < 16) return {};
  const std::string& t = *start;
  return t.substr(8, 2) + "/" + t.substr(5, 2) + "/" + t.substr(0, 4) + " à " + t.substr(11, 5) +
         (t.back() == 'Z' ? " UTC" : "");
}

// The description, cut at a UTF-8 boundary for a short message.
std::string shortDescription(const fhir::Value& appointment) {
  const std::string* d = appointment.findString("description");
  if (d == nullptr) return {};
  if (d->size() <= kMaxDescriptionInMessage) return *d;
  size_t cut = kMaxDescriptionInMessage;
  while (cut > 0 && (static_cast<unsigned char>((*d)[cut]) & 0xC0) == 0x80) --cut;
  return d->substr(0, cut) + "…";
}

}  // namespace

struct AgendaService::Prepared {
  fhir::Value resource;
  std::string patientId;
  std::vector<fhir::AppointmentIdentifier> identifiers;
};

AgendaService::AgendaService(store::Repository& repository, IdGenerator& ids,
                             outbox::Outbox& outbox, Logger& logger)
    : repository_(repository), ids_(ids), outbox_(outbox), logger_(logger) {}

store::WriteRequest AgendaService::writeRequest(const std::string& id, fhir::Value resource,
                                                const std::string& source) {
  store::WriteRequest request;
  request.type = kType;
  request.id = id;
  request.source = source;
  request.index = indexRowsFor(kType, id, resource);
  if (!source.empty()) request.index.tokens.push_back({kSourceToken, "", source});
  // meta.source says who wrote a version; only the gateway sets it (authorship relies on it).
  if (fhir::Value* meta = resource.find("meta"); meta != nullptr && meta->isObject()) {
    meta->erase("source");
  }
  auto shared = std::make_shared<fhir::Value>(std::move(resource));
  request.render = [shared, id, source](int64_t version, int64_t lastUpdated) -> Result<std::string> {
    return stampedJson(*shared, id, version, lastUpdated, source);
  };
  return request;
}

Result<AgendaService::Prepared> AgendaService::prepare(fhir::Value appointment,
                                                       const RequestContext& context) {
  auto validated = fhir::validateAppointment(appointment);
  if (!validated) return validated.takeError();
  if (!context.patientId.empty()) {
    for (const auto& patient : validated->patientIds) {
      if (patient != context.patientId) {
        return Error::make(ErrorKind::kForbidden, "patient-mismatch",
                           "A participant of the appointment is another patient than the one "
                           "this access is for.",
                           "Appointment.participant");
      }
    }
  }
  if (validated->patientIds.size() > 1) {
    return unprocessable("appointment-patient-several",
                         "An appointment belongs to one patient's agenda; its participants name "
                         "several patients.",
                         "Appointment.participant");
  }
  return Prepared{std::move(appointment), validated->patientIds.front(),
                  std::move(validated->identifiers)};
}

Status AgendaService::checkPatientExists(store::Transaction& tx, const Prepared& prepared) {
  auto patient = tx.read("Patient", prepared.patientId);
  if (patient && !patient->deleted) return Status::ok();
  if (!patient && patient.error().kind != ErrorKind::kNotFound) return patient.takeError();
  return unprocessable("patient-unknown",
                       "The participant Patient/" + prepared.patientId + " does not exist.",
                       "Appointment.participant");
}

Status AgendaService::checkIdentifiersFree(store::Transaction& tx, const Prepared& prepared,
                                           const RequestContext& context,
                                           const std::string& self) {
  for (const auto& identifier : prepared.identifiers) {
    store::SearchQuery query;
    query.type = kType;
    query.patient = prepared.patientId;
    query.tokens.push_back({"identifier", {{identifier.system, identifier.value}}});
    if (!context.source.empty()) query.tokens.push_back({kSourceToken, {{"", context.source}}});
    query.count = 2;
    query.withTotal = false;
    auto found = tx.search(query);
    if (!found) return found.takeError();
    for (const auto& record : found->records) {
      if (record.id == self) continue;
      return Error::make(ErrorKind::kConflict, "identifier-in-use",
                         "Appointment/" + record.id + " of this service already has identifier " +
                             identifier.system + "|" + identifier.value +
                             ": update it (PUT /fhir/Appointment?identifier=" +
                             identifier.system + "|" + identifier.value + ").",
                         "Appointment.identifier");
    }
  }
  return Status::ok();
}

Result<store::ResourceRecord> AgendaService::createIn(store::Transaction& tx,
                                                      const Prepared& prepared,
                                                      const RequestContext& context) {
  MES_RETURN_IF_ERROR(checkPatientExists(tx, prepared));
  MES_RETURN_IF_ERROR(checkIdentifiersFree(tx, prepared, context, ""));
  return tx.create(writeRequest(ids_.next(), prepared.resource, context.source));
}

Result<store::ResourceRecord> AgendaService::updateIn(store::Transaction& tx,
                                                      const std::string& id,
                                                      const Prepared& prepared,
                                                      std::optional<int64_t> ifMatch,
                                                      const RequestContext& context,
                                                      std::string& previousStatus) {
  auto current = tx.read(kType, id);
  if (!current) {
    if (current.error().kind == ErrorKind::kNotFound) return notFound(id);
    return current.takeError();
  }
  // Another patient's appointment does not exist for this caller, deleted or not.
  if (!context.patientId.empty() && !current->deleted && current->patient != context.patientId) {
    return notFound(id);
  }
  if (current->deleted) {
    if (!context.patientId.empty()) return notFound(id);
    return Error::make(ErrorKind::kGone, "deleted", std::string(kType) + "/" + id +
                                                        " has been deleted.");
  }
  MES_RETURN_IF_ERROR(checkAuthor(*current, context));
  if (current->patient != prepared.patientId) {
    return unprocessable("patient-change",
                         "An appointment cannot move to another patient's agenda; the patient "
                         "participant must stay Patient/" + current->patient + ".",
                         "Appointment.participant");
  }
  MES_RETURN_IF_ERROR(checkPatientExists(tx, prepared));
  MES_RETURN_IF_ERROR(checkIdentifiersFree(tx, prepared, context, id));
  if (auto old = fhir::parseJson(current->content,
                                 fhir::ParseLimits{512, current->content.size() + 1})) {
    previousStatus = statusOf(*old);
  }
  store::WriteRequest request = writeRequest(id, prepared.resource, context.source);
  request.ifMatch = ifMatch;
  return tx.update(request);
}

Result<AgendaWrite> AgendaService::create(fhir::Value appointment, const RequestContext& context) {
  auto prepared = prepare(std::move(appointment), context);
  if (!prepared) return prepared.takeError();
  AgendaWrite write;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto created = createIn(tx, *prepared, context);
    if (!created) return created.takeError();
    write = {std::move(created).value(), true};
    return Status::ok();
  });
  if (!status) return status.takeError();
  notifyAfterWrite(write, prepared->resource, {}, context);
  return write;
}

Result<AgendaWrite> AgendaService::update(const std::string& id, fhir::Value appointment,
                                          std::optional<int64_t> ifMatch,
                                          const RequestContext& context) {
  auto prepared = prepare(std::move(appointment), context);
  if (!prepared) return prepared.takeError();
  AgendaWrite write;
  std::string previousStatus;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto updated = updateIn(tx, id, *prepared, ifMatch, context, previousStatus);
    if (!updated) return updated.takeError();
    write = {std::move(updated).value(), false};
    return Status::ok();
  });
  if (!status) return status.takeError();
  notifyAfterWrite(write, prepared->resource, previousStatus, context);
  return write;
}

Result<AgendaWrite> AgendaService::updateByIdentifier(const AppointmentKey& key,
                                                      fhir::Value appointment,
                                                      std::optional<int64_t> ifMatch,
                                                      const RequestContext& context) {
  const std::string* bodyId = appointment.findString("id");
  const std::optional<std::string> givenId =
      bodyId != nullptr ? std::optional<std::string>(*bodyId) : std::nullopt;
  auto prepared = prepare(std::move(appointment), context);
  if (!prepared) return prepared.takeError();
  bool carried = false;
  for (const auto& identifier : prepared->identifiers) {
    carried = carried || (identifier.system == key.system && identifier.value == key.value);
  }
  if (!carried) {
    return Error::make(ErrorKind::kInvalid, "identifier-mismatch",
                       "The body must carry the identifier the URL names (" + key.system + "|" +
                           key.value + ") in Appointment.identifier.",
                       "Appointment.identifier");
  }

  store::SearchQuery query;
  query.type = kType;
  query.patient = prepared->patientId;
  query.tokens.push_back({"identifier", {{key.system, key.value}}});
  if (!context.source.empty()) query.tokens.push_back({kSourceToken, {{"", context.source}}});
  query.sort = store::SortOrder::kLastUpdatedAsc;
  query.count = 2;
  query.withTotal = false;

  AgendaWrite write;
  std::string previousStatus;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto found = tx.search(query);
    if (!found) return found.takeError();
    if (found->records.size() > 1) {
      return Error::make(ErrorKind::kPreconditionFailed, "multiple-matches",
                         "identifier=" + key.system + "|" + key.value +
                             " matches more than one Appointment of this service.");
    }
    if (found->records.empty()) {
      if (givenId) {
        return Error::make(ErrorKind::kInvalid, "id-mismatch",
                           "No appointment of this service has identifier " + key.system + "|" +
                               key.value + ", and ids are the server's: leave id out to create "
                               "it (got '" + *givenId + "').",
                           "Appointment.id");
      }
      if (ifMatch) {
        return Error::make(ErrorKind::kPreconditionFailed, "version-conflict",
                           "If-Match names a version, but no appointment has identifier " +
                               key.system + "|" + key.value + ".");
      }
      MES_RETURN_IF_ERROR(requirePermission(context, kType, oauth::kCreate));
      auto created = createIn(tx, *prepared, context);
      if (!created) return created.takeError();
      write = {std::move(created).value(), true};
      return Status::ok();
    }
    const std::string& id = found->records.front().id;
    if (givenId && *givenId != id) {
      return Error::make(ErrorKind::kInvalid, "id-mismatch",
                         "The body's id ('" + *givenId + "') is not the id of the appointment "
                         "with identifier " + key.system + "|" + key.value + " ('" + id + "').",
                         "Appointment.id");
    }
    auto updated = updateIn(tx, id, *prepared, ifMatch, context, previousStatus);
    if (!updated) return updated.takeError();
    write = {std::move(updated).value(), false};
    return Status::ok();
  });
  if (!status) return status.takeError();
  notifyAfterWrite(write, prepared->resource, previousStatus, context);
  return write;
}

void AgendaService::notifyAfterWrite(const AgendaWrite& write, const fhir::Value& appointment,
                                     const std::string& previousStatus,
                                     const RequestContext& context) {
  const std::string& status = statusOf(appointment);
  const bool cancelled = !write.created && status == "cancelled" && previousStatus != "cancelled";
  if (!write.created && !cancelled) return;
  const std::string service =
      context.serviceName.empty() ? std::string("Une application") : context.serviceName;
  const std::string app = context.serviceName.empty()
                              ? std::string("Une application")
                              : "L’application " + context.serviceName;
  const std::string when = whenFr(appointment);
  const std::string description = shortDescription(appointment);
  outbox::Notification n;
  n.recipient = indexRowsFor(kType, write.record.id, appointment).patient;
  if (write.created) {
    n.kind = "appointment-created";
    n.subject = "Nouveau rendez-vous ajouté par " + service;
    n.body = app + " a ajouté un rendez-vous à votre agenda Mon espace santé" +
             (when.empty() ? std::string(" (date à définir)") : " le " + when) +
             (description.empty() ? std::string() : " : « " + description + " »") +
             ". Vous pouvez consulter l’historique des accès et retirer son autorisation depuis "
             "votre espace.";
  } else {
    n.kind = "appointment-cancelled";
    n.subject = "Rendez-vous annulé par " + service;
    n.body = app + " a annulé votre rendez-vous" +
             (when.empty() ? std::string() : " du " + when) +
             (description.empty() ? std::string() : " (« " + description + " »)") + ".";
  }
  n.data = {{"appointment", std::string(kType) + "/" + write.record.id},
            {"status", status}};
  if (!context.clientId.empty()) n.data.emplace_back("client_id", context.clientId);
  if (const std::string* start = appointment.findString("start")) n.data.emplace_back("start", *start);
  if (auto sent = outbox_.send(n); !sent) {
    logger_.error("appointment notification not sent",
                  {{"kind", n.kind}, {"detail", sent.error().detail}});
  }
}

}  // namespace mes::gateway

#include "gateway/audit.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "fhir/types/datetime.h"
#include "gateway/resource_index.h"
#include "oauth/crypto/encoding.h"

namespace mes::gateway {
namespace {

constexpr const char* kInteractionSystem = "http://hl7.org/fhir/restful-interaction";
constexpr const char* kSourceTypeSystem = "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr const char* kDetailRequestId = "request-id";
constexpr const char* kDetailHttpStatus = "http-status";
constexpr const char* kDetailOutcomeCode = "outcome-code";

constexpr int kMaxActivityPage = 100;

fhir::Value str(std::string s) { return fhir::Value::string(std::move(s)); }

fhir::Value coding(const char* system, std::string code, const char* display = nullptr) {
  fhir::Value c = fhir::Value::object();
  c.set("system", str(system));
  c.set("code", str(std::move(code)));
  if (display != nullptr) c.set("display", str(display));
  return c;
}

fhir::Value detail(const char* type, std::string value) {
  fhir::Value d = fhir::Value::object();
  d.set("type", str(type));
  d.set("valueString", str(std::move(value)));
  return d;
}

std::string outcomeOf(const AuditRecord& record) {
  if (record.success) return "0";
  return record.httpStatus >= 500 ? "8" : "4";
}

// The service as a Reference: identifier urn:mes-gateway:client-id|<client id>, display its
// name; nullopt when the record names none.
std::optional<fhir::Value> serviceReference(const AuditRecord& record) {
  if (record.clientId.empty() && record.serviceName.empty()) return std::nullopt;
  fhir::Value reference = fhir::Value::object();
  if (!record.clientId.empty()) {
    fhir::Value identifier = fhir::Value::object();
    identifier.set("system", str(kClientIdSystem));
    identifier.set("value", str(record.clientId));
    reference.set("identifier", std::move(identifier));
  }
  if (!record.serviceName.empty()) reference.set("display", str(record.serviceName));
  return reference;
}

fhir::Value serviceAgent(const AuditRecord& record, bool requestor) {
  fhir::Value agent = fhir::Value::object();
  if (auto who = serviceReference(record)) agent.set("who", std::move(*who));
  if (!record.serviceOid.empty()) agent.set("altId", str(record.serviceOid));
  agent.set("requestor", fhir::Value::boolean(requestor));
  return agent;
}

void addNetwork(fhir::Value& agent, const AuditRecord& record) {
  if (record.sourceAddress.empty()) return;
  fhir::Value network = fhir::Value::object();
  network.set("address", str(record.sourceAddress));
  network.set("type", str("2"));  // IP address
  agent.set("network", std::move(network));
}

const fhir::Value* codingOf(const fhir::Value& parent, std::string_view key) {
  const fhir::Value* c = parent.find(key);
  return c != nullptr && c->isObject() ? c : nullptr;
}

bool hasCode(const fhir::Value* c, std::string_view system, std::string_view code) {
  if (c == nullptr) return false;
  const std::string* s = c->findString("system");
  const std::string* v = c->findString("code");
  return s != nullptr && v != nullptr && *s == system && *v == code;
}

std::string stringOr(const fhir::Value* parent, std::string_view key) {
  if (parent == nullptr) return {};
  const std::string* s = parent->findString(key);
  return s != nullptr ? *s : std::string();
}

Error badEvent(std::string why) {
  Error e = Error::internal("stored AuditEvent unreadable: " + why);
  return e;
}

// --- plain French ---------------------------------------------------------------------------

struct Noun {
  const char* one;  // "une mesure"
  const char* all;  // "vos mesures"
};

Noun nounFor(const std::string& resource) {
  const std::string type = resource.substr(0, resource.find('/'));
  if (type == "Observation") return {"une mesure", "vos mesures"};
  if (type == "Device") return {"un appareil", "vos appareils"};
  if (type == "Patient") return {"votre identité", "votre identité"};
  if (type == "Consent") return {"votre autorisation", "vos autorisations"};
  if (type == "DocumentReference") return {"un document", "vos documents"};
  if (type == "Binary") return {"le contenu d'un document", "vos documents"};
  if (type == "Appointment") return {"un rendez-vous", "vos rendez-vous"};
  if (type == "AuditEvent") return {"votre historique d'activité", "votre historique d'activité"};
  return {"une donnée", "vos données"};
}

// "de" before a noun phrase, elided or contracted: "d'une mesure", "du contenu", "de votre";
// a service's name is kept as it is ("de Easydiab").
std::string ofNoun(std::string_view noun) {
  if (noun.rfind("un ", 0) == 0 || noun.rfind("une ", 0) == 0) return "d'" + std::string(noun);
  if (noun.rfind("le ", 0) == 0) return "du " + std::string(noun.substr(3));
  return "de " + std::string(noun);
}

std::string serviceOf(const AuditRecord& record, bool capital) {
  if (!record.serviceName.empty()) return record.serviceName;
  if (!record.clientId.empty()) return record.clientId;
  return capital ? "Un service non identifié" : "un service non identifié";
}

// Why an access was refused, from our stable codes (SPEC §1 and the OAuth error codes).
std::string reasonFr(const AuditRecord& record) {
  static const std::pair<const char*, const char*> kReasons[] = {
      {"consent-missing", "consentement absent"},
      {"patient-mismatch", "données d'un autre patient"},
      {"not-author", "donnée enregistrée par un autre service"},
      {"pairing-revoked", "autorisation retirée"},
      {"pairing-inactive", "autorisation retirée"},
      {"token-revoked", "autorisation retirée"},
      {"token-expired", "autorisation expirée"},
      {"token-missing", "autorisation absente"},
      {"token-invalid", "autorisation invalide"},
      {"token-malformed", "autorisation invalide"},
      {"token-key-unknown", "autorisation invalide"},
      {"token-claim-missing", "autorisation invalide"},
      {"token-in-query", "autorisation transmise de façon non sûre"},
      {"service-suspended", "service suspendu"},
      {"service-unknown", "service non reconnu"},
      {"too-many-requests", "trop de demandes"},
      {"not-found", "donnée introuvable"},
      {"deleted", "donnée supprimée"},
      {"invalid_grant", "autorisation expirée ou retirée"},
      {"invalid_client", "service non reconnu"},
      {"unauthorized_client", "service non autorisé"},
      {"invalid_scope", "accès demandé non autorisé"},
      {"refresh-reuse", "réutilisation suspecte d'une autorisation"},
      {"access_denied", "vous avez refusé l'accès"},
  };
  for (const auto& [code, text] : kReasons) {
    if (record.outcomeCode == code) return text;
  }
  switch (record.httpStatus) {
    case 401: return "autorisation invalide ou expirée";
    case 404:
    case 410: return "donnée introuvable";
    default: return {};
  }
}

std::string refusedFr(const AuditRecord& record) {
  if (record.httpStatus >= 500) {
    return "Échec d'une demande " + ofNoun(serviceOf(record, false)) + " : incident technique";
  }
  const std::string reason = reasonFr(record);
  if (reason.empty()) {
    const int s = record.httpStatus;
    if (s == 400 || s == 409 || s == 412 || s == 415 || s == 422) {
      return "Demande invalide " + ofNoun(serviceOf(record, false)) + " refusée";
    }
    return "Accès refusé à " + serviceOf(record, false);
  }
  return "Accès refusé à " + serviceOf(record, false) + " : " + reason;
}

std::string restFr(const AuditRecord& record) {
  if (!record.success) return refusedFr(record);
  const std::string who = serviceOf(record, true);
  const Noun noun = nounFor(record.resource);
  const std::string& s = record.subtype;
  if (s == "read" || s == "vread") return who + " a lu " + noun.one;
  if (s == "search-type" || s == "search-system" || s == "search") return who + " a lu " + noun.all;
  if (s == "history-instance") return who + " a lu l'historique " + ofNoun(noun.one);
  if (s == "history-type" || s == "history-system") return who + " a lu l'historique " + ofNoun(noun.all);
  if (s == "create") return who + " a enregistré " + noun.one;
  if (s == "update" || s == "patch") return who + " a modifié " + noun.one;
  if (s == "delete") return who + " a supprimé " + noun.one;
  if (s == "transaction" || s == "batch") {
    return who + " a enregistré " + (record.resource.empty() ? std::string("des données") : noun.one);
  }
  return who + " a interrogé la passerelle";
}

std::string pairingFr(const AuditRecord& record) {
  const std::string& s = record.subtype;
  const std::string service = serviceOf(record, false);
  if (s == kAuditPairingCreated) return "Vous avez autorisé " + service;
  if (s == kAuditPairingUpdated) return "Vous avez modifié les accès " + ofNoun(service);
  if (s == kAuditPairingDenied) return "Vous avez refusé l'accès à " + service;
  if (s == kAuditPairingRevoked) {
    if (record.category == kAuditPortal) return "Vous avez retiré l'accès " + ofNoun(service);
    return serviceOf(record, true) + " a mis fin à son accès";
  }
  if (s == kAuditTokenIssued) return serviceOf(record, true) + " a obtenu l'accès à vos données";
  if (s == kAuditTokenRefreshed) return serviceOf(record, true) + " a renouvelé son accès";
  if (s == kAuditTokenRevoked) return "L'accès " + ofNoun(service) + " a pris fin";
  if (s == kAuditTokenRefused) {
    const std::string reason = reasonFr(record);
    return "Accès refusé à " + service + (reason.empty() ? std::string() : " : " + reason);
  }
  if (s == kAuditTokenReuseDetected) {
    return "Réutilisation suspecte d'une autorisation " + ofNoun(service) +
           " : tous ses accès ont été coupés, il faudra l'autoriser à nouveau";
  }
  if (s == kAuditAuthorizationRefused) {
    return "Demande d'autorisation refusée pour " + service;
  }
  return {};
}

std::string accountFr(const AuditRecord& record) {
  const std::string& s = record.subtype;
  if (s == kAuditLoginSucceeded) return "Connexion à votre compte";
  if (s == kAuditLoginFailed) return "Échec de connexion à votre compte";
  if (s == kAuditLoginLocked || s == kAuditAccountLocked) {
    return "Compte bloqué temporairement après plusieurs échecs de connexion";
  }
  if (s == kAuditOtpFailed) return "Code de connexion à usage unique erroné ou expiré";
  if (s == kAuditLogout) return "Déconnexion de votre compte";
  return {};
}

}  // namespace

// --- the resource ---------------------------------------------------------------------------

Status checkAuditRecord(const AuditRecord& record) {
  auto invalid = [](std::string why) {
    Error e = Error::internal("audit record invalid: " + why);
    e.problems.front().code = "audit-record-invalid";
    return e;
  };
  if (record.category != kAuditRest && record.category != kAuditOauth &&
      record.category != kAuditPortal && record.category != kAuditRegistry) {
    return invalid("category '" + record.category + "'");
  }
  if (record.action.size() != 1 || std::string_view("CRUDE").find(record.action[0]) == std::string_view::npos) {
    return invalid("action '" + record.action + "'");
  }
  if (record.subtype.empty()) return invalid("empty subtype");
  if (record.recordedMs < 0) return invalid("negative recordedMs");
  return Status::ok();
}

fhir::Value auditEventResource(const AuditRecord& record) {
  const bool rest = record.category == kAuditRest;
  fhir::Value event = fhir::Value::object();
  event.set("resourceType", str("AuditEvent"));
  if (record.seq != 0) event.set("id", str(std::to_string(record.seq)));
  event.set("type", rest ? coding(kAuditDicomTypeSystem, "rest", "RESTful Operation")
                         : coding(kAuditTypeSystem, record.category));
  fhir::Value subtypes = fhir::Value::array();
  subtypes.push(coding(rest ? kInteractionSystem : kAuditSubtypeSystem, record.subtype));
  event.set("subtype", std::move(subtypes));
  event.set("action", str(record.action));
  event.set("recorded", str(fhir::formatInstant(record.recordedMs)));
  event.set("outcome", str(outcomeOf(record)));
  if (!record.outcomeText.empty()) event.set("outcomeDesc", str(record.outcomeText));

  fhir::Value agents = fhir::Value::array();
  const bool registry = record.category == kAuditRegistry;
  if (registry) {
    // The person who acted (staff or editor, or the operator's command line); the service is
    // what the action was about: an entity, below.
    fhir::Value person = fhir::Value::object();
    if (!record.actor.empty()) {
      fhir::Value who = fhir::Value::object();
      fhir::Value identifier = fhir::Value::object();
      identifier.set("system", str(kRegistryAccountSystem));
      identifier.set("value", str(record.actor));
      who.set("identifier", std::move(identifier));
      who.set("display", str(record.actor));
      person.set("who", std::move(who));
    }
    person.set("requestor", fhir::Value::boolean(true));
    addNetwork(person, record);
    agents.push(std::move(person));
  } else if (record.category == kAuditPortal && !record.patientId.empty()) {
    fhir::Value patient = fhir::Value::object();
    fhir::Value who = fhir::Value::object();
    who.set("reference", str("Patient/" + record.patientId));
    patient.set("who", std::move(who));
    patient.set("requestor", fhir::Value::boolean(true));
    addNetwork(patient, record);
    agents.push(std::move(patient));
    if (!record.clientId.empty() || !record.serviceName.empty() || !record.serviceOid.empty()) {
      agents.push(serviceAgent(record, false));
    }
  } else {
    fhir::Value service = serviceAgent(record, true);
    addNetwork(service, record);
    agents.push(std::move(service));
  }
  event.set("agent", std::move(agents));

  fhir::Value source = fhir::Value::object();
  fhir::Value observer = fhir::Value::object();
  observer.set("display", str("MES Gateway"));
  source.set("observer", std::move(observer));
  fhir::Value sourceTypes = fhir::Value::array();
  sourceTypes.push(coding(kSourceTypeSystem, "4", "Application Server"));
  source.set("type", std::move(sourceTypes));
  event.set("source", std::move(source));

  fhir::Value entities = fhir::Value::array();
  fhir::Value target = fhir::Value::object();
  if (auto service = registry ? serviceReference(record) : std::nullopt) {
    target.set("what", std::move(*service));  // the service the registry action was about
  } else if (!record.resource.empty()) {
    fhir::Value what = fhir::Value::object();
    what.set(record.resource.find('/') != std::string::npos ? "reference" : "type",
             str(record.resource));
    target.set("what", std::move(what));
  }
  if (!record.query.empty()) target.set("query", str(oauth::base64Encode(record.query)));
  fhir::Value details = fhir::Value::array();
  if (!record.requestId.empty()) details.push(detail(kDetailRequestId, record.requestId));
  if (record.httpStatus != 0) details.push(detail(kDetailHttpStatus, std::to_string(record.httpStatus)));
  if (!record.outcomeCode.empty()) details.push(detail(kDetailOutcomeCode, record.outcomeCode));
  if (!details.items().empty()) target.set("detail", std::move(details));
  if (!target.members().empty()) entities.push(std::move(target));
  if (!record.patientId.empty()) {
    fhir::Value patient = fhir::Value::object();
    fhir::Value what = fhir::Value::object();
    what.set("reference", str("Patient/" + record.patientId));
    patient.set("what", std::move(what));
    patient.set("role", coding(kObjectRoleSystem, "1", "Patient"));
    entities.push(std::move(patient));
  }
  if (!entities.items().empty()) event.set("entity", std::move(entities));
  return event;
}

Result<AuditRecord> auditRecordFrom(const fhir::Value& event) {
  if (!event.isObject() || stringOr(&event, "resourceType") != "AuditEvent") {
    return badEvent("not an AuditEvent");
  }
  AuditRecord record;
  if (const std::string* id = event.findString("id")) {
    int64_t seq = 0;
    for (char c : *id) {
      if (c < '0' || c > '9' || seq > (INT64_MAX - 9) / 10) return badEvent("id");
      seq = seq * 10 + (c - '0');
    }
    record.seq = seq;
  }
  const fhir::Value* type = codingOf(event, "type");
  if (hasCode(type, kAuditDicomTypeSystem, "rest")) {
    record.category = kAuditRest;
  } else if (type != nullptr && stringOr(type, "system") == kAuditTypeSystem) {
    record.category = stringOr(type, "code");
  } else {
    return badEvent("unknown type");
  }
  if (const fhir::Value* subtypes = event.find("subtype");
      subtypes != nullptr && subtypes->isArray() && !subtypes->items().empty()) {
    record.subtype = stringOr(&subtypes->items().front(), "code");
  }
  record.action = stringOr(&event, "action");
  auto recorded = fhir::parseDateTime(stringOr(&event, "recorded"), fhir::DateTimeForm::kInstant);
  if (!recorded) return badEvent("recorded");
  record.recordedMs = recorded->lowMs;
  record.success = stringOr(&event, "outcome") == "0";
  record.outcomeText = stringOr(&event, "outcomeDesc");

  if (const fhir::Value* agents = event.find("agent"); agents != nullptr && agents->isArray()) {
    for (const fhir::Value& agent : agents->items()) {
      const fhir::Value* who = agent.find("who");
      const fhir::Value* identifier = who != nullptr ? who->find("identifier") : nullptr;
      const bool isPatient = who != nullptr && who->findString("reference") != nullptr;
      if (!isPatient) {
        if (identifier != nullptr && stringOr(identifier, "system") == kClientIdSystem) {
          record.clientId = stringOr(identifier, "value");
        }
        record.serviceName = stringOr(who, "display");
        record.serviceOid = stringOr(&agent, "altId");
      }
      if (const fhir::Value* network = agent.find("network")) {
        record.sourceAddress = stringOr(network, "address");
      }
    }
  }

  if (const fhir::Value* entities = event.find("entity"); entities != nullptr && entities->isArray()) {
    for (const fhir::Value& entity : entities->items()) {
      const fhir::Value* what = entity.find("what");
      if (hasCode(codingOf(entity, "role"), kObjectRoleSystem, "1")) {
        if (what != nullptr) record.patientId = referencedId(*what, "Patient");
        continue;
      }
      if (what != nullptr) {
        record.resource = stringOr(what, "reference");
        if (record.resource.empty()) record.resource = stringOr(what, "type");
      }
      if (const std::string* query = entity.findString("query")) {
        auto decoded = oauth::base64Decode(*query);
        if (!decoded) return badEvent("entity.query");
        record.query = std::move(*decoded);
      }
      if (const fhir::Value* details = entity.find("detail"); details != nullptr && details->isArray()) {
        for (const fhir::Value& d : details->items()) {
          const std::string kind = stringOr(&d, "type");
          std::string value = stringOr(&d, "valueString");
          if (kind == kDetailRequestId) {
            record.requestId = std::move(value);
          } else if (kind == kDetailOutcomeCode) {
            record.outcomeCode = std::move(value);
          } else if (kind == kDetailHttpStatus) {
            int status = 0;
            for (char c : value) {
              if (c < '0' || c > '9' || status > 99999) return badEvent("http-status");
              status = status * 10 + (c - '0');
            }
            record.httpStatus = status;
          }
        }
      }
    }
  }
  return record;
}

std::string describeFr(const AuditRecord& record) {
  if (record.category == kAuditRest) return restFr(record);
  if (record.category == kAuditRegistry) {
    return std::string(record.success ? "Référencement " : "Refus d’une action de référencement ") +
           ofNoun(serviceOf(record, false)) + " : « " + record.subtype + " »";
  }
  std::string text = pairingFr(record);
  if (text.empty()) text = accountFr(record);
  if (!text.empty()) return text;
  // An event this version does not know: say what we have.
  text = (record.success ? "Action « " : "Échec de l'action « ") + record.subtype + " »";
  if (!record.clientId.empty() || !record.serviceName.empty()) {
    text += " (" + serviceOf(record, false) + ")";
  }
  return text;
}

// --- the trail ------------------------------------------------------------------------------

AuditTrail::AuditTrail(store::AuditLog& log, const Clock& clock, AuditTrailOptions options,
                       store::AuditJournal* journal)
    : log_(log), clock_(clock), options_(options), journal_(journal) {}

Status AuditTrail::prepare(AuditRecord& record) const {
  if (record.recordedMs == 0) record.recordedMs = clock_.nowMs();
  record.seq = 0;
  return checkAuditRecord(record);
}

Status AuditTrail::commit(const std::vector<Pending*>& batch) {
  std::vector<AuditRecord*> entries;
  entries.reserve(batch.size());
  for (Pending* pending : batch) entries.push_back(&pending->record);
  Status status;
  try {
    status = journal_ != nullptr ? journal_->append(entries) : log_.append(entries);
  } catch (const std::exception& e) {
    status = Error::internal(std::string("audit commit threw: ") + e.what());
  } catch (...) {
    status = Error::internal("audit commit threw");
  }
  if (status) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    events_.fetch_add(batch.size(), std::memory_order_relaxed);
    return status;
  }
  failedBatches_.fetch_add(1, std::memory_order_relaxed);
  const Error& cause = status.error();
  Error e = Error::make(ErrorKind::kUnavailable, "audit-unavailable",
                        "The access could not be recorded; nothing was served. Try again later.");
  e.detail = "audit commit failed (" + cause.code() + "): " + cause.detail;
  return e;
}

Status AuditTrail::submit(std::vector<Pending>& mine) {
  std::unique_lock lock(mutex_);
  for (Pending& pending : mine) queue_.push_back(&pending);
  auto allDone = [&mine] {
    return std::all_of(mine.begin(), mine.end(), [](const Pending& p) { return p.done; });
  };
  while (!allDone()) {
    if (flushing_) {
      committed_.wait(lock);
      continue;
    }
    // Leader: take what is queued (ours and others'), commit it without the lock.
    flushing_ = true;
    std::vector<Pending*> batch;
    const size_t n = std::min(queue_.size(), std::max<size_t>(options_.maxBatch, 1));
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    Status status = commit(batch);
    lock.lock();
    for (Pending* pending : batch) {
      pending->status = status;
      pending->done = true;
    }
    flushing_ = false;
    committed_.notify_all();
  }
  for (Pending& pending : mine) {
    if (!pending.status) return pending.status;
  }
  return Status::ok();
}

Status AuditTrail::record(AuditRecord record) {
  MES_RETURN_IF_ERROR(prepare(record));
  if (journal_ != nullptr && journal_->appendsAreCheap()) {
    // Nothing to gain from grouping with other requests: an append is one write().
    Pending mine;
    mine.record = std::move(record);
    return commit({&mine});
  }
  std::vector<Pending> mine(1);
  mine.front().record = std::move(record);
  return submit(mine);
}

Status AuditTrail::recordBatch(std::vector<AuditRecord> records) {
  std::vector<Pending> mine(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    MES_RETURN_IF_ERROR(prepare(records[i]));
    mine[i].record = std::move(records[i]);
  }
  if (mine.empty()) return Status::ok();
  return submit(mine);
}

Result<bool> AuditTrail::recordAccess(AuditRecord record) {
  if (record.category != kAuditRest || !record.success || record.patientId.empty() ||
      record.clientId.empty()) {
    MES_RETURN_IF_ERROR(this->record(std::move(record)));
    return false;
  }
  std::string key = record.clientId + '\x1f' + record.patientId;
  bool known = false;
  {
    std::lock_guard lock(knownMutex_);
    known = knownPairs_.contains(key);
  }
  // Looked up before our own event is committed, so only earlier accesses count.
  bool before = true;
  if (!known) {
    auto found = hasSucceededBefore(record.patientId, record.clientId);
    before = !found || *found;
  }
  MES_RETURN_IF_ERROR(this->record(std::move(record)));
  if (known) return false;
  std::lock_guard lock(knownMutex_);
  if (knownPairs_.size() >= options_.maxKnownPairs) knownPairs_.clear();
  const bool inserted = knownPairs_.insert(std::move(key)).second;
  return inserted && !before;
}

Result<ActivityPage> AuditTrail::activity(const std::string& patientId, int count, int offset,
                                          const std::string& clientId) {
  if (count < 1 || count > kMaxActivityPage || offset < 0) {
    return Error::make(ErrorKind::kInvalid, "invalid-paging",
                       "The page size must be between 1 and 100 and the offset positive.");
  }
  if (journal_ != nullptr) MES_RETURN_IF_ERROR(journal_->drain());
  auto rows = log_.forPatient(patientId, clientId, count + 1, offset);
  if (!rows) return rows.takeError();

  ActivityPage out;
  out.hasMore = rows->size() > static_cast<size_t>(count);
  if (out.hasMore) rows->resize(static_cast<size_t>(count));
  out.entries.reserve(rows->size());
  for (AuditRecord& record : *rows) {
    ActivityEntry entry;
    entry.id = std::to_string(record.seq);
    entry.description = describeFr(record);
    entry.record = std::move(record);
    out.entries.push_back(std::move(entry));
  }
  return out;
}

Result<bool> AuditTrail::hasSucceededBefore(const std::string& patientId,
                                            const std::string& clientId) {
  if (journal_ != nullptr) MES_RETURN_IF_ERROR(journal_->drain());
  return log_.hasSucceeded(patientId, clientId);
}

AuditTrailStats AuditTrail::stats() const {
  AuditTrailStats s;
  s.commits = commits_.load(std::memory_order_relaxed);
  s.events = events_.load(std::memory_order_relaxed);
  s.failedBatches = failedBatches_.load(std::memory_order_relaxed);
  return s;
}

size_t AuditTrail::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace mes::gateway

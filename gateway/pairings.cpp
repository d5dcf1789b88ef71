#include "gateway/pairings.h"

#include <algorithm>
#include <memory>

#include "fhir/json/json.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"

namespace mes::gateway {
namespace {

constexpr const char* kPermissionSystem = "urn:mes-gateway:smart-permission";

fhir::Value coding(const std::string& system, const std::string& code, const std::string& display) {
  fhir::Value c = fhir::Value::object();
  c.set("system", fhir::Value::string(system));
  c.set("code", fhir::Value::string(code));
  if (!display.empty()) c.set("display", fhir::Value::string(display));
  return c;
}

fhir::Value codeableConcept(std::vector<fhir::Value> codings) {
  fhir::Value cc = fhir::Value::object();
  fhir::Value list = fhir::Value::array();
  for (auto& c : codings) list.push(std::move(c));
  cc.set("coding", std::move(list));
  return cc;
}

fhir::Value reference(const std::string& target) {
  fhir::Value r = fhir::Value::object();
  r.set("reference", fhir::Value::string(target));
  return r;
}

// The SMART letter as a consent action; consentaction has codes for some of them.
fhir::Value actionFor(char letter) {
  static const struct {
    char letter;
    const char* name;
    const char* consentAction;
  } kLetters[] = {{'c', "create", "collect"},
                  {'r', "read", "access"},
                  {'u', "update", "correct"},
                  {'d', "delete", ""},
                  {'s', "search", "access"}};
  std::vector<fhir::Value> codings;
  for (const auto& l : kLetters) {
    if (l.letter != letter) continue;
    codings.push_back(coding(kPermissionSystem, std::string(1, letter), l.name));
    if (*l.consentAction != '\0') {
      codings.push_back(coding("http://terminology.hl7.org/CodeSystem/consentaction",
                               l.consentAction, ""));
    }
  }
  return codeableConcept(std::move(codings));
}

fhir::Value consentJson(const Pairing& p) {
  fhir::Value c = fhir::Value::object();
  c.set("resourceType", fhir::Value::string("Consent"));
  fhir::Value extensions = fhir::Value::array();
  {
    fhir::Value e = fhir::Value::object();
    e.set("url", fhir::Value::string(kGrantedScopeUrl));
    e.set("valueString", fhir::Value::string(p.scope.toString()));
    extensions.push(std::move(e));
  }
  if (!p.active && !p.endedBy.empty()) {
    fhir::Value e = fhir::Value::object();
    e.set("url", fhir::Value::string(kEndedByUrl));
    e.set("valueCode", fhir::Value::string(p.endedBy));
    extensions.push(std::move(e));
  }
  c.set("extension", std::move(extensions));
  c.set("status", fhir::Value::string(p.active ? "active" : "inactive"));
  c.set("scope", codeableConcept({coding("http://terminology.hl7.org/CodeSystem/consentscope",
                                 "patient-privacy", "Privacy Consent")}));
  fhir::Value category = fhir::Value::array();
  category.push(codeableConcept({coding("http://loinc.org", "59284-0", "Patient Consent")}));
  c.set("category", std::move(category));
  c.set("patient", reference("Patient/" + p.patientId));
  c.set("dateTime", fhir::Value::string(fhir::formatInstant(p.updatedMs)));
  fhir::Value performer = fhir::Value::array();
  performer.push(reference("Patient/" + p.patientId));
  c.set("performer", std::move(performer));
  fhir::Value policy = fhir::Value::array();
  {
    fhir::Value pol = fhir::Value::object();
    pol.set("uri", fhir::Value::string("urn:mes-gateway:policy:pairing"));
    policy.push(std::move(pol));
  }
  c.set("policy", std::move(policy));

  fhir::Value provision = fhir::Value::object();
  provision.set("type", fhir::Value::string("permit"));
  fhir::Value period = fhir::Value::object();
  period.set("start", fhir::Value::string(fhir::formatInstant(p.startedMs)));
  if (!p.active && p.endedMs > 0) period.set("end", fhir::Value::string(fhir::formatInstant(p.endedMs)));
  provision.set("period", std::move(period));
  fhir::Value actor = fhir::Value::object();
  actor.set("role", codeableConcept({coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                    "IRCP", "information recipient")}));
  fhir::Value who = fhir::Value::object();
  fhir::Value identifier = fhir::Value::object();
  identifier.set("system", fhir::Value::string(kConsentActorSystem));
  identifier.set("value", fhir::Value::string(p.clientId));
  who.set("identifier", std::move(identifier));
  who.set("display", fhir::Value::string(p.serviceName));
  actor.set("reference", std::move(who));
  fhir::Value actors = fhir::Value::array();
  actors.push(std::move(actor));
  provision.set("actor", std::move(actors));
  fhir::Value nested = fhir::Value::array();
  for (const auto& rs : p.scope) {
    for (char letter : oauth::permissionLetters(rs.permissions)) {
      fhir::Value n = fhir::Value::object();
      n.set("type", fhir::Value::string("permit"));
      fhir::Value actions = fhir::Value::array();
      actions.push(actionFor(letter));
      n.set("action", std::move(actions));
      fhir::Value classes = fhir::Value::array();
      classes.push(coding("http://hl7.org/fhir/resource-types", rs.resourceType, ""));
      n.set("class", std::move(classes));
      nested.push(std::move(n));
    }
  }
  if (!nested.items().empty()) provision.set("provision", std::move(nested));
  c.set("provision", std::move(provision));
  return c;
}

int64_t instantMs(const fhir::Value* v) {
  if (v == nullptr || !v->isString()) return 0;
  auto parsed = fhir::parseDateTime(v->text(), fhir::DateTimeForm::kInstant);
  return parsed ? parsed->lowMs : 0;
}

Error corrupt(const std::string& id, const std::string& why) {
  Error e = Error::internal("Consent/" + id + " is not a pairing this gateway wrote: " + why);
  return e;
}

}  // namespace

Result<Pairing> pairingFromJson(const fhir::Value& consent, const std::string& id,
                                int64_t versionId) {
  Pairing p;
  p.id = id;
  p.versionId = versionId;
  const std::string* status = consent.findString("status");
  if (status == nullptr) return corrupt(id, "no status");
  p.active = *status == "active";
  const fhir::Value* patient = consent.find("patient");
  p.patientId = patient != nullptr ? referencedId(*patient, "Patient") : "";
  if (p.patientId.empty()) return corrupt(id, "no patient");
  p.updatedMs = instantMs(consent.find("dateTime"));
  bool scopeFound = false;
  if (const fhir::Value* exts = consent.find("extension"); exts != nullptr && exts->isArray()) {
    for (const auto& e : exts->items()) {
      const std::string* url = e.findString("url");
      if (url == nullptr) continue;
      if (*url == kGrantedScopeUrl) {
        const std::string* value = e.findString("valueString");
        if (value == nullptr) return corrupt(id, "granted scope without value");
        auto scope = oauth::ScopeSet::parse(*value);
        if (!scope) return corrupt(id, "granted scope unreadable");
        p.scope = *scope;
        scopeFound = true;
      } else if (*url == kEndedByUrl) {
        if (const std::string* value = e.findString("valueCode")) p.endedBy = *value;
      }
    }
  }
  if (!scopeFound) return corrupt(id, "no granted scope");
  const fhir::Value* provision = consent.find("provision");
  if (provision == nullptr) return corrupt(id, "no provision");
  if (const fhir::Value* period = provision->find("period")) {
    p.startedMs = instantMs(period->find("start"));
    p.endedMs = instantMs(period->find("end"));
  }
  const fhir::Value* actors = provision->find("actor");
  if (actors != nullptr && actors->isArray() && !actors->items().empty()) {
    if (const fhir::Value* who = actors->items().front().find("reference")) {
      if (const fhir::Value* identifier = who->find("identifier")) {
        if (const std::string* value = identifier->findString("value")) p.clientId = *value;
      }
      if (const std::string* display = who->findString("display")) p.serviceName = *display;
    }
  }
  if (p.clientId.empty()) return corrupt(id, "no service actor");
  return p;
}

PairingStore::PairingStore(store::Repository& repository, const Clock& clock, IdGenerator& ids)
    : repository_(repository), clock_(clock), ids_(ids) {}

store::WriteRequest PairingStore::writeRequest(const std::string& id, const Pairing& pairing) {
  store::WriteRequest request;
  request.type = "Consent";
  request.id = id;
  request.source = "urn:mes-gateway";
  request.index.patient = pairing.patientId;
  request.index.dateLowMs = pairing.updatedMs;
  request.index.dateHighMs = pairing.updatedMs;
  request.index.tokens.push_back({"status", "", pairing.active ? "active" : "inactive"});
  request.index.tokens.push_back({"actor", kConsentActorSystem, pairing.clientId});
  request.index.references.push_back({"patient", "Patient/" + pairing.patientId});
  auto shared = std::make_shared<fhir::Value>(consentJson(pairing));
  request.render = [shared, id](int64_t version, int64_t lastUpdated) -> Result<std::string> {
    return stampedJson(*shared, id, version, lastUpdated, "urn:mes-gateway");
  };
  return request;
}

namespace {

Result<std::optional<Pairing>> findIn(store::Transaction* tx, store::Repository& repository,
                                      const std::string& patientId, const std::string& clientId) {
  store::SearchQuery q;
  q.type = "Consent";
  q.patient = patientId;
  q.tokens.push_back({"actor", {{std::string(kConsentActorSystem), clientId}}});
  q.count = 2;
  q.withTotal = false;
  auto page = tx != nullptr ? tx->search(q) : repository.search(q);
  if (!page) return page.takeError();
  if (page->records.empty()) return std::optional<Pairing>();
  const auto& record = page->records.front();
  auto json = fhir::parseJson(record.content);
  if (!json) return json.takeError();
  auto pairing = pairingFromJson(*json, record.id, record.versionId);
  if (!pairing) return pairing.takeError();
  return std::optional<Pairing>(std::move(*pairing));
}

}  // namespace

Result<std::pair<Pairing, PairingChange>> PairingStore::approve(const std::string& patientId,
                                                                const store::ServiceRecord& service,
                                                                const oauth::ScopeSet& granted) {
  std::pair<Pairing, PairingChange> out;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto existing = findIn(&tx, repository_, patientId, service.clientId);
    if (!existing) return existing.takeError();
    const int64_t now = clock_.nowMs();
    if (*existing) {
      Pairing p = **existing;
      if (p.active && p.scope == granted && p.serviceName == service.name) {
        out = {p, PairingChange::kUnchanged};
        return Status::ok();
      }
      if (!p.active) p.startedMs = now;  // a new period of consent
      p.active = true;
      p.scope = granted;
      p.serviceName = service.name;
      p.updatedMs = now;
      p.endedMs = 0;
      p.endedBy.clear();
      store::WriteRequest request = writeRequest(p.id, p);
      request.ifMatch = p.versionId;
      auto updated = tx.update(request);
      if (!updated) return updated.takeError();
      p.versionId = updated->versionId;
      out = {p, PairingChange::kUpdated};
      return Status::ok();
    }
    Pairing p;
    p.id = ids_.next();
    p.patientId = patientId;
    p.clientId = service.clientId;
    p.serviceName = service.name;
    p.active = true;
    p.scope = granted;
    p.startedMs = now;
    p.updatedMs = now;
    auto created = tx.create(writeRequest(p.id, p));
    if (!created) return created.takeError();
    p.versionId = created->versionId;
    out = {p, PairingChange::kCreated};
    return Status::ok();
  });
  if (!status) return status.takeError();
  return out;
}

Result<Pairing> PairingStore::byId(const std::string& id) {
  auto record = repository_.read("Consent", id);
  if (!record) {
    if (record.error().kind == ErrorKind::kGone || record.error().kind == ErrorKind::kNotFound) {
      return Error::make(ErrorKind::kNotFound, "not-found", "Consent/" + id + " does not exist.");
    }
    return record.takeError();
  }
  if (auto hit = cached(id, record->versionId)) return *hit;
  auto parsed = parseAndCache(*record);
  if (!parsed) return parsed.takeError();
  return **parsed;
}

Result<Pairing> PairingStore::atVersion(const std::string& id, int64_t versionId) {
  auto shared = sharedAtVersion(id, versionId);
  if (!shared) return shared.takeError();
  return **shared;
}

Result<std::shared_ptr<const Pairing>> PairingStore::sharedAtVersion(const std::string& id,
                                                                      int64_t versionId) {
  if (auto hit = cached(id, versionId)) return hit;
  auto record = repository_.vread("Consent", id, versionId);
  if (!record) {
    if (record.error().kind == ErrorKind::kGone || record.error().kind == ErrorKind::kNotFound) {
      return Error::make(ErrorKind::kNotFound, "not-found",
                         "Consent/" + id + "/_history/" + std::to_string(versionId) +
                             " does not exist.");
    }
    return record.takeError();
  }
  return parseAndCache(*record);
}

std::shared_ptr<const Pairing> PairingStore::cached(const std::string& id, int64_t versionId) {
  std::lock_guard lock(cacheMutex_);
  auto it = parsed_.find(id);
  if (it != parsed_.end() && it->second->versionId == versionId) return it->second;
  return nullptr;
}

Result<std::shared_ptr<const Pairing>> PairingStore::parseAndCache(
    const store::ResourceRecord& record) {
  auto json = fhir::parseJson(record.content);
  if (!json) return json.takeError();
  auto pairing = pairingFromJson(*json, record.id, record.versionId);
  if (!pairing) return pairing.takeError();
  auto shared = std::make_shared<const Pairing>(std::move(*pairing));
  std::lock_guard lock(cacheMutex_);
  if (parsed_.size() >= 100000) parsed_.clear();  // bounded; a clear only costs parses
  parsed_[record.id] = shared;
  return shared;
}

Result<std::optional<Pairing>> PairingStore::find(const std::string& patientId,
                                                  const std::string& clientId) {
  return findIn(nullptr, repository_, patientId, clientId);
}

namespace {

Result<std::vector<Pairing>> pairingsOf(store::Repository& repository, store::SearchQuery q) {
  q.type = "Consent";
  q.count = 1000;
  q.withTotal = false;
  auto page = repository.search(q);
  if (!page) return page.takeError();
  std::vector<Pairing> out;
  for (const auto& record : page->records) {
    auto json = fhir::parseJson(record.content);
    if (!json) return json.takeError();
    auto pairing = pairingFromJson(*json, record.id, record.versionId);
    if (!pairing) return pairing.takeError();
    out.push_back(std::move(*pairing));
  }
  std::stable_sort(out.begin(), out.end(), [](const Pairing& a, const Pairing& b) {
    if (a.active != b.active) return a.active;
    return a.updatedMs > b.updatedMs;
  });
  return out;
}

}  // namespace

Result<std::vector<Pairing>> PairingStore::ofPatient(const std::string& patientId) {
  store::SearchQuery q;
  q.patient = patientId;
  return pairingsOf(repository_, q);
}

Result<std::vector<Pairing>> PairingStore::activeOfService(const std::string& clientId) {
  store::SearchQuery q;
  q.tokens.push_back({"actor", {{std::string(kConsentActorSystem), clientId}}});
  q.tokens.push_back({"status", {{std::string(), "active"}}});
  return pairingsOf(repository_, q);
}

Result<std::pair<Pairing, bool>> PairingStore::end(const std::string& id,
                                                   const std::string& endedBy) {
  std::pair<Pairing, bool> out;
  Status status = repository_.transaction([&](store::Transaction& tx) -> Status {
    auto record = tx.read("Consent", id);
    if (!record || record->deleted) {
      if (!record && record.error().kind != ErrorKind::kNotFound) return record.takeError();
      return Error::make(ErrorKind::kNotFound, "not-found", "Consent/" + id + " does not exist.");
    }
    auto json = fhir::parseJson(record->content);
    if (!json) return json.takeError();
    auto pairing = pairingFromJson(*json, record->id, record->versionId);
    if (!pairing) return pairing.takeError();
    Pairing p = std::move(*pairing);
    if (!p.active) {
      out = {p, false};
      return Status::ok();
    }
    const int64_t now = clock_.nowMs();
    p.active = false;
    p.updatedMs = now;
    p.endedMs = now;
    p.endedBy = endedBy;
    store::WriteRequest request = writeRequest(p.id, p);
    request.ifMatch = p.versionId;
    auto updated = tx.update(request);
    if (!updated) return updated.takeError();
    p.versionId = updated->versionId;
    out = {p, true};
    return Status::ok();
  });
  if (!status) return status.takeError();
  return out;
}

}  // namespace mes::gateway

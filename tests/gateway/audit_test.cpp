#include "gateway/audit.h"

#include <atomic>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/audit/file_audit_journal.h"
#include "connectors/sqlite/sqlite_audit_log.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using mes::Error;
using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::fhir::Value;
using mes::store::AuditEntry;
using mes::store::AuditLog;

namespace {

constexpr int64_t kT0 = 1'700'000'000'123;  // 2023-11-14T22:13:20.123Z

// A read of a measure by Tensio+, every field set.
AuditRecord tensioRead() {
  AuditRecord r;
  r.recordedMs = kT0;
  r.category = kAuditRest;
  r.action = "R";
  r.subtype = "read";
  r.httpStatus = 200;
  r.patientId = "pat-1";
  r.clientId = "tensio";
  r.serviceName = "Tensio+";
  r.serviceOid = "urn:oid:1.2.250.1.999.1";
  r.resource = "Observation/obs-1";
  r.sourceAddress = "192.0.2.7";
  r.requestId = "req-1";
  return r;
}

AuditRecord tensioSearch() {
  AuditRecord r = tensioRead();
  r.subtype = "search-type";
  r.resource = "Observation";
  r.query = "patient=pat-1&code=http://loinc.org|85354-9&_sort=-date";
  return r;
}

AuditRecord refused(AuditRecord r, int status, std::string code, std::string text) {
  r.success = false;
  r.httpStatus = status;
  r.outcomeCode = std::move(code);
  r.outcomeText = std::move(text);
  return r;
}

AuditRecord portal(std::string subtype, std::string action = "U") {
  AuditRecord r = tensioRead();
  r.category = kAuditPortal;
  r.subtype = std::move(subtype);
  r.action = std::move(action);
  r.httpStatus = 303;
  r.resource = "Consent/c-1";
  return r;
}

AuditRecord oauth(std::string subtype) {
  AuditRecord r = tensioRead();
  r.category = kAuditOauth;
  r.subtype = std::move(subtype);
  r.action = "E";
  r.resource.clear();
  return r;
}

const Value& at(const Value& v, std::string_view key) {
  const Value* found = v.find(key);
  if (found == nullptr) throw std::runtime_error("missing " + std::string(key));
  return *found;
}
const Value& at(const Value& v, size_t i) {
  if (!v.isArray() || i >= v.items().size()) throw std::runtime_error("missing index");
  return v.items()[i];
}
std::string text(const Value& v, std::string_view key) { return at(v, key).text(); }

// Audit log decorators: a slow disk, or an append held at a gate and then failed.
class ForwardingLog : public AuditLog {
 public:
  explicit ForwardingLog(AuditLog& inner) : inner_(inner) {}
  Status append(const std::vector<AuditEntry*>& entries) override { return inner_.append(entries); }
  Result<std::vector<AuditEntry>> forPatient(const std::string& patientId,
                                             const std::string& clientId, int limit,
                                             int offset) override {
    return inner_.forPatient(patientId, clientId, limit, offset);
  }
  Result<bool> hasSucceeded(const std::string& patientId, const std::string& clientId) override {
    return inner_.hasSucceeded(patientId, clientId);
  }
  Status appendImported(const std::vector<AuditEntry*>& entries, const std::string& journal,
                        const mes::store::JournalMark& mark) override {
    return inner_.appendImported(entries, journal, mark);
  }
  Result<std::optional<mes::store::JournalMark>> journalMark(const std::string& journal) override {
    return inner_.journalMark(journal);
  }

 protected:
  AuditLog& inner_;
};

class SlowLog final : public ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  Status append(const std::vector<AuditEntry*>& entries) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return inner_.append(entries);
  }
};

class ControlledLog final : public ForwardingLog {
 public:
  using ForwardingLog::ForwardingLog;
  // Append number `n` (0-based) waits until open() is called.
  void holdCall(int n) { held_ = n; }
  // Append number `n` fails without storing anything (a transaction that did not commit).
  void failCall(int n) { failing_ = n; }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  int calls() const { return calls_.load(); }

  Status append(const std::vector<AuditEntry*>& entries) override {
    const int n = calls_.fetch_add(1);
    if (n == held_) {
      std::unique_lock lock(mutex_);
      opened_.wait(lock, [this] { return open_; });
    }
    if (n == failing_.load()) return Error::internal("disk I/O error (test)");
    return inner_.append(entries);
  }

 private:
  std::atomic<int> calls_{0};
  std::atomic<int> failing_{-1};
  int held_ = -1;
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// A SQLite audit log in a temporary directory and a trail over it (or over a decorator of it).
struct Store {
  Store() : clock(kT0) {
    auto db = mes::store::SqliteDatabase::open({.path = dir.file("store.db")}, clock);
    if (!db) throw std::runtime_error("cannot open the store: " + db.error().detail);
    auto opened = mes::store::SqliteAuditLog::open(std::move(db).value());
    if (!opened) throw std::runtime_error("cannot open the audit log: " + opened.error().detail);
    log = std::move(opened).value();
  }

  // Every entry of `patient` as stored, newest first.
  std::vector<AuditRecord> events(const std::string& patient = "pat-1") {
    auto rows = log->forPatient(patient, "", 100000, 0);
    BOOST_REQUIRE(rows.isOk());
    return *rows;
  }

  mes::test::TempDir dir{"mes-audit"};
  mes::ManualClock clock;
  std::shared_ptr<mes::store::SqliteAuditLog> log;
};

void requireOk(const Status& s) {
  BOOST_REQUIRE_MESSAGE(s.isOk(), (s.isOk() ? std::string() : s.error().code() + " " + s.error().detail));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit)

// --- the AuditEvent ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_read_gives_a_compact_r4_audit_event) {
  const Value e = auditEventResource(tensioSearch());
  BOOST_TEST(text(e, "resourceType") == "AuditEvent");
  BOOST_TEST(e.find("id") == nullptr);
  BOOST_TEST(text(at(e, "type"), "system") == "http://terminology.hl7.org/CodeSystem/audit-event-type");
  BOOST_TEST(text(at(e, "type"), "code") == "rest");
  BOOST_TEST(text(at(at(e, "subtype"), 0), "system") == "http://hl7.org/fhir/restful-interaction");
  BOOST_TEST(text(at(at(e, "subtype"), 0), "code") == "search-type");
  BOOST_TEST(text(e, "action") == "R");
  BOOST_TEST(text(e, "recorded") == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(text(e, "outcome") == "0");
  BOOST_TEST(e.find("outcomeDesc") == nullptr);

  BOOST_REQUIRE_EQUAL(at(e, "agent").items().size(), 1u);
  const Value& agent = at(at(e, "agent"), 0);
  BOOST_TEST(text(at(at(agent, "who"), "identifier"), "system") == "urn:mes-gateway:client-id");
  BOOST_TEST(text(at(at(agent, "who"), "identifier"), "value") == "tensio");
  BOOST_TEST(text(at(agent, "who"), "display") == "Tensio+");
  BOOST_TEST(text(agent, "altId") == "urn:oid:1.2.250.1.999.1");
  BOOST_TEST(at(agent, "requestor").asBool());
  BOOST_TEST(text(at(agent, "network"), "address") == "192.0.2.7");
  BOOST_TEST(text(at(agent, "network"), "type") == "2");

  BOOST_TEST(text(at(at(e, "source"), "observer"), "display") == "MES Gateway");
  const Value& sourceType = at(at(at(e, "source"), "type"), 0);
  BOOST_TEST(text(sourceType, "system") == "http://terminology.hl7.org/CodeSystem/security-source-type");
  BOOST_TEST(text(sourceType, "code") == "4");

  BOOST_REQUIRE_EQUAL(at(e, "entity").items().size(), 2u);
  const Value& target = at(at(e, "entity"), 0);
  BOOST_TEST(text(at(target, "what"), "type") == "Observation");  // type-level: no id yet
  BOOST_TEST(at(target, "what").find("reference") == nullptr);
  // base64 of the query string as received
  BOOST_TEST(text(target, "query") ==
             "cGF0aWVudD1wYXQtMSZjb2RlPWh0dHA6Ly9sb2luYy5vcmd8ODUzNTQtOSZfc29ydD0tZGF0ZQ==");
  BOOST_TEST(text(at(at(target, "detail"), 0), "type") == "request-id");
  BOOST_TEST(text(at(at(target, "detail"), 0), "valueString") == "req-1");
  BOOST_TEST(text(at(at(target, "detail"), 1), "type") == "http-status");
  BOOST_TEST(text(at(at(target, "detail"), 1), "valueString") == "200");
  BOOST_TEST(at(target, "detail").items().size() == 2u);  // no outcome-code on success
  const Value& patient = at(at(e, "entity"), 1);
  BOOST_TEST(text(at(patient, "what"), "reference") == "Patient/pat-1");
  BOOST_TEST(text(at(patient, "role"), "system") == "http://terminology.hl7.org/CodeSystem/object-role");
  BOOST_TEST(text(at(patient, "role"), "code") == "1");
}

BOOST_AUTO_TEST_CASE(an_instance_read_names_the_resource) {
  const Value e = auditEventResource(tensioRead());
  const Value& target = at(at(e, "entity"), 0);
  BOOST_TEST(text(at(target, "what"), "reference") == "Observation/obs-1");
  BOOST_TEST(target.find("query") == nullptr);
}

BOOST_AUTO_TEST_CASE(refusals_and_failures_set_the_outcome) {
  const Value refusal = auditEventResource(
      refused(tensioRead(), 403, "consent-missing", "Consent not given, access refused."));
  BOOST_TEST(text(refusal, "outcome") == "4");
  BOOST_TEST(text(refusal, "outcomeDesc") == "Consent not given, access refused.");
  const Value& details = at(at(at(refusal, "entity"), 0), "detail");
  BOOST_TEST(text(at(details, 1), "valueString") == "403");
  BOOST_TEST(text(at(details, 2), "type") == "outcome-code");
  BOOST_TEST(text(at(details, 2), "valueString") == "consent-missing");

  const Value failure = auditEventResource(refused(tensioRead(), 503, "audit-unavailable", ""));
  BOOST_TEST(text(failure, "outcome") == "8");
}

BOOST_AUTO_TEST_CASE(oauth_events_use_the_project_code_systems) {
  const Value e = auditEventResource(oauth(kAuditTokenIssued));
  BOOST_TEST(text(at(e, "type"), "system") == "urn:mes-gateway:audit-event-type");
  BOOST_TEST(text(at(e, "type"), "code") == "oauth");
  BOOST_TEST(text(at(at(e, "subtype"), 0), "system") == "urn:mes-gateway:audit-event-subtype");
  BOOST_TEST(text(at(at(e, "subtype"), 0), "code") == "token-issued");
  BOOST_TEST(text(e, "action") == "E");
  BOOST_TEST(at(at(at(e, "agent"), 0), "requestor").asBool());
  // no resource: the first entity still carries the request id and status
  BOOST_TEST(at(at(e, "entity"), 0).find("what") == nullptr);
  BOOST_TEST(text(at(at(at(at(e, "entity"), 0), "detail"), 0), "valueString") == "req-1");
}

BOOST_AUTO_TEST_CASE(in_the_portal_the_patient_is_the_requestor) {
  const Value e = auditEventResource(portal(kAuditPairingCreated, "C"));
  BOOST_TEST(text(at(e, "type"), "code") == "portal");
  BOOST_REQUIRE_EQUAL(at(e, "agent").items().size(), 2u);
  const Value& patient = at(at(e, "agent"), 0);
  BOOST_TEST(text(at(patient, "who"), "reference") == "Patient/pat-1");
  BOOST_TEST(at(patient, "requestor").asBool());
  BOOST_TEST(text(at(patient, "network"), "address") == "192.0.2.7");
  const Value& service = at(at(e, "agent"), 1);
  BOOST_TEST(!at(service, "requestor").asBool());
  BOOST_TEST(text(at(at(service, "who"), "identifier"), "value") == "tensio");
  BOOST_TEST(service.find("network") == nullptr);
}

BOOST_AUTO_TEST_CASE(in_the_registry_the_person_is_the_requestor_and_the_service_the_target) {
  AuditRecord r = tensioRead();
  r.category = kAuditRegistry;
  r.subtype = "suspend";
  r.action = "U";
  r.patientId.clear();
  r.resource.clear();
  r.actor = "admin@ans.example";
  r.outcomeText = "admin@ans.example (admin): Faille signalée";
  const Value e = auditEventResource(r);
  BOOST_TEST(text(at(e, "type"), "code") == "registry");
  BOOST_REQUIRE_EQUAL(at(e, "agent").items().size(), 1u);  // the service is no agent
  const Value& person = at(at(e, "agent"), 0);
  BOOST_TEST(at(person, "requestor").asBool());
  BOOST_TEST(text(at(at(person, "who"), "identifier"), "system") ==
             "urn:mes-gateway:registry-account");
  BOOST_TEST(text(at(at(person, "who"), "identifier"), "value") == "admin@ans.example");
  BOOST_TEST(text(at(person, "network"), "address") == "192.0.2.7");
  const Value& target = at(at(e, "entity"), 0);
  BOOST_TEST(text(at(at(target, "what"), "identifier"), "value") == "tensio");
  BOOST_TEST(text(at(target, "what"), "display") == "Tensio+");
  BOOST_TEST(at(e, "entity").items().size() == 1u);  // no patient
  // The record's check accepts it, and the actor survives the log (AuditEntry::actor).
  BOOST_TEST(checkAuditRecord(r).isOk());
}

BOOST_AUTO_TEST_CASE(an_unauthenticated_caller_is_an_agent_without_who) {
  AuditRecord r = refused(tensioRead(), 401, "token-missing", "No access token.");
  r.clientId.clear();
  r.serviceName.clear();
  r.serviceOid.clear();
  r.patientId.clear();
  const Value e = auditEventResource(r);
  const Value& agent = at(at(e, "agent"), 0);
  BOOST_TEST(agent.find("who") == nullptr);
  BOOST_TEST(at(agent, "requestor").asBool());
  BOOST_TEST(text(at(agent, "network"), "address") == "192.0.2.7");
  BOOST_TEST(at(e, "entity").items().size() == 1u);  // no patient entity
}

AuditRecord anonymous() {
  AuditRecord r;
  r.category = kAuditRest;
  r.action = "R";
  r.subtype = "read";
  r.recordedMs = 1;
  return r;
}

const AuditRecord kRoundTrips[] = {
    tensioRead(),
    tensioSearch(),
    refused(tensioRead(), 403, "consent-missing", "Consent not given, access refused."),
    refused(tensioSearch(), 500, "internal-error", "The server could not complete the request."),
    portal(kAuditPairingCreated, "C"),
    portal(kAuditPairingRevoked, "D"),
    oauth(kAuditTokenRefused),
    anonymous(),
};

BOOST_DATA_TEST_CASE(reading_back_gives_the_same_record, bdata::xrange(std::size(kRoundTrips)), i) {
  const AuditRecord& r = kRoundTrips[i];
  // through JSON text, as stored
  auto json = mes::fhir::parseJson(mes::fhir::toJson(auditEventResource(r)));
  BOOST_REQUIRE(json.isOk());
  auto back = auditRecordFrom(*json);
  BOOST_REQUIRE(back.isOk());
  BOOST_TEST((*back == r));
  BOOST_TEST(back->query == r.query);
  BOOST_TEST(back->clientId == r.clientId);
}

BOOST_AUTO_TEST_CASE(something_else_is_not_read_as_an_audit_event) {
  BOOST_TEST(!auditRecordFrom(Value::object()).isOk());
  Value obs = Value::object();
  obs.set("resourceType", Value::string("Observation"));
  BOOST_TEST(!auditRecordFrom(obs).isOk());
}

struct BadRecord {
  const char* name;
  AuditRecord record;
};
std::ostream& operator<<(std::ostream& os, const BadRecord& b) { return os << b.name; }
BadRecord bad(const char* name, void (*edit)(AuditRecord&)) {
  AuditRecord r = tensioRead();
  edit(r);
  return {name, r};
}
const BadRecord kBadRecords[] = {
    bad("no category", [](AuditRecord& r) { r.category.clear(); }),
    bad("unknown category", [](AuditRecord& r) { r.category = "http"; }),
    bad("no action", [](AuditRecord& r) { r.action.clear(); }),
    bad("unknown action", [](AuditRecord& r) { r.action = "X"; }),
    bad("long action", [](AuditRecord& r) { r.action = "RU"; }),
    bad("no subtype", [](AuditRecord& r) { r.subtype.clear(); }),
    bad("negative time", [](AuditRecord& r) { r.recordedMs = -5; }),
};

BOOST_DATA_TEST_CASE(invalid_records_are_the_callers_bug, bdata::make(kBadRecords), b) {
  Status s = checkAuditRecord(b.record);
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST(s.error().code() == "audit-record-invalid");
  BOOST_TEST(static_cast<int>(s.error().kind) == static_cast<int>(ErrorKind::kInternal));
}

BOOST_AUTO_TEST_CASE(the_entry_number_is_the_event_id) {
  AuditRecord r = tensioSearch();
  r.seq = 4711;
  const Value event = auditEventResource(r);
  BOOST_TEST(text(event, "id") == "4711");
  auto back = auditRecordFrom(event);
  BOOST_REQUIRE(back.isOk());
  BOOST_TEST((*back == r));
  BOOST_TEST(auditEventResource(tensioSearch()).find("id") == nullptr);  // not yet stored
}

// --- describeFr -------------------------------------------------------------------------------

struct Sentence {
  AuditRecord record;
  const char* expected;
};
std::ostream& operator<<(std::ostream& os, const Sentence& s) { return os << s.expected; }

AuditRecord rest(std::string subtype, std::string resource) {
  AuditRecord r = tensioRead();
  r.subtype = std::move(subtype);
  r.resource = std::move(resource);
  return r;
}

AuditRecord inPortal(AuditRecord r) {
  r.category = kAuditPortal;
  return r;
}

AuditRecord noService(AuditRecord r) {
  r.clientId.clear();
  r.serviceName.clear();
  return r;
}

const Sentence kSentences[] = {
    {rest("read", "Observation/o1"), "Tensio+ a lu une mesure"},
    {rest("vread", "Observation/o1/_history/2"), "Tensio+ a lu une mesure"},
    {rest("search-type", "Observation"), "Tensio+ a lu vos mesures"},
    {rest("history-instance", "Observation/o1"), "Tensio+ a lu l'historique d'une mesure"},
    {rest("create", "Observation"), "Tensio+ a enregistré une mesure"},
    {rest("create", "Observation/o9"), "Tensio+ a enregistré une mesure"},
    {rest("update", "Observation/o1"), "Tensio+ a modifié une mesure"},
    {rest("delete", "Observation/o1"), "Tensio+ a supprimé une mesure"},
    {rest("transaction", ""), "Tensio+ a enregistré des données"},
    {rest("transaction", "Observation/o2"), "Tensio+ a enregistré une mesure"},
    {rest("read", "Device/d1"), "Tensio+ a lu un appareil"},
    {rest("read", "Patient/pat-1"), "Tensio+ a lu votre identité"},
    {rest("search-type", "Consent"), "Tensio+ a lu vos autorisations"},
    {rest("search-type", "DocumentReference"), "Tensio+ a lu vos documents"},
    {rest("read", "Binary/b1"), "Tensio+ a lu le contenu d'un document"},
    {rest("history-instance", "Binary/b1"), "Tensio+ a lu l'historique du contenu d'un document"},
    {rest("create", "Appointment"), "Tensio+ a enregistré un rendez-vous"},
    {rest("read", "Questionnaire/q"), "Tensio+ a lu une donnée"},
    {noService(rest("read", "Observation/o1")), "Un service non identifié a lu une mesure"},
    {refused(rest("read", "Observation/o1"), 403, "consent-missing", ""),
     "Accès refusé à Tensio+ : consentement absent"},
    {refused(rest("search-type", "Observation"), 403, "patient-mismatch", ""),
     "Accès refusé à Tensio+ : données d'un autre patient"},
    {refused(rest("update", "Observation/o1"), 403, "not-author", ""),
     "Accès refusé à Tensio+ : donnée enregistrée par un autre service"},
    {refused(rest("read", "Observation/o1"), 404, "not-found", ""),
     "Accès refusé à Tensio+ : donnée introuvable"},
    {refused(rest("read", "Observation/o1"), 401, "", ""),
     "Accès refusé à Tensio+ : autorisation invalide ou expirée"},
    {refused(noService(rest("read", "Observation/o1")), 401, "token-missing", ""),
     "Accès refusé à un service non identifié : autorisation absente"},
    {refused(rest("create", "Observation"), 422, "unit-mismatch", ""),
     "Demande invalide de Tensio+ refusée"},
    {refused(rest("read", "Observation/o1"), 401, "token-revoked", ""),
     "Accès refusé à Tensio+ : autorisation retirée"},
    {refused(rest("read", "Observation/o1"), 403, "some-new-code", ""), "Accès refusé à Tensio+"},
    {refused(rest("read", "Observation/o1"), 503, "audit-unavailable", ""),
     "Échec d'une demande de Tensio+ : incident technique"},
    {portal(kAuditPairingCreated, "C"), "Vous avez autorisé Tensio+"},
    {portal(kAuditPairingUpdated), "Vous avez modifié les accès de Tensio+"},
    {portal(kAuditPairingRevoked, "D"), "Vous avez retiré l'accès de Tensio+"},
    {portal(kAuditPairingDenied, "E"), "Vous avez refusé l'accès à Tensio+"},
    {oauth(kAuditPairingRevoked), "Tensio+ a mis fin à son accès"},
    {oauth(kAuditTokenIssued), "Tensio+ a obtenu l'accès à vos données"},
    {oauth(kAuditTokenRefreshed), "Tensio+ a renouvelé son accès"},
    {oauth(kAuditTokenRevoked), "L'accès de Tensio+ a pris fin"},
    {noService(oauth(kAuditTokenRevoked)), "L'accès d'un service non identifié a pris fin"},
    {refused(oauth(kAuditTokenRefused), 400, "invalid_grant", ""),
     "Accès refusé à Tensio+ : autorisation expirée ou retirée"},
    {refused(oauth(kAuditTokenRefused), 400, "refresh-reuse", ""),
     "Accès refusé à Tensio+ : réutilisation suspecte d'une autorisation"},
    {refused(oauth(kAuditTokenRefused), 400, "", ""), "Accès refusé à Tensio+"},
    {noService(inPortal(oauth(kAuditLoginSucceeded))), "Connexion à votre compte"},
    {refused(noService(inPortal(oauth(kAuditLoginFailed))), 401, "", ""),
     "Échec de connexion à votre compte"},
    {noService(inPortal(oauth(kAuditLoginLocked))),
     "Compte bloqué temporairement après plusieurs échecs de connexion"},
    {noService(inPortal(oauth(kAuditLogout))), "Déconnexion de votre compte"},
    {oauth("key-rotated"), "Action « key-rotated » (Tensio+)"},
    {refused(noService(oauth("key-rotated")), 500, "", ""), "Échec de l'action « key-rotated »"},
};

BOOST_DATA_TEST_CASE(plain_french_for_the_patient, bdata::make(kSentences), s) {
  BOOST_TEST(describeFr(s.record) == s.expected);
}

// --- the trail --------------------------------------------------------------------------------

BOOST_FIXTURE_TEST_CASE(record_returns_once_committed, Store) {
  AuditTrail trail(*log, clock);
  AuditRecord r = tensioRead();
  r.recordedMs = 0;  // the trail's clock
  clock.set(kT0 + 5);
  requireOk(trail.record(r));
  // Read straight after, on the store's reader connections: it is there.
  auto stored = events();
  BOOST_REQUIRE_EQUAL(stored.size(), 1u);
  r.recordedMs = kT0 + 5;
  BOOST_TEST(stored[0].seq > 0);
  r.seq = stored[0].seq;
  BOOST_TEST((stored[0] == r));
  BOOST_TEST(trail.stats().commits == 1u);
  BOOST_TEST(trail.stats().events == 1u);
  BOOST_TEST(trail.queued() == 0u);
}

BOOST_FIXTURE_TEST_CASE(concurrent_records_share_commits, Store) {
  SlowLog slow(*log);  // 2 ms per append: callers pile up behind a commit
  AuditTrail trail(slow, clock);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditRecord r = tensioRead();
        r.requestId = std::to_string(t) + "-" + std::to_string(i);
        if (!trail.record(r).isOk()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(failures.load() == 0);

  std::map<std::string, int> seen;
  for (const auto& e : events()) ++seen[e.requestId];
  BOOST_TEST(seen.size() == static_cast<size_t>(kThreads * kPerThread));
  for (const auto& [id, n] : seen) BOOST_TEST(n == 1, id);
  const auto stats = trail.stats();
  BOOST_TEST(stats.events == static_cast<uint64_t>(kThreads * kPerThread));
  BOOST_TEST(stats.commits < static_cast<uint64_t>(kThreads * kPerThread));
  BOOST_TEST(stats.failedBatches == 0u);
  BOOST_TEST_MESSAGE("group commit: " << stats.events << " events in " << stats.commits << " commits");
}

BOOST_FIXTURE_TEST_CASE(a_batch_larger_than_the_bound_takes_several_commits, Store) {
  AuditTrailOptions options;
  options.maxBatch = 4;
  AuditTrail trail(*log, clock, options);
  std::vector<AuditRecord> batch;
  for (int i = 0; i < 10; ++i) {
    AuditRecord r = tensioRead();
    r.requestId = "b" + std::to_string(i);
    batch.push_back(r);
  }
  requireOk(trail.recordBatch(batch));
  BOOST_TEST(trail.stats().commits == 3u);
  BOOST_TEST(events().size() == 10u);
  requireOk(trail.recordBatch({}));
  // An invalid record refuses the whole call before anything is queued.
  batch[3].action = "Z";
  BOOST_TEST(!trail.recordBatch(batch).isOk());
  BOOST_TEST(events().size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(a_failed_commit_fails_its_whole_batch_and_only_it, Store) {
  ControlledLog controlled(*log);
  controlled.holdCall(0);
  AuditTrail trail(controlled, clock);
  auto recordAsync = [&](const std::string& requestId) {
    return std::async(std::launch::async, [&trail, requestId] {
      AuditRecord r = tensioRead();
      r.requestId = requestId;
      return trail.record(r);
    });
  };
  auto waitFor = [](auto condition) {
    for (int i = 0; i < 5000 && !condition(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    BOOST_REQUIRE(condition());
  };

  // A leads and is held inside its transaction; B, C, D queue behind it.
  auto a = recordAsync("A");
  waitFor([&] { return controlled.calls() == 1; });
  auto b = recordAsync("B");
  auto c = recordAsync("C");
  auto d = recordAsync("D");
  waitFor([&] { return trail.queued() == 3; });
  controlled.failCall(1);  // the next transaction, which takes B, C and D together
  controlled.open();

  requireOk(a.get());
  for (auto* f : {&b, &c, &d}) {
    Status s = f->get();
    BOOST_REQUIRE(!s.isOk());
    BOOST_TEST(static_cast<int>(s.error().kind) == static_cast<int>(ErrorKind::kUnavailable));
    BOOST_TEST(s.error().code() == "audit-unavailable");
    BOOST_TEST(s.error().detail.find("disk I/O error (test)") != std::string::npos);
  }
  BOOST_TEST(controlled.calls() == 2);  // B, C and D were one batch
  BOOST_TEST(trail.stats().failedBatches == 1u);

  // The next batch is not poisoned.
  requireOk(recordAsync("E").get());
  std::vector<std::string> stored;
  for (const auto& e : events()) stored.push_back(e.requestId);
  BOOST_TEST(stored == (std::vector<std::string>{"E", "A"}), boost::test_tools::per_element());
  BOOST_TEST(trail.stats().commits == 2u);
}

BOOST_FIXTURE_TEST_CASE(activity_is_newest_first_paged_and_filtered, Store) {
  AuditTrail trail(*log, clock);
  // 5 Tensio+ reads, 2 GlucoNote creates, interleaved in time; one event of another patient.
  for (int i = 0; i < 7; ++i) {
    AuditRecord r = tensioRead();
    r.recordedMs = kT0 + i * 1000;
    r.requestId = "r" + std::to_string(i);
    if (i == 2 || i == 5) {
      r.clientId = "gluconote";
      r.serviceName = "GlucoNote";
      r.subtype = "create";
      r.action = "C";
      r.resource = "Observation/g" + std::to_string(i);
    }
    requireOk(trail.record(r));
  }
  AuditRecord other = tensioRead();
  other.patientId = "pat-2";
  requireOk(trail.record(other));
  requireOk(trail.record(portal(kAuditPairingCreated, "C")));  // recorded at kT0: oldest tie

  auto first = trail.activity("pat-1", 3, 0);
  BOOST_REQUIRE(first.isOk());
  BOOST_REQUIRE_EQUAL(first->entries.size(), 3u);
  BOOST_TEST(first->hasMore);
  BOOST_TEST(first->entries[0].record.requestId == "r6");
  BOOST_TEST(first->entries[1].record.requestId == "r5");
  BOOST_TEST(first->entries[1].description == "GlucoNote a enregistré une mesure");
  BOOST_TEST(first->entries[1].record.recordedMs == kT0 + 5000);
  BOOST_TEST(first->entries[2].record.requestId == "r4");
  BOOST_TEST(first->entries[2].description == "Tensio+ a lu une mesure");
  BOOST_TEST(!first->entries[0].id.empty());

  auto last = trail.activity("pat-1", 3, 6);
  BOOST_REQUIRE(last.isOk());
  BOOST_REQUIRE_EQUAL(last->entries.size(), 2u);
  BOOST_TEST(!last->hasMore);
  // Same instant: the later insert comes first.
  BOOST_TEST(last->entries[0].description == "Vous avez autorisé Tensio+");
  BOOST_TEST(last->entries[1].record.requestId == "r0");

  auto gluco = trail.activity("pat-1", 10, 0, "gluconote");
  BOOST_REQUIRE(gluco.isOk());
  BOOST_REQUIRE_EQUAL(gluco->entries.size(), 2u);
  BOOST_TEST(gluco->entries[0].record.requestId == "r5");
  BOOST_TEST(gluco->entries[1].record.requestId == "r2");
  BOOST_TEST(!gluco->hasMore);

  // The portal event names the service as a non-requestor agent: it is in the filter too.
  auto tensio = trail.activity("pat-1", 10, 0, "tensio");
  BOOST_REQUIRE(tensio.isOk());
  BOOST_TEST(tensio->entries.size() == 6u);

  auto exact = trail.activity("pat-1", 8, 0);
  BOOST_REQUIRE(exact.isOk());
  BOOST_TEST(exact->entries.size() == 8u);
  BOOST_TEST(!exact->hasMore);

  auto nobody = trail.activity("pat-9", 10, 0);
  BOOST_REQUIRE(nobody.isOk());
  BOOST_TEST(nobody->entries.empty());

  for (auto [count, offset] : {std::pair{0, 0}, {101, 0}, {10, -1}}) {
    auto badPage = trail.activity("pat-1", count, offset);
    BOOST_REQUIRE(!badPage.isOk());
    BOOST_TEST(badPage.error().code() == "invalid-paging");
  }
}

BOOST_FIXTURE_TEST_CASE(has_succeeded_before_counts_only_successful_rest_access, Store) {
  AuditTrail trail(*log, clock);
  auto before = [&] {
    auto r = trail.hasSucceededBefore("pat-1", "tensio");
    BOOST_REQUIRE(r.isOk());
    return *r;
  };
  BOOST_TEST(!before());
  requireOk(trail.record(refused(tensioRead(), 403, "consent-missing", "")));
  requireOk(trail.record(oauth(kAuditTokenIssued)));
  requireOk(trail.record(portal(kAuditPairingCreated, "C")));
  AuditRecord otherClient = tensioRead();
  otherClient.clientId = "gluconote";
  requireOk(trail.record(otherClient));
  AuditRecord otherPatient = tensioRead();
  otherPatient.patientId = "pat-2";
  requireOk(trail.record(otherPatient));
  BOOST_TEST(!before());
  requireOk(trail.record(tensioRead()));
  BOOST_TEST(before());
}

BOOST_FIXTURE_TEST_CASE(record_access_says_first_access_once, Store) {
  auto first = [](AuditTrail& trail, AuditRecord r) {
    auto answer = trail.recordAccess(std::move(r));
    BOOST_REQUIRE(answer.isOk());
    return *answer;
  };
  {
    AuditTrail trail(*log, clock);
    BOOST_TEST(!first(trail, refused(tensioRead(), 403, "consent-missing", "")));
    BOOST_TEST(!first(trail, oauth(kAuditTokenIssued)));
    BOOST_TEST(first(trail, tensioRead()));
    BOOST_TEST(!first(trail, tensioRead()));
    BOOST_TEST(!first(trail, tensioSearch()));
    AuditRecord other = tensioRead();
    other.clientId = "gluconote";
    BOOST_TEST(first(trail, other));
    AuditRecord anonymousRead = tensioRead();
    anonymousRead.patientId.clear();
    BOOST_TEST(!first(trail, anonymousRead));
  }
  // Another process (a fresh trail) finds the earlier access in the store.
  AuditTrail restarted(*log, clock);
  BOOST_TEST(!first(restarted, tensioRead()));
  BOOST_TEST(events().size() == 7u);  // every call recorded its event
}

BOOST_FIXTURE_TEST_CASE(with_a_journal_records_are_journaled_and_reads_drain_it, Store) {
  mes::audit::JournalOptions quiet;  // no background import: only the trail's drains move them
  quiet.importInterval = std::chrono::hours(1);
  quiet.importBatch = 1'000'000;
  auto journal = mes::audit::FileAuditJournal::open(dir.path() / "audit", *log, quiet);
  BOOST_REQUIRE(journal.isOk());
  AuditTrail trail(*log, clock, {}, journal->get());
  requireOk(trail.record(tensioRead()));
  BOOST_TEST(events().empty());  // durable in the journal, not in the log yet
  BOOST_TEST((*journal)->pending() == 1u);
  auto page = trail.activity("pat-1", 10, 0);
  BOOST_REQUIRE(page.isOk());
  BOOST_REQUIRE_EQUAL(page->entries.size(), 1u);
  BOOST_TEST(page->entries[0].description == describeFr(tensioRead()));
  BOOST_TEST(events().size() == 1u);

  // The first-access lookup sees journaled entries too: a fresh trail (another process after
  // a restart) does not announce a first access the journal already holds.
  AuditRecord other = tensioRead();
  other.clientId = "gluconote";
  auto first = trail.recordAccess(other);
  BOOST_REQUIRE(first.isOk());
  BOOST_TEST(*first);
  AuditTrail restarted(*log, clock, {}, journal->get());
  auto again = restarted.recordAccess(other);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(!*again);
}

BOOST_FIXTURE_TEST_CASE(concurrent_first_accesses_notify_once, Store) {
  SlowLog slow(*log);
  AuditTrail trail(slow, clock);
  std::atomic<int> firsts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto answer = trail.recordAccess(tensioRead());
      if (answer.isOk() && *answer) ++firsts;
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(firsts.load() == 1);
  BOOST_TEST(events().size() == 8u);
}

BOOST_AUTO_TEST_SUITE_END()

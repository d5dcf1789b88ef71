// Pairings (gateway/pairings.h) over a real SQLite repository with a manual clock: the FHIR
// Consent an approval writes, updates, ends and reactivations (versions and periods), the
// lookups, and the refusal of Consents this gateway did not write.
#include "gateway/pairings.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "fhir/json/json.h"

using namespace mes::gateway;
using mes::ErrorKind;
using mes::fhir::Value;
using mes::oauth::ScopeSet;
using mes::store::ServiceRecord;

namespace {

constexpr int64_t kT0 = 1'700'000'000'123;  // 2023-11-14T22:13:20.123Z

ScopeSet scopes(const std::string& text) {
  auto parsed = ScopeSet::parse(text);
  if (!parsed) throw std::runtime_error("bad scope in the test: " + text);
  return *parsed;
}

ServiceRecord service(const std::string& clientId, const std::string& name) {
  ServiceRecord s;
  s.clientId = clientId;
  s.name = name;
  s.editorName = "Editeur";
  s.editorOid = "urn:oid:1.2.250.1.999.1";
  s.clientType = "public";
  s.redirectUris = {"https://app.example/cb"};
  s.status = "referenced";
  return s;
}

const Value& at(const Value& v, std::string_view key) {
  const Value* found = v.find(key);
  if (found == nullptr) throw std::runtime_error("missing member " + std::string(key));
  return *found;
}
const Value& at(const Value& v, size_t i) {
  if (!v.isArray() || i >= v.items().size()) {
    throw std::runtime_error("missing index " + std::to_string(i));
  }
  return v.items()[i];
}
std::string text(const Value& v, std::string_view key) { return at(v, key).text(); }

// The extension of `url`, or nullptr.
const Value* extension(const Value& consent, const std::string& url) {
  const Value* exts = consent.find("extension");
  if (exts == nullptr || !exts->isArray()) return nullptr;
  for (const Value& e : exts->items()) {
    const std::string* u = e.findString("url");
    if (u != nullptr && *u == url) return &e;
  }
  return nullptr;
}

struct Store {
  Store() : clock(kT0) {
    auto opened = mes::store::SqliteRepository::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
    pairings = std::make_unique<PairingStore>(*repo, clock, ids);
  }

  Pairing approve(const std::string& patient, const ServiceRecord& s, const std::string& scope,
                  PairingChange expected) {
    auto r = pairings->approve(patient, s, scopes(scope));
    BOOST_REQUIRE_MESSAGE(r.isOk(), (r.isOk() ? "" : r.error().code() + " " + r.error().detail));
    BOOST_TEST((r->second == expected));
    return r->first;
  }

  // The current version as stored, parsed.
  Value consent(const std::string& id) {
    auto record = repo->read("Consent", id);
    BOOST_REQUIRE(record.isOk());
    auto json = mes::fhir::parseJson(record->content);
    BOOST_REQUIRE(json.isOk());
    return std::move(*json);
  }

  size_t versions(const std::string& id) {
    auto history = repo->history("Consent", id);
    BOOST_REQUIRE(history.isOk());
    return history->size();
  }

  mes::test::TempDir dir{"mes-pairings"};
  mes::ManualClock clock;
  mes::RandomIdGenerator ids;
  std::unique_ptr<mes::store::SqliteRepository> repo;
  std::unique_ptr<PairingStore> pairings;
};

const ServiceRecord kTensio = service("tensio", "Tensio+");
const ServiceRecord kGluco = service("gluco", "Gluco Suivi");
const ServiceRecord kAgenda = service("agenda", "Mon Agenda");

}  // namespace

BOOST_AUTO_TEST_SUITE(pairings)

BOOST_AUTO_TEST_CASE(approve_writes_a_consent_apps_can_read) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio,
                              "launch/patient patient/Observation.rs patient/Device.cd",
                              PairingChange::kCreated);
  BOOST_TEST(!p.id.empty());
  BOOST_TEST(p.versionId == 1);
  BOOST_TEST(p.active);
  BOOST_TEST(p.patientId == "pat-1");
  BOOST_TEST(p.clientId == "tensio");
  BOOST_TEST(p.serviceName == "Tensio+");
  BOOST_TEST(p.startedMs == kT0);
  BOOST_TEST(p.updatedMs == kT0);
  BOOST_TEST(p.endedMs == 0);

  const Value c = s.consent(p.id);
  BOOST_TEST(text(c, "resourceType") == "Consent");
  BOOST_TEST(text(c, "id") == p.id);
  BOOST_TEST(text(c, "status") == "active");
  BOOST_TEST(text(at(c, "patient"), "reference") == "Patient/pat-1");
  BOOST_TEST(text(at(at(c, "performer"), 0), "reference") == "Patient/pat-1");
  BOOST_TEST(text(c, "dateTime") == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(text(at(at(c, "policy"), 0), "uri") == "urn:mes-gateway:policy:pairing");
  BOOST_TEST(text(at(at(at(c, "scope"), "coding"), 0), "code") == "patient-privacy");
  BOOST_TEST(text(at(at(at(at(c, "category"), 0), "coding"), 0), "code") == "59284-0");

  const Value* granted = extension(c, kGrantedScopeUrl);
  BOOST_REQUIRE(granted != nullptr);
  BOOST_TEST(text(*granted, "valueString") ==
             "launch/patient patient/Device.cd patient/Observation.rs");
  BOOST_TEST(extension(c, kEndedByUrl) == nullptr);

  const Value& provision = at(c, "provision");
  BOOST_TEST(text(provision, "type") == "permit");
  BOOST_TEST(text(at(provision, "period"), "start") == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(at(provision, "period").find("end") == nullptr);
  const Value& actor = at(at(provision, "actor"), 0);
  BOOST_TEST(text(at(at(at(actor, "role"), "coding"), 0), "code") == "IRCP");
  BOOST_TEST(text(at(at(actor, "reference"), "identifier"), "system") ==
             "urn:mes-gateway:client-id");
  BOOST_TEST(text(at(at(actor, "reference"), "identifier"), "value") == "tensio");
  BOOST_TEST(text(at(actor, "reference"), "display") == "Tensio+");

  // One nested permit per (type, letter), types sorted, letters in SMART order.
  struct Expected {
    const char* type;
    const char* letter;
    const char* name;
    const char* consentAction;  // "" when consentaction has no code for it
  };
  const std::vector<Expected> expected = {{"Device", "c", "create", "collect"},
                                          {"Device", "d", "delete", ""},
                                          {"Observation", "r", "read", "access"},
                                          {"Observation", "s", "search", "access"}};
  const Value& nested = at(provision, "provision");
  BOOST_REQUIRE(nested.items().size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    BOOST_TEST_CONTEXT("nested provision " << i) {
      const Value& n = nested.items()[i];
      BOOST_TEST(text(n, "type") == "permit");
      BOOST_TEST(text(at(at(n, "class"), 0), "system") == "http://hl7.org/fhir/resource-types");
      BOOST_TEST(text(at(at(n, "class"), 0), "code") == expected[i].type);
      const Value& codings = at(at(at(n, "action"), 0), "coding");
      BOOST_TEST(text(at(codings, 0), "system") == "urn:mes-gateway:smart-permission");
      BOOST_TEST(text(at(codings, 0), "code") == expected[i].letter);
      BOOST_TEST(text(at(codings, 0), "display") == expected[i].name);
      if (*expected[i].consentAction == '\0') {
        BOOST_TEST(codings.items().size() == 1u);
      } else {
        BOOST_REQUIRE(codings.items().size() == 2u);
        BOOST_TEST(text(at(codings, 1), "system") ==
                   "http://terminology.hl7.org/CodeSystem/consentaction");
        BOOST_TEST(text(at(codings, 1), "code") == expected[i].consentAction);
      }
    }
  }

  // What the store reads back is what approve returned.
  auto again = s.pairings->byId(p.id);
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(again->scope == p.scope);
  BOOST_TEST(again->clientId == "tensio");
  BOOST_TEST(again->serviceName == "Tensio+");
  BOOST_TEST(again->startedMs == kT0);
  BOOST_TEST(again->updatedMs == kT0);
  BOOST_TEST(again->versionId == 1);
}

BOOST_AUTO_TEST_CASE(identity_scopes_only_give_no_nested_provision) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio, "openid fhirUser", PairingChange::kCreated);
  const Value c = s.consent(p.id);
  BOOST_TEST(at(c, "provision").find("provision") == nullptr);
  BOOST_TEST(text(*extension(c, kGrantedScopeUrl), "valueString") == "openid fhirUser");
}

BOOST_AUTO_TEST_CASE(approving_the_same_scope_again_writes_nothing) {
  Store s;
  const Pairing first =
      s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(5000);
  // v1 "read" is the same grant as v2 ".rs": canonical, so unchanged.
  const Pairing second =
      s.approve("pat-1", kTensio, "patient/Observation.read", PairingChange::kUnchanged);
  BOOST_TEST(second.id == first.id);
  BOOST_TEST(second.versionId == 1);
  BOOST_TEST(second.updatedMs == kT0);
  BOOST_TEST(s.versions(first.id) == 1u);
}

BOOST_AUTO_TEST_CASE(approving_another_scope_updates_the_same_consent) {
  Store s;
  const Pairing first =
      s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(60'000);
  const Pairing second = s.approve("pat-1", kTensio, "patient/Observation.cruds offline_access",
                                   PairingChange::kUpdated);
  BOOST_TEST(second.id == first.id);
  BOOST_TEST(second.versionId == 2);
  BOOST_TEST(second.startedMs == kT0);  // the same period of consent
  BOOST_TEST(second.updatedMs == kT0 + 60'000);
  BOOST_TEST(s.versions(first.id) == 2u);

  const Value c = s.consent(first.id);
  BOOST_TEST(text(*extension(c, kGrantedScopeUrl), "valueString") ==
             "offline_access patient/Observation.cruds");
  BOOST_TEST(text(c, "dateTime") == "2023-11-14T22:14:20.123Z");
  BOOST_TEST(text(at(at(c, "provision"), "period"), "start") == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(at(at(c, "provision"), "provision").items().size() == 5u);

  // A renamed service is a change too (the patient sees the name).
  ServiceRecord renamed = kTensio;
  renamed.name = "Tensio Pro";
  const Pairing third = s.approve("pat-1", renamed, "patient/Observation.cruds offline_access",
                                  PairingChange::kUpdated);
  BOOST_TEST(third.versionId == 3);
  const Value renamedConsent = s.consent(first.id);
  BOOST_TEST(text(at(at(at(at(renamedConsent, "provision"), "actor"), 0), "reference"),
                  "display") == "Tensio Pro");
}

BOOST_AUTO_TEST_CASE(end_makes_the_consent_inactive_once) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(2000);
  auto ended = s.pairings->end(p.id, "patient");
  BOOST_REQUIRE(ended.isOk());
  BOOST_TEST(ended->second);
  BOOST_TEST(!ended->first.active);
  BOOST_TEST(ended->first.endedBy == "patient");
  BOOST_TEST(ended->first.endedMs == kT0 + 2000);
  BOOST_TEST(ended->first.versionId == 2);

  const Value c = s.consent(p.id);
  BOOST_TEST(text(c, "status") == "inactive");
  BOOST_TEST(text(at(at(c, "provision"), "period"), "start") == "2023-11-14T22:13:20.123Z");
  BOOST_TEST(text(at(at(c, "provision"), "period"), "end") == "2023-11-14T22:13:22.123Z");
  const Value* endedBy = extension(c, kEndedByUrl);
  BOOST_REQUIRE(endedBy != nullptr);
  BOOST_TEST(text(*endedBy, "valueCode") == "patient");
  // The scope the patient had granted stays readable in the history.
  BOOST_TEST(text(*extension(c, kGrantedScopeUrl), "valueString") == "patient/Observation.rs");

  s.clock.advance(1000);
  auto again = s.pairings->end(p.id, "service");
  BOOST_REQUIRE(again.isOk());
  BOOST_TEST(!again->second);
  BOOST_TEST(again->first.endedBy == "patient");  // the first end stands
  BOOST_TEST(again->first.endedMs == kT0 + 2000);
  BOOST_TEST(s.versions(p.id) == 2u);

  auto byId = s.pairings->byId(p.id);
  BOOST_REQUIRE(byId.isOk());
  BOOST_TEST(!byId->active);
  BOOST_TEST(byId->endedBy == "patient");
}

BOOST_AUTO_TEST_CASE(end_of_an_unknown_pairing_is_not_found) {
  Store s;
  auto ended = s.pairings->end("no-such-consent", "patient");
  BOOST_REQUIRE(!ended.isOk());
  BOOST_TEST((ended.error().kind == ErrorKind::kNotFound));
  BOOST_TEST(ended.error().code() == "not-found");
}

BOOST_AUTO_TEST_CASE(approving_after_an_end_reactivates_the_same_consent) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(1000);
  BOOST_REQUIRE(s.pairings->end(p.id, "registry").isOk());
  s.clock.advance(1000);
  // Even with the very same scope: an ended pairing is not "unchanged".
  const Pairing back =
      s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kUpdated);
  BOOST_TEST(back.id == p.id);
  BOOST_TEST(back.active);
  BOOST_TEST(back.versionId == 3);
  BOOST_TEST(back.startedMs == kT0 + 2000);  // a new period of consent
  BOOST_TEST(back.endedMs == 0);
  BOOST_TEST(back.endedBy.empty());

  const Value c = s.consent(p.id);
  BOOST_TEST(text(c, "status") == "active");
  BOOST_TEST(text(at(at(c, "provision"), "period"), "start") == "2023-11-14T22:13:22.123Z");
  BOOST_TEST(at(at(c, "provision"), "period").find("end") == nullptr);
  BOOST_TEST(extension(c, kEndedByUrl) == nullptr);

  auto found = s.pairings->find("pat-1", "tensio");
  BOOST_REQUIRE(found.isOk());
  BOOST_REQUIRE(found->has_value());
  BOOST_TEST((*found)->id == p.id);
  BOOST_TEST((*found)->active);
}

BOOST_AUTO_TEST_CASE(find_by_patient_and_service) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.approve("pat-2", kGluco, "patient/Observation.rs", PairingChange::kCreated);

  auto found = s.pairings->find("pat-1", "tensio");
  BOOST_REQUIRE(found.isOk());
  BOOST_REQUIRE(found->has_value());
  BOOST_TEST((*found)->id == p.id);

  auto otherService = s.pairings->find("pat-1", "gluco");
  BOOST_REQUIRE(otherService.isOk());
  BOOST_TEST(!otherService->has_value());
  auto otherPatient = s.pairings->find("pat-2", "tensio");
  BOOST_REQUIRE(otherPatient.isOk());
  BOOST_TEST(!otherPatient->has_value());

  BOOST_REQUIRE(s.pairings->end(p.id, "patient").isOk());
  auto ended = s.pairings->find("pat-1", "tensio");
  BOOST_REQUIRE(ended.isOk());
  BOOST_REQUIRE(ended->has_value());  // an ended pairing is still found
  BOOST_TEST(!(*ended)->active);
}

BOOST_AUTO_TEST_CASE(of_patient_lists_active_first_then_newest) {
  Store s;
  const Pairing tensio =
      s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(1000);
  const Pairing gluco =
      s.approve("pat-1", kGluco, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(1000);
  const Pairing agenda =
      s.approve("pat-1", kAgenda, "patient/Appointment.c", PairingChange::kCreated);
  s.clock.advance(1000);
  s.approve("pat-2", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.clock.advance(1000);
  // Ended last: the most recently changed, yet listed after the active ones.
  BOOST_REQUIRE(s.pairings->end(gluco.id, "patient").isOk());

  auto list = s.pairings->ofPatient("pat-1");
  BOOST_REQUIRE(list.isOk());
  std::vector<std::string> ids;
  for (const Pairing& p : *list) ids.push_back(p.id);
  const std::vector<std::string> expected = {agenda.id, tensio.id, gluco.id};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
  BOOST_TEST(list->back().active == false);

  auto none = s.pairings->ofPatient("pat-unknown");
  BOOST_REQUIRE(none.isOk());
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(active_of_service_skips_ended_pairings_and_other_services) {
  Store s;
  const Pairing a = s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  const Pairing b = s.approve("pat-2", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  const Pairing c = s.approve("pat-3", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  s.approve("pat-1", kGluco, "patient/Observation.rs", PairingChange::kCreated);
  BOOST_REQUIRE(s.pairings->end(b.id, "service").isOk());

  auto list = s.pairings->activeOfService("tensio");
  BOOST_REQUIRE(list.isOk());
  std::vector<std::string> ids;
  for (const Pairing& p : *list) {
    ids.push_back(p.id);
    BOOST_TEST(p.active);
    BOOST_TEST(p.clientId == "tensio");
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected = {a.id, c.id};
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(ids == expected, boost::test_tools::per_element());

  auto none = s.pairings->activeOfService("agenda");
  BOOST_REQUIRE(none.isOk());
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(by_id_of_an_unknown_consent_is_not_found) {
  Store s;
  auto r = s.pairings->byId("missing");
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST((r.error().kind == ErrorKind::kNotFound));
  BOOST_TEST(r.error().code() == "not-found");
}

BOOST_AUTO_TEST_CASE(a_consent_this_gateway_did_not_write_is_refused) {
  Store s;
  const Pairing p = s.approve("pat-1", kTensio, "patient/Observation.rs", PairingChange::kCreated);
  const Value ours = s.consent(p.id);
  BOOST_REQUIRE(pairingFromJson(ours, p.id, 1).isOk());

  // Without the granted-scope extension.
  Value noScope = ours;
  noScope.erase("extension");
  auto r1 = pairingFromJson(noScope, p.id, 1);
  BOOST_REQUIRE(!r1.isOk());
  BOOST_TEST((r1.error().kind == ErrorKind::kInternal));

  // With an unreadable granted scope.
  Value badScope = ours;
  Value exts = Value::array();
  Value e = Value::object();
  e.set("url", Value::string(kGrantedScopeUrl));
  e.set("valueString", Value::string("user/*.* not a scope"));
  exts.push(std::move(e));
  badScope.set("extension", std::move(exts));
  auto r2 = pairingFromJson(badScope, p.id, 1);
  BOOST_REQUIRE(!r2.isOk());
  BOOST_TEST((r2.error().kind == ErrorKind::kInternal));

  // Without the service as actor.
  Value noActor = ours;
  noActor.find("provision")->erase("actor");
  auto r3 = pairingFromJson(noActor, p.id, 1);
  BOOST_REQUIRE(!r3.isOk());
  BOOST_TEST((r3.error().kind == ErrorKind::kInternal));

  // An actor named by reference only, as another system would write it.
  Value foreignActor = ours;
  Value actor = Value::object();
  Value ref = Value::object();
  ref.set("reference", Value::string("Organization/o-1"));
  actor.set("reference", std::move(ref));
  Value actors = Value::array();
  actors.push(std::move(actor));
  foreignActor.find("provision")->set("actor", std::move(actors));
  auto r4 = pairingFromJson(foreignActor, p.id, 1);
  BOOST_REQUIRE(!r4.isOk());
  BOOST_TEST((r4.error().kind == ErrorKind::kInternal));

  // Without patient, status or provision.
  for (const char* member : {"patient", "status", "provision"}) {
    BOOST_TEST_CONTEXT("without " << member) {
      Value v = ours;
      v.erase(member);
      auto r = pairingFromJson(v, p.id, 1);
      BOOST_REQUIRE(!r.isOk());
      BOOST_TEST((r.error().kind == ErrorKind::kInternal));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

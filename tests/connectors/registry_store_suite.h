// The registry store test suite: what every implementation of connectors/store/registry_store.h
// must do, written only against the interfaces.
//
// A store joins by providing a fixture type and including this file once in its test file:
//
//   struct MyRegistryStore {
//     MyRegistryStore();                       // fresh, empty stores
//     mes::ManualClock& clock();               // the clock the stores read
//     mes::store::RegistryStore& registry();
//     mes::store::ServiceStore& services();    // over the same data
//   };
//   #define MES_REGISTRY_STORE_SUITE_NAME my_registry_store_suite
//   #define MES_REGISTRY_STORE_SUITE_STORES std::tuple<MyRegistryStore>
//   #include "connectors/registry_store_suite.h"
//
// Every case runs once per type, each on fresh stores. No include guard on purpose; the macros
// are consumed.
#if !defined(MES_REGISTRY_STORE_SUITE_NAME) || !defined(MES_REGISTRY_STORE_SUITE_STORES)
#error "define MES_REGISTRY_STORE_SUITE_NAME and MES_REGISTRY_STORE_SUITE_STORES before including"
#endif

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <latch>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "connectors/store/registry_store.h"
#include "core/clock.h"
#include "connectors/store_checks.h"
#include "core/status.h"

BOOST_AUTO_TEST_SUITE(MES_REGISTRY_STORE_SUITE_NAME)

using mes::Error;
using mes::ErrorKind;
using mes::store::CriterionMark;
using mes::store::EditorOrganisation;
using mes::store::EvidenceRecord;
using mes::store::RegistryEntry;
using mes::store::RegistryEvent;
using mes::store::ServiceRecord;

using RegistryStores = MES_REGISTRY_STORE_SUITE_STORES;

namespace registry_suite {

constexpr int64_t kT0 = 1'700'000'000'000;

using mes::test::checkError;
using mes::test::describe;
using mes::test::requireOk;

inline EditorOrganisation organisation(const std::string& id, const std::string& siret,
                                       const std::string& oid) {
  EditorOrganisation o;
  o.organisationId = id;
  o.legalName = "Tensio SAS " + id;
  o.siret = siret;
  o.editorOid = oid;
  o.contact = "referent@tensio.example";
  return o;
}

inline RegistryEntry draft(const std::string& clientId, const std::string& organisationId) {
  RegistryEntry e;
  e.service.clientId = clientId;
  e.service.name = "Tensio+";
  e.service.editorName = "Tensio SAS";
  e.service.editorOid = "urn:oid:1.2.250.1.999.42";
  e.service.clientType = "public";
  e.service.redirectUris = {"https://tensio.example/cb", "com.tensio.app:/cb"};
  e.service.status = "draft";
  e.details.organisationId = organisationId;
  e.details.editorSiret = "73282932000074";
  e.details.contact = "dpo@tensio.example";
  e.details.description = "Carnet de tension artérielle relié à un tensiomètre.";
  e.details.category = "measures";
  e.details.website = "https://tensio.example";
  e.details.requestedAccesses = {"mesures.read", "mesures.write"};
  return e;
}

inline RegistryEvent event(const std::string& action, const std::string& from,
                           const std::string& to, int64_t at) {
  RegistryEvent e;
  e.recordedMs = at;
  e.action = action;
  e.fromStatus = from;
  e.toStatus = to;
  e.actorAccountId = "acct-editor-1";
  e.actorLogin = "editeur@tensio.example";
  e.actorRole = "editor";
  e.reason = "because";
  e.detail = R"({"k":"v"})";
  return e;
}

inline CriterionMark mark(const std::string& clientId, int64_t round, const std::string& id,
                          const std::string& verdict) {
  CriterionMark m;
  m.clientId = clientId;
  m.round = round;
  m.criterionId = id;
  m.verdict = verdict;
  m.note = "vu";
  m.actorAccountId = "acct-evaluator";
  m.actorLogin = "evaluatrice@ans.example";
  m.markedMs = kT0 + 5;
  return m;
}

inline EvidenceRecord evidence(const std::string& clientId, const std::string& id,
                               const std::string& content) {
  EvidenceRecord e;
  e.evidenceId = id;
  e.clientId = clientId;
  e.kind = "test-report";
  e.content = content;
  e.sha256 = "sha-of-" + content;
  e.uploadedByAccountId = "acct-editor-1";
  e.uploadedByLogin = "editeur@tensio.example";
  e.uploadedMs = kT0 + 7;
  return e;
}

}  // namespace registry_suite

using namespace registry_suite;

BOOST_AUTO_TEST_CASE_TEMPLATE(organisations_are_created_read_listed_and_unique, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  auto created = r.createOrganisation(
      organisation("org-tensio", "73282932000074", "urn:oid:1.2.250.1.999.42"), kT0);
  requireOk(created);
  BOOST_TEST(created->createdMs == kT0);
  requireOk(
      r.createOrganisation(organisation("org-alpha1", "35600000000048", "urn:oid:1.2.3"), kT0 + 1));
  auto read = r.organisation("org-tensio");
  requireOk(read);
  BOOST_TEST((*read == *created));
  auto all = r.organisations();
  requireOk(all);
  BOOST_REQUIRE_EQUAL(all->size(), 2U);
  BOOST_TEST(all->at(0).organisationId == "org-alpha1");  // by legal name
  // The id, the SIRET and the OID are each unique.
  checkError(r.createOrganisation(organisation("org-tensio", "11111111111111", "urn:oid:9.9"), kT0),
             ErrorKind::kConflict, "already-exists");
  checkError(r.createOrganisation(organisation("org-other1", "73282932000074", "urn:oid:9.9"), kT0),
             ErrorKind::kConflict, "already-exists");
  checkError(r.createOrganisation(
                 organisation("org-other1", "11111111111111", "urn:oid:1.2.250.1.999.42"), kT0),
             ErrorKind::kConflict, "already-exists");
  checkError(r.organisation("org-ghost1"), ErrorKind::kNotFound, "not-found");
  checkError(r.createOrganisation(organisation("short", "73282932000074", "urn:oid:1.2"), kT0),
             ErrorKind::kInvalid, "invalid-registry-record");
  checkError(r.createOrganisation(organisation("org-other2", "7328293200007A", "urn:oid:1.2"), kT0),
             ErrorKind::kInvalid, "invalid-registry-record");
  BOOST_TEST(r.organisations()->size() == 2U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_account_belongs_to_one_organisation, Stores, RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createOrganisation(organisation("org-tensio", "73282932000074", "urn:oid:1.2"), kT0));
  checkError(r.addMember("acct-1", "org-ghost1", kT0), ErrorKind::kNotFound, "not-found");
  auto none = r.organisationOf("acct-1");
  requireOk(none);
  BOOST_TEST(!none->has_value());
  requireOk(r.addMember("acct-1", "org-tensio", kT0));
  checkError(r.addMember("acct-1", "org-tensio", kT0), ErrorKind::kConflict, "already-exists");
  auto of = r.organisationOf("acct-1");
  requireOk(of);
  BOOST_TEST(of->value_or("") == "org-tensio");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(an_entry_is_created_with_its_record_details_and_event, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createOrganisation(organisation("org-tensio", "73282932000074", "urn:oid:1.2"), kT0));
  s.clock().set(kT0 + 100);
  RegistryEntry want = draft("tensio", "org-tensio");
  want.details.reservations = {"première réserve", "seconde réserve"};
  auto created = r.createEntry(want, event("create", "", "draft", kT0 + 100));
  requireOk(created);
  BOOST_TEST(created->service.version == 1);
  BOOST_TEST(created->service.createdMs == kT0 + 100);
  auto read = r.entry("tensio");
  requireOk(read);
  BOOST_TEST((read->details == want.details));
  BOOST_TEST(read->service.redirectUris == want.service.redirectUris);
  BOOST_TEST(read->service.status == "draft");
  // The OAuth view is the same record.
  auto oauth = s.services().service("tensio");
  requireOk(oauth);
  BOOST_TEST(oauth->name == "Tensio+");
  BOOST_TEST(oauth->version == 1);
  auto history = r.history("tensio");
  requireOk(history);
  BOOST_REQUIRE_EQUAL(history->size(), 1U);
  RegistryEvent expected = event("create", "", "draft", kT0 + 100);
  expected.seq = history->at(0).seq;
  expected.clientId = "tensio";
  BOOST_TEST((history->at(0) == expected));

  checkError(r.createEntry(draft("tensio", "org-tensio"), event("create", "", "draft", kT0)),
             ErrorKind::kConflict, "already-exists");
  // An unknown organisation writes nothing, not even the OAuth record.
  checkError(r.createEntry(draft("orphan", "org-ghost1"), event("create", "", "draft", kT0)),
             ErrorKind::kNotFound, "not-found");
  checkError(s.services().service("orphan"), ErrorKind::kNotFound, "not-found");
  BOOST_TEST(r.history("orphan")->empty());
  RegistryEntry bad = draft("badone", "");
  bad.details.decision = "maybe";
  checkError(r.createEntry(bad, event("create", "", "draft", kT0)), ErrorKind::kInvalid,
             "invalid-registry-record");
  bad = draft("badtwo", "");
  bad.service.redirectUris.clear();
  checkError(r.createEntry(bad, event("create", "", "draft", kT0)), ErrorKind::kInvalid,
             "invalid-service");
  checkError(r.entry("badtwo"), ErrorKind::kNotFound, "not-found");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_service_registered_before_the_registry_has_default_details, Stores,
                              RegistryStores) {
  Stores s;
  ServiceRecord old = draft("legacy", "").service;
  old.status = "referenced";
  requireOk(s.services().createService(old));
  auto read = s.registry().entry("legacy");
  requireOk(read);
  BOOST_TEST(read->service.status == "referenced");
  BOOST_TEST((read->details == mes::store::RegistryDetails{}));
  BOOST_REQUIRE_EQUAL(s.registry().entries()->size(), 1U);
  // An update gives it registry details.
  RegistryEntry next = *read;
  next.details.description = "Décrit après coup.";
  requireOk(s.registry().updateEntry(next, 1, event("edit", "referenced", "referenced", kT0)));
  BOOST_TEST(s.registry().entry("legacy")->details.description == "Décrit après coup.");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(updates_are_versioned_and_append_to_the_history, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createEntry(draft("tensio", ""), event("create", "", "draft", kT0)));
  s.clock().set(kT0 + 1000);
  RegistryEntry next = *r.entry("tensio");
  next.service.status = "submitted";
  next.service.redirectUris = {"https://tensio.example/other"};
  next.details.reservations = {"une"};
  next.details.grantedAccesses = {"mesures.read"};
  auto updated = r.updateEntry(next, 1, event("submit", "draft", "submitted", kT0 + 1000));
  requireOk(updated);
  BOOST_TEST(updated->service.version == 2);
  BOOST_TEST(updated->service.updatedMs == kT0 + 1000);
  BOOST_TEST(updated->service.createdMs == kT0);
  auto read = r.entry("tensio");
  BOOST_TEST(read->service.status == "submitted");
  BOOST_TEST(read->service.redirectUris ==
             std::vector<std::string>{"https://tensio.example/other"});
  BOOST_TEST(read->details.reservations == std::vector<std::string>{"une"});
  BOOST_TEST(read->details.grantedAccesses == std::vector<std::string>{"mesures.read"});
  // A stale version changes nothing, history included.
  next.service.status = "draft";
  checkError(r.updateEntry(next, 1, event("retract", "submitted", "draft", kT0 + 2000)),
             ErrorKind::kPreconditionFailed, "version-conflict");
  BOOST_TEST(r.entry("tensio")->service.status == "submitted");
  auto history = r.history("tensio");
  BOOST_REQUIRE_EQUAL(history->size(), 2U);
  BOOST_TEST(history->at(0).action == "create");
  BOOST_TEST(history->at(1).action == "submit");
  BOOST_TEST(history->at(0).seq < history->at(1).seq);
  RegistryEntry ghost = draft("ghost", "");
  checkError(r.updateEntry(ghost, 1, event("edit", "draft", "draft", kT0)), ErrorKind::kNotFound,
             "not-found");
  BOOST_TEST(r.history("ghost")->empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(marks_are_per_round_replaced_and_only_at_the_version, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createEntry(draft("tensio", ""), event("create", "", "draft", kT0)));
  requireOk(r.putMark(mark("tensio", 1, "SEC-02", "met"), 1, event("mark", "draft", "draft", kT0)));
  requireOk(
      r.putMark(mark("tensio", 1, "INT-01", "not_met"), 1, event("mark", "draft", "draft", kT0)));
  CriterionMark replaced = mark("tensio", 1, "SEC-02", "not_applicable");
  replaced.note = "revu";
  requireOk(r.putMark(replaced, 1, event("mark", "draft", "draft", kT0)));
  requireOk(r.putMark(mark("tensio", 2, "SEC-02", "met"), 1, event("mark", "draft", "draft", kT0)));
  auto round1 = r.marks("tensio", 1);
  requireOk(round1);
  BOOST_REQUIRE_EQUAL(round1->size(), 2U);
  BOOST_TEST(round1->at(0).criterionId == "INT-01");  // by criterion id
  BOOST_TEST((round1->at(1) == replaced));
  BOOST_TEST(r.marks("tensio", 2)->size() == 1U);
  BOOST_TEST(r.history("tensio")->size() == 5U);
  BOOST_TEST(r.entry("tensio")->service.version == 1);  // marks do not bump the version
  checkError(r.putMark(mark("tensio", 1, "SEC-03", "met"), 7, event("mark", "draft", "draft", kT0)),
             ErrorKind::kPreconditionFailed, "version-conflict");
  checkError(r.putMark(mark("ghost", 1, "SEC-03", "met"), 1, event("mark", "draft", "draft", kT0)),
             ErrorKind::kNotFound, "not-found");
  checkError(
      r.putMark(mark("tensio", 1, "SEC-03", "perhaps"), 1, event("mark", "draft", "draft", kT0)),
      ErrorKind::kInvalid, "invalid-registry-record");
  checkError(r.putMark(mark("tensio", 0, "SEC-03", "met"), 1, event("mark", "draft", "draft", kT0)),
             ErrorKind::kInvalid, "invalid-registry-record");
  BOOST_TEST(r.marks("tensio", 1)->size() == 2U);
  BOOST_TEST(r.history("tensio")->size() == 5U);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(evidence_is_attached_once_and_listed_in_order, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createEntry(draft("tensio", ""), event("create", "", "draft", kT0)));
  requireOk(r.addEvidence(evidence("tensio", "evidence-1", "{\"a\":1}"), 1,
                          event("add_evidence", "draft", "draft", kT0)));
  requireOk(r.addEvidence(evidence("tensio", "evidence-2", "{\"a\":2}"), 1,
                          event("add_evidence", "draft", "draft", kT0)));
  checkError(r.addEvidence(evidence("tensio", "evidence-3", "{\"a\":1}"), 1,
                           event("add_evidence", "draft", "draft", kT0)),
             ErrorKind::kConflict, "evidence-duplicate");
  checkError(r.addEvidence(evidence("tensio", "evidence-2", "{\"a\":3}"), 1,
                           event("add_evidence", "draft", "draft", kT0)),
             ErrorKind::kConflict, "already-exists");
  checkError(r.addEvidence(evidence("tensio", "evidence-4", "{\"a\":4}"), 2,
                           event("add_evidence", "draft", "draft", kT0)),
             ErrorKind::kPreconditionFailed, "version-conflict");
  EvidenceRecord wrongKind = evidence("tensio", "evidence-5", "{}");
  wrongKind.kind = "pdf";
  checkError(r.addEvidence(wrongKind, 1, event("add_evidence", "draft", "draft", kT0)),
             ErrorKind::kInvalid, "invalid-registry-record");
  auto all = r.evidence("tensio");
  requireOk(all);
  BOOST_REQUIRE_EQUAL(all->size(), 2U);
  BOOST_TEST((all->at(0) == evidence("tensio", "evidence-1", "{\"a\":1}")));
  BOOST_TEST(all->at(1).evidenceId == "evidence-2");
  BOOST_TEST(r.history("tensio")->size() == 3U);
  BOOST_TEST(r.evidence("ghost")->empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_updates_at_one_version_let_exactly_one_through, Stores,
                              RegistryStores) {
  Stores s;
  auto& r = s.registry();
  requireOk(r.createEntry(draft("tensio", ""), event("create", "", "draft", kT0)));
  constexpr int kThreads = 8;
  std::atomic<int> succeeded{0};
  std::atomic<int> conflicts{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      RegistryEntry next = draft("tensio", "");
      next.service.status = "submitted";
      next.details.description = "thread " + std::to_string(i);
      start.arrive_and_wait();
      auto updated = r.updateEntry(next, 1, event("submit", "draft", "submitted", kT0));
      if (updated) {
        ++succeeded;
      } else if (updated.error().kind == ErrorKind::kPreconditionFailed) {
        ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(succeeded.load() == 1);
  BOOST_TEST(conflicts.load() == kThreads - 1);
  BOOST_TEST(r.history("tensio")->size() == 2U);
  BOOST_TEST(r.entry("tensio")->service.version == 2);
}

BOOST_AUTO_TEST_SUITE_END()

#undef MES_REGISTRY_STORE_SUITE_NAME
#undef MES_REGISTRY_STORE_SUITE_STORES

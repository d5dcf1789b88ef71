// Writing appointments (gateway/agenda_service.h) over a real SQLite store: the patient
// compartment, authorship, the conditional update and its scope, atomicity under concurrency,
// and the patient's notifications.
#include "gateway/agenda_service.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/sqlite/sqlite_repository.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "gateway/recording_outbox.h"
#include "fhir/json/json.h"
#include "gateway/fhir_response.h"
#include "gateway/resource_index.h"

using namespace mes::gateway;
namespace bdata = boost::unit_test::data;
using mes::ErrorKind;

namespace {

constexpr int64_t kT0 = 1'790'000'000'000;
constexpr const char* kSourceA = "urn:oid:1.2.250.1.999.1#agenda-a";
constexpr const char* kSourceB = "urn:oid:1.2.250.1.999.2#agenda-b";

using mes::test::RecordingOutbox;

RequestContext app(const std::string& source = kSourceA, const std::string& patient = "demo") {
  RequestContext c;
  c.patientId = patient;
  c.source = source;
  c.clientId = source.substr(source.find('#') + 1);
  c.serviceName = "Agenda Santé";
  return c;
}

std::string appointment(const std::string& status = "booked",
                        const std::string& identifier = "rdv-1",
                        const std::string& patients = R"({"actor":{"reference":"Patient/demo"},"status":"accepted"})",
                        const std::string& extra = "") {
  return R"({"resourceType":"Appointment",)" + extra +
         R"("identifier":[{"system":"urn:oid:1.2.250.1.999.1.5","value":")" + identifier +
         R"("}],"status":")" + status +
         R"(","description":"Consultation de suivi","start":"2026-12-01T10:00:00+01:00",)"
         R"("end":"2026-12-01T10:30:00+01:00","participant":[)" + patients + "]}";
}

mes::fhir::Value parse(const std::string& json) {
  auto v = mes::fhir::parseJson(json);
  if (!v) throw std::runtime_error("bad test JSON: " + json);
  return std::move(v).value();
}

struct World {
  World() : clock(kT0), logger(clock, LogLevel::kError) {
    auto opened = mes::store::SqliteRepository::open({dir.file("store.db")}, clock);
    if (!opened) throw std::runtime_error("cannot open the store: " + opened.error().detail);
    repo = std::move(opened).value();
    for (const char* id : {"demo", "demo-2"}) {
      mes::store::WriteRequest request;
      request.type = "Patient";
      request.id = id;
      request.index.patient = id;
      const std::string text = std::string(R"({"resourceType":"Patient","id":")") + id + "\"}";
      request.render = [text](int64_t, int64_t) -> mes::Result<std::string> { return text; };
      if (!repo->create(request)) throw std::runtime_error("cannot seed patients");
    }
    agenda = std::make_unique<AgendaService>(*repo, ids, outbox, logger);
  }

  size_t count(const std::string& patient = "demo") {
    mes::store::SearchQuery q;
    q.type = "Appointment";
    q.patient = patient;
    auto page = repo->search(q);
    BOOST_REQUIRE(page.isOk());
    return page->records.size();
  }

  mes::test::TempDir dir{"mes-agenda"};
  mes::ManualClock clock;
  mes::RandomIdGenerator ids;
  Logger logger;
  RecordingOutbox outbox;
  std::unique_ptr<mes::store::SqliteRepository> repo;
  std::unique_ptr<AgendaService> agenda;
};

AppointmentKey key(const std::string& value = "rdv-1") {
  return {"urn:oid:1.2.250.1.999.1.5", value};
}

std::string codeOf(const mes::Error& e) { return e.code(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(agenda_service)

BOOST_AUTO_TEST_CASE(create_stamps_the_writer_indexes_and_notifies) {
  World w;
  auto created = w.agenda->create(parse(appointment("booked", "rdv-1", R"({"actor":{"reference":"Patient/demo"},"status":"accepted"})",
                                                    R"("meta":{"source":"urn:forged"},)")),
                                  app());
  BOOST_REQUIRE(created.isOk());
  BOOST_TEST(created->created);
  auto stored = parse(created->record.content);
  BOOST_TEST(*stored.find("meta")->findString("source") == kSourceA);
  BOOST_TEST(created->record.source == kSourceA);
  auto read = w.repo->read("Appointment", created->record.id);
  BOOST_REQUIRE(read.isOk());
  BOOST_TEST(read->patient == "demo");

  BOOST_REQUIRE(w.outbox.sent.size() == 1u);
  const auto& n = w.outbox.sent[0];
  BOOST_TEST(n.recipient == "demo");
  BOOST_TEST(n.kind == "appointment-created");
  BOOST_TEST(n.subject == "Nouveau rendez-vous ajouté par Agenda Santé");
  BOOST_TEST(n.body.find("le 01/12/2026 à 10:00 : « Consultation de suivi »") != std::string::npos,
             n.body);
  bool namesIt = false;
  for (const auto& [k, v] : n.data) namesIt |= k == "appointment" && v == "Appointment/" + created->record.id;
  BOOST_TEST(namesIt);
}

struct Refusal {
  const char* what;
  std::string body;
  const char* contextPatient;
  ErrorKind kind;
  const char* code;
};
std::ostream& operator<<(std::ostream& os, const Refusal& r) { return os << r.what; }

const Refusal kRefusals[] = {
    {"another patient", appointment("booked", "r", R"({"actor":{"reference":"Patient/demo-2"},"status":"accepted"})"),
     "demo", ErrorKind::kForbidden, "patient-mismatch"},
    {"the patient and another", appointment("booked", "r",
        R"({"actor":{"reference":"Patient/demo"},"status":"accepted"},{"actor":{"reference":"Patient/demo-2"},"status":"accepted"})"),
     "demo", ErrorKind::kForbidden, "patient-mismatch"},
    {"two patients, unrestricted", appointment("booked", "r",
        R"({"actor":{"reference":"Patient/demo"},"status":"accepted"},{"actor":{"reference":"Patient/demo-2"},"status":"accepted"})"),
     "", ErrorKind::kUnprocessable, "appointment-patient-several"},
    {"unknown patient, unrestricted", appointment("booked", "r", R"({"actor":{"reference":"Patient/nobody"},"status":"accepted"})"),
     "", ErrorKind::kUnprocessable, "patient-unknown"},
    {"no patient", appointment("booked", "r", R"({"actor":{"display":"Dr Durand"},"status":"accepted"})"),
     "demo", ErrorKind::kUnprocessable, "appointment-patient-missing"},
    {"unknown status", appointment("confirmed"), "demo", ErrorKind::kUnprocessable, "code-invalid"},
};

BOOST_DATA_TEST_CASE(create_refusals, bdata::make(kRefusals), r) {
  World w;
  RequestContext c = app();
  c.patientId = r.contextPatient;
  if (c.patientId.empty()) c.source.clear();
  auto created = w.agenda->create(parse(r.body), c);
  BOOST_REQUIRE(!created.isOk());
  BOOST_TEST((created.error().kind == r.kind));
  BOOST_TEST(codeOf(created.error()) == r.code);
  BOOST_TEST(w.count() == 0u);
  BOOST_TEST(w.outbox.sent.empty());
}

BOOST_AUTO_TEST_CASE(update_only_by_its_author_in_its_compartment) {
  World w;
  auto created = w.agenda->create(parse(appointment()), app());
  BOOST_REQUIRE(created.isOk());
  const std::string id = created->record.id;

  auto byOther = w.agenda->update(id, parse(appointment("cancelled")), std::nullopt, app(kSourceB));
  BOOST_REQUIRE(!byOther.isOk());
  BOOST_TEST(codeOf(byOther.error()) == "not-author");
  auto otherPatient = w.agenda->update(
      id, parse(appointment("booked", "rdv-1", R"({"actor":{"reference":"Patient/demo-2"},"status":"accepted"})")),
      std::nullopt, app(kSourceA, "demo-2"));
  BOOST_REQUIRE(!otherPatient.isOk());
  BOOST_TEST(codeOf(otherPatient.error()) == "not-found");
  auto unknown = w.agenda->update("nope", parse(appointment()), std::nullopt, app());
  BOOST_REQUIRE(!unknown.isOk());
  BOOST_TEST(codeOf(unknown.error()) == "not-found");
  auto stale = w.agenda->update(id, parse(appointment()), 7, app());
  BOOST_REQUIRE(!stale.isOk());
  BOOST_TEST((stale.error().kind == ErrorKind::kPreconditionFailed));

  // The author cancels: version 2, one cancellation notice; cancelling again sends none.
  auto cancelled = w.agenda->update(id, parse(appointment("cancelled")), 1, app());
  BOOST_REQUIRE(cancelled.isOk());
  BOOST_TEST(cancelled->record.versionId == 2);
  BOOST_TEST(!cancelled->created);
  auto again = w.agenda->update(id, parse(appointment("cancelled")), std::nullopt, app());
  BOOST_REQUIRE(again.isOk());
  BOOST_REQUIRE(w.outbox.sent.size() == 2u);
  BOOST_TEST(w.outbox.sent[1].kind == "appointment-cancelled");
  BOOST_TEST(w.outbox.sent[1].subject == "Rendez-vous annulé par Agenda Santé");
  BOOST_TEST(w.outbox.sent[1].body ==
             "L’application Agenda Santé a annulé votre rendez-vous du 01/12/2026 à 10:00 "
             "(« Consultation de suivi »).");
}

BOOST_AUTO_TEST_CASE(conditional_update_creates_then_replaces_within_the_writer) {
  World w;
  auto first = w.agenda->updateByIdentifier(key(), parse(appointment()), std::nullopt, app());
  BOOST_REQUIRE(first.isOk());
  BOOST_TEST(first->created);
  auto second = w.agenda->updateByIdentifier(key(), parse(appointment("arrived")), std::nullopt, app());
  BOOST_REQUIRE(second.isOk());
  BOOST_TEST(!second->created);
  BOOST_TEST(second->record.id == first->record.id);
  BOOST_TEST(second->record.versionId == 2);
  // Another service with the same identifier value gets its own appointment.
  auto other = w.agenda->updateByIdentifier(key(), parse(appointment()), std::nullopt, app(kSourceB));
  BOOST_REQUIRE(other.isOk());
  BOOST_TEST(other->created);
  BOOST_TEST(other->record.id != first->record.id);
  BOOST_TEST(w.count() == 2u);
  // If-Match against the match.
  auto stale = w.agenda->updateByIdentifier(key(), parse(appointment()), 1, app());
  BOOST_REQUIRE(!stale.isOk());
  BOOST_TEST(codeOf(stale.error()) == "version-conflict");
  BOOST_TEST(w.agenda->updateByIdentifier(key(), parse(appointment()), 2, app()).isOk());
  // Two created notices (A's and B's), no more.
  size_t createdNotices = 0;
  for (const auto& n : w.outbox.sent) createdNotices += n.kind == "appointment-created";
  BOOST_TEST(createdNotices == 2u);
}

BOOST_AUTO_TEST_CASE(conditional_update_refusals) {
  World w;
  auto noIdentifier = w.agenda->updateByIdentifier(key("other"), parse(appointment()), std::nullopt, app());
  BOOST_REQUIRE(!noIdentifier.isOk());
  BOOST_TEST(codeOf(noIdentifier.error()) == "identifier-mismatch");
  BOOST_TEST(mes::httpStatusOf(noIdentifier.error().kind) == 400);

  auto withId = w.agenda->updateByIdentifier(
      key(), parse(appointment("booked", "rdv-1",
                               R"({"actor":{"reference":"Patient/demo"},"status":"accepted"})",
                               R"("id":"chosen-by-app",)")),
      std::nullopt, app());
  BOOST_REQUIRE(!withId.isOk());
  BOOST_TEST(codeOf(withId.error()) == "id-mismatch");

  auto ifMatchNothing = w.agenda->updateByIdentifier(key(), parse(appointment()), 1, app());
  BOOST_REQUIRE(!ifMatchNothing.isOk());
  BOOST_TEST(mes::httpStatusOf(ifMatchNothing.error().kind) == 412);

  // Updating needs u, creating needs c too.
  RequestContext updateOnly = app();
  updateOnly.scopes = mes::oauth::ScopeSet::parse("patient/Appointment.u").value();
  auto noCreate = w.agenda->updateByIdentifier(key(), parse(appointment()), std::nullopt, updateOnly);
  BOOST_REQUIRE(!noCreate.isOk());
  BOOST_TEST(codeOf(noCreate.error()) == "consent-missing");
  BOOST_TEST(w.count() == 0u);

  // A second appointment of this service with the identifier: refused however it is written.
  auto first = w.agenda->create(parse(appointment()), app());
  BOOST_REQUIRE(first.isOk());
  auto again = w.agenda->create(parse(appointment()), app());
  BOOST_REQUIRE(!again.isOk());
  BOOST_TEST(codeOf(again.error()) == "identifier-in-use");
  BOOST_TEST(mes::httpStatusOf(again.error().kind) == 409);
  BOOST_TEST(again.error().problems.front().message.find(first->record.id) != std::string::npos);
  auto other = w.agenda->create(parse(appointment("booked", "rdv-2")), app());
  BOOST_REQUIRE(other.isOk());
  auto renamed = w.agenda->update(other->record.id, parse(appointment()), std::nullopt, app());
  BOOST_REQUIRE(!renamed.isOk());
  BOOST_TEST(codeOf(renamed.error()) == "identifier-in-use");
  // Updating an appointment with its own identifier is no conflict; another service's
  // appointment with the same identifier value neither.
  BOOST_TEST(w.agenda->update(first->record.id, parse(appointment()), std::nullopt, app()).isOk());
  BOOST_TEST(w.agenda->create(parse(appointment()), app(kSourceB)).isOk());
  BOOST_TEST(w.count() == 3u);

  // Two of this service's appointments with one identifier (data stored before the rule):
  // the conditional update cannot choose, 412.
  auto stored = mes::fhir::parseJson(appointment("booked", "rdv-2"));
  BOOST_REQUIRE(stored.isOk());
  mes::store::WriteRequest copy;
  copy.type = "Appointment";
  copy.id = "stored-before";
  copy.source = kSourceA;
  copy.index = indexRowsFor("Appointment", copy.id, *stored);
  copy.index.tokens.push_back({"_source", "", kSourceA});
  const std::string text = mes::fhir::toJson(*stored);
  copy.render = [text](int64_t, int64_t) -> mes::Result<std::string> { return text; };
  BOOST_REQUIRE(w.repo->create(copy).isOk());
  auto several =
      w.agenda->updateByIdentifier(key("rdv-2"), parse(appointment("booked", "rdv-2")),
                                   std::nullopt, app());
  BOOST_REQUIRE(!several.isOk());
  BOOST_TEST(codeOf(several.error()) == "multiple-matches");
  BOOST_TEST(mes::httpStatusOf(several.error().kind) == 412);
}

BOOST_AUTO_TEST_CASE(concurrent_conditional_updates_end_as_one_appointment) {
  World w;
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string identifier = "sync-" + std::to_string(round);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    std::vector<int> created(kThreads, -1);
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        mes::fhir::Value body = parse(appointment("booked", identifier));
        start.arrive_and_wait();  // all at once
        auto r = w.agenda->updateByIdentifier(key(identifier), std::move(body), std::nullopt, app());
        created[static_cast<size_t>(i)] = r.isOk() ? (r->created ? 1 : 0) : -1;
      });
    }
    for (auto& t : threads) t.join();
    int creates = 0;
    for (int c : created) {
      BOOST_TEST(c != -1);
      creates += c == 1;
    }
    BOOST_TEST(creates == 1, "round " << round);
  }
  BOOST_TEST(w.count() == static_cast<size_t>(kRounds));
}

BOOST_AUTO_TEST_SUITE_END()

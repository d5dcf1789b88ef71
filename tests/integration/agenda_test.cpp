// The Agenda API over HTTP against the real binary (SPEC §4, issue #4 point 5): create, read,
// search by each parameter with paging, conditional update (create then replace, and two
// concurrent ones ending as one appointment), update by id with If-Match, cancellation, the
// refusals (not-author, another patient's appointment, missing consent, bad input), no DELETE,
// the audit trail as the patient sees it, and the notifications in <data-dir>/outbox.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <regex>
#include <thread>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;
namespace bdata = boost::unit_test::data;

namespace {

constexpr const char* kAgendaScopes =
    "openid fhirUser launch/patient offline_access patient/Appointment.cu patient/Appointment.rs";
constexpr const char* kIdentifierSystem = "urn:oid:1.2.250.1.999.1.5";

World& world() {
  static std::unique_ptr<World> instance = std::make_unique<World>(longTokens());
  return *instance;
}

// The demo app paired with Patient/demo for the agenda (one pairing, shared by the tests).
HttpClient agendaApp() {
  static const std::string token = world().pair(world().request(kAgendaScopes)).accessToken;
  return world().app(token);
}

std::string participant(const std::string& patient) {
  return R"({"actor":{"reference":"Patient/)" + patient + R"("},"status":"accepted"})";
}

// An appointment of `patient`; `extra` is inserted as members after resourceType.
std::string appointment(const std::string& identifier, const std::string& start = "2026-12-01T10:00:00+01:00",
                        const std::string& end = "2026-12-01T10:30:00+01:00",
                        const std::string& status = "booked", const std::string& patient = "demo",
                        const std::string& extra = "") {
  return R"({"resourceType":"Appointment",)" + extra + R"("identifier":[{"system":")" +
         kIdentifierSystem + R"(","value":")" + identifier + R"("}],"status":")" + status +
         R"(","description":"Consultation de suivi","start":")" + start + R"(","end":")" + end +
         R"(","participant":[)" + participant(patient) +
         R"(,{"actor":{"display":"Dr Durand"},"status":"accepted"}]})";
}

std::string conditional(const std::string& identifier) {
  return "/fhir/Appointment?identifier=" + urlEncode(std::string(kIdentifierSystem) + "|" + identifier);
}

// The ids of a searchset Bundle, in order.
std::vector<std::string> idsOf(const HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 200, "search: " + std::to_string(r.status) + " " + r.body.substr(0, 300));
  std::vector<std::string> out;
  Value bundle = jsonOf(r);
  if (const Value* entries = bundle.find("entry")) {
    for (const auto& e : entries->items()) out.push_back(stringOf(*e.find("resource"), "id"));
  }
  return out;
}

int64_t totalOf(const HttpResponse& r) { return jsonOf(r).find("total")->asInt().value_or(-1); }

std::string linkOf(const HttpResponse& r, const std::string& relation) {
  Value bundle = jsonOf(r);
  for (const auto& l : bundle.find("link")->items()) {
    if (stringOf(l, "relation") == relation) return stringOf(l, "url");
  }
  return {};
}

void expectOutcome(const HttpResponse& r, int status, const std::string& code) {
  BOOST_TEST(r.status == status, "HTTP " << r.status << " " << r.body.substr(0, 300));
  BOOST_TEST(outcomeCode(r) == code, outcomeText(r));
}
std::vector<Value> noticesAbout(const std::string& appointment) {
  return outboxNotices(*world().gw, "appointment", appointment);
}

std::vector<std::string> activity() { return activityRows(*world().gw, world().demoBrowser); }

}  // namespace

BOOST_AUTO_TEST_SUITE(agenda)

BOOST_AUTO_TEST_CASE(metadata_lists_the_agenda_routes) {
  Value cs = jsonOf(world().gw->client().get("/fhir/metadata"));
  bool seen = false;
  for (const auto& res : cs.find("rest")->items()[0].find("resource")->items()) {
    if (stringOf(res, "type") != "Appointment") continue;
    seen = true;
    std::vector<std::string> interactions;
    for (const auto& i : res.find("interaction")->items()) interactions.push_back(stringOf(i, "code"));
    BOOST_TEST(interactions == (std::vector<std::string>{"read", "update", "create", "search-type"}),
               boost::test_tools::per_element());
    BOOST_TEST(res.find("conditionalUpdate")->asBool());
    std::vector<std::string> params;
    for (const auto& p : res.find("searchParam")->items()) params.push_back(stringOf(p, "name"));
    for (const char* name : {"patient", "date", "status", "identifier", "_count", "_offset"}) {
      BOOST_TEST((std::find(params.begin(), params.end(), name) != params.end()), name);
    }
  }
  BOOST_TEST(seen);
}

BOOST_AUTO_TEST_CASE(create_read_audit_and_notify) {
  HttpClient c = agendaApp();
  HttpResponse created = c.post("/fhir/Appointment",
                                appointment("create-1", "2026-12-01T10:00:00+01:00",
                                            "2026-12-01T10:30:00+01:00", "booked", "demo",
                                            R"("meta":{"source":"urn:forged"},"id":"mine",)"));
  const std::string id = createdId(created);
  BOOST_TEST(id != "mine");
  BOOST_TEST(created.header("ETag") == "W/\"1\"");
  BOOST_TEST(created.header("Location") ==
             world().gw->baseUrl() + "/fhir/Appointment/" + id + "/_history/1");
  BOOST_TEST(stringOf(*jsonOf(created).find("meta"), "source") == "urn:oid:1.2.250.1.999.1#demo-app");

  HttpResponse read = c.get("/fhir/Appointment/" + id);
  BOOST_TEST(read.status == 200);
  BOOST_TEST(read.body == created.body);
  BOOST_TEST(read.header("ETag") == "W/\"1\"");
  expectOutcome(c.get("/fhir/Appointment/never-was"), 404, "not-found");
  // The same identifier again: the app is told which appointment has it.
  HttpResponse twice = c.post("/fhir/Appointment", appointment("create-1"));
  expectOutcome(twice, 409, "identifier-in-use");
  BOOST_TEST(outcomeText(twice).find("Appointment/" + id) != std::string::npos, outcomeText(twice));

  // The notification, in French, for the patient.
  const auto notices = noticesAbout("Appointment/" + id);
  BOOST_TEST_REQUIRE(notices.size() == 1u);
  BOOST_TEST(stringOf(notices[0], "kind") == "appointment-created");
  BOOST_TEST(stringOf(notices[0], "recipient") == "demo");
  BOOST_TEST(stringOf(notices[0], "subject") == "Nouveau rendez-vous ajouté par Carnet Démo");
  BOOST_TEST(stringOf(notices[0], "body").find("L’application Carnet Démo a ajouté un rendez-vous à "
                                               "votre agenda Mon espace santé le 01/12/2026 à 10:00 "
                                               ": « Consultation de suivi »") != std::string::npos,
             stringOf(notices[0], "body"));
  BOOST_TEST(stringOf(*notices[0].find("data"), "client_id") == "demo-app");

  // The audit trail names the appointment (create, read, unknown id), as the patient sees it.
  const auto rows = activity();
  BOOST_TEST(listed(rows, "Carnet Démo a enregistré un rendez-vous | réussi"));
  BOOST_TEST(listed(rows, "Carnet Démo a lu un rendez-vous | réussi"));
  BOOST_TEST(listed(rows, "Accès refusé à Carnet Démo : donnée introuvable | refusé"));
}

BOOST_AUTO_TEST_CASE(search_by_each_parameter_with_paging) {
  HttpClient c = agendaApp();
  const std::string a = createdId(c.post("/fhir/Appointment",
      appointment("search-a", "2027-03-01T09:00:00Z", "2027-03-01T09:30:00Z")));
  const std::string b = createdId(c.post("/fhir/Appointment",
      appointment("search-b", "2027-03-01T14:00:00Z", "2027-03-01T15:00:00Z", "cancelled")));
  const std::string d = createdId(c.post("/fhir/Appointment",
      appointment("search-d", "2027-03-09T08:00:00Z", "2027-03-09T08:20:00Z", "fulfilled")));
  const std::string march = "&date=ge2027-03-01&date=lt2027-04-01";

  using V = std::vector<std::string>;
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?patient=demo" + march)) == (V{a, b, d}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?patient=Patient/demo&_sort=-date" + march)) == (V{d, b, a}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?date=2027-03-01")) == (V{a, b}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?date=sa2027-03-01T09:30:00Z" + march)) == (V{b, d}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?date=eb2027-03-02" + march)) == (V{a, b}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?date=ne2027-03-01" + march)) == (V{d}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?status=cancelled" + march)) == (V{b}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?status=booked,fulfilled" + march)) == (V{a, d}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?identifier=" +
                         urlEncode(std::string(kIdentifierSystem) + "|search-d"))) == (V{d}));
  BOOST_TEST(idsOf(c.get("/fhir/Appointment?identifier=search-b")) == (V{b}));

  // Paging: total, next / previous links carrying the query.
  HttpResponse page1 = c.get("/fhir/Appointment?_count=2" + march);
  BOOST_TEST(idsOf(page1) == (V{a, b}));
  BOOST_TEST(totalOf(page1) == 3);
  const std::string next = linkOf(page1, "next");
  BOOST_TEST(next.find("_count=2&_offset=2") != std::string::npos, next);
  HttpResponse page2 = c.get(pathOf(next));
  BOOST_TEST(idsOf(page2) == (V{d}));
  BOOST_TEST(linkOf(page2, "next").empty());
  BOOST_TEST(linkOf(page2, "previous").find("_offset=0") != std::string::npos);
  BOOST_TEST(totalOf(c.get("/fhir/Appointment?_count=0" + march)) == 3);

  // Refusals.
  expectOutcome(c.get("/fhir/Appointment?patient=demo-2"), 403, "patient-mismatch");
  expectOutcome(c.get("/fhir/Appointment?status=confirmed"), 400, "invalid-search-token");
  expectOutcome(c.get("/fhir/Appointment?code=x"), 400, "unknown-search-parameter");
  expectOutcome(c.get("/fhir/Appointment?_count=101"), 400, "page-size-too-large");
  expectOutcome(c.get("/fhir/Appointment?date=xx2027"), 400, "invalid-search-date");
}

BOOST_AUTO_TEST_CASE(conditional_update_creates_then_replaces) {
  HttpClient c = agendaApp();
  HttpResponse first = c.put(conditional("sync-1"), appointment("sync-1"));
  BOOST_TEST_REQUIRE(first.status == 201, first.body.substr(0, 300));
  const std::string id = stringOf(jsonOf(first), "id");
  BOOST_TEST(first.header("ETag") == "W/\"1\"");
  HttpResponse second = c.put(conditional("sync-1"),
                              appointment("sync-1", "2026-12-02T10:00:00+01:00", "2026-12-02T11:00:00+01:00"));
  BOOST_TEST_REQUIRE(second.status == 200, second.body.substr(0, 300));
  BOOST_TEST(stringOf(jsonOf(second), "id") == id);
  BOOST_TEST(second.header("ETag") == "W/\"2\"");
  BOOST_TEST(stringOf(jsonOf(c.get("/fhir/Appointment/" + id)), "start") == "2026-12-02T10:00:00+01:00");
  // The id of the match may be given; another is refused.
  BOOST_TEST(c.put(conditional("sync-1"), withId(appointment("sync-1"), id)).status == 200);
  expectOutcome(c.put(conditional("sync-1"), withId(appointment("sync-1"), "other-id")), 400, "id-mismatch");
  expectOutcome(c.put(conditional("sync-new"), withId(appointment("sync-new"), "other-id")), 400, "id-mismatch");
  // If-Match against the match.
  expectOutcome(c.put(conditional("sync-1"), appointment("sync-1"), "application/fhir+json",
                      {{"If-Match", "W/\"1\""}}),
                412, "version-conflict");
  BOOST_TEST(c.put(conditional("sync-1"), appointment("sync-1"), "application/fhir+json",
                   {{"If-Match", "W/\"3\""}})
                 .status == 200);
  // The query's identifier must be in the body; the query takes nothing else.
  expectOutcome(c.put(conditional("sync-1"), appointment("sync-2")), 400, "identifier-mismatch");
  expectOutcome(c.put("/fhir/Appointment", appointment("sync-1")), 400, "invalid-conditional-update");
  expectOutcome(c.put("/fhir/Appointment?identifier=sync-1", appointment("sync-1")), 400,
                "invalid-conditional-update");
  expectOutcome(c.put(conditional("sync-1") + "&status=booked", appointment("sync-1")), 400,
                "unknown-parameter");
  // One resource, one created notice; the audit trail says created then modified.
  BOOST_TEST(totalOf(c.get(conditional("sync-1"))) == 1);
  BOOST_TEST(noticesAbout("Appointment/" + id).size() == 1u);
  const auto rows = activity();
  BOOST_TEST(listed(rows, "Carnet Démo a modifié un rendez-vous | réussi"));
}

BOOST_AUTO_TEST_CASE(two_concurrent_conditional_puts_end_as_one_appointment) {
  HttpClient probe = agendaApp();
  for (int round = 0; round < 10; ++round) {
    const std::string identifier = "race-" + std::to_string(round);
    std::vector<int> statuses(2, 0);
    std::latch start(2);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 2; ++i) {
      threads.emplace_back([&statuses, &start, i, identifier] {
        HttpClient c = agendaApp();  // a client (connection) of its own
        const std::string body = appointment(identifier);
        start.arrive_and_wait();
        statuses[i] = c.put(conditional(identifier), body).status;
      });
    }
    for (auto& t : threads) t.join();
    std::sort(statuses.begin(), statuses.end());
    BOOST_TEST(statuses == (std::vector<int>{200, 201}), "round " << round);
    BOOST_TEST(totalOf(probe.get(conditional(identifier))) == 1, "round " << round);
  }
}

BOOST_AUTO_TEST_CASE(update_by_id_if_match_and_cancellation) {
  HttpClient c = agendaApp();
  const std::string id = createdId(c.post("/fhir/Appointment", appointment("upd-1")));
  HttpResponse moved = c.put("/fhir/Appointment/" + id,
                             withId(appointment("upd-1", "2026-12-03T10:00:00+01:00",
                                                "2026-12-03T10:30:00+01:00"), id),
                             "application/fhir+json", {{"If-Match", "W/\"1\""}});
  BOOST_TEST(moved.status == 200, moved.body.substr(0, 300));
  BOOST_TEST(moved.header("ETag") == "W/\"2\"");
  expectOutcome(c.put("/fhir/Appointment/" + id, withId(appointment("upd-1"), id),
                      "application/fhir+json", {{"If-Match", "W/\"1\""}}),
                412, "version-conflict");
  expectOutcome(c.put("/fhir/Appointment/" + id, withId(appointment("upd-1"), "other")), 400, "id-mismatch");
  expectOutcome(c.put("/fhir/Appointment/never-was", withId(appointment("upd-1"), "never-was")), 404,
                "not-found");
  // Cancelling: a new version and one notice to the patient.
  HttpResponse cancelled = c.put("/fhir/Appointment/" + id,
                                 withId(appointment("upd-1", "2026-12-03T10:00:00+01:00",
                                                    "2026-12-03T10:30:00+01:00", "cancelled"), id));
  BOOST_TEST(cancelled.status == 200);
  BOOST_TEST(stringOf(jsonOf(c.get("/fhir/Appointment/" + id)), "status") == "cancelled");
  const auto notices = noticesAbout("Appointment/" + id);
  BOOST_TEST_REQUIRE(notices.size() == 2u);
  BOOST_TEST(stringOf(notices[1], "kind") == "appointment-cancelled");
  BOOST_TEST(stringOf(notices[1], "body") ==
             "L’application Carnet Démo a annulé votre rendez-vous du 03/12/2026 à 10:00 "
             "(« Consultation de suivi »).");
  // No DELETE: apps cancel.
  HttpResponse del = c.del("/fhir/Appointment/" + id);
  BOOST_TEST(del.status == 405);
  BOOST_TEST(del.header("Allow") == "GET, PUT");
  BOOST_TEST(outcomeCode(del) == "method-not-allowed");
  BOOST_TEST(c.get("/fhir/Appointment/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(only_the_author_changes_an_appointment) {
  World& w = world();
  addService(*w.gw, "agenda-b", "https://agenda-b.example/cb");
  HttpClient a = agendaApp();
  HttpClient b = w.app(w.pair(w.request(kAgendaScopes, "agenda-b", "https://agenda-b.example/cb")).accessToken);
  const std::string id = createdId(a.post("/fhir/Appointment", appointment("author-1")));

  BOOST_TEST(b.get("/fhir/Appointment/" + id).status == 200);  // same patient: B reads it
  expectOutcome(b.put("/fhir/Appointment/" + id,
                      withId(appointment("author-1", "2026-12-01T10:00:00+01:00",
                                         "2026-12-01T10:30:00+01:00", "cancelled"), id)),
                403, "not-author");
  BOOST_TEST(a.get("/fhir/Appointment/" + id).header("ETag") == "W/\"1\"");
  // B's conditional update with A's identifier value does not reach A's appointment: B gets
  // its own, written with B's identity.
  HttpResponse own = b.put(conditional("author-1"), appointment("author-1"));
  BOOST_TEST_REQUIRE(own.status == 201, own.body.substr(0, 300));
  BOOST_TEST(stringOf(jsonOf(own), "id") != id);
  BOOST_TEST(stringOf(*jsonOf(own).find("meta"), "source") == "urn:oid:1.2.250.1.999.77#agenda-b");
  BOOST_TEST(a.get("/fhir/Appointment/" + id).header("ETag") == "W/\"1\"");
  expectOutcome(a.put("/fhir/Appointment/" + stringOf(jsonOf(own), "id"),
                      withId(appointment("author-1"), stringOf(jsonOf(own), "id"))),
                403, "not-author");
  BOOST_TEST(totalOf(a.get(conditional("author-1"))) == 2);  // both are the patient's
}

BOOST_AUTO_TEST_CASE(another_patients_appointment_does_not_exist_for_the_app) {
  World& w = world();
  HttpClient theirs = w.app(w.pair(w.request(kAgendaScopes), {}, &w.other).accessToken);
  const std::string id = createdId(theirs.post("/fhir/Appointment", appointment("theirs-1",
      "2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00", "booked", "demo-2")));
  HttpClient mine = agendaApp();
  expectOutcome(mine.get("/fhir/Appointment/" + id), 404, "not-found");
  expectOutcome(mine.put("/fhir/Appointment/" + id, withId(appointment("theirs-1"), id)), 404, "not-found");
  BOOST_TEST(totalOf(mine.get(conditional("theirs-1"))) == 0);
  BOOST_TEST(mine.get("/fhir/Appointment?_count=100").body.find(id) == std::string::npos);
  // Naming demo-2 in a body is a patient mismatch, whatever the route.
  const std::string forDemo2 = appointment("theirs-1", "2026-12-01T10:00:00+01:00",
                                           "2026-12-01T10:30:00+01:00", "booked", "demo-2");
  expectOutcome(mine.post("/fhir/Appointment", forDemo2), 403, "patient-mismatch");
  expectOutcome(mine.put(conditional("theirs-1"), forDemo2), 403, "patient-mismatch");
  expectOutcome(mine.put("/fhir/Appointment/" + id, withId(forDemo2, id)), 403, "patient-mismatch");
  BOOST_TEST(theirs.get("/fhir/Appointment/" + id).header("ETag") == "W/\"1\"");
}

BOOST_AUTO_TEST_CASE(without_the_agenda_consent_every_route_is_refused) {
  World& w = world();
  // The patient ticks only the measures rows of a request that also asks for the agenda.
  HttpClient c = w.app(w.pair(w.request(std::string(kMeasureScopes) + " patient/Appointment.cu patient/Appointment.rs"),
                              {"mesures.read", "mesures.write"}).accessToken);
  expectOutcome(c.post("/fhir/Appointment", appointment("consent-1")), 403, "consent-missing");
  expectOutcome(c.put(conditional("consent-1"), appointment("consent-1")), 403, "consent-missing");
  expectOutcome(c.get("/fhir/Appointment?patient=demo"), 403, "consent-missing");
  expectOutcome(c.get("/fhir/Appointment/any"), 403, "consent-missing");
  BOOST_TEST(c.get("/fhir/Observation?patient=demo").status == 200);
  // The agenda pairing back for the other tests.
  w.pair(w.request(kAgendaScopes));
}

BOOST_AUTO_TEST_CASE(each_scope_letter_allows_only_its_interactions) {
  World& w = world();
  HttpClient full = agendaApp();
  const std::string id = createdId(full.post("/fhir/Appointment", appointment("letters-1")));

  // An app that asked only to write (patient/Appointment.cu): it cannot read back.
  HttpClient writer = w.app(w.pair(w.request("openid patient/Appointment.cu")).accessToken);
  const std::string own = createdId(writer.post("/fhir/Appointment", appointment("letters-2")));
  BOOST_TEST(writer.put(conditional("letters-3"), appointment("letters-3")).status == 201);
  expectOutcome(writer.get("/fhir/Appointment/" + own), 403, "consent-missing");
  expectOutcome(writer.get("/fhir/Appointment?patient=demo"), 403, "consent-missing");

  // An app that asked only to read (patient/Appointment.rs): it cannot write.
  HttpClient reader = w.app(w.pair(w.request("openid patient/Appointment.rs")).accessToken);
  BOOST_TEST(reader.get("/fhir/Appointment/" + id).status == 200);
  BOOST_TEST(reader.get("/fhir/Appointment?patient=demo").status == 200);
  expectOutcome(reader.post("/fhir/Appointment", appointment("letters-4")), 403,
                "consent-missing");
  expectOutcome(reader.put(conditional("letters-1"), appointment("letters-1")), 403,
                "consent-missing");
  expectOutcome(reader.put("/fhir/Appointment/" + id, appointment("letters-1")), 403,
                "consent-missing");
  BOOST_TEST(totalOf(full.get(conditional("letters-4"))) == 0);  // nothing was written
  w.pair(w.request(kAgendaScopes));  // the full pairing back for the other tests
}

BOOST_AUTO_TEST_CASE(the_patient_may_be_named_by_identifier) {
  HttpClient c = agendaApp();
  const std::string id = createdId(c.post("/fhir/Appointment", appointment("by-ins-1")));
  const std::string ins = urlEncode("urn:oid:1.2.250.1.213.1.4.8|248092A01234567");
  HttpResponse mine = c.get("/fhir/Appointment?patient.identifier=" + ins +
                            "&identifier=" + urlEncode(std::string(kIdentifierSystem) + "|by-ins-1"));
  BOOST_TEST((idsOf(mine) == std::vector<std::string>{id}));
  // Patient/demo-2's INS: another patient.
  expectOutcome(c.get("/fhir/Appointment?patient.identifier=" +
                      urlEncode("urn:oid:1.2.250.1.213.1.4.8|171077512345678")),
                403, "patient-mismatch");
  expectOutcome(c.get("/fhir/Appointment?patient.identifier=171077512345678"), 400,
                "invalid-search-token");
  BOOST_TEST(totalOf(c.get("/fhir/Appointment?patient.identifier=" +
                           urlEncode("urn:oid:1.2.250.1.213.1.4.8|000000000000000"))) == 0);
}

struct BadInput {
  const char* what;
  std::string body;
  int status;
  const char* code;
  const char* contentType = "application/fhir+json";
};
std::ostream& operator<<(std::ostream& os, const BadInput& b) { return os << b.what; }

std::string deep(int depth) {
  std::string open;
  std::string close;
  for (int i = 0; i < depth; ++i) {
    open += R"({"extension":[)";
    close += "]}";
  }
  return R"({"resourceType":"Appointment","text":)" + open + "{}" + close + "}";
}

const BadInput kBadInputs[] = {
    {"malformed JSON", R"({"resourceType":"Appointment",)", 400, "json-malformed"},
    {"not an object", "[]", 400, "resource-not-object"},
    {"another resource type", R"({"resourceType":"Observation"})", 400, "resource-type-mismatch"},
    {"priority of a wrong type", appointment("bad-1", "2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00", "booked", "demo",
                                           R"("priority":"high",)"), 400, "invalid-type"},
    {"start a date", appointment("bad-1", "2026-12-01"), 400, "invalid-datetime"},
    {"unknown element", appointment("bad-1", "2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00", "booked", "demo",
                                    R"("room":"B12",)"), 400, "unknown-element"},
    {"start equals end", appointment("bad-1", "2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00"), 422,
     "appointment-period-invalid"},
    {"start after end", appointment("bad-1", "2026-12-01T11:00:00+01:00", "2026-12-01T10:00:00+01:00"), 422,
     "appointment-period-invalid"},
    {"unknown status", appointment("bad-1", "2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00", "confirmed"), 422,
     "code-invalid"},
    {"patient missing", R"({"resourceType":"Appointment","status":"booked","start":"2026-12-01T10:00:00Z",)"
                        R"("end":"2026-12-01T10:30:00Z","participant":[{"actor":{"display":"Dr Durand"},"status":"accepted"}]})",
     422, "appointment-patient-missing"},
    {"no participant", R"({"resourceType":"Appointment","status":"booked","start":"2026-12-01T10:00:00Z","end":"2026-12-01T10:30:00Z"})",
     422, "element-missing"},
    {"too deep", deep(40), 400, "json-too-deep"},
    {"wrong content type", appointment("bad-1"), 415, "content-type-unsupported", "text/plain"},
};

BOOST_DATA_TEST_CASE(bad_input_is_an_operation_outcome, bdata::make(kBadInputs), b) {
  HttpClient c = agendaApp();
  for (const std::string& target : {std::string("/fhir/Appointment"), conditional("bad-1")}) {
    HttpResponse r = target == "/fhir/Appointment" ? c.post(target, b.body, b.contentType)
                                                   : c.put(target, b.body, b.contentType);
    BOOST_TEST(r.status == b.status, target << ": HTTP " << r.status << " " << r.body.substr(0, 300));
    BOOST_TEST(outcomeCode(r) == b.code, target << ": " << outcomeText(r));
  }
  BOOST_TEST(totalOf(c.get(conditional("bad-1"))) == 0);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_is_413) {
  HttpClient c = agendaApp();
  std::string huge = appointment("huge-1", "2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00", "booked", "demo",
                                 "\"comment\":\"" + std::string(1100000, 'x') + "\",");
  HttpResponse r = c.post("/fhir/Appointment", huge);
  BOOST_TEST(r.status == 413);
  BOOST_TEST(outcomeCode(r) == "body-too-large");
}

BOOST_AUTO_TEST_SUITE_END()

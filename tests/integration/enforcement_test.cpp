// Enforcement on every /fhir call (issue #3 point 6, SPEC §1), over HTTP against the real
// gateway: the scope letter of each interaction (403 consent-missing), a pairing narrowed by the
// patient taking effect at once, the patient compartment (403 patient-mismatch in searches and
// writes, 404 for another patient's resources, deleted ones included), authorship (403
// not-author, meta.source = the service's OID), suspension and reinstatement of a service, and a
// service that is not referenced.
#include <boost/test/unit_test.hpp>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;

namespace {

World& guarded() {
  static std::unique_ptr<World> world = std::make_unique<World>();
  return *world;
}

// A token of the demo app for Patient/demo-2 (the second demo patient pairs it in their portal).
std::string otherPatientToken() {
  World& w = guarded();
  return w.pair(w.request(), {}, &w.other).accessToken;
}

void expectForbidden(const HttpResponse& r, const std::string& code) {
  BOOST_TEST(r.status == 403);
  BOOST_TEST(outcomeCode(r) == code);
  BOOST_TEST(r.body.find("\"entry\"") == std::string::npos);
}

void expectNotFound(const HttpResponse& r) {
  BOOST_TEST(r.status == 404);
  BOOST_TEST(outcomeCode(r) == "not-found");
  BOOST_TEST(r.body.find("\"valueQuantity\"") == std::string::npos);
}

std::string transactionOf(const std::string& observation) {
  return R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:5b6f0c36-0d5e-4a55-9d0e-1f3f7ad7e001","resource":)" +
         observation + R"(,"request":{"method":"POST","url":"Observation"}}]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(enforcement)

BOOST_AUTO_TEST_CASE(each_interaction_needs_its_scope_letter) {
  World& w = guarded();
  PairingResult full = w.pair();
  HttpClient writer = w.app(full.accessToken);
  const std::string id = createdId(writer.post("/fhir/Observation", weightOf("demo", "66.0")));

  // The patient narrows the pairing to reading: the full token is narrowed at once (the scope
  // applied is the token's ∩ the pairing's).
  PairingResult readOnly = w.pair(w.request(), {"mesures.read"});
  for (HttpClient c : {w.app(readOnly.accessToken), writer}) {
    BOOST_TEST(c.get("/fhir/Observation/" + id).status == 200);
    BOOST_TEST(c.get("/fhir/Observation?patient=demo").status == 200);
    BOOST_TEST(c.get("/fhir/Observation/" + id + "/_history").status == 200);
    BOOST_TEST(c.get("/fhir/Observation/" + id + "/_history/1").status == 200);
    expectForbidden(c.post("/fhir/Observation", weightOf("demo")), "consent-missing");
    expectForbidden(c.put("/fhir/Observation/" + id, withId(weightOf("demo", "67.0"), id)),
                    "consent-missing");
    expectForbidden(c.del("/fhir/Observation/" + id), "consent-missing");
    expectForbidden(c.post("/fhir", transactionOf(weightOf("demo"))), "consent-missing");
    // No MES family grants the Patient resource.
    expectForbidden(c.get("/fhir/Patient/demo"), "consent-missing");
  }

  // Writing only: create, update, delete; no read, no search.
  PairingResult writeOnly = w.pair(w.request(), {"mesures.write"});
  HttpClient c = w.app(writeOnly.accessToken);
  const std::string mine = createdId(c.post("/fhir/Observation", weightOf("demo", "68.0")));
  expectForbidden(c.get("/fhir/Observation/" + mine), "consent-missing");
  expectForbidden(c.get("/fhir/Observation?patient=demo"), "consent-missing");
  expectForbidden(c.get("/fhir/Observation/" + mine + "/_history"), "consent-missing");
  BOOST_TEST(c.put("/fhir/Observation/" + mine, withId(weightOf("demo", "68.5"), mine)).status ==
             200);
  BOOST_TEST(c.del("/fhir/Observation/" + mine).status == 204);
  BOOST_TEST(c.post("/fhir", transactionOf(weightOf("demo", "69.0"))).status == 200);
  // The reading token now reads nothing: the pairing no longer grants reading.
  BOOST_TEST(w.app(readOnly.accessToken).get("/fhir/Observation/" + id).status == 403);

  // Back to everything: the first token writes again.
  w.pair();
  BOOST_TEST(writer.put("/fhir/Observation/" + id, withId(weightOf("demo", "66.5"), id)).status ==
             200);
}

BOOST_AUTO_TEST_CASE(another_patients_id_in_a_search_is_patient_mismatch) {
  World& w = guarded();
  HttpClient c = w.app(w.pair().accessToken);
  const std::string otherIdentifier = std::string(kInsSystem) + "|" + kOtherIns;
  for (const std::string& query :
       {std::string("patient=demo-2"), std::string("patient=Patient/demo-2"),
        std::string("subject=Patient/demo-2"), std::string("subject=demo-2"),
        "subject.identifier=" + urlEncode(otherIdentifier),
        "patient=demo&subject.identifier=" + urlEncode(otherIdentifier),
        std::string("patient=demo-2&code=29463-7&_sort=-date&_count=1"),
        "patient=" + urlEncode("https://elsewhere.example/fhir/Patient/demo-2")}) {
    BOOST_TEST_CONTEXT(query) {
      HttpResponse r = c.get("/fhir/Observation?" + query);
      BOOST_TEST(r.status != 200);
      if (r.status != 400) expectForbidden(r, "patient-mismatch");
    }
  }
  // The precise answers SPEC §1 names.
  expectForbidden(c.get("/fhir/Observation?patient=demo-2"), "patient-mismatch");
  expectForbidden(c.get("/fhir/Observation?subject=Patient/demo-2"), "patient-mismatch");
  expectForbidden(c.get("/fhir/Observation?subject.identifier=" + urlEncode(otherIdentifier)),
                  "patient-mismatch");
  // The patient's own ids work.
  BOOST_TEST(c.get("/fhir/Observation?patient=demo").status == 200);
  BOOST_TEST(c.get("/fhir/Observation?subject=Patient/demo").status == 200);
  BOOST_TEST(c.get("/fhir/Observation?subject.identifier=" +
                   urlEncode(std::string(kInsSystem) + "|" + kDemoIns))
                 .status == 200);
}

BOOST_AUTO_TEST_CASE(another_patients_resources_do_not_exist_for_the_app) {
  World& w = guarded();
  // demo-2 paired the same app, which wrote a measure for them.
  HttpClient theirs = w.app(otherPatientToken());
  const std::string id = createdId(theirs.post("/fhir/Observation", weightOf("demo-2", "81.0")));
  const std::string identifier = "urn:oid:1.2.250.1.999.1|other-patient-weight-1";
  std::string tagged = weightOf("demo-2", "82.0");
  tagged.insert(
      1,
      R"("identifier":[{"system":"urn:oid:1.2.250.1.999.1","value":"other-patient-weight-1"}],)");
  const std::string taggedId = createdId(theirs.post("/fhir/Observation", tagged));

  HttpClient mine = w.app(w.pair().accessToken);  // the same app, for Patient/demo
  expectNotFound(mine.get("/fhir/Observation/" + id));
  expectNotFound(mine.get("/fhir/Observation/" + id + "/_history"));
  expectNotFound(mine.get("/fhir/Observation/" + id + "/_history/1"));
  // Writes: the same answer as for an id that never existed (the author is the same service).
  expectNotFound(mine.put("/fhir/Observation/" + id, withId(weightOf("demo", "10.0"), id)));
  expectNotFound(mine.del("/fhir/Observation/" + id));
  expectNotFound(mine.get("/fhir/Observation/never-existed"));
  // Naming demo-2 in the body is a patient mismatch.
  expectForbidden(mine.put("/fhir/Observation/" + id, withId(weightOf("demo-2", "10.0"), id)),
                  "patient-mismatch");
  expectForbidden(mine.post("/fhir/Observation", weightOf("demo-2")), "patient-mismatch");
  HttpResponse tx = mine.post("/fhir", transactionOf(weightOf("demo-2")));
  expectForbidden(tx, "patient-mismatch");
  // Searches stay in the compartment: by identifier, without a patient, with an include.
  Value byIdentifier = jsonOf(mine.get("/fhir/Observation?identifier=" + urlEncode(identifier)));
  BOOST_TEST(byIdentifier.find("total")->asInt().value_or(-1) == 0);
  HttpResponse all = mine.get("/fhir/Observation?_count=100&_include=Observation:device");
  BOOST_TEST(all.status == 200);
  BOOST_TEST(all.body.find(id) == std::string::npos);
  BOOST_TEST(all.body.find(taggedId) == std::string::npos);
  BOOST_TEST(all.body.find("Patient/demo-2") == std::string::npos);

  // Nothing changed for demo-2.
  HttpResponse still = theirs.get("/fhir/Observation/" + id);
  BOOST_TEST(still.status == 200);
  BOOST_TEST(still.header("ETag") == "W/\"1\"");

  // A deleted measure of demo-2 is as absent for demo's access as one that never existed (a 410
  // or a 204 would tell that it existed).
  BOOST_TEST_REQUIRE(theirs.del("/fhir/Observation/" + taggedId).status == 204);
  expectNotFound(mine.get("/fhir/Observation/" + taggedId));
  HttpResponse putDeleted =
      mine.put("/fhir/Observation/" + taggedId, withId(weightOf("demo", "10.0"), taggedId));
  BOOST_TEST(
      putDeleted.status == 404,
      "GATEWAY BUG (existence leak): PUT of another patient's deleted measure answers "
          << putDeleted.status << " " << outcomeCode(putDeleted)
          << " where an unknown id answers 404 (MeasureService::update checks deleted before "
             "the compartment)");
  HttpResponse delDeleted = mine.del("/fhir/Observation/" + taggedId);
  BOOST_TEST(delDeleted.status == 404,
             "GATEWAY BUG (existence leak): DELETE of another patient's deleted measure answers "
                 << delDeleted.status
                 << " where an unknown id answers 404 (MeasureService::remove returns the deleted "
                    "record before the compartment check)");
}

BOOST_AUTO_TEST_CASE(an_app_changes_only_what_it_wrote) {
  World& w = guarded();
  addService(*w.gw, "writer-b", "https://writer-b.example/cb");
  // App A (the demo app) and app B are both paired with demo-2.
  HttpClient a = w.app(otherPatientToken());
  HttpClient b = w.app(
      w.pair(w.request(kMeasureScopes, "writer-b", "https://writer-b.example/cb"), {}, &w.other)
          .accessToken);
  HttpResponse created = a.post("/fhir/Observation", weightOf("demo-2", "90.0"));
  const std::string id = createdId(created);
  BOOST_TEST(stringOf(*jsonOf(created).find("meta"), "source") ==
             "urn:oid:1.2.250.1.999.1#demo-app");

  BOOST_TEST(b.get("/fhir/Observation/" + id).status == 200);  // same patient: B may read it
  expectForbidden(b.put("/fhir/Observation/" + id, withId(weightOf("demo-2", "91.0"), id)),
                  "not-author");
  expectForbidden(b.del("/fhir/Observation/" + id), "not-author");
  HttpResponse unchanged = a.get("/fhir/Observation/" + id);
  BOOST_TEST(unchanged.header("ETag") == "W/\"1\"");

  // B's own writes carry B's identity, and A cannot change them either.
  HttpResponse own = b.post("/fhir/Observation", weightOf("demo-2", "92.0"));
  const std::string ownId = createdId(own);
  BOOST_TEST(stringOf(*jsonOf(own).find("meta"), "source") == "urn:oid:1.2.250.1.999.77#writer-b");
  expectForbidden(a.put("/fhir/Observation/" + ownId, withId(weightOf("demo-2", "93.0"), ownId)),
                  "not-author");
  // Each author may change its own.
  BOOST_TEST(a.put("/fhir/Observation/" + id, withId(weightOf("demo-2", "90.5"), id)).status ==
             200);
  BOOST_TEST(b.del("/fhir/Observation/" + ownId).status == 204);
}

BOOST_AUTO_TEST_CASE(
    suspension_refuses_the_services_tokens_at_once_and_reinstatement_restores_them) {
  World& w = guarded();
  const std::string redirect = "https://suspended.example/cb";
  addService(*w.gw, "suspend-app", redirect);
  AuthorizationRequest r = w.request(kMeasureScopes, "suspend-app", redirect);
  PairingResult p = w.pair(r);
  HttpClient c = w.app(p.accessToken);
  BOOST_TEST_REQUIRE(c.get("/fhir/Observation").status == 200);
  HttpClient demoApp = w.app(w.pair().accessToken);

  serviceCommand(*w.gw, "suspend", "suspend-app");
  HttpResponse refused = c.get("/fhir/Observation");
  BOOST_TEST(isBearer401(refused));
  BOOST_TEST(outcomeCode(refused) == "service-suspended");
  HttpResponse refresh = w.refresh(p.refreshToken, "", "suspend-app");
  BOOST_TEST(refresh.status == 400);
  BOOST_TEST(oauthErrorOf(refresh) == "unauthorized_client");
  HttpResponse authorize = w.gw->client().get(
      authorizeTarget(*w.gw, w.request(kMeasureScopes, "suspend-app", redirect)));
  BOOST_TEST(authorize.status == 400);
  BOOST_TEST(authorize.header("Location").empty());
  BOOST_TEST(c.del("/oauth/pairing").status == 401);
  // Other services are not affected.
  BOOST_TEST(demoApp.get("/fhir/Observation").status == 200);

  serviceCommand(*w.gw, "reinstate", "suspend-app");
  BOOST_TEST(c.get("/fhir/Observation").status == 200);
  Tokens renewed = tokensOf(w.refresh(p.refreshToken, "", "suspend-app"));
  BOOST_TEST(w.app(renewed.access).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_CASE(a_service_that_is_not_referenced_cannot_pair) {
  World& w = guarded();
  const std::string redirect = "https://draft.example/cb";
  addService(*w.gw, "draft-app", redirect, "--status draft");
  HttpResponse r =
      w.gw->client().get(authorizeTarget(*w.gw, w.request(kMeasureScopes, "draft-app", redirect)));
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.header("Content-Type").find("text/html") != std::string::npos);
  BOOST_TEST(r.header("Location").empty());
  BOOST_TEST(r.body.find("unauthorized_client") != std::string::npos);
  // Nor through the consent form of another request with its client_id swapped in.
  HttpResponse page = w.consentPage(w.request());
  HttpResponse swapped = w.decide(page, {}, "approve", nullptr, [&](Form& fields) {
    for (auto& [name, value] : fields) {
      if (name == "client_id") value = "draft-app";
      if (name == "redirect_uri") value = redirect;
    }
  });
  BOOST_TEST(swapped.status == 400);
  BOOST_TEST(swapped.header("Location").empty());
  // At the token endpoint too.
  HttpResponse token = tokenRequest(*w.gw, {{"grant_type", "authorization_code"},
                                            {"code", "whatever"},
                                            {"redirect_uri", redirect},
                                            {"code_verifier", newPkce().verifier},
                                            {"client_id", "draft-app"}});
  BOOST_TEST(token.status == 400);
  BOOST_TEST(oauthErrorOf(token) == "unauthorized_client");
}

BOOST_AUTO_TEST_SUITE_END()

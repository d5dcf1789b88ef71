// The audit trail and the notifications as the patient sees them (issue #3 point 7): the
// activity page of /portal lists every access of an app, allowed or refused, and every pairing
// and login event, newest first, in plain French; the outbox holds a message for every pairing
// change and exactly one "first access" per service, also across a restart.
#include <boost/test/unit_test.hpp>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;

namespace {

struct ActivityRow {
  std::string description;
  std::string result;  // réussi | refusé
};

// The rows of /portal/activity (newest first), as text.
std::vector<ActivityRow> activity(World& w, const DemoSeed& patient) {
  HttpResponse page = w.gw->client().get("/portal/activity", w.browserOf(patient).headers());
  BOOST_TEST_REQUIRE(page.status == 200, "activity page: " << page.status);
  BOOST_TEST(page.header("Cache-Control") == "no-store");
  std::vector<ActivityRow> rows;
  static const std::regex kRow("<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td></tr>");
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), kRow);
       it != std::sregex_iterator(); ++it) {
    rows.push_back({htmlText((*it)[1]), htmlText((*it)[2])});
  }
  return rows;
}

// The result of the newest row whose description is `description`, "" when there is none.
std::string resultOf(const std::vector<ActivityRow>& rows, const std::string& description) {
  for (const auto& row : rows) {
    if (row.description == description) return row.result;
  }
  return {};
}

std::string dump(const std::vector<ActivityRow>& rows) {
  std::string out;
  for (const auto& row : rows) out += "\n  " + row.description + " | " + row.result;
  return out;
}

void loginIfNeeded(World& w, const DemoSeed& patient) {
  Browser& browser = w.browserOf(patient);
  if (browser.cookies.empty()) portalLogin(*w.gw, browser, patient);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_trail)

BOOST_AUTO_TEST_CASE(the_activity_page_lists_allowed_and_refused_calls_in_french) {
  World w;
  PairingResult p = w.pair();
  HttpClient app = w.app(p.accessToken);
  const std::string id = createdId(app.post("/fhir/Observation", weightOf("demo")));
  BOOST_TEST(app.get("/fhir/Observation/" + id).status == 200);
  BOOST_TEST(app.get("/fhir/Observation?patient=demo").status == 200);
  BOOST_TEST(app.get("/fhir/Patient/demo").status == 403);
  BOOST_TEST(app.get("/fhir/Observation?patient=demo-2").status == 403);
  BOOST_TEST(app.get("/fhir/Observation/no-such-measure").status == 404);

  const auto rows = activity(w, w.seed);
  const std::string all = dump(rows);
  BOOST_TEST_REQUIRE(!rows.empty());
  // Newest first.
  BOOST_TEST(rows.front().description == "Accès refusé à Carnet Démo : donnée introuvable", all);
  BOOST_TEST(rows.front().result == "refusé");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Connexion à votre compte", "réussi"},
      {"Vous avez autorisé Carnet Démo", "réussi"},
      {"Carnet Démo a obtenu l'accès à vos données", "réussi"},
      {"Carnet Démo a enregistré une mesure", "réussi"},
      {"Carnet Démo a lu une mesure", "réussi"},
      {"Carnet Démo a lu vos mesures", "réussi"},
      {"Accès refusé à Carnet Démo : consentement absent", "refusé"},
      {"Accès refusé à Carnet Démo : données d'un autre patient", "refusé"},
      {"Accès refusé à Carnet Démo : donnée introuvable", "refusé"},
  };
  for (const auto& [description, result] : expected) {
    BOOST_TEST(resultOf(rows, description) == result, "row '" << description << "' in:" << all);
  }

  // The other patient sees none of it.
  loginIfNeeded(w, w.other);
  const auto theirs = activity(w, w.other);
  BOOST_TEST(dump(theirs).find("Carnet Démo") == std::string::npos, dump(theirs));
  BOOST_TEST(resultOf(theirs, "Connexion à votre compte") == "réussi");
}

BOOST_AUTO_TEST_CASE(refused_token_requests_and_pairing_decisions_are_listed_in_plain_words) {
  World w;
  // A denial on the consent screen.
  HttpResponse denied = w.decide(w.consentPage(w.request()), {}, "deny");
  BOOST_TEST_REQUIRE(denied.status == 303);
  // A code exchanged with a wrong verifier (refused: the code was the patient's), then a refresh
  // token reused.
  AuthorizationRequest stolen = w.request();
  const std::string stolenCode = w.code(stolen);
  AuthorizationRequest wrongVerifier = stolen;
  wrongVerifier.pkce = newPkce();
  BOOST_TEST(w.exchange(wrongVerifier, stolenCode).status == 400);
  AuthorizationRequest r = w.request();
  Tokens t = tokensOf(w.exchange(r, w.code(r)));
  BOOST_TEST_REQUIRE(w.refresh(t.refresh).status == 200);
  BOOST_TEST(w.refresh(t.refresh).status == 400);  // reuse
  // The app goes on with its token of the revoked grant: refused at /fhir.
  BOOST_TEST(w.app(t.access).get("/fhir/Observation").status == 401);

  const auto rows = activity(w, w.seed);
  const std::string all = dump(rows);
  BOOST_TEST(resultOf(rows, "Vous avez refusé l'accès à Carnet Démo") == "réussi", all);
  BOOST_TEST(
      resultOf(rows, "Accès refusé à Carnet Démo : autorisation expirée ou retirée") == "refusé",
      all);
  BOOST_TEST(resultOf(rows, "Accès refusé à Carnet Démo : autorisation retirée") == "refusé",
             "GATEWAY BUG (audit): a /fhir request refused with 401 for a token whose signature "
             "verifies (here a grant revoked by refresh reuse) is audited without the token's "
             "patient, so the patient never sees it; describeFr has the words for it "
             "(token-revoked/pairing-revoked: \"autorisation retirée\"). Rows:"
                 << all);
  // Every row is a sentence for the patient, never an internal event code.
  for (const auto& row : rows) {
    BOOST_TEST(row.description.find("«") == std::string::npos,
               "GATEWAY BUG (activity page): an event shown with its internal code: '"
                   << row.description
                   << "' — describeFr has no sentence for this subtype (refresh reuse is recorded "
                      "as token-reuse-detected)");
    BOOST_TEST((row.result == "réussi" || row.result == "refusé"));
  }
}

BOOST_AUTO_TEST_CASE(notifications_on_every_pairing_change_and_one_first_access_per_service) {
  World w;
  const std::string dir = w.gw->dataDir();
  PairingResult p = w.pair();
  const std::string consent = "Consent/" + stringOf(decodeJwt(p.accessToken).claims, "pairing");
  BOOST_TEST(countNotifications(dir, "pairing-created", "demo", "demo-app") == 1u);
  for (const auto& n : outbox(dir)) {
    if (n.kind == "pairing-created") BOOST_TEST(stringOf(n.data, "consent") == consent);
  }
  // A token alone is not an access.
  BOOST_TEST(countNotifications(dir, "first-access", "demo") == 0u);

  HttpClient app = w.app(p.accessToken);
  BOOST_TEST(app.get("/fhir/Observation").status == 200);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "demo-app") == 1u);
  BOOST_TEST(app.post("/fhir/Observation", weightOf("demo")).status == 201);
  BOOST_TEST(app.get("/fhir/Observation").status == 200);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "demo-app") == 1u);

  // Still one after a restart (the gateway looks the first access up in the store).
  BOOST_TEST_REQUIRE(w.gw->stop() == 0);
  w.gw->start();
  BOOST_TEST(w.app(p.accessToken).get("/fhir/Observation").status == 200);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "demo-app") == 1u);

  // A change of accesses, the app ending the pairing, a new approval, the patient revoking.
  PairingResult narrowed = w.pair(w.request(), partialTicks());
  BOOST_TEST(countNotifications(dir, "pairing-updated", "demo", "demo-app") == 1u);
  BOOST_TEST(w.app(narrowed.accessToken).del("/oauth/pairing").status == 204);
  BOOST_TEST(countNotifications(dir, "pairing-ended", "demo", "demo-app") == 1u);
  PairingResult again = w.pair();
  BOOST_TEST(countNotifications(dir, "pairing-created", "demo", "demo-app") +
                 countNotifications(dir, "pairing-updated", "demo", "demo-app") ==
             3u);
  HttpResponse home = w.gw->client().get("/portal/", w.demoBrowser.headers());
  const std::string pairingId = stringOf(decodeJwt(again.accessToken).claims, "pairing");
  Form csrf;
  for (const auto& field : hiddenInputs(home.body)) {
    if (field.first == "csrf") csrf = {field};
  }
  BOOST_TEST_REQUIRE(!csrf.empty());
  HttpResponse revoked = w.gw->client().post("/portal/pairings/" + pairingId + "/revoke",
                                             formEncode(csrf), kFormType, w.demoBrowser.headers());
  BOOST_TEST(revoked.status == 303);
  BOOST_TEST(countNotifications(dir, "pairing-ended", "demo", "demo-app") == 2u);
  // Revoking again changes nothing and tells nobody.
  w.gw->client().post("/portal/pairings/" + pairingId + "/revoke", formEncode(csrf), kFormType,
                      w.demoBrowser.headers());
  BOOST_TEST(countNotifications(dir, "pairing-ended", "demo", "demo-app") == 2u);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "demo-app") == 1u);

  // Another service: a refused call is not a first access, its first allowed call is.
  addService(*w.gw, "second-app", "https://second.example/cb");
  PairingResult second = w.pair(
      w.request(kMeasureScopes, "second-app", "https://second.example/cb"), {"mesures.write"});
  HttpClient secondApp = w.app(second.accessToken);
  BOOST_TEST(secondApp.get("/fhir/Observation").status == 403);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "second-app") == 0u);
  BOOST_TEST(secondApp.post("/fhir/Observation", weightOf("demo")).status == 201);
  BOOST_TEST(countNotifications(dir, "first-access", "demo", "second-app") == 1u);

  // The activity page tells who ended each pairing.
  const auto rows = activity(w, w.seed);
  const std::string all = dump(rows);
  BOOST_TEST(resultOf(rows, "Carnet Démo a mis fin à son accès") == "réussi", all);
  BOOST_TEST(resultOf(rows, "Vous avez retiré l'accès de Carnet Démo") == "réussi", all);
  BOOST_TEST(resultOf(rows, "Vous avez modifié les accès de Carnet Démo") == "réussi", all);
  // No message for another patient.
  BOOST_TEST(countNotifications(dir, "first-access", "demo-2") == 0u);
  BOOST_TEST(countNotifications(dir, "pairing-created", "demo-2") == 0u);
}

BOOST_AUTO_TEST_CASE(accesses_answered_before_a_kill_9_are_in_the_trail_after_restart) {
  // Every answered request was traced durably before its answer: a crash right after the
  // answers (the audit journal not yet imported into the store) loses none of them.
  World w;
  PairingResult p = w.pair();
  HttpClient app = w.app(p.accessToken);
  const std::string id = createdId(app.post("/fhir/Observation", weightOf("demo")));
  constexpr int kReads = 7;
  for (int i = 0; i < kReads; ++i) BOOST_TEST(app.get("/fhir/Observation/" + id).status == 200);
  BOOST_TEST(app.get("/fhir/Observation?patient=demo-2").status == 403);
  w.gw->kill9();
  w.gw->start();

  const auto rows = activity(w, w.seed);
  const std::string all = dump(rows);
  size_t reads = 0;
  for (const auto& row : rows) reads += row.description == "Carnet Démo a lu une mesure" ? 1 : 0;
  BOOST_TEST(reads == static_cast<size_t>(kReads), all);
  BOOST_TEST(rows.front().result == "refusé", all);  // the last answer before the kill
  BOOST_TEST(resultOf(rows, "Carnet Démo a enregistré une mesure") == "réussi", all);
}

BOOST_AUTO_TEST_SUITE_END()

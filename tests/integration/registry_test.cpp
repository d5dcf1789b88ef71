// The referencing registry (issue #5) over HTTP against the real gateway: the first administrator
// made with the CLI, registry logins (password + one-time code), the JSON API's authentication,
// CSRF and bad input, a service's walk from draft to referenced, every action × every role, the
// effects on patients' tokens and pairings (grant, suspension, reinstatement, withdrawal with
// its notices), the CLI going through the same workflow, the pages and the catalogue, and a
// malformed criteria file stopping the gateway at start.
#include "integration/support/registry.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;

namespace {

constexpr const char* kRedirect = "https://tensio.example/callback";

// A TestReport whose first test passes and verifies SEC-01 and SEC-03, and whose second fails
// and names INT-01.
std::string testReport(const std::string& tag) {
  return R"({"resourceType":"TestReport","name":")" + tag +
         R"(","status":"completed","testScript":{"reference":"TestScript/mes-client-suite"},)"
         R"("result":"fail","score":50,"tester":"mes-conformance 0.1.0",)"
         R"("issued":"2026-11-23T10:15:00+01:00","test":[)"
         R"({"name":"client.pkce-s256","extension":[)"
         R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":"SEC-01"},)"
         R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":"SEC-03"}],)"
         R"("action":[{"assert":{"result":"pass"}}]},)"
         R"({"name":"client.measures-valid","extension":[)"
         R"({"url":"urn:mes-gateway:StructureDefinition:verifies-requirement","valueCode":"INT-01"}],)"
         R"("action":[{"assert":{"result":"fail","message":"unit lbs"}}]}]})";
}

std::string serviceBody(const std::string& name) {
  return R"({"name":")" + name +
         R"(","description":"Carnet de tension artérielle relié au tensiomètre Tensio.",)"
         R"("category":"measures","website":"https://tensio.example","contact":"dpo@tensio.example",)"
         R"("client_type":"public","redirect_uris":[")" +
         std::string(kRedirect) +
         R"("],"requested_accesses":["mesures.read","mesures.write","offline"]})";
}

std::vector<std::string> strings(const Value& array) {
  std::vector<std::string> out;
  if (!array.isArray()) return out;
  for (const Value& v : array.items()) out.push_back(v.text());
  return out;
}

// One gateway for this file: the demo data, an administrator made with the CLI, two editor
// organisations with an editor each, an evaluator and a commission member, all logged in.
struct RegistryWorld {
  RegistryWorld() : gw(longTokens()) {
    seed = seedDemoData(gw.dataDir());
    CliResult made = runCli(gw.dataDir(), "account add --login admin@ans.example --role admin",
                            kRegistryPassword);
    BOOST_REQUIRE_MESSAGE(made.status == 0, made.out);
    admin = registryLogin(gw, "admin@ans.example");
    tensioOrg = organisation("Tensio SAS", "732 829 320 00074", "urn:oid:1.2.250.1.999.42");
    otherOrg = organisation("Autre Éditeur SARL", "44306184100047", "urn:oid:1.2.250.1.999.77");
    account("editeur@tensio.example", "editor", tensioOrg);
    account("editeur@autre.example", "editor", otherOrg);
    account("evaluatrice@ans.example", "evaluator", "");
    account("commission@ans.example", "commission", "");
    editor = registryLogin(gw, "editeur@tensio.example");
    otherEditor = registryLogin(gw, "editeur@autre.example");
    evaluator = registryLogin(gw, "evaluatrice@ans.example");
    commission = registryLogin(gw, "commission@ans.example");
    const Value criteria = jsonOf(gw.client().get("/registry/api/criteria"));
    for (const Value& c : criteria.find("criteria")->items()) {
      if (c.find("required")->asBool()) required.push_back(stringOf(c, "id"));
    }
  }

  HttpResponse call(const RegistryUser& who, const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return registryCall(gw, who, method, path, body);
  }

  std::string organisation(const std::string& name, const std::string& siret,
                           const std::string& oid) {
    HttpResponse r = call(admin, "POST", "/organisations",
                          R"({"legal_name":")" + name + R"(","siret":")" + siret +
                              R"(","editor_oid":")" + oid + R"(","contact":"referent@x.example"})");
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return stringOf(jsonOf(r), "organisation_id");
  }

  void account(const std::string& login, const std::string& role, const std::string& org) {
    HttpResponse r =
        call(admin, "POST", "/accounts",
             R"({"login":")" + login + R"(","role":")" + role + R"(","organisation_id":")" + org +
                 R"(","password":")" + kRegistryPassword + R"("})");
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  }

  std::string createService(const std::string& name = "Tensio+") {
    HttpResponse r = call(editor, "POST", "/services", serviceBody(name));
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return stringOf(jsonOf(r), "client_id");
  }

  std::string statusOf(const std::string& id) {
    return stringOf(jsonOf(call(admin, "GET", "/services/" + id)), "status");
  }

  void act(const RegistryUser& who, const std::string& id, const std::string& action,
           const std::string& body = R"({"reason":"étape de test"})") {
    HttpResponse r = call(who, "POST", "/services/" + id + "/" + action, body);
    BOOST_REQUIRE_MESSAGE(r.status == 200, action + ": " + r.body);
  }

  void markRequired(const std::string& id) {
    for (const std::string& c : required) {
      HttpResponse r =
          call(evaluator, "PUT", "/services/" + id + "/evaluation/" + c, R"({"verdict":"met"})");
      BOOST_REQUIRE_MESSAGE(r.status == 200, c + ": " + r.body);
    }
  }

  // A new Tensio service brought to `status` through the API.
  std::string serviceAt(const std::string& status, const std::string& name = "Tensio+") {
    const std::string id = createService(name);
    if (status == "draft") return id;
    act(editor, id, "submit");
    if (status == "submitted") return id;
    act(evaluator, id, "start-evaluation");
    if (status == "under_evaluation") return id;
    markRequired(id);
    act(evaluator, id, "move-to-commission");
    if (status == "commission") return id;
    act(commission, id, "decide",
        status == "rejected"
            ? R"({"decision":"unfavourable","reason":"Hébergement non certifié"})"
            : R"({"decision":"favourable","granted_accesses":["mesures.read","offline"],"reason":"Conforme"})");
    if (status == "referenced" || status == "rejected") return id;
    act(admin, id, "suspend");
    if (status == "suspended") return id;
    act(admin, id, "withdraw");
    return id;
  }

  GatewayProcess gw;
  DemoSeed seed;
  RegistryUser admin, editor, otherEditor, evaluator, commission;
  std::string tensioOrg, otherOrg;
  std::vector<std::string> required;
};

RegistryWorld& world() {
  static std::unique_ptr<RegistryWorld> w = std::make_unique<RegistryWorld>();
  return *w;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_http)

BOOST_AUTO_TEST_CASE(the_first_administrator_is_made_with_the_cli_and_logs_in_like_a_patient) {
  RegistryWorld& w = world();
  // The fixture logged in with password + code; its cookie is the registry's own.
  Browser browser;
  HttpResponse done = areaLogin(w.gw, browser, "/registry", "admin@ans.example", kRegistryPassword,
                                "admin@ans.example", "/registry/");
  const std::string cookie = done.header("Set-Cookie");
  BOOST_TEST(cookie.rfind("mes_registry=", 0) == 0);
  BOOST_TEST(cookie.find("Path=/registry") != std::string::npos);
  BOOST_TEST(cookie.find("HttpOnly") != std::string::npos);
  BOOST_TEST(cookie.find("SameSite=Strict") != std::string::npos);
  BOOST_TEST(pathOf(done.header("Location")) == "/registry/");
  const Value session = jsonOf(registryCall(w.gw, w.admin, "GET", "/session", "", false));
  BOOST_TEST(stringOf(session, "role") == "admin");
  BOOST_TEST(stringOf(session, "csrf_token") == w.admin.csrf);
  // The code went to the account's login, through the outbox.
  BOOST_TEST(countNotifications(w.gw.dataDir(), "login-code", "admin@ans.example") >= 2U);

  // A patient cannot log in to the registry, nor a registry account to the portal.
  for (const auto& [prefix, login, password] :
       {std::tuple<std::string, std::string, std::string>{"/registry", w.seed.login,
                                                          w.seed.password},
        {"/portal", "admin@ans.example", kRegistryPassword}}) {
    HttpClient c = w.gw.client();
    Browser b;
    HttpResponse page = c.get(prefix + "/login", b.headers());
    b.remember(page);
    auto fields = hiddenInputs(page.body);
    fields.emplace_back("login", login);
    fields.emplace_back("password", password);
    HttpResponse refused = c.post(prefix + "/login", formEncode(fields), kFormType, b.headers());
    BOOST_TEST(refused.status == 401, prefix);
    BOOST_TEST(refused.body.find("Identifiant ou mot de passe incorrect.") != std::string::npos);
  }
  // A session of the other area does not open this one: a garbage cookie, or the patient's
  // portal session id under the registry's cookie name, is no session (and no redirect loop).
  Browser patientBrowser;
  portalLogin(w.gw, patientBrowser, w.seed);
  HttpClient c = w.gw.client();
  for (const std::string& value :
       {patientBrowser.cookies.at("mes_portal"), std::string("garbage")}) {
    const HeaderList foreign = {{"Cookie", "mes_registry=" + value}};
    BOOST_TEST(c.get("/registry/api/session", foreign).status == 401);
    HttpResponse loginPage = c.get("/registry/login", foreign);
    BOOST_TEST(loginPage.status == 200);
    BOOST_TEST(loginPage.header("Set-Cookie").rfind("mes_registry=", 0) == 0);
    BOOST_TEST(c.get("/registry/", foreign).status == 303);
  }
  // The CLI refuses a short password, a patient id on a registry account, an unknown role.
  BOOST_TEST(
      runCli(w.gw.dataDir(), "account add --login a2@ans.example --role admin", "court").status ==
      1);
  BOOST_TEST(runCli(w.gw.dataDir(),
                    "account add --login a3@ans.example --role admin --patient demo",
                    kRegistryPassword)
                 .status == 2);
  BOOST_TEST(
      runCli(w.gw.dataDir(), "account add --login a4@ans.example --role doctor", kRegistryPassword)
          .status == 1);
}

BOOST_AUTO_TEST_CASE(the_api_needs_a_session_csrf_on_changes_and_refuses_bad_input_whole) {
  RegistryWorld& w = world();
  const size_t before =
      jsonOf(w.call(w.editor, "GET", "/services")).find("services")->items().size();
  HttpClient anonymous = w.gw.client();
  HttpResponse noSession = anonymous.get("/registry/api/services");
  BOOST_TEST(noSession.status == 401);
  BOOST_TEST(outcomeCodes(noSession) == "login-required");
  BOOST_TEST(noSession.header("WWW-Authenticate") ==
             "Cookie realm=\"mes-registry\", login=\"/registry/login\"");
  BOOST_TEST(noSession.header("Content-Type").rfind("application/fhir+json", 0) == 0);

  HttpResponse noCsrf = registryCall(w.gw, w.editor, "POST", "/services", serviceBody("X"), false);
  BOOST_TEST(noCsrf.status == 403);
  BOOST_TEST(outcomeCodes(noCsrf) == "csrf-invalid");
  RegistryUser forged = w.editor;
  forged.csrf = w.admin.csrf;  // another session's token
  BOOST_TEST(outcomeCodes(registryCall(w.gw, forged, "POST", "/services", serviceBody("X"))) ==
             "csrf-invalid");
  HeaderList textPlain = w.editor.browser.headers();
  textPlain.emplace_back("X-CSRF-Token", w.editor.csrf);
  textPlain.emplace_back("Content-Type", "text/plain");
  HttpResponse wrongType =
      w.gw.client().request("POST", "/registry/api/services", textPlain, serviceBody("X"));
  BOOST_TEST(wrongType.status == 415);
  HttpResponse malformed = w.call(w.editor, "POST", "/services", "{\"name\": ");
  BOOST_TEST(malformed.status == 400);
  BOOST_TEST(outcomeCodes(malformed) == "json-malformed");
  HttpResponse unknown = w.call(w.editor, "POST", "/services", R"({"name":"X","owner":"me"})");
  BOOST_TEST(unknown.status == 400);
  BOOST_TEST(outcomeCodes(unknown) == "unknown-member");
  HttpResponse wrongMember =
      w.call(w.editor, "POST", "/services", R"({"name":42,"redirect_uris":"x"})");
  BOOST_TEST(wrongMember.status == 400);
  BOOST_TEST(outcomeCodes(wrongMember) == "invalid-type invalid-type");
  HttpResponse huge =
      w.call(w.editor, "POST", "/services", R"({"name":")" + std::string(1100 * 1024, 'a') + "\"}");
  BOOST_TEST(huge.status == 413);
  std::string deep = "1";
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  HttpResponse tooDeep =
      w.call(w.editor, "POST", "/services", R"({"name":"X","redirect_uris":)" + deep + "}");
  BOOST_TEST(tooDeep.status == 400);
  BOOST_TEST(outcomeCodes(tooDeep) == "json-too-deep");
  HttpResponse invalid =
      w.call(w.editor, "POST", "/services",
             R"({"name":"T","client_type":"public","redirect_uris":["http://evil.example/cb"]})");
  BOOST_TEST(invalid.status == 422);
  const Value outcome = jsonOf(invalid);
  BOOST_TEST(outcomeCodes(invalid) == "service-invalid service-invalid");
  BOOST_TEST(outcome.find("issue")->items()[1].find("expression")->items()[0].text() ==
             "redirect_uris[0]");
  // Nothing of it was stored.
  BOOST_TEST(jsonOf(w.call(w.editor, "GET", "/services")).find("services")->items().size() ==
             before);
  HttpResponse badQuery = w.call(w.editor, "GET", "/services?state=draft");
  BOOST_TEST(badQuery.status == 400);
  BOOST_TEST(outcomeCodes(badQuery) == "unknown-parameter");
  BOOST_TEST(w.call(w.editor, "POST", "/services/x/frobnicate", "").status == 404);
  BOOST_TEST(w.call(w.editor, "GET", "/services/x/submit").status == 405);
}

BOOST_AUTO_TEST_CASE(a_service_walks_from_draft_to_referenced_over_the_api) {
  RegistryWorld& w = world();
  HttpResponse created = w.call(w.editor, "POST", "/services", serviceBody("Tensio Carnet"));
  BOOST_REQUIRE_EQUAL(created.status, 201);
  const Value service = jsonOf(created);
  const std::string id = stringOf(service, "client_id");
  BOOST_TEST(created.header("ETag") == "W/\"1\"");
  BOOST_TEST(created.header("Location") == w.gw.baseUrl() + "/registry/api/services/" + id);
  BOOST_TEST(stringOf(service, "status") == "draft");
  BOOST_TEST(stringOf(*service.find("editor"), "siret") == "73282932000074");
  BOOST_TEST(strings(*service.find("allowed_actions")) ==
             (std::vector<std::string>{"edit", "submit", "add_evidence"}));
  // Another editor's service does not exist for them.
  HttpResponse hidden = w.call(w.otherEditor, "GET", "/services/" + id);
  BOOST_TEST(hidden.status == 404);
  BOOST_TEST(outcomeCodes(hidden) == "not-found");

  w.act(w.editor, id, "submit", R"({"reason":"Première soumission"})");
  HttpResponse again = w.call(w.editor, "POST", "/services/" + id + "/submit", "");
  BOOST_TEST(again.status == 409);
  BOOST_TEST(outcomeCodes(again) ==
             "action-not-allowed allowed-action allowed-action allowed-action");
  BOOST_TEST(again.body.find("allowed now: retract, start_evaluation, add_evidence") !=
             std::string::npos);

  HttpResponse badReport = w.call(w.evaluator, "POST", "/services/" + id + "/evidence",
                                  R"({"resourceType":"TestReport","status":"done"})");
  BOOST_TEST(badReport.status == 422);
  BOOST_TEST(outcomeCodes(badReport) == "code-invalid element-missing element-missing");
  BOOST_TEST(badReport.body.find("TestReport.testScript") != std::string::npos);
  HttpResponse report =
      w.call(w.evaluator, "POST", "/services/" + id + "/evidence", testReport("run 1"));
  BOOST_REQUIRE_MESSAGE(report.status == 201, report.body);
  const std::string evidenceId = stringOf(jsonOf(report), "evidence_id");
  BOOST_TEST(report.header("Location").find("/evidence/" + evidenceId) != std::string::npos);
  HttpResponse stored = w.call(w.editor, "GET", "/services/" + id + "/evidence/" + evidenceId);
  BOOST_TEST(stored.status == 200);
  BOOST_TEST(stored.body == testReport("run 1"));

  w.act(w.evaluator, id, "start-evaluation");
  HttpResponse early = w.call(w.evaluator, "POST", "/services/" + id + "/move-to-commission", "");
  BOOST_TEST(early.status == 409);
  BOOST_TEST(early.body.find("criteria-unmarked") != std::string::npos);
  BOOST_TEST(early.body.find("\"SEC-02\"") != std::string::npos);
  w.markRequired(id);
  const Value checklist = jsonOf(w.call(w.commission, "GET", "/services/" + id + "/evaluation"));
  for (const Value& c : checklist.find("criteria")->items()) {
    if (stringOf(c, "id") == "SEC-01") BOOST_TEST(c.find("evidenced_by_passed_test")->asBool());
    if (stringOf(c, "id") == "INT-01") BOOST_TEST(!c.find("evidenced_by_passed_test")->asBool());
  }
  w.act(w.evaluator, id, "move-to-commission");

  // A stale If-Match is refused; the decision bounds what the service may do.
  HeaderList stale = w.commission.browser.headers();
  stale.emplace_back("X-CSRF-Token", w.commission.csrf);
  stale.emplace_back("Content-Type", "application/json");
  stale.emplace_back("If-Match", "W/\"1\"");
  HttpResponse conflict = w.gw.client().request(
      "POST", "/registry/api/services/" + id + "/decide", stale,
      R"({"decision":"favourable","granted_accesses":["mesures.read"],"reason":"x"})");
  BOOST_TEST(conflict.status == 412);
  HttpResponse decided = w.call(w.commission, "POST", "/services/" + id + "/decide",
                                R"({"decision":"favourable_with_reservations",)"
                                R"("granted_accesses":["mesures.read","offline"],)"
                                R"("reservations":["Certificat HDS renouvelé avant mars"],)"
                                R"("reason":"Séance du 23 novembre 2026"})");
  BOOST_REQUIRE_MESSAGE(decided.status == 200, decided.body);
  const Value referenced = jsonOf(decided);
  BOOST_TEST(stringOf(referenced, "status") == "referenced");
  BOOST_TEST(stringOf(referenced, "allowed_scopes") ==
             "offline_access patient/Device.rs patient/Observation.rs");

  const Value history = jsonOf(w.call(w.commission, "GET", "/services/" + id + "/history"));
  std::vector<std::string> actions;
  for (const Value& e : history.find("events")->items()) {
    const std::string a = stringOf(e, "action");
    if (a != "mark") actions.push_back(a);
  }
  BOOST_TEST(actions ==
             (std::vector<std::string>{"create", "submit", "add_evidence", "start_evaluation",
                                       "move_to_commission", "decide"}));
  const Value& decideEvent = history.find("events")->items().back();
  BOOST_TEST(stringOf(*decideEvent.find("actor"), "login") == "commission@ans.example");
  BOOST_TEST(stringOf(decideEvent, "reason") == "Séance du 23 novembre 2026");
  BOOST_TEST(stringOf(decideEvent, "from_status") == "commission");

  const Value catalogue = jsonOf(w.gw.client().get("/catalogue"));
  bool listed = false;
  for (const Value& s : catalogue.find("services")->items()) {
    if (stringOf(s, "client_id") != id) continue;
    listed = true;
    std::vector<std::string> data;
    for (const Value& a : s.find("data_exchanged")->items())
      data.push_back(stringOf(a, "label_fr"));
    BOOST_TEST(data == (std::vector<std::string>{"Lire vos mesures", "Rester connecté"}));
  }
  BOOST_TEST(listed);
  HttpResponse page = w.gw.client().get("/catalogue", {{"Accept", "text/html"}});
  BOOST_TEST(page.header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.header("Content-Security-Policy").find("default-src 'none'") !=
             std::string::npos);
  BOOST_TEST(page.body.find("Tensio Carnet") != std::string::npos);
  BOOST_TEST(page.body.find("Lire vos mesures") != std::string::npos);
  BOOST_TEST(page.body.find("<script") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_action_times_every_role_over_http) {
  RegistryWorld& w = world();
  struct Step {
    const char* action;  // path segment
    const char* status;  // a status that allows it
    const char* method;
    const char* body;
    const char* permitted;  // the role that may take it
  };
  const Step steps[] = {
      {"edit", "draft", "PUT", nullptr, "editor"},
      {"submit", "draft", "POST", "", "editor"},
      {"retract", "submitted", "POST", "", "editor"},
      {"start-evaluation", "submitted", "POST", "", "evaluator"},
      {"mark", "under_evaluation", "PUT", R"({"verdict":"met"})", "evaluator"},
      {"evidence", "submitted", "POST", nullptr, "editor evaluator"},
      {"move-to-commission", "under_evaluation", "POST", "", "evaluator"},
      {"decide", "commission", "POST",
       R"({"decision":"favourable","granted_accesses":["mesures.read"],"reason":"ok"})",
       "commission"},
      {"suspend", "referenced", "POST", R"({"reason":"faille"})", "admin"},
      {"reinstate", "suspended", "POST", R"({"reason":"corrigé"})", "admin"},
      {"withdraw", "suspended", "POST", R"({"reason":"fin"})", "admin"},
      {"reopen", "rejected", "POST", "", "editor"},
  };
  const std::vector<std::pair<std::string, RegistryUser*>> users = {
      {"other-editor", &w.otherEditor},
      {"evaluator", &w.evaluator},
      {"commission", &w.commission},
      {"admin", &w.admin},
      {"editor", &w.editor}};
  for (const Step& step : steps) {
    // Both editors' roles may take the editor's steps: one service per permitted role.
    std::map<std::string, std::string> ids;
    for (const auto& [who, user] : users) {
      BOOST_TEST_CONTEXT(step.action << " by " << who) {
        const std::string role = who == "other-editor" ? "editor" : who;
        const bool permitted = std::string(step.permitted).find(role) != std::string::npos;
        const std::string key = permitted ? who : "refusals";
        if (ids.count(key) == 0) {
          ids[key] = w.serviceAt(step.status);
          if (std::string(step.action) == "move-to-commission") w.markRequired(ids[key]);
        }
        const std::string& id = ids[key];
        std::string path = "/services/" + id;
        std::string body = step.body == nullptr ? "" : step.body;
        if (std::string(step.action) == "edit") {
          body = serviceBody("Tensio+ v2");
        } else if (std::string(step.action) == "mark") {
          path += "/evaluation/SEC-01";
        } else if (std::string(step.action) == "evidence") {
          path += "/evidence";
          body = testReport("role " + who);
        } else {
          path += std::string("/") + step.action;
        }
        HttpResponse r = w.call(*user, step.method, path, body);
        int expected = 200;
        if (!permitted) {
          expected = 403;
        } else if (who == "other-editor") {
          expected = 404;  // another editor's service
        } else if (std::string(step.action) == "evidence") {
          expected = 201;
        }
        BOOST_TEST(r.status == expected, r.body.substr(0, 300));
        if (expected == 403) BOOST_TEST(outcomeCodes(r) == "role-forbidden");
        if (expected == 404) BOOST_TEST(outcomeCodes(r) == "not-found");
      }
    }
  }
  // Administration is the administrators'.
  for (RegistryUser* user : {&w.editor, &w.evaluator, &w.commission}) {
    BOOST_TEST(
        w.call(
             *user, "POST", "/accounts",
             R"({"login":"x@ans.example","role":"admin","password":"une phrase de passe longue"})")
            .status == 403);
    BOOST_TEST(w.call(*user, "GET", "/accounts").status == 403);
    BOOST_TEST(
        w.call(
             *user, "POST", "/organisations",
             R"({"legal_name":"X SAS","siret":"44306184100047","editor_oid":"urn:oid:1.9","contact":"a@b.fr"})")
            .status == 403);
  }
  BOOST_TEST(w.call(w.editor, "GET", "/organisations").status == 403);
  BOOST_TEST(w.call(w.evaluator, "POST", "/services", serviceBody("X")).status == 403);
}

BOOST_AUTO_TEST_CASE(
    the_grant_bounds_pairing_and_suspension_reinstatement_withdrawal_reach_tokens) {
  RegistryWorld& w = world();
  const std::string id = w.serviceAt("referenced", "Tensio Effets");
  // The patient pairs it; the app asks for writing too, which the commission did not grant.
  AuthorizationRequest request;
  request.clientId = id;
  request.redirectUri = kRedirect;
  request.scope = kMeasureScopes;
  Browser patient;
  PairingResult paired = pairApp(w.gw, w.seed, patient, request);
  BOOST_REQUIRE(!paired.accessToken.empty());
  BOOST_TEST(words(paired.grantedScope).count("patient/Observation.rs") == 1U);
  BOOST_TEST(words(paired.grantedScope).count("patient/Observation.cud") == 0U);
  BOOST_TEST(words(paired.grantedScope).count("patient/Device.c") == 0U);
  HttpClient app = appClient(w.gw, paired.accessToken);
  BOOST_TEST(app.get("/fhir/Observation?patient=demo").status == 200);
  HttpResponse write = app.post("/fhir/Observation", weightOf("demo"));
  BOOST_TEST(write.status == 403);
  BOOST_TEST(outcomeCode(write) == "consent-missing");

  // Suspension: refused on the next request, gone from the catalogue.
  w.act(w.admin, id, "suspend", R"({"reason":"Faille signalée"})");
  HttpResponse suspended = app.get("/fhir/Observation?patient=demo");
  BOOST_TEST(suspended.status == 401);
  BOOST_TEST(outcomeCode(suspended) == "service-suspended");
  BOOST_TEST(w.gw.client().get("/catalogue").body.find(id) == std::string::npos);
  // Reinstatement: the same token works again, the pairing was kept.
  w.act(w.admin, id, "reinstate", R"({"reason":"Faille corrigée"})");
  BOOST_TEST(app.get("/fhir/Observation?patient=demo").status == 200);
  BOOST_TEST(w.gw.client().get("/catalogue").body.find(id) != std::string::npos);

  // Withdrawal: the pairing ends and the patient is told, in French.
  const size_t noticesBefore = countNotifications(w.gw.dataDir(), "pairing-ended", "demo", id);
  w.act(w.admin, id, "suspend", R"({"reason":"Retrait annoncé"})");
  HttpResponse withdrawn = w.call(w.admin, "POST", "/services/" + id + "/withdraw",
                                  R"({"reason":"Retrait du catalogue"})");
  BOOST_REQUIRE_MESSAGE(withdrawn.status == 200, withdrawn.body);
  BOOST_TEST(countNotifications(w.gw.dataDir(), "pairing-ended", "demo", id) == noticesBefore + 1);
  for (const auto& n : outbox(w.gw.dataDir())) {
    if (n.kind != "pairing-ended" || stringOf(n.data, "client_id") != id) continue;
    const std::string text = readFile(std::filesystem::path(w.gw.dataDir()) / "outbox" / n.file);
    BOOST_TEST(text.find("n’est plus référencée") != std::string::npos, text);
  }
  const Value history = jsonOf(w.call(w.admin, "GET", "/services/" + id + "/history"));
  const Value& last = history.find("events")->items().back();
  BOOST_TEST(stringOf(last, "action") == "withdraw");
  BOOST_TEST(last.find("detail")->find("pairings_ended")->asInt().value_or(0) == 1);
  BOOST_TEST(app.get("/fhir/Observation?patient=demo").status == 401);
  // The pairing is over in the patient's portal too, and the service can no longer pair.
  HttpResponse portal = w.gw.client().get("/portal/", patient.headers());
  BOOST_TEST(portal.body.find("Autorisations retirées") != std::string::npos);
  HttpResponse again = w.gw.client().get(authorizeTarget(w.gw, request));
  BOOST_TEST(again.status == 400);
  BOOST_TEST(again.body.find("withdrawn") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_cli_suspends_and_reinstates_through_the_same_workflow) {
  RegistryWorld& w = world();
  const std::string id = w.serviceAt("referenced", "Tensio CLI");
  CliResult suspended = runCli(
      w.gw.dataDir(), "service suspend --client-id " + id + " --reason 'Incident de sécurité'");
  BOOST_REQUIRE_MESSAGE(suspended.status == 0, suspended.out);
  BOOST_TEST(w.statusOf(id) == "suspended");
  CliResult twice = runCli(w.gw.dataDir(), "service suspend --client-id " + id);
  BOOST_TEST(twice.status == 1);
  BOOST_TEST(
      twice.out.find("suspend is not allowed while the service is suspended") != std::string::npos,
      twice.out);
  BOOST_TEST(runCli(w.gw.dataDir(), "service reinstate --client-id " + id).status == 0);
  const Value history = jsonOf(w.call(w.admin, "GET", "/services/" + id + "/history"));
  const auto& events = history.find("events")->items();
  BOOST_REQUIRE_GE(events.size(), 2U);
  const Value& suspend = events[events.size() - 2];
  BOOST_TEST(stringOf(suspend, "action") == "suspend");
  BOOST_TEST(stringOf(*suspend.find("actor"), "login") == "cli");
  BOOST_TEST(stringOf(suspend, "reason") == "Incident de sécurité");
  BOOST_TEST(stringOf(events.back(), "action") == "reinstate");
}

BOOST_AUTO_TEST_CASE(the_pages_walk_a_service_with_csrf_protected_forms_in_french) {
  RegistryWorld& w = world();
  HttpClient c = w.gw.client();
  HttpResponse anonymous = c.get("/registry/");
  BOOST_TEST(anonymous.status == 303);
  BOOST_TEST(pathOf(anonymous.header("Location")) == "/registry/login?next=%2Fregistry%2F");

  HttpResponse home = c.get("/registry/", w.editor.browser.headers());
  BOOST_TEST(home.status == 200);
  BOOST_TEST(home.header("X-Frame-Options") == "DENY");
  BOOST_TEST(home.body.find("lang=\"fr\"") != std::string::npos);
  HttpResponse form = c.get("/registry/services/new", w.editor.browser.headers());
  BOOST_TEST(form.status == 200);
  auto fields = hiddenInputs(form.body);
  BOOST_REQUIRE(!fields.empty());
  std::vector<std::pair<std::string, std::string>> service = {
      {"name", "Tensio Pages"},
      {"description", "Carnet de tension artérielle relié au tensiomètre."},
      {"category", "measures"},
      {"website", "https://tensio.example"},
      {"contact", "dpo@tensio.example"},
      {"client_type", "public"},
      {"redirect_uris", "https://tensio.example/callback\r\ncom.tensio.app:/cb"},
      {"requested_accesses", "mesures.read"},
      {"requested_accesses", "offline"}};
  // Without the CSRF field nothing is created.
  HttpResponse forged =
      c.post("/registry/services", formEncode(service), kFormType, w.editor.browser.headers());
  BOOST_TEST(forged.status == 403);
  BOOST_TEST(forged.body.find("Aucune action n’a été effectuée") != std::string::npos);
  // A bad field shows the form again with the problem in French.
  auto badFields = fields;
  for (const auto& f : service) {
    badFields.emplace_back(f.first, f.first == "website" ? "http://tensio.example" : f.second);
  }
  HttpResponse refused =
      c.post("/registry/services", formEncode(badFields), kFormType, w.editor.browser.headers());
  BOOST_TEST(refused.status == 422);
  BOOST_TEST(refused.body.find("Site web : une adresse https.") != std::string::npos);
  BOOST_TEST(refused.body.find("value=\"Tensio Pages\"") != std::string::npos);  // kept
  auto good = fields;
  good.insert(good.end(), service.begin(), service.end());
  HttpResponse created =
      c.post("/registry/services", formEncode(good), kFormType, w.editor.browser.headers());
  BOOST_REQUIRE_EQUAL(created.status, 303);
  const std::string servicePage = pathOf(created.header("Location"));
  BOOST_TEST(servicePage.find("?done=create") != std::string::npos);
  HttpResponse shown = c.get(servicePage, w.editor.browser.headers());
  BOOST_TEST(shown.status == 200);
  BOOST_TEST(shown.body.find("Le dossier a été créé.") != std::string::npos);
  BOOST_TEST(shown.body.find("com.tensio.app:/cb") != std::string::npos);
  const std::string base = servicePage.substr(0, servicePage.find('?'));
  const std::string id = base.substr(base.rfind('/') + 1);

  // Submit with the page's action form.
  std::vector<std::pair<std::string, std::string>> submitForm = {{"csrf", w.editor.csrf},
                                                                 {"reason", "Dossier prêt"}};
  HttpResponse submitted = c.post(base + "/actions/submit", formEncode(submitForm), kFormType,
                                  w.editor.browser.headers());
  BOOST_TEST(submitted.status == 303);
  BOOST_TEST(w.statusOf(id) == "submitted");
  HttpResponse twice = c.post(base + "/actions/submit", formEncode(submitForm), kFormType,
                              w.editor.browser.headers());
  BOOST_TEST(twice.status == 409);
  BOOST_TEST(twice.body.find("Cette action n’est pas possible") != std::string::npos);
  BOOST_TEST(twice.body.find("Reprendre la soumission") != std::string::npos);

  // A report nested deeper than max_json_depth (32) is refused by the page as by the API, and
  // nothing is attached.
  std::string deep = "1";
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  std::vector<std::pair<std::string, std::string>> deepUpload = {
      {"csrf", w.evaluator.csrf},
      {"report", R"({"x":)" + deep + "," + testReport("deep").substr(1)}};
  HttpResponse tooDeep =
      c.post(base + "/evidence", formEncode(deepUpload), kFormType, w.evaluator.browser.headers());
  BOOST_TEST(tooDeep.status == 400);
  BOOST_TEST(tooDeep.body.find("imbriqué trop profondément") != std::string::npos);
  BOOST_TEST(jsonOf(w.call(w.evaluator, "GET", "/services/" + id + "/evidence"))
                 .find("evidence")
                 ->items()
                 .empty());

  // The evaluator attaches a report from the page, starts, marks with the checklist form.
  std::vector<std::pair<std::string, std::string>> upload = {{"csrf", w.evaluator.csrf},
                                                             {"report", testReport("pages")}};
  BOOST_TEST(
      c.post(base + "/evidence", formEncode(upload), kFormType, w.evaluator.browser.headers())
          .status == 303);
  BOOST_TEST(c.post(base + "/actions/start-evaluation",
                    formEncode({{"csrf", w.evaluator.csrf}, {"reason", ""}}), kFormType,
                    w.evaluator.browser.headers())
                 .status == 303);
  HttpResponse checklist = c.get(base + "/evaluation", w.evaluator.browser.headers());
  BOOST_TEST(checklist.status == 200);
  BOOST_TEST(checklist.body.find("✓ Vérifié par le test client.pkce-s256") != std::string::npos);
  BOOST_TEST(checklist.body.find("✗ Test client.measures-valid échoué") != std::string::npos);
  std::vector<std::pair<std::string, std::string>> marks = {{"csrf", w.evaluator.csrf}};
  for (const std::string& criterion : w.required) {
    // SEC-02 not met, without the note that needs.
    marks.emplace_back("verdict." + criterion, criterion == "SEC-02" ? "not_met" : "met");
  }
  HttpResponse partial =
      c.post(base + "/evaluation", formEncode(marks), kFormType, w.evaluator.browser.headers());
  BOOST_TEST(partial.status == 422);
  BOOST_TEST(partial.body.find("SEC-02 : Une note est requise") != std::string::npos);
  marks.emplace_back("note.SEC-02", "URI de redirection http hors boucle locale");
  BOOST_TEST(
      c.post(base + "/evaluation", formEncode(marks), kFormType, w.evaluator.browser.headers())
          .status == 303);
  BOOST_TEST(c.post(base + "/actions/move-to-commission",
                    formEncode({{"csrf", w.evaluator.csrf}, {"reason", "Complet"}}), kFormType,
                    w.evaluator.browser.headers())
                 .status == 303);

  // The commission's page: history, criteria, evidence with verdict, score and date; the form.
  HttpResponse decision = c.get(base + "/decision", w.commission.browser.headers());
  BOOST_TEST(decision.status == 200);
  for (const char* expected :
       {"Historique", "Soumettre au référencement", "evaluatrice@ans.example",
        "Rapports de conformité", "Échec", "50 %", "2026-11-23T10:15:00+01:00", "Non satisfait",
        "URI de redirection http hors boucle locale", "Avis favorable avec réserves",
        "name=\"granted_accesses\""}) {
    BOOST_TEST(decision.body.find(expected) != std::string::npos, expected);
  }
  HttpResponse decided = c.post(base + "/decision",
                                formEncode({{"csrf", w.commission.csrf},
                                            {"decision", "favourable"},
                                            {"granted_accesses", "mesures.read"},
                                            {"reason", "Conforme"}}),
                                kFormType, w.commission.browser.headers());
  BOOST_TEST(decided.status == 303);
  BOOST_TEST(w.statusOf(id) == "referenced");

  // Administration: the administrator's page, refused to others.
  HttpResponse admin = c.get("/registry/admin", w.admin.browser.headers());
  BOOST_TEST(admin.status == 200);
  BOOST_TEST(admin.body.find("Tensio SAS") != std::string::npos);
  BOOST_TEST(admin.body.find("evaluatrice@ans.example") != std::string::npos);
  BOOST_TEST(c.get("/registry/admin", w.evaluator.browser.headers()).status == 403);
  HttpResponse badSiret = c.post("/registry/admin/organisations",
                                 formEncode({{"csrf", w.admin.csrf},
                                             {"legal_name", "Mauvais SIRET SAS"},
                                             {"siret", "73282932000075"},
                                             {"editor_oid", "urn:oid:1.2.250.1.999.5"},
                                             {"contact", "a@mauvais.example"}}),
                                 kFormType, w.admin.browser.headers());
  BOOST_TEST(badSiret.status == 422);
  BOOST_TEST(badSiret.body.find("clé de contrôle (Luhn)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_page_form_refuses_a_post_without_its_csrf_token) {
  RegistryWorld& w = world();
  HttpClient c = w.gw.client();
  const std::string id = w.serviceAt("commission");
  const std::string base = "/registry/services/" + id;
  const size_t accountsBefore =
      jsonOf(w.call(w.admin, "GET", "/accounts")).find("accounts")->items().size();
  struct Post {
    const RegistryUser* who;
    std::string path;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  const std::vector<Post> posts = {
      {&w.editor, base + "/actions/retract", {{"reason", "x"}}},
      {&w.evaluator, base + "/evidence", {{"report", testReport("csrf")}}},
      {&w.evaluator, base + "/evaluation", {{"verdict.SEC-01", "not_met"}, {"note.SEC-01", "x"}}},
      {&w.commission, base + "/decision", {{"decision", "unfavourable"}, {"reason", "x"}}},
      {&w.admin,
       "/registry/admin/organisations",
       {{"legal_name", "Forgée SAS"},
        {"siret", "73282932000074"},
        {"editor_oid", "urn:oid:1.2.250.1.999.66"},
        {"contact", "a@forge.example"}}},
      {&w.admin,
       "/registry/admin/accounts",
       {{"login", "forge@ans.example"}, {"role", "admin"}, {"password", kRegistryPassword}}},
  };
  for (const Post& post : posts) {
    for (const std::string& token :
         {std::string(), w.commission.csrf == post.who->csrf ? w.admin.csrf : w.commission.csrf}) {
      auto fields = post.fields;
      if (!token.empty()) fields.emplace_back("csrf", token);  // another session's token
      HttpResponse r =
          c.post(post.path, formEncode(fields), kFormType, post.who->browser.headers());
      BOOST_TEST(r.status == 403, post.path << ": " << r.status);
      BOOST_TEST(r.body.find("Aucune action n’a été effectuée") != std::string::npos, post.path);
    }
  }
  // Nothing happened: the service is where it was, with no new evidence; no account was made.
  BOOST_TEST(w.statusOf(id) == "commission");
  BOOST_TEST(jsonOf(w.call(w.admin, "GET", "/services/" + id + "/evidence"))
                 .find("evidence")
                 ->items()
                 .empty());
  BOOST_TEST(jsonOf(w.call(w.admin, "GET", "/accounts")).find("accounts")->items().size() ==
             accountsBefore);

  // With its token, the administrator's account form creates the account.
  HttpResponse made = c.post("/registry/admin/accounts",
                             formEncode({{"csrf", w.admin.csrf},
                                         {"login", "page-evaluateur@ans.example"},
                                         {"role", "evaluator"},
                                         {"organisation_id", w.tensioOrg},  // ignored: not editor
                                         {"password", kRegistryPassword}}),
                             kFormType, w.admin.browser.headers());
  BOOST_TEST(made.status == 303);
  BOOST_TEST(made.header("Location").find("/registry/admin?done=account") != std::string::npos);
  bool listed = false;
  const Value accounts = jsonOf(w.call(w.admin, "GET", "/accounts"));
  for (const Value& a : accounts.find("accounts")->items()) {
    listed = listed || (stringOf(a, "login") == "page-evaluateur@ans.example" &&
                        stringOf(a, "role") == "evaluator");
  }
  BOOST_TEST(listed);
  RegistryUser fresh = registryLogin(w.gw, "page-evaluateur@ans.example");
  BOOST_TEST(w.call(fresh, "GET", "/services/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(a_malformed_criteria_file_stops_the_gateway_at_start) {
  TempDir dir("mes-criteria");
  const std::filesystem::path file = dir.path() / "criteria.json";
  std::ofstream(file) << R"({"version":"x","themes":[],"criteria":[{"id":"bad"}]})";
  const std::string command = "timeout 30 " + std::string(kGatewayBinary) +
                              " serve --port 18999 --registry-criteria-file '" + file.string() +
                              "' --data-dir '" + (dir.path() / "var").string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 1, out);
  BOOST_TEST(out.find("cannot open the gateway") != std::string::npos, out);
  BOOST_TEST(out.find("criteria[0].id must be 2 to 4 capital letters") != std::string::npos, out);
  BOOST_TEST(out.find("themes must declare the theme") != std::string::npos, out);
}

BOOST_AUTO_TEST_SUITE_END()

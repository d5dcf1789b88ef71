// Pairing over HTTP against the real gateway (issue #3 point 9, SPEC §1): discovery,
// authorize → portal login → one-time code → partial consent → token → calls allowed and refused
// per scope → refresh (rotation, narrowing, never widening) → revocation by the patient in the
// portal → 401; the app ending its own pairing (DELETE /oauth/pairing, RFC 7009 revocation); the
// pairing as a FHIR Consent; re-pairing; introspection; JWKS and key rotation.
#include <boost/test/unit_test.hpp>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;

namespace {

// One gateway for the tests of this file that can share it: each pairs the demo app anew
// (approving again updates or reactivates the one pairing of demo and the demo app).
World& flow() {
  static std::unique_ptr<World> world = std::make_unique<World>();
  return *world;
}

std::set<std::string> stringsOf(const Value* array) {
  std::set<std::string> out;
  if (array == nullptr) return out;
  for (const auto& v : array->items()) out.insert(v.text());
  return out;
}

bool contains(const std::set<std::string>& set, std::initializer_list<const char*> wanted) {
  for (const char* w : wanted) {
    if (!set.contains(w)) return false;
  }
  return true;
}

// The <section class="card"> of the portal home page that names `service`, "" when none.
std::string cardOf(const std::string& html, const std::string& service) {
  const std::string open = "<section class=\"card\">";
  for (size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const size_t end = html.find("</section>", at);
    const std::string card =
        html.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (htmlText(card).find("<h2>" + service + "</h2>") != std::string::npos) return card;
  }
  return {};
}

// The (class, SMART letter) pairs of a Consent's nested provisions, and how many there are.
std::pair<std::multiset<std::string>, size_t> provisionsOf(const Value& consent) {
  std::multiset<std::string> out;
  size_t n = 0;
  const Value* provision = consent.find("provision");
  const Value* nested = provision != nullptr ? provision->find("provision") : nullptr;
  if (nested == nullptr) return {out, 0};
  for (const auto& p : nested->items()) {
    ++n;
    std::string type;
    std::string letter;
    if (const Value* classes = p.find("class"); classes != nullptr && !classes->items().empty()) {
      type = stringOf(classes->items()[0], "code");
    }
    if (const Value* actions = p.find("action"); actions != nullptr && !actions->items().empty()) {
      for (const auto& c : actions->items()[0].find("coding")->items()) {
        if (stringOf(c, "system") == "urn:mes-gateway:smart-permission")
          letter = stringOf(c, "code");
      }
    }
    out.insert(type + "." + letter + "/" + stringOf(p, "type"));
  }
  return {out, n};
}

std::string grantedScopeOf(const Value& consent) {
  const Value* extensions = consent.find("extension");
  if (extensions == nullptr) return {};
  for (const auto& e : extensions->items()) {
    if (stringOf(e, "url") == "urn:mes-gateway:StructureDefinition:granted-scope") {
      return stringOf(e, "valueString");
    }
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_flow)

BOOST_AUTO_TEST_CASE(discovery_documents_list_every_field_of_the_spec) {
  World& w = flow();
  const std::string base = w.gw->baseUrl();
  for (const char* path :
       {"/fhir/.well-known/smart-configuration", "/.well-known/openid-configuration"}) {
    BOOST_TEST_CONTEXT(path) {
      auto r = w.gw->client().get(path);  // no token
      BOOST_TEST(r.status == 200);
      BOOST_TEST(r.header("Content-Type").find("application/json") != std::string::npos);
      Value d = jsonOf(r);
      BOOST_TEST(stringOf(d, "issuer") == base);
      BOOST_TEST(stringOf(d, "authorization_endpoint") == base + "/oauth/authorize");
      BOOST_TEST(stringOf(d, "token_endpoint") == base + "/oauth/token");
      BOOST_TEST(stringOf(d, "introspection_endpoint") == base + "/oauth/introspect");
      BOOST_TEST(stringOf(d, "revocation_endpoint") == base + "/oauth/revoke");
      BOOST_TEST(stringOf(d, "jwks_uri") == base + "/oauth/jwks");
      BOOST_TEST(contains(stringsOf(d.find("grant_types_supported")),
                          {"authorization_code", "refresh_token"}));
      BOOST_TEST(stringsOf(d.find("code_challenge_methods_supported")) ==
                 std::set<std::string>{"S256"});
      BOOST_TEST(contains(stringsOf(d.find("token_endpoint_auth_methods_supported")),
                          {"private_key_jwt", "none"}));
      BOOST_TEST(contains(
          stringsOf(d.find("scopes_supported")),
          {"openid", "fhirUser", "launch/patient", "offline_access", "patient/Observation.rs",
           "patient/Observation.cud", "patient/Device.rs", "patient/Device.c"}));
    }
  }
  Value smart = jsonOf(w.gw->client().get("/fhir/.well-known/smart-configuration"));
  BOOST_TEST(contains(stringsOf(smart.find("capabilities")),
                      {"launch-standalone", "client-public", "client-confidential-asymmetric",
                       "context-standalone-patient", "permission-patient", "permission-offline",
                       "permission-v1", "permission-v2", "sso-openid-connect"}));
  // Every endpoint listed answers at that URL (a GET on the POST-only ones is a 405, not a 404).
  BOOST_TEST(w.gw->client().get("/oauth/jwks").status == 200);
  BOOST_TEST(w.gw->client().get("/oauth/token").status == 405);
  BOOST_TEST(w.gw->client().get("/oauth/introspect").status == 405);
  BOOST_TEST(w.gw->client().get("/oauth/revoke").status == 405);
}

BOOST_AUTO_TEST_CASE(
    authorize_login_code_partial_consent_token_calls_refresh_and_portal_revocation) {
  World w;  // a gateway of its own: this is the patient's first pairing with the demo app
  GatewayProcess& gw = *w.gw;
  HttpClient c = gw.client();

  // A measure of the patient, written by another service, for the read-only app to find.
  addService(gw, "writer-app", "https://writer.example/cb");
  Browser writerBrowser;
  PairingResult writer =
      pairApp(gw, w.seed, writerBrowser,
              w.request(kMeasureScopes, "writer-app", "https://writer.example/cb"));
  const std::string measureId =
      createdId(w.app(writer.accessToken).post("/fhir/Observation", weightOf("demo")));

  // 1. The app sends the patient to /oauth/authorize: 303 to the consent page.
  AuthorizationRequest request = w.request();
  request.state = "st&te with spaces/?=";
  HttpResponse authorized = c.get(authorizeTarget(gw, request));
  BOOST_TEST_REQUIRE(authorized.status == 303);
  BOOST_TEST(authorized.header("Cache-Control") == "no-store");
  std::string consentPath = pathOf(authorized.header("Location"));
  BOOST_TEST_REQUIRE(consentPath.rfind("/portal/consent?", 0) == 0);

  // 2. Not logged in: the portal asks for the login first, and comes back to the consent page.
  HttpResponse anonymous = c.get(consentPath);
  BOOST_TEST(anonymous.status == 303);
  BOOST_TEST(pathOf(anonymous.header("Location")).rfind("/portal/login?next=", 0) == 0);
  const size_t codesBefore = countNotifications(gw.dataDir(), "login-code", "demo");
  HttpResponse loggedIn = portalLogin(gw, w.demoBrowser, w.seed, consentPath);  // password + code
  BOOST_TEST(countNotifications(gw.dataDir(), "login-code", "demo") == codesBefore + 1);
  BOOST_TEST(pathOf(loggedIn.header("Location")) == consentPath);

  // 3. The consent screen: the service, its editor, one checkbox per access, in French.
  HttpResponse page = c.get(consentPath, w.demoBrowser.headers());
  BOOST_TEST_REQUIRE(page.status == 200);
  BOOST_TEST(page.header("X-Frame-Options") == "DENY");
  const std::string text = htmlText(page.body);
  for (const char* expected :
       {"Carnet Démo", "Éditeur de démonstration", "Lire vos mesures", "Enregistrer des mesures",
        "Connaître votre identité", "Rester connecté"}) {
    BOOST_TEST(text.find(expected) != std::string::npos, "consent page shows " << expected);
  }
  const auto offered = checkboxValues(page.body, "access");
  BOOST_TEST((std::set<std::string>(offered.begin(), offered.end()) ==
              std::set<std::string>{"mesures.read", "mesures.write", "identity", "offline"}));

  // 4. The patient unticks "Enregistrer des mesures": the app gets a code, the state and iss.
  HttpResponse decided = w.decide(page, partialTicks());
  BOOST_TEST_REQUIRE(decided.status == 303);
  const std::string redirect = decided.header("Location");
  BOOST_TEST(redirect.rfind(w.seed.redirectUri + "?", 0) == 0);
  BOOST_TEST(queryParam(redirect, "state") == request.state);
  BOOST_TEST(queryParam(redirect, "iss") == gw.baseUrl());
  const std::string code = queryParam(redirect, "code");
  BOOST_TEST_REQUIRE(!code.empty());

  // 5. Token: the partial scope, the patient, Bearer, lifetime, no caching, an ID token.
  HttpResponse token = w.exchange(request, code);
  BOOST_TEST_REQUIRE(token.status == 200);
  BOOST_TEST(token.header("Cache-Control") == "no-store");
  BOOST_TEST(token.header("Pragma") == "no-cache");
  BOOST_TEST(token.header("Content-Type").find("application/json") != std::string::npos);
  Value body = jsonOf(token);
  BOOST_TEST(stringOf(body, "token_type") == "Bearer");
  BOOST_TEST(body.find("expires_in")->asInt().value_or(0) == 600);
  BOOST_TEST(stringOf(body, "patient") == "demo");
  BOOST_TEST(words(stringOf(body, "scope")) == words(kPartialScope));
  Tokens t = tokensOf(token);
  BOOST_TEST(!t.refresh.empty());
  BOOST_TEST_REQUIRE(!t.id.empty());

  Jwt access = decodeJwt(t.access);
  BOOST_TEST(stringOf(access.header, "alg") == "ES256");
  BOOST_TEST(stringOf(access.header, "typ") == "at+jwt");
  BOOST_TEST(!stringOf(access.header, "kid").empty());
  BOOST_TEST(stringOf(access.claims, "iss") == gw.baseUrl());
  BOOST_TEST(stringOf(access.claims, "aud") == gw.baseUrl() + "/fhir");
  BOOST_TEST(stringOf(access.claims, "client_id") == "demo-app");
  BOOST_TEST(stringOf(access.claims, "patient") == "demo");
  BOOST_TEST(access.claims.find("exp")->asInt().value_or(0) -
                 access.claims.find("iat")->asInt().value_or(0) ==
             600);

  Jwt id = decodeJwt(t.id);
  BOOST_TEST(stringOf(id.header, "alg") == "ES256");
  BOOST_TEST(stringOf(id.claims, "iss") == gw.baseUrl());
  BOOST_TEST(stringOf(id.claims, "aud") == "demo-app");
  BOOST_TEST(stringOf(id.claims, "sub") == "demo");
  BOOST_TEST(stringOf(id.claims, "nonce") == request.nonce);
  BOOST_TEST(stringOf(id.claims, "fhirUser") == gw.baseUrl() + "/fhir/Patient/demo");
  const Value* ins = id.claims.find("ins");
  BOOST_TEST_REQUIRE(ins != nullptr);
  BOOST_TEST(stringOf(*ins, "system") == kInsSystem);
  BOOST_TEST(stringOf(*ins, "value") == kDemoIns);

  // 6. Calls: reading and searching measures is granted, writing is not.
  HttpClient app = w.app(t.access);
  HttpResponse search = app.get("/fhir/Observation?patient=demo");
  BOOST_TEST(search.status == 200);
  BOOST_TEST(jsonOf(search).find("total")->asInt().value_or(0) == 1);
  BOOST_TEST(app.get("/fhir/Observation/" + measureId).status == 200);
  for (const auto& refused :
       {app.post("/fhir/Observation", weightOf("demo")),
        app.put("/fhir/Observation/" + measureId, withId(weightOf("demo", "71.0"), measureId)),
        app.del("/fhir/Observation/" + measureId)}) {
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(outcomeCode(refused) == "consent-missing");
    BOOST_TEST(outcomeText(refused).rfind("Consent not given, access refused", 0) == 0);
  }

  // 7. Refresh: new tokens every time (rotation), same scope.
  HttpResponse refreshed = w.refresh(t.refresh);
  BOOST_TEST(refreshed.header("Cache-Control") == "no-store");
  Tokens t2 = tokensOf(refreshed);
  BOOST_TEST(t2.access != t.access);
  BOOST_TEST(!t2.refresh.empty());
  BOOST_TEST(t2.refresh != t.refresh);
  BOOST_TEST(words(t2.scope) == words(kPartialScope));
  BOOST_TEST(w.app(t2.access).get("/fhir/Observation/" + measureId).status == 200);

  // Narrowing: measures without devices, no identity.
  const std::string narrow = "launch/patient offline_access patient/Observation.rs";
  Tokens t3 = tokensOf(w.refresh(t2.refresh, narrow));
  BOOST_TEST(words(t3.scope) == words(narrow));
  BOOST_TEST(t3.id.empty());
  BOOST_TEST(w.app(t3.access).get("/fhir/Observation/" + measureId).status == 200);
  HttpResponse device = w.app(t3.access).get("/fhir/Device/some-device");
  BOOST_TEST(device.status == 403);
  BOOST_TEST(outcomeCode(device) == "consent-missing");

  // Widening is refused, and does not spend the refresh token: the grant's scope can still be
  // asked for in full (RFC 6749 §6: the refresh token keeps the original grant).
  HttpResponse widened =
      w.refresh(t3.refresh, std::string(kPartialScope) + " patient/Observation.cud");
  BOOST_TEST(widened.status == 400);
  BOOST_TEST(oauthErrorOf(widened) == "invalid_scope");
  BOOST_TEST(widened.header("Cache-Control") == "no-store");
  Tokens t4 = tokensOf(w.refresh(t3.refresh));
  BOOST_TEST(words(t4.scope) == words(kPartialScope));

  // 8. The portal lists the app with its accesses and a revoke form.
  HttpResponse home = c.get("/portal/", w.demoBrowser.headers());
  BOOST_TEST_REQUIRE(home.status == 200);
  const std::string card = cardOf(home.body, "Carnet Démo");
  BOOST_TEST_REQUIRE(!card.empty(), "the portal home lists Carnet Démo: " << home.body);
  const std::string cardText = htmlText(card);
  BOOST_TEST(cardText.find("Lire vos mesures") != std::string::npos);
  BOOST_TEST(cardText.find("Connaître votre identité") != std::string::npos);
  BOOST_TEST(cardText.find("Rester connecté") != std::string::npos);
  BOOST_TEST(cardText.find("Enregistrer des mesures") == std::string::npos);
  BOOST_TEST(cardText.find("Autorisée depuis le") != std::string::npos);
  const std::string pairingId = stringOf(access.claims, "pairing");
  const std::string revokePath = "/portal/pairings/" + pairingId + "/revoke";
  BOOST_TEST(card.find("action=\"" + revokePath + "\"") != std::string::npos);
  BOOST_TEST(!cardOf(home.body, "Service writer-app").empty());

  // Without the CSRF token nothing happens.
  HttpResponse forged = c.post(revokePath, "", kFormType, w.demoBrowser.headers());
  BOOST_TEST(forged.status == 403);
  BOOST_TEST(w.app(t4.access).get("/fhir/Observation/" + measureId).status == 200);

  // 9. The patient revokes: effective on the very next request.
  HttpResponse revoked =
      c.post(revokePath, formEncode(hiddenInputs(card)), kFormType, w.demoBrowser.headers());
  BOOST_TEST(revoked.status == 303);
  BOOST_TEST(revoked.header("Location") == "/portal/");
  for (const std::string& old : {t4.access, t.access}) {
    HttpResponse after = w.app(old).get("/fhir/Observation/" + measureId);
    BOOST_TEST(isBearer401(after));
    BOOST_TEST(after.header("WWW-Authenticate").find("error=\"invalid_token\"") !=
               std::string::npos);
    expectPairingRevoked(after);
  }
  HttpResponse refreshAfter = w.refresh(t4.refresh);
  BOOST_TEST(refreshAfter.status == 400);
  BOOST_TEST(oauthErrorOf(refreshAfter) == "invalid_grant");

  // The portal shows it among the ended authorizations; the other app is untouched.
  HttpResponse homeAfter = c.get("/portal/", w.demoBrowser.headers());
  BOOST_TEST(cardOf(homeAfter.body, "Carnet Démo").empty());
  const std::string endedText =
      htmlText(homeAfter.body.substr(homeAfter.body.find("Autorisations retirées")));
  BOOST_TEST(endedText.find("Carnet Démo") != std::string::npos);
  BOOST_TEST(w.app(writer.accessToken).get("/fhir/Observation/" + measureId).status == 200);
}

BOOST_AUTO_TEST_CASE(no_id_token_without_openid_and_no_refresh_token_without_offline_access) {
  World& w = flow();
  // Only data scopes asked: launch/patient comes with them (patient context), nothing else.
  AuthorizationRequest dataOnly = w.request("launch/patient patient/Observation.rs");
  PairingResult p = w.pair(dataOnly);
  BOOST_TEST(words(p.grantedScope) == words("launch/patient patient/Observation.rs"));
  BOOST_TEST(p.idToken.empty());
  BOOST_TEST(p.refreshToken.empty());
  Value body = jsonOf(p.token);
  BOOST_TEST(body.find("id_token") == nullptr);
  BOOST_TEST(body.find("refresh_token") == nullptr);

  // Identity asked for but unticked: no openid granted, hence no ID token.
  PairingResult unticked = w.pair(w.request(), {"mesures.read"});
  BOOST_TEST(words(unticked.grantedScope) ==
             words("launch/patient patient/Observation.rs patient/Device.rs"));
  BOOST_TEST(unticked.idToken.empty());
  BOOST_TEST(unticked.refreshToken.empty());
  BOOST_TEST(w.app(unticked.accessToken).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_CASE(denying_or_ticking_nothing_sends_access_denied_back_to_the_app) {
  World& w = flow();
  AuthorizationRequest r = w.request();
  for (const std::string decision : {"deny", "approve-nothing"}) {
    BOOST_TEST_CONTEXT(decision) {
      HttpResponse page = w.consentPage(r);
      HttpResponse decided =
          decision == "deny" ? w.decide(page, {}, "deny")
                             : w.decide(page, {"none-of-these"}, "approve");  // no real row ticked
      BOOST_TEST(decided.status == 303);
      const std::string location = decided.header("Location");
      BOOST_TEST(location.rfind(w.seed.redirectUri + "?", 0) == 0);
      BOOST_TEST(queryParam(location, "error") == "access_denied");
      BOOST_TEST(queryParam(location, "state") == r.state);
      BOOST_TEST(queryParam(location, "iss") == w.gw->baseUrl());
      BOOST_TEST(queryParam(location, "code").empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_app_ends_its_pairing_with_delete_oauth_pairing) {
  World& w = flow();
  PairingResult p = w.pair();
  HttpClient app = w.app(p.accessToken);
  BOOST_TEST_REQUIRE(app.get("/fhir/Observation").status == 200);
  const size_t endedBefore =
      countNotifications(w.gw->dataDir(), "pairing-ended", "demo", "demo-app");

  HttpResponse ended = app.del("/oauth/pairing");
  BOOST_TEST(ended.status == 204);
  BOOST_TEST(ended.header("Cache-Control") == "no-store");
  BOOST_TEST(countNotifications(w.gw->dataDir(), "pairing-ended", "demo", "demo-app") ==
             endedBefore + 1);

  HttpResponse after = app.get("/fhir/Observation");
  BOOST_TEST(isBearer401(after));
  expectPairingRevoked(after);
  // Once ended the token is dead: a second DELETE is 401 (Bearer challenge).
  HttpResponse again = app.del("/oauth/pairing");
  BOOST_TEST(again.status == 401);
  BOOST_TEST(again.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
  BOOST_TEST(oauthErrorOf(again) == "invalid_token");
  HttpResponse refresh = w.refresh(p.refreshToken);
  BOOST_TEST(refresh.status == 400);
  BOOST_TEST(oauthErrorOf(refresh) == "invalid_grant");
  // Without a token at all.
  HttpResponse anonymous = w.gw->client().del("/oauth/pairing");
  BOOST_TEST(anonymous.status == 401);
  BOOST_TEST(anonymous.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
}

BOOST_AUTO_TEST_CASE(revoking_the_refresh_token_ends_the_pairing) {
  World& w = flow();
  PairingResult p = w.pair();
  BOOST_TEST_REQUIRE(!p.refreshToken.empty());
  auto revoke = [&](const std::string& token) {
    return w.gw->client().post(
        "/oauth/revoke", formEncode({{"token", token}, {"client_id", "demo-app"}}), kFormType);
  };
  HttpResponse r = revoke(p.refreshToken);
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.header("Cache-Control") == "no-store");
  HttpResponse after = w.app(p.accessToken).get("/fhir/Observation");
  BOOST_TEST(isBearer401(after));
  expectPairingRevoked(after);
  HttpResponse refresh = w.refresh(p.refreshToken);
  BOOST_TEST(refresh.status == 400);
  BOOST_TEST(oauthErrorOf(refresh) == "invalid_grant");
  // RFC 7009 §2.2: already revoked or unknown tokens answer 200 all the same.
  BOOST_TEST(revoke(p.refreshToken).status == 200);
  BOOST_TEST(revoke("not-a-token-we-issued").status == 200);
  HttpResponse missing = w.gw->client().post("/oauth/revoke", "client_id=demo-app", kFormType);
  BOOST_TEST(missing.status == 400);
  BOOST_TEST(oauthErrorOf(missing) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(revoking_an_access_token_ends_only_its_grant) {
  World& w = flow();
  PairingResult first = w.pair();
  PairingResult second = w.pair();  // the same pairing, a second code exchange
  HttpResponse r = w.gw->client().post(
      "/oauth/revoke", formEncode({{"token", first.accessToken}, {"client_id", "demo-app"}}),
      kFormType);
  BOOST_TEST(r.status == 200);
  HttpResponse dead = w.app(first.accessToken).get("/fhir/Observation");
  BOOST_TEST(isBearer401(dead));
  BOOST_TEST(outcomeCode(dead) == "token-revoked");
  BOOST_TEST(oauthErrorOf(w.refresh(first.refreshToken)) == "invalid_grant");
  // The other grant of the pairing lives on.
  BOOST_TEST(w.app(second.accessToken).get("/fhir/Observation").status == 200);
  Tokens renewed = tokensOf(w.refresh(second.refreshToken));
  BOOST_TEST(w.app(renewed.access).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_CASE(the_app_reads_its_pairing_as_a_fhir_consent) {
  World& w = flow();
  PairingResult p = w.pair(w.request(), partialTicks());
  const std::string pairingId = stringOf(decodeJwt(p.accessToken).claims, "pairing");
  HttpClient app = w.app(p.accessToken);

  for (const char* query : {"?patient=demo", "?patient=Patient/demo", ""}) {
    BOOST_TEST_CONTEXT(query) {
      HttpResponse r = app.get(std::string("/fhir/Consent") + query);
      BOOST_TEST_REQUIRE(r.status == 200);
      BOOST_TEST(r.header("Content-Type").find("application/fhir+json") != std::string::npos);
      Value bundle = jsonOf(r);
      BOOST_TEST(stringOf(bundle, "type") == "searchset");
      BOOST_TEST(bundle.find("total")->asInt().value_or(-1) == 1);
      BOOST_TEST_REQUIRE(bundle.find("entry")->items().size() == 1u);
      const Value& consent = *bundle.find("entry")->items()[0].find("resource");
      BOOST_TEST(stringOf(consent, "resourceType") == "Consent");
      BOOST_TEST(stringOf(consent, "id") == pairingId);
    }
  }

  HttpResponse read = app.get("/fhir/Consent/" + pairingId);
  BOOST_TEST_REQUIRE(read.status == 200);
  BOOST_TEST(!read.header("ETag").empty());
  Value consent = jsonOf(read);
  BOOST_TEST(stringOf(consent, "status") == "active");
  BOOST_TEST(stringOf(*consent.find("patient"), "reference") == "Patient/demo");
  BOOST_TEST(sameScope(grantedScopeOf(consent), kPartialScope));
  const Value& provision = *consent.find("provision");
  BOOST_TEST(stringOf(provision, "type") == "permit");
  BOOST_TEST(!stringOf(*provision.find("period"), "start").empty());
  BOOST_TEST(provision.find("period")->find("end") == nullptr);
  const Value& actor = provision.find("actor")->items().at(0);
  const Value& who = *actor.find("reference");
  BOOST_TEST(stringOf(*who.find("identifier"), "system") == "urn:mes-gateway:client-id");
  BOOST_TEST(stringOf(*who.find("identifier"), "value") == "demo-app");
  BOOST_TEST(stringOf(who, "display") == "Carnet Démo");
  // One provision per granted type and letter.
  auto [partial, n] = provisionsOf(consent);
  BOOST_TEST(n == 4u);
  BOOST_TEST((partial == std::multiset<std::string>{"Observation.r/permit", "Observation.s/permit",
                                                    "Device.r/permit", "Device.s/permit"}));

  // Approving more updates the same Consent.
  PairingResult full = w.pair();
  HttpResponse updated = w.app(full.accessToken).get("/fhir/Consent/" + pairingId);
  BOOST_TEST_REQUIRE(updated.status == 200);
  Value after = jsonOf(updated);
  BOOST_TEST(sameScope(grantedScopeOf(after), kMeasureScopes));
  auto [all, count] = provisionsOf(after);
  BOOST_TEST(count == 8u);
  BOOST_TEST((all == std::multiset<std::string>{"Observation.c/permit", "Observation.r/permit",
                                                "Observation.u/permit", "Observation.d/permit",
                                                "Observation.s/permit", "Device.c/permit",
                                                "Device.r/permit", "Device.s/permit"}));

  // Nothing else is visible: another id, another patient, other parameters.
  HttpResponse other = app.get("/fhir/Consent/not-this-one");
  BOOST_TEST(other.status == 404);
  HttpResponse mismatch = app.get("/fhir/Consent?patient=demo-2");
  BOOST_TEST(mismatch.status == 403);
  BOOST_TEST(outcomeCode(mismatch) == "patient-mismatch");
  HttpResponse unknown = app.get("/fhir/Consent?status=active");
  BOOST_TEST(unknown.status == 400);
  BOOST_TEST(outcomeCode(unknown) == "unknown-parameter");
  BOOST_TEST(isBearer401(w.gw->client().get("/fhir/Consent?patient=demo")));
  // Another app paired with the same patient sees its own Consent only.
  addService(*w.gw, "consent-other", "https://consent-other.example/cb");
  PairingResult otherApp =
      w.pair(w.request(kMeasureScopes, "consent-other", "https://consent-other.example/cb"));
  HttpClient otherClient = w.app(otherApp.accessToken);
  BOOST_TEST(otherClient.get("/fhir/Consent/" + pairingId).status == 404);
  Value theirs = jsonOf(otherClient.get("/fhir/Consent?patient=demo"));
  BOOST_TEST_REQUIRE(theirs.find("entry")->items().size() == 1u);
  const Value& theirConsent = *theirs.find("entry")->items()[0].find("resource");
  BOOST_TEST(stringOf(theirConsent, "id") != pairingId);
  BOOST_TEST(stringOf(*theirConsent.find("provision")
                           ->find("actor")
                           ->items()
                           .at(0)
                           .find("reference")
                           ->find("identifier"),
                      "value") == "consent-other");
}

BOOST_AUTO_TEST_CASE(re_pairing_after_revocation_reactivates_the_same_consent) {
  World& w = flow();
  PairingResult p = w.pair();
  const std::string pairingId = stringOf(decodeJwt(p.accessToken).claims, "pairing");
  Value before = jsonOf(w.app(p.accessToken).get("/fhir/Consent/" + pairingId));
  const std::string version = stringOf(*before.find("meta"), "versionId");
  const std::string started = stringOf(*before.find("provision")->find("period"), "start");

  BOOST_TEST_REQUIRE(w.app(p.accessToken).del("/oauth/pairing").status == 204);
  PairingResult again = w.pair();
  BOOST_TEST(stringOf(decodeJwt(again.accessToken).claims, "pairing") == pairingId);
  HttpResponse read = w.app(again.accessToken).get("/fhir/Consent/" + pairingId);
  BOOST_TEST_REQUIRE(read.status == 200);
  Value consent = jsonOf(read);
  BOOST_TEST(stringOf(consent, "status") == "active");
  // Ended (inactive) then reactivated: two new versions, history kept. (period.start: the
  // gateway starts a new period of consent on reactivation, while pairings.h and pairing.yaml
  // say "first approval"; only its presence is checked here.)
  BOOST_TEST(stringOf(*consent.find("meta"), "versionId") ==
             std::to_string(std::stoi(version) + 2));
  BOOST_TEST(!stringOf(*consent.find("provision")->find("period"), "start").empty());
  BOOST_TEST(!started.empty());
  BOOST_TEST(consent.find("provision")->find("period")->find("end") == nullptr);
  // Reactivating the pairing does not bring the old tokens back.
  BOOST_TEST(isBearer401(w.app(p.accessToken).get("/fhir/Observation")));
  BOOST_TEST(oauthErrorOf(w.refresh(p.refreshToken)) == "invalid_grant");
  BOOST_TEST(w.app(again.accessToken).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_CASE(introspection_reports_active_and_inactive_tokens) {
  World& w = flow();
  addService(*w.gw, "introspect-other", "https://other.example/cb");
  PairingResult p = w.pair();
  auto introspect = [&](const std::string& token, const std::string& clientId) {
    Form form{{"token", token}};
    if (!clientId.empty()) form.emplace_back("client_id", clientId);
    return w.gw->client().post("/oauth/introspect", formEncode(form), kFormType);
  };

  HttpResponse r = introspect(p.accessToken, "demo-app");
  BOOST_TEST_REQUIRE(r.status == 200);
  BOOST_TEST(r.header("Cache-Control") == "no-store");
  Value active = jsonOf(r);
  const Jwt jwt = decodeJwt(p.accessToken);
  BOOST_TEST(active.find("active")->asBool());
  BOOST_TEST(sameScope(stringOf(active, "scope"), p.grantedScope));
  BOOST_TEST(stringOf(active, "client_id") == "demo-app");
  BOOST_TEST(stringOf(active, "patient") == "demo");
  BOOST_TEST(stringOf(active, "sub") == "demo");
  BOOST_TEST(active.find("exp")->asInt().value_or(0) ==
             jwt.claims.find("exp")->asInt().value_or(-1));

  Value refresh = jsonOf(introspect(p.refreshToken, "demo-app"));
  BOOST_TEST(refresh.find("active")->asBool());
  BOOST_TEST(stringOf(refresh, "client_id") == "demo-app");
  BOOST_TEST(stringOf(refresh, "patient") == "demo");

  // Inactive: junk, another client's token (nothing else disclosed), after the end.
  auto inactive = [](const HttpResponse& resp) {
    if (resp.status != 200) return false;
    auto v = mes::fhir::parseJson(resp.body);
    return v.isOk() && v->members().size() == 1 && v->find("active") != nullptr &&
           v->find("active")->isBool() && !v->find("active")->asBool();
  };
  BOOST_TEST(inactive(introspect("junk", "demo-app")));
  BOOST_TEST(inactive(introspect("a.b.c", "demo-app")));
  BOOST_TEST(inactive(introspect(p.accessToken, "introspect-other")));
  BOOST_TEST(inactive(introspect(p.refreshToken, "introspect-other")));
  // The client must authenticate.
  HttpResponse anonymous = introspect(p.accessToken, "");
  BOOST_TEST(anonymous.status == 401);
  BOOST_TEST(oauthErrorOf(anonymous) == "invalid_client");
  BOOST_TEST_REQUIRE(w.app(p.accessToken).del("/oauth/pairing").status == 204);
  BOOST_TEST(inactive(introspect(p.accessToken, "demo-app")));
  BOOST_TEST(inactive(introspect(p.refreshToken, "demo-app")));
}

BOOST_AUTO_TEST_CASE(jwks_serves_the_kid_and_rotation_keeps_earlier_tokens_valid) {
  World w;  // its own key store
  PairingResult p = w.pair();
  const std::string oldKid = stringOf(decodeJwt(p.accessToken).header, "kid");

  HttpResponse jwks = w.gw->client().get("/oauth/jwks");
  BOOST_TEST_REQUIRE(jwks.status == 200);
  BOOST_TEST(jwks.header("Content-Type").find("application/jwk-set+json") != std::string::npos);
  Value set = jsonOf(jwks);
  BOOST_TEST_REQUIRE(set.find("keys")->items().size() == 1u);
  const Value& key = set.find("keys")->items()[0];
  BOOST_TEST(stringOf(key, "kid") == oldKid);
  BOOST_TEST(stringOf(key, "kty") == "EC");
  BOOST_TEST(stringOf(key, "crv") == "P-256");
  BOOST_TEST(stringOf(key, "alg") == "ES256");
  BOOST_TEST(stringOf(key, "use") == "sig");
  BOOST_TEST(key.find("d") == nullptr);
  BOOST_TEST(stringOf(decodeJwt(p.idToken).header, "kid") == oldKid);

  // Rotation while the gateway runs.
  CliResult rotated = runCli(w.gw->dataDir(), "keys rotate");
  BOOST_TEST_REQUIRE(rotated.status == 0, rotated.out);
  auto printed = mes::fhir::parseJson(rotated.out);
  BOOST_TEST_REQUIRE(printed.isOk(), rotated.out);
  const std::string newKid = stringOf(*printed, "current_kid");
  BOOST_TEST(!newKid.empty());
  BOOST_TEST(newKid != oldKid);

  Value after = jsonOf(w.gw->client().get("/oauth/jwks"));
  BOOST_TEST_REQUIRE(after.find("keys")->items().size() == 2u);
  BOOST_TEST(stringOf(after.find("keys")->items()[0], "kid") == newKid);  // current first
  BOOST_TEST(stringOf(after.find("keys")->items()[1], "kid") == oldKid);

  // Earlier tokens stay good; new tokens carry the new kid and are good too.
  BOOST_TEST(w.app(p.accessToken).get("/fhir/Observation").status == 200);
  Tokens renewed = tokensOf(w.refresh(p.refreshToken));
  BOOST_TEST(stringOf(decodeJwt(renewed.access).header, "kid") == newKid);
  BOOST_TEST(stringOf(decodeJwt(renewed.id).header, "kid") == newKid);
  BOOST_TEST(w.app(renewed.access).get("/fhir/Observation").status == 200);
  BOOST_TEST(w.app(p.accessToken).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

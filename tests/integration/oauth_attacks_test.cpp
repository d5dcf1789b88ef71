// Attack cases against the authorization server and the token checks (issue #3 point 10), one
// test each, over HTTP against the real gateway, with the refusal a client sees: forged,
// tampered, expired or misdirected tokens (signed with the gateway's own key where the check
// behind the signature is the point), code replay and theft, PKCE, redirect URIs and open
// redirects, refresh reuse and widening, CSRF on the consent form, login brute force, and client
// authentication with private_key_jwt (ES384 and RS384).
#include <strings.h>

#include <boost/test/unit_test.hpp>
#include <optional>

#include "integration/oauth_fixture.h"

using namespace mes::itest;
using namespace mes::itest::oauthtest;
using mes::fhir::Value;
namespace oauth = mes::oauth;

namespace {

// One gateway for this file; each test pairs the demo app afresh where it needs a token.
World& attacks() {
  static std::unique_ptr<World> world = std::make_unique<World>();
  return *world;
}

// A live token of the demo app for Patient/demo, from a fresh code exchange.
PairingResult freshPairing() {
  return attacks().pair();
}

// GET /fhir/Observation with `authorization` as the Authorization header.
HttpResponse callWith(const std::string& authorization) {
  return attacks().gw->client().get("/fhir/Observation", {{"Authorization", authorization}});
}

// The 401 a client must get for a refused token: Bearer challenge with invalid_token and the code.
void expectRefusedToken(const HttpResponse& r, const std::string& code) {
  BOOST_TEST(r.status == 401);
  const std::string challenge = r.header("WWW-Authenticate");
  BOOST_TEST(challenge.rfind("Bearer realm=\"mes-gateway\"", 0) == 0, "challenge: " << challenge);
  BOOST_TEST(challenge.find("error=\"invalid_token\"") != std::string::npos,
             "challenge: " << challenge);
  BOOST_TEST(outcomeCode(r) == code);
  BOOST_TEST(r.body.find("\"total\"") == std::string::npos);  // no data
}

// The claims of a real token, to be changed and signed again.
Value claimsOf(const std::string& token) {
  return decodeJwt(token).claims;
}

bool hasLocation(const HttpResponse& r) {
  for (const auto& [name, value] : r.headers) {
    if (name.size() == 8 && strncasecmp(name.c_str(), "location", 8) == 0) return true;
  }
  return false;
}

// The HTML error page of /oauth/authorize: 400, no redirect at all.
void expectErrorPage(const HttpResponse& r) {
  BOOST_TEST(r.status == 400);
  BOOST_TEST(r.header("Content-Type").find("text/html") != std::string::npos);
  BOOST_TEST(!hasLocation(r), "must not redirect, Location: " << r.header("Location"));
  BOOST_TEST(htmlText(r.body).find("Demande d’autorisation refusée") != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(oauth_attacks)

// --- tokens at /fhir -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(no_token_is_401_with_a_bearer_challenge) {
  HttpResponse r = attacks().gw->client().get("/fhir/Observation");
  BOOST_TEST(r.status == 401);
  BOOST_TEST(r.header("WWW-Authenticate") == "Bearer realm=\"mes-gateway\"");
  BOOST_TEST(outcomeCode(r) == "token-missing");
  // Public: metadata and discovery need none.
  BOOST_TEST(attacks().gw->client().get("/fhir/metadata").status == 200);
  BOOST_TEST(attacks().gw->client().get("/fhir/.well-known/smart-configuration").status == 200);
}

BOOST_AUTO_TEST_CASE(malformed_tokens_are_401) {
  const std::string valid = freshPairing().accessToken;
  const Jwt jwt = decodeJwt(valid);
  for (const std::string& authorization :
       {std::string("Bearer not-a-jwt"), std::string("Bearer a.b.c"), std::string("Bearer ..."),
        "Basic " + oauth::base64Encode("demo:secret"),
        "Bearer " + jwt.payloadPart + "." + jwt.signaturePart, "Bearer " + valid + ".extra",
        "Bearer " + valid.substr(0, valid.size() - 5) + "!!!!!",
        "Bearer " + jwt.headerPart + ".e30." + jwt.signaturePart /* {} as claims */}) {
    BOOST_TEST_CONTEXT(authorization.substr(0, 60)) {
      HttpResponse r = callWith(authorization);
      BOOST_TEST(r.status == 401);
      BOOST_TEST(r.header("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
      const std::string code = outcomeCode(r);
      BOOST_TEST((code == "token-malformed" || code == "token-signature-invalid"), "code " << code);
    }
  }
  expectRefusedToken(callWith("Bearer not-a-jwt"), "token-malformed");
  expectRefusedToken(callWith("Basic " + oauth::base64Encode("demo:secret")), "token-malformed");
  expectRefusedToken(callWith("Bearer "), "token-malformed");
}

BOOST_AUTO_TEST_CASE(alg_none_is_refused) {
  World& w = attacks();
  const std::string valid = freshPairing().accessToken;
  const Jwt jwt = decodeJwt(valid);
  for (const char* none : {"none", "None", "NONE"}) {
    BOOST_TEST_CONTEXT(none) {
      Value header = jwt.header;
      header.set("alg", Value::string(none));
      // With a signature part (so the token is well-formed) and without one.
      expectRefusedToken(callWith("Bearer " + assemble(header, jwt.claims, jwt.signaturePart)),
                         "token-algorithm-refused");
      HttpResponse unsigned_ = callWith("Bearer " + assemble(header, jwt.claims, ""));
      BOOST_TEST(unsigned_.status == 401);
      const std::string code = outcomeCode(unsigned_);
      BOOST_TEST((code == "token-algorithm-refused" || code == "token-malformed"), "code " << code);
    }
  }
  BOOST_TEST(w.app(valid).get("/fhir/Observation").status == 200);  // the genuine one works
}

BOOST_AUTO_TEST_CASE(hs256_signed_with_our_public_key_is_refused) {
  World& w = attacks();
  const std::string valid = freshPairing().accessToken;
  const Jwt jwt = decodeJwt(valid);
  HttpResponse jwksResponse = w.gw->client().get("/oauth/jwks");
  const Value jwks = jsonOf(jwksResponse);
  const Value& jwk = jwks.find("keys")->items().at(0);
  auto x = oauth::base64UrlDecode(stringOf(jwk, "x"));
  auto y = oauth::base64UrlDecode(stringOf(jwk, "y"));
  BOOST_TEST_REQUIRE((x.isOk() && y.isOk()));
  // Whatever bytes of the public key a confused verifier might use as the HMAC secret.
  for (const std::string& secret :
       {mes::fhir::toJson(jwk), jwksResponse.body, "\x04" + *x + *y, *x + *y}) {
    Value header = jwt.header;
    header.set("alg", Value::string("HS256"));
    const std::string input = encodeJsonPart(header) + "." + jwt.payloadPart;
    const std::string token =
        input + "." + oauth::base64UrlEncode(oauth::hmacSha256(secret, input));
    expectRefusedToken(callWith("Bearer " + token), "token-algorithm-refused");
  }
}

BOOST_AUTO_TEST_CASE(unknown_kid_or_foreign_key_is_refused) {
  const Value claims = claimsOf(freshPairing().accessToken);
  const GatewayKey ours = gatewayKey(attacks().gw->dataDir());
  auto foreign = oauth::PrivateKey::generateEs256();
  BOOST_TEST_REQUIRE(foreign.isOk());
  expectRefusedToken(callWith("Bearer " + sign(claims, *foreign, "some-other-kid")),
                     "token-key-unknown");
  expectRefusedToken(callWith("Bearer " + sign(claims, *foreign, "")), "token-key-unknown");
  // Our kid, someone else's key.
  expectRefusedToken(callWith("Bearer " + sign(claims, *foreign, ours.kid)),
                     "token-signature-invalid");
  // Control: the same claims signed with the gateway's key are accepted, so the refusals above
  // are about the key.
  BOOST_TEST(callWith("Bearer " + sign(claims, *ours.key, ours.kid)).status == 200);
}

BOOST_AUTO_TEST_CASE(expired_token_is_refused) {
  const Value real = claimsOf(freshPairing().accessToken);
  const GatewayKey ours = gatewayKey(attacks().gw->dataDir());
  Value claims = real;
  claims.set("iat", Value::number(nowSeconds() - 700));
  claims.set("exp", Value::number(nowSeconds() - 100));
  expectRefusedToken(callWith("Bearer " + sign(claims, *ours.key, ours.kid)), "token-expired");
  claims.set("jti", Value::string(randomId()));
  claims.set("exp", Value::number(nowSeconds() - 1));
  expectRefusedToken(callWith("Bearer " + sign(claims, *ours.key, ours.kid)), "token-expired");
  // Not yet valid.
  Value future = real;
  future.set("iat", Value::number(nowSeconds() + 3600));
  future.set("nbf", Value::number(nowSeconds() + 3600));
  future.set("exp", Value::number(nowSeconds() + 4200));
  expectRefusedToken(callWith("Bearer " + sign(future, *ours.key, ours.kid)),
                     "token-not-yet-valid");
}

BOOST_AUTO_TEST_CASE(wrong_audience_or_issuer_is_refused) {
  World& w = attacks();
  const Value real = claimsOf(freshPairing().accessToken);
  const GatewayKey ours = gatewayKey(w.gw->dataDir());
  for (const std::string& aud : {std::string("https://other-gateway.example/fhir"), w.gw->baseUrl(),
                                 w.gw->baseUrl() + "/fhir/Observation", std::string("")}) {
    BOOST_TEST_CONTEXT("aud " << aud) {
      Value claims = real;
      claims.set("aud", Value::string(aud));
      expectRefusedToken(callWith("Bearer " + sign(claims, *ours.key, ours.kid)),
                         "token-audience-invalid");
    }
  }
  Value noAud = real;
  noAud.erase("aud");
  expectRefusedToken(callWith("Bearer " + sign(noAud, *ours.key, ours.kid)), "token-claim-missing");
  Value otherIssuer = real;
  otherIssuer.set("iss", Value::string("https://other-gateway.example"));
  expectRefusedToken(callWith("Bearer " + sign(otherIssuer, *ours.key, ours.kid)),
                     "token-issuer-invalid");
}

BOOST_AUTO_TEST_CASE(tampered_payload_is_refused) {
  World& w = attacks();
  const std::string valid = freshPairing().accessToken;
  const Jwt jwt = decodeJwt(valid);
  // Another patient, a wider scope, a later expiry: each with the original signature.
  std::vector<Value> tampered;
  Value otherPatient = jwt.claims;
  otherPatient.set("patient", Value::string("demo-2"));
  otherPatient.set("sub", Value::string("demo-2"));
  tampered.push_back(otherPatient);
  Value wider = jwt.claims;
  wider.set("scope", Value::string("launch/patient patient/*.cruds"));
  tampered.push_back(wider);
  Value longer = jwt.claims;
  longer.set("exp", Value::number(nowSeconds() + 86400 * 365));
  tampered.push_back(longer);
  for (const Value& claims : tampered) {
    expectRefusedToken(callWith("Bearer " + jwt.headerPart + "." + encodeJsonPart(claims) + "." +
                                jwt.signaturePart),
                       "token-signature-invalid");
  }
  // A tampered header (the kid of nothing) with the original signature.
  Value header = jwt.header;
  header.set("typ", Value::string("AT+JWT"));
  expectRefusedToken(callWith("Bearer " + encodeJsonPart(header) + "." + jwt.payloadPart + "." +
                              jwt.signaturePart),
                     "token-signature-invalid");
  BOOST_TEST(w.app(valid).get("/fhir/Observation").status == 200);
}

BOOST_AUTO_TEST_CASE(an_id_token_is_not_an_access_token) {
  PairingResult p = freshPairing();
  BOOST_TEST_REQUIRE(!p.idToken.empty());
  expectRefusedToken(callWith("Bearer " + p.idToken), "token-malformed");
}

BOOST_AUTO_TEST_CASE(token_in_the_query_string_is_refused) {
  World& w = attacks();
  const std::string valid = freshPairing().accessToken;
  HttpResponse r = w.gw->client().get("/fhir/Observation?access_token=" + urlEncode(valid));
  expectRefusedToken(r, "token-in-query");
  // Even alongside a good Authorization header: the URL has leaked it.
  expectRefusedToken(w.app(valid).get("/fhir/Observation?access_token=" + urlEncode(valid)),
                     "token-in-query");
}

BOOST_AUTO_TEST_CASE(token_of_a_revoked_pairing_is_refused) {
  World& w = attacks();
  PairingResult p = freshPairing();
  BOOST_TEST_REQUIRE(w.app(p.accessToken).get("/fhir/Observation").status == 200);
  BOOST_TEST_REQUIRE(w.app(p.accessToken).del("/oauth/pairing").status == 204);
  HttpResponse r = w.app(p.accessToken).get("/fhir/Observation");
  BOOST_TEST(isBearer401(r));
  expectPairingRevoked(r);
  // The same claims signed again with the gateway's own key: still refused (the pairing, not the
  // signature, is what ended).
  const GatewayKey ours = gatewayKey(w.gw->dataDir());
  Value claims = claimsOf(p.accessToken);
  claims.set("jti", Value::string(randomId()));
  HttpResponse resigned = callWith("Bearer " + sign(claims, *ours.key, ours.kid));
  BOOST_TEST(isBearer401(resigned));
  expectPairingRevoked(resigned);
}

// --- codes and PKCE
// -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(code_replay_is_invalid_grant) {
  World& w = attacks();
  AuthorizationRequest r = w.request();
  const std::string code = w.code(r);
  Tokens first = tokensOf(w.exchange(r, code));
  HttpResponse replay = w.exchange(r, code);
  BOOST_TEST(replay.status == 400);
  BOOST_TEST(oauthErrorOf(replay) == "invalid_grant");
  BOOST_TEST(replay.header("Cache-Control") == "no-store");
  BOOST_TEST(jsonOf(replay).find("access_token") == nullptr);
  BOOST_REQUIRE(!first.access.empty());
  // RFC 6749 §4.1.2: the replay revokes what the first exchange obtained.
  HttpResponse call = w.gw->client().get("/fhir/Observation?patient=demo", bearer(first.access));
  BOOST_TEST(isBearer401(call));
  BOOST_TEST(outcomeCode(call) == "token-revoked");
  if (!first.refresh.empty()) {
    HttpResponse refresh = tokenRequest(*w.gw, {{"grant_type", "refresh_token"},
                                                {"refresh_token", first.refresh},
                                                {"client_id", w.seed.clientId}});
    BOOST_TEST(oauthErrorOf(refresh) == "invalid_grant");
  }
}

BOOST_AUTO_TEST_CASE(code_used_by_another_client_is_invalid_grant) {
  World& w = attacks();
  addService(*w.gw, "thief-app", w.seed.redirectUri);  // even with the same redirect URI
  AuthorizationRequest r = w.request();
  const std::string code = w.code(r);
  HttpResponse stolen = tokenRequest(*w.gw, {{"grant_type", "authorization_code"},
                                             {"code", code},
                                             {"redirect_uri", r.redirectUri},
                                             {"code_verifier", r.pkce.verifier},
                                             {"client_id", "thief-app"}});
  BOOST_TEST(stolen.status == 400);
  BOOST_TEST(oauthErrorOf(stolen) == "invalid_grant");
  BOOST_TEST(jsonOf(stolen).find("access_token") == nullptr);
  // The thief is not paired with the patient either.
  BOOST_TEST(htmlText(w.gw->client().get("/portal/", w.demoBrowser.headers()).body)
                 .find("Service thief-app") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_or_wrong_code_verifier_is_invalid_grant) {
  World& w = attacks();
  AuthorizationRequest r = w.request();
  auto exchangeWith = [&](const std::optional<std::string>& verifier) {
    const std::string code = w.code(r);
    Form form{{"grant_type", "authorization_code"},
              {"code", code},
              {"redirect_uri", r.redirectUri},
              {"client_id", r.clientId}};
    if (verifier) form.emplace_back("code_verifier", *verifier);
    return tokenRequest(*w.gw, form);
  };
  for (const std::optional<std::string>& verifier :
       {std::optional<std::string>(), std::optional<std::string>(newPkce().verifier),
        std::optional<std::string>(r.pkce.challenge) /* plain-style: the challenge itself */,
        std::optional<std::string>("")}) {
    BOOST_TEST_CONTEXT("verifier " << verifier.value_or("<absent>")) {
      HttpResponse refused = exchangeWith(verifier);
      BOOST_TEST(refused.status == 400);
      BOOST_TEST(oauthErrorOf(refused) == "invalid_grant");
      BOOST_TEST(jsonOf(refused).find("access_token") == nullptr);
    }
  }
  // Control: the right verifier works.
  BOOST_TEST(exchangeWith(r.pkce.verifier).status == 200);
}

BOOST_AUTO_TEST_CASE(plain_or_missing_code_challenge_is_redirected_with_invalid_request) {
  World& w = attacks();
  AuthorizationRequest plain = w.request();
  plain.method = "plain";
  plain.pkce.challenge = plain.pkce.verifier;
  AuthorizationRequest missing = w.request();
  missing.pkce.challenge = "";
  missing.method = "";
  for (const AuthorizationRequest* r : {&plain, &missing}) {
    HttpResponse resp = w.gw->client().get(authorizeTarget(*w.gw, *r));
    BOOST_TEST(resp.status == 302);
    const std::string location = resp.header("Location");
    BOOST_TEST(location.rfind(w.seed.redirectUri + "?", 0) == 0, location);
    BOOST_TEST(queryParam(location, "error") == "invalid_request");
    BOOST_TEST(queryParam(location, "state") == r->state);
    BOOST_TEST(queryParam(location, "iss") == w.gw->baseUrl());
    BOOST_TEST(queryParam(location, "code").empty());
  }
}

// --- redirect URIs
// --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(redirect_uri_mismatch_and_open_redirect_attempts_get_an_error_page) {
  World& w = attacks();
  const std::string registered = w.seed.redirectUri;  // http://127.0.0.1:8765/callback
  const std::vector<std::string> attempts = {
      "https://evil.example/callback",
      "http://127.0.0.1:8765/other",                  // same host, another path
      "http://127.0.0.1:8765/callback/evil",          // a longer path
      "http://127.0.0.1:8765/callback/",              // trailing slash
      registered + "?next=https://evil.example",      // an added query
      registered + "#https://evil.example",           // a fragment
      "http://127.0.0.1:8766/callback",               // another port
      "HTTP://127.0.0.1:8765/callback",               // another spelling
      "http://127.0.0.1:8765@evil.example/callback",  // userinfo trick
      "//evil.example/callback",                      // scheme-relative
      "///evil.example/callback",
      "/\\evil.example/callback",
      "http://127.0.0.1:8765/callback/../callback",
      "http://127.0.0.1:8765/%63allback",
      " " + registered,
      registered + " ",
      "",
  };
  HttpClient c = w.gw->client();
  for (const std::string& uri : attempts) {
    BOOST_TEST_CONTEXT("redirect_uri '" << uri << "'") {
      AuthorizationRequest r = w.request();
      r.redirectUri = uri;
      expectErrorPage(c.get(authorizeTarget(*w.gw, r)));
      // The same by POST.
      const std::string target = authorizeTarget(*w.gw, r);
      expectErrorPage(c.post("/oauth/authorize", target.substr(target.find('?') + 1), kFormType));
    }
  }
  // redirect_uri repeated (the registered one and another), or absent.
  AuthorizationRequest r = w.request();
  const std::string target = authorizeTarget(*w.gw, r);
  expectErrorPage(c.get(target + "&redirect_uri=" + urlEncode("https://evil.example/callback")));
  std::string without = target;
  const std::string param = "redirect_uri=" + urlEncode(registered);
  without.erase(without.find(param), param.size() + 1);
  expectErrorPage(c.get(without));
  // An unknown client with a valid-looking redirect URI.
  AuthorizationRequest unknown = w.request();
  unknown.clientId = "no-such-client";
  expectErrorPage(c.get(authorizeTarget(*w.gw, unknown)));

  // The consent page and the consent form re-check the redirect URI: a tampered hidden field
  // gets the error page, no code.
  AuthorizationRequest good = w.request();
  HttpResponse page = w.consentPage(good);
  HttpResponse tampered = w.decide(page, {}, "approve", nullptr, [](Form& fields) {
    for (auto& [name, value] : fields) {
      if (name == "redirect_uri") value = "https://evil.example/callback";
    }
  });
  expectErrorPage(tampered);
  std::string consentQuery = pathOf(c.get(authorizeTarget(*w.gw, good)).header("Location"));
  const std::string encoded = urlEncode(registered);
  consentQuery.replace(consentQuery.find(encoded), encoded.size(),
                       urlEncode("https://evil.example/callback"));
  expectErrorPage(c.get(consentQuery, w.demoBrowser.headers()));
  // And at the token endpoint the redirect URI must be the one of the request.
  const std::string code = w.code(good);
  HttpResponse token = tokenRequest(*w.gw, {{"grant_type", "authorization_code"},
                                            {"code", code},
                                            {"redirect_uri", "https://evil.example/callback"},
                                            {"code_verifier", good.pkce.verifier},
                                            {"client_id", good.clientId}});
  BOOST_TEST(token.status == 400);
  BOOST_TEST(oauthErrorOf(token) == "invalid_grant");
}

// --- refresh tokens
// -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(refresh_token_reuse_revokes_the_whole_family) {
  World& w = attacks();
  PairingResult p = freshPairing();
  Tokens second = tokensOf(w.refresh(p.refreshToken));
  BOOST_TEST_REQUIRE(w.app(second.access).get("/fhir/Observation").status == 200);

  HttpResponse reuse = w.refresh(p.refreshToken);  // the spent one, as a thief would
  BOOST_TEST(reuse.status == 400);
  BOOST_TEST(oauthErrorOf(reuse) == "invalid_grant");
  // The rotated token and every access token of the pairing are dead too.
  HttpResponse rotated = w.refresh(second.refresh);
  BOOST_TEST(rotated.status == 400);
  BOOST_TEST(oauthErrorOf(rotated) == "invalid_grant");
  expectRefusedToken(w.app(second.access).get("/fhir/Observation"), "token-revoked");
  expectRefusedToken(w.app(p.accessToken).get("/fhir/Observation"), "token-revoked");
}

BOOST_AUTO_TEST_CASE(scope_widening_on_refresh_is_invalid_scope) {
  World& w = attacks();
  PairingResult p = w.pair(w.request(), partialTicks());
  BOOST_TEST_REQUIRE(words(p.grantedScope) == words(kPartialScope));
  for (const std::string& scope :
       {std::string(kPartialScope) + " patient/Observation.cud",
        std::string("patient/Observation.c"), std::string("patient/DocumentReference.rs"),
        std::string("patient/*.rs"), std::string("user/Observation.rs"),
        std::string("system/Observation.rs"),
        std::string("patient/Observation.rs patient/Observation.w")}) {
    BOOST_TEST_CONTEXT("scope " << scope) {
      HttpResponse r = w.refresh(p.refreshToken, scope);
      BOOST_TEST(r.status == 400);
      BOOST_TEST(oauthErrorOf(r) == "invalid_scope");
      BOOST_TEST(jsonOf(r).find("access_token") == nullptr);
    }
  }
  // The refresh token is still good, and its tokens never carry more than the grant.
  Tokens t = tokensOf(w.refresh(p.refreshToken));
  BOOST_TEST(words(t.scope) == words(kPartialScope));
  HttpResponse write = w.app(t.access).post("/fhir/Observation", weightOf("demo"));
  BOOST_TEST(write.status == 403);
  BOOST_TEST(outcomeCode(write) == "consent-missing");
}

// --- the consent form and the login
// ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(consent_form_without_csrf_token_is_403_and_gives_no_code) {
  World& w = attacks();
  AuthorizationRequest r = w.request();
  HttpResponse page = w.consentPage(r);
  // demo-2's own valid CSRF token (another session) is not demo's.
  HttpResponse otherPage = w.consentPage(w.request(), &w.other);
  std::string otherCsrf;
  for (const auto& [name, value] : hiddenInputs(otherPage.body)) {
    if (name == "csrf") otherCsrf = value;
  }
  BOOST_TEST_REQUIRE(!otherCsrf.empty());
  const std::vector<std::pair<std::string, std::function<void(Form&)>>> forgeries = {
      {"no csrf",
       [](Form& f) { std::erase_if(f, [](const auto& kv) { return kv.first == "csrf"; }); }},
      {"empty csrf",
       [](Form& f) {
         for (auto& kv : f)
           if (kv.first == "csrf") kv.second = "";
       }},
      {"wrong csrf",
       [](Form& f) {
         for (auto& kv : f)
           if (kv.first == "csrf") kv.second += "x";
       }},
      {"another session's csrf",
       [&otherCsrf](Form& f) {
         for (auto& kv : f)
           if (kv.first == "csrf") kv.second = otherCsrf;
       }},
  };
  for (const auto& [what, mutate] : forgeries) {
    BOOST_TEST_CONTEXT(what) {
      HttpResponse forged = w.decide(page, {}, "approve", nullptr, mutate);
      BOOST_TEST(forged.status == 403);
      BOOST_TEST(!hasLocation(forged));
      BOOST_TEST(forged.body.find("code=") == std::string::npos);
    }
  }
  // Without any session the form only leads to the login page.
  Form fields = hiddenInputs(page.body);
  fields.emplace_back("access", "mesures.read");
  fields.emplace_back("decision", "approve");
  HttpResponse anonymous = w.gw->client().post("/portal/consent", formEncode(fields), kFormType);
  BOOST_TEST(anonymous.status == 303);
  BOOST_TEST(pathOf(anonymous.header("Location")).rfind("/portal/login", 0) == 0);
  // Control: the genuine form works.
  HttpResponse genuine = w.decide(page);
  BOOST_TEST(genuine.status == 303);
  BOOST_TEST(!queryParam(genuine.header("Location"), "code").empty());
}

BOOST_AUTO_TEST_CASE(login_brute_force_locks_the_account_even_for_the_right_password) {
  World& w = attacks();
  const std::string login = "brute.oauth@example.fr";
  const std::string password = "le-bon-mot-de-passe-17";
  CliResult added =
      runCli(w.gw->dataDir(), "account add --login '" + login + "' --patient demo", password);
  BOOST_TEST_REQUIRE(added.status == 0, added.out);

  // The attacker follows an authorization request to the login page.
  HttpClient c = w.gw->client();
  const std::string consentPath =
      pathOf(c.get(authorizeTarget(*w.gw, w.request())).header("Location"));
  Browser attacker;
  auto attempt = [&](const std::string& guess) {
    HttpResponse form = c.get("/portal/login?next=" + urlEncode(consentPath), attacker.headers());
    attacker.remember(form);
    Form fields = hiddenInputs(form.body);
    fields.emplace_back("login", login);
    fields.emplace_back("password", guess);
    HttpResponse r = c.post("/portal/login", formEncode(fields), kFormType, attacker.headers());
    attacker.remember(r);
    return r;
  };
  const size_t codesBefore = outbox(w.gw->dataDir()).size();
  for (int i = 1; i <= 4; ++i) BOOST_TEST(attempt("guess-" + std::to_string(i)).status == 401);
  HttpResponse locking = attempt("guess-5");
  BOOST_TEST(locking.status == 429);
  BOOST_TEST(!locking.header("Retry-After").empty());
  HttpResponse right = attempt(password);
  BOOST_TEST(right.status == 429, "the right password is refused while locked");
  BOOST_TEST(!hasLocation(right));
  // No one-time code was sent, and the consent page still wants a login.
  BOOST_TEST(outbox(w.gw->dataDir()).size() == codesBefore);
  HttpResponse consent = c.get(consentPath, attacker.headers());
  BOOST_TEST(consent.status == 303);
  BOOST_TEST(pathOf(consent.header("Location")).rfind("/portal/login", 0) == 0);
}

// --- private_key_jwt
// ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(private_key_jwt_with_es384_and_rs384_and_its_refusals) {
  World w;  // a gateway of its own: the replay cache and the service are its
  const std::string clientId = "confidential-app";
  const std::string redirectUri = "https://confidential.example/cb";
  auto es384 = oauth::PrivateKey::generateEs384();
  auto rs384 = oauth::PrivateKey::generateRsa(2048);
  auto unregistered = oauth::PrivateKey::generateEs384();
  BOOST_TEST_REQUIRE((es384.isOk() && rs384.isOk() && unregistered.isOk()));
  Value jwks = Value::object();
  Value keys = Value::array();
  keys.push(es384->publicKey().withKid("ec-1").toJwk());
  keys.push(rs384->publicKey().withKid("rsa-1").toJwk());
  jwks.set("keys", std::move(keys));
  const std::string jwksFile = w.gw->dataDir() + "/client-jwks.json";
  std::ofstream(jwksFile) << mes::fhir::toJson(jwks);
  addService(*w.gw, clientId, redirectUri,
             "--type confidential-asymmetric --jwks-file '" + jwksFile + "'");

  const std::string tokenUrl = w.gw->baseUrl() + "/oauth/token";
  auto assertion = [&](const Value& claims, const oauth::PrivateKey& key, const std::string& kid,
                       oauth::JwsAlgorithm alg) { return sign(claims, key, kid, alg, "JWT"); };
  auto withAssertion = [&](Form form, const std::string& jwt) {
    form.emplace_back("client_assertion_type",
                      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.emplace_back("client_assertion", jwt);
    return tokenRequest(*w.gw, form);
  };

  // Code exchange authenticated with ES384.
  AuthorizationRequest r = w.request(kMeasureScopes, clientId, redirectUri);
  const std::string code = w.code(r);
  const std::string firstAssertion =
      assertion(assertionClaims(clientId, tokenUrl), *es384, "ec-1", oauth::JwsAlgorithm::kES384);
  HttpResponse exchanged = withAssertion({{"grant_type", "authorization_code"},
                                          {"code", code},
                                          {"redirect_uri", redirectUri},
                                          {"code_verifier", r.pkce.verifier}},
                                         firstAssertion);
  Tokens t = tokensOf(exchanged);
  BOOST_TEST_REQUIRE(!t.refresh.empty());
  BOOST_TEST(w.app(t.access).get("/fhir/Observation").status == 200);

  // Refresh authenticated with RS384.
  const Form refreshForm{{"grant_type", "refresh_token"}, {"refresh_token", t.refresh}};
  Tokens t2 =
      tokensOf(withAssertion(refreshForm, assertion(assertionClaims(clientId, tokenUrl), *rs384,
                                                    "rsa-1", oauth::JwsAlgorithm::kRS384)));
  const Form refresh2{{"grant_type", "refresh_token"}, {"refresh_token", t2.refresh}};

  auto expectInvalidClient = [&](const HttpResponse& resp, const std::string& what) {
    BOOST_TEST(resp.status == 401, what << ": " << resp.body);
    BOOST_TEST(oauthErrorOf(resp) == "invalid_client", what);
    BOOST_TEST(resp.header("Cache-Control") == "no-store", what);
    BOOST_TEST(jsonOf(resp).find("access_token") == nullptr, what);
  };
  // A replayed assertion (same jti).
  expectInvalidClient(withAssertion(refresh2, firstAssertion), "jti replay");
  // exp more than 5 minutes ahead.
  expectInvalidClient(
      withAssertion(refresh2, assertion(assertionClaims(clientId, tokenUrl, 600), *es384, "ec-1",
                                        oauth::JwsAlgorithm::kES384)),
      "exp in 10 minutes");
  // Expired.
  expectInvalidClient(
      withAssertion(refresh2, assertion(assertionClaims(clientId, tokenUrl, -120), *es384, "ec-1",
                                        oauth::JwsAlgorithm::kES384)),
      "expired");
  // Another audience.
  expectInvalidClient(
      withAssertion(refresh2,
                    assertion(assertionClaims(clientId, "https://evil.example/oauth/token"), *es384,
                              "ec-1", oauth::JwsAlgorithm::kES384)),
      "wrong aud");
  // Signed by a key the service did not register (with a registered kid, and with its own).
  expectInvalidClient(
      withAssertion(refresh2, assertion(assertionClaims(clientId, tokenUrl), *unregistered, "ec-1",
                                        oauth::JwsAlgorithm::kES384)),
      "unregistered key, registered kid");
  expectInvalidClient(
      withAssertion(refresh2, assertion(assertionClaims(clientId, tokenUrl), *unregistered, "ec-2",
                                        oauth::JwsAlgorithm::kES384)),
      "unregistered key and kid");
  // sub other than iss; iss of another client.
  Value wrongSub = assertionClaims(clientId, tokenUrl);
  wrongSub.set("sub", Value::string("demo-app"));
  expectInvalidClient(
      withAssertion(refresh2, assertion(wrongSub, *es384, "ec-1", oauth::JwsAlgorithm::kES384)),
      "sub differs from iss");
  // No assertion at all: a confidential client cannot act as a public one.
  Form publicStyle = refresh2;
  publicStyle.emplace_back("client_id", clientId);
  expectInvalidClient(tokenRequest(*w.gw, publicStyle), "client_id only");
  // An HS256 'assertion' keyed with the service's public JWK Set is no assertion.
  Value hsHeader = Value::object();
  hsHeader.set("alg", Value::string("HS256"));
  hsHeader.set("typ", Value::string("JWT"));
  const std::string hsInput =
      encodeJsonPart(hsHeader) + "." + encodeJsonPart(assertionClaims(clientId, tokenUrl));
  expectInvalidClient(withAssertion(refresh2, hsInput + "." +
                                                  oauth::base64UrlEncode(oauth::hmacSha256(
                                                      mes::fhir::toJson(jwks), hsInput))),
                      "HS256 with the JWKS as secret");

  // None of the refused attempts spent the refresh token; exp 4 minutes ahead is fine.
  Tokens t3 =
      tokensOf(withAssertion(refresh2, assertion(assertionClaims(clientId, tokenUrl, 240), *es384,
                                                 "ec-1", oauth::JwsAlgorithm::kES384)));
  BOOST_TEST(w.app(t3.access).get("/fhir/Observation").status == 200);

  // Introspection authenticates the same way (aud: the introspection endpoint is accepted).
  HttpResponse introspected = w.gw->client().post(
      "/oauth/introspect",
      formEncode(
          {{"token", t3.access},
           {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
           {"client_assertion",
            assertion(assertionClaims(clientId, w.gw->baseUrl() + "/oauth/introspect"), *rs384,
                      "rsa-1", oauth::JwsAlgorithm::kRS384)}}),
      kFormType);
  BOOST_TEST(introspected.status == 200);
  BOOST_TEST(jsonOf(introspected).find("active")->asBool());
}

BOOST_AUTO_TEST_SUITE_END()

// Pairing (SPEC §1): the authorization code flow with PKCE as an app and its patient go
// through it, and every way a step must refuse. The revoking cases are in revoking_tests.cpp.
#include <algorithm>

#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "conformance/server/tokens.h"
#include "fhir/json/json.h"
#include "oauth/scope.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

// Whether a granted scope allows this interaction on this type (SMART v1 or v2 grammar).
bool allows(const std::string& scope, std::string_view type, oauth::Permission permission) {
  Result<oauth::ScopeSet> set = oauth::ScopeSet::parse(scope);
  return set && set->permits(type, permission);
}

// The redirect of an authorization error: back to the app with error and state, no code.
void expectErrorRedirect(ServerContext& ctx, TestScope& t, const http::ClientResponse& r,
                         const std::string& error, const std::string& state, std::string_view why) {
  t.expect(r.status == 302 || r.status == 303, "a redirect back to the app " + std::string(why),
           describeResponse(r));
  const std::string location = r.headers.get("Location");
  t.expect(location.rfind(ctx.target().redirectUri + "?", 0) == 0 &&
               queryParameter(location, "error") == error,
           "the redirect back to " + ctx.target().redirectUri + " with error=" + error + " " +
               std::string(why),
           location);
  t.expect(queryParameter(location, "state") == state, "the app's state echoed (" + state + ")",
           "state=" + queryParameter(location, "state"));
  t.expect(queryParameter(location, "code").empty(), "no code", "a code");
}

void authorizationCodeFlow(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  request.state = "st-" + ctx.runId();
  request.nonce = "nonce-" + ctx.runId();
  const http::ClientResponse decided = ctx.consent(t, Who::kPatient, request);
  const std::string location = decided.headers.get("Location");
  t.expect(location.rfind(ctx.target().redirectUri + "?", 0) == 0,
           "the approval to redirect to " + ctx.target().redirectUri, location);
  const std::string code = queryParameter(location, "code");
  t.expect(!code.empty(), "a code in the redirect", "none");
  t.expect(queryParameter(location, "state") == request.state, "the app's state echoed",
           "state=" + queryParameter(location, "state"));
  t.expect(queryParameter(location, "iss") == ctx.target().baseUrl,
           "iss=" + ctx.target().baseUrl + " (RFC 9207)", "iss=" + queryParameter(location, "iss"));
  const http::ClientResponse token = ctx.exchangeCode(t, code, request);
  expectStatus(t, token, 200, "for the code and its verifier");
  expectHeader(t, token, "Cache-Control", "no-store");
  expectHeader(t, token, "Pragma", "no-cache");
  const Value body = expectJson(t, token, "the token response");
  t.expect(!stringAt(body, "access_token").empty(), "an access_token", "none");
  std::string tokenType = stringAt(body, "token_type");
  std::transform(tokenType.begin(), tokenType.end(), tokenType.begin(), ::tolower);
  t.expect(tokenType == "bearer", "token_type Bearer",
           "token_type " + stringAt(body, "token_type"));
  const Value* expiresIn = body.find("expires_in");
  t.expect(expiresIn != nullptr && expiresIn->asInt() && *expiresIn->asInt() > 0,
           "expires_in, a number of seconds", "none");
  t.expect(stringAt(body, "patient") == ctx.target().patient.id,
           "patient " + ctx.target().patient.id, "patient " + stringAt(body, "patient"));
  const std::string scope = stringAt(body, "scope");
  t.expect(
      allows(scope, "Observation", oauth::kRead) && allows(scope, "Observation", oauth::kSearch),
      "a granted scope that reads and searches Observation (patient/Observation.rs)", scope);
  t.expect(!stringAt(body, "refresh_token").empty(), "a refresh_token (offline_access was granted)",
           "none");
  t.expect(!stringAt(body, "id_token").empty(), "an id_token (openid was granted)", "none");
  expectSignedByGateway(ctx, t, stringAt(body, "access_token"), "the access token");
  http::ClientRequest use{
      "GET",
      ctx.fhirUrl("/Observation?patient=" + encode(ctx.target().patient.id) + "&_count=1"),
      {},
      {}};
  use.headers.add("Authorization", "Bearer " + stringAt(body, "access_token"));
  use.headers.add("Accept", "application/fhir+json");
  expectStatus(t, t.send(use), 200, "for a search with the new token");
}

void idToken(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  request.nonce = "nonce-" + ctx.runId();
  const std::string code = ctx.authorizationCode(t, Who::kPatient, request);
  const Value body = expectJson(t, ctx.exchangeCode(t, code, request), "the token response");
  const std::string idToken = stringAt(body, "id_token");
  t.expect(!idToken.empty(), "an id_token", "none");
  expectSignedByGateway(ctx, t, idToken, "the ID token");
  const JwtParts jwt = readJwt(t, idToken, "the ID token");
  t.expect(stringAt(jwt.claims, "iss") == ctx.target().baseUrl, "iss " + ctx.target().baseUrl,
           "iss " + stringAt(jwt.claims, "iss"));
  t.expect(stringAt(jwt.claims, "aud") == ctx.target().clientId, "aud " + ctx.target().clientId,
           "aud " + stringAt(jwt.claims, "aud"));
  t.expect(!stringAt(jwt.claims, "sub").empty(), "a sub claim", "none");
  t.expect(stringAt(jwt.claims, "nonce") == request.nonce, "the nonce of the request",
           "nonce " + stringAt(jwt.claims, "nonce"));
  const std::string fhirUser = stringAt(jwt.claims, "fhirUser");
  const std::string patient = "Patient/" + ctx.target().patient.id;
  t.expect(fhirUser.size() >= patient.size() &&
               fhirUser.compare(fhirUser.size() - patient.size(), patient.size(), patient) == 0,
           "fhirUser naming " + patient, "fhirUser " + fhirUser);
  const Value* ins = jwt.claims.find("ins");
  t.expect(ins != nullptr && ins->isObject() && !stringAt(*ins, "value").empty(),
           "the patient's INS (claim ins: {system, value})", "none");
}

void consentPartial(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  // Ticking one row narrows the pairing itself: the shared session pairs again afterwards.
  t.atEnd([&ctx] { ctx.forget(Who::kPatient); });
  AuthorizationRequest request;
  const std::string code =
      ctx.authorizationCode(t, Who::kPatient, request, {"mesures.read", "offline"});
  const AppSession s = ctx.sessionFrom(t, ctx.exchangeCode(t, code, request), Who::kPatient);
  t.expect(allows(s.scope, "Observation", oauth::kRead),
           "the ticked row's patient/Observation.rs granted", s.scope);
  t.expect(!allows(s.scope, "Observation", oauth::kCreate) &&
               !allows(s.scope, "Appointment", oauth::kCreate) &&
               !allows(s.scope, "DocumentReference", oauth::kRead),
           "no scope of the rows left unticked", s.scope);
  http::ClientRequest write{"POST", ctx.fhirUrl("/Observation"), {}, "{}"};
  write.headers.add("Authorization", "Bearer " + s.accessToken);
  write.headers.add("Content-Type", "application/fhir+json");
  expectOutcome(t, t.send(write), 403, "consent-missing", "for a write the patient did not allow");
}

void consentDenied(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  request.state = "deny-" + ctx.runId();
  const http::ClientResponse r = ctx.consent(t, Who::kPatient, request, {}, "deny");
  expectErrorRedirect(ctx, t, r, "access_denied", request.state, "when the patient refuses");
}

void pkceRefusedAtAuthorize(ServerContext& ctx, TestScope& t, bool plain) {
  ctx.requireClient(t);
  AuthorizationRequest request;
  request.state = (plain ? "plain-" : "nopkce-") + ctx.runId();
  if (plain) {
    request.method = "plain";
    request.pkce.challenge = request.pkce.verifier;
  } else {
    request.method.clear();
    request.sendChallenge = false;
  }
  http::ClientRequest authorize{"GET", ctx.authorizeUrl(t, request), {}, {}};
  const http::ClientResponse r = t.send(authorize);
  expectErrorRedirect(ctx, t, r, "invalid_request", request.state,
                      plain ? "refusing code_challenge_method=plain (S256 only)"
                            : "refusing a request without code_challenge");
}

void verifierRefused(ServerContext& ctx, TestScope& t, bool missing) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  const std::string code = ctx.authorizationCode(t, Who::kPatient, request);
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "authorization_code"},
      {"code", code},
      {"redirect_uri", ctx.target().redirectUri}};
  if (!missing) form.emplace_back("code_verifier", newPkce().verifier);
  const http::ClientResponse r = ctx.tokenRequest(t, form);
  expectOAuthError(t, r, 400, "invalid_grant",
                   missing ? "for a code exchanged without its code_verifier"
                           : "for a code exchanged with another code_verifier");
  t.expect(r.body.find("access_token") == std::string::npos, "no access_token", "one");
}

void codeReplay(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  const std::string code = ctx.authorizationCode(t, Who::kPatient, request);
  const AppSession first = ctx.sessionFrom(t, ctx.exchangeCode(t, code, request), Who::kPatient);
  const http::ClientResponse replay = ctx.exchangeCode(t, code, request);
  expectOAuthError(t, replay, 400, "invalid_grant", "for a code presented a second time");
  t.expect(replay.body.find("access_token") == std::string::npos, "no access_token", "one");
  http::ClientRequest use{
      "GET", ctx.fhirUrl("/Observation?patient=" + encode(first.patientId)), {}, {}};
  use.headers.add("Authorization", "Bearer " + first.accessToken);
  const http::ClientResponse after = t.send(use);
  // RFC 6749 §4.1.2: SHOULD revoke what the code gave; SPEC only requires single use.
  t.note(after.status == 401
             ? "The replay also revoked the tokens of the first exchange (RFC 6749 §4.1.2)."
             : "The tokens of the first exchange still work after the replay (" +
                   describeResponse(after) + "); RFC 6749 §4.1.2 recommends revoking them.",
         after.status != 401);
}

void redirectMismatchAtAuthorize(ServerContext& ctx, TestScope& t) {
  ctx.requireClient(t);
  AuthorizationRequest request;
  request.redirectUri = ctx.target().redirectUri + "/evil";
  const http::ClientResponse r = t.send({"GET", ctx.authorizeUrl(t, request), {}, {}});
  t.expect(r.status == 400, "400 with an error page for an unregistered redirect_uri",
           describeResponse(r));
  t.expect(!r.headers.has("Location"), "no redirect at all (the URI is not the app's)",
           "Location: " + r.headers.get("Location"));
}

void redirectMismatchAtToken(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  AuthorizationRequest request;
  const std::string code = ctx.authorizationCode(t, Who::kPatient, request);
  const http::ClientResponse r =
      ctx.tokenRequest(t, {{"grant_type", "authorization_code"},
                           {"code", code},
                           {"redirect_uri", ctx.target().redirectUri + "/evil"},
                           {"code_verifier", request.pkce.verifier}});
  expectOAuthError(t, r, 400, "invalid_grant", "for a redirect_uri other than the request's");
}

void refreshRotation(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  const AppSession first = ctx.pair(t, Who::kPatient);
  t.expect(!first.refreshToken.empty(), "a refresh_token from the pairing", "none");
  const http::ClientResponse r = ctx.refresh(t, first.refreshToken);
  expectStatus(t, r, 200, "for the refresh_token grant");
  expectHeader(t, r, "Cache-Control", "no-store");
  const AppSession second = ctx.sessionFrom(t, r, Who::kPatient);
  t.expect(!second.refreshToken.empty() && second.refreshToken != first.refreshToken,
           "a new refresh_token (rotation on every use)", "the same one, or none");
  t.expect(second.accessToken != first.accessToken, "a new access token", "the same one");
  http::ClientRequest use{
      "GET", ctx.fhirUrl("/Observation?patient=" + encode(second.patientId) + "&_count=1"), {}, {}};
  use.headers.add("Authorization", "Bearer " + second.accessToken);
  expectStatus(t, t.send(use), 200, "with the refreshed access token");
}

void refreshNarrowing(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  const AppSession full = ctx.pair(t, Who::kPatient);
  const http::ClientResponse narrowed =
      ctx.refresh(t, full.refreshToken, "launch/patient patient/Observation.rs");
  expectStatus(t, narrowed, 200, "for a refresh asking a narrower scope");
  const AppSession s = ctx.sessionFrom(t, narrowed, Who::kPatient);
  t.expect(!allows(s.scope, "Observation", oauth::kCreate), "the narrower scope granted", s.scope);
  http::ClientRequest write{"POST", ctx.fhirUrl("/Observation"), {}, "{}"};
  write.headers.add("Authorization", "Bearer " + s.accessToken);
  write.headers.add("Content-Type", "application/fhir+json");
  const std::string said = expectOutcome(t, t.send(write), 403, "consent-missing",
                                         "for a create with a token without the c letter");
  t.expect(said.find("Consent not given, access refused") != std::string::npos,
           "the diagnostics \"Consent not given, access refused\" (SPEC §1)", said);
  const http::ClientResponse wider =
      ctx.refresh(t, s.refreshToken, "launch/patient patient/Patient.rs");
  expectOAuthError(t, wider, 400, "invalid_scope", "for a refresh asking a scope never granted");
}

}  // namespace

void addPairingTests(Plan& plan, ServerContext& ctx) {
  add(plan, "server.pairing-authorization-code",
      "Pairing through the consent page gives a working token",
      "authorize with PKCE S256, the patient's portal login (password and one-time code), consent, "
      "redirect with code, state and iss, then the code exchange: access_token (ES256 JWT signed "
      "by "
      "a key of the JWKS), token_type Bearer, expires_in, scope, patient, refresh_token, id_token, "
      "Cache-Control no-store and Pragma no-cache; the token reads the patient's measures.",
      {"GW-PAIR-01", "GW-PAIR-02"}, [&ctx](TestScope& t) { authorizationCodeFlow(ctx, t); });
  add(plan, "server.pairing-id-token", "The ID token names the patient",
      "With openid and a nonce, the id_token is signed by the gateway and carries iss, aud = the "
      "client id, sub, the nonce, fhirUser = Patient/<id> and the patient's INS.",
      {"GW-PAIR-05"}, [&ctx](TestScope& t) { idToken(ctx, t); });
  add(plan, "server.pairing-consent-partial", "Only the ticked accesses are granted",
      "The patient ticks only \"mesures.read\" (and offline access): the granted scope has "
      "patient/Observation.rs and nothing of the other rows, and a write is refused 403 "
      "consent-missing.",
      {"GW-PAIR-03", "GW-SEC-03"}, [&ctx](TestScope& t) { consentPartial(ctx, t); });
  add(plan, "server.pairing-consent-denied", "A refusal sends access_denied back to the app",
      "The patient refuses on the consent page: the app gets error=access_denied with its state "
      "and no code.",
      {"GW-PAIR-04"}, [&ctx](TestScope& t) { consentDenied(ctx, t); });
  add(plan, "server.pkce-missing", "An authorization request without PKCE is refused",
      "No code_challenge: the gateway sends the app back error=invalid_request with its state, and "
      "no code (SPEC §1: PKCE S256 only).",
      {"GW-PAIR-06"}, [&ctx](TestScope& t) { pkceRefusedAtAuthorize(ctx, t, false); });
  add(plan, "server.pkce-plain-refused", "code_challenge_method=plain is refused",
      "plain PKCE protects nothing once the request leaks (RFC 9700 §2.1.1): the gateway must send "
      "the app back error=invalid_request instead of showing the consent page.",
      {"GW-PAIR-06"}, [&ctx](TestScope& t) { pkceRefusedAtAuthorize(ctx, t, true); });
  add(plan, "server.pkce-verifier-wrong", "A code with the wrong code_verifier gives no token",
      "The code is exchanged with a verifier that does not match its challenge: 400 invalid_grant.",
      {"GW-PAIR-07"}, [&ctx](TestScope& t) { verifierRefused(ctx, t, false); });
  add(plan, "server.pkce-verifier-missing", "A code without its code_verifier gives no token",
      "The code is exchanged without code_verifier: 400 invalid_grant.", {"GW-PAIR-07"},
      [&ctx](TestScope& t) { verifierRefused(ctx, t, true); });
  add(plan, "server.code-replay", "An authorization code works once",
      "The same code exchanged twice: the second exchange gets 400 invalid_grant (a warning notes "
      "whether the first exchange's tokens were revoked, as RFC 6749 §4.1.2 recommends).",
      {"GW-PAIR-08"}, [&ctx](TestScope& t) { codeReplay(ctx, t); });
  add(plan, "server.redirect-uri-mismatch", "An unregistered redirect_uri is never redirected to",
      "authorize with the registered URI plus a path: 400 and an error page, no Location (an "
      "open redirect would hand codes to an attacker).",
      {"GW-PAIR-09"}, [&ctx](TestScope& t) { redirectMismatchAtAuthorize(ctx, t); });
  add(plan, "server.redirect-uri-token-mismatch",
      "The token endpoint requires the request's redirect_uri",
      "A code exchanged with another redirect_uri than its authorization request's: 400 "
      "invalid_grant.",
      {"GW-PAIR-09"}, [&ctx](TestScope& t) { redirectMismatchAtToken(ctx, t); });
  add(plan, "server.refresh-rotation", "Refreshing rotates the refresh token",
      "grant_type=refresh_token gives a new access token and a new refresh token (no-store), and "
      "the new access token works.",
      {"GW-PAIR-10"}, [&ctx](TestScope& t) { refreshRotation(ctx, t); });
  add(plan, "server.scope-narrowed-by-refresh", "A narrower scope on refresh bounds the token",
      "A refresh asking only patient/Observation.rs gives a token whose create is refused 403 "
      "consent-missing \"Consent not given, access refused.\"; asking a scope never granted is "
      "400 invalid_scope.",
      {"GW-PAIR-10", "GW-SEC-03"}, [&ctx](TestScope& t) { refreshNarrowing(ctx, t); });
}

}  // namespace mes::conformance::server

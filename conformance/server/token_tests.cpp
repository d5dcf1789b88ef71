// The token checks of every /fhir call and the patient compartment (SPEC §1 "Enforcement"),
// and, last in the plan, the cases that revoke tokens: expiry, refresh reuse, revocation.
#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "conformance/server/samples.h"
#include "conformance/server/tokens.h"
#include "fhir/json/json.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

std::string searchPath(ServerContext& ctx) {
  const std::string patient = ctx.target().patient.id.empty() ? "example" : ctx.target().patient.id;
  return "/Observation?patient=" + encode(patient);
}

http::ClientResponse callWith(ServerContext& ctx, TestScope& t, const std::string& authorization) {
  http::ClientRequest r{"GET", ctx.fhirUrl(searchPath(ctx)), {}, {}};
  if (!authorization.empty()) r.headers.add("Authorization", authorization);
  r.headers.add("Accept", "application/fhir+json");
  return t.send(r);
}

// 401 with a Bearer challenge and an OperationOutcome carrying one of `codes`.
void expectRefusedToken(TestScope& t, const http::ClientResponse& r,
                        std::initializer_list<std::string_view> codes, std::string_view why) {
  expectStatus(t, r, 401, why);
  const std::string challenge = r.headers.get("WWW-Authenticate");
  t.expect(challenge.rfind("Bearer", 0) == 0, "a WWW-Authenticate: Bearer challenge",
           challenge.empty() ? std::string("none") : challenge);
  Result<Value> json = fhir::parseJson(r.body);
  const std::vector<std::string> found =
      json && json->isObject() ? outcomeCodes(*json) : std::vector<std::string>{};
  bool any = false;
  std::string wanted;
  for (std::string_view code : codes) {
    wanted += (wanted.empty() ? "" : " or ") + std::string(code);
    any = any || std::find(found.begin(), found.end(), code) != found.end();
  }
  std::string seen;
  for (const std::string& c : found) seen += (seen.empty() ? "" : ", ") + c;
  t.expect(any, "an OperationOutcome with the code " + wanted,
           seen.empty() ? describeResponse(r) : "the codes " + seen);
  t.expect(r.body.find("\"entry\"") == std::string::npos, "no data in the answer", "entries");
}

void noToken(ServerContext& ctx, TestScope& t) {
  expectRefusedToken(t, callWith(ctx, t, ""), {"token-missing"}, "for a search without a token");
}

void malformedToken(ServerContext& ctx, TestScope& t) {
  const http::ClientResponse r = callWith(ctx, t, "Bearer not-a-jwt");
  expectRefusedToken(t, r, {"token-malformed"}, "for a token that is not a JWT");
  t.expect(r.headers.get("WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos,
           "error=\"invalid_token\" in the challenge (RFC 6750 §3.1)",
           r.headers.get("WWW-Authenticate"));
}

void algNone(ServerContext& ctx, TestScope& t) {
  const JwtParts jwt = readJwt(t, ctx.session(t).accessToken, "the app's access token");
  expectRefusedToken(t, callWith(ctx, t, "Bearer " + unsignedCopy(jwt)),
                     {"token-algorithm-refused", "token-malformed"},
                     "for the app's own claims re-sent unsigned with alg none");
}

void forgedSignature(ServerContext& ctx, TestScope& t) {
  const JwtParts jwt = readJwt(t, ctx.session(t).accessToken, "the app's access token");
  expectRefusedToken(t, callWith(ctx, t, "Bearer " + forgedCopy(t, jwt)),
                     {"token-signature-invalid", "token-key-unknown"},
                     "for the app's own claims signed by a key the gateway never published");
}

void tokenInQuery(ServerContext& ctx, TestScope& t) {
  const AppSession& s = ctx.session(t);
  http::ClientRequest r{
      "GET", ctx.fhirUrl(searchPath(ctx) + "&access_token=" + encode(s.accessToken)), {}, {}};
  expectRefusedToken(t, t.send(r), {"token-in-query"}, "for a token in the URL (RFC 9700 §2.4)");
}

std::string otherPatientId(ServerContext& ctx, TestScope& t) {
  const std::string other = ctx.target().other.id;
  if (other.empty()) {
    t.skip(
        "This test needs a second patient's id (--other-patient-id, or other_patient in --seed).");
  }
  return other;
}

void otherPatientSearch(ServerContext& ctx, TestScope& t) {
  const std::string other = otherPatientId(ctx, t);
  expectOutcome(t, ctx.fhir(t, "GET", "/Observation?patient=" + encode(other)), 403,
                "patient-mismatch", "for a search naming another patient");
  expectOutcome(t, ctx.fhir(t, "GET", "/Observation?subject=" + encode("Patient/" + other)), 403,
                "patient-mismatch", "for a search by subject naming another patient");
}

void otherPatientRead(ServerContext& ctx, TestScope& t) {
  otherPatientId(ctx, t);
  // The other patient's app writes a measure; the first patient's token must not see it.
  const AppSession& other = ctx.session(t, Who::kOther);
  const MeasureSample& weight = sampleOf(fhir::MeasureKind::kBodyWeight);
  const Value body = measure(weight, other.patientId, dateTimeOf(ctx.clock().nowMs() - 3'600'000));
  const http::ClientResponse created =
      ctx.fhir(t, "POST", "/Observation", fhir::toJson(body), Who::kOther);
  expectStatus(t, created, 201, "for the second patient's own measure");
  const std::string id = stringAt(expectResource(t, created, "Observation"), "id");
  t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/Observation/" + id, {}, Who::kOther); });
  const http::ClientResponse read = ctx.fhir(t, "GET", "/Observation/" + id);
  t.expect(read.status == 404,
           "404 for another patient's measure read by id (its existence is not revealed)",
           read.status == 200 ? "200 OK: the gateway leaked another patient's measure"
                              : describeResponse(read));
}

void otherPatientWrite(ServerContext& ctx, TestScope& t) {
  const std::string other = otherPatientId(ctx, t);
  const MeasureSample& weight = sampleOf(fhir::MeasureKind::kBodyWeight);
  const Value body = measure(weight, other, dateTimeOf(ctx.clock().nowMs() - 3'600'000));
  const http::ClientResponse r = ctx.fhir(t, "POST", "/Observation", fhir::toJson(body));
  if (r.status == 201) {
    const std::string id = stringAt(expectJson(t, r, "the created measure"), "id");
    t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/Observation/" + id); });
  }
  expectOutcome(t, r, 403, "patient-mismatch", "for a measure whose subject is another patient");
}

// --- revoking, last in the plan

void expiredToken(ServerContext& ctx, TestScope& t) {
  const AppSession s = ctx.session(t);
  const JwtParts jwt = readJwt(t, s.accessToken, "the app's access token");
  const Value* exp = jwt.claims.find("exp");
  t.expect(exp != nullptr && exp->asInt().has_value(), "an exp claim in the access token", "none");
  const int64_t waitMs = *exp->asInt() * 1000 - ctx.clock().nowMs() + 1500;
  if (waitMs > int64_t{ctx.target().maxWaitSeconds} * 1000) {
    t.skip("The access token expires in " + std::to_string(waitMs / 1000) +
           " s, more than --max-wait " + std::to_string(ctx.target().maxWaitSeconds) +
           " s (run the gateway with shorter tokens, or raise --max-wait).");
  }
  t.note("Waited " + std::to_string(std::max<int64_t>(waitMs, 0)) +
         " ms for the access token to expire (exp + 1.5 s).");
  if (waitMs > 0) ctx.sleepMs(waitMs);
  expectRefusedToken(t, callWith(ctx, t, "Bearer " + s.accessToken), {"token-expired"},
                     "for an access token past its exp");
}

void refreshReuse(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  t.atEnd([&ctx] { ctx.forget(Who::kPatient); });
  const AppSession first = ctx.pair(t, Who::kPatient);
  const AppSession second = ctx.sessionFrom(t, ctx.refresh(t, first.refreshToken), Who::kPatient);
  const http::ClientResponse reuse = ctx.refresh(t, first.refreshToken);
  expectOAuthError(t, reuse, 400, "invalid_grant", "for a refresh token used a second time");
  expectOAuthError(t, ctx.refresh(t, second.refreshToken), 400, "invalid_grant",
                   "for the rotated refresh token once reuse was detected (the family is revoked)");
  expectRefusedToken(t, callWith(ctx, t, "Bearer " + second.accessToken),
                     {"token-revoked", "pairing-revoked"},
                     "for the family's access token once reuse was detected");
}

void revocation(ServerContext& ctx, TestScope& t) {
  ctx.requirePairing(t);
  t.atEnd([&ctx] { ctx.forget(Who::kPatient); });
  const AppSession s = ctx.pair(t, Who::kPatient);
  expectStatus(t, callWith(ctx, t, "Bearer " + s.accessToken), 200, "before the revocation");
  http::ClientRequest revoke{
      "POST",
      ctx.endpoint(t, "revocation_endpoint"),
      {},
      "token=" + encode(s.refreshToken) +
          "&token_type_hint=refresh_token&client_id=" + encode(ctx.target().clientId)};
  revoke.headers.add("Content-Type", "application/x-www-form-urlencoded");
  expectStatus(t, t.send(revoke), 200, "for the revocation of the refresh token (RFC 7009)");
  expectRefusedToken(t, callWith(ctx, t, "Bearer " + s.accessToken),
                     {"pairing-revoked", "token-revoked"}, "on the very next request");
  expectOAuthError(t, ctx.refresh(t, s.refreshToken), 400, "invalid_grant",
                   "for the revoked refresh token");
}

}  // namespace

void addTokenTests(Plan& plan, ServerContext& ctx) {
  add(plan, "server.token-missing", "No token: 401 with a Bearer challenge",
      "A search without Authorization: 401, WWW-Authenticate: Bearer, an OperationOutcome "
      "token-missing and no data.",
      {"GW-SEC-01", "GW-SEC-06"}, [&ctx](TestScope& t) { noToken(ctx, t); });
  add(plan, "server.token-malformed", "A token that is not a JWT: 401 invalid_token",
      "\"Bearer not-a-jwt\": 401 with error=\"invalid_token\" in the challenge and "
      "token-malformed.",
      {"GW-SEC-02"}, [&ctx](TestScope& t) { malformedToken(ctx, t); });
  add(plan, "server.token-alg-none", "An unsigned token (alg none) is refused",
      "The app's real claims re-sent with {\"alg\":\"none\"} and no signature: 401.", {"GW-SEC-02"},
      [&ctx](TestScope& t) { algNone(ctx, t); });
  add(plan, "server.token-signature-invalid", "A token signed by another key is refused",
      "The app's real claims signed with a P-256 key the gateway never published (same kid): 401.",
      {"GW-SEC-02"}, [&ctx](TestScope& t) { forgedSignature(ctx, t); });
  add(
      plan, "server.token-in-query", "A token in the URL is refused",
      "access_token in the query string: 401 token-in-query (RFC 9700 §2.4: URLs leak). SPEC is "
      "silent, so the test is optional.",
      {"GW-SEC-02"}, [&ctx](TestScope& t) { tokenInQuery(ctx, t); }, false);
  add(plan, "server.other-patient-search",
      "A search naming another patient is 403 patient-mismatch",
      "patient=<other> and subject=Patient/<other> with the first patient's token: 403 "
      "patient-mismatch, never the other patient's data.",
      {"GW-SEC-04"}, [&ctx](TestScope& t) { otherPatientSearch(ctx, t); });
  add(plan, "server.other-patient-read", "Another patient's measure is 404 by id",
      "The second patient's app writes a weight; read by id with the first patient's token: 404, "
      "as for an id that does not exist.",
      {"GW-SEC-05"}, [&ctx](TestScope& t) { otherPatientRead(ctx, t); });
  add(plan, "server.other-patient-write", "A measure for another patient is 403 patient-mismatch",
      "An Observation whose subject is the second patient, sent with the first patient's token: "
      "403 patient-mismatch.",
      {"GW-SEC-04"}, [&ctx](TestScope& t) { otherPatientWrite(ctx, t); });
}

void addRevokingTests(Plan& plan, ServerContext& ctx) {
  add(plan, "server.token-expired", "An expired access token is refused",
      "The app's access token is used again after its exp: 401 token-expired. The test waits for "
      "the expiry when it comes within --max-wait, and is skipped otherwise.",
      {"GW-SEC-02"}, [&ctx](TestScope& t) { expiredToken(ctx, t); });
  add(plan, "server.refresh-reuse-detected", "A reused refresh token revokes the family",
      "A refresh token presented again after its rotation: 400 invalid_grant, the rotated one is "
      "refused too, and the family's access token gets 401.",
      {"GW-PAIR-11"}, [&ctx](TestScope& t) { refreshReuse(ctx, t); });
  add(plan, "server.revocation", "Revoking the refresh token takes effect on the next request",
      "POST to the revocation endpoint with the refresh token: 200, then the access token gets 401 "
      "and the refresh token invalid_grant.",
      {"GW-PAIR-12"}, [&ctx](TestScope& t) { revocation(ctx, t); });
}

}  // namespace mes::conformance::server

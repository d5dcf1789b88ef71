// Sandbox recordings written by hand for the client plan's unit tests: each step appends the
// exchanges an app (and its browser) would have made through the sandbox, with the gateway's
// answers, one second apart unless a step says otherwise.
//
//   RecordingBuilder b;
//   b.pair();                                     // authorize, consent, code exchange
//   b.fhir("GET", "/fhir/Observation?patient=demo");
//   b.refresh();
//   client::Traffic traffic(b.recording());
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "conformance/client/client_plan.h"
#include "conformance/client/recording.h"
#include "conformance/client/traffic.h"
#include "conformance/server/samples.h"
#include "conformance/test_model.h"
#include "core/clock.h"
#include "fhir/json/json.h"
#include "fhir/json/value.h"
#include "fhir/outcome/operation_outcome.h"
#include "oauth/api_access.h"
#include "oauth/pkce.h"

namespace mes::test {

inline constexpr const char* kSandboxUrl = "http://127.0.0.1:8090";
inline constexpr const char* kRedirectUri = "http://127.0.0.1:8765/callback";
inline constexpr int64_t kStartMs = 1'764'000'000'000;  // 2025-11-24T16:00:00Z

struct PairingHabits {
  std::string patient = "demo";
  std::string state;  // empty: a fresh 32-character one
  bool pkce = true;
  std::string method = "S256";
  bool verifierMatches = true;
  std::string challenge;  // empty: the S256 of the verifier
  std::string scope =
      "launch/patient offline_access patient/Observation.rs patient/Device.rs "
      "patient/Observation.cu patient/Device.c";
  bool offline = true;  // the answer carries a refresh token
};

class RecordingBuilder {
 public:
  RecordingBuilder();

  conformance::client::SessionInfo& info() { return recording_.info; }
  // The session as read back by grade.
  conformance::client::Recording recording() const { return recording_; }

  // One exchange: the request, then the answer (status, body, headers).
  conformance::client::RecordedExchange& exchange(
      const std::string& method, const std::string& target, const std::string& body = {},
      std::vector<std::pair<std::string, std::string>> headers = {}, int status = 200,
      const std::string& responseBody = {},
      std::vector<std::pair<std::string, std::string>> responseHeaders = {});

  // The pairing: GET /oauth/authorize, the consent's redirect with the code, the code
  // exchange. Returns the access token (also kept as the current one).
  std::string pair(const PairingHabits& habits = {});
  // grant_type=refresh_token with `refreshToken` (default: the newest); the answer is 200 with
  // new tokens, or 400 invalid_grant when `granted` is false.
  std::string refresh(std::string refreshToken = {}, bool granted = true);
  // A /fhir request with the current token in the Authorization header.
  conformance::client::RecordedExchange& fhir(
      const std::string& method, const std::string& target, const std::string& body = {},
      int status = 200, const std::string& responseBody = {},
      std::vector<std::pair<std::string, std::string>> headers = {});
  // The same with a given token (or none when empty).
  conformance::client::RecordedExchange& fhirWith(
      const std::string& token, const std::string& method, const std::string& target,
      const std::string& body = {}, int status = 200, const std::string& responseBody = {},
      std::vector<std::pair<std::string, std::string>> headers = {});

  void advance(int64_t ms) { now_ += ms; }
  const std::string& accessToken() const { return access_; }
  const std::string& refreshToken() const { return refresh_; }

 private:
  conformance::client::Recording recording_;
  int64_t now_ = kStartMs;
  int pairings_ = 0;
  int tokens_ = 0;
  std::string access_;
  std::string refresh_;
  std::string patient_;
};

// An OperationOutcome with one issue of this project code.
std::string outcome(const std::string& code, const std::string& diagnostics = "refused");
// A valid body-weight measure of Patient/<patient> with this identifier (and device when given).
fhir::Value weight(const std::string& patient, const std::string& identifier,
                   const std::string& device = {});

// Grades the recording with the whole client plan; the results by test id.
std::map<std::string, conformance::TestResult> grade(const conformance::client::Recording& r);

// ---- definitions ----

namespace detail {

inline std::string formOf(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += (out.empty() ? "" : "&") + http::percentEncode(name) + "=" + http::percentEncode(value);
  }
  return out;
}

}  // namespace detail

inline RecordingBuilder::RecordingBuilder() {
  conformance::client::SessionInfo& i = recording_.info;
  i.tool = "mes-conformance 0.1.0";
  i.publicUrl = kSandboxUrl;
  i.fhirBase = std::string(kSandboxUrl) + "/fhir";
  i.clientId = "carnet";
  i.clientName = "Carnet";
  i.clientType = "public";
  i.redirectUris = {kRedirectUri};
  for (const oauth::ApiAccess& a : oauth::mesApiAccesses()) {
    i.accesses.emplace_back(a.id);
    i.allowedScopes += (i.allowedScopes.empty() ? "" : " ") + std::string(a.scopes);
  }
  i.patients = {{"demo", "camille@demo.invalid"}, {"demo-2", "dominique@demo.invalid"}};
  i.accessTokenSeconds = 60;
  i.refuseTokenAt = 3;
  i.unavailableAt = 2;
  i.retryAfterSeconds = 3;
  i.keepBodyBytes = 2 << 20;
  i.startedMs = kStartMs;
  i.stoppedMs = kStartMs + 3'600'000;
}

inline conformance::client::RecordedExchange& RecordingBuilder::exchange(
    const std::string& method, const std::string& target, const std::string& body,
    std::vector<std::pair<std::string, std::string>> headers, int status,
    const std::string& responseBody,
    std::vector<std::pair<std::string, std::string>> responseHeaders) {
  conformance::client::RecordedExchange e;
  e.seq = recording_.exchanges.size() + 1;
  e.startedMs = now_;
  e.finishedMs = now_ + 20;
  now_ += 1000;
  e.remote = "127.0.0.1";
  e.method = method;
  e.target = target;
  for (auto& [name, value] : headers) e.requestHeaders.add(name, value);
  e.requestBody = conformance::client::keepBody(body, 2 << 20, 4096);
  e.status = status;
  for (auto& [name, value] : responseHeaders) e.responseHeaders.add(name, value);
  if (!responseBody.empty() && !e.responseHeaders.has("Content-Type")) {
    e.responseHeaders.add("Content-Type", "application/fhir+json");
  }
  e.responseBody = conformance::client::keepBody(responseBody, 2 << 20, 4096);
  recording_.exchanges.push_back(std::move(e));
  return recording_.exchanges.back();
}

inline std::string RecordingBuilder::pair(const PairingHabits& h) {
  ++pairings_;
  const std::string verifier = "verifier-" + std::to_string(pairings_) + std::string(40, 'v');
  const std::string state =
      h.state.empty() ? "state-" + std::to_string(pairings_) + std::string(26, 's') : h.state;
  std::vector<std::pair<std::string, std::string>> q = {{"response_type", "code"},
                                                        {"client_id", recording_.info.clientId},
                                                        {"redirect_uri", kRedirectUri},
                                                        {"scope", h.scope},
                                                        {"state", state},
                                                        {"aud", recording_.info.fhirBase}};
  if (h.pkce) {
    q.emplace_back("code_challenge",
                   h.challenge.empty() ? oauth::challengeFor(verifier) : h.challenge);
    q.emplace_back("code_challenge_method", h.method);
  }
  exchange("GET", "/oauth/authorize?" + detail::formOf(q), {}, {}, 303, {},
           {{"Location", std::string(kSandboxUrl) + "/portal/consent?client_id=carnet"}});
  const std::string code = "code-" + std::to_string(pairings_);
  exchange("POST", "/portal/consent", "decision=approve",
           {{"Content-Type", "application/x-www-form-urlencoded"}}, 303, {},
           {{"Location", std::string(kRedirectUri) + "?code=" + code + "&state=" + state}});
  ++tokens_;
  access_ = "access-" + std::to_string(tokens_);
  refresh_ = h.offline ? "refresh-" + std::to_string(tokens_) : "";
  patient_ = h.patient;
  const std::string answer = R"({"access_token":")" + access_ +
                             R"(","token_type":"Bearer","expires_in":60,"scope":")" + h.scope +
                             R"(","patient":")" + h.patient + "\"" +
                             (h.offline ? R"(,"refresh_token":")" + refresh_ + "\"" : "") + "}";
  exchange("POST", "/oauth/token",
           detail::formOf({{"grant_type", "authorization_code"},
                           {"code", code},
                           {"redirect_uri", kRedirectUri},
                           {"code_verifier", h.verifierMatches ? verifier : verifier + "x"},
                           {"client_id", recording_.info.clientId}}),
           {{"Content-Type", "application/x-www-form-urlencoded"}}, 200, answer,
           {{"Content-Type", "application/json"}});
  return access_;
}

inline std::string RecordingBuilder::refresh(std::string refreshToken, bool granted) {
  if (refreshToken.empty()) refreshToken = refresh_;
  const std::string form = detail::formOf({{"grant_type", "refresh_token"},
                                           {"refresh_token", refreshToken},
                                           {"client_id", recording_.info.clientId}});
  if (!granted) {
    exchange("POST", "/oauth/token", form, {{"Content-Type", "application/x-www-form-urlencoded"}},
             400, R"({"error":"invalid_grant"})", {{"Content-Type", "application/json"}});
    return {};
  }
  ++tokens_;
  access_ = "access-" + std::to_string(tokens_);
  refresh_ = "refresh-" + std::to_string(tokens_);
  exchange("POST", "/oauth/token", form, {{"Content-Type", "application/x-www-form-urlencoded"}},
           200,
           R"({"access_token":")" + access_ + R"(","token_type":"Bearer","expires_in":60,)" +
               R"("scope":"launch/patient offline_access patient/Observation.rs","patient":")" +
               patient_ + R"(","refresh_token":")" + refresh_ + "\"}",
           {{"Content-Type", "application/json"}});
  return access_;
}

inline conformance::client::RecordedExchange& RecordingBuilder::fhir(
    const std::string& method, const std::string& target, const std::string& body, int status,
    const std::string& responseBody, std::vector<std::pair<std::string, std::string>> headers) {
  return fhirWith(access_, method, target, body, status, responseBody, std::move(headers));
}

inline conformance::client::RecordedExchange& RecordingBuilder::fhirWith(
    const std::string& token, const std::string& method, const std::string& target,
    const std::string& body, int status, const std::string& responseBody,
    std::vector<std::pair<std::string, std::string>> headers) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/fhir+json");
  return exchange(method, target, body, std::move(headers), status, responseBody);
}

inline std::string outcome(const std::string& code, const std::string& diagnostics) {
  return fhir::toJson(
      fhir::operationOutcome(Error::make(ErrorKind::kUnprocessable, code, diagnostics)));
}

inline fhir::Value weight(const std::string& patient, const std::string& identifier,
                          const std::string& device) {
  fhir::Value m =
      conformance::server::measure(conformance::server::sampleOf(fhir::MeasureKind::kBodyWeight),
                                   patient, conformance::server::dateTimeOf(kStartMs - 3'600'000));
  fhir::Value ids = fhir::Value::array();
  fhir::Value id = fhir::Value::object();
  id.set("system", fhir::Value::string("urn:oid:1.2.250.1.999.1.78"));
  id.set("value", fhir::Value::string(identifier));
  ids.push(std::move(id));
  m.set("identifier", std::move(ids));
  if (!device.empty()) {
    fhir::Value ref = fhir::Value::object();
    ref.set("reference", fhir::Value::string(device));
    m.set("device", std::move(ref));
  }
  return m;
}

inline std::map<std::string, conformance::TestResult> grade(
    const conformance::client::Recording& r) {
  const conformance::client::Traffic traffic(r);
  const std::vector<conformance::PlannedTest> plan = conformance::client::clientPlan(traffic);
  std::vector<const conformance::PlannedTest*> all;
  for (const conformance::PlannedTest& p : plan) all.push_back(&p);
  const ManualClock clock(kStartMs);
  std::map<std::string, conformance::TestResult> out;
  for (conformance::TestResult& result : conformance::runTests(all, clock, nullptr)) {
    out.emplace(result.test.id, std::move(result));
  }
  return out;
}

// ---- a whole session ----

using conformance::client::Injected;
using fhir::Value;
namespace samples = conformance::server;

inline constexpr const char* kScope =
    "launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/Observation.cu patient/Device.c patient/DocumentReference.c patient/Binary.c "
    "patient/Appointment.cu patient/Appointment.rs";
inline constexpr const char* kDevice = "urn:uuid:0b9c6f1e-0000-4000-8000-000000000001";
inline constexpr const char* kAgenda = "urn:oid:1.2.250.1.999.1.5";

inline PairingHabits scoped(const std::string& scope, const std::string& challenge = {}) {
  PairingHabits h;
  h.scope = scope;
  h.challenge = challenge;
  return h;
}

inline std::string json(const Value& v) {
  return fhir::toJson(v);
}

inline std::string searchset(const std::string& next = {}) {
  std::string links = R"([{"relation":"self","url":"http://127.0.0.1:8090/fhir/Observation"})";
  if (!next.empty()) {
    links = R"([{"relation":"next","url":"http://127.0.0.1:8090)" + next + R"("}])";
  }
  return R"({"resourceType":"Bundle","type":"searchset","total":2,"link":)" + links + "}";
}

// A measures transaction: the cuff by conditional create, a blood pressure referencing it.
inline Value transaction(
    const std::string& ifNoneExist = "identifier=urn:oid:1.2.250.1.999.1.77|SN-1",
    bool referenced = true) {
  Value device =
      fhir::parseJson(
          R"({"resourceType":"Device","identifier":[{"system":"urn:oid:1.2.250.1.999.1.77","value":"SN-1"}]})")
          .value();
  Value bp = samples::bloodPressure("demo", samples::dateTimeOf(kStartMs - 60'000), "128", "82");
  if (referenced) {
    Value ref = Value::object();
    ref.set("reference", Value::string(kDevice));
    bp.set("device", std::move(ref));
  }
  Value entries = Value::array();
  entries.push(samples::transactionEntry(kDevice, std::move(device), "Device", ifNoneExist));
  entries.push(samples::transactionEntry("urn:uuid:0b9c6f1e-0000-4000-8000-000000000002",
                                         std::move(bp), "Observation"));
  Value bundle = Value::object();
  bundle.set("resourceType", Value::string("Bundle"));
  bundle.set("type", Value::string("transaction"));
  bundle.set("entry", std::move(entries));
  return bundle;
}

inline Value booking(const std::string& value = "rdv-1") {
  return samples::appointment("demo", kAgenda, value, "2025-11-26T10:00:00Z",
                              "2025-11-26T10:30:00Z");
}

// A session of a well-behaved app (the shape of tests/e2e/sample_app.h), every step adjustable:
// record(Session{}) passes every test of the client plan.
struct Session {
  PairingHabits pairing;
  std::function<void(RecordingBuilder&)> extra;  // after the rest
  bool refuseToken = true;
  bool reuseRefusedToken = false;
  bool unavailable = true;
  int64_t waitAfter503Ms = 3000;
  std::string countParam = "1";
  Value bundle = transaction();
  std::string ifNoneExist = "identifier=urn:oid:1.2.250.1.999.1.78|W-1";
  Value measure = weight("demo", "W-1", "Device/d1");
  std::string searchPatient = "demo";
  bool document = true;
  bool agenda = true;
  bool secondRefresh = true;
};

inline conformance::client::Recording record(Session s) {
  RecordingBuilder b;
  if (s.pairing.scope == PairingHabits{}.scope) s.pairing.scope = kScope;
  b.pair(s.pairing);
  const std::string page =
      "/fhir/Observation?patient=" + s.searchPatient + "&_count=" + s.countParam;
  b.fhir("GET", page, {}, 200, searchset(page + "&_offset=1"));
  b.fhir("GET", page + "&_offset=1", {}, 200, searchset());
  b.fhir("POST", "/fhir", json(s.bundle), 200,
         R"({"resourceType":"Bundle","type":"transaction-response"})");
  const std::vector<std::pair<std::string, std::string>> conditional = {
      {"If-None-Exist", s.ifNoneExist}};
  if (s.refuseToken) {
    const std::string refused = b.accessToken();
    b.fhir("POST", "/fhir/Observation", json(s.measure), 401, outcome("token-refused"), conditional)
        .injected = Injected::kRefusedToken;
    if (s.reuseRefusedToken) b.fhirWith(refused, "GET", "/fhir/Observation/w1", {}, 401);
    b.refresh();
  }
  if (s.unavailable) {
    conformance::client::RecordedExchange& busy =
        b.fhir("POST", "/fhir/Observation", json(s.measure), 503,
               outcome("temporarily-unavailable"), conditional);
    busy.injected = Injected::kUnavailable;
    busy.responseHeaders.add("Retry-After", "3");
    b.advance(s.waitAfter503Ms - 1000);
  }
  b.fhir("POST", "/fhir/Observation", json(s.measure), 201,
         R"({"resourceType":"Observation","id":"w1"})", conditional);
  Value amended = s.measure;
  amended.set("id", Value::string("w1"));
  amended.set("status", Value::string("amended"));
  b.fhir("PUT", "/fhir/Observation/w1", json(amended), 200, {}, {{"If-Match", "W/\"1\""}});
  if (s.document) {
    b.fhir("POST", "/fhir/DocumentReference",
           json(samples::documentReference("demo", "Compte rendu.\n", "cr.txt")), 201);
  }
  if (s.agenda) {
    b.fhir("PUT", "/fhir/Appointment?identifier=urn%3Aoid%3A1.2.250.1.999.1.5%7Crdv-1",
           json(booking()), 201);
  }
  if (s.extra) s.extra(b);
  if (s.secondRefresh) b.refresh();
  return b.recording();
}

}  // namespace mes::test

// What the server tests share while `mes-conformance run` plays a reference app against one
// gateway: the target (URLs, the test patients and app, or tokens given on the command line),
// the discovery documents, and the app's live sessions (tokens), obtained the way an app does
// and refreshed when they near their expiry.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/runner.h"
#include "core/clock.h"
#include "fhir/json/value.h"
#include "gateway/http/http_client.h"

namespace mes::conformance::server {

struct TestPatient {
  std::string id;        // logical id: "demo"
  std::string login;     // portal login
  std::string password;  // portal password
  // Tokens given on the command line instead of driving the pairing (someone else's gateway).
  std::string accessToken;
  std::string refreshToken;
};

struct ServerTarget {
  std::string baseUrl;   // the issuer, no trailing slash: http://127.0.0.1:8080
  std::string fhirBase;  // <baseUrl>/fhir unless given
  std::string clientId;
  std::string redirectUri;
  std::string outboxDir;    // where the gateway's one-time login codes arrive (our gateway)
  TestPatient patient;      // the patient the app is paired with
  TestPatient other;        // a second patient (the "other patient" of the security tests)
  int maxWaitSeconds = 60;  // how long the expired-token test may wait
};

// Why a test cannot drive pairing, or "" when it can.
std::string pairingUnavailable(const ServerTarget& target, const TestPatient& patient);

// Which test patient.
enum class Who { kPatient, kOther };

// What the app holds after a pairing or a refresh.
struct AppSession {
  std::string patientId;
  std::string accessToken;
  std::string refreshToken;  // empty without offline_access
  std::string idToken;
  std::string scope;        // as granted
  int64_t expiresAtMs = 0;  // from expires_in; 0 when unknown
};

struct PkcePair {
  std::string verifier;
  std::string challenge;  // BASE64URL(SHA256(verifier))
};
PkcePair newPkce();

// The authorization request an app sends (SPEC §1).
struct AuthorizationRequest {
  std::string scope;  // default: every scope the plan uses (kFullScope)
  std::string state;  // default: a fresh random value
  std::string nonce;
  PkcePair pkce = newPkce();
  std::string method = "S256";  // code_challenge_method; empty: not sent
  bool sendChallenge = true;    // false: no code_challenge at all
  std::string redirectUri;      // default: the target's
};

// Every scope the tests need: measures, documents and agenda, identity and offline access.
inline constexpr const char* kFullScope =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/Observation.cud patient/Device.c patient/DocumentReference.rs patient/Binary.r "
    "patient/DocumentReference.cd patient/Binary.c patient/Appointment.cu patient/Appointment.rs";

class ServerContext {
 public:
  using Sleep = std::function<void(int64_t ms)>;
  ServerContext(ServerTarget target, const Clock& clock, Sleep sleep);

  const ServerTarget& target() const { return target_; }
  const Clock& clock() const { return clock_; }
  void sleepMs(int64_t ms) const { sleep_(ms); }

  // Absolute URLs.
  std::string url(std::string_view pathAndQuery) const;      // under baseUrl
  std::string fhirUrl(std::string_view pathAndQuery) const;  // under fhirBase

  // The SMART configuration (fetched once, through the scope that first needs it; a test ends
  // in error when it cannot be read). Endpoints fall back to the SPEC's paths when absent.
  const fhir::Value& smartConfiguration(TestScope& t);
  std::string endpoint(TestScope& t, std::string_view name);  // "token_endpoint", ...

  const TestPatient& patient(Who who) const {
    return who == Who::kPatient ? target_.patient : target_.other;
  }

  // --- pairing, step by step (our consent page: SPEC §1's flow as a browser does it)
  // Ends the test as skipped, with what is missing, when the pairing cannot be driven.
  void requirePairing(TestScope& t, Who who = Who::kPatient);
  // Ends the test as skipped when no client id or redirect URI was given.
  void requireClient(TestScope& t);
  std::string authorizeUrl(TestScope& t, const AuthorizationRequest& request);
  // Authorize, log the patient in on the portal when needed (password, then the one-time code
  // from the outbox), open the consent page and submit it with `ticks` (the access rows' values;
  // empty: every row offered) and `decision` ("approve" or "deny"). Returns the consent form's
  // answer: the redirect back to the app. Ends the test in error when a step breaks.
  http::ClientResponse consent(TestScope& t, Who who, const AuthorizationRequest& request,
                               const std::vector<std::string>& ticks = {},
                               const std::string& decision = "approve");
  // consent() with approval, and the code of its redirect (ends in error without one).
  std::string authorizationCode(TestScope& t, Who who, const AuthorizationRequest& request,
                                const std::vector<std::string>& ticks = {});
  // POST to the token endpoint (form fields as given; client_id added when absent).
  http::ClientResponse tokenRequest(TestScope& t,
                                    std::vector<std::pair<std::string, std::string>> form);
  http::ClientResponse exchangeCode(TestScope& t, const std::string& code,
                                    const AuthorizationRequest& request);
  http::ClientResponse refresh(TestScope& t, const std::string& refreshToken,
                               const std::string& scope = {});
  // Reads a successful token answer (ends the test in error when it is not one).
  AppSession sessionFrom(TestScope& t, const http::ClientResponse& tokenResponse, Who who);
  // A fresh pairing of the app with every scope of kFullScope.
  AppSession pair(TestScope& t, Who who, const std::vector<std::string>& ticks = {});

  // --- the app's live session: paired (or given) once, refreshed when less than a third of
  // its lifetime is left, paired again when the refresh is refused. Skips the test when there
  // is no way to obtain one.
  const AppSession& session(TestScope& t, Who who = Who::kPatient);
  // After a test that revoked tokens: the next session() pairs again.
  void forget(Who who);
  // An authorised FHIR request of the app.
  http::ClientResponse fhir(TestScope& t, const std::string& method,
                            const std::string& pathAndQuery, const std::string& body = {},
                            Who who = Who::kPatient, http::Headers extra = {});
  // A value unique to this run (identifiers, dates), so that runs never disturb each other.
  const std::string& runId() const { return runId_; }

 private:
  struct Browser {
    std::map<std::string, std::string> cookies;  // the portal's cookies
  };
  http::ClientResponse browse(TestScope& t, Browser& browser, const std::string& method,
                              const std::string& url, const std::string& form = {});
  std::string loginCode(TestScope& t, const std::string& patientId, int64_t sinceMs);

  ServerTarget target_;
  const Clock& clock_;
  Sleep sleep_;
  std::optional<fhir::Value> smart_;
  std::string runId_;
  std::map<Who, Browser> browsers_;
  std::map<Who, AppSession> sessions_;
};

}  // namespace mes::conformance::server

// Pairing an app with a patient the way a real app and patient do, over HTTP: authorize,
// portal login, one-time code from the outbox, consent (ticking chosen rows), token exchange.
// Integration tests use it to obtain tokens; the OAuth tests use its steps one by one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "integration/support/gateway_process.h"
#include "integration/support/http_client.h"

namespace mes::itest {

// What `mes-gateway seed-demo` prints.
struct DemoSeed {
  std::string patientId;
  std::string login;
  std::string password;
  std::string clientId;
  std::string redirectUri;
  std::string scope;  // every scope the demo service is allowed
  // The second demo patient (Patient/demo-2) and its portal account.
  std::string otherPatientId;
  std::string otherLogin;
  std::string otherPassword;

  // The same seed seen as the second patient logging in.
  DemoSeed asOtherPatient() const;
};

// Runs seed-demo on the data dir (idempotent) and reads its JSON output.
DemoSeed seedDemoData(const std::string& dataDir);

// Every scope of the Measures API (read and write) with identity and offline access.
inline constexpr const char* kMeasureScopes =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Device.rs "
    "patient/Observation.cud patient/Device.c";

struct PkcePair {
  std::string verifier;
  std::string challenge;
};
PkcePair newPkce();

// A browser-like cookie holder for the portal (only the cookies the gateway sets).
struct Browser {
  std::map<std::string, std::string> cookies;
  HeaderList headers() const;  // Cookie header
  void remember(const HttpResponse& response);
};

// The value="" of every <input type="hidden"> of an HTML page, unescaped, in order.
std::vector<std::pair<std::string, std::string>> hiddenInputs(const std::string& html);
// The values of the checkboxes named `name`.
std::vector<std::string> checkboxValues(const std::string& html, const std::string& name);
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);
// The newest one-time code the outbox holds for `patientId` (a registry account's codes go to
// its login).
std::string latestLoginCode(const std::string& dataDir, const std::string& patientId);
// Query parameter of a URL ("" when absent), percent-decoded.
std::string queryParam(const std::string& url, const std::string& name);
// Path and query of an absolute or relative URL.
std::string pathOf(const std::string& url);

struct AuthorizationRequest {
  std::string clientId;
  std::string redirectUri;
  std::string scope = kMeasureScopes;
  std::string state = "state-123";
  std::string nonce = "nonce-456";
  std::string aud;  // default: the gateway's FHIR base
  PkcePair pkce = newPkce();
  std::string method = "S256";
};
std::string authorizeTarget(const GatewayProcess& gw, const AuthorizationRequest& request);

// Logs the browser in on the login area under `prefix` ("/portal", "/registry"): password, then
// the newest code the outbox holds for `recipient`. Returns the last response (a 303 to `next`).
HttpResponse areaLogin(GatewayProcess& gw, Browser& browser, const std::string& prefix,
                       const std::string& login, const std::string& password,
                       const std::string& recipient, const std::string& next);
// The patient portal's (password + code). Returns the last response (a 303 to `next`).
HttpResponse portalLogin(GatewayProcess& gw, Browser& browser, const DemoSeed& seed,
                         const std::string& next = "/portal/");

struct PairingResult {
  std::string redirect;  // the Location sent back to the app
  std::string code;
  HttpResponse token;    // the token endpoint's answer
  std::string accessToken;
  std::string refreshToken;
  std::string idToken;
  std::string grantedScope;
};

// The whole flow. `ticks`: the consent rows to tick (ids such as "mesures.read"); empty = all
// the page offers. `browser` may already be logged in.
PairingResult pairApp(GatewayProcess& gw, const DemoSeed& seed, Browser& browser,
                      const AuthorizationRequest& request,
                      const std::vector<std::string>& ticks = {});
// Convenience: a fresh browser, the demo app, `scope`.
PairingResult pairDemo(GatewayProcess& gw, const DemoSeed& seed,
                       const std::string& scope = kMeasureScopes);

HeaderList bearer(const std::string& accessToken);

// POST /oauth/token with a form.
HttpResponse tokenRequest(GatewayProcess& gw,
                          const std::vector<std::pair<std::string, std::string>>& form);

}  // namespace mes::itest

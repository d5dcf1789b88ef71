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

 private:
  ServerTarget target_;
  const Clock& clock_;
  Sleep sleep_;
  std::optional<fhir::Value> smart_;
};

}  // namespace mes::conformance::server

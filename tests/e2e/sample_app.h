// Scripted sample apps for the sandbox's end-to-end test (never part of the product): an app an
// editor could have written, talking HTTP to `mes-conformance sandbox` as a phone app and its
// browser would, with one scripted session. The well-behaved one does everything the client
// test plan asks; each misbehaving one differs from it in exactly one habit.
//
// The session, in order (the request numbers are the sandbox's defaults: its 3rd request with a
// token to /fhir is refused with 401, its 2nd write gets 503 with Retry-After):
//   1. pairing: /oauth/authorize with PKCE S256 and a random state (the "browser": portal
//      login with password and the one-time code, every consent row ticked, approve), the
//      state checked on return, the code exchanged;
//   2. the last blood pressure: code + _sort=-date + _count=1;
//   3. a blood pressure with its cuff: a transaction with the Device's conditional create;
//   4. a weight (POST /fhir/Observation with If-None-Exist on its identifier, referencing the
//      cuff): refused 401 (refresh, retry), then 503 (wait Retry-After, retry), then 201;
//   5. the measures one per page, following the next link;
//   6. the weight corrected (PUT with If-Match);
//   7. a text document deposited (ITI-105, size and SHA-1 of its bytes);
//   8. an appointment synchronised twice by conditional update;
//   9. a refresh before the token expires, and a last read with the new token.
// Every request that gets 401 is sent again once after renewing the token; every 503 with
// Retry-After after waiting that long.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace mes::e2e {

enum class Misbehaviour {
  kNone,             // passes every test
  kNoPkce,           // authorization request without code_challenge (the gateway refuses it)
  kInvalidMeasures,  // also posts a weight in pounds (the gateway answers 422)
  kPageSize500,      // searches with _count=500 (the gateway answers 400)
  kTokenInQuery,     // searches carry the token as access_token in the URL, not in a header
  kRepairing,        // renews its access by pairing again instead of refreshing
};
std::ostream& operator<<(std::ostream& os, Misbehaviour m);

struct SampleAppSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 0;    // the sandbox's public port
  std::string baseUrl;  // its public URL (the issuer): http://127.0.0.1:<port>
  std::string clientId;
  std::string redirectUri;
  std::string login;  // the test patient's portal login and password
  std::string password;
  // The one-time code the gateway sends for the patient's n-th login (1, 2...), as the
  // sandbox prints it; throws when it does not come.
  std::function<std::string(int nth)> loginCode;
  Misbehaviour misbehaviour = Misbehaviour::kNone;
};

// Plays the session; throws std::runtime_error when a step the app needs fails (the no-PKCE
// app stops when its pairing is refused, which is its whole session).
void runSampleApp(const SampleAppSettings& settings);

}  // namespace mes::e2e

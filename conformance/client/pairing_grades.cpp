// Pairing and tokens (SEC-01, SEC-03, SEC-05, RGPD-03, RGPD-05): PKCE S256 and state on every
// authorization, refresh with rotation instead of pairing again, a refused token never used
// again, no token in a URL, and only the accesses the app uses.
#include <algorithm>
#include <map>
#include <set>

#include "conformance/client/grades.h"
#include "conformance/report/exchange_text.h"
#include "fhir/json/json.h"
#include "oauth/api_access.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"

namespace mes::conformance::client {

namespace {

constexpr size_t kMinStateLength = 16;

std::string shown(std::string_view value, size_t max = 40) {
  return "\"" + printableText(value.substr(0, max)) + (value.size() > max ? "…" : "") + "\"";
}

void pkceS256(TestScope& t, const Traffic& traffic) {
  if (traffic.authorizations().empty()) {
    t.skip(
        "The recording holds no authorization request (/oauth/authorize): pair the app with a "
        "test patient during the session.");
  }
  Findings f(t, traffic);
  std::set<std::string> challenges;
  std::map<std::string, std::string> challengeOfState;
  for (const Authorization& a : traffic.authorizations()) {
    const std::string& challenge = http::firstValue(a.params, "code_challenge");
    const std::string& method = http::firstValue(a.params, "code_challenge_method");
    if (challenge.empty()) {
      f.offence(*a.exchange,
                "no code_challenge: an authorization request carries PKCE, a code_challenge "
                "with code_challenge_method=S256");
    } else if (method != "S256") {
      f.offence(*a.exchange, method.empty()
                                 ? "no code_challenge_method: it must be S256 (without it PKCE "
                                   "means plain, which sends the secret itself)"
                                 : "code_challenge_method=" + printableText(method) +
                                       ": only S256 protects the code (RFC 9700)");
    } else if (!oauth::checkChallenge(challenge, method)) {
      f.offence(*a.exchange,
                "the code_challenge is not 43 base64url characters (the SHA-256 of the verifier)");
    } else if (!challenges.insert(challenge).second) {
      f.offence(*a.exchange,
                "the same code_challenge as an earlier authorization request: each one needs a "
                "new code_verifier");
    } else {
      f.judged(*a.exchange);
    }
    challengeOfState[http::firstValue(a.params, "state")] = challenge;
  }
  size_t exchanges = 0;
  for (const TokenCall& c : traffic.tokenCalls()) {
    if (c.grantType != "authorization_code") continue;
    ++exchanges;
    const std::string& verifier = http::firstValue(c.form, "code_verifier");
    const std::optional<std::string> state = traffic.stateOfCode(http::firstValue(c.form, "code"));
    const auto challenge = state ? challengeOfState.find(*state) : challengeOfState.end();
    if (verifier.empty()) {
      f.offence(*c.exchange, "the code exchange carries no code_verifier");
    } else if (!oauth::isValidPkceVerifier(verifier)) {
      f.offence(*c.exchange,
                "the code_verifier is not 43 to 128 characters of A-Z a-z 0-9 - . _ ~ "
                "(RFC 7636 §4.1)");
    } else if (challenge != challengeOfState.end() && !challenge->second.empty() &&
               !oauth::verifyPkceS256(verifier, challenge->second)) {
      f.offence(*c.exchange,
                "the code_verifier does not match the code_challenge of the authorization "
                "request that obtained this code");
    } else {
      f.judged(*c.exchange);
    }
  }
  f.conclude("PKCE S256 is not used as SEC-01 requires",
             "every authorization request (" + std::to_string(traffic.authorizations().size()) +
                 ") carried a new S256 code_challenge, and every code exchange (" +
                 std::to_string(exchanges) + ") its code_verifier");
}

void state(TestScope& t, const Traffic& traffic) {
  if (traffic.authorizations().empty()) {
    t.skip(
        "The recording holds no authorization request (/oauth/authorize): pair the app with a "
        "test patient during the session.");
  }
  Findings f(t, traffic);
  std::set<std::string> seen;
  for (const Authorization& a : traffic.authorizations()) {
    const std::string& value = http::firstValue(a.params, "state");
    if (value.empty()) {
      f.offence(*a.exchange,
                "no state: without it the app cannot tell its own authorization's answer from "
                "a forged one (CSRF)");
    } else if (value.size() < kMinStateLength) {
      f.offence(*a.exchange, "the state " + shown(value) + " has " + std::to_string(value.size()) +
                                 " characters: too short to be unpredictable (at least " +
                                 std::to_string(kMinStateLength) +
                                 ", e.g. 128 random bits in base64url)");
    } else if (!seen.insert(value).second) {
      f.offence(*a.exchange,
                "the same state as an earlier authorization request: each one needs a new "
                "unpredictable value");
    } else {
      f.judged(*a.exchange);
    }
  }
  f.conclude("The state parameter is not used as SEC-01 requires",
             "every authorization request (" + std::to_string(traffic.authorizations().size()) +
                 ") carried its own state of at least " + std::to_string(kMinStateLength) +
                 " characters");
}

// Where a patient's access stands, as the app's exchanges show it.
struct GrantState {
  std::string refreshToken;  // the newest one issued ("" when none)
  uint64_t issuedAt = 0;     // the exchange that issued it
  bool usable = false;       // not refused, revoked or ended since
  size_t pairings = 0;
  uint64_t firstPairing = 0;
};

bool endsAccess(const std::string& codes) {
  for (const char* code : {"pairing-revoked", "token-revoked", "service-suspended"}) {
    if (codes.find(code) != std::string::npos) return true;
  }
  return false;
}

void refreshRotation(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  std::map<std::string, GrantState> grants;           // by patient
  std::map<std::string, uint64_t> usedRefreshTokens;  // -> the exchange that used it
  std::map<std::string, std::string> patientOfToken;
  size_t refreshes = 0;
  // Token calls and the exchanges that end an access, in recording order.
  auto tokenCall = traffic.tokenCalls().begin();
  auto fhirCall = traffic.fhirCalls().begin();
  for (const RecordedExchange& e : traffic.all()) {
    const std::string path = pathOfTarget(e.target);
    if (tokenCall != traffic.tokenCalls().end() && tokenCall->exchange == &e) {
      const TokenCall& c = *tokenCall++;
      GrantState& g = grants[c.patient];
      if (c.grantType == "authorization_code" && c.granted) {
        if (g.usable && !g.refreshToken.empty()) {
          f.offence(e, "paired Patient/" + c.patient +
                           " again although the refresh token issued at #" +
                           std::to_string(g.issuedAt) +
                           " was still valid: renew access with it instead of asking the patient "
                           "again");
        } else if (g.pairings > 0 && g.refreshToken.empty()) {
          f.offence(e, "paired Patient/" + c.patient + " again: the pairing of #" +
                           std::to_string(g.firstPairing) +
                           " gave no refresh token (ask offline_access) to renew access with");
        } else {
          f.judged(e);
        }
        if (g.pairings++ == 0) g.firstPairing = e.seq;
        g.refreshToken = c.refreshToken;
        g.issuedAt = e.seq;
        g.usable = true;
      } else if (c.grantType == "refresh_token") {
        const std::string& presented = http::firstValue(c.form, "refresh_token");
        const auto used = usedRefreshTokens.find(presented);
        if (used != usedRefreshTokens.end()) {
          f.offence(e, "sent again the refresh token already used at #" +
                           std::to_string(used->second) +
                           ": each refresh answer carries a new refresh token, which replaces "
                           "the old one (rotation); the gateway takes a reuse for a theft and "
                           "ends the pairing");
        } else if (c.granted) {
          f.judged(e);
        }
        if (c.granted) {
          usedRefreshTokens.emplace(presented, e.seq);
          ++refreshes;
          g.refreshToken = c.refreshToken.empty() ? presented : c.refreshToken;
          g.issuedAt = e.seq;
          g.usable = true;
        } else if (!c.error.empty()) {
          g.usable = false;
        }
      }
      if (c.granted) patientOfToken[c.accessToken] = c.patient;
      if (!c.refreshToken.empty()) patientOfToken[c.refreshToken] = c.patient;
      continue;
    }
    if (fhirCall != traffic.fhirCalls().end() && fhirCall->exchange == &e) {
      const FhirCall& c = *fhirCall++;
      if (e.status == 401 && !c.patient.empty() && endsAccess(outcomeCodesOf(e))) {
        grants[c.patient].usable = false;
      }
      continue;
    }
    // The app ending its own pairing or grant.
    std::string token;
    if (path == "/oauth/revoke" && e.method == "POST") {
      token = http::firstValue(http::parseForm(e.requestBody.bytes), "token");
    } else if (path == "/oauth/pairing" && e.method == "DELETE") {
      const std::string& authorization = e.requestHeaders.get("Authorization");
      if (authorization.rfind("Bearer ", 0) == 0) token = authorization.substr(7);
    }
    const auto patient = patientOfToken.find(token);
    if (!token.empty() && e.status < 300 && patient != patientOfToken.end()) {
      grants[patient->second].usable = false;
    }
  }
  if (refreshes == 0 && f.offences() == 0) {
    t.skip(
        "The app never renewed its access during the session (no refresh, no second "
        "pairing): keep it running past the access token lifetime (" +
        std::to_string(traffic.info().accessTokenSeconds) +
        " s), or until the sandbox refuses its token.");
  }
  if (refreshes == 1 && f.offences() == 0) {
    t.note(
        "The app refreshed once: the reuse of a rotated refresh token could not arise. A "
        "longer session shows more.");
  }
  f.conclude("The app does not renew its access by refresh with rotation, as SEC-05 requires",
             "the app renewed its access by refresh (" + count(refreshes, "time", "times") +
                 "), each time with the newest refresh token, and never paired a patient again "
                 "while it could refresh");
}

void handles401(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  size_t refused = 0;
  const auto& calls = traffic.fhirCalls();
  for (size_t i = 0; i < calls.size(); ++i) {
    const FhirCall& c = calls[i];
    if (c.exchange->status != 401 || !c.tokenInHeader || c.token.empty()) continue;
    ++refused;
    const RecordedExchange& e = *c.exchange;
    const FhirCall* reuse = nullptr;
    for (size_t j = i + 1; j < calls.size() && reuse == nullptr; ++j) {
      if (calls[j].token == c.token && calls[j].exchange->startedMs >= e.finishedMs) {
        reuse = &calls[j];
      }
    }
    const std::string codes = outcomeCodesOf(e);
    if (reuse != nullptr) {
      f.offence(*reuse->exchange, "used again the access token refused at #" +
                                      std::to_string(e.seq) +
                                      (codes.empty() ? "" : " (" + codes + ")") +
                                      ": after a 401 the app stops using that token, refreshes "
                                      "(or pairs again) and retries with the new token");
      continue;
    }
    f.judged(e);
    const TokenCall* next = nullptr;
    for (const TokenCall& tc : traffic.tokenCalls()) {
      if (tc.exchange->seq > e.seq) {
        next = &tc;
        break;
      }
    }
    t.note("After the 401 of " + traffic.describe(e, false) +
           (next == nullptr ? ", the app asked for no new token."
            : next->grantType == "refresh_token"
                ? ", the app refreshed (#" + std::to_string(next->exchange->seq) + ")."
                : ", the app asked for a token with " + printableText(next->grantType) + " (#" +
                      std::to_string(next->exchange->seq) + ")."));
  }
  if (refused == 0) {
    t.skip("No request of the app was refused with 401 during the session" +
           std::string(traffic.info().refuseTokenAt > 0
                           ? " (the sandbox refuses its request #" +
                                 std::to_string(traffic.info().refuseTokenAt) +
                                 " with a token to /fhir once: it made fewer)"
                           : " (the sandbox ran without its deliberate 401)") +
           ".");
  }
  f.conclude("The app uses a token the gateway refused, which SEC-05 and RGPD-05 forbid",
             "after each refused token (" + count(refused, "401", "401s") +
                 "), the app never sent that token again");
}

bool looksLikeJwt(std::string_view value) {
  return value.rfind("eyJ", 0) == 0 && std::count(value.begin(), value.end(), '.') == 2;
}

void noTokenInUrl(TestScope& t, const Traffic& traffic) {
  Findings f(t, traffic);
  const std::set<std::string> issued(traffic.issuedTokens().begin(), traffic.issuedTokens().end());
  size_t carrying = 0;
  for (const RecordedExchange& e : traffic.all()) {
    const std::string path = pathOfTarget(e.target);
    bool offended = false;
    for (const auto& [name, value] : queryOfTarget(e.target)) {
      const bool named = name == "access_token" || name == "refresh_token" || name == "id_token";
      if ((named && !value.empty()) || issued.count(value) != 0 || looksLikeJwt(value)) {
        f.offence(e, "carries a token in its URL (parameter " + printableText(name) +
                         "): tokens travel in the Authorization header only, since URLs are "
                         "kept in logs, histories and Referer headers");
        offended = true;
        break;
      }
    }
    if (!offended && (path == "/fhir" || path.rfind("/fhir/", 0) == 0) &&
        e.requestHeaders.get("Content-Type").find("application/x-www-form-urlencoded") !=
            std::string::npos &&
        !http::firstValue(http::parseForm(e.requestBody.bytes), "access_token").empty()) {
      f.offence(e,
                "carries its access token in a form body: it travels in the Authorization "
                "header only");
      offended = true;
    }
    if (offended) {
      ++carrying;
    } else if (e.requestHeaders.get("Authorization").rfind("Bearer ", 0) == 0) {
      ++carrying;
      f.judged(e);
    }
  }
  if (carrying == 0) t.skip("The app sent no token during the session: nothing to judge.");
  f.conclude("The app sends tokens in URLs, which SEC-03 forbids",
             count(carrying, "request", "requests") +
                 " carried a token, each in the Authorization header, none in a URL");
}

// Which access family a data request uses (an id of oauth/api_access.h), or "".
std::vector<std::string> familiesUsedBy(const FhirCall& c) {
  const std::string& type = c.type();
  const bool read = c.method == "GET" || c.method == "HEAD";
  if (type == "Observation" || type == "Device") {
    return {read ? "mesures.read" : "mesures.write"};
  }
  if (type == "DocumentReference" || type == "Binary") {
    return {read ? "documents.read" : "documents.deposit"};
  }
  if (type == "Appointment") return {"agenda.write"};
  if (c.segments.empty() && c.method == "POST") {
    // A transaction: the families of what it carries.
    std::optional<fhir::Value> body = jsonOf(c.exchange->requestBody);
    std::vector<std::string> out;
    const fhir::Value* entries = body ? body->find("entry") : nullptr;
    if (entries == nullptr || !entries->isArray()) return out;
    for (const fhir::Value& entry : entries->items()) {
      const fhir::Value* resource = entry.isObject() ? entry.find("resource") : nullptr;
      const std::string* rt = resource != nullptr ? resource->findString("resourceType") : nullptr;
      if (rt == nullptr) continue;
      if (*rt == "Observation" || *rt == "Device") out.emplace_back("mesures.write");
      if (*rt == "DocumentReference" || *rt == "Binary" || *rt == "List") {
        out.emplace_back("documents.deposit");
      }
    }
    return out;
  }
  return {};
}

void scopeMinimal(TestScope& t, const Traffic& traffic) {
  if (traffic.authorizations().empty()) {
    t.skip(
        "The recording holds no authorization request (/oauth/authorize): pair the app with a "
        "test patient during the session.");
  }
  Findings f(t, traffic);
  Result<oauth::ScopeSet> allowed = oauth::ScopeSet::parse(traffic.info().allowedScopes);
  for (const Authorization& a : traffic.authorizations()) {
    Result<oauth::ScopeSet> asked = oauth::ScopeSet::parse(http::firstValue(a.params, "scope"));
    if (!asked) {
      f.offence(*a.exchange,
                "the scope is not one the gateway accepts: " + problemsText(asked.error(), 2));
      continue;
    }
    if (asked->permissionsFor("*") != 0) {
      f.offence(*a.exchange,
                "asks for every resource type (patient/*): ask for the MES accesses the app "
                "uses, one resource type each");
      continue;
    }
    std::string beyond;  // resource scopes only: identity scopes carry no data
    for (const oauth::ResourceScope& s : *asked) {
      const uint8_t extra = allowed ? s.permissions & ~allowed->permissionsFor(s.resourceType) : 0;
      if (extra != 0) {
        beyond += (beyond.empty() ? "" : " ") + std::string("patient/") + s.resourceType + "." +
                  oauth::permissionLetters(extra);
      }
    }
    if (!beyond.empty()) {
      f.offence(*a.exchange,
                "asks for " + beyond + ", beyond the accesses the app's registration declares");
      continue;
    }
    f.judged(*a.exchange);
  }
  // Each data family a token granted must have been used.
  std::map<std::string, uint64_t> granted;  // family -> the token exchange that granted it
  for (const TokenCall& c : traffic.tokenCalls()) {
    if (!c.granted) continue;
    Result<oauth::ScopeSet> scope = oauth::ScopeSet::parse(c.scope);
    if (!scope) continue;
    for (const oauth::ApiAccess* access : oauth::accessesRequestedBy(*scope)) {
      granted.emplace(std::string(access->id), c.exchange->seq);
    }
  }
  std::set<std::string> used;
  for (const FhirCall& c : traffic.fhirCalls()) {
    for (const std::string& family : familiesUsedBy(c)) used.insert(family);
  }
  for (const TokenCall& c : traffic.tokenCalls()) {
    if (c.grantType == "refresh_token") used.insert("offline");
  }
  for (const auto& [family, seq] : granted) {
    if (family == "identity" || used.count(family) != 0) continue;
    const RecordedExchange* e = nullptr;
    for (const TokenCall& c : traffic.tokenCalls()) {
      if (c.exchange->seq == seq) e = c.exchange;
    }
    const oauth::ApiAccess* access = oauth::findApiAccess(family);
    const std::string what = "was granted " + family + " (\"" +
                             std::string(access != nullptr ? access->labelEn : "") +
                             "\") and never used it during the session";
    if (family == "offline") {
      t.note("The app " + what +
                 ": a session longer than the access token lifetime shows its "
                 "refreshes.",
             true);
    } else if (e != nullptr) {
      f.offence(*e, "the app " + what +
                        ": ask only for what the app uses (data minimisation), or use it in the "
                        "session");
    }
  }
  f.conclude("The app asks for more than it uses, against RGPD-03",
             "every authorization request asked only for MES accesses within the app's "
             "registration, and the app used every data access it was granted");
}

}  // namespace

void addPairingGrades(Plan& plan, const Traffic& traffic) {
  add(plan, "client.pkce-s256", "Pairing uses PKCE with S256",
      "Every authorization request carries a new code_challenge with code_challenge_method=S256, "
      "and every code exchange the code_verifier that matches it (RFC 7636, RFC 9700): a stolen "
      "authorization code is then worthless.",
      {"SEC-01"}, [&traffic](TestScope& t) { pkceS256(t, traffic); });
  add(plan, "client.state", "Every authorization request carries its own unpredictable state",
      "Every authorization request carries a state of at least 16 characters, never one used "
      "before, which the app checks when the answer comes back (that check happens inside the "
      "app and cannot be seen on the wire).",
      {"SEC-01"}, [&traffic](TestScope& t) { state(t, traffic); });
  add(plan, "client.refresh-rotation",
      "Access is renewed by refresh with the newest refresh token, not by pairing again",
      "Once paired with offline_access, the app renews its access with grant_type=refresh_token, "
      "each time with the refresh token of the latest answer (rotation), and does not send the "
      "patient through the consent screen again while it can refresh.",
      {"SEC-05"}, [&traffic](TestScope& t) { refreshRotation(t, traffic); });
  add(plan, "client.handles-401", "A token refused with 401 is never used again",
      "When the gateway answers 401 to a request with a token (expired, revoked, pairing ended), "
      "the app stops using that token: it refreshes, pairs again or stops, and never sends the "
      "refused token again. The sandbox refuses one token on purpose to show it.",
      {"SEC-05", "RGPD-05"}, [&traffic](TestScope& t) { handles401(t, traffic); });
  add(plan, "client.no-token-in-url", "No token travels in a URL",
      "The access token travels in the Authorization header only: no request URL carries an "
      "access, refresh or ID token (no access_token parameter, no issued token in a path or "
      "query).",
      {"SEC-03"}, [&traffic](TestScope& t) { noTokenInUrl(t, traffic); });
  add(plan, "client.scope-minimal", "The app asks only for the MES accesses it uses",
      "Authorization requests ask for MES scopes only (no patient/* wildcard), within the "
      "accesses the app's registration declares, and every data access a token granted is used "
      "during the session (data minimisation).",
      {"RGPD-03"}, [&traffic](TestScope& t) { scopeMinimal(t, traffic); });
}

}  // namespace mes::conformance::client

// Shared helpers of the pairing, enforcement, attack and audit integration tests (issue #3
// points 6, 7, 9 and 10): a gateway with the demo data and a logged-in browser per demo patient,
// the pairing steps one by one (up to the code, the consent page), the CLI, JWT pieces, and
// tokens forged with the gateway's own signing key (read from <data-dir>/keys, as only a test
// running as the gateway's user can) to reach the claim checks behind the signature.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json/json.h"
#include "integration/measures_fixture.h"
#include "integration/support/gateway_process.h"
#include "integration/support/pairing.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/jws.h"
#include "oauth/crypto/keys.h"
#include "oauth/crypto/random.h"
#include "oauth/scope.h"

namespace mes::itest::oauthtest {

using fhir::Value;
using Form = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* kFormType = "application/x-www-form-urlencoded";
// What the consent screen offers for kMeasureScopes, and a partial choice of it.
inline constexpr const char* kPartialTicks[] = {"mesures.read", "identity", "offline"};
inline constexpr const char* kPartialScope =
    "openid fhirUser launch/patient offline_access patient/Observation.rs patient/Device.rs";
// The INS of the two demo patients (seed-demo).
inline constexpr const char* kInsSystem = "urn:oid:1.2.250.1.213.1.4.8";
inline constexpr const char* kDemoIns = "248092A01234567";
inline constexpr const char* kOtherIns = "171077512345678";

inline std::vector<std::string> partialTicks() {
  return {std::begin(kPartialTicks), std::end(kPartialTicks)};
}

// The words of a scope string, as a set (the order of a scope is not significant).
inline std::set<std::string> words(const std::string& scope) {
  std::set<std::string> out;
  std::istringstream in(scope);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// Whether two scope strings grant the same (SMART merges letters: .rs + .cud = .cruds).
inline bool sameScope(const std::string& a, const std::string& b) {
  auto x = oauth::ScopeSet::parse(a);
  auto y = oauth::ScopeSet::parse(b);
  return x.isOk() && y.isOk() && x->isSubsetOf(*y) && y->isSubsetOf(*x);
}

inline int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string stringOf(const Value& v, const char* name) {
  const std::string* s = v.findString(name);
  return s != nullptr ? *s : std::string();
}

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// HTML text as a reader sees it (the entities the gateway writes, undone).
inline std::string htmlText(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {{"&quot;", "\""}, {"&#39;", "'"},
                                                                  {"&#x27;", "'"},  {"&lt;", "<"},
                                                                  {"&gt;", ">"},    {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    const std::string f = from;
    for (size_t at = s.find(f); at != std::string::npos; at = s.find(f, at + 1))
      s.replace(at, f.size(), to);
  }
  return s;
}

// --- the CLI -----------------------------------------------------------------------------------

struct CliResult {
  int status = -1;
  std::string out;  // stdout and stderr
};

// `mes-gateway <args> --data-dir <dir>`; `input` goes to its standard input.
inline CliResult runCli(const std::string& dataDir, const std::string& args,
                        const std::string& input = "") {
  std::string command = std::string(kGatewayBinary) + " " + args + " --data-dir '" + dataDir +
                        "' --log-level warn 2>&1";
  if (!input.empty()) command = "printf '%s\\n' '" + input + "' | " + command;
  CliResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(pipe != nullptr, "cannot run " + command);
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// `service add`: a public service with every MES scope unless `extra` says otherwise.
inline void addService(const GatewayProcess& gw, const std::string& clientId,
                       const std::string& redirectUri, const std::string& extra = "") {
  CliResult r =
      runCli(gw.dataDir(), "service add --client-id '" + clientId + "' --name 'Service " +
                               clientId + "' --editor 'Éditeur " + clientId +
                               "' --editor-oid urn:oid:1.2.250.1.999.77 --redirect-uri '" +
                               redirectUri + "' " + extra);
  BOOST_REQUIRE_MESSAGE(r.status == 0, "service add " + clientId + ": " + r.out);
}

inline void serviceCommand(const GatewayProcess& gw, const std::string& action,
                           const std::string& clientId) {
  CliResult r = runCli(gw.dataDir(), "service " + action + " --client-id '" + clientId + "'");
  BOOST_REQUIRE_MESSAGE(r.status == 0, "service " + action + " " + clientId + ": " + r.out);
}

// --- a gateway with both demo patients logged in -----------------------------------------------

struct World {
  explicit World(GatewayOptions options = {})
      : gw(std::make_unique<GatewayProcess>(std::move(options))) {
    seed = seedDemoData(gw->dataDir());
    other = seed.asOtherPatient();
  }

  std::unique_ptr<GatewayProcess> gw;
  DemoSeed seed;   // Patient/demo
  DemoSeed other;  // Patient/demo-2
  Browser demoBrowser;
  Browser otherBrowser;

  Browser& browserOf(const DemoSeed& patient) {
    return patient.patientId == seed.patientId ? demoBrowser : otherBrowser;
  }

  // The demo app's authorization request (fresh PKCE), for `scope`.
  AuthorizationRequest request(const std::string& scope = kMeasureScopes,
                               const std::string& clientId = "",
                               const std::string& redirectUri = "") const {
    AuthorizationRequest r;
    r.clientId = clientId.empty() ? seed.clientId : clientId;
    r.redirectUri = redirectUri.empty() ? seed.redirectUri : redirectUri;
    r.scope = scope;
    return r;
  }

  // The whole flow for `patient` (default: demo); `ticks` empty = every row offered.
  PairingResult pair(const AuthorizationRequest& r, const std::vector<std::string>& ticks = {},
                     const DemoSeed* patient = nullptr) {
    const DemoSeed& who = patient != nullptr ? *patient : seed;
    return pairApp(*gw, who, browserOf(who), r, ticks);
  }
  PairingResult pair(const std::vector<std::string>& ticks = {}) { return pair(request(), ticks); }

  // The consent page of `r` for `patient`, logging in first when needed (status 200 expected).
  HttpResponse consentPage(const AuthorizationRequest& r, const DemoSeed* patient = nullptr) {
    const DemoSeed& who = patient != nullptr ? *patient : seed;
    Browser& browser = browserOf(who);
    HttpClient c = gw->client();
    HttpResponse authorized = c.get(authorizeTarget(*gw, r));
    BOOST_REQUIRE_MESSAGE(
        authorized.status == 303,
        "authorize: " + std::to_string(authorized.status) + " " + authorized.body.substr(0, 300));
    std::string path = pathOf(authorized.header("Location"));
    HttpResponse page = c.get(path, browser.headers());
    browser.remember(page);
    if (page.status == 303) {
      HttpResponse loggedIn = portalLogin(*gw, browser, who, path);
      path = pathOf(loggedIn.header("Location"));
      page = c.get(path, browser.headers());
      browser.remember(page);
    }
    BOOST_REQUIRE_MESSAGE(page.status == 200, "consent page: " + page.body.substr(0, 300));
    return page;
  }

  // Posts the consent form of `page` with `ticks` (empty = every row) and `decision`;
  // `mutate` may change the fields first.
  HttpResponse decide(const HttpResponse& page, const std::vector<std::string>& ticks = {},
                      const std::string& decision = "approve", const DemoSeed* patient = nullptr,
                      const std::function<void(Form&)>& mutate = {}) {
    const DemoSeed& who = patient != nullptr ? *patient : seed;
    Form fields = hiddenInputs(page.body);
    const auto offered = checkboxValues(page.body, "access");
    for (const auto& value : ticks.empty() ? offered : ticks) fields.emplace_back("access", value);
    fields.emplace_back("decision", decision);
    if (mutate) mutate(fields);
    return gw->client().post("/portal/consent", formEncode(fields), kFormType,
                             browserOf(who).headers());
  }

  // Authorization up to the code (not exchanged).
  std::string code(const AuthorizationRequest& r, const std::vector<std::string>& ticks = {},
                   const DemoSeed* patient = nullptr) {
    HttpResponse decided = decide(consentPage(r, patient), ticks, "approve", patient);
    BOOST_REQUIRE_MESSAGE(decided.status == 303,
                          "consent decision: " + decided.body.substr(0, 300));
    const std::string code = queryParam(decided.header("Location"), "code");
    BOOST_REQUIRE_MESSAGE(!code.empty(), "no code in " + decided.header("Location"));
    return code;
  }

  HttpResponse exchange(const AuthorizationRequest& r, const std::string& code) {
    return tokenRequest(*gw, {{"grant_type", "authorization_code"},
                              {"code", code},
                              {"redirect_uri", r.redirectUri},
                              {"code_verifier", r.pkce.verifier},
                              {"client_id", r.clientId}});
  }

  HttpResponse refresh(const std::string& refreshToken, const std::string& scope = "",
                       const std::string& clientId = "") {
    Form form{{"grant_type", "refresh_token"},
              {"refresh_token", refreshToken},
              {"client_id", clientId.empty() ? seed.clientId : clientId}};
    if (!scope.empty()) form.emplace_back("scope", scope);
    return tokenRequest(*gw, form);
  }

  HttpClient app(const std::string& token) const { return appClient(*gw, token); }
};

// --- what the patient sees ---------------------------------------------------------------------

// The outbox messages of `gw` whose data.<key> is `value` (e.g. "document",
// "DocumentReference/<id>"), parsed, oldest first.
inline std::vector<Value> outboxNotices(const GatewayProcess& gw, const std::string& key,
                                        const std::string& value) {
  std::vector<Value> out;
  const std::filesystem::path dir = std::filesystem::path(gw.dataDir()) / "outbox";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (f.extension() != ".json") continue;
    auto parsed = fhir::parseJson(readFile(f));
    if (!parsed) continue;
    const Value* data = parsed->find("data");
    if (data != nullptr && stringOf(*data, key.c_str()) == value) out.push_back(*parsed);
  }
  return out;
}

// The descriptions of /portal/activity ("<description> | <outcome>"), newest first, for the
// patient `browser` is logged in as.
inline std::vector<std::string> activityRows(GatewayProcess& gw, const Browser& browser) {
  HttpResponse page = gw.client().get("/portal/activity", browser.headers());
  BOOST_TEST_REQUIRE(page.status == 200, "activity page: " << page.status);
  std::vector<std::string> rows;
  static const std::regex kRow("<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td></tr>");
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), kRow);
       it != std::sregex_iterator(); ++it) {
    rows.push_back(htmlText((*it)[1]) + " | " + htmlText((*it)[2]));
  }
  return rows;
}

inline bool listed(const std::vector<std::string>& rows, const std::string& row) {
  return std::find(rows.begin(), rows.end(), row) != rows.end();
}

// --- token responses and JWTs ------------------------------------------------------------------

inline Value jsonOf(const HttpResponse& r) {
  auto parsed = fhir::parseJson(r.body);
  BOOST_REQUIRE_MESSAGE(
      parsed.isOk(), "not JSON (HTTP " + std::to_string(r.status) + "): " + r.body.substr(0, 300));
  return std::move(parsed).value();
}

// The "error" of an OAuth error response.
inline std::string oauthErrorOf(const HttpResponse& r) {
  return stringOf(jsonOf(r), "error");
}

struct Tokens {
  std::string access;
  std::string refresh;
  std::string id;
  std::string scope;
};

inline Tokens tokensOf(const HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 200,
                        "token endpoint: " + std::to_string(r.status) + " " + r.body);
  Value v = jsonOf(r);
  return {stringOf(v, "access_token"), stringOf(v, "refresh_token"), stringOf(v, "id_token"),
          stringOf(v, "scope")};
}

struct Jwt {
  Value header;
  Value claims;
  std::string headerPart;
  std::string payloadPart;
  std::string signaturePart;
};

inline Value decodeJsonPart(const std::string& part) {
  auto bytes = oauth::base64UrlDecode(part);
  BOOST_REQUIRE_MESSAGE(bytes.isOk(), "not base64url: " + part.substr(0, 80));
  auto parsed = fhir::parseJson(*bytes);
  BOOST_REQUIRE_MESSAGE(parsed.isOk(), "not JSON: " + *bytes);
  return std::move(parsed).value();
}

inline Jwt decodeJwt(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  BOOST_REQUIRE_MESSAGE(a != std::string::npos && b != std::string::npos,
                        "not a JWS: " + token.substr(0, 80));
  Jwt jwt;
  jwt.headerPart = token.substr(0, a);
  jwt.payloadPart = token.substr(a + 1, b - a - 1);
  jwt.signaturePart = token.substr(b + 1);
  jwt.header = decodeJsonPart(jwt.headerPart);
  jwt.claims = decodeJsonPart(jwt.payloadPart);
  return jwt;
}

inline std::string encodeJsonPart(const Value& v) {
  return oauth::base64UrlEncode(fhir::toJson(v));
}

// The gateway's current signing key (keys.json: the entry without retired_at) and its kid.
struct GatewayKey {
  std::string kid;
  std::unique_ptr<oauth::PrivateKey> key;
};

inline GatewayKey gatewayKey(const std::string& dataDir) {
  const std::filesystem::path dir = std::filesystem::path(dataDir) / "keys";
  Value index = [&] {
    auto parsed = fhir::parseJson(readFile(dir / "keys.json"));
    BOOST_REQUIRE_MESSAGE(parsed.isOk(), "keys.json unreadable");
    return std::move(parsed).value();
  }();
  const Value* keys = index.find("keys");
  BOOST_REQUIRE(keys != nullptr && keys->isArray());
  for (const Value& k : keys->items()) {
    if (k.find("retired_at") != nullptr) continue;
    GatewayKey out;
    out.kid = stringOf(k, "kid");
    auto key = oauth::PrivateKey::fromPem(readFile(dir / (out.kid + ".pem")));
    BOOST_REQUIRE_MESSAGE(key.isOk(), "key file of " + out.kid + " unreadable");
    out.key = std::make_unique<oauth::PrivateKey>(std::move(key).value());
    return out;
  }
  BOOST_FAIL("no current key in keys.json");
  return {};
}

// A token with `claims` signed ES256 by `key` (typ at+jwt), as the gateway signs.
inline std::string sign(const Value& claims, const oauth::PrivateKey& key, const std::string& kid,
                        oauth::JwsAlgorithm alg = oauth::JwsAlgorithm::kES256,
                        const std::string& typ = "at+jwt") {
  auto token = oauth::signJwt(claims, key, alg, kid, typ);
  BOOST_REQUIRE(token.isOk());
  return *token;
}

// A compact JWS from a header and claims, with `signature` (base64url) as given.
inline std::string assemble(const Value& header, const Value& claims,
                            const std::string& signature) {
  return encodeJsonPart(header) + "." + encodeJsonPart(claims) + "." + signature;
}

// --- client assertions (private_key_jwt) --------------------------------------------------------

inline std::string randomId() {
  auto t = oauth::randomToken(16);
  BOOST_REQUIRE(t.isOk());
  return *t;
}

inline Value assertionClaims(const std::string& clientId, const std::string& aud,
                             int64_t expIn = 120) {
  Value c = Value::object();
  c.set("iss", Value::string(clientId));
  c.set("sub", Value::string(clientId));
  c.set("aud", Value::string(aud));
  c.set("jti", Value::string(randomId()));
  c.set("iat", Value::number(nowSeconds()));
  c.set("exp", Value::number(nowSeconds() + expIn));
  return c;
}

// --- the outbox ----------------------------------------------------------------------------------

struct Notification {
  std::string file;
  std::string kind;
  std::string recipient;
  Value data;
};

// Every message of the outbox, oldest first.
inline std::vector<Notification> outbox(const std::string& dataDir) {
  std::vector<std::filesystem::path> files;
  const std::filesystem::path dir = std::filesystem::path(dataDir) / "outbox";
  if (std::filesystem::exists(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Notification> out;
  for (const auto& f : files) {
    auto parsed = fhir::parseJson(readFile(f));
    if (!parsed) continue;
    Notification n;
    n.file = f.filename().string();
    n.kind = stringOf(*parsed, "kind");
    n.recipient = stringOf(*parsed, "recipient");
    if (const Value* d = parsed->find("data")) n.data = *d;
    out.push_back(std::move(n));
  }
  return out;
}

// How many messages of `kind` for `recipient` (and, when given, data.client_id).
inline size_t countNotifications(const std::string& dataDir, const std::string& kind,
                                 const std::string& recipient, const std::string& clientId = "") {
  size_t n = 0;
  for (const auto& m : outbox(dataDir)) {
    if (m.kind != kind || m.recipient != recipient) continue;
    if (!clientId.empty() && stringOf(m.data, "client_id") != clientId) continue;
    ++n;
  }
  return n;
}

// --- FHIR helpers -------------------------------------------------------------------------------

// The WWW-Authenticate of a 401, and its outcome code, in one message for BOOST_TEST.
inline bool isBearer401(const HttpResponse& r) {
  return r.status == 401 &&
         r.header("WWW-Authenticate").rfind("Bearer realm=\"mes-gateway\"", 0) == 0;
}

// pairing.yaml "Access to /fhir": a token of an ended pairing (patient revocation in the portal,
// DELETE /oauth/pairing, RFC 7009 revocation of the refresh token) is 401 `pairing-revoked`;
// `token-revoked` is for a revoked grant family alone (access-token revocation, refresh reuse).
inline void expectPairingRevoked(const HttpResponse& r) {
  BOOST_TEST(r.status == 401);
  BOOST_TEST(outcomeCode(r) == "pairing-revoked",
             "GATEWAY BUG (contract): a token of an ended pairing must get 401 pairing-revoked "
             "(pairing.yaml, Access to /fhir); got "
                 << outcomeCode(r)
                 << " — TokenAccessPolicy::check tests the grant family before the pairing, and "
                    "ending a pairing revokes its families too");
}

inline std::string createdId(const HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 201,
                        "create: " + std::to_string(r.status) + " " + r.body.substr(0, 400));
  return stringOf(jsonOf(r), "id");
}

// A weight of `patient`.
inline std::string weightOf(const std::string& patient, const std::string& value = "70.0") {
  return quantityMeasure("mes-observation-bodyweight", "29463-7", value, "kg",
                         "2024-05-03T08:00:00+02:00", patient);
}

// The body of a stored resource with a changed value (for updates).
inline std::string withId(std::string body, const std::string& id) {
  body.insert(1, "\"id\":\"" + id + "\",");
  return body;
}

}  // namespace mes::itest::oauthtest

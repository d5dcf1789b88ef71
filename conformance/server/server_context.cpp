#include "conformance/server/server_context.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "conformance/server/checks.h"
#include "fhir/json/json.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/random.h"
#include "oauth/pkce.h"

namespace mes::conformance::server {

std::string pairingUnavailable(const ServerTarget& target, const TestPatient& patient) {
  std::vector<std::string> missing;
  if (target.clientId.empty()) missing.emplace_back("the app's client id (--client-id or --seed)");
  if (target.redirectUri.empty()) {
    missing.emplace_back("its redirect URI (--redirect-uri or --seed)");
  }
  if (patient.login.empty() || patient.password.empty()) {
    missing.emplace_back("the test patient's portal login and password (--seed)");
  }
  if (target.outboxDir.empty()) {
    missing.emplace_back("the gateway's outbox directory for the one-time code (--outbox)");
  }
  if (missing.empty()) return {};
  std::string out = "Driving the pairing needs ";
  for (size_t i = 0; i < missing.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
  }
  return out + ", which were not given.";
}

namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

// `length` (at most 32) random lowercase hex digits.
std::string randomText(size_t length) {
  return RandomIdGenerator().next().substr(0, length);
}

std::string unescapeHtml(std::string s) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&quot;", "\""}, {"&#39;", "'"}, {"&#x27;", "'"},
      {"&lt;", "<"},    {"&gt;", ">"},  {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  }
  return s;
}

// The hidden inputs of a form page, in order, unescaped.
Form hiddenInputs(const std::string& html) {
  Form out;
  static const std::regex kInput(R"re(<input type="hidden" name="([^"]*)" value="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kInput);
       it != std::sregex_iterator(); ++it) {
    out.emplace_back(unescapeHtml((*it)[1]), unescapeHtml((*it)[2]));
  }
  return out;
}

std::vector<std::string> accessRows(const std::string& html) {
  std::vector<std::string> out;
  static const std::regex kBox(R"re(<input type="checkbox" name="access" value="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kBox); it != std::sregex_iterator();
       ++it) {
    out.push_back(unescapeHtml((*it)[1]));
  }
  return out;
}

std::string formEncode(const Form& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += (out.empty() ? "" : "&") + encode(name) + "=" + encode(value);
  }
  return out;
}

// The exp claim of a JWT, read without verifying (the app only plans its refresh with it).
int64_t expiryOf(const std::string& token) {
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return 0;
  Result<std::string> payload = oauth::base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload) return 0;
  Result<fhir::Value> claims = fhir::parseJson(*payload);
  if (!claims || !claims->isObject()) return 0;
  const fhir::Value* exp = claims->find("exp");
  return exp != nullptr && exp->asInt() ? *exp->asInt() * 1000 : 0;
}

}  // namespace

PkcePair newPkce() {
  Result<std::string> token = oauth::randomToken(32);
  const std::string verifier = token ? *token : randomText(32) + randomText(32);
  return {verifier, oauth::challengeFor(verifier)};
}

ServerContext::ServerContext(ServerTarget target, const Clock& clock, Sleep sleep)
    : target_(std::move(target)), clock_(clock), sleep_(std::move(sleep)), runId_(randomText(10)) {
  while (!target_.baseUrl.empty() && target_.baseUrl.back() == '/') target_.baseUrl.pop_back();
  if (target_.fhirBase.empty()) target_.fhirBase = target_.baseUrl + "/fhir";
  while (!target_.fhirBase.empty() && target_.fhirBase.back() == '/') target_.fhirBase.pop_back();
}

std::string ServerContext::url(std::string_view pathAndQuery) const {
  return target_.baseUrl + std::string(pathAndQuery);
}

std::string ServerContext::fhirUrl(std::string_view pathAndQuery) const {
  return target_.fhirBase + std::string(pathAndQuery);
}

const fhir::Value& ServerContext::smartConfiguration(TestScope& t) {
  if (!smart_) {
    http::ClientRequest request{"GET", fhirUrl("/.well-known/smart-configuration"), {}, {}};
    request.headers.add("Accept", "application/json");
    const http::ClientResponse r = t.send(request);
    Result<fhir::Value> json = fhir::parseJson(r.body);
    if (r.status != 200 || !json || !json->isObject()) {
      t.error("The SMART configuration, which this test needs, could not be read: " +
              describeResponse(r) + ".");
    }
    smart_ = std::move(json).value();
  }
  return *smart_;
}

std::string ServerContext::endpoint(TestScope& t, std::string_view name) {
  const std::string advertised = stringAt(smartConfiguration(t), name);
  if (!advertised.empty()) return advertised;
  if (name == "authorization_endpoint") return url("/oauth/authorize");
  if (name == "token_endpoint") return url("/oauth/token");
  if (name == "revocation_endpoint") return url("/oauth/revoke");
  if (name == "introspection_endpoint") return url("/oauth/introspect");
  if (name == "jwks_uri") return url("/oauth/jwks");
  return {};
}

void ServerContext::requireClient(TestScope& t) {
  if (target_.clientId.empty() || target_.redirectUri.empty()) {
    t.skip(
        "This test sends authorization requests: it needs the app's client id and redirect URI "
        "(--client-id and --redirect-uri, or --seed), which were not given.");
  }
}

void ServerContext::requirePairing(TestScope& t, Who who) {
  const std::string missing = pairingUnavailable(target_, patient(who));
  if (!missing.empty()) t.skip("This test drives the pairing through the consent page. " + missing);
}

std::string ServerContext::authorizeUrl(TestScope& t, const AuthorizationRequest& request) {
  Form q = {
      {"response_type", "code"},
      {"client_id", target_.clientId},
      {"redirect_uri", request.redirectUri.empty() ? target_.redirectUri : request.redirectUri},
      {"scope", request.scope.empty() ? std::string(kFullScope) : request.scope},
      {"state", request.state.empty() ? "st-" + randomText(8) : request.state},
      {"aud", target_.fhirBase}};
  if (request.sendChallenge) q.emplace_back("code_challenge", request.pkce.challenge);
  if (!request.method.empty()) q.emplace_back("code_challenge_method", request.method);
  if (!request.nonce.empty()) q.emplace_back("nonce", request.nonce);
  const std::string endpoint = this->endpoint(t, "authorization_endpoint");
  return endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + formEncode(q);
}

http::ClientResponse ServerContext::browse(TestScope& t, Browser& browser,
                                           const std::string& method, const std::string& url,
                                           const std::string& form) {
  std::string absolute = url;
  if (!url.empty() && url.front() == '/') {
    const size_t pathStart = target_.baseUrl.find('/', target_.baseUrl.find("//") + 2);
    absolute = target_.baseUrl.substr(0, pathStart) + url;
  }
  http::ClientRequest request{method, absolute, {}, form};
  if (!browser.cookies.empty()) {
    std::string cookie;
    for (const auto& [name, value] : browser.cookies)
      cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    request.headers.add("Cookie", cookie);
  }
  if (method == "POST") request.headers.add("Content-Type", "application/x-www-form-urlencoded");
  request.headers.add("Accept", "text/html");
  http::ClientResponse r = t.send(request);
  for (const auto& [name, value] : r.headers.all()) {
    if (!http::equalsIgnoreCase(name, "Set-Cookie")) continue;
    // The library joins repeated headers with ", ": split where a new name=value starts.
    static const std::regex kCookie(R"re((?:^|,\s*)([A-Za-z0-9_\-]+)=([^;,]*)([^,]*))re");
    for (auto it = std::sregex_iterator(value.begin(), value.end(), kCookie);
         it != std::sregex_iterator(); ++it) {
      const std::string cookieName = (*it)[1];
      const std::string cookieValue = (*it)[2];
      const std::string attributes = (*it)[3];
      if (cookieValue.empty() || attributes.find("Max-Age=0") != std::string::npos) {
        browser.cookies.erase(cookieName);
      } else {
        browser.cookies[cookieName] = cookieValue;
      }
    }
  }
  return r;
}

std::string ServerContext::loginCode(TestScope& t, const std::string& patientId, int64_t sinceMs) {
  // The outbox names its files <epoch-ms>-<seq>-<id>.json: the code sent for this login is the
  // newest login-code for the patient written since the password was posted.
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(target_.outboxDir, ec)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.rbegin(), files.rend());
    for (const auto& file : files) {
      const std::string name = file.filename().string();
      const int64_t written = std::atoll(name.substr(0, name.find('-')).c_str());
      if (written + 2000 < sinceMs) break;
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      Result<fhir::Value> json = fhir::parseJson(text.str());
      if (!json || !json->isObject() || stringAt(*json, "kind") != "login-code" ||
          stringAt(*json, "recipient") != patientId) {
        continue;
      }
      if (const fhir::Value* data = json->find("data")) {
        const std::string code = stringAt(*data, "code");
        if (!code.empty()) {
          t.note("Read the one-time login code of " + patientId + " from " +
                 file.filename().string() + " in the outbox.");
          return code;
        }
      }
    }
    sleep_(100);
  }
  t.error("No one-time login code for " + patientId + " arrived in the outbox " +
          target_.outboxDir + " within 5 s.");
}

http::ClientResponse ServerContext::consent(TestScope& t, Who who,
                                            const AuthorizationRequest& request,
                                            const std::vector<std::string>& ticks,
                                            const std::string& decision) {
  requirePairing(t, who);
  const TestPatient& p = patient(who);
  Browser& browser = browsers_[who];
  http::ClientResponse authorized = browse(t, browser, "GET", authorizeUrl(t, request));
  if (authorized.status != 302 && authorized.status != 303) {
    t.error("The authorization request was not sent on to the consent page: " +
            describeResponse(authorized) + ".");
  }
  std::string consentUrl = authorized.headers.get("Location");
  http::ClientResponse page = browse(t, browser, "GET", consentUrl);
  if (page.status == 302 || page.status == 303) {  // not logged in: the portal's login
    http::ClientResponse login = browse(t, browser, "GET", page.headers.get("Location"));
    if (login.status != 200)
      t.error("The portal's login page did not open: " + describeResponse(login) + ".");
    Form fields = hiddenInputs(login.body);
    fields.emplace_back("login", p.login);
    fields.emplace_back("password", p.password);
    const int64_t since = clock_.nowMs();
    http::ClientResponse posted =
        browse(t, browser, "POST", url("/portal/login"), formEncode(fields));
    if (posted.status != 303)
      t.error("The portal refused the test patient's password: " + describeResponse(posted) + ".");
    http::ClientResponse otpPage = browse(t, browser, "GET", posted.headers.get("Location"));
    if (otpPage.status != 200)
      t.error("The one-time code page did not open: " + describeResponse(otpPage) + ".");
    Form otp = hiddenInputs(otpPage.body);
    otp.emplace_back("code", loginCode(t, p.id, since));
    http::ClientResponse verified = browse(t, browser, "POST", url("/portal/otp"), formEncode(otp));
    if (verified.status != 303)
      t.error("The portal refused the one-time code: " + describeResponse(verified) + ".");
    consentUrl = verified.headers.get("Location");
    page = browse(t, browser, "GET", consentUrl);
  }
  if (page.status != 200) t.error("The consent page did not open: " + describeResponse(page) + ".");
  Form fields = hiddenInputs(page.body);
  const std::vector<std::string> offered = accessRows(page.body);
  for (const std::string& row : ticks.empty() ? offered : ticks) fields.emplace_back("access", row);
  fields.emplace_back("decision", decision);
  http::ClientResponse decided =
      browse(t, browser, "POST", url("/portal/consent"), formEncode(fields));
  if (decided.status != 302 && decided.status != 303) {
    t.error("The consent form was not answered with a redirect to the app: " +
            describeResponse(decided) + ".");
  }
  return decided;
}

std::string ServerContext::authorizationCode(TestScope& t, Who who,
                                             const AuthorizationRequest& request,
                                             const std::vector<std::string>& ticks) {
  const http::ClientResponse decided = consent(t, who, request, ticks);
  const std::string code = queryParameter(decided.headers.get("Location"), "code");
  if (code.empty())
    t.error("The approved consent sent no code back to the app: " + describeResponse(decided) +
            ".");
  return code;
}

http::ClientResponse ServerContext::tokenRequest(TestScope& t, Form form) {
  if (std::none_of(form.begin(), form.end(),
                   [](const auto& f) { return f.first == "client_id"; })) {
    form.emplace_back("client_id", target_.clientId);
  }
  http::ClientRequest request{"POST", endpoint(t, "token_endpoint"), {}, formEncode(form)};
  request.headers.add("Content-Type", "application/x-www-form-urlencoded");
  request.headers.add("Accept", "application/json");
  return t.send(request);
}

http::ClientResponse ServerContext::exchangeCode(TestScope& t, const std::string& code,
                                                 const AuthorizationRequest& request) {
  return tokenRequest(
      t, {{"grant_type", "authorization_code"},
          {"code", code},
          {"redirect_uri", request.redirectUri.empty() ? target_.redirectUri : request.redirectUri},
          {"code_verifier", request.pkce.verifier}});
}

http::ClientResponse ServerContext::refresh(TestScope& t, const std::string& refreshToken,
                                            const std::string& scope) {
  Form form = {{"grant_type", "refresh_token"}, {"refresh_token", refreshToken}};
  if (!scope.empty()) form.emplace_back("scope", scope);
  return tokenRequest(t, form);
}

AppSession ServerContext::sessionFrom(TestScope& t, const http::ClientResponse& r, Who who) {
  Result<fhir::Value> json = fhir::parseJson(r.body);
  if (r.status != 200 || !json || !json->isObject() || stringAt(*json, "access_token").empty()) {
    t.error("The token endpoint gave no token: " + describeResponse(r) + ".");
  }
  AppSession s;
  s.patientId = stringAt(*json, "patient");
  if (s.patientId.empty()) s.patientId = patient(who).id;
  s.accessToken = stringAt(*json, "access_token");
  s.refreshToken = stringAt(*json, "refresh_token");
  s.idToken = stringAt(*json, "id_token");
  s.scope = stringAt(*json, "scope");
  const fhir::Value* expiresIn = json->find("expires_in");
  if (expiresIn != nullptr && expiresIn->asInt())
    s.expiresAtMs = clock_.nowMs() + *expiresIn->asInt() * 1000;
  return s;
}

AppSession ServerContext::pair(TestScope& t, Who who, const std::vector<std::string>& ticks) {
  AuthorizationRequest request;
  const std::string code = authorizationCode(t, who, request, ticks);
  return sessionFrom(t, exchangeCode(t, code, request), who);
}

const AppSession& ServerContext::session(TestScope& t, Who who) {
  const int64_t now = clock_.nowMs();
  auto it = sessions_.find(who);
  if (it != sessions_.end()) {
    AppSession& s = it->second;
    // Refresh when less than a third of the token's life is left, as a careful app does.
    const int64_t left = s.expiresAtMs == 0 ? INT64_MAX : s.expiresAtMs - now;
    if (left > 10'000 || (left > 0 && s.refreshToken.empty())) return s;
    if (!s.refreshToken.empty()) {
      http::ClientResponse refreshed = refresh(t, s.refreshToken);
      if (refreshed.status == 200) {
        s = sessionFrom(t, refreshed, who);
        return s;
      }
    }
    sessions_.erase(it);
  }
  const TestPatient& p = patient(who);
  if (!p.accessToken.empty()) {
    AppSession s;
    s.patientId = p.id;
    s.accessToken = p.accessToken;
    s.refreshToken = p.refreshToken;
    s.expiresAtMs = expiryOf(p.accessToken);
    if (s.expiresAtMs != 0 && s.expiresAtMs <= now) {
      t.skip("The access token given for " + p.id + " has expired.");
    }
    return sessions_[who] = s;
  }
  if (!pairingUnavailable(target_, p).empty()) {
    t.skip("This test needs a token of the app for " +
           std::string(who == Who::kPatient ? "the test patient" : "a second patient") +
           ": give one (--" + (who == Who::kPatient ? "" : "other-") +
           "access-token), or the means to pair. " + pairingUnavailable(target_, p));
  }
  return sessions_[who] = pair(t, who);
}

void ServerContext::forget(Who who) {
  sessions_.erase(who);
}

http::ClientResponse ServerContext::fhir(TestScope& t, const std::string& method,
                                         const std::string& pathAndQuery, const std::string& body,
                                         Who who, http::Headers extra) {
  const AppSession& s = session(t, who);
  http::ClientRequest request{method, fhirUrl(pathAndQuery), {}, body};
  request.headers.add("Authorization", "Bearer " + s.accessToken);
  if (!extra.has("Accept")) request.headers.add("Accept", "application/fhir+json");
  if (!body.empty() && !extra.has("Content-Type"))
    request.headers.add("Content-Type", "application/fhir+json");
  for (const auto& [name, value] : extra.all()) request.headers.add(name, value);
  return t.send(request);
}

}  // namespace mes::conformance::server

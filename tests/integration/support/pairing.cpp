#include "integration/support/pairing.h"

#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "fhir/json/json.h"
#include "oauth/crypto/random.h"
#include "oauth/pkce.h"

namespace mes::itest {
namespace {

std::string unescapeHtml(std::string s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&quot;", "\""}, {"&#39;", "'"}, {"&#x27;", "'"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1)) {
      s.replace(at, std::strlen(from), to);
    }
  }
  return s;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

void expect(bool ok, const std::string& what, const HttpResponse& r) {
  if (!ok) {
    throw std::runtime_error("pairing: " + what + " (HTTP " + std::to_string(r.status) + ", " +
                             r.header("Location") + "): " + r.body.substr(0, 400));
  }
}

std::string stringMember(const fhir::Value& v, const char* name) {
  const std::string* s = v.findString(name);
  return s != nullptr ? *s : std::string();
}

}  // namespace

DemoSeed seedDemoData(const std::string& dataDir) {
  const std::string command = std::string(kGatewayBinary) + " seed-demo --data-dir '" + dataDir +
                              "' --log-level warn 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run seed-demo");
  std::string out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  if (::pclose(pipe) != 0) throw std::runtime_error("seed-demo failed: " + out);
  auto json = fhir::parseJson(out);
  if (!json) throw std::runtime_error("seed-demo printed no JSON: " + out);
  DemoSeed seed{stringMember(*json, "patient_id"), stringMember(*json, "login"),
                stringMember(*json, "password"),   stringMember(*json, "client_id"),
                stringMember(*json, "redirect_uri"), stringMember(*json, "scope"), {}, {}, {}};
  if (const fhir::Value* other = json->find("other_patient")) {
    seed.otherPatientId = stringMember(*other, "patient_id");
    seed.otherLogin = stringMember(*other, "login");
    seed.otherPassword = stringMember(*other, "password");
  }
  return seed;
}

DemoSeed DemoSeed::asOtherPatient() const {
  DemoSeed other = *this;
  other.patientId = otherPatientId;
  other.login = otherLogin;
  other.password = otherPassword;
  other.otherPatientId = patientId;
  other.otherLogin = login;
  other.otherPassword = password;
  return other;
}

PkcePair newPkce() {
  auto verifier = oauth::randomToken(32);
  if (!verifier) throw std::runtime_error("no randomness");
  return {*verifier, oauth::challengeFor(*verifier)};
}

HeaderList Browser::headers() const {
  std::string cookie;
  for (const auto& [name, value] : cookies) {
    cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
  }
  if (cookie.empty()) return {};
  return {{"Cookie", cookie}};
}

void Browser::remember(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name.size() != 10 || strncasecmp(name.c_str(), "set-cookie", 10) != 0) continue;
    const std::string pair = value.substr(0, value.find(';'));
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) continue;
    const std::string cookieName = pair.substr(0, eq);
    const std::string cookieValue = pair.substr(eq + 1);
    if (cookieValue.empty() || value.find("Max-Age=0") != std::string::npos) {
      cookies.erase(cookieName);
    } else {
      cookies[cookieName] = cookieValue;
    }
  }
}

std::vector<std::pair<std::string, std::string>> hiddenInputs(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  static const std::regex kInput(R"re(<input type="hidden" name="([^"]*)" value="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kInput); it != std::sregex_iterator();
       ++it) {
    out.emplace_back(unescapeHtml((*it)[1]), unescapeHtml((*it)[2]));
  }
  return out;
}

std::vector<std::string> checkboxValues(const std::string& html, const std::string& name) {
  std::vector<std::string> out;
  const std::regex input("<input type=\"checkbox\" name=\"" + name + "\" value=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), input); it != std::sregex_iterator();
       ++it) {
    out.push_back(unescapeHtml((*it)[1]));
  }
  return out;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += (out.empty() ? "" : "&") + urlEncode(name) + "=" + urlEncode(value);
  }
  return out;
}

std::string latestLoginCode(const std::string& dataDir, const std::string& patientId) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dataDir + "/outbox")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    std::ifstream in(*it);
    std::stringstream text;
    text << in.rdbuf();
    auto json = fhir::parseJson(text.str());
    if (!json || stringMember(*json, "kind") != "login-code" ||
        stringMember(*json, "recipient") != patientId) {
      continue;
    }
    if (const fhir::Value* data = json->find("data")) return stringMember(*data, "code");
  }
  throw std::runtime_error("no login code in the outbox for " + patientId);
}

std::string queryParam(const std::string& url, const std::string& name) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return {};
  std::stringstream parts(url.substr(q + 1));
  std::string part;
  while (std::getline(parts, part, '&')) {
    const size_t eq = part.find('=');
    if (percentDecode(part.substr(0, eq)) == name) {
      return eq == std::string::npos ? std::string() : percentDecode(part.substr(eq + 1));
    }
  }
  return {};
}

std::string pathOf(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return url;
  const size_t slash = url.find('/', url.find("//") + 2);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string authorizeTarget(const GatewayProcess& gw, const AuthorizationRequest& r) {
  std::vector<std::pair<std::string, std::string>> q = {
      {"response_type", "code"}, {"client_id", r.clientId},       {"redirect_uri", r.redirectUri},
      {"scope", r.scope},        {"state", r.state},              {"code_challenge", r.pkce.challenge},
      {"code_challenge_method", r.method}, {"aud", r.aud.empty() ? gw.baseUrl() + "/fhir" : r.aud}};
  if (!r.nonce.empty()) q.emplace_back("nonce", r.nonce);
  return "/oauth/authorize?" + formEncode(q);
}

HttpResponse areaLogin(GatewayProcess& gw, Browser& browser, const std::string& prefix,
                       const std::string& login, const std::string& password,
                       const std::string& recipient, const std::string& next) {
  HttpClient c = gw.client();
  HttpResponse page = c.get(prefix + "/login?next=" + urlEncode(next), browser.headers());
  browser.remember(page);
  expect(page.status == 200, "login page", page);
  auto fields = hiddenInputs(page.body);
  fields.emplace_back("login", login);
  fields.emplace_back("password", password);
  HttpResponse submitted = c.post(prefix + "/login", formEncode(fields),
                                  "application/x-www-form-urlencoded", browser.headers());
  browser.remember(submitted);
  expect(submitted.status == 303, "password step", submitted);
  HttpResponse otp = c.get(pathOf(submitted.header("Location")), browser.headers());
  browser.remember(otp);
  expect(otp.status == 200, "one-time code page", otp);
  auto otpFields = hiddenInputs(otp.body);
  otpFields.emplace_back("code", latestLoginCode(gw.dataDir(), recipient));
  HttpResponse verified = c.post(prefix + "/otp", formEncode(otpFields),
                                 "application/x-www-form-urlencoded", browser.headers());
  browser.remember(verified);
  expect(verified.status == 303, "one-time code step", verified);
  return verified;
}

HttpResponse portalLogin(GatewayProcess& gw, Browser& browser, const DemoSeed& seed,
                         const std::string& next) {
  return areaLogin(gw, browser, "/portal", seed.login, seed.password, seed.patientId, next);
}

PairingResult pairApp(GatewayProcess& gw, const DemoSeed& seed, Browser& browser,
                      const AuthorizationRequest& request, const std::vector<std::string>& ticks) {
  HttpClient c = gw.client();
  HttpResponse authorized = c.get(authorizeTarget(gw, request));
  expect(authorized.status == 303, "authorize", authorized);
  std::string consentPath = pathOf(authorized.header("Location"));
  HttpResponse consent = c.get(consentPath, browser.headers());
  browser.remember(consent);
  if (consent.status == 303) {  // not logged in yet
    HttpResponse loggedIn = portalLogin(gw, browser, seed, consentPath);
    consentPath = pathOf(loggedIn.header("Location"));
    consent = c.get(consentPath, browser.headers());
    browser.remember(consent);
  }
  expect(consent.status == 200, "consent page", consent);
  auto fields = hiddenInputs(consent.body);
  const auto offered = checkboxValues(consent.body, "access");
  for (const auto& value : ticks.empty() ? offered : ticks) fields.emplace_back("access", value);
  fields.emplace_back("decision", "approve");
  HttpResponse decided = c.post("/portal/consent", formEncode(fields),
                                "application/x-www-form-urlencoded", browser.headers());
  expect(decided.status == 303, "consent decision", decided);
  PairingResult result;
  result.redirect = decided.header("Location");
  result.code = queryParam(result.redirect, "code");
  expect(!result.code.empty(), "no code in the redirect", decided);
  result.token = tokenRequest(gw, {{"grant_type", "authorization_code"},
                                   {"code", result.code},
                                   {"redirect_uri", request.redirectUri},
                                   {"code_verifier", request.pkce.verifier},
                                   {"client_id", request.clientId}});
  expect(result.token.status == 200, "token exchange", result.token);
  auto json = fhir::parseJson(result.token.body);
  if (!json) throw std::runtime_error("token response is not JSON");
  result.accessToken = stringMember(*json, "access_token");
  result.refreshToken = stringMember(*json, "refresh_token");
  result.idToken = stringMember(*json, "id_token");
  result.grantedScope = stringMember(*json, "scope");
  return result;
}

PairingResult pairDemo(GatewayProcess& gw, const DemoSeed& seed, const std::string& scope) {
  Browser browser;
  AuthorizationRequest request;
  request.clientId = seed.clientId;
  request.redirectUri = seed.redirectUri;
  request.scope = scope;
  return pairApp(gw, seed, browser, request);
}

HeaderList bearer(const std::string& accessToken) {
  return {{"Authorization", "Bearer " + accessToken}};
}

HttpResponse tokenRequest(GatewayProcess& gw,
                          const std::vector<std::pair<std::string, std::string>>& form) {
  return gw.client().post("/oauth/token", formEncode(form), "application/x-www-form-urlencoded");
}

}  // namespace mes::itest

// The patient login on /portal over HTTP, against the real gateway: cookie attributes, CSRF,
// the generic failure message, password then one-time code (read from the outbox files), the
// code limit, brute force and lockout (and `account unlock`), open-redirect attempts in `next`,
// logout. The account is created with `mes-gateway account add`.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "integration/measures_fixture.h"

using namespace mes::itest;

namespace {

constexpr const char* kLogin = "portal.patient@example.fr";
constexpr const char* kPassword = "motdepasse-de-test-42";
constexpr const char* kFormType = "application/x-www-form-urlencoded";

// `mes-gateway account add` with the password on standard input; returns the exit status.
int addAccount(const std::string& dataDir, const std::string& login, const std::string& password,
               const std::string& patient = "demo") {
  const std::string command = "printf '%s\\n' '" + password + "' | " + kGatewayBinary +
                              " account add --login '" + login + "' --patient '" + patient +
                              "' --data-dir '" + dataDir + "' > /dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int accountCommand(const std::string& dataDir, const std::string& args) {
  const std::string command = std::string(kGatewayBinary) + " account " + args + " --data-dir '" +
                              dataDir + "' > /dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// One gateway for this file: demo patient seeded, a portal account for it.
GatewayProcess& portalGateway() {
  static std::unique_ptr<GatewayProcess> gateway = [] {
    auto gw = std::make_unique<GatewayProcess>();
    seedDemo(gw->dataDir());
    BOOST_REQUIRE_EQUAL(addAccount(gw->dataDir(), kLogin, kPassword), 0);
    return gw;
  }();
  return *gateway;
}

std::string encodeForm(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += "&";
    body += urlEncode(name) + "=" + urlEncode(value);
  }
  return body;
}

// The value of the hidden or text input `name`, as a browser reads it.
std::string formField(const std::string& html, const std::string& name) {
  std::smatch match;
  const std::regex field("name=\"" + name + "\" value=\"([^\"]*)\"");
  BOOST_REQUIRE_MESSAGE(std::regex_search(html, match, field),
                        "no field " + name + " in: " + html.substr(0, 400));
  std::string value = match[1].str();
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (size_t at = value.find(entity); at != std::string::npos; at = value.find(entity, at + 1)) {
      value.replace(at, entity.size(), c);
    }
  }
  return value;
}

// A browser: one cookie jar for mes_portal, the forms it was last shown.
class PortalBrowser {
 public:
  explicit PortalBrowser(GatewayProcess& gw) : client_(gw.client()) {}

  HttpResponse get(const std::string& target) { return keep(client_.get(target, cookieHeader())); }
  HttpResponse post(const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
    return keep(client_.post(target, encodeForm(fields), kFormType, cookieHeader()));
  }

  HttpResponse submitPassword(const std::string& login, const std::string& password,
                              const std::string& next = "/portal/") {
    HttpResponse page = get("/portal/login?next=" + urlEncode(next));
    BOOST_REQUIRE_EQUAL(page.status, 200);
    return post("/portal/login", {{"csrf", formField(page.body, "csrf")},
                                  {"next", formField(page.body, "next")},
                                  {"login", login},
                                  {"password", password}});
  }
  HttpResponse submitCode(const std::string& code, const std::string& next = "/portal/") {
    HttpResponse page = get("/portal/otp?next=" + urlEncode(next));
    BOOST_REQUIRE_EQUAL(page.status, 200);
    return post("/portal/otp", {{"csrf", formField(page.body, "csrf")},
                                {"next", formField(page.body, "next")},
                                {"code", code}});
  }

  std::string cookie;

 private:
  HeaderList cookieHeader() const {
    if (cookie.empty()) return {};
    return {{"Cookie", "mes_portal=" + cookie}};
  }
  HttpResponse keep(HttpResponse response) {
    const std::string setCookie = response.header("Set-Cookie");
    const std::string prefix = "mes_portal=";
    if (setCookie.rfind(prefix, 0) == 0) {
      cookie = setCookie.substr(prefix.size(), setCookie.find(';') - prefix.size());
    }
    return response;
  }

  HttpClient client_;
};

std::set<std::string> outboxFiles(const std::string& dataDir) {
  std::set<std::string> files;
  const std::filesystem::path dir = std::filesystem::path(dataDir) / "outbox";
  if (!std::filesystem::exists(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.insert(entry.path().string());
  }
  return files;
}

// The code of the one login-code message written since `before`, for `recipient`.
std::string newLoginCode(const std::string& dataDir, const std::set<std::string>& before,
                         const std::string& recipient = "demo") {
  std::vector<std::string> codes;
  for (const std::string& file : outboxFiles(dataDir)) {
    if (before.count(file) != 0) continue;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto message = mes::fhir::parseJson(text.str());
    BOOST_REQUIRE_MESSAGE(message.isOk(), "outbox file is not JSON: " + file);
    const std::string* kind = message->findString("kind");
    if (kind == nullptr || *kind != "login-code") continue;
    BOOST_TEST(*message->findString("recipient") == recipient);
    codes.push_back(*message->find("data")->findString("code"));
  }
  BOOST_REQUIRE_EQUAL(codes.size(), 1u);
  return codes.front();
}

std::string base(const GatewayProcess& gw) { return gw.baseUrl(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(portal_login)

BOOST_AUTO_TEST_CASE(the_login_page_sets_an_http_only_same_site_session_cookie) {
  auto& gw = portalGateway();
  HttpResponse page = gw.client().get("/portal/login?next=%2Fportal%2F");
  BOOST_TEST(page.status == 200);
  const std::string cookie = page.header("Set-Cookie");
  BOOST_TEST(std::regex_match(cookie, std::regex("mes_portal=[A-Za-z0-9_-]{43}; Path=/portal; "
                                                 "HttpOnly; SameSite=Lax")),
             cookie);
  BOOST_TEST(cookie.find("Secure") == std::string::npos);  // plain http here
  BOOST_TEST(page.header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.header("Cache-Control") == "no-store");
  BOOST_TEST(page.header("X-Frame-Options") == "DENY");
  BOOST_TEST(page.header("Content-Security-Policy").find("frame-ancestors 'none'") !=
             std::string::npos);
  BOOST_TEST(page.body.find("<html lang=\"fr\">") != std::string::npos);
  BOOST_TEST(page.body.find("Connexion \u00e0 Mon espace sant\u00e9") != std::string::npos);
  for (const char* input : {"name=\"login\"", "name=\"password\"", "name=\"csrf\"",
                            "name=\"next\"", "action=\"/portal/login\""}) {
    BOOST_TEST(page.body.find(input) != std::string::npos, input);
  }
  BOOST_TEST(formField(page.body, "csrf").size() == 43u);
}

BOOST_AUTO_TEST_CASE(a_login_post_without_the_csrf_token_is_403_and_sends_no_code) {
  auto& gw = portalGateway();
  const auto before = outboxFiles(gw.dataDir());
  PortalBrowser browser(gw);
  HttpResponse page = browser.get("/portal/login");
  BOOST_REQUIRE_EQUAL(page.status, 200);
  HttpResponse noToken = browser.post("/portal/login", {{"login", kLogin}, {"password", kPassword}});
  BOOST_TEST(noToken.status == 403);
  BOOST_TEST(noToken.header("Content-Type") == "text/html; charset=utf-8");
  HttpResponse wrongToken = browser.post(
      "/portal/login", {{"csrf", "x" + formField(page.body, "csrf")}, {"login", kLogin},
                        {"password", kPassword}});
  BOOST_TEST(wrongToken.status == 403);
  // The token of a session is no use without that session's cookie (a cross-site form).
  PortalBrowser other(gw);
  HttpResponse foreign = other.post(
      "/portal/login", {{"csrf", formField(page.body, "csrf")}, {"login", kLogin},
                        {"password", kPassword}});
  BOOST_TEST(foreign.status == 403);
  BOOST_TEST(outboxFiles(gw.dataDir()) == before);
}

BOOST_AUTO_TEST_CASE(a_wrong_password_and_an_unknown_login_get_the_same_401) {
  auto& gw = portalGateway();
  PortalBrowser browser(gw);
  HttpResponse wrong = browser.submitPassword(kLogin, "not-the-password");
  HttpResponse unknown = browser.submitPassword("nobody@example.fr", kPassword);
  for (const HttpResponse* r : {&wrong, &unknown}) {
    BOOST_TEST(r->status == 401);
    BOOST_TEST(r->body.find("Identifiant ou mot de passe incorrect.") != std::string::npos);
    BOOST_TEST(r->body.find("name=\"password\"") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(password_then_the_code_from_the_outbox_authenticates_and_returns_to_next) {
  auto& gw = portalGateway();
  PortalBrowser browser(gw);
  const std::string next = "/portal/consent?response_type=code&client_id=demo-app&scope=openid%20"
                           "patient%2FObservation.rs&state=abc";
  const auto before = outboxFiles(gw.dataDir());
  HttpResponse password = browser.submitPassword("PORTAL.Patient@example.fr", kPassword, next);
  BOOST_TEST(password.status == 303);
  BOOST_TEST(password.header("Location") == base(gw) + "/portal/otp?next=" + urlEncode(next));
  BOOST_TEST(!password.header("Set-Cookie").empty());
  const std::string code = newLoginCode(gw.dataDir(), before);
  BOOST_TEST(std::regex_match(code, std::regex("[0-9]{6}")));

  const std::string pendingCookie = browser.cookie;
  HttpResponse done = browser.submitCode(code, next);
  BOOST_TEST(done.status == 303);
  BOOST_TEST(done.header("Location") == base(gw) + next);
  BOOST_TEST(std::regex_match(done.header("Set-Cookie"),
                              std::regex("mes_portal=[A-Za-z0-9_-]{43}; Path=/portal; HttpOnly; "
                                         "SameSite=Lax")));
  BOOST_TEST(browser.cookie != pendingCookie);

  // The new cookie is an authenticated session: the login page sends it straight on, and the
  // portal home (the lead's page) does not ask for a login.
  HttpResponse again = browser.get("/portal/login?next=%2Fportal%2Factivity");
  BOOST_TEST(again.status == 303);
  BOOST_TEST(again.header("Location") == base(gw) + "/portal/activity");
  HttpResponse home = browser.get("/portal/");
  BOOST_TEST(home.status == 200);
  // The cookie of the password step is dead: that browser is shown the login form again.
  PortalBrowser stale(gw);
  stale.cookie = pendingCookie;
  BOOST_TEST(stale.get("/portal/otp").status == 303);
  BOOST_TEST(stale.get("/portal/login").status == 200);
}

BOOST_AUTO_TEST_CASE(five_wrong_codes_send_the_patient_back_to_the_login_form) {
  auto& gw = portalGateway();
  PortalBrowser browser(gw);
  const auto before = outboxFiles(gw.dataDir());
  BOOST_REQUIRE_EQUAL(browser.submitPassword(kLogin, kPassword).status, 303);
  const std::string code = newLoginCode(gw.dataDir(), before);
  const std::string wrong = code == "000000" ? "999999" : "000000";
  for (int i = 1; i <= 4; ++i) {
    HttpResponse r = browser.submitCode(wrong);
    BOOST_TEST(r.status == 401);
    BOOST_TEST(r.body.find("name=\"code\"") != std::string::npos);
  }
  HttpResponse fifth = browser.submitCode(wrong);
  BOOST_TEST(fifth.status == 401);
  BOOST_TEST(fifth.body.find("name=\"password\"") != std::string::npos);  // the login form
  // The code of that login is now useless: no code is pending on this session.
  HttpResponse otp = browser.get("/portal/otp");
  BOOST_TEST(otp.status == 303);
  BOOST_TEST(otp.header("Location").find("/portal/login?next=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(brute_force_locks_the_account_even_for_the_right_password) {
  auto& gw = portalGateway();
  const std::string login = "brute.force@example.fr";
  const std::string password = "le-bon-mot-de-passe";
  BOOST_REQUIRE_EQUAL(addAccount(gw.dataDir(), login, password), 0);
  PortalBrowser attacker(gw);
  constexpr int kMaxFailures = 5;  // config default portal.max_login_failures
  for (int i = 1; i < kMaxFailures; ++i) {
    BOOST_TEST(attacker.submitPassword(login, "guess-" + std::to_string(i)).status == 401);
  }
  HttpResponse locking = attacker.submitPassword(login, "guess-5");
  BOOST_TEST(locking.status == 429);
  BOOST_TEST(locking.header("Retry-After") == "900");
  BOOST_TEST(locking.body.find("temporairement bloqu") != std::string::npos);
  // The (N+1)th attempt, with the right password, from a fresh browser: still refused, and no
  // code is sent.
  const auto before = outboxFiles(gw.dataDir());
  PortalBrowser patient(gw);
  HttpResponse refused = patient.submitPassword(login, password);
  BOOST_TEST(refused.status == 429);
  const int retryAfter = std::stoi(refused.header("Retry-After"));
  BOOST_TEST(retryAfter >= 1);
  BOOST_TEST(retryAfter <= 900);
  BOOST_TEST(outboxFiles(gw.dataDir()) == before);

  // The operator lifts the lock; the right password works again.
  BOOST_REQUIRE_EQUAL(accountCommand(gw.dataDir(), "unlock --login '" + login + "'"), 0);
  BOOST_TEST(patient.submitPassword(login, password).status == 303);
}

BOOST_AUTO_TEST_CASE(open_redirect_attempts_in_next_end_at_the_portal_home) {
  auto& gw = portalGateway();
  const char* attempts[] = {"https://evil.example", "//evil.example", "/\\evil.example",
                            "/portal/../oauth/token", "/portal/%2e%2e/oauth", "javascript:alert(1)",
                            "/portal//evil.example"};
  PortalBrowser browser(gw);
  for (const char* next : attempts) {
    HttpResponse page = browser.get(std::string("/portal/login?next=") + urlEncode(next));
    BOOST_TEST(page.status == 200);
    BOOST_TEST(formField(page.body, "next") == "/portal/", next);
  }
  // A forged form posting a foreign next directly: the login still ends at the portal.
  const auto before = outboxFiles(gw.dataDir());
  HttpResponse page = browser.get("/portal/login");
  HttpResponse password = browser.post("/portal/login", {{"csrf", formField(page.body, "csrf")},
                                                         {"next", "https://evil.example/cb"},
                                                         {"login", kLogin},
                                                         {"password", kPassword}});
  BOOST_TEST(password.status == 303);
  BOOST_TEST(password.header("Location") == base(gw) + "/portal/otp?next=%2Fportal%2F");
  const std::string code = newLoginCode(gw.dataDir(), before);
  HttpResponse otpPage = browser.get("/portal/otp");
  HttpResponse done = browser.post("/portal/otp", {{"csrf", formField(otpPage.body, "csrf")},
                                                   {"next", "//evil.example"},
                                                   {"code", code}});
  BOOST_TEST(done.status == 303);
  BOOST_TEST(done.header("Location") == base(gw) + "/portal/");
}

BOOST_AUTO_TEST_CASE(logout_needs_the_csrf_token_and_clears_the_cookie) {
  auto& gw = portalGateway();
  PortalBrowser browser(gw);
  const auto before = outboxFiles(gw.dataDir());
  BOOST_REQUIRE_EQUAL(browser.submitPassword(kLogin, kPassword).status, 303);
  BOOST_REQUIRE_EQUAL(browser.submitCode(newLoginCode(gw.dataDir(), before)).status, 303);
  BOOST_TEST(browser.post("/portal/logout", {}).status == 403);
  // The token of the authenticated session is on its pages' forms (logout included).
  HttpResponse home = browser.get("/portal/");
  BOOST_REQUIRE_EQUAL(home.status, 200);
  const std::string loggedIn = browser.cookie;
  HttpResponse out = browser.post("/portal/logout", {{"csrf", formField(home.body, "csrf")}});
  BOOST_TEST(out.status == 303);
  BOOST_TEST(out.header("Location") == base(gw) + "/portal/login");
  BOOST_TEST(out.header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  PortalBrowser replay(gw);
  replay.cookie = loggedIn;
  BOOST_TEST(replay.get("/portal/login").status == 200);  // not authenticated any more
}

BOOST_AUTO_TEST_CASE(portal_errors_are_french_html_pages) {
  auto& gw = portalGateway();
  HttpResponse missing = gw.client().get("/portal/no-such-page");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(missing.body.find("Page introuvable") != std::string::npos);
  HttpResponse method = gw.client().request("PUT", "/portal/login");
  BOOST_TEST(method.status == 405);
  BOOST_TEST(method.header("Content-Type") == "text/html; charset=utf-8");
}

BOOST_AUTO_TEST_SUITE_END()

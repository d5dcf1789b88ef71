// The portal login (gateway/portal_auth.h) driven through the router, on a real SQLite account
// store, with a manual clock (code expiry, lockout expiry, idle sessions) and an outbox that
// keeps what it is given. The HTTP-level tests of the same flow are in
// tests/integration/portal_login_test.cpp.
#include "gateway/portal_auth.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_account_store.h"
#include "connectors/sqlite/sqlite_database.h"
#include "connectors/temp_dir.h"
#include "core/clock.h"
#include "gateway/html.h"
#include "gateway/router.h"
#include "oauth/password.h"

namespace {

using mes::ErrorKind;
using mes::gateway::LoginEvent;
using mes::gateway::PortalAuth;
using mes::http::Request;
using mes::http::Response;
using mes::store::SqliteAccountStore;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr const char* kLogin = "camille.martin@example.fr";
constexpr const char* kPassword = "correct horse battery staple";
constexpr const char* kBase = "http://127.0.0.1:8080";

class RecordingOutbox final : public mes::outbox::Outbox {
 public:
  mes::Result<std::string> send(const mes::outbox::Notification& notification) override {
    if (failing) return mes::Error::make(ErrorKind::kUnavailable, "outbox", "down");
    sent.push_back(notification);
    return "msg-" + std::to_string(sent.size());
  }
  std::string lastCode() const {
    BOOST_REQUIRE(!sent.empty());
    for (const auto& [key, value] : sent.back().data) {
      if (key == "code") return value;
    }
    BOOST_FAIL("no code in the last notification");
    return {};
  }
  std::vector<mes::outbox::Notification> sent;
  bool failing = false;
};

std::shared_ptr<SqliteAccountStore> openStore(const std::string& path, const mes::Clock& clock) {
  mes::store::SqliteOptions options;
  options.path = path;
  auto database = mes::store::SqliteDatabase::open(options, clock);
  if (!database) throw std::runtime_error("database: " + database.error().detail);
  auto store = SqliteAccountStore::open(std::move(database).value());
  if (!store) throw std::runtime_error("store: " + store.error().detail);
  return std::move(store).value();
}

std::string formField(const std::string& html, const std::string& name) {
  std::smatch match;
  const std::regex field("name=\"" + name + "\" value=\"([^\"]*)\"");
  BOOST_REQUIRE_MESSAGE(std::regex_search(html, match, field), "no field " + name + " in the page");
  // As a browser reads the attribute.
  std::string value = match[1].str();
  for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
    for (size_t at = value.find(entity); at != std::string::npos; at = value.find(entity, at + 1)) {
      value.replace(at, entity.size(), c);
    }
  }
  return value;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += "&";
    body += mes::http::percentEncode(name) + "=" + mes::http::percentEncode(value);
  }
  return body;
}

// A gateway with only the portal login, and a browser with one cookie jar.
class Portal {
 public:
  Portal()
      : clock_(kT0),
        logSink_(std::fopen("/dev/null", "w")),
        logger_(clock_, mes::gateway::LogLevel::kError, logSink_),
        store_(openStore(dir_.file("portal.db"), clock_)),
        router_(logger_, access_,
                [](const mes::Error& e, const mes::gateway::RequestContext&) {
                  Response r;
                  r.status = mes::httpStatusOf(e.kind);
                  return r;
                },
                1 << 20),
        auth_(config_, *store_, *store_, *store_, outbox_, clock_, logger_) {
    auth_.registerRoutes(router_);
    auth_.setLoginEventHandler([this](const LoginEvent& e) { events.push_back(e); });
    auto created = auth_.createPatientAccount(kLogin, kPassword, "demo");
    BOOST_REQUIRE_MESSAGE(created.isOk(), (created.isOk() ? std::string() : created.error().detail));
    accountId = created->accountId;
  }
  ~Portal() {
    if (logSink_ != nullptr) std::fclose(logSink_);
  }

  Response send(const std::string& method, const std::string& target, const std::string& body = {},
                const std::string& address = "192.0.2.10") {
    Request request;
    request.method = method;
    const size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.rawQuery = target.substr(q + 1);
    request.query = mes::http::parseQuery(request.rawQuery);
    if (!cookie.empty()) request.headers.add("Cookie", "other=1; mes_portal=" + cookie);
    if (method == "POST") {
      request.headers.add("Content-Type", "application/x-www-form-urlencoded");
    }
    request.body = body;
    request.remoteAddress = address;
    Response response = router_.handle(request);
    const std::string& setCookie = response.headers.get("Set-Cookie");
    if (!setCookie.empty()) {
      const std::string prefix = "mes_portal=";
      BOOST_REQUIRE(setCookie.rfind(prefix, 0) == 0);
      cookie = setCookie.substr(prefix.size(), setCookie.find(';') - prefix.size());
    }
    return response;
  }
  Response get(const std::string& target) { return send("GET", target); }
  Response post(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& fields,
                const std::string& address = "192.0.2.10") {
    return send("POST", path, form(fields), address);
  }

  // GET the login form, POST the credentials; returns the POST's response.
  Response submitPassword(const std::string& password, const std::string& next = "/portal/",
                          const std::string& address = "192.0.2.10") {
    Response page = get("/portal/login?next=" + mes::http::percentEncode(next));
    BOOST_REQUIRE_EQUAL(page.status, 200);
    return post("/portal/login",
                {{"csrf", formField(page.body, "csrf")},
                 {"next", formField(page.body, "next")},
                 {"login", kLogin},
                 {"password", password}},
                address);
  }
  // GET the code form, POST `code`.
  Response submitCode(const std::string& code, const std::string& next = "/portal/") {
    Response page = get("/portal/otp?next=" + mes::http::percentEncode(next));
    BOOST_REQUIRE_EQUAL(page.status, 200);
    return post("/portal/otp", {{"csrf", formField(page.body, "csrf")},
                                {"next", formField(page.body, "next")},
                                {"code", code}});
  }
  // The whole login; returns the final response (303 to next).
  Response logIn(const std::string& next = "/portal/") {
    Response password = submitPassword(kPassword, next);
    BOOST_REQUIRE_EQUAL(password.status, 303);
    return submitCode(outbox_.lastCode(), next);
  }
  std::optional<mes::gateway::PortalSession> session() {
    Request request;
    request.method = "GET";
    request.path = "/portal/";
    if (!cookie.empty()) request.headers.add("Cookie", "mes_portal=" + cookie);
    return auth_.authenticated(request);
  }
  bool has(LoginEvent::Kind kind, const std::string& reason = "") const {
    for (const LoginEvent& e : events) {
      if (e.kind == kind && (reason.empty() || e.reason == reason)) return true;
    }
    return false;
  }

  mes::ManualClock& clock() { return clock_; }
  RecordingOutbox& outbox() { return outbox_; }
  PortalAuth& auth() { return auth_; }
  SqliteAccountStore& store() { return *store_; }
  mes::gateway::Config& config() { return config_; }

  std::string cookie;
  std::string accountId;
  std::vector<LoginEvent> events;

 private:
  mes::test::TempDir dir_;
  mes::ManualClock clock_;
  std::FILE* logSink_;
  mes::gateway::Logger logger_;
  mes::gateway::Config config_;
  std::shared_ptr<SqliteAccountStore> store_;
  RecordingOutbox outbox_;
  mes::gateway::OpenAccessPolicy access_;
  mes::gateway::Router router_;
  PortalAuth auth_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(portal_auth)

// --- pure helpers ---------------------------------------------------------------------------

struct NextCase {
  const char* given;
  const char* kept;  // what safePortalPath returns
};
std::ostream& operator<<(std::ostream& out, const NextCase& c) { return out << c.given; }

const NextCase kNextCases[] = {
    {"/portal/", "/portal/"},
    {"/portal", "/portal"},
    {"/portal/activity", "/portal/activity"},
    {"/portal/consent?client_id=carnet&scope=patient%2FObservation.rs&redirect_uri=https://app/cb",
     "/portal/consent?client_id=carnet&scope=patient%2FObservation.rs&redirect_uri=https://app/cb"},
    {"/portal?x=1", "/portal?x=1"},
    {"", "/portal/"},
    {"https://evil.example", "/portal/"},
    {"https://evil.example/portal/", "/portal/"},
    {"//evil.example", "/portal/"},
    {"//evil.example/portal/", "/portal/"},
    {"/\\evil.example", "/portal/"},
    {"/portal/\\evil.example", "/portal/"},
    {"/portal//evil.example", "/portal/"},
    {"/portal/../oauth/token", "/portal/"},
    {"/portal/./consent", "/portal/"},
    {"/portal/..", "/portal/"},
    {"/portal/%2e%2e/oauth", "/portal/"},
    {"/portal/%2E%2e/oauth", "/portal/"},
    {"/portal/%2fevil", "/portal/"},
    {"/portal/%5Cevil", "/portal/"},
    {"/portalx", "/portal/"},
    {"/fhir/Observation", "/portal/"},
    {"portal/", "/portal/"},
    {"javascript:alert(1)", "/portal/"},
    {"/portal/\r\nSet-Cookie: x=1", "/portal/"},
    {"/portal/ space", "/portal/"},
    {"/portal/#fragment", "/portal/"},
    {"/portal/caf\xc3\xa9", "/portal/"},
};

BOOST_DATA_TEST_CASE(next_is_a_portal_path_or_the_portal_home,
                     boost::unit_test::data::make(kNextCases), c) {
  BOOST_TEST(mes::gateway::safePortalPath(c.given) == c.kept);
}

BOOST_AUTO_TEST_CASE(next_longer_than_4096_bytes_is_refused) {
  BOOST_TEST(mes::gateway::safePortalPath("/portal/" + std::string(4089, 'a')) == "/portal/");
  const std::string fits = "/portal/" + std::string(4088, 'a');
  BOOST_TEST(mes::gateway::safePortalPath(fits) == fits);
}

BOOST_AUTO_TEST_CASE(cookies_carry_the_security_attributes) {
  using mes::gateway::clearedPortalSessionCookie;
  using mes::gateway::portalSessionCookie;
  BOOST_TEST(portalSessionCookie("abc", false) == "mes_portal=abc; Path=/portal; HttpOnly; SameSite=Lax");
  BOOST_TEST(portalSessionCookie("abc", true) ==
             "mes_portal=abc; Path=/portal; HttpOnly; SameSite=Lax; Secure");
  BOOST_TEST(clearedPortalSessionCookie(false) ==
             "mes_portal=; Path=/portal; Max-Age=0; HttpOnly; SameSite=Lax");
  BOOST_TEST(clearedPortalSessionCookie(true).find("; Secure") != std::string::npos);

  mes::http::Headers headers;
  headers.add("Cookie", "a=1; mes_portal=first;b=2");
  headers.add("cookie", "mes_portal=\"second\", mes_portalx=no, c=3");
  BOOST_TEST((mes::gateway::cookieValues(headers, "mes_portal") ==
              std::vector<std::string>{"first", "second"}));
  BOOST_TEST(mes::gateway::cookieValues(headers, "none").empty());
}

BOOST_AUTO_TEST_CASE(html_is_escaped_and_pages_carry_the_security_headers) {
  using mes::gateway::escapeHtml;
  BOOST_TEST(escapeHtml("<a href=\"x\" title='y'>&</a> é") ==
             "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; é");
  Response r = mes::gateway::htmlResponse(200, mes::gateway::page("Titre <b>", "<p>corps</p>"));
  BOOST_TEST(r.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(r.headers.get("Cache-Control") == "no-store");
  BOOST_TEST(r.headers.get("X-Frame-Options") == "DENY");
  BOOST_TEST(r.headers.get("Content-Security-Policy") ==
             "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  BOOST_TEST(r.headers.get("Referrer-Policy") == "no-referrer");
  BOOST_TEST(r.headers.get("X-Content-Type-Options") == "nosniff");
  BOOST_TEST(r.body.find("<html lang=\"fr\">") != std::string::npos);
  BOOST_TEST(r.body.find("<meta charset=\"utf-8\">") != std::string::npos);
  BOOST_TEST(r.body.find("<title>Titre &lt;b&gt; \u2013 Mon espace sant\u00e9</title>") !=
             std::string::npos);
  BOOST_TEST(r.body.find("<p>corps</p>") != std::string::npos);
  BOOST_TEST(r.body.find("http") == std::string::npos);  // no external resource
}

// --- the flow -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(password_then_code_authenticates_with_a_new_session_id_each_step) {
  Portal portal;
  Response page = portal.get("/portal/login?next=%2Fportal%2Factivity");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(page.body.find("Connexion \u00e0 Mon espace sant\u00e9") != std::string::npos);
  BOOST_TEST(formField(page.body, "next") == "/portal/activity");
  const std::string anonymousCookie = portal.cookie;
  BOOST_TEST(anonymousCookie.size() == 43u);  // 32 random bytes, base64url
  // The same browser gets the same anonymous session (and token) again.
  BOOST_TEST(formField(portal.get("/portal/login").body, "csrf") == formField(page.body, "csrf"));
  BOOST_TEST(portal.cookie == anonymousCookie);

  Response password = portal.post("/portal/login", {{"csrf", formField(page.body, "csrf")},
                                                    {"next", "/portal/activity"},
                                                    {"login", "  CAMILLE.Martin@example.FR "},
                                                    {"password", kPassword}});
  BOOST_TEST(password.status == 303);
  BOOST_TEST(password.headers.get("Location") ==
             std::string(kBase) + "/portal/otp?next=%2Fportal%2Factivity");
  BOOST_TEST(portal.cookie != anonymousCookie);
  BOOST_REQUIRE(portal.outbox().sent.size() == 1u);
  const auto& sent = portal.outbox().sent.back();
  BOOST_TEST(sent.recipient == "demo");
  BOOST_TEST(sent.kind == "login-code");
  const std::string code = portal.outbox().lastCode();
  BOOST_TEST(std::regex_match(code, std::regex("[0-9]{6}")));
  BOOST_TEST(sent.body.find(code) != std::string::npos);
  BOOST_TEST(!portal.session().has_value());  // the password alone is not enough
  const std::string pendingCookie = portal.cookie;

  Response done = portal.submitCode(code, "/portal/activity");
  BOOST_TEST(done.status == 303);
  BOOST_TEST(done.headers.get("Location") == std::string(kBase) + "/portal/activity");
  BOOST_TEST(portal.cookie != pendingCookie);
  auto session = portal.session();
  BOOST_REQUIRE(session);
  BOOST_TEST(session->patientId == "demo");
  BOOST_TEST(session->login == kLogin);
  BOOST_TEST(session->accountId == portal.accountId);
  BOOST_TEST(session->csrfToken.size() == 43u);
  BOOST_TEST(portal.has(LoginEvent::Kind::kLoginSucceeded));

  // The ids of the earlier steps are dead (no fixation).
  for (const std::string& old : {anonymousCookie, pendingCookie}) {
    portal.cookie = old;
    BOOST_TEST(!portal.session().has_value());
  }
}

BOOST_AUTO_TEST_CASE(forms_without_the_session_csrf_token_are_refused_and_do_nothing) {
  Portal portal;
  Response page = portal.get("/portal/login");
  const std::string csrf = formField(page.body, "csrf");
  for (const std::string& token : {std::string(), std::string("forged"), csrf + "x"}) {
    Response refused = portal.post("/portal/login", {{"csrf", token},
                                                     {"login", kLogin},
                                                     {"password", kPassword}});
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(refused.headers.get("Content-Type") == "text/html; charset=utf-8");
  }
  // Without any session cookie, even a token that was once valid is refused.
  portal.cookie.clear();
  BOOST_TEST(portal.post("/portal/login", {{"csrf", csrf}, {"login", kLogin}, {"password", kPassword}})
                 .status == 403);
  BOOST_TEST(portal.outbox().sent.empty());
  BOOST_TEST(portal.store().account(portal.accountId)->failedLogins == 0);
  BOOST_TEST(portal.events.empty());
}

BOOST_AUTO_TEST_CASE(unknown_login_and_wrong_password_get_the_same_answer) {
  Portal portal;
  Response wrong = portal.submitPassword("wrong password");
  Response page = portal.get("/portal/login");
  Response unknown = portal.post("/portal/login", {{"csrf", formField(page.body, "csrf")},
                                                   {"login", "nobody@example.fr"},
                                                   {"password", kPassword}});
  for (const Response* r : {&wrong, &unknown}) {
    BOOST_TEST(r->status == 401);
    BOOST_TEST(r->body.find("Identifiant ou mot de passe incorrect.") != std::string::npos);
    BOOST_TEST(r->body.find("name=\"password\"") != std::string::npos);  // the form again
  }
  BOOST_TEST(portal.store().account(portal.accountId)->failedLogins == 1);
  BOOST_TEST(portal.has(LoginEvent::Kind::kLoginFailed, "wrong-password"));
  BOOST_TEST(portal.has(LoginEvent::Kind::kLoginFailed, "unknown-login"));
  BOOST_TEST(portal.outbox().sent.empty());
}

BOOST_AUTO_TEST_CASE(repeated_failures_lock_the_account_until_the_lockout_ends) {
  Portal portal;
  const int max = portal.config().portalMaxLoginFailures;
  for (int i = 1; i < max; ++i) BOOST_TEST(portal.submitPassword("wrong").status == 401);
  Response locking = portal.submitPassword("wrong");
  BOOST_TEST(locking.status == 429);
  BOOST_TEST(locking.headers.get("Retry-After") ==
             std::to_string(portal.config().portalLockoutSeconds));
  BOOST_TEST(locking.body.find("temporairement bloqu") != std::string::npos);
  BOOST_TEST(portal.has(LoginEvent::Kind::kAccountLocked));

  // Locked: even the right password is refused, and the lock is not extended.
  portal.clock().advance(60'000);
  Response refused = portal.submitPassword(kPassword);
  BOOST_TEST(refused.status == 429);
  BOOST_TEST(refused.headers.get("Retry-After") ==
             std::to_string(portal.config().portalLockoutSeconds - 60));
  BOOST_TEST(portal.outbox().sent.empty());
  BOOST_TEST(portal.has(LoginEvent::Kind::kLoginFailed, "locked"));

  portal.clock().advance(int64_t{portal.config().portalLockoutSeconds} * 1000 - 60'000);
  BOOST_TEST(portal.submitPassword(kPassword).status == 303);
  BOOST_TEST(portal.store().account(portal.accountId)->failedLogins == 0);
}

BOOST_AUTO_TEST_CASE(a_success_resets_the_failure_count) {
  Portal portal;
  const int max = portal.config().portalMaxLoginFailures;
  for (int i = 1; i < max; ++i) BOOST_TEST(portal.submitPassword("wrong").status == 401);
  BOOST_TEST(portal.submitPassword(kPassword).status == 303);
  BOOST_TEST(portal.store().account(portal.accountId)->failedLogins == 0);
  portal.cookie.clear();
  for (int i = 1; i < max; ++i) BOOST_TEST(portal.submitPassword("wrong").status == 401);
}

BOOST_AUTO_TEST_CASE(five_wrong_codes_send_the_patient_back_to_the_login) {
  Portal portal;
  BOOST_REQUIRE_EQUAL(portal.submitPassword(kPassword).status, 303);
  const std::string code = portal.outbox().lastCode();
  const std::string wrong = code == "000000" ? "111111" : "000000";
  for (int i = 1; i < mes::gateway::kMaxOtpAttempts; ++i) {
    Response r = portal.submitCode(wrong);
    BOOST_TEST(r.status == 401);
    BOOST_TEST(r.body.find("Code incorrect. Il vous reste " +
                           std::to_string(mes::gateway::kMaxOtpAttempts - i)) != std::string::npos);
  }
  Response last = portal.submitCode(wrong);
  BOOST_TEST(last.status == 401);
  BOOST_TEST(last.body.find("name=\"password\"") != std::string::npos);  // the login form
  BOOST_TEST(last.body.find("Trop de codes erron") != std::string::npos);
  BOOST_TEST(portal.has(LoginEvent::Kind::kOtpFailed, "otp-too-many"));
  // The right code no longer helps: no code is pending.
  Response afterwards = portal.get("/portal/otp");
  BOOST_TEST(afterwards.status == 303);
  BOOST_TEST(afterwards.headers.get("Location").find("/portal/login?next=") != std::string::npos);
  BOOST_TEST(!portal.session().has_value());
  // Logging in again sends a new code, which works.
  BOOST_TEST(portal.logIn().status == 303);
  BOOST_TEST(portal.session().has_value());
}

BOOST_AUTO_TEST_CASE(an_expired_code_sends_the_patient_back_to_the_login) {
  Portal portal;
  BOOST_REQUIRE_EQUAL(portal.submitPassword(kPassword).status, 303);
  const std::string code = portal.outbox().lastCode();
  Response page = portal.get("/portal/otp");
  portal.clock().advance(int64_t{portal.config().portalOtpSeconds} * 1000);
  Response late = portal.post("/portal/otp", {{"csrf", formField(page.body, "csrf")},
                                              {"code", code}});
  BOOST_TEST(late.status == 401);
  BOOST_TEST(late.body.find("Le code a expir") != std::string::npos);
  BOOST_TEST(portal.has(LoginEvent::Kind::kOtpFailed, "otp-expired"));
  BOOST_TEST(!portal.session().has_value());
}

BOOST_AUTO_TEST_CASE(a_session_ends_after_its_idle_time_and_use_renews_it) {
  Portal portal;
  BOOST_REQUIRE_EQUAL(portal.logIn().status, 303);
  const int64_t idleMs = int64_t{portal.config().portalSessionSeconds} * 1000;
  for (int i = 0; i < 3; ++i) {
    portal.clock().advance(idleMs - 1'000);
    BOOST_TEST(portal.session().has_value());  // each use moves the expiry forward
  }
  portal.clock().advance(idleMs);
  BOOST_TEST(!portal.session().has_value());
}

BOOST_AUTO_TEST_CASE(too_many_failures_from_one_address_are_refused_for_the_window) {
  Portal portal;
  Response page = portal.get("/portal/login");
  const std::string csrf = formField(page.body, "csrf");
  for (int64_t i = 0; i < mes::gateway::kAddressFailuresPerWindow; ++i) {
    Response r = portal.post("/portal/login", {{"csrf", csrf},
                                               {"login", "nobody-" + std::to_string(i)},
                                               {"password", "x"}},
                             "198.51.100.9");
    BOOST_REQUIRE_EQUAL(r.status, 401);
  }
  Response limited = portal.post("/portal/login", {{"csrf", csrf},
                                                   {"login", kLogin},
                                                   {"password", kPassword}},
                                 "198.51.100.9");
  BOOST_TEST(limited.status == 429);
  const int retryAfter = std::stoi(limited.headers.get("Retry-After"));
  BOOST_TEST(retryAfter >= 1);
  BOOST_TEST(retryAfter <= mes::gateway::kAddressWindowMs / 1000);
  BOOST_TEST(portal.has(LoginEvent::Kind::kLoginFailed, "rate-limited"));
  // Another address is not affected, and the window ends.
  BOOST_TEST(portal.submitPassword(kPassword, "/portal/", "203.0.113.5").status == 303);
  portal.clock().advance(int64_t{retryAfter} * 1000);
  portal.cookie.clear();
  BOOST_TEST(portal.submitPassword(kPassword, "/portal/", "198.51.100.9").status == 303);
}

BOOST_AUTO_TEST_CASE(next_with_a_query_survives_the_login_and_bad_next_ends_at_the_home) {
  Portal portal;
  const std::string consent =
      "/portal/consent?response_type=code&client_id=carnet&scope=patient%2FObservation.rs%20openid"
      "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=xyz";
  Response redirect = portal.auth().redirectToLogin(consent);
  BOOST_TEST(redirect.status == 303);
  BOOST_TEST(redirect.headers.get("Location") ==
             std::string(kBase) + "/portal/login?next=" + mes::http::percentEncode(consent));
  Response done = portal.logIn(consent);
  BOOST_TEST(done.headers.get("Location") == std::string(kBase) + consent);

  portal.cookie.clear();
  Response evil = portal.logIn("https://evil.example/");
  BOOST_TEST(evil.headers.get("Location") == std::string(kBase) + "/portal/");
  BOOST_TEST(portal.auth().redirectToLogin("//evil.example").headers.get("Location") ==
             std::string(kBase) + "/portal/login?next=%2Fportal%2F");
}

BOOST_AUTO_TEST_CASE(logout_needs_the_csrf_token_and_ends_the_session) {
  Portal portal;
  BOOST_REQUIRE_EQUAL(portal.logIn().status, 303);
  auto session = portal.session();
  BOOST_REQUIRE(session);
  BOOST_TEST(portal.post("/portal/logout", {{"csrf", "forged"}}).status == 403);
  BOOST_TEST(portal.session().has_value());
  std::vector<std::pair<std::string, std::string>> good = {{"csrf", session->csrfToken}};
  BOOST_TEST(portal.auth().csrfValid(*session, good));
  BOOST_TEST(!portal.auth().csrfValid(*session, {{"csrf", ""}}));
  const std::string loggedInCookie = portal.cookie;
  Response out = portal.post("/portal/logout", good);
  BOOST_TEST(out.status == 303);
  BOOST_TEST(out.headers.get("Location") == std::string(kBase) + "/portal/login");
  BOOST_TEST(out.headers.get("Set-Cookie").find("Max-Age=0") != std::string::npos);
  portal.cookie = loggedInCookie;
  BOOST_TEST(!portal.session().has_value());
}

BOOST_AUTO_TEST_CASE(an_outbox_failure_is_a_503_and_changes_nothing) {
  Portal portal;
  portal.outbox().failing = true;
  Response page = portal.get("/portal/login");
  const std::string anonymous = portal.cookie;
  Response r = portal.post("/portal/login", {{"csrf", formField(page.body, "csrf")},
                                             {"login", kLogin},
                                             {"password", kPassword}});
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(portal.cookie == anonymous);
  BOOST_TEST(portal.get("/portal/otp").status == 303);  // no code pending
}

BOOST_AUTO_TEST_CASE(portal_errors_are_html_pages) {
  Portal portal;
  Response missing = portal.get("/portal/nowhere");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.headers.get("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(missing.body.find("Page introuvable") != std::string::npos);
  Response method = portal.send("DELETE", "/portal/login");
  BOOST_TEST(method.status == 405);
  BOOST_TEST(method.headers.get("Allow") == "GET, POST");
  BOOST_TEST(method.headers.get("X-Frame-Options") == "DENY");
}

BOOST_AUTO_TEST_CASE(patient_accounts_are_created_with_a_hashed_password) {
  Portal portal;
  auto stored = portal.store().accountByLogin(kLogin);
  BOOST_REQUIRE(stored.isOk());
  BOOST_TEST(stored->role == "patient");
  BOOST_TEST(stored->patientId == "demo");
  BOOST_TEST(stored->passwordHash.rfind("$scrypt$", 0) == 0);
  BOOST_TEST(mes::oauth::verifyPassword(kPassword, stored->passwordHash).isOk());
  BOOST_TEST(stored->accountId.size() == 22u);

  auto duplicate = portal.auth().createPatientAccount("CAMILLE.martin@example.fr", "x", "p2");
  BOOST_REQUIRE(!duplicate.isOk());
  BOOST_TEST(duplicate.error().code() == "already-exists");
  auto empty = portal.auth().createPatientAccount("someone", "", "p2");
  BOOST_REQUIRE(!empty.isOk());
  BOOST_TEST(empty.error().code() == "password-invalid");
  auto noPatient = portal.auth().createPatientAccount("someone", "pw", "");
  BOOST_REQUIRE(!noPatient.isOk());
  BOOST_TEST(noPatient.error().code() == "invalid-account");
}

BOOST_AUTO_TEST_SUITE_END()

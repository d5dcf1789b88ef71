// Login with a password, then a one-time code sent through the notification outbox (SPEC §1,
// issue #3): the session, its CSRF token, account lockout and a per-address rate limit. One
// PortalAuth serves one login area (LoginArea): the patient portal under /portal (patients),
// and the referencing registry under /registry (editors, evaluators, commission members and
// administrators, issue #5). The two areas share the accounts, the sessions table and the
// per-address limit, and nothing else: their cookies have different names and paths, and a
// session only ever authenticates an account whose role the area admits. The pages below are
// named for /portal; the registry's are the same under /registry.
//
// Pages and redirects:
//   GET  /portal/login?next=P   login form (login, password, csrf, next); starts an anonymous
//                               session (with its CSRF token) when the request has none
//   POST /portal/login          403 without the session's CSRF token (nothing else done);
//                               429 + Retry-After when the address has too many recent failures
//                               or the account is locked; 401 + the form again with one generic
//                               message ("Identifiant ou mot de passe incorrect.") for an unknown
//                               login or a wrong password; otherwise a 6-digit code goes to the
//                               outbox (kind "login-code", data {"code": ...}), the session becomes
//                               otp-pending under a new id, and 303 to /portal/otp?next=P
//   GET  /portal/otp?next=P     code form (code, csrf, next); 303 to the login form when no code
//                               is pending
//   POST /portal/otp            403 without CSRF; right code: the session becomes authenticated
//                               under a new id, 303 to P; wrong code: 401 and the form again; the
//                               5th wrong code, or an expired code, sends the session back to
//                               anonymous and shows the login form (401)
//   POST /portal/logout         403 without CSRF; deletes the session, clears the cookie, 303 to
//                               /portal/login
//   and an HTML renderer for the router's own errors under /portal/ (404, 405, 413, 500...).
//
// The cookie: mes_portal=<base64url of 32 random bytes>; Path=/portal; HttpOnly; SameSite=Lax
// (+ Secure when the public URL is https). Lax, not Strict: the patient reaches the consent page
// by a top-level redirect from the app's site, which must carry the cookie. Every privilege
// change (anonymous -> otp-pending -> authenticated) issues a new id and deletes the old row
// (no session fixation). The store keeps only the SHA-256 of the id, and of the code only an
// HMAC keyed by the session id.
//
// Lockout: config.portalMaxLoginFailures consecutive wrong passwords lock the account for
// config.portalLockoutSeconds (the attempt that locks already gets 429). While locked, every
// attempt is refused without checking the password and without extending the lock. The lock
// message tells the patient the account is locked: this reveals that the login exists, but
// only after that many failures on it, which the per-address limit bounds.
//
// Rate limit: kAddressFailuresPerWindow failed attempts (unknown login, wrong password, refused
// while locked) per remote address per kAddressWindowMs window, shared by all instances through
// the store; then 429 until the window ends. Behind a reverse proxy every client has the
// proxy's address: set the limit with that in mind (the address is the TCP peer's).
//
// `next` is only ever a path of this area (safeAreaPath), so no page here redirects elsewhere
// (no open redirect).
//
// The registry area differs in: cookie mes_registry, Path=/registry, SameSite=Strict (nobody
// arrives there by a redirect from another site); the one-time code goes to the account's login
// (an e-mail address) as recipient, where a patient's goes to the patient id.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/outbox/outbox.h"
#include "connectors/store/account_store.h"
#include "core/clock.h"
#include "core/status.h"
#include "gateway/config.h"
#include "gateway/http/message.h"
#include "gateway/log.h"
#include "gateway/router.h"

namespace mes::gateway {

inline constexpr std::string_view kPortalCookie = "mes_portal";
inline constexpr std::string_view kRegistryCookie = "mes_registry";
inline constexpr int kMaxOtpAttempts = 5;
inline constexpr int kOtpDigits = 6;
inline constexpr int64_t kAddressFailuresPerWindow = 30;
inline constexpr int64_t kAddressWindowMs = 15 * 60 * 1000;
// authenticated() writes the renewed idle expiry at most this often per session.
inline constexpr int64_t kSessionRenewIntervalMs = 60 * 1000;

// Where a login lives.
struct LoginArea {
  std::string prefix;      // "/portal": pages <prefix>/login, /otp, /logout; the cookie's Path
  std::string cookieName;  // "mes_portal"
  std::string sameSite;    // "Lax" | "Strict"
  std::vector<std::string> roles;  // the account roles that may log in here
  std::string titleFr;     // heading of the login form
  std::string codeSubjectFr;  // subject of the one-time code message

  static LoginArea patientPortal();  // /portal, mes_portal, Lax, patients
  static LoginArea registry();       // /registry, mes_registry, Strict, the four registry roles
  bool admits(std::string_view role) const;
};

// The authenticated account behind a request of the area.
struct PortalSession {
  std::string accountId;
  std::string login;
  std::string role;
  std::string patientId;  // patients only
  std::string csrfToken;  // what every form of this session must carry in the field "csrf"
};

// What the login flow reports, for the audit trail. Never carries a password, code or id of a
// session.
struct LoginEvent {
  enum class Kind {
    kLoginSucceeded,  // password and one-time code both right: the session is authenticated
    kLoginFailed,     // a login attempt refused (see reason)
    kAccountLocked,   // this attempt locked the account
    kOtpFailed,       // a wrong or expired one-time code
  };
  Kind kind = Kind::kLoginFailed;
  // unknown-login | wrong-password | locked | rate-limited | otp-wrong | otp-expired |
  // otp-too-many; empty for kLoginSucceeded and kAccountLocked.
  std::string reason;
  std::string accountId;  // empty when the login is unknown
  std::string login;      // the account's login; empty when the login is unknown
  std::string patientId;  // empty when the login is unknown
  std::string remoteAddress;
  std::string requestId;
  int64_t timeMs = 0;
};
// "login-succeeded" | "login-failed" | "account-locked" | "otp-failed"
const char* loginEventName(LoginEvent::Kind kind);

// `next` when it is a path of the area under `prefix` ("/portal", "/registry") that is safe to
// redirect to, otherwise "<prefix>/". safePortalPath(next) is safeAreaPath(next, "/portal").
// Accepted: "/portal" or a path starting with "/portal/", with an optional query string kept as
// is. Refused anywhere: a backslash, a control, space or non-ASCII byte, a fragment, more than
// 4096 bytes (an authorization request with a long state still fits). Refused in the path: "//",
// dot segments ("/portal/../oauth"), percent-encoded dots, slashes and backslashes. A scheme or
// host cannot appear, since the path must start with "/portal".
std::string safeAreaPath(std::string_view next, std::string_view prefix);
std::string safePortalPath(std::string_view next);

// The Set-Cookie value for a session id, and the one that removes the cookie (Max-Age=0); the
// portal* ones are the patient portal's.
std::string sessionCookie(const LoginArea& area, std::string_view sessionId, bool secure);
std::string clearedSessionCookie(const LoginArea& area, bool secure);
std::string portalSessionCookie(std::string_view sessionId, bool secure);
std::string clearedPortalSessionCookie(bool secure);

// A new account of any role. The password is hashed here (oauth/password.h), never stored.
struct NewAccount {
  std::string accountId;  // empty: a random one
  std::string login;      // trimmed and lower-cased (ASCII) here
  std::string password;
  std::string role;
  std::string patientId;  // patients only
};
// kInvalid "password-invalid" for an empty or over-long password; the store's refusals
// (kInvalid "invalid-account", kConflict "already-exists"), checked before the slow hash.
Result<store::AccountRecord> createAccount(store::AccountStore& accounts, const NewAccount& account,
                                           int64_t nowMs);
// Every value of the cookie `name` in the request's Cookie header(s), in order.
std::vector<std::string> cookieValues(const http::Headers& headers, std::string_view name);

class PortalAuth {
 public:
  // Everything passed must outlive the PortalAuth. The three stores are usually one object
  // (store::SqliteAccountStore).
  PortalAuth(const Config& config, store::AccountStore& accounts,
             store::PortalSessionStore& sessions, store::LoginThrottle& throttle,
             outbox::Outbox& outbox, const Clock& clock, Logger& logger,
             LoginArea area = LoginArea::patientPortal());

  // <prefix>/login, /otp, /logout and the "<prefix>/" error renderer (HTML pages).
  void registerRoutes(Router& router);

  // The authenticated (password AND one-time code) session of this request, for an account
  // whose role the area admits, or nullopt. Renews the idle expiry (written at most every
  // kSessionRenewIntervalMs).
  std::optional<PortalSession> authenticated(const http::Request& request);

  const LoginArea& area() const { return area_; }

  // Constant-time check of the form field "csrf" against the session's token.
  bool csrfValid(const PortalSession& session,
                 const std::vector<std::pair<std::string, std::string>>& form) const;

  // 303 to <prefix>/login?next=<percent-encoded pathAndQuery> (pathAndQuery through
  // safeAreaPath first).
  http::Response redirectToLogin(const std::string& pathAndQuery) const;

  // Creates a patient account (createAccount). Used by the CLI and seed-demo.
  Result<store::AccountRecord> createPatientAccount(const std::string& login,
                                                    const std::string& password,
                                                    const std::string& patientId);

  // Called after each login event, on the request's thread. Set it before serving.
  void setLoginEventHandler(std::function<void(const LoginEvent&)> handler);

 private:
  struct CurrentSession;  // the request's session as found through its cookie

  http::Response loginPage(const http::Request& request, RequestContext& context);
  http::Response loginSubmit(const http::Request& request, RequestContext& context);
  http::Response otpPage(const http::Request& request, RequestContext& context);
  http::Response otpSubmit(const http::Request& request, RequestContext& context);
  http::Response logout(const http::Request& request, RequestContext& context);
  http::Response renderError(const Error& error, const RequestContext& context) const;

  // The live session named by the request's cookie (the first that resolves), if any.
  Result<std::optional<CurrentSession>> currentSession(const http::Request& request, int64_t nowMs);
  // A new anonymous session; its id in `sessionId`.
  Result<store::SessionRecord> newAnonymousSession(int64_t nowMs, std::string& sessionId);
  // Turns the session back to anonymous (same id), e.g. after too many wrong codes.
  Status resetToAnonymous(const store::SessionRecord& session, int64_t nowMs);
  // The login form page. `message` is shown above the form (already plain text).
  http::Response loginForm(int status, const std::string& csrf, const std::string& next,
                           const std::string& message, const std::string& login) const;
  http::Response otpForm(int status, const std::string& csrf, const std::string& next,
                         const std::string& message) const;
  http::Response forbiddenPage(const std::string& next) const;
  http::Response tooManyPage(int64_t retryAfterSeconds, const std::string& message) const;
  http::Response seeOther(const std::string& pathAndQuery) const;
  Result<std::string> dummyHash();
  void emit(LoginEvent::Kind kind, std::string reason, const store::AccountRecord* account,
            const http::Request& request, const RequestContext& context, int64_t nowMs);

  const Config& config_;
  const LoginArea area_;
  store::AccountStore& accounts_;
  store::PortalSessionStore& sessions_;
  store::LoginThrottle& throttle_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  Logger& logger_;
  std::function<void(const LoginEvent&)> onEvent_;
  std::mutex dummyMutex_;
  std::string dummyHash_;  // a hash of a random password: unknown logins cost a real check
};

}  // namespace mes::gateway

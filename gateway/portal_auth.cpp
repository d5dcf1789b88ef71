#include "gateway/portal_auth.h"

#include <algorithm>
#include <cctype>

#include "gateway/html.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/random.h"
#include "oauth/password.h"

namespace mes::gateway {

struct PortalAuth::CurrentSession {
  std::string id;  // the cookie value
  store::SessionRecord record;
};

namespace {

constexpr size_t kMaxNextBytes = 4096;
constexpr size_t kSessionIdBytes = 32;
constexpr size_t kMaxCookieValueBytes = 128;

const char* const kGenericFailure = "Identifiant ou mot de passe incorrect.";

using Form = std::vector<std::pair<std::string, std::string>>;

// The store keeps base64url(SHA-256(id)), never the id.
std::string handleOf(std::string_view sessionId) {
  return oauth::base64UrlEncode(oauth::sha256(sessionId));
}

// The code is stored as an HMAC keyed by the session id: a copy of the database (which holds
// only the id's hash) is not enough to try the million codes offline.
std::string otpHashOf(std::string_view sessionId, std::string_view code) {
  return oauth::base64UrlEncode(oauth::hmacSha256(sessionId, code));
}

std::string trimmed(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string withoutSpaces(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t ceilSeconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }

std::string minutesText(int64_t seconds) {
  const int64_t minutes = std::max<int64_t>(1, (seconds + 59) / 60);
  return std::to_string(minutes) + (minutes > 1 ? " minutes" : " minute");
}

}  // namespace

// --- pure helpers ---------------------------------------------------------------------------

const char* loginEventName(LoginEvent::Kind kind) {
  switch (kind) {
    case LoginEvent::Kind::kLoginSucceeded:
      return "login-succeeded";
    case LoginEvent::Kind::kLoginFailed:
      return "login-failed";
    case LoginEvent::Kind::kAccountLocked:
      return "account-locked";
    case LoginEvent::Kind::kOtpFailed:
      return "otp-failed";
  }
  return "login-failed";
}

std::string safePortalPath(std::string_view next) { return safeAreaPath(next, "/portal"); }

std::string safeAreaPath(std::string_view next, std::string_view prefix) {
  const std::string fallback = std::string(prefix) + "/";
  if (next.empty() || next.size() > kMaxNextBytes) return fallback;
  for (char c : next) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\' || c == '#') return fallback;
  }
  const size_t queryAt = next.find('?');
  const std::string_view path = next.substr(0, queryAt);
  if (path != prefix && !startsWith(path, fallback)) return fallback;
  if (path.find("//") != std::string_view::npos) return fallback;
  // Encoded slashes, backslashes and dots could become separators or dot segments once a
  // browser or proxy decodes them.
  const std::string lowered = lowerAscii(path);
  for (std::string_view encoded : {"%2f", "%5c", "%2e", "%00"}) {
    if (lowered.find(encoded) != std::string::npos) return fallback;
  }
  for (const std::string& segment : splitPath(std::string(path))) {
    if (segment == "." || segment == "..") return fallback;
  }
  return std::string(next);
}

std::string sessionCookie(const LoginArea& area, std::string_view sessionId, bool secure) {
  std::string cookie = area.cookieName + "=" + std::string(sessionId) + "; Path=" + area.prefix +
                       "; HttpOnly; SameSite=" + area.sameSite;
  if (secure) cookie += "; Secure";
  return cookie;
}

std::string clearedSessionCookie(const LoginArea& area, bool secure) {
  std::string cookie = area.cookieName + "=; Path=" + area.prefix +
                       "; Max-Age=0; HttpOnly; SameSite=" + area.sameSite;
  if (secure) cookie += "; Secure";
  return cookie;
}

std::string portalSessionCookie(std::string_view sessionId, bool secure) {
  return sessionCookie(LoginArea::patientPortal(), sessionId, secure);
}

std::string clearedPortalSessionCookie(bool secure) {
  return clearedSessionCookie(LoginArea::patientPortal(), secure);
}

LoginArea LoginArea::patientPortal() {
  LoginArea area;
  area.prefix = "/portal";
  area.cookieName = std::string(kPortalCookie);
  area.sameSite = "Lax";
  area.roles = {"patient"};
  area.titleFr = "Connexion \u00e0 Mon espace sant\u00e9";
  area.codeSubjectFr = "Votre code de connexion \u00e0 Mon espace sant\u00e9";
  return area;
}

LoginArea LoginArea::registry() {
  LoginArea area;
  area.prefix = "/registry";
  area.cookieName = std::string(kRegistryCookie);
  area.sameSite = "Strict";
  area.roles = {"editor", "evaluator", "commission", "admin"};
  area.titleFr = "Connexion au r\u00e9f\u00e9rencement Mon espace sant\u00e9";
  area.codeSubjectFr = "Votre code de connexion au r\u00e9f\u00e9rencement Mon espace sant\u00e9";
  return area;
}

bool LoginArea::admits(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

Result<store::AccountRecord> createAccount(store::AccountStore& accounts, const NewAccount& input,
                                           int64_t nowMs) {
  store::AccountRecord account;
  if (input.accountId.empty()) {
    Result<std::string> accountId = oauth::randomToken(16);
    if (!accountId) return accountId.takeError();
    account.accountId = std::move(*accountId);
  } else {
    account.accountId = input.accountId;
  }
  account.login = store::normalizeLogin(trimmed(input.login));
  account.role = input.role;
  account.patientId = input.patientId;
  account.passwordHash = "-";  // checked before the slow hash, replaced below
  MES_RETURN_IF_ERROR(store::checkAccountRecord(account));
  Result<std::string> hash = oauth::hashPassword(input.password);
  if (!hash) return hash.takeError();
  account.passwordHash = std::move(*hash);
  return accounts.createAccount(account, nowMs);
}

std::vector<std::string> cookieValues(const http::Headers& headers, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [header, value] : headers.all()) {
    if (!http::equalsIgnoreCase(header, "Cookie")) continue;
    // "a=1; b=2" (RFC 6265); a proxy or library joining several Cookie headers may use ", ".
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find_first_of(";,", start);
      if (end == std::string::npos) end = value.size();
      const std::string pair = trimmed(std::string_view(value).substr(start, end - start));
      const size_t eq = pair.find('=');
      if (eq != std::string::npos && std::string_view(pair).substr(0, eq) == name) {
        std::string v = pair.substr(eq + 1);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        values.push_back(std::move(v));
      }
      start = end + 1;
    }
  }
  return values;
}

// --- PortalAuth -----------------------------------------------------------------------------

PortalAuth::PortalAuth(const Config& config, store::AccountStore& accounts,
                       store::PortalSessionStore& sessions, store::LoginThrottle& throttle,
                       outbox::Outbox& outbox, const Clock& clock, Logger& logger,
                       LoginArea area)
    : config_(config),
      area_(std::move(area)),
      accounts_(accounts),
      sessions_(sessions),
      throttle_(throttle),
      outbox_(outbox),
      clock_(clock),
      logger_(logger) {}

void PortalAuth::setLoginEventHandler(std::function<void(const LoginEvent&)> handler) {
  onEvent_ = std::move(handler);
}

void PortalAuth::registerRoutes(Router& router) {
  const std::string& p = area_.prefix;
  router.add("GET", p + "/login", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return loginPage(r, c); });
  router.add("POST", p + "/login", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return loginSubmit(r, c); });
  router.add("GET", p + "/otp", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return otpPage(r, c); });
  router.add("POST", p + "/otp", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return otpSubmit(r, c); });
  router.add("POST", p + "/logout", Interaction::kPublic, "",
             [this](const http::Request& r, RequestContext& c) { return logout(r, c); });
  router.addErrorRenderer(p + "/", [this](const Error& e, const RequestContext& c) {
    return renderError(e, c);
  });
}

Result<std::optional<PortalAuth::CurrentSession>> PortalAuth::currentSession(
    const http::Request& request, int64_t nowMs) {
  for (std::string& id : cookieValues(request.headers, area_.cookieName)) {
    if (id.empty() || id.size() > kMaxCookieValueBytes) continue;
    Result<store::SessionRecord> found = sessions_.session(handleOf(id), nowMs);
    if (found) return std::optional<CurrentSession>(CurrentSession{std::move(id), std::move(*found)});
    if (found.error().kind != ErrorKind::kNotFound) return found.takeError();
  }
  return std::optional<CurrentSession>();
}

Result<store::SessionRecord> PortalAuth::newAnonymousSession(int64_t nowMs, std::string& sessionId) {
  Result<std::string> id = oauth::randomToken(kSessionIdBytes);
  if (!id) return id.takeError();
  Result<std::string> csrf = oauth::randomToken(kSessionIdBytes);
  if (!csrf) return csrf.takeError();
  store::SessionRecord session;
  session.handle = handleOf(*id);
  session.state = store::SessionState::kAnonymous;
  session.csrfToken = std::move(*csrf);
  session.createdMs = nowMs;
  session.lastSeenMs = nowMs;
  session.expiresMs = nowMs + int64_t{config_.portalSessionSeconds} * 1000;
  MES_RETURN_IF_ERROR(sessions_.createSession(session));
  sessionId = std::move(*id);
  return session;
}

Status PortalAuth::resetToAnonymous(const store::SessionRecord& session, int64_t nowMs) {
  store::SessionRecord reset = session;
  reset.state = store::SessionState::kAnonymous;
  reset.accountId.clear();
  reset.otpHash.clear();
  reset.otpExpiresMs = 0;
  reset.otpAttempts = 0;
  reset.lastSeenMs = nowMs;
  reset.expiresMs = nowMs + int64_t{config_.portalSessionSeconds} * 1000;
  return sessions_.updateSession(reset, nowMs);
}

std::optional<PortalSession> PortalAuth::authenticated(const http::Request& request) {
  const int64_t now = clock_.nowMs();
  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) {
    logger_.error("portal session lookup failed", {{"detail", current.error().detail}});
    return std::nullopt;
  }
  if (!*current || (*current)->record.state != store::SessionState::kAuthenticated) {
    return std::nullopt;
  }
  store::SessionRecord& record = (*current)->record;
  Result<store::AccountRecord> account = accounts_.account(record.accountId);
  if (!account || !area_.admits(account->role)) return std::nullopt;
  if (now - record.lastSeenMs >= kSessionRenewIntervalMs) {
    record.lastSeenMs = now;
    record.expiresMs = now + int64_t{config_.portalSessionSeconds} * 1000;
    Status renewed = sessions_.updateSession(record, now);
    if (!renewed) logger_.warn("portal session renewal failed", {{"detail", renewed.error().detail}});
  }
  PortalSession session;
  session.accountId = account->accountId;
  session.login = account->login;
  session.patientId = account->patientId;
  session.role = account->role;
  session.csrfToken = record.csrfToken;
  return session;
}

bool PortalAuth::csrfValid(const PortalSession& session, const Form& form) const {
  const std::string& given = http::firstValue(form, "csrf");
  return !given.empty() && !session.csrfToken.empty() &&
         oauth::constantTimeEquals(given, session.csrfToken);
}

http::Response PortalAuth::redirectToLogin(const std::string& pathAndQuery) const {
  return seeOther(area_.prefix + "/login?next=" +
                  http::percentEncode(safeAreaPath(pathAndQuery, area_.prefix)));
}

Result<store::AccountRecord> PortalAuth::createPatientAccount(const std::string& login,
                                                              const std::string& password,
                                                              const std::string& patientId) {
  NewAccount account;
  account.login = login;
  account.password = password;
  account.role = "patient";
  account.patientId = patientId;
  return createAccount(accounts_, account, clock_.nowMs());
}

Result<std::string> PortalAuth::dummyHash() {
  std::lock_guard lock(dummyMutex_);
  if (dummyHash_.empty()) {
    Result<std::string> password = oauth::randomToken(32);
    if (!password) return password.takeError();
    Result<std::string> hash = oauth::hashPassword(*password);
    if (!hash) return hash.takeError();
    dummyHash_ = std::move(*hash);
  }
  return dummyHash_;
}

void PortalAuth::emit(LoginEvent::Kind kind, std::string reason,
                      const store::AccountRecord* account, const http::Request& request,
                      const RequestContext& context, int64_t nowMs) {
  LoginEvent event;
  event.kind = kind;
  event.reason = std::move(reason);
  if (account != nullptr) {
    event.accountId = account->accountId;
    event.login = account->login;
    event.patientId = account->patientId;
  }
  event.remoteAddress = request.remoteAddress;
  event.requestId = context.requestId;
  event.timeMs = nowMs;
  const LogLevel level =
      kind == LoginEvent::Kind::kLoginSucceeded ? LogLevel::kInfo : LogLevel::kWarn;
  if (logger_.enabled(level)) {
    logger_.log(level, "portal login event",
                {{"event", std::string(loginEventName(kind))},
                 {"reason", event.reason},
                 {"account_id", event.accountId},
                 {"request_id", event.requestId},
                 {"remote", event.remoteAddress}});
  }
  if (onEvent_) onEvent_(event);
}

// --- pages ----------------------------------------------------------------------------------

http::Response PortalAuth::seeOther(const std::string& pathAndQuery) const {
  return gateway::seeOther(config_.baseUrl() + pathAndQuery);
}

http::Response PortalAuth::loginForm(int status, const std::string& csrf, const std::string& next,
                                     const std::string& message, const std::string& login) const {
  std::string body = "<h1>" + escapeHtml(area_.titleFr) + "</h1>\n";
  if (!message.empty()) {
    body += "<p class=\"error\" role=\"alert\">" + escapeHtml(message) + "</p>\n";
  }
  body +=
      "<form method=\"post\" action=\"" + area_.prefix + "/login\">\n"
      "<input type=\"hidden\" name=\"csrf\" value=\"" + escapeHtml(csrf) + "\">\n"
      "<input type=\"hidden\" name=\"next\" value=\"" + escapeHtml(next) + "\">\n"
      "<label for=\"login\">Identifiant</label>\n"
      "<input type=\"text\" id=\"login\" name=\"login\" autocomplete=\"username\" "
      "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" + escapeHtml(login) +
      "\">\n"
      "<label for=\"password\">Mot de passe</label>\n"
      "<input type=\"password\" id=\"password\" name=\"password\" "
      "autocomplete=\"current-password\" required>\n"
      "<button type=\"submit\">Se connecter</button>\n"
      "</form>\n"
      "<p class=\"muted\"><small>Un code \u00e0 usage unique vous sera ensuite envoy\u00e9 pour "
      "confirmer la connexion.</small></p>";
  return htmlResponse(status, page("Connexion", body));
}

http::Response PortalAuth::otpForm(int status, const std::string& csrf, const std::string& next,
                                   const std::string& message) const {
  std::string body = "<h1>Code de connexion</h1>\n";
  if (!message.empty()) {
    body += "<p class=\"error\" role=\"alert\">" + escapeHtml(message) + "</p>\n";
  }
  body += "<p class=\"info\">Un code \u00e0 " + std::to_string(kOtpDigits) +
          " chiffres vient de vous \u00eatre envoy\u00e9. Il est valable " +
          minutesText(config_.portalOtpSeconds) + ".</p>\n"
          "<form method=\"post\" action=\"" + area_.prefix + "/otp\">\n"
          "<input type=\"hidden\" name=\"csrf\" value=\"" + escapeHtml(csrf) + "\">\n"
          "<input type=\"hidden\" name=\"next\" value=\"" + escapeHtml(next) + "\">\n"
          "<label for=\"code\">Code re\u00e7u</label>\n"
          "<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" "
          "autocomplete=\"one-time-code\" pattern=\"[0-9]{" + std::to_string(kOtpDigits) +
          "}\" maxlength=\"" + std::to_string(kOtpDigits) + "\" required>\n"
          "<button type=\"submit\">Valider</button>\n"
          "</form>\n"
          "<p><a href=\"" + area_.prefix + "/login?next=" + escapeHtml(http::percentEncode(next)) +
          "\">Recommencer la connexion</a></p>";
  return htmlResponse(status, page("Code de connexion", body));
}

http::Response PortalAuth::forbiddenPage(const std::string& next) const {
  const std::string body =
      "<h1>Formulaire expir\u00e9</h1>\n<p class=\"error\" role=\"alert\">Ce formulaire n'est "
      "plus valide (session expir\u00e9e ou formulaire envoy\u00e9 depuis un autre site). Aucune "
      "action n'a \u00e9t\u00e9 effectu\u00e9e.</p>\n<p><a href=\"" + area_.prefix + "/login?next=" +
      escapeHtml(http::percentEncode(next)) + "\">Revenir \u00e0 la connexion</a></p>";
  return htmlResponse(403, page("Formulaire expir\u00e9", body));
}

http::Response PortalAuth::tooManyPage(int64_t retryAfterSeconds, const std::string& message) const {
  const std::string body = "<h1>Connexion temporairement impossible</h1>\n"
                           "<p class=\"error\" role=\"alert\">" +
                           escapeHtml(message) + "</p>";
  http::Response response = htmlResponse(429, page("Connexion temporairement impossible", body));
  response.headers.set("Retry-After", std::to_string(retryAfterSeconds));
  return response;
}

http::Response PortalAuth::renderError(const Error& error, const RequestContext& context) const {
  std::string title;
  std::string message;
  switch (error.kind) {
    case ErrorKind::kNotFound:
      title = "Page introuvable";
      message = "Cette page n'existe pas.";
      break;
    case ErrorKind::kMethodNotAllowed:
      title = "Action non permise";
      message = "Cette page ne peut pas \u00eatre demand\u00e9e de cette fa\u00e7on.";
      break;
    case ErrorKind::kTooLarge:
      title = "Envoi trop volumineux";
      message = "Les donn\u00e9es envoy\u00e9es d\u00e9passent la taille permise.";
      break;
    case ErrorKind::kUnauthorized:
      title = "Connexion requise";
      message = "Connectez-vous pour acc\u00e9der \u00e0 cette page.";
      break;
    case ErrorKind::kForbidden:
      title = "Acc\u00e8s refus\u00e9";
      message = "Vous n'avez pas acc\u00e8s \u00e0 cette page.";
      break;
    case ErrorKind::kUnavailable:
      title = "Service momentan\u00e9ment indisponible";
      message = "R\u00e9essayez dans quelques instants.";
      break;
    case ErrorKind::kInvalid:
    case ErrorKind::kUnprocessable:
      title = "Demande invalide";
      message = "La demande n'a pas pu \u00eatre comprise.";
      break;
    default:
      title = "Erreur";
      message = "Une erreur est survenue. R\u00e9essayez plus tard.";
      break;
  }
  const int status = httpStatusOf(error.kind);
  if (status >= 500) {
    logger_.error("portal error", {{"request_id", context.requestId},
                                   {"code", error.code()},
                                   {"detail", error.detail}});
  }
  http::Response response = messagePage(status, title, message);
  if (error.kind == ErrorKind::kUnavailable) response.headers.set("Retry-After", "1");
  return response;
}

// GET <area>/login
http::Response PortalAuth::loginPage(const http::Request& request, RequestContext& context) {
  const int64_t now = clock_.nowMs();
  const std::string next = safeAreaPath(http::firstValue(request.query, "next"), area_.prefix);
  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) return renderError(current.error(), context);
  if (*current) {
    const store::SessionRecord& record = (*current)->record;
    if (record.state != store::SessionState::kAuthenticated) {
      return loginForm(200, record.csrfToken, next, "", "");
    }
    Result<store::AccountRecord> account = accounts_.account(record.accountId);
    if (account && area_.admits(account->role)) return seeOther(next);
    // The session of an account this area does not admit (another area's cookie value put
    // under this one): start afresh rather than send the visitor back and forth.
  }
  std::string sessionId;
  Result<store::SessionRecord> created = newAnonymousSession(now, sessionId);
  if (!created) return renderError(created.error(), context);
  http::Response response = loginForm(200, created->csrfToken, next, "", "");
  response.headers.set("Set-Cookie", sessionCookie(area_, sessionId, config_.tls()));
  return response;
}

// POST <area>/login
http::Response PortalAuth::loginSubmit(const http::Request& request, RequestContext& context) {
  const int64_t now = clock_.nowMs();
  const Form form = http::parseForm(request.body);
  const std::string next = safeAreaPath(http::firstValue(form, "next"), area_.prefix);

  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) return renderError(current.error(), context);
  const std::string& csrf = http::firstValue(form, "csrf");
  if (!*current || csrf.empty() ||
      !oauth::constantTimeEquals(csrf, (*current)->record.csrfToken)) {
    return forbiddenPage(next);
  }
  const CurrentSession& session = **current;

  // Per-address limit, before any password is checked.
  const std::string& address = request.remoteAddress;
  const int64_t windowStart = now - now % kAddressWindowMs;
  Result<int64_t> recent = throttle_.addressFailures(address, windowStart);
  if (!recent) return renderError(recent.error(), context);
  if (*recent >= kAddressFailuresPerWindow) {
    emit(LoginEvent::Kind::kLoginFailed, "rate-limited", nullptr, request, context, now);
    const int64_t retryAfter = ceilSeconds(windowStart + kAddressWindowMs - now);
    return tooManyPage(retryAfter, "Trop de tentatives de connexion depuis votre adresse. "
                                   "R\u00e9essayez dans " + minutesText(retryAfter) + ".");
  }

  const std::string login = trimmed(http::firstValue(form, "login"));
  const std::string& password = http::firstValue(form, "password");
  const std::string& csrfToken = session.record.csrfToken;
  if (login.empty() || password.empty()) {
    return loginForm(401, csrfToken, next, kGenericFailure, login);
  }
  auto countAddressFailure = [&]() -> Status {
    Result<int64_t> counted = throttle_.recordAddressFailure(address, windowStart);
    return counted.status();
  };

  Result<store::AccountRecord> found = accounts_.accountByLogin(login);
  if (!found && found.error().kind != ErrorKind::kNotFound) {
    return renderError(found.error(), context);
  }
  // Only the area's roles log in here; any other login costs the same password check.
  if (!found || !area_.admits(found->role)) {
    Result<std::string> dummy = dummyHash();
    if (!dummy) return renderError(dummy.error(), context);
    (void)oauth::verifyPassword(password, *dummy);
    Status counted = countAddressFailure();
    if (!counted) return renderError(counted.error(), context);
    emit(LoginEvent::Kind::kLoginFailed, "unknown-login", nullptr, request, context, now);
    return loginForm(401, csrfToken, next, kGenericFailure, login);
  }
  store::AccountRecord account = std::move(*found);

  auto lockedPage = [&](int64_t lockedUntilMs) {
    const int64_t retryAfter = ceilSeconds(lockedUntilMs - now);
    return tooManyPage(retryAfter,
                       "Ce compte est temporairement bloqu\u00e9 apr\u00e8s plusieurs "
                       "tentatives de connexion infructueuses. R\u00e9essayez dans " +
                           minutesText(retryAfter) + ".");
  };
  if (now < account.lockedUntilMs) {
    Status counted = countAddressFailure();
    if (!counted) return renderError(counted.error(), context);
    emit(LoginEvent::Kind::kLoginFailed, "locked", &account, request, context, now);
    return lockedPage(account.lockedUntilMs);
  }

  Status verified = oauth::verifyPassword(password, account.passwordHash);
  if (!verified) {
    if (verified.error().kind != ErrorKind::kUnauthorized) {
      return renderError(verified.error(), context);  // an unreadable stored hash: 500
    }
    Result<store::AccountRecord> failed =
        accounts_.recordLoginFailure(account.accountId, config_.portalMaxLoginFailures,
                                     int64_t{config_.portalLockoutSeconds} * 1000, now);
    if (!failed) return renderError(failed.error(), context);
    Status counted = countAddressFailure();
    if (!counted) return renderError(counted.error(), context);
    emit(LoginEvent::Kind::kLoginFailed, "wrong-password", &account, request, context, now);
    if (now < failed->lockedUntilMs) {
      // Either this attempt set the lock, or a concurrent one did meanwhile.
      if (failed->lockedUntilMs == now + int64_t{config_.portalLockoutSeconds} * 1000) {
        emit(LoginEvent::Kind::kAccountLocked, "", &account, request, context, now);
      }
      return lockedPage(failed->lockedUntilMs);
    }
    return loginForm(401, csrfToken, next, kGenericFailure, login);
  }

  // The password is right.
  if (oauth::needsRehash(account.passwordHash)) {
    Result<std::string> rehashed = oauth::hashPassword(password);
    Status stored = rehashed ? accounts_.setPasswordHash(account.accountId, *rehashed, now)
                             : rehashed.status();
    if (!stored) {
      logger_.warn("password rehash failed",
                   {{"request_id", context.requestId}, {"detail", stored.error().detail}});
    }
  }
  if (account.failedLogins > 0) {
    Result<store::AccountRecord> reset = accounts_.recordLoginSuccess(account.accountId, now);
    if (!reset) return renderError(reset.error(), context);
  }

  Result<std::string> code = oauth::oneTimeCode(kOtpDigits);
  if (!code) return renderError(code.error(), context);
  Result<std::string> nextId = oauth::randomToken(kSessionIdBytes);
  if (!nextId) return renderError(nextId.error(), context);
  Result<std::string> nextCsrf = oauth::randomToken(kSessionIdBytes);
  if (!nextCsrf) return renderError(nextCsrf.error(), context);

  outbox::Notification notification;
  notification.recipient = account.role == "patient" ? account.patientId : account.login;
  notification.kind = "login-code";
  notification.subject = area_.codeSubjectFr;
  notification.body = "Votre code de connexion est " + *code + ". Il est valable " +
                      minutesText(config_.portalOtpSeconds) +
                      ".\nNe le communiquez \u00e0 personne : Mon espace sant\u00e9 ne vous le "
                      "demandera jamais par t\u00e9l\u00e9phone.\nSi vous n'\u00eates pas \u00e0 "
                      "l'origine de cette demande, changez votre mot de passe.";
  notification.data = {{"code", *code}};
  Result<std::string> sent = outbox_.send(notification);
  if (!sent) return renderError(sent.error(), context);

  store::SessionRecord pending;
  pending.handle = handleOf(*nextId);
  pending.state = store::SessionState::kOtpPending;
  pending.accountId = account.accountId;
  pending.csrfToken = std::move(*nextCsrf);
  pending.otpHash = otpHashOf(*nextId, *code);
  pending.otpExpiresMs = now + int64_t{config_.portalOtpSeconds} * 1000;
  pending.otpAttempts = 0;
  pending.createdMs = now;
  pending.lastSeenMs = now;
  pending.expiresMs = now + int64_t{config_.portalSessionSeconds} * 1000;
  Status replaced = sessions_.replaceSession(session.record.handle, pending, now);
  if (!replaced) {
    if (replaced.error().kind == ErrorKind::kNotFound) return forbiddenPage(next);
    return renderError(replaced.error(), context);
  }
  oauth::secureWipe(*code);
  http::Response response = seeOther(area_.prefix + "/otp?next=" + http::percentEncode(next));
  response.headers.set("Set-Cookie", sessionCookie(area_, *nextId, config_.tls()));
  return response;
}

// GET <area>/otp
http::Response PortalAuth::otpPage(const http::Request& request, RequestContext& context) {
  const int64_t now = clock_.nowMs();
  const std::string next = safeAreaPath(http::firstValue(request.query, "next"), area_.prefix);
  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) return renderError(current.error(), context);
  if (!*current || (*current)->record.state != store::SessionState::kOtpPending) {
    return redirectToLogin(next);
  }
  return otpForm(200, (*current)->record.csrfToken, next, "");
}

// POST <area>/otp
http::Response PortalAuth::otpSubmit(const http::Request& request, RequestContext& context) {
  const int64_t now = clock_.nowMs();
  const Form form = http::parseForm(request.body);
  const std::string next = safeAreaPath(http::firstValue(form, "next"), area_.prefix);
  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) return renderError(current.error(), context);
  const std::string& csrf = http::firstValue(form, "csrf");
  if (!*current || csrf.empty() ||
      !oauth::constantTimeEquals(csrf, (*current)->record.csrfToken)) {
    return forbiddenPage(next);
  }
  const CurrentSession& session = **current;
  if (session.record.state != store::SessionState::kOtpPending) return redirectToLogin(next);

  Result<store::AccountRecord> account = accounts_.account(session.record.accountId);
  if (!account) return renderError(account.error(), context);

  auto backToLogin = [&](const std::string& reason, const std::string& message) {
    emit(LoginEvent::Kind::kOtpFailed, reason, &*account, request, context, now);
    Status reset = resetToAnonymous(session.record, now);
    if (!reset && reset.error().kind != ErrorKind::kNotFound) {
      return renderError(reset.error(), context);
    }
    return loginForm(401, session.record.csrfToken, next, message, account->login);
  };
  if (now >= session.record.otpExpiresMs) {
    return backToLogin("otp-expired", "Le code a expir\u00e9. Connectez-vous \u00e0 nouveau.");
  }
  // Count the attempt before comparing, so that concurrent guesses cannot exceed the limit.
  Result<store::SessionRecord> counted = sessions_.countOtpAttempt(session.record.handle, now);
  if (!counted) {
    if (counted.error().kind == ErrorKind::kNotFound) return redirectToLogin(next);
    return renderError(counted.error(), context);
  }
  const std::string tooMany =
      "Trop de codes erron\u00e9s. Connectez-vous \u00e0 nouveau pour recevoir un nouveau code.";
  if (counted->otpAttempts > kMaxOtpAttempts) return backToLogin("otp-too-many", tooMany);

  const std::string code = withoutSpaces(http::firstValue(form, "code"));
  const bool right = !code.empty() && code.size() <= 32 &&
                     oauth::constantTimeEquals(otpHashOf(session.id, code), counted->otpHash);
  if (!right) {
    if (counted->otpAttempts >= kMaxOtpAttempts) return backToLogin("otp-too-many", tooMany);
    emit(LoginEvent::Kind::kOtpFailed, "otp-wrong", &*account, request, context, now);
    const int64_t left = kMaxOtpAttempts - counted->otpAttempts;
    return otpForm(401, session.record.csrfToken, next,
                   "Code incorrect. Il vous reste " + std::to_string(left) +
                       (left > 1 ? " essais." : " essai."));
  }

  Result<std::string> nextId = oauth::randomToken(kSessionIdBytes);
  if (!nextId) return renderError(nextId.error(), context);
  Result<std::string> nextCsrf = oauth::randomToken(kSessionIdBytes);
  if (!nextCsrf) return renderError(nextCsrf.error(), context);
  store::SessionRecord authenticatedSession;
  authenticatedSession.handle = handleOf(*nextId);
  authenticatedSession.state = store::SessionState::kAuthenticated;
  authenticatedSession.accountId = account->accountId;
  authenticatedSession.csrfToken = std::move(*nextCsrf);
  authenticatedSession.createdMs = now;
  authenticatedSession.lastSeenMs = now;
  authenticatedSession.expiresMs = now + int64_t{config_.portalSessionSeconds} * 1000;
  Status replaced = sessions_.replaceSession(session.record.handle, authenticatedSession, now);
  if (!replaced) {
    if (replaced.error().kind == ErrorKind::kNotFound) return redirectToLogin(next);
    return renderError(replaced.error(), context);
  }
  emit(LoginEvent::Kind::kLoginSucceeded, "", &*account, request, context, now);
  http::Response response = seeOther(next);
  response.headers.set("Set-Cookie", sessionCookie(area_, *nextId, config_.tls()));
  return response;
}

// POST <area>/logout
http::Response PortalAuth::logout(const http::Request& request, RequestContext& context) {
  const int64_t now = clock_.nowMs();
  const Form form = http::parseForm(request.body);
  Result<std::optional<CurrentSession>> current = currentSession(request, now);
  if (!current) return renderError(current.error(), context);
  const std::string& csrf = http::firstValue(form, "csrf");
  if (!*current || csrf.empty() ||
      !oauth::constantTimeEquals(csrf, (*current)->record.csrfToken)) {
    return forbiddenPage(area_.prefix + "/");
  }
  Status deleted = sessions_.deleteSession((*current)->record.handle);
  if (!deleted) return renderError(deleted.error(), context);
  http::Response response = seeOther(area_.prefix + "/login");
  response.headers.set("Set-Cookie", clearedSessionCookie(area_, config_.tls()));
  return response;
}

}  // namespace mes::gateway

#include "gateway/authorization_server.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "fhir/types/datetime.h"
#include "gateway/fhir_response.h"
#include "gateway/html.h"
#include "oauth/api_access.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/jws.h"
#include "oauth/crypto/random.h"
#include "oauth/pkce.h"

namespace mes::gateway {

using Form = std::vector<std::pair<std::string, std::string>>;

std::string secretHandle(std::string_view secret) {
  return oauth::base64UrlEncode(oauth::sha256(secret));
}

std::string familyIdForCode(std::string_view code) {
  // Another hash than the stored handle: knowing a family id (it is in every access token)
  // tells nothing about the code, and vice versa.
  return oauth::base64UrlEncode(oauth::sha256("grant-family:" + std::string(code))).substr(0, 32);
}

struct AuthorizationServer::Request {
  store::ServiceRecord service;
  std::string redirectUri;
  std::string state;
  std::string codeChallenge;
  std::string nonce;
  oauth::ScopeSet requested;
  oauth::ScopeSet allowed;  // by the registry
  std::vector<const oauth::ApiAccess*> offered;
  Form params;  // the request's parameters, normalised, for the consent form
};

struct AuthorizationServer::Failure {
  bool redirect = false;  // false: an error page, never a redirect
  int status = 400;
  std::string error;
  std::string description;
  std::string redirectUri;
  std::string state;
};

struct AuthorizationServer::Client {
  store::ServiceRecord service;
  bool authenticatedWithAssertion = false;
};

namespace {

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr size_t kMaxStateBytes = 1024;
constexpr size_t kMaxNonceBytes = 256;
constexpr int64_t kCodeLifetimeMs = 60'000;
constexpr const char* kInsSystem = "urn:oid:1.2.250.1.213.1.4.8";

fhir::Value strings(std::initializer_list<const char*> values) {
  fhir::Value a = fhir::Value::array();
  for (const char* v : values) a.push(fhir::Value::string(v));
  return a;
}

http::Response jsonResponse(int status, const fhir::Value& body) {
  http::Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = fhir::toJson(body);
  return r;
}

// RFC 6749 §5.1/§5.2: token responses and errors are never cached.
http::Response noStore(http::Response r) {
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Pragma", "no-cache");
  return r;
}

http::Response oauthError(int status, const std::string& error, const std::string& description) {
  fhir::Value body = fhir::Value::object();
  body.set("error", fhir::Value::string(error));
  body.set("error_description", fhir::Value::string(description));
  http::Response r = noStore(jsonResponse(status, body));
  if (status == 401) r.headers.set("WWW-Authenticate", "Basic realm=\"mes-gateway\"");
  return r;
}

std::string withParams(const std::string& uri, const Form& params) {
  std::string out = uri;
  char sep = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    out += sep;
    out += http::percentEncode(name) + "=" + http::percentEncode(value);
    sep = '&';
  }
  return out;
}

std::string actionText(const oauth::ApiAccess& access) {
  return "<strong>" + escapeHtml(access.labelFr) + "</strong> — " +
         escapeHtml(access.descriptionFr) + "<br><small lang=\"en\">" +
         escapeHtml(access.labelEn) + ": " + escapeHtml(access.descriptionEn) + "</small>";
}

}  // namespace

AuthorizationServer::AuthorizationServer(const Config& config, OAuthStores stores,
                                         oauth::SigningKeyStore& keys, AccessTokens& tokens,
                                         TokenAccessPolicy& policy, PairingStore& pairings,
                                         store::Repository& repository, PortalAuth& portal,
                                         AuditTrail& audit, outbox::Outbox& outbox,
                                         const Clock& clock, IdGenerator& ids, Logger& logger)
    : config_(config),
      stores_(stores),
      keys_(keys),
      tokens_(tokens),
      policy_(policy),
      pairings_(pairings),
      repository_(repository),
      portal_(portal),
      audit_(audit),
      outbox_(outbox),
      clock_(clock),
      ids_(ids),
      logger_(logger),
      issuer_(config.baseUrl()),
      fhirBase_(config.fhirBase()) {}

void AuthorizationServer::registerRoutes(Router& router) {
  auto bind = [this](http::Response (AuthorizationServer::*fn)(const http::Request&,
                                                               RequestContext&)) {
    return [this, fn](const http::Request& r, RequestContext& c) { return (this->*fn)(r, c); };
  };
  router.add("GET", "/fhir/.well-known/smart-configuration", Interaction::kPublic, "",
             [this](const http::Request&, RequestContext&) {
               return discovery(smartConfiguration());
             });
  router.add("GET", "/.well-known/openid-configuration", Interaction::kPublic, "",
             [this](const http::Request&, RequestContext&) {
               return discovery(openidConfiguration());
             });
  router.add("GET", "/oauth/authorize", Interaction::kPublic, "", bind(&AuthorizationServer::authorize));
  router.add("POST", "/oauth/authorize", Interaction::kPublic, "", bind(&AuthorizationServer::authorize));
  router.add("POST", "/oauth/token", Interaction::kPublic, "", bind(&AuthorizationServer::token));
  router.add("POST", "/oauth/introspect", Interaction::kPublic, "", bind(&AuthorizationServer::introspect));
  router.add("POST", "/oauth/revoke", Interaction::kPublic, "", bind(&AuthorizationServer::revoke));
  router.add("GET", "/oauth/jwks", Interaction::kPublic, "", bind(&AuthorizationServer::jwks));
  router.add("DELETE", "/oauth/pairing", Interaction::kPublic, "", bind(&AuthorizationServer::endOwnPairing));
  router.add("GET", "/portal/consent", Interaction::kPublic, "", bind(&AuthorizationServer::consentPage));
  router.add("POST", "/portal/consent", Interaction::kPublic, "", bind(&AuthorizationServer::consentDecision));
  router.add("GET", "/portal", Interaction::kPublic, "", bind(&AuthorizationServer::portalHome));
  router.add("GET", "/portal/activity", Interaction::kPublic, "", bind(&AuthorizationServer::portalActivity));
  router.add("POST", "/portal/pairings/{id}/revoke", Interaction::kPublic, "",
             bind(&AuthorizationServer::portalRevoke));
  router.add("GET", "/fhir/Consent", Interaction::kSearch, "Consent", bind(&AuthorizationServer::searchConsent));
  router.add("GET", "/fhir/Consent/{id}", Interaction::kRead, "Consent", bind(&AuthorizationServer::readConsent));
  router.addErrorRenderer("/oauth/", [](const Error& e, const RequestContext&) {
    const int status = httpStatusOf(e.kind);
    const std::string& message = e.problems.empty() ? e.detail : e.problems.front().message;
    return oauthError(status == 401 ? 400 : status,
                      status >= 500 ? "server_error" : "invalid_request", message);
  });
}

// --- discovery -----------------------------------------------------------------------------

fhir::Value AuthorizationServer::openidConfiguration() const {
  fhir::Value d = fhir::Value::object();
  d.set("issuer", fhir::Value::string(issuer_));
  d.set("authorization_endpoint", fhir::Value::string(issuer_ + "/oauth/authorize"));
  d.set("token_endpoint", fhir::Value::string(issuer_ + "/oauth/token"));
  d.set("introspection_endpoint", fhir::Value::string(issuer_ + "/oauth/introspect"));
  d.set("revocation_endpoint", fhir::Value::string(issuer_ + "/oauth/revoke"));
  d.set("jwks_uri", fhir::Value::string(issuer_ + "/oauth/jwks"));
  d.set("response_types_supported", strings({"code"}));
  d.set("response_modes_supported", strings({"query"}));
  d.set("grant_types_supported", strings({"authorization_code", "refresh_token"}));
  d.set("code_challenge_methods_supported", strings({"S256"}));
  d.set("token_endpoint_auth_methods_supported", strings({"none", "private_key_jwt"}));
  d.set("token_endpoint_auth_signing_alg_values_supported", strings({"ES384", "RS384"}));
  d.set("introspection_endpoint_auth_methods_supported", strings({"none", "private_key_jwt"}));
  d.set("revocation_endpoint_auth_methods_supported", strings({"none", "private_key_jwt"}));
  d.set("id_token_signing_alg_values_supported", strings({"ES256"}));
  d.set("subject_types_supported", strings({"public"}));
  d.set("authorization_response_iss_parameter_supported", fhir::Value::boolean(true));
  d.set("claims_supported", strings({"iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser", "ins"}));
  fhir::Value scopes = fhir::Value::array();
  for (const char* s : {"openid", "fhirUser", "launch/patient", "offline_access"}) {
    scopes.push(fhir::Value::string(s));
  }
  for (const auto& access : oauth::mesApiAccesses()) {
    auto set = oauth::ScopeSet::parse(access.scopes);
    if (!set) continue;
    for (const auto& rs : *set) {
      const std::string s = "patient/" + rs.resourceType + "." + oauth::permissionLetters(rs.permissions);
      bool seen = false;
      for (const auto& v : scopes.items()) seen |= v.text() == s;
      if (!seen) scopes.push(fhir::Value::string(s));
    }
  }
  d.set("scopes_supported", std::move(scopes));
  return d;
}

fhir::Value AuthorizationServer::smartConfiguration() const {
  fhir::Value d = openidConfiguration();
  d.set("capabilities",
        strings({"launch-standalone", "client-public", "client-confidential-asymmetric",
                 "context-standalone-patient", "permission-patient", "permission-offline",
                 "permission-v1", "permission-v2", "sso-openid-connect"}));
  return d;
}

http::Response AuthorizationServer::discovery(const fhir::Value& document) const {
  http::Response r = jsonResponse(200, document);
  r.headers.set("Cache-Control", "public, max-age=300");
  return r;
}

http::Response AuthorizationServer::jwks(const http::Request&, RequestContext&) {
  auto set = keys_.jwks();
  if (!set) return oauthError(503, "temporarily_unavailable", "The signing keys are unavailable.");
  http::Response r = jsonResponse(200, *set);
  r.headers.set("Content-Type", "application/jwk-set+json");
  // Short: a rotation publishes the new key at once and clients refetch on an unknown kid.
  r.headers.set("Cache-Control", "public, max-age=60");
  return r;
}

// --- authorization requests ------------------------------------------------------------------

Result<AuthorizationServer::Request> AuthorizationServer::validate(const Form& params,
                                                                   Failure& failure) {
  auto fail = [&](bool redirect, std::string error, std::string description) -> Error {
    failure.redirect = redirect;
    failure.error = std::move(error);
    failure.description = std::move(description);
    return Error::make(ErrorKind::kInvalid, "authorization-request-invalid", failure.description);
  };
  for (const char* name : {"client_id", "redirect_uri"}) {
    if (http::countOf(params, name) > 1) {
      return fail(false, "invalid_request", std::string("The parameter ") + name + " is repeated.");
    }
  }
  const std::string& clientId = http::firstValue(params, "client_id");
  if (clientId.empty()) return fail(false, "invalid_request", "client_id is missing.");
  auto service = stores_.services.service(clientId);
  if (!service) {
    if (service.error().kind == ErrorKind::kNotFound) {
      return fail(false, "invalid_client", "No service is registered with this client_id.");
    }
    failure.status = 503;
    return fail(false, "temporarily_unavailable", "The service registry is unavailable.");
  }
  if (service->status != "referenced") {
    return fail(false, "unauthorized_client",
                "The service \"" + service->name + "\" is not referenced in the catalogue (status " +
                    service->status + "); it cannot be paired.");
  }
  const std::string& redirectUri = http::firstValue(params, "redirect_uri");
  if (redirectUri.empty()) return fail(false, "invalid_request", "redirect_uri is missing.");
  if (std::find(service->redirectUris.begin(), service->redirectUris.end(), redirectUri) ==
      service->redirectUris.end()) {
    return fail(false, "invalid_request",
                "redirect_uri is not one registered for this service (exact match required).");
  }
  // From here on, errors go back to the app.
  failure.redirectUri = redirectUri;
  const std::string& state = http::firstValue(params, "state");
  if (http::countOf(params, "state") <= 1 && state.size() <= kMaxStateBytes) failure.state = state;
  for (const char* name : {"response_type", "scope", "state", "code_challenge",
                           "code_challenge_method", "aud", "nonce"}) {
    if (http::countOf(params, name) > 1) {
      return fail(true, "invalid_request", std::string("The parameter ") + name + " is repeated.");
    }
  }
  const std::string& responseType = http::firstValue(params, "response_type");
  if (responseType != "code") {
    return fail(true, "unsupported_response_type", "Only response_type=code is supported.");
  }
  if (state.empty()) return fail(true, "invalid_request", "state is missing (it is required).");
  if (state.size() > kMaxStateBytes) {
    return fail(true, "invalid_request", "state is longer than 1024 characters.");
  }
  Status pkce = oauth::checkChallenge(http::firstValue(params, "code_challenge"),
                                      http::firstValue(params, "code_challenge_method"));
  if (!pkce) return fail(true, "invalid_request", pkce.error().problems.front().message);
  const std::string& aud = http::firstValue(params, "aud");
  if (aud.empty()) {
    return fail(true, "invalid_request", "aud is missing: give the FHIR base URL " + fhirBase_ + ".");
  }
  if (aud != fhirBase_ && aud != fhirBase_ + "/") {
    return fail(true, "invalid_request", "aud is not this server's FHIR base URL (" + fhirBase_ + ").");
  }
  const std::string& nonce = http::firstValue(params, "nonce");
  if (nonce.size() > kMaxNonceBytes) {
    return fail(true, "invalid_request", "nonce is longer than 256 characters.");
  }
  auto requested = oauth::ScopeSet::parse(http::firstValue(params, "scope"));
  if (!requested) {
    std::string message;
    for (const auto& p : requested.error().problems) message += (message.empty() ? "" : " ") + p.message;
    return fail(true, "invalid_scope", message);
  }
  auto allowed = oauth::ScopeSet::parse(service->allowedScopes);
  if (!allowed) {
    failure.status = 500;
    return fail(true, "server_error", "The service's allowed scopes are unreadable.");
  }
  Request r;
  r.offered = oauth::accessesRequestedBy(requested->intersect(*allowed));
  bool data = false;
  for (const auto* a : r.offered) data |= std::string_view(a->id) != "identity" && std::string_view(a->id) != "offline";
  if (!data) {
    return fail(true, "invalid_scope",
                "None of the requested scopes can be granted to this service: ask for the "
                "patient/ scopes of an MES API the service is referenced for.");
  }
  r.service = std::move(*service);
  r.redirectUri = redirectUri;
  r.state = state;
  r.codeChallenge = http::firstValue(params, "code_challenge");
  r.nonce = nonce;
  r.requested = *requested;
  r.allowed = *allowed;
  for (const char* name : {"response_type", "client_id", "redirect_uri", "scope", "state",
                           "code_challenge", "code_challenge_method", "aud", "nonce"}) {
    if (http::countOf(params, name) == 1) r.params.emplace_back(name, http::firstValue(params, name));
  }
  return r;
}

http::Response AuthorizationServer::failureResponse(const Failure& failure) const {
  if (failure.redirect) {
    Form params{{"error", failure.error}, {"error_description", failure.description}};
    if (!failure.state.empty()) params.emplace_back("state", failure.state);
    params.emplace_back("iss", issuer_);
    http::Response r;
    r.status = 302;
    r.headers.set("Location", withParams(failure.redirectUri, params));
    r.headers.set("Cache-Control", "no-store");
    return r;
  }
  std::string body = "<h1>Demande d’autorisation refusée</h1>"
                     "<p>Cette application a fait une demande que Mon espace santé ne peut pas "
                     "traiter, et vous n’avez pas été redirigé vers elle par sécurité.</p>"
                     "<p lang=\"en\"><small>The authorization request was refused: " +
                     escapeHtml(failure.error) + " — " + escapeHtml(failure.description) +
                     "</small></p><p><a href=\"/portal/\">Retour à mon espace</a></p>";
  return htmlResponse(failure.status, page("Demande refusée", body));
}

http::Response AuthorizationServer::authorize(const http::Request& request, RequestContext&) {
  // Query strings and forms are both application/x-www-form-urlencoded here ('+' is a space).
  const Form params = request.method == "POST" ? http::parseForm(request.body)
                                                : http::parseForm(request.rawQuery);
  Failure failure;
  auto valid = validate(params, failure);
  if (!valid) {
    recordOAuth({.category = "oauth", .action = "E", .subtype = kAuditAuthorizationRefused,
                 .success = false, .httpStatus = failure.redirect ? 302 : failure.status,
                 .outcomeCode = failure.error, .outcomeText = failure.description,
                 .clientId = http::firstValue(params, "client_id"),
                 .sourceAddress = request.remoteAddress});
    return failureResponse(failure);
  }
  std::string query;
  for (const auto& [name, value] : valid->params) {
    query += (query.empty() ? "" : "&") + http::percentEncode(name) + "=" + http::percentEncode(value);
  }
  return seeOther("/portal/consent?" + query);
}

// --- the consent screen ------------------------------------------------------------------------

http::Response AuthorizationServer::consentPage(const http::Request& request, RequestContext&) {
  const Form params = http::parseForm(request.rawQuery);
  Failure failure;
  auto valid = validate(params, failure);
  if (!valid) return failureResponse(failure);
  auto session = portal_.authenticated(request);
  if (!session) return portal_.redirectToLogin("/portal/consent?" + request.rawQuery);

  auto existing = pairings_.find(session->patientId, valid->service.clientId);
  const Request& r = *valid;
  std::string body = "<h1>Autoriser " + escapeHtml(r.service.name) + " ?</h1>";
  body += "<p>L’application <strong>" + escapeHtml(r.service.name) + "</strong>, éditée par <strong>" +
          escapeHtml(r.service.editorName) +
          "</strong>, référencée au catalogue de Mon espace santé, demande à accéder à votre "
          "dossier. Cochez ce que vous l’autorisez à faire. Vous pourrez retirer cette "
          "autorisation à tout moment depuis votre espace.</p>";
  body += "<p lang=\"en\"><small>" + escapeHtml(r.service.name) + " (" +
          escapeHtml(r.service.editorName) +
          ") asks for access to your record. Tick what you allow; you can revoke it at any time."
          "</small></p>";
  if (existing && *existing && (*existing)->active) {
    body += "<p class=\"note\">Vous avez déjà autorisé cette application le " +
            escapeHtml(dateTimeFr((*existing)->startedMs)) +
            " ; votre choix ci-dessous remplacera l’autorisation actuelle.</p>";
  }
  body += "<form method=\"post\" action=\"/portal/consent\">";
  for (const auto& [name, value] : r.params) {
    body += "<input type=\"hidden\" name=\"" + escapeHtml(name) + "\" value=\"" + escapeHtml(value) + "\">";
  }
  body += "<input type=\"hidden\" name=\"csrf\" value=\"" + escapeHtml(session->csrfToken) + "\">";
  body += "<fieldset><legend>Accès demandés</legend>";
  for (const auto* access : r.offered) {
    body += "<p><label><input type=\"checkbox\" name=\"access\" value=\"" + escapeHtml(access->id) +
            "\" checked> " + actionText(*access) + "</label></p>";
  }
  body += "</fieldset>";
  body += "<p><button type=\"submit\" name=\"decision\" value=\"approve\">Autoriser</button> "
          "<button type=\"submit\" name=\"decision\" value=\"deny\">Refuser</button></p></form>";
  body += "<p><small>Connecté(e) en tant que " + escapeHtml(session->login) + ".</small></p>";
  return htmlResponse(200, page("Autoriser " + r.service.name, body));
}

http::Response AuthorizationServer::redirectWithCode(const Request& request,
                                                     const std::string& code) const {
  http::Response r;
  r.status = 303;
  r.headers.set("Location", withParams(request.redirectUri,
                                       {{"code", code}, {"state", request.state}, {"iss", issuer_}}));
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::Response AuthorizationServer::consentDecision(const http::Request& request,
                                                    RequestContext& context) {
  const Form form = http::parseForm(request.body);
  auto session = portal_.authenticated(request);
  if (!session) {
    // Back to the consent page (a GET) once logged in: rebuild its query from the form.
    Form params;
    for (const auto& [name, value] : form) {
      if (name != "csrf" && name != "access" && name != "decision") params.emplace_back(name, value);
    }
    return portal_.redirectToLogin(withParams("/portal/consent", params));
  }
  if (!portal_.csrfValid(*session, form)) {
    return htmlResponse(403, page("Formulaire expiré",
                                  "<h1>Formulaire refusé</h1><p>Ce formulaire n’a pas été envoyé "
                                  "depuis votre espace ou a expiré. Rien n’a été modifié. "
                                  "Recommencez depuis l’application.</p>"));
  }
  Failure failure;
  auto valid = validate(form, failure);
  if (!valid) return failureResponse(failure);
  const Request& r = *valid;
  AuditRecord base{.category = "oauth", .patientId = session->patientId,
                   .clientId = r.service.clientId, .serviceName = r.service.name,
                   .serviceOid = r.service.editorOid, .sourceAddress = request.remoteAddress,
                   .requestId = context.requestId};
  const std::string& decision = http::firstValue(form, "decision");
  std::vector<const oauth::ApiAccess*> ticked;
  for (const auto& [name, value] : form) {
    if (name != "access") continue;
    for (const auto* offered : r.offered) {
      if (offered->id == value) ticked.push_back(offered);
    }
  }
  const oauth::ScopeSet granted = oauth::grantedScope(r.requested, r.allowed, oauth::scopesOf(ticked));
  if (decision != "approve" || !granted.hasResourceScopes()) {
    AuditRecord a = base;
    a.action = "E";
    a.subtype = kAuditPairingDenied;
    a.success = true;
    a.httpStatus = 303;
    a.outcomeText = decision == "approve" ? "nothing ticked" : "the patient refused";
    recordOAuth(a);
    Failure denied{.redirect = true, .status = 303, .error = "access_denied",
                   .description = "The patient did not authorize this access.",
                   .redirectUri = r.redirectUri, .state = r.state};
    http::Response resp = failureResponse(denied);
    resp.status = 303;
    return resp;
  }
  auto approved = pairings_.approve(session->patientId, r.service, granted);
  if (!approved) {
    logger_.error("pairing approval failed", {{"detail", approved.error().detail}});
    return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"
                                                  "<p>Votre autorisation n’a pas été enregistrée. "
                                                  "Réessayez dans un instant.</p>"));
  }
  const auto& [pairing, change] = *approved;
  if (change != PairingChange::kUnchanged) {
    AuditRecord a = base;
    a.action = change == PairingChange::kCreated ? "C" : "U";
    a.subtype = change == PairingChange::kCreated ? "pairing-created" : "pairing-updated";
    a.httpStatus = 303;
    a.resource = "Consent/" + pairing.id;
    a.outcomeText = granted.toString();
    recordOAuth(a);
    notifyPairing(pairing, change == PairingChange::kCreated ? "pairing-created" : "pairing-updated");
  }
  auto code = oauth::randomToken(32);
  if (!code) return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"));
  store::AuthorizationCode stored;
  stored.handle = secretHandle(*code);
  stored.clientId = r.service.clientId;
  stored.redirectUri = r.redirectUri;
  stored.codeChallenge = r.codeChallenge;
  stored.patientId = session->patientId;
  stored.scope = granted.toString();
  stored.nonce = r.nonce;
  stored.expiresMs = clock_.nowMs() + kCodeLifetimeMs;
  if (Status put = stores_.codes.putCode(stored); !put) {
    logger_.error("authorization code not stored", {{"detail", put.error().detail}});
    return htmlResponse(503, page("Indisponible", "<h1>Service momentanément indisponible</h1>"));
  }
  return redirectWithCode(r, *code);
}

// --- client authentication -------------------------------------------------------------------

Result<AuthorizationServer::Client> AuthorizationServer::authenticateClient(
    const Form& form, const http::Request& request, const std::string& endpoint) {
  auto invalidClient = [](const std::string& message) {
    return Error::make(ErrorKind::kUnauthorized, "invalid_client", message);
  };
  if (!request.headers.get("Authorization").empty()) {
    return invalidClient("Client secrets (HTTP Basic) are not used here: public clients send "
                         "client_id, confidential clients a private_key_jwt assertion.");
  }
  for (const char* name : {"client_id", "client_assertion", "client_assertion_type"}) {
    if (http::countOf(form, name) > 1) {
      return Error::make(ErrorKind::kInvalid, "invalid_request",
                         std::string("The parameter ") + name + " is repeated.");
    }
  }
  const std::string& clientId = http::firstValue(form, "client_id");
  const std::string& assertion = http::firstValue(form, "client_assertion");
  Client client;
  if (!assertion.empty()) {
    if (http::firstValue(form, "client_assertion_type") != kAssertionType) {
      return invalidClient(std::string("client_assertion_type must be ") + kAssertionType + ".");
    }
    auto jwt = oauth::decodeJwt(assertion);
    if (!jwt) return invalidClient("The client assertion is not a well-formed JWT.");
    const std::string* iss = jwt->claims.findString("iss");
    if (iss == nullptr || iss->empty()) return invalidClient("The client assertion has no iss.");
    if (!clientId.empty() && clientId != *iss) {
      return invalidClient("client_id differs from the client assertion's issuer.");
    }
    auto service = stores_.services.service(*iss);
    if (!service) {
      if (service.error().kind == ErrorKind::kNotFound) return invalidClient("Unknown client.");
      return service.takeError();
    }
    if (service->clientType != "confidential-asymmetric") {
      return invalidClient("This client is registered as public: it sends client_id, not an assertion.");
    }
    if (service->jwks.empty()) {
      return invalidClient("The service has no registered JWK Set to check its assertion with "
                           "(jwks_uri is not fetched by this gateway: register the JWK Set).");
    }
    auto set = fhir::parseJson(service->jwks);
    const fhir::Value* keys = set ? set->find("keys") : nullptr;
    if (keys == nullptr || !keys->isArray()) return invalidClient("The service's JWK Set is unreadable.");
    std::vector<oauth::PublicKey> candidates;
    for (const auto& jwk : keys->items()) {
      const std::string* kid = jwk.findString("kid");
      if (!jwt->kid.empty() && (kid == nullptr || *kid != jwt->kid)) continue;
      auto key = oauth::PublicKey::fromJwk(jwk);
      if (key) candidates.push_back(std::move(*key));
    }
    bool verified = false;
    for (const auto& key : candidates) {
      if (oauth::verifyJwt(*jwt, key, {oauth::JwsAlgorithm::kES384, oauth::JwsAlgorithm::kRS384})) {
        verified = true;
        break;
      }
    }
    if (!verified) {
      return invalidClient("The client assertion's signature does not verify with the service's "
                           "registered keys (ES384 or RS384).");
    }
    // aud: the token endpoint URL (SMART); the issuer or the endpoint called are accepted too.
    std::string audience = issuer_ + "/oauth/token";
    if (const fhir::Value* aud = jwt->claims.find("aud")) {
      for (const std::string& candidate : {issuer_ + "/oauth/token", issuer_, endpoint}) {
        bool match = aud->isString() && aud->text() == candidate;
        if (aud->isArray()) {
          for (const auto& a : aud->items()) match |= a.isString() && a.text() == candidate;
        }
        if (match) {
          audience = candidate;
          break;
        }
      }
    }
    oauth::ClaimExpectations expect;
    expect.issuer = *iss;
    expect.audience = audience;
    expect.nowMs = clock_.nowMs();
    expect.leewaySeconds = 30;
    expect.maxLifetimeSeconds = 300;
    expect.requireJti = true;
    expect.requireSub = true;
    if (Status claims = oauth::checkClaims(jwt->claims, expect); !claims) {
      return invalidClient("The client assertion is refused: " +
                           claims.error().problems.front().message);
    }
    const std::string* sub = jwt->claims.findString("sub");
    if (sub == nullptr || *sub != *iss) return invalidClient("The client assertion's sub must equal its iss.");
    const fhir::Value* exp = jwt->claims.find("exp");
    const int64_t expMs = (exp != nullptr ? exp->asInt().value_or(0) : 0) * 1000;
    auto first = stores_.replay.firstUse(*iss + "|" + *jwt->claims.findString("jti"),
                                         expMs + 60'000, clock_.nowMs());
    if (!first) return first.takeError();
    if (!*first) return invalidClient("This client assertion was already used (jti replay).");
    client.service = std::move(*service);
    client.authenticatedWithAssertion = true;
  } else {
    if (clientId.empty()) return invalidClient("client_id is missing.");
    auto service = stores_.services.service(clientId);
    if (!service) {
      if (service.error().kind == ErrorKind::kNotFound) return invalidClient("Unknown client.");
      return service.takeError();
    }
    if (service->clientType != "public") {
      return invalidClient("This client is confidential: authenticate with a private_key_jwt "
                           "client assertion.");
    }
    client.service = std::move(*service);
  }
  if (client.service.status != "referenced") {
    return Error::make(ErrorKind::kForbidden, "unauthorized_client",
                       "The service is not referenced (status " + client.service.status + ").");
  }
  return client;
}

namespace {

http::Response clientError(const Error& e) {
  const std::string& message = e.problems.empty() ? e.detail : e.problems.front().message;
  const std::string code = e.problems.empty() ? "server_error" : e.problems.front().code;
  if (code == "invalid_client") return oauthError(401, code, message);
  if (code == "unauthorized_client" || code == "invalid_request") return oauthError(400, code, message);
  return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
}

}  // namespace

// --- token endpoint ------------------------------------------------------------------------------

http::Response AuthorizationServer::token(const http::Request& request, RequestContext& context) {
  const std::string& type = request.headers.get("Content-Type");
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return oauthError(400, "invalid_request",
                      "The token request must be application/x-www-form-urlencoded.");
  }
  const Form form = http::parseForm(request.body);
  for (const auto& [name, value] : form) {
    if (http::countOf(form, name) > 1) {
      return oauthError(400, "invalid_request", "The parameter " + name + " is repeated.");
    }
  }
  auto client = authenticateClient(form, request, issuer_ + "/oauth/token");
  if (!client) {
    recordOAuth({.category = "oauth", .action = "E", .subtype = "token-refused", .success = false,
                 .httpStatus = 401, .outcomeCode = "invalid_client",
                 .outcomeText = client.error().problems.empty() ? client.error().detail
                                                                : client.error().problems.front().message,
                 .clientId = http::firstValue(form, "client_id"),
                 .sourceAddress = request.remoteAddress, .requestId = context.requestId});
    return clientError(client.error());
  }
  const std::string& grant = http::firstValue(form, "grant_type");
  if (grant == "authorization_code") return authorizationCodeGrant(form, *client, request, context.requestId);
  if (grant == "refresh_token") return refreshTokenGrant(form, *client, request, context.requestId);
  if (grant.empty()) return oauthError(400, "invalid_request", "grant_type is missing.");
  return oauthError(400, "unsupported_grant_type",
                    "Supported grant types: authorization_code, refresh_token.");
}

namespace {

struct Issued {
  std::string accessToken;
  std::string refreshToken;
  std::string idToken;
};

http::Response tokenResponse(const Issued& issued, const std::string& scope,
                             const std::string& patientId, int expiresIn) {
  fhir::Value body = fhir::Value::object();
  body.set("access_token", fhir::Value::string(issued.accessToken));
  body.set("token_type", fhir::Value::string("Bearer"));
  body.set("expires_in", fhir::Value::number(int64_t{expiresIn}));
  body.set("scope", fhir::Value::string(scope));
  body.set("patient", fhir::Value::string(patientId));
  if (!issued.refreshToken.empty()) body.set("refresh_token", fhir::Value::string(issued.refreshToken));
  if (!issued.idToken.empty()) body.set("id_token", fhir::Value::string(issued.idToken));
  return noStore(jsonResponse(200, body));
}

}  // namespace

Result<std::string> AuthorizationServer::idToken(const std::string& patientId,
                                                 const std::string& clientId,
                                                 const std::string& nonce, int64_t nowMs) {
  auto key = keys_.current();
  if (!key) return key.takeError();
  fhir::Value claims = fhir::Value::object();
  claims.set("iss", fhir::Value::string(issuer_));
  claims.set("sub", fhir::Value::string(patientId));
  claims.set("aud", fhir::Value::string(clientId));
  claims.set("iat", fhir::Value::number(nowMs / 1000));
  claims.set("exp", fhir::Value::number((nowMs + int64_t{config_.accessTokenSeconds} * 1000) / 1000));
  if (!nonce.empty()) claims.set("nonce", fhir::Value::string(nonce));
  claims.set("fhirUser", fhir::Value::string(fhirBase_ + "/Patient/" + patientId));
  auto patient = repository_.read("Patient", patientId);
  if (patient && !patient->deleted) {
    auto json = fhir::parseJson(patient->content);
    const fhir::Value* identifiers = json ? json->find("identifier") : nullptr;
    if (identifiers != nullptr && identifiers->isArray()) {
      for (const auto& id : identifiers->items()) {
        const std::string* system = id.findString("system");
        const std::string* value = id.findString("value");
        if (system != nullptr && value != nullptr && *system == kInsSystem) {
          fhir::Value ins = fhir::Value::object();
          ins.set("system", fhir::Value::string(*system));
          ins.set("value", fhir::Value::string(*value));
          claims.set("ins", std::move(ins));
          break;
        }
      }
    }
  }
  return oauth::signJwt(claims, key->key, oauth::JwsAlgorithm::kES256, key->kid);
}

AuditRecord AuthorizationServer::grantRefusal(const Client& client, const http::Request& request,
                                              const std::string& requestId) const {
  return {.category = "oauth", .action = "E", .subtype = "token-refused", .success = false,
          .httpStatus = 400, .outcomeCode = "invalid_grant",
          .clientId = client.service.clientId, .serviceName = client.service.name,
          .serviceOid = client.service.editorOid, .sourceAddress = request.remoteAddress,
          .requestId = requestId};
}

http::Response AuthorizationServer::refuseGrant(AuditRecord record, const std::string& error,
                                                const std::string& message) {
  record.outcomeCode = error;
  record.outcomeText = message;
  recordOAuth(record);
  return oauthError(400, error, message);
}

http::Response AuthorizationServer::authorizationCodeGrant(const Form& form, const Client& client,
                                                           const http::Request& request,
                                                           const std::string& requestId) {
  const int64_t now = clock_.nowMs();
  AuditRecord refused = grantRefusal(client, request, requestId);
  auto refuse = [&](const std::string& error, const std::string& message) {
    return refuseGrant(refused, error, message);
  };
  const std::string& code = http::firstValue(form, "code");
  if (code.empty()) return refuse("invalid_request", "code is missing.");
  const std::string& redirectUri = http::firstValue(form, "redirect_uri");
  if (redirectUri.empty()) return refuse("invalid_request", "redirect_uri is missing.");
  // Consumed first, whatever follows: a code is good for one attempt only.
  auto stored = stores_.codes.consumeCode(secretHandle(code), now);
  if (!stored) {
    if (stored.error().kind == ErrorKind::kNotFound) {
      // RFC 6749 §4.1.2: a code used twice revokes what the first use obtained. Its grant
      // family id derives from the code, so it is found without keeping the code.
      (void)stores_.refreshTokens.revokeFamily(familyIdForCode(code), now);
      return refuse("invalid_grant", "The authorization code is unknown, expired or already used.");
    }
    return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  }
  refused.patientId = stored->patientId;
  if (stored->clientId != client.service.clientId) {
    return refuse("invalid_grant", "The authorization code was issued to another client.");
  }
  if (stored->redirectUri != redirectUri) {
    return refuse("invalid_grant", "redirect_uri differs from the one of the authorization request.");
  }
  if (Status pkce = oauth::verifyPkceS256(http::firstValue(form, "code_verifier"), stored->codeChallenge);
      !pkce) {
    return refuse("invalid_grant", pkce.error().problems.front().message);
  }
  auto pairing = pairings_.find(stored->patientId, client.service.clientId);
  if (!pairing) return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  if (!*pairing || !(*pairing)->active) {
    return refuse("invalid_grant", "The patient ended the pairing before the code was exchanged.");
  }
  auto codeScope = oauth::ScopeSet::parse(stored->scope);
  if (!codeScope) return oauthError(500, "server_error", "The stored grant is unreadable.");
  const oauth::ScopeSet scope = codeScope->intersect((*pairing)->scope);
  const std::string scopeText = scope.toString();

  Issued issued;
  const std::string familyId = familyIdForCode(code);
  store::RefreshToken family;
  family.familyId = familyId;
  family.clientId = client.service.clientId;
  family.patientId = stored->patientId;
  family.scope = scopeText;
  family.issuedMs = now;
  family.expiresMs = now + config_.refreshTokenSeconds * 1000;
  if (scope.has("offline_access")) {
    auto refresh = oauth::randomToken(32);
    if (!refresh) return oauthError(500, "server_error", "No randomness available.");
    issued.refreshToken = *refresh;
    family.handle = secretHandle(*refresh);
  }
  if (Status created = stores_.refreshTokens.createFamily(family); !created) {
    return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  }
  AccessTokenClaims claims{.patientId = stored->patientId, .clientId = client.service.clientId,
                           .scope = scopeText, .pairingId = (*pairing)->id, .familyId = familyId,
                           .jti = ids_.next(), .issuedMs = now,
                           .expiresMs = now + int64_t{config_.accessTokenSeconds} * 1000};
  auto access = tokens_.issue(claims);
  if (!access) return oauthError(500, "server_error", "The access token could not be signed.");
  issued.accessToken = *access;
  if (scope.has("openid")) {
    auto id = idToken(stored->patientId, client.service.clientId, stored->nonce, now);
    if (!id) return oauthError(500, "server_error", "The ID token could not be signed.");
    issued.idToken = *id;
  }
  recordOAuth({.category = "oauth", .action = "C", .subtype = "token-issued", .success = true,
               .httpStatus = 200, .outcomeText = scopeText, .patientId = stored->patientId,
               .clientId = client.service.clientId, .serviceName = client.service.name,
               .serviceOid = client.service.editorOid, .resource = "Consent/" + (*pairing)->id,
               .sourceAddress = request.remoteAddress, .requestId = requestId});
  return tokenResponse(issued, scopeText, stored->patientId, config_.accessTokenSeconds);
}

http::Response AuthorizationServer::refreshTokenGrant(const Form& form, const Client& client,
                                                      const http::Request& request,
                                                      const std::string& requestId) {
  const int64_t now = clock_.nowMs();
  AuditRecord refused = grantRefusal(client, request, requestId);
  auto refuse = [&](const std::string& error, const std::string& message) {
    return refuseGrant(refused, error, message);
  };
  const std::string& presented = http::firstValue(form, "refresh_token");
  if (presented.empty()) return refuse("invalid_request", "refresh_token is missing.");
  const std::string handle = secretHandle(presented);
  auto found = stores_.refreshTokens.findRefreshToken(handle);
  if (!found) {
    if (found.error().kind == ErrorKind::kNotFound) return refuse("invalid_grant", "Unknown refresh token.");
    return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  }
  if (found->clientId != client.service.clientId) {
    return refuse("invalid_grant", "Unknown refresh token.");  // another client's: not disclosed
  }
  refused.patientId = found->patientId;
  auto original = oauth::ScopeSet::parse(found->scope);
  if (!original) return oauthError(500, "server_error", "The stored grant is unreadable.");
  oauth::ScopeSet wanted = *original;
  if (http::countOf(form, "scope") == 1) {
    auto asked = oauth::ScopeSet::parse(http::firstValue(form, "scope"));
    if (!asked) return refuse("invalid_scope", asked.error().problems.front().message);
    if (!asked->isSubsetOf(*original)) {
      return refuse("invalid_scope",
                    "A refresh may narrow the scope, never widen it: ask for a subset of \"" +
                        original->toString() + "\".");
    }
    wanted = *asked;
  }
  auto pairing = pairings_.find(found->patientId, client.service.clientId);
  if (!pairing) return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  auto allowed = oauth::ScopeSet::parse(client.service.allowedScopes);
  if (!allowed) return oauthError(500, "server_error", "The service's allowed scopes are unreadable.");

  store::RefreshToken next;
  auto fresh = oauth::randomToken(32);
  if (!fresh) return oauthError(500, "server_error", "No randomness available.");
  next.handle = secretHandle(*fresh);
  next.clientId = client.service.clientId;
  next.issuedMs = now;
  next.expiresMs = now + config_.refreshTokenSeconds * 1000;
  const bool pairingActive = *pairing && (*pairing)->active;
  next.scope = pairingActive ? original->intersect((*pairing)->scope).intersect(*allowed).toString()
                             : original->toString();
  auto rotated = stores_.refreshTokens.rotate(handle, next, now);
  if (!rotated) return oauthError(503, "temporarily_unavailable", "The authorization server is unavailable.");
  switch (rotated->first) {
    case store::RefreshOutcome::kRotated: break;
    case store::RefreshOutcome::kReused: {
      // RFC 9700 §4.14.2: a stolen token is in play. End every grant of this pairing.
      (void)stores_.refreshTokens.revokeFamiliesOf(client.service.clientId, found->patientId, now);
      refused.subtype = kAuditTokenReuseDetected;
      return refuse("invalid_grant",
                    "This refresh token was already used; every token of this pairing is now "
                    "revoked. The patient must pair the app again.");
    }
    case store::RefreshOutcome::kRevoked:
      return refuse("invalid_grant", "This refresh token has been revoked.");
    case store::RefreshOutcome::kExpired:
      return refuse("invalid_grant", "This refresh token has expired.");
    case store::RefreshOutcome::kUnknown:
      return refuse("invalid_grant", "Unknown refresh token.");
  }
  if (!pairingActive) {
    (void)stores_.refreshTokens.revokeFamily(found->familyId, now);
    return refuse("invalid_grant", "The patient ended the pairing with this service.");
  }
  const oauth::ScopeSet scope = wanted.intersect((*pairing)->scope).intersect(*allowed);
  const std::string scopeText = scope.toString();
  AccessTokenClaims claims{.patientId = found->patientId, .clientId = client.service.clientId,
                           .scope = scopeText, .pairingId = (*pairing)->id,
                           .familyId = found->familyId, .jti = ids_.next(), .issuedMs = now,
                           .expiresMs = now + int64_t{config_.accessTokenSeconds} * 1000};
  auto access = tokens_.issue(claims);
  if (!access) return oauthError(500, "server_error", "The access token could not be signed.");
  Issued issued;
  issued.accessToken = *access;
  issued.refreshToken = *fresh;
  if (scope.has("openid")) {
    auto id = idToken(found->patientId, client.service.clientId, "", now);
    if (!id) return oauthError(500, "server_error", "The ID token could not be signed.");
    issued.idToken = *id;
  }
  recordOAuth({.category = "oauth", .action = "U", .subtype = "token-refreshed", .success = true,
               .httpStatus = 200, .outcomeText = scopeText, .patientId = found->patientId,
               .clientId = client.service.clientId, .serviceName = client.service.name,
               .serviceOid = client.service.editorOid, .resource = "Consent/" + (*pairing)->id,
               .sourceAddress = request.remoteAddress, .requestId = requestId});
  return tokenResponse(issued, scopeText, found->patientId, config_.accessTokenSeconds);
}

// --- introspection and revocation ------------------------------------------------------------

http::Response AuthorizationServer::introspect(const http::Request& request, RequestContext&) {
  const Form form = http::parseForm(request.body);
  auto client = authenticateClient(form, request, issuer_ + "/oauth/introspect");
  if (!client) return clientError(client.error());
  const std::string& token = http::firstValue(form, "token");
  if (token.empty()) return oauthError(400, "invalid_request", "token is missing.");
  fhir::Value body = fhir::Value::object();
  body.set("active", fhir::Value::boolean(false));
  const int64_t now = clock_.nowMs();
  if (std::count(token.begin(), token.end(), '.') == 2) {
    auto access = policy_.check(token);
    if (access && access->claims.clientId == client->service.clientId) {
      body.set("active", fhir::Value::boolean(true));
      body.set("scope", fhir::Value::string(access->scopes.toString()));
      body.set("client_id", fhir::Value::string(access->claims.clientId));
      body.set("token_type", fhir::Value::string("Bearer"));
      body.set("exp", fhir::Value::number(access->claims.expiresMs / 1000));
      body.set("iat", fhir::Value::number(access->claims.issuedMs / 1000));
      body.set("sub", fhir::Value::string(access->claims.patientId));
      body.set("patient", fhir::Value::string(access->claims.patientId));
      body.set("aud", fhir::Value::string(fhirBase_));
      body.set("iss", fhir::Value::string(issuer_));
    }
  } else {
    auto found = stores_.refreshTokens.findRefreshToken(secretHandle(token));
    if (found && found->clientId == client->service.clientId && found->live &&
        !found->familyRevoked && now < found->expiresMs) {
      auto pairing = pairings_.find(found->patientId, found->clientId);
      if (pairing && *pairing && (*pairing)->active) {
        body.set("active", fhir::Value::boolean(true));
        body.set("scope", fhir::Value::string(found->scope));
        body.set("client_id", fhir::Value::string(found->clientId));
        body.set("token_type", fhir::Value::string("refresh_token"));
        body.set("exp", fhir::Value::number(found->expiresMs / 1000));
        body.set("iat", fhir::Value::number(found->issuedMs / 1000));
        body.set("sub", fhir::Value::string(found->patientId));
        body.set("patient", fhir::Value::string(found->patientId));
        body.set("iss", fhir::Value::string(issuer_));
      }
    }
  }
  return noStore(jsonResponse(200, body));
}

http::Response AuthorizationServer::revoke(const http::Request& request, RequestContext& context) {
  const Form form = http::parseForm(request.body);
  auto client = authenticateClient(form, request, issuer_ + "/oauth/revoke");
  if (!client) return clientError(client.error());
  const std::string& token = http::firstValue(form, "token");
  if (token.empty()) return oauthError(400, "invalid_request", "token is missing.");
  const int64_t now = clock_.nowMs();
  http::Response ok = noStore(http::Response{});
  if (std::count(token.begin(), token.end(), '.') == 2) {
    // An access token: its grant family ends (the pairing stays).
    auto verified = tokens_.verify(token);
    const AccessTokenClaims* claims = verified ? verified->get() : nullptr;
    if (claims != nullptr && claims->clientId == client->service.clientId) {
      (void)stores_.refreshTokens.revokeFamily(claims->familyId, now);
      recordOAuth({.category = "oauth", .action = "D", .subtype = "token-revoked", .success = true,
                   .httpStatus = 200, .patientId = claims->patientId,
                   .clientId = client->service.clientId, .serviceName = client->service.name,
                   .serviceOid = client->service.editorOid,
                   .sourceAddress = request.remoteAddress, .requestId = context.requestId});
    }
    return ok;
  }
  // A refresh token: SPEC §1, the app ends its pairing.
  auto found = stores_.refreshTokens.findRefreshToken(secretHandle(token));
  if (!found || found->clientId != client->service.clientId) return ok;  // RFC 7009 §2.2
  (void)stores_.refreshTokens.revokeFamily(found->familyId, now);
  auto pairing = pairings_.find(found->patientId, found->clientId);
  if (pairing && *pairing && (*pairing)->active) {
    if (Status ended = endPairing(**pairing, "service", request.remoteAddress, context.requestId); !ended) {
      return oauthError(503, "temporarily_unavailable", "The pairing could not be ended; retry.");
    }
  }
  return ok;
}

http::Response AuthorizationServer::endOwnPairing(const http::Request& request,
                                                  RequestContext& context) {
  auto token = bearerToken(request);
  auto access = token ? policy_.check(*token) : Result<ActiveAccess>(token.takeError());
  if (!access) {
    http::Response r = oauthError(401, "invalid_token", access.error().problems.front().message);
    r.headers.set("WWW-Authenticate", bearerChallenge(access.error()));
    return r;
  }
  if (Status ended = endPairing(access->pairing, "service", request.remoteAddress, context.requestId);
      !ended) {
    return oauthError(503, "temporarily_unavailable", "The pairing could not be ended; retry.");
  }
  http::Response r;
  r.status = 204;
  r.headers.set("Cache-Control", "no-store");
  return r;
}

Status AuthorizationServer::endPairing(const Pairing& pairing, const std::string& endedBy,
                                       const std::string& sourceAddress,
                                       const std::string& requestId) {
  auto ended = pairings_.end(pairing.id, endedBy);
  if (!ended) return ended.takeError();
  // The pairing's tokens die with it, also on instances that do not re-read the pairing.
  auto revoked = stores_.refreshTokens.revokeFamiliesOf(pairing.clientId, pairing.patientId,
                                                        clock_.nowMs());
  if (!revoked) return revoked.takeError();
  if (ended->second) {
    auto service = stores_.services.service(pairing.clientId);
    recordOAuth({.category = endedBy == "patient" ? "portal" : "oauth", .action = "D",
                 .subtype = "pairing-revoked", .success = true, .httpStatus = 200,
                 .outcomeText = "ended by " + endedBy, .patientId = pairing.patientId,
                 .clientId = pairing.clientId, .serviceName = pairing.serviceName,
                 .serviceOid = service ? service->editorOid : std::string(),
                 .resource = "Consent/" + pairing.id, .sourceAddress = sourceAddress,
                 .requestId = requestId});
    notifyPairing(ended->first, "pairing-ended");
  }
  return Status::ok();
}

// --- the app's view of its pairing (FHIR Consent) ----------------------------------------------

http::Response AuthorizationServer::searchConsent(const http::Request& request, RequestContext& context) {
  for (const auto& [name, value] : request.query) {
    if (name == "patient" || name == "patient:Patient") {
      std::string id = value;
      if (id.rfind("Patient/", 0) == 0) id = id.substr(8);
      if (!context.patientId.empty() && id != context.patientId) {
        return errorResponse(Error::make(ErrorKind::kForbidden, "patient-mismatch",
                                         "The search names another patient than this access's."));
      }
    } else if (name != "_format") {
      return errorResponse(Error::make(ErrorKind::kInvalid, "unknown-parameter",
                                       "Consent search supports only 'patient'; got '" + name + "'."));
    }
  }
  std::string entries;
  int total = 0;
  if (!context.pairingId.empty()) {
    auto record = repository_.read("Consent", context.pairingId);
    if (record && !record->deleted) {
      entries = R"({"fullUrl":)" +
                fhir::toJson(fhir::Value::string(fhirBase_ + "/Consent/" + record->id)) +
                R"(,"resource":)" + record->content + R"(,"search":{"mode":"match"}})";
      total = 1;
    }
  }
  std::string body = R"({"resourceType":"Bundle","type":"searchset","total":)" +
                     std::to_string(total) + R"(,"link":[{"relation":"self","url":)" +
                     fhir::toJson(fhir::Value::string(fhirBase_ + "/Consent?patient=" + context.patientId)) +
                     R"(}],"entry":[)" + entries + "]}";
  return fhirText(200, std::move(body));
}

http::Response AuthorizationServer::readConsent(const http::Request&, RequestContext& context) {
  const std::string& id = context.params.at("id");
  if (!context.pairingId.empty() && id != context.pairingId) {
    return errorResponse(Error::make(ErrorKind::kNotFound, "not-found", "Consent/" + id + " does not exist."));
  }
  auto record = repository_.read("Consent", id);
  if (!record) return errorResponse(record.error());
  http::Response r = fhirText(200, record->content);
  setVersionHeaders(r, *record);
  return r;
}

// --- audit and notifications -----------------------------------------------------------------

void AuthorizationServer::recordOAuth(AuditRecord record) {
  if (record.recordedMs == 0) record.recordedMs = clock_.nowMs();
  if (record.serviceName.empty() && !record.clientId.empty()) {
    auto service = stores_.services.service(record.clientId);
    if (service) {
      record.serviceName = service->name;
      record.serviceOid = service->editorOid;
    }
  }
  if (Status s = audit_.record(record); !s) {
    logger_.error("audit of an oauth event failed",
                  {{"subtype", record.subtype}, {"detail", s.error().detail}});
  }
}

void AuthorizationServer::notifyPairing(const Pairing& pairing, const std::string& kind) {
  outbox::Notification n;
  n.recipient = pairing.patientId;
  n.kind = kind;
  if (kind == "pairing-created") {
    n.subject = "Nouvelle application autorisée : " + pairing.serviceName;
    n.body = "Vous avez autorisé l’application " + pairing.serviceName +
             " à accéder à votre profil Mon espace santé. Vous pouvez retirer cette autorisation "
             "à tout moment depuis votre espace.";
  } else if (kind == "pairing-updated") {
    n.subject = "Autorisation modifiée : " + pairing.serviceName;
    n.body = "Les accès de l’application " + pairing.serviceName +
             " à votre profil Mon espace santé ont été modifiés.";
  } else {
    n.subject = "Autorisation retirée : " + pairing.serviceName;
    n.body = "L’application " + pairing.serviceName +
             " n’a plus accès à votre profil Mon espace santé" +
             (pairing.endedBy == "patient" ? " : vous avez retiré son autorisation."
              : pairing.endedBy == "service" ? " : l’application a mis fin à l’association."
                                             : " : elle n’est plus référencée.");
  }
  n.data = {{"client_id", pairing.clientId}, {"consent", "Consent/" + pairing.id},
            {"scope", pairing.scope.toString()}};
  if (auto sent = outbox_.send(n); !sent) {
    logger_.error("pairing notification not sent", {{"kind", kind}, {"detail", sent.error().detail}});
  }
}

}  // namespace mes::gateway

#include "gateway/token_policy.h"

#include <mutex>

#include "fhir/json/value.h"
#include "oauth/crypto/jws.h"

namespace mes::gateway {
namespace {

constexpr size_t kMaxCachedTokens = 20000;
constexpr size_t kMaxCachedServices = 10000;  // a clear only costs service reads

Error unauthorized(const std::string& code, const std::string& message) {
  return Error::make(ErrorKind::kUnauthorized, code, message);
}

std::string stringClaim(const fhir::Value& claims, std::string_view name) {
  const std::string* v = claims.findString(name);
  return v != nullptr ? *v : std::string();
}

int64_t secondsClaim(const fhir::Value& claims, std::string_view name) {
  const fhir::Value* v = claims.find(name);
  if (v == nullptr || !v->isNumber()) return 0;
  return v->asInt().value_or(0);
}

}  // namespace

std::string bearerChallenge(const Error& refusal) {
  if (!refusal.problems.empty() && refusal.problems.front().code == "token-missing") {
    return "Bearer realm=\"mes-gateway\"";
  }
  std::string description = refusal.problems.empty() ? refusal.detail : refusal.problems.front().message;
  for (char& c : description) {
    if (c == '"' || c == '\\') c = '\'';
  }
  return "Bearer realm=\"mes-gateway\", error=\"invalid_token\", error_description=\"" +
         description + "\"";
}

std::string writerSource(const store::ServiceRecord& service) {
  return service.editorOid + "#" + service.clientId;
}

Result<std::string> bearerToken(const http::Request& request) {
  for (const auto& [name, value] : request.query) {
    if (name == "access_token") {
      return unauthorized("token-in-query",
                          "Access tokens are not accepted in the URL; send them in the "
                          "Authorization header (Authorization: Bearer <token>).");
    }
  }
  const std::string& header = request.headers.get("Authorization");
  if (header.empty()) {
    return unauthorized("token-missing",
                        "This endpoint needs an access token (Authorization: Bearer <token>).");
  }
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !http::equalsIgnoreCase(std::string_view(header).substr(0, kScheme.size()), kScheme)) {
    return unauthorized("token-malformed",
                        "The Authorization header must use the Bearer scheme.");
  }
  std::string token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty()) return unauthorized("token-malformed", "The bearer token is empty.");
  return token;
}

AccessTokens::AccessTokens(const Config& config, oauth::SigningKeyStore& keys, const Clock& clock)
    : issuer_(config.baseUrl()), audience_(config.fhirBase()), keys_(keys), clock_(clock) {}

Result<std::string> AccessTokens::issue(const AccessTokenClaims& c) const {
  auto key = keys_.current();
  if (!key) return key.takeError();
  fhir::Value claims = fhir::Value::object();
  claims.set("iss", fhir::Value::string(issuer_));
  claims.set("sub", fhir::Value::string(c.patientId));
  claims.set("aud", fhir::Value::string(audience_));
  claims.set("client_id", fhir::Value::string(c.clientId));
  claims.set("scope", fhir::Value::string(c.scope));
  claims.set("patient", fhir::Value::string(c.patientId));
  claims.set("pairing", fhir::Value::string(c.pairingId));
  claims.set("fam", fhir::Value::string(c.familyId));
  claims.set("jti", fhir::Value::string(c.jti));
  claims.set("iat", fhir::Value::number(c.issuedMs / 1000));
  claims.set("exp", fhir::Value::number(c.expiresMs / 1000));
  return oauth::signJwt(claims, key->key, oauth::JwsAlgorithm::kES256, key->kid, "at+jwt");
}

Result<std::shared_ptr<const AccessTokenClaims>> AccessTokens::verify(std::string_view token) {
  const int64_t now = clock_.nowMs();
  {
    std::shared_lock lock(mutex_);
    auto it = cache_.find(token);
    if (it != cache_.end()) {
      if (now >= it->second->expiresMs) {
        return unauthorized("token-expired", "The access token has expired.");
      }
      return it->second;
    }
  }
  auto jwt = oauth::decodeJwt(token);
  if (!jwt) return jwt.takeError();
  const std::string* typ = jwt->header.findString("typ");
  if (typ == nullptr || !http::equalsIgnoreCase(*typ, "at+jwt")) {
    return unauthorized("token-malformed", "The token is not an access token (typ at+jwt).");
  }
  if (jwt->kid.empty()) {
    return unauthorized("token-key-unknown", "The access token names no signing key (kid).");
  }
  auto key = keys_.verificationKey(jwt->kid);
  if (!key) {
    return unauthorized("token-key-unknown",
                        "The access token was not signed by a key of this gateway.");
  }
  MES_RETURN_IF_ERROR(oauth::verifyJwt(*jwt, *key, {oauth::JwsAlgorithm::kES256}));
  oauth::ClaimExpectations expect;
  expect.issuer = issuer_;
  expect.audience = audience_;
  expect.nowMs = now;
  expect.requireJti = true;
  expect.requireSub = true;
  MES_RETURN_IF_ERROR(oauth::checkClaims(jwt->claims, expect));
  AccessTokenClaims c;
  c.patientId = stringClaim(jwt->claims, "patient");
  c.clientId = stringClaim(jwt->claims, "client_id");
  c.scope = stringClaim(jwt->claims, "scope");
  auto scopes = oauth::ScopeSet::parse(c.scope);
  if (!scopes) return unauthorized("token-malformed", "The access token's scope is unreadable.");
  c.scopes = std::move(*scopes);
  c.pairingId = stringClaim(jwt->claims, "pairing");
  c.familyId = stringClaim(jwt->claims, "fam");
  c.jti = stringClaim(jwt->claims, "jti");
  c.issuedMs = secondsClaim(jwt->claims, "iat") * 1000;
  c.expiresMs = secondsClaim(jwt->claims, "exp") * 1000;
  if (c.patientId.empty() || c.clientId.empty() || c.pairingId.empty() || c.familyId.empty() ||
      c.expiresMs == 0) {
    return unauthorized("token-claim-missing", "The access token lacks a claim this gateway sets.");
  }
  auto shared = std::make_shared<const AccessTokenClaims>(std::move(c));
  std::unique_lock lock(mutex_);
  if (cache_.size() >= kMaxCachedTokens) {
    std::erase_if(cache_, [now](const auto& entry) { return now >= entry.second->expiresMs; });
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
  }
  cache_.emplace(std::string(token), shared);
  return shared;
}

TokenAccessPolicy::TokenAccessPolicy(AccessTokens& tokens, store::ServiceStore& services,
                                     store::AccessStateReader& states, PairingStore& pairings,
                                     const Clock& clock)
    : tokens_(tokens), services_(services), states_(states), pairings_(pairings), clock_(clock) {}

Result<ActiveAccess> TokenAccessPolicy::check(std::string_view token) {
  auto claims = tokens_.verify(token);
  if (!claims) return claims.takeError();
  Admitted admitted;
  admitted.claims = std::move(*claims);
  MES_RETURN_IF_ERROR(admit(admitted));
  ActiveAccess access;
  access.claims = *admitted.claims;
  access.service = admitted.service->record;
  access.pairing = *admitted.pairing;
  access.scopes = std::move(admitted.scopes);
  return access;
}

Result<std::shared_ptr<const TokenAccessPolicy::KnownService>> TokenAccessPolicy::serviceAt(
    const std::string& clientId, int64_t version) {
  {
    std::shared_lock lock(servicesMutex_);
    auto it = serviceCache_.find(clientId);
    if (it != serviceCache_.end() && it->second->record.version == version) return it->second;
  }
  // Changed (or first seen): the record read now is at least as new as `version`.
  auto service = services_.service(clientId);
  if (!service) return service.takeError();
  auto granted = oauth::ScopeSet::parse(service->allowedScopes);
  if (!granted) return Error::internal("service " + clientId + ": unreadable allowed scopes");
  auto known = std::make_shared<const KnownService>(
      KnownService{std::move(*service), std::move(*granted)});
  std::unique_lock lock(servicesMutex_);
  if (serviceCache_.size() >= kMaxCachedServices) serviceCache_.clear();
  serviceCache_[clientId] = known;
  return known;
}

Status TokenAccessPolicy::admit(Admitted& admitted) {
  const AccessTokenClaims& claims = *admitted.claims;
  auto state = states_.accessState(claims.clientId, claims.pairingId, claims.familyId);
  if (!state) return state.takeError();
  auto serviceGone = [] {
    return unauthorized("service-unknown", "The service of this token is no longer registered.");
  };
  if (!state->serviceVersion) return serviceGone();
  auto service = serviceAt(claims.clientId, *state->serviceVersion);
  if (!service) {
    if (service.error().kind == ErrorKind::kNotFound) return serviceGone();
    return service.takeError();
  }
  admitted.service = std::move(*service);
  const store::ServiceRecord& record = admitted.service->record;
  if (record.status != "referenced") {
    return unauthorized("service-suspended",
                        "The service of this token is not referenced (status " + record.status +
                            "); its tokens are refused.");
  }
  auto pairingGone = [] {
    return unauthorized("pairing-revoked", "The pairing behind this token no longer exists.");
  };
  if (!state->pairingVersion || state->pairingDeleted) return pairingGone();
  auto pairing = pairings_.sharedAtVersion(claims.pairingId, *state->pairingVersion);
  if (!pairing) {
    if (pairing.error().kind == ErrorKind::kNotFound) return pairingGone();
    return pairing.takeError();
  }
  const Pairing& current = **pairing;
  if (!current.active || current.patientId != claims.patientId ||
      current.clientId != claims.clientId) {
    return unauthorized("pairing-revoked",
                        "The patient's pairing with this service has ended; pair again.");
  }
  // After the pairing: an ended pairing also revokes its grants, and "the pairing has ended"
  // is the answer that tells the app what to do.
  if (!state->familyLive) return unauthorized("token-revoked", "This access token has been revoked.");
  // The registry's grant bounds every token too, also one issued before a narrower grant.
  admitted.scopes = claims.scopes.intersect(current.scope).intersect(admitted.service->granted);
  admitted.pairing = std::move(*pairing);
  return Status::ok();
}

Status TokenAccessPolicy::authorize(const http::Request& request, RequestContext& context) {
  if (context.interaction == Interaction::kPublic) return Status::ok();
  auto token = bearerToken(request);
  if (!token) return token.takeError();
  auto claims = tokens_.verify(*token);
  if (!claims) return claims.takeError();
  // A genuine token refused further on (ended pairing, suspended service) is still the
  // patient's business: the audit row of the refusal names the patient and the service.
  context.patientId = (*claims)->patientId;
  context.clientId = (*claims)->clientId;
  Admitted admitted;
  admitted.claims = std::move(*claims);
  Status allowed = admit(admitted);
  if (admitted.service) context.serviceName = admitted.service->record.name;
  if (!allowed) return allowed;
  context.source = writerSource(admitted.service->record);
  context.pairingId = admitted.pairing->id;
  context.scopes = std::move(admitted.scopes);
  // The app reads and ends its own pairing whatever its data scopes (SPEC §1); the handler
  // shows it nothing else.
  if (context.resourceType == "Consent") return Status::ok();
  // A transaction's entries are checked one by one by the service that runs them.
  if (context.interaction == Interaction::kTransaction) return Status::ok();
  auto permission = oauth::ScopeSet::permissionFor(interactionName(context.interaction));
  if (!permission) {
    return Error::make(ErrorKind::kForbidden, "consent-missing",
                       "Consent not given, access refused.");
  }
  return requirePermission(context, context.resourceType, *permission);
}

}  // namespace mes::gateway

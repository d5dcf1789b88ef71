// The authorization server (SPEC §1): discovery, /oauth/authorize, the consent screen, the
// token endpoint (authorization_code and refresh_token grants; public clients with PKCE and
// private_key_jwt clients), introspection (RFC 7662), revocation (RFC 7009), the JWKS, the app
// ending its own pairing, and the patient's portal pages for pairings and activity.
//
// Protocol choices (also in swagger/pairing.yaml and the README):
//   - /oauth/authorize validates everything it can before the patient sees anything. A missing
//     or unknown client, a service that is not referenced, or a redirect_uri that is not exactly
//     one registered for the service get an HTML error page and are never redirected to (no
//     open redirect). Every other error is redirected back with error, error_description,
//     state and iss (RFC 6749 §4.1.2.1, RFC 9207).
//   - state, aud (= our FHIR base) and PKCE S256 are required. Repeated parameters are refused.
//   - The consent screen is stateless: its form carries the authorization request and the
//     approval re-validates it, so any instance can serve any step.
//   - Every code exchange starts a grant family; access tokens name it (claim "fam"), so that
//     revoking the family (refresh reuse, RFC 7009, the patient) refuses its access tokens on
//     the next request. A refresh token is issued only when offline_access was granted.
#pragma once

#include <string>

#include "connectors/outbox/outbox.h"
#include "connectors/store/oauth_stores.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "gateway/audit.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/pairings.h"
#include "gateway/portal_auth.h"
#include "gateway/router.h"
#include "gateway/token_policy.h"
#include "oauth/signing_keys.h"

namespace mes::gateway {

struct OAuthStores {
  store::ServiceStore& services;
  store::AuthorizationCodeStore& codes;
  store::RefreshTokenStore& refreshTokens;
  store::ReplayCache& replay;
};

class AuthorizationServer {
 public:
  AuthorizationServer(const Config& config, OAuthStores stores, oauth::SigningKeyStore& keys,
                      AccessTokens& tokens, TokenAccessPolicy& policy, PairingStore& pairings,
                      store::Repository& repository, PortalAuth& portal, AuditTrail& audit,
                      outbox::Outbox& outbox, const Clock& clock, IdGenerator& ids,
                      Logger& logger);

  void registerRoutes(Router& router);

  fhir::Value smartConfiguration() const;
  fhir::Value openidConfiguration() const;

  // Ends a pairing and every token of it, records it and tells the patient. `endedBy` is
  // patient | service | registry. Used by the portal, the app (DELETE /oauth/pairing, revoke)
  // and the service CLI.
  Status endPairing(const Pairing& pairing, const std::string& endedBy,
                    const std::string& sourceAddress, const std::string& requestId);

  struct Request;   // a validated authorization request
  struct Failure;   // why it is not
  struct Client;    // an authenticated client at the token, introspection and revocation endpoints

 private:
  http::Response discovery(const fhir::Value& document) const;
  http::Response authorize(const http::Request& request, RequestContext& context);
  http::Response consentPage(const http::Request& request, RequestContext& context);
  http::Response consentDecision(const http::Request& request, RequestContext& context);
  http::Response token(const http::Request& request, RequestContext& context);
  http::Response introspect(const http::Request& request, RequestContext& context);
  http::Response revoke(const http::Request& request, RequestContext& context);
  http::Response jwks(const http::Request& request, RequestContext& context);
  http::Response endOwnPairing(const http::Request& request, RequestContext& context);
  http::Response searchConsent(const http::Request& request, RequestContext& context);
  http::Response readConsent(const http::Request& request, RequestContext& context);
  http::Response portalHome(const http::Request& request, RequestContext& context);
  http::Response portalActivity(const http::Request& request, RequestContext& context);
  http::Response portalRevoke(const http::Request& request, RequestContext& context);

  http::Response authorizationCodeGrant(const std::vector<std::pair<std::string, std::string>>& form,
                                        const Client& client, const http::Request& request,
                                        const std::string& requestId);
  http::Response refreshTokenGrant(const std::vector<std::pair<std::string, std::string>>& form,
                                   const Client& client, const http::Request& request,
                                   const std::string& requestId);
  // The audit record of a refused grant (filled in by refuseGrant) and the refusal itself.
  AuditRecord grantRefusal(const Client& client, const http::Request& request,
                           const std::string& requestId) const;
  http::Response refuseGrant(AuditRecord record, const std::string& error,
                             const std::string& message);
  Result<Client> authenticateClient(const std::vector<std::pair<std::string, std::string>>& form,
                                    const http::Request& request, const std::string& endpoint);
  // Validates an authorization request's parameters (query of GET /oauth/authorize, the form of
  // POST, or the consent form's hidden fields).
  Result<Request> validate(const std::vector<std::pair<std::string, std::string>>& params,
                           Failure& failure);
  http::Response failureResponse(const Failure& failure) const;
  http::Response redirectWithCode(const Request& request, const std::string& code) const;
  Result<std::string> idToken(const std::string& patientId, const std::string& clientId,
                              const std::string& nonce, int64_t nowMs);
  void recordOAuth(AuditRecord record);
  void notifyPairing(const Pairing& pairing, const std::string& kind);

  const Config& config_;
  OAuthStores stores_;
  oauth::SigningKeyStore& keys_;
  AccessTokens& tokens_;
  TokenAccessPolicy& policy_;
  PairingStore& pairings_;
  store::Repository& repository_;
  PortalAuth& portal_;
  AuditTrail& audit_;
  outbox::Outbox& outbox_;
  const Clock& clock_;
  IdGenerator& ids_;
  Logger& logger_;
  std::string issuer_;
  std::string fhirBase_;
};

// Secrets (codes, refresh tokens) are stored as base64url(SHA-256(secret)).
std::string secretHandle(std::string_view secret);
// The grant family an authorization code starts (derived from the code: a replayed code finds
// and revokes the family of its first use, RFC 6749 §4.1.2).
std::string familyIdForCode(std::string_view code);

}  // namespace mes::gateway

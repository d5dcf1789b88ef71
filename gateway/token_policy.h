// Access tokens: issuing them (ES256 JWTs, RFC 9068 shape) and the resource server's checks on
// every /fhir call (SPEC §1 "Enforcement").
//
// A token is accepted only when, on this very request:
//   1. it is a compact JWS signed ES256 by one of our keys (kid), typ at+jwt, with our iss, our
//      FHIR base as aud, and not expired (verified once, then cached until it expires: ES256
//      verification costs ~70 µs, the cache lookup well under 1 µs);
//   2. its service is still `referenced` in the registry (suspension bites at once);
//   3. its pairing (a Consent) is still active, for the same patient and service;
//   4. its grant family is not revoked (refresh reuse, RFC 7009 revoke, the pairing's end).
// Steps 2-4 are one store read on every request (store::AccessStateReader: the service's
// version and status, the Consent's current version, the family's state), never cached:
// revocation takes effect on the next request on every instance sharing the store. What that
// read points at is cached by version: the service record (its JWKS, redirect URIs, name, OID)
// and the parsed Consent are re-read only when their version changed. The scope used is the
// token's scope intersected with the pairing's current scope and with the service's current
// allowedScopes (what the referencing commission granted), so narrowing either also takes
// effect at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connectors/store/access_state.h"
#include "connectors/store/oauth_stores.h"
#include "core/clock.h"
#include "core/status.h"
#include "gateway/config.h"
#include "gateway/pairings.h"
#include "gateway/router.h"
#include "oauth/scope.h"
#include "oauth/signing_keys.h"

namespace mes::gateway {

struct AccessTokenClaims {
  std::string patientId;
  std::string clientId;
  std::string scope;      // canonical granted scope
  oauth::ScopeSet scopes{};  // the same, parsed once, when the token is first verified
  std::string pairingId;  // Consent id
  std::string familyId;   // grant family (refresh-token family, possibly without tokens)
  std::string jti;
  int64_t issuedMs = 0;
  int64_t expiresMs = 0;
};

// The facts of a token that passed every check of this request.
struct ActiveAccess {
  AccessTokenClaims claims;
  store::ServiceRecord service;
  Pairing pairing;
  oauth::ScopeSet scopes;  // token scope ∩ pairing scope ∩ service's allowed scopes
};

class AccessTokens {
 public:
  AccessTokens(const Config& config, oauth::SigningKeyStore& keys, const Clock& clock);

  // Signs a token for `claims` (iss, aud, iat, exp, jti set from config and claims).
  Result<std::string> issue(const AccessTokenClaims& claims) const;
  // Signature, typ, iss, aud and expiry (cached); kUnauthorized with a token-* code otherwise.
  // The claims are shared with the cache (never modified once verified).
  Result<std::shared_ptr<const AccessTokenClaims>> verify(std::string_view token);

  const std::string& issuer() const { return issuer_; }
  const std::string& audience() const { return audience_; }

 private:
  std::string issuer_;
  std::string audience_;
  oauth::SigningKeyStore& keys_;
  const Clock& clock_;
  // Looked up by the token's text without copying it.
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view token) const { return std::hash<std::string_view>{}(token); }
  };
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const AccessTokenClaims>, TokenHash,
                     std::equal_to<>>
      cache_;
};

class TokenAccessPolicy final : public AccessPolicy {
 public:
  TokenAccessPolicy(AccessTokens& tokens, store::ServiceStore& services,
                    store::AccessStateReader& states, PairingStore& pairings, const Clock& clock);

  Status authorize(const http::Request& request, RequestContext& context) override;

  // Every check of the header comment, for a bearer token: the policy, introspection and
  // DELETE /oauth/pairing use it. kUnauthorized (code token-*, pairing-revoked,
  // service-suspended) when the token may not be used.
  Result<ActiveAccess> check(std::string_view token);

 private:
  // A service record with its allowedScopes parsed (the registry's grant).
  struct KnownService {
    store::ServiceRecord record;
    oauth::ScopeSet granted;
  };
  // What steps 2-4 establish, shared with the caches rather than copied (every request).
  struct Admitted {
    std::shared_ptr<const AccessTokenClaims> claims;
    std::shared_ptr<const KnownService> service;  // set as soon as read, refusals included
    std::shared_ptr<const Pairing> pairing;
    oauth::ScopeSet scopes;
  };
  // Steps 2-4 for verified claims (so that a refusal can still name the service, `admitted`
  // keeps what was read before it).
  Status admit(Admitted& admitted);
  // The service record at `version`: the cached one when it is that version, else re-read.
  // kInternal when its allowedScopes cannot be parsed (the stores never write such a record).
  Result<std::shared_ptr<const KnownService>> serviceAt(const std::string& clientId,
                                                        int64_t version);

  AccessTokens& tokens_;
  store::ServiceStore& services_;
  store::AccessStateReader& states_;
  PairingStore& pairings_;
  const Clock& clock_;
  std::shared_mutex servicesMutex_;
  std::unordered_map<std::string, std::shared_ptr<const KnownService>> serviceCache_;
};

// The bearer token of an Authorization header, or kUnauthorized ("token-missing") when there is
// none; a token in the query string (access_token) is refused (RFC 9700 §2.4).
Result<std::string> bearerToken(const http::Request& request);

// The WWW-Authenticate value for a refused bearer token (RFC 6750 §3): no error attribute when
// the request carried no token at all ("token-missing"), else error="invalid_token" and the
// refusal's message as error_description.
std::string bearerChallenge(const Error& refusal);

// meta.source of a service's writes: "<editor OID>#<client id>" (SPEC §1 "starts with its
// service OID"; the fragment tells two services of one editor apart).
std::string writerSource(const store::ServiceRecord& service);

}  // namespace mes::gateway

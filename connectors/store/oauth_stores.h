// Storage interfaces of the authorization server (issue #3): the services that may be clients,
// single-use authorization codes, refresh-token families and the replay cache of client
// assertions. They hold state that every gateway instance must share (DESIGN "Scaling past one
// machine"), so each operation that must be atomic across instances is one call here.
//
// Secrets are never stored in clear: codes and refresh tokens are stored as their SHA-256
// (callers pass the hash, hex or base64url, as `handle`).
//
// Times are milliseconds since the Unix epoch; a record with `expiresMs` is expired from
// nowMs >= expiresMs on.
//
// Every implementation passes tests/connectors/oauth_stores_suite.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mes::store {

// --- services (clients) ------------------------------------------------------------------------

// What OAuth needs of a referenced service. The referencing workflow (#5) adds its own tables
// (history, criteria, decisions) keyed by clientId and moves `status`; it does not replace this.
struct ServiceRecord {
  std::string clientId;     // [A-Za-z0-9._-]{3,64}; also the service's id in the registry
  std::string name;         // shown to patients on the consent screen
  std::string editorName;   // legal name of the editor
  std::string editorOid;    // urn:oid:..., written in meta.source of the service's writes
  std::string clientType;   // "public" (PKCE only) | "confidential-asymmetric" (private_key_jwt)
  std::vector<std::string> redirectUris;  // exact-match list, at least one
  std::string jwks;         // JSON text of a JWK Set (confidential clients), or empty
  std::string jwksUri;      // or a URL to fetch it from, or empty
  std::string allowedScopes;  // space-separated SMART scopes the commission granted
  std::string status;       // draft | submitted | under_evaluation | commission | referenced |
                            // rejected | suspended | withdrawn
  int64_t version = 0;      // 1 on create, +1 on every update (optimistic locking)
  int64_t createdMs = 0;
  int64_t updatedMs = 0;
};

// What every store refuses, with kInvalid ("invalid-service"): a clientId outside
// [A-Za-z0-9._-]{3,64}, an empty name, a clientType or status not listed above, no redirect
// URI or an empty one.
Status checkServiceRecord(const ServiceRecord& service);

class ServiceStore {
 public:
  virtual ~ServiceStore() = default;
  // version 1, createdMs = updatedMs = the store's clock (the caller's values are ignored);
  // kConflict ("already-exists") when the client id is taken; checkServiceRecord()'s refusals.
  virtual Result<ServiceRecord> createService(const ServiceRecord& service) = 0;
  // kNotFound ("not-found") when unknown.
  virtual Result<ServiceRecord> service(const std::string& clientId) = 0;
  // Every service, ordered by clientId.
  virtual Result<std::vector<ServiceRecord>> services() = 0;
  // Replaces every field but clientId/createdMs; succeeds only when `expectedVersion` is the
  // stored version (else kPreconditionFailed "version-conflict"); returns the new record
  // (version expectedVersion + 1, updatedMs = the store's clock). kNotFound ("not-found") when
  // unknown; checkServiceRecord()'s refusals.
  virtual Result<ServiceRecord> updateService(const ServiceRecord& service,
                                              int64_t expectedVersion) = 0;
};

// --- authorization codes ---------------------------------------------------------------------

struct AuthorizationCode {
  std::string handle;         // SHA-256 of the code
  std::string clientId;
  std::string redirectUri;
  std::string codeChallenge;  // S256 challenge
  std::string patientId;
  std::string scope;          // granted scope
  std::string nonce;          // OpenID nonce, may be empty
  int64_t expiresMs = 0;      // issued + 60 s
};

class AuthorizationCodeStore {
 public:
  virtual ~AuthorizationCodeStore() = default;
  // kConflict ("already-exists") when the handle is already stored.
  virtual Status putCode(const AuthorizationCode& code) = 0;
  // Atomically removes and returns the code: a second call with the same handle, on any
  // instance, gets kNotFound ("code-invalid"). An expired code is removed and kNotFound too.
  virtual Result<AuthorizationCode> consumeCode(const std::string& handle, int64_t nowMs) = 0;
  // Removes expired codes; returns how many.
  virtual Result<int64_t> purgeExpiredCodes(int64_t nowMs) = 0;
};

// --- refresh tokens --------------------------------------------------------------------------

// A family is the chain of refresh tokens issued from one authorization; each use rotates the
// token. Presenting a token that was already rotated is reuse: the whole family is revoked.
struct RefreshToken {
  std::string handle;     // SHA-256 of the token
  std::string familyId;
  std::string clientId;
  std::string patientId;
  std::string scope;      // scope of the tokens this refresh token may obtain
  int64_t issuedMs = 0;
  int64_t expiresMs = 0;
  // Filled by findRefreshToken only (ignored on writes): whether this token is its family's
  // live one, and whether the family has been revoked.
  bool live = false;
  bool familyRevoked = false;
};

enum class RefreshOutcome {
  kRotated,       // ok: `next` is now the family's live token
  kReused,        // the token was already rotated: the family is now revoked
  kRevoked,       // the family was revoked before (by reuse, the patient or the service)
  kExpired,
  kUnknown,
};

class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;
  // Starts a family with its first token. kConflict ("already-exists") when the family id or
  // the handle is already stored. An empty `first.handle` starts a family with no refresh
  // token: a grant without offline_access, whose access tokens still name a family that
  // revocation can end (familyLive).
  virtual Status createFamily(const RefreshToken& first) = 0;
  // True when the family exists and is not revoked. Checked on every authenticated request.
  virtual Result<bool> familyLive(const std::string& familyId) = 0;
  // One atomic step: when `presentedHandle` is the live token of a live family and not
  // expired, records `next` (same family, client and patient) as the live token and returns
  // kRotated with the presented token's record; otherwise returns the outcome without writing
  // anything except the revocation on reuse. `next.scope` may be narrower, never wider: the
  // caller checks that.
  // `next.clientId` is the authenticated client presenting the token: a token of another
  // client is kUnknown (nothing written). `next.familyId` and `next.patientId` are ignored:
  // the store takes them from the presented token. The checks run in this order: unknown,
  // revoked family, reuse of a rotated token (expired or not), expired. The presented token's
  // record comes with every outcome but kUnknown (empty then). kConflict ("already-exists")
  // when `next.handle` is already stored (nothing written).
  virtual Result<std::pair<RefreshOutcome, RefreshToken>> rotate(const std::string& presentedHandle,
                                                                 const RefreshToken& next,
                                                                 int64_t nowMs) = 0;
  // kNotFound ("not-found") when unknown; a revoked family stays revoked as it was (ok).
  virtual Status revokeFamily(const std::string& familyId, int64_t nowMs) = 0;
  // Revokes every family of a (patient, client) pairing; with an empty patientId, of the client.
  // Returns how many families this call revoked (those revoked before are not counted).
  virtual Result<int64_t> revokeFamiliesOf(const std::string& clientId,
                                           const std::string& patientId, int64_t nowMs) = 0;
  // The family of a token (live or rotated) — for RFC 7009 revocation; kNotFound when unknown.
  virtual Result<RefreshToken> findRefreshToken(const std::string& handle) = 0;
};

// --- replay cache ----------------------------------------------------------------------------

class ReplayCache {
 public:
  virtual ~ReplayCache() = default;
  // Records `key` (e.g. "<client_id>|<jti>") until `expiresMs`. Returns true the first time,
  // false when it is already recorded and not expired — atomically, across instances.
  virtual Result<bool> firstUse(const std::string& key, int64_t expiresMs, int64_t nowMs) = 0;
};

}  // namespace mes::store

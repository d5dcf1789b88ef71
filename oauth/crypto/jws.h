// Compact JWS / JWT (RFC 7515, RFC 7519): signing, syntax decoding, signature verification
// and registered-claim checks, as separate steps so that each caller (access tokens, client
// assertions, ID tokens) composes exactly the checks it needs:
//
//   Result<DecodedJwt> jwt = decodeJwt(token);            // syntax only, nothing trusted yet
//   PublicKey key = <select by jwt->kid and the issuer>;  // caller's policy
//   MES_RETURN_IF_ERROR(verifyJwt(*jwt, key, {JwsAlgorithm::kES256}));
//   MES_RETURN_IF_ERROR(checkClaims(jwt->claims, expectations));
//
// Every refusal is an Error of kind kUnauthorized with one of the stable codes below; the
// message is safe to show and never quotes the token, a claim value or key material.
//   token-malformed           not a compact JWS of JSON objects, too large, too deep, bad types
//   token-algorithm-refused   alg "none", an unsupported alg, or one not allowed for this use
//   token-signature-invalid   the signature does not verify with the given key
//   token-expired             now >= exp (+ leeway)
//   token-not-yet-valid       nbf or iat in the future (beyond leeway)
//   token-issuer-invalid      iss differs from the expected issuer
//   token-audience-invalid    aud does not name the expected audience
//   token-claim-missing       a required claim (iss, aud, exp, jti, sub) is absent
//   token-lifetime-too-long   exp is further ahead than the caller allows
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/json/value.h"
#include "oauth/crypto/keys.h"

namespace mes::oauth {

inline constexpr size_t kMaxJwtBytes = 16 * 1024;  // whole compact token
inline constexpr size_t kMaxJwtJsonDepth = 16;     // nesting inside header and claims

// Signs `claims` (a JSON object) as a compact JWS with the protected header
// {"alg":<alg>,"typ":<typ>,"kid":<kid>} ("kid" omitted when empty). typ is "JWT" by default;
// RFC 9068 access tokens use "at+jwt". Errors: kInternal when claims is not an object, the
// key does not support alg, or signing fails.
Result<std::string> signJwt(const fhir::Value& claims, const PrivateKey& key, JwsAlgorithm alg,
                            const std::string& kid, std::string_view typ = "JWT");

struct DecodedJwt {
  fhir::Value header;        // JSON object
  fhir::Value claims;        // JSON object
  std::string signingInput;  // "<header b64>.<payload b64>" exactly as received
  std::string signature;     // raw signature bytes
  JwsAlgorithm algorithm = JwsAlgorithm::kES256;  // from header "alg"
  std::string kid;                                // header "kid", empty when absent
};

// Syntax only — nothing in the result is trusted until verifyJwt succeeds. Refuses
// (token-malformed): more than kMaxJwtBytes, not exactly three non-empty base64url parts
// (strict base64url, see encoding.h), header or payload not a JSON object, JSON nested deeper
// than kMaxJwtJsonDepth or with duplicate member names, "kid" or "typ" not a string, a "crit"
// header (no extension is understood, RFC 7515 §4.1.11). Refuses (token-algorithm-refused):
// "alg" absent, not a string, "none" in any letter case, or not one of ES256/ES384/RS256/RS384.
Result<DecodedJwt> decodeJwt(std::string_view token);

// Checks that jwt.algorithm is in `allowed` and fits the key, then the signature.
// The caller chooses the key (by kid and issuer); this function does not look at "kid".
Status verifyJwt(const DecodedJwt& jwt, const PublicKey& key,
                 std::initializer_list<JwsAlgorithm> allowed);

struct ClaimExpectations {
  // Required (empty is a programming error and fails closed with kInternal): "iss" must equal
  // issuer; "aud" must equal audience, or be an array of strings containing it.
  std::string issuer;
  std::string audience;
  int64_t nowMs = 0;
  // Tolerated clock skew for exp, nbf, iat and the lifetime bound; clamped to [0, 60].
  int leewaySeconds = 0;
  bool requireExp = true;
  // When set, exp - now must not exceed it (+ leeway): e.g. 300 for client assertions
  // (implies requireExp).
  std::optional<int64_t> maxLifetimeSeconds;
  bool requireJti = false;  // "jti": non-empty string of at most 256 characters
  bool requireSub = false;  // "sub": non-empty string
};

// Checks the registered claims of an already verified token. Time claims (exp, nbf, iat)
// must be JSON numbers within [0, 253402300799] (year 9999) when present. Expired means
// now >= exp + leeway (RFC 7519 §4.1.4).
Status checkClaims(const fhir::Value& claims, const ClaimExpectations& expect);

}  // namespace mes::oauth

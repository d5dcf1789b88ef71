// Asymmetric keys for JWS (RFC 7515/7518): public keys from and to JWK (RFC 7517), key
// thumbprints (RFC 7638), signatures in the JOSE format.
//
// Supported: ES256 (P-256), ES384 (P-384), RS256 and RS384 (RSA, 2048 to 8192 bits, PKCS#1
// v1.5). Nothing else is accepted anywhere, so "none", HMAC and every algorithm we do not
// implement are refused by construction. A key is bound to its family: a P-256 key only
// does ES256, a P-384 key only ES384, an RSA key RS256/RS384 (no algorithm confusion).
//
// Keys are immutable handles to shared OpenSSL objects: copies are cheap, and one key may
// sign or verify from many threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/json/value.h"

namespace mes::oauth {

enum class JwsAlgorithm { kES256, kES384, kRS256, kRS384 };

// "ES256", "ES384", "RS256", "RS384".
std::string_view jwsAlgorithmName(JwsAlgorithm alg);
// Exact, case-sensitive match of one of the four names; nullopt for anything else
// (including "none", "HS256", "ES512", "es256").
std::optional<JwsAlgorithm> parseJwsAlgorithm(std::string_view name);

enum class KeyFamily { kEcP256, kEcP384, kRsa };

// True when a key of this family can be used with alg.
bool familySupports(KeyFamily family, JwsAlgorithm alg);

struct KeyFactory;  // keys.cpp only: builds keys from OpenSSL objects

// A public verification key. Errors from fromJwk are kInvalid with code "jwk-invalid" (bad
// structure or values) or "jwk-unsupported" (a key type, curve, size or algorithm we do not
// accept); their messages name the member at fault, never its value.
class PublicKey {
 public:
  // Reads a public JWK. EC: "kty":"EC", "crv" "P-256" or "P-384", "x" and "y" base64url of
  // exactly the coordinate size, a point on the curve. RSA: "kty":"RSA", "n" and "e"
  // base64url unsigned integers, modulus of 2048 to 8192 bits, odd exponent >= 3 of at most
  // 32 bits. Optional "kid" (string), "use" (must be "sig"), "key_ops" (must include
  // "verify"), "alg" (one of the four algorithms and fitting the key; verify() then accepts
  // only that algorithm). Refused: private members (d, p, q, dp, dq, qi, oth, k) — a JWK
  // that publishes its private key is compromised and must not authenticate anyone.
  // Other members are ignored (RFC 7517 §4).
  static Result<PublicKey> fromJwk(const fhir::Value& jwk);

  // Public members only: EC {kty, crv, x, y}, RSA {kty, n, e}, then kid, use, alg when set.
  fhir::Value toJwk() const;

  // RFC 7638 thumbprint: base64url(SHA-256(canonical JSON of the required members)).
  const std::string& thumbprint() const;

  KeyFamily family() const;
  bool supports(JwsAlgorithm alg) const;

  // Checks a JOSE signature over signingInput. ECDSA signatures are r||s, each exactly the
  // coordinate size (64 bytes for ES256, 96 for ES384); RSA ones are the modulus size.
  // kUnauthorized "token-algorithm-refused" when alg does not fit the key (or its "alg"),
  // kUnauthorized "token-signature-invalid" when the signature does not verify.
  Status verify(JwsAlgorithm alg, std::string_view signingInput, std::string_view signature) const;

  const std::string& kid() const { return kid_; }
  const std::optional<JwsAlgorithm>& algorithm() const { return alg_; }
  const std::string& use() const { return use_; }
  // Metadata carried into toJwk(); they do not change the key itself or its thumbprint.
  PublicKey withKid(std::string kid) const;
  PublicKey withAlgorithm(JwsAlgorithm alg) const;
  PublicKey withUse(std::string use) const;

  struct Impl;  // OpenSSL objects; defined in keys.cpp only

 private:
  friend struct KeyFactory;
  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
  std::string kid_;
  std::optional<JwsAlgorithm> alg_;
  std::string use_;
};

// A private signing key. Never printed or logged; errors never contain key material.
class PrivateKey {
 public:
  // A new P-256 key (ES256): what the gateway signs its tokens with.
  static Result<PrivateKey> generateEs256();
  // A new P-384 key (ES384). Used by tests and the conformance harness to act as a client.
  static Result<PrivateKey> generateEs384();
  // A new RSA key of `bits` in [2048, 8192] (RS256/RS384). Tests and conformance harness.
  static Result<PrivateKey> generateRsa(int bits);

  // Reads one unencrypted PKCS#8 PEM block ("-----BEGIN PRIVATE KEY-----"), optionally
  // surrounded by whitespace. Refused with kInvalid and a message without key bytes:
  // "key-invalid" for other PEM types (encrypted, traditional "EC PRIVATE KEY"/"RSA PRIVATE
  // KEY"), trailing content, undecodable or inconsistent keys; "key-unsupported" for
  // well-formed keys outside the supported families (Ed25519, P-521, RSA < 2048 bits...).
  static Result<PrivateKey> fromPem(std::string_view pem);
  // Unencrypted PKCS#8 PEM. The caller owns the secret text: store it 0600, never log it.
  Result<std::string> toPem() const;

  PublicKey publicKey() const;
  KeyFamily family() const;
  bool supports(JwsAlgorithm alg) const;

  // JOSE signature over signingInput (see PublicKey::verify for the format).
  // kInternal "token-algorithm-refused" when alg does not fit the key (a programming error);
  // kInternal "internal-error" if OpenSSL fails.
  Result<std::string> sign(JwsAlgorithm alg, std::string_view signingInput) const;

  struct Impl;

 private:
  friend struct KeyFactory;
  explicit PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<const Impl> impl_;
};

}  // namespace mes::oauth

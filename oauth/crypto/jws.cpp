#include "oauth/crypto/jws.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "fhir/json/json.h"
#include "oauth/crypto/encoding.h"

namespace mes::oauth {
namespace {

constexpr double kMaxNumericDate = 253402300799.0;  // 9999-12-31T23:59:59Z
constexpr size_t kMaxJtiLength = 256;

Error tokenError(const char* code, std::string message, std::string detail = {}) {
  Error e = Error::make(ErrorKind::kUnauthorized, code, std::move(message));
  e.detail = std::move(detail);
  return e;
}

Error malformed(std::string message, std::string detail = {}) {
  return tokenError("token-malformed", std::move(message), std::move(detail));
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<fhir::Value> decodeJsonPart(std::string_view part, const char* what) {
  Result<std::string> json = base64UrlDecode(part);
  if (!json) return malformed(std::string("The token ") + what + " is not base64url.");
  fhir::ParseLimits limits;
  limits.maxDepth = kMaxJwtJsonDepth;
  limits.maxBytes = kMaxJwtBytes;
  Result<fhir::Value> value = fhir::parseJson(*json, limits);
  if (!value) {
    return malformed(
        std::string("The token ") + what + " is not valid JSON.",
        value.error().problems.empty() ? std::string() : value.error().problems.front().code);
  }
  if (!value->isObject())
    return malformed(std::string("The token ") + what + " is not a JSON object.");
  return value;
}

// Reads a NumericDate claim as milliseconds; nullopt when absent.
Result<std::optional<int64_t>> numericDateMs(const fhir::Value& claims, const char* name) {
  const fhir::Value* v = claims.find(name);
  if (v == nullptr) return std::optional<int64_t>();
  std::optional<double> seconds = v->isNumber() ? v->asDouble() : std::nullopt;
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds > kMaxNumericDate) {
    return malformed(std::string("The token claim \"") + name + "\" is not a valid NumericDate.");
  }
  return std::optional<int64_t>(static_cast<int64_t>(std::floor(*seconds * 1000.0)));
}

Error claimMissing(const char* name) {
  return tokenError("token-claim-missing", std::string("The token has no \"") + name + "\" claim.");
}

}  // namespace

Result<std::string> signJwt(const fhir::Value& claims, const PrivateKey& key, JwsAlgorithm alg,
                            const std::string& kid, std::string_view typ) {
  if (!claims.isObject()) return Error::internal("signJwt: claims must be a JSON object");
  fhir::Value header = fhir::Value::object();
  header.set("alg", fhir::Value::string(std::string(jwsAlgorithmName(alg))));
  header.set("typ", fhir::Value::string(std::string(typ)));
  if (!kid.empty()) header.set("kid", fhir::Value::string(kid));
  std::string signingInput =
      base64UrlEncode(fhir::toJson(header)) + "." + base64UrlEncode(fhir::toJson(claims));
  Result<std::string> signature = key.sign(alg, signingInput);
  if (!signature) return signature.takeError();
  return signingInput + "." + base64UrlEncode(*signature);
}

Result<DecodedJwt> decodeJwt(std::string_view token) {
  if (token.empty()) return malformed("The token is empty.");
  if (token.size() > kMaxJwtBytes) return malformed("The token is too large.");
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("The token is not a compact JWS (three dot-separated parts).");
  }
  std::string_view headerPart = token.substr(0, dot1);
  std::string_view payloadPart = token.substr(dot1 + 1, dot2 - dot1 - 1);
  std::string_view signaturePart = token.substr(dot2 + 1);
  if (headerPart.empty()) return malformed("The token has an empty header.");

  // The header (and its "alg") is checked before the other parts, so that an unsigned token
  // (empty signature) is refused for what it is.
  DecodedJwt out;
  Result<fhir::Value> header = decodeJsonPart(headerPart, "header");
  if (!header) return header.takeError();
  out.header = std::move(*header);

  const fhir::Value* alg = out.header.find("alg");
  if (alg == nullptr || !alg->isString()) {
    return tokenError("token-algorithm-refused", "The token header has no \"alg\".");
  }
  if (equalsIgnoreCase(alg->text(), "none")) {
    return tokenError("token-algorithm-refused", "Unsigned tokens (alg \"none\") are refused.");
  }
  std::optional<JwsAlgorithm> parsed = parseJwsAlgorithm(alg->text());
  if (!parsed) {
    return tokenError("token-algorithm-refused",
                      "The token algorithm is not accepted (ES256, ES384, RS256, RS384 only).");
  }
  out.algorithm = *parsed;
  if (out.header.find("crit") != nullptr) {
    return malformed("The token header has critical extensions, which are not supported.");
  }
  if (const fhir::Value* kid = out.header.find("kid"); kid != nullptr) {
    if (!kid->isString()) return malformed("The token header \"kid\" is not a string.");
    out.kid = kid->text();
  }
  if (const fhir::Value* typ = out.header.find("typ"); typ != nullptr && !typ->isString()) {
    return malformed("The token header \"typ\" is not a string.");
  }

  if (payloadPart.empty() || signaturePart.empty()) {
    return malformed("The token has an empty payload or signature.");
  }
  Result<fhir::Value> claims = decodeJsonPart(payloadPart, "payload");
  if (!claims) return claims.takeError();
  out.claims = std::move(*claims);

  Result<std::string> signature = base64UrlDecode(signaturePart);
  if (!signature) return malformed("The token signature is not base64url.");
  out.signature = std::move(*signature);
  out.signingInput = std::string(token.substr(0, dot2));
  return out;
}

Status verifyJwt(const DecodedJwt& jwt, const PublicKey& key,
                 std::initializer_list<JwsAlgorithm> allowed) {
  if (std::find(allowed.begin(), allowed.end(), jwt.algorithm) == allowed.end()) {
    return tokenError("token-algorithm-refused", "The token algorithm is not accepted here.");
  }
  return key.verify(jwt.algorithm, jwt.signingInput, jwt.signature);
}

Status checkClaims(const fhir::Value& claims, const ClaimExpectations& expect) {
  if (expect.issuer.empty() || expect.audience.empty()) {
    return Error::internal("checkClaims: issuer and audience expectations are required");
  }
  if (!claims.isObject()) return malformed("The token claims are not a JSON object.");
  const int64_t leewayMs = int64_t{std::clamp(expect.leewaySeconds, 0, 60)} * 1000;
  const int64_t now = expect.nowMs;

  // Issuer.
  const fhir::Value* iss = claims.find("iss");
  if (iss == nullptr) return claimMissing("iss");
  if (!iss->isString()) return malformed("The token claim \"iss\" is not a string.");
  if (iss->text() != expect.issuer) {
    return tokenError("token-issuer-invalid", "The token was not issued by the expected issuer.");
  }

  // Audience.
  const fhir::Value* aud = claims.find("aud");
  if (aud == nullptr) return claimMissing("aud");
  bool audienceOk = false;
  if (aud->isString()) {
    audienceOk = aud->text() == expect.audience;
  } else if (aud->isArray()) {
    for (const fhir::Value& item : aud->items()) {
      if (!item.isString()) return malformed("The token claim \"aud\" has a non-string item.");
      audienceOk = audienceOk || item.text() == expect.audience;
    }
  } else {
    return malformed("The token claim \"aud\" is not a string or an array of strings.");
  }
  if (!audienceOk) {
    return tokenError("token-audience-invalid", "The token is not meant for this audience.");
  }

  // Time claims.
  Result<std::optional<int64_t>> exp = numericDateMs(claims, "exp");
  if (!exp) return exp.takeError();
  Result<std::optional<int64_t>> nbf = numericDateMs(claims, "nbf");
  if (!nbf) return nbf.takeError();
  Result<std::optional<int64_t>> iat = numericDateMs(claims, "iat");
  if (!iat) return iat.takeError();
  if (!exp->has_value() && (expect.requireExp || expect.maxLifetimeSeconds)) {
    return claimMissing("exp");
  }
  if (exp->has_value() && now >= **exp + leewayMs) {
    return tokenError("token-expired", "The token has expired.");
  }
  if (nbf->has_value() && now + leewayMs < **nbf) {
    return tokenError("token-not-yet-valid", "The token is not valid yet.");
  }
  if (iat->has_value() && now + leewayMs < **iat) {
    return tokenError("token-not-yet-valid", "The token was issued in the future.");
  }
  if (expect.maxLifetimeSeconds &&
      **exp - now > std::max<int64_t>(*expect.maxLifetimeSeconds, 0) * 1000 + leewayMs) {
    return tokenError("token-lifetime-too-long",
                      "The token expires too far in the future (at most " +
                          std::to_string(*expect.maxLifetimeSeconds) + " seconds allowed).");
  }

  // Identifiers.
  if (expect.requireJti) {
    const fhir::Value* jti = claims.find("jti");
    if (jti == nullptr) return claimMissing("jti");
    if (!jti->isString() || jti->text().empty() || jti->text().size() > kMaxJtiLength) {
      return malformed(
          "The token claim \"jti\" must be a non-empty string of at most 256 "
          "characters.");
    }
  }
  if (expect.requireSub) {
    const fhir::Value* sub = claims.find("sub");
    if (sub == nullptr) return claimMissing("sub");
    if (!sub->isString() || sub->text().empty()) {
      return malformed("The token claim \"sub\" must be a non-empty string.");
    }
  }
  return Status::ok();
}

}  // namespace mes::oauth

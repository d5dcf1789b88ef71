#include "conformance/server/tokens.h"

#include "conformance/server/checks.h"
#include "fhir/json/json.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/jws.h"
#include "oauth/crypto/keys.h"

namespace mes::conformance::server {

using fhir::Value;

JwtParts readJwt(TestScope& t, const std::string& token, std::string_view what) {
  JwtParts out;
  const size_t first = token.find('.');
  const size_t second = first == std::string::npos ? first : token.find('.', first + 1);
  t.expect(second != std::string::npos && token.find('.', second + 1) == std::string::npos,
           std::string(what) + " as a compact JWS (three parts)", "another shape");
  out.headerPart = token.substr(0, first);
  out.payloadPart = token.substr(first + 1, second - first - 1);
  out.signaturePart = token.substr(second + 1);
  Result<std::string> header = oauth::base64UrlDecode(out.headerPart);
  Result<std::string> payload = oauth::base64UrlDecode(out.payloadPart);
  Result<Value> h = header ? fhir::parseJson(*header) : Result<Value>(header.takeError());
  Result<Value> p = payload ? fhir::parseJson(*payload) : Result<Value>(payload.takeError());
  t.expect(h && h->isObject() && p && p->isObject(),
           std::string(what) + " with a JSON header and JSON claims", "undecodable parts");
  out.header = std::move(h).value();
  out.claims = std::move(p).value();
  return out;
}

void expectSignedByGateway(ServerContext& ctx, TestScope& t, const std::string& token,
                           std::string_view what) {
  Result<oauth::DecodedJwt> jwt = oauth::decodeJwt(token);
  t.expect(jwt.isOk(), std::string(what) + " decodable as a JWS",
           jwt ? std::string() : jwt.error().problems.front().message);
  t.expect(jwt->algorithm == oauth::JwsAlgorithm::kES256, std::string(what) + " signed with ES256",
           std::string(oauth::jwsAlgorithmName(jwt->algorithm)));
  http::ClientRequest request{"GET", ctx.endpoint(t, "jwks_uri"), {}, {}};
  request.headers.add("Accept", "application/json");
  const http::ClientResponse r = t.send(request);
  const Value jwks = expectJson(t, r, "the JWK Set");
  const Value* keys = jwks.find("keys");
  if (keys != nullptr && keys->isArray()) {
    for (const Value& jwk : keys->items()) {
      if (stringAt(jwk, "kid") != jwt->kid) continue;
      Result<oauth::PublicKey> key = oauth::PublicKey::fromJwk(jwk);
      if (!key) continue;
      Status verified = oauth::verifyJwt(*jwt, *key, {oauth::JwsAlgorithm::kES256});
      t.expect(verified.isOk(),
               std::string(what) + " whose signature verifies with the JWKS key " + jwt->kid,
               verified ? std::string() : verified.error().problems.front().message);
      return;
    }
  }
  t.fail("Expected the JWK Set to hold the key " + jwt->kid + " that " + std::string(what) +
         " names; it does not.");
}

std::string unsignedCopy(const JwtParts& jwt) {
  Value header = jwt.header;
  header.set("alg", Value::string("none"));
  return oauth::base64UrlEncode(fhir::toJson(header)) + "." + jwt.payloadPart + ".";
}

std::string forgedCopy(TestScope& t, const JwtParts& jwt) {
  Result<oauth::PrivateKey> key = oauth::PrivateKey::generateEs256();
  if (!key) t.error("The harness could not make a key to forge a token.");
  const std::string* kid = jwt.header.findString("kid");
  const std::string* typ = jwt.header.findString("typ");
  Result<std::string> forged = oauth::signJwt(jwt.claims, *key, oauth::JwsAlgorithm::kES256,
                                              kid != nullptr ? *kid : std::string(),
                                              typ != nullptr ? *typ : std::string("JWT"));
  if (!forged) t.error("The harness could not sign a forged token.");
  return *forged;
}

}  // namespace mes::conformance::server

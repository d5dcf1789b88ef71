// libFuzzer target: decodeJwt, verifyJwt and checkClaims (oauth/crypto/jws.h), fed a compact
// token as an Authorization header or a client_assertion would bring it.
//
// Each input is tried twice:
//  1. as the token itself;
//  2. as "<header JSON>\n<payload JSON>\n<signature bytes>", each part base64url-encoded and
//     joined with dots, so that the fuzzer reaches the JSON checks without having to produce
//     base64url (parts missing from the input are left empty).
// Checked on every token:
//  - a refusal is kUnauthorized with token-malformed or token-algorithm-refused and a message;
//  - an accepted token is at most kMaxJwtBytes; its header and claims are JSON objects; the
//    header "alg" is the decoded algorithm (never "none"), "kid" the decoded kid, no "crit";
//    signingInput is the first two parts exactly; the third part is the canonical base64url
//    of the signature;
//  - verifyJwt refuses it — a random input never carries a valid signature — with a fixed
//    ES256 key (generated once) allowing ES256 (token-algorithm-refused when the token says
//    otherwise, else token-signature-invalid), and with a fixed key of the token's own family
//    (ES256, ES384 or RSA-2048) allowing every algorithm (token-signature-invalid);
//  - checkClaims does not crash, under a few sets of expectations: it either accepts, and then
//    iss, aud, exp, jti and sub are as required, or refuses with one of the documented codes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/jws.h"
#include "oauth/crypto/keys.h"

namespace {

using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::fhir::Value;
using mes::fuzz::describe;
using mes::fuzz::printable;
using mes::oauth::ClaimExpectations;
using mes::oauth::DecodedJwt;
using mes::oauth::JwsAlgorithm;
using mes::oauth::PrivateKey;
using mes::oauth::PublicKey;

constexpr int64_t kNowMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z, as in tests/oauth
constexpr std::string_view kIssuer = "https://mes.example/";
constexpr std::string_view kAudience = "https://mes.example/fhir";

struct Keys {
  PublicKey es256;
  PublicKey es384;
  PublicKey rsa;
};

PublicKey generated(Result<PrivateKey> key, const char* what) {
  MES_FUZZ_CHECK(key.isOk(), std::string("cannot generate the fixed ") + what + " key");
  return key->publicKey();
}

const Keys& keys() {
  static const Keys k{generated(PrivateKey::generateEs256(), "ES256"),
                      generated(PrivateKey::generateEs384(), "ES384"),
                      generated(PrivateKey::generateRsa(2048), "RSA")};
  return k;
}

const PublicKey& keyFor(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return keys().es256;
    case JwsAlgorithm::kES384:
      return keys().es384;
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kRS384:
      return keys().rsa;
  }
  return keys().es256;
}

void checkRefused(const Status& s, std::initializer_list<std::string_view> codes,
                  const std::string& what) {
  MES_FUZZ_CHECK(!s.isOk(), what + ": accepted");
  bool known = false;
  for (std::string_view c : codes) known = known || s.error().code() == c;
  MES_FUZZ_CHECK(s.error().kind == ErrorKind::kUnauthorized && known,
                 what + ": " + describe(s.error()));
  MES_FUZZ_CHECK(s.error().problems.size() == 1 && !s.error().problems.front().message.empty(),
                 what + ": " + describe(s.error()));
}

void checkClaimsUnder(const Value& claims, const ClaimExpectations& e, const std::string& token) {
  Status s = mes::oauth::checkClaims(claims, e);
  const std::string what = "checkClaims on " + printable(token);
  if (!s.isOk()) {
    checkRefused(s,
                 {"token-malformed", "token-expired", "token-not-yet-valid", "token-issuer-invalid",
                  "token-audience-invalid", "token-claim-missing", "token-lifetime-too-long"},
                 what);
    return;
  }
  const std::string* iss = claims.findString("iss");
  MES_FUZZ_CHECK(iss != nullptr && *iss == e.issuer, what + ": accepted another issuer");
  const Value* aud = claims.find("aud");
  MES_FUZZ_CHECK(aud != nullptr, what + ": accepted without aud");
  bool audience = aud->isString() && aud->text() == e.audience;
  for (const Value& item : aud->items()) audience = audience || item.text() == e.audience;
  MES_FUZZ_CHECK(audience, what + ": accepted another audience");
  const Value* exp = claims.find("exp");
  if (e.requireExp || e.maxLifetimeSeconds) {
    MES_FUZZ_CHECK(exp != nullptr, what + ": accepted without exp");
  }
  if (exp != nullptr) {
    const std::optional<double> seconds = exp->asDouble();
    MES_FUZZ_CHECK(seconds && *seconds * 1000.0 + e.leewaySeconds * 1000.0 > double(e.nowMs) - 1,
                   what + ": accepted an expired token");
    if (e.maxLifetimeSeconds) {
      MES_FUZZ_CHECK(*seconds * 1000.0 - double(e.nowMs) <=
                         double(*e.maxLifetimeSeconds + e.leewaySeconds) * 1000.0 + 1,
                     what + ": accepted a lifetime over the maximum");
    }
  }
  if (e.requireJti) {
    const std::string* jti = claims.findString("jti");
    MES_FUZZ_CHECK(jti != nullptr && !jti->empty() && jti->size() <= 256,
                   what + ": accepted a bad jti");
  }
  if (e.requireSub) {
    const std::string* sub = claims.findString("sub");
    MES_FUZZ_CHECK(sub != nullptr && !sub->empty(), what + ": accepted a bad sub");
  }
}

void checkToken(std::string_view token) {
  Result<DecodedJwt> jwt = mes::oauth::decodeJwt(token);
  if (!jwt) {
    checkRefused(jwt.status(), {"token-malformed", "token-algorithm-refused"},
                 "decodeJwt(" + printable(token) + ")");
    return;
  }
  const std::string what = "decodeJwt accepted " + printable(token);
  MES_FUZZ_CHECK(token.size() <= mes::oauth::kMaxJwtBytes, what + ": too large");
  MES_FUZZ_CHECK(jwt->header.isObject() && jwt->claims.isObject(),
                 what + ": header or claims not an object");
  const std::string* alg = jwt->header.findString("alg");
  MES_FUZZ_CHECK(alg != nullptr && mes::oauth::parseJwsAlgorithm(*alg) == jwt->algorithm,
                 what + ": algorithm is not the header's alg");
  MES_FUZZ_CHECK(jwt->header.find("crit") == nullptr, what + ": crit accepted");
  const std::string* kid = jwt->header.findString("kid");
  MES_FUZZ_CHECK(
      kid != nullptr ? *kid == jwt->kid : jwt->kid.empty() && jwt->header.find("kid") == nullptr,
      what + ": kid " + printable(jwt->kid));

  const size_t dot = token.rfind('.');
  MES_FUZZ_CHECK(dot != std::string_view::npos && jwt->signingInput == token.substr(0, dot),
                 what + ": signingInput " + printable(jwt->signingInput));
  MES_FUZZ_CHECK(std::count(jwt->signingInput.begin(), jwt->signingInput.end(), '.') == 1,
                 what + ": signingInput is not two parts");
  MES_FUZZ_CHECK(mes::oauth::base64UrlEncode(jwt->signature) == token.substr(dot + 1),
                 what + ": the signature part is not the canonical encoding of the signature");
  MES_FUZZ_CHECK(!jwt->signature.empty(), what + ": empty signature");

  // No random input is signed by a key generated in this process.
  const bool es256 = jwt->algorithm == JwsAlgorithm::kES256;
  checkRefused(mes::oauth::verifyJwt(*jwt, keys().es256, {JwsAlgorithm::kES256}),
               {es256 ? "token-signature-invalid" : "token-algorithm-refused"},
               what + ", verifyJwt with the fixed ES256 key");
  checkRefused(mes::oauth::verifyJwt(*jwt, keyFor(jwt->algorithm),
                                     {JwsAlgorithm::kES256, JwsAlgorithm::kES384,
                                      JwsAlgorithm::kRS256, JwsAlgorithm::kRS384}),
               {"token-signature-invalid"},
               what + ", verifyJwt with a fixed " +
                   std::string(mes::oauth::jwsAlgorithmName(jwt->algorithm)) + " key");

  ClaimExpectations e;
  e.issuer = std::string(kIssuer);
  e.audience = std::string(kAudience);
  e.nowMs = kNowMs;
  checkClaimsUnder(jwt->claims, e, std::string(token));
  e.leewaySeconds = 60;
  e.requireExp = false;
  checkClaimsUnder(jwt->claims, e, std::string(token));
  e.leewaySeconds = 30;
  e.requireExp = true;
  e.maxLifetimeSeconds = 300;  // client assertions
  e.requireJti = true;
  e.requireSub = true;
  checkClaimsUnder(jwt->claims, e, std::string(token));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  checkToken(input);

  const size_t nl1 = input.find('\n');
  const size_t nl2 = nl1 == std::string_view::npos ? nl1 : input.find('\n', nl1 + 1);
  const std::string_view header = input.substr(0, nl1);
  const std::string_view payload =
      nl1 == std::string_view::npos ? std::string_view() : input.substr(nl1 + 1, nl2 - nl1 - 1);
  const std::string_view signature =
      nl2 == std::string_view::npos ? std::string_view() : input.substr(nl2 + 1);
  checkToken(mes::oauth::base64UrlEncode(header) + "." + mes::oauth::base64UrlEncode(payload) +
             "." + mes::oauth::base64UrlEncode(signature));
  return 0;
}

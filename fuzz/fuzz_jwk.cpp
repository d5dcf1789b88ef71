// libFuzzer target: PublicKey::fromJwk (oauth/crypto/keys.h) on the JSON text of a JWK, as a
// client registration or a JWKS document would bring it (parseJson first, fhir/json/json.h).
//
// Checked on every input that parses as JSON:
//  - a refusal is kInvalid "jwk-invalid" or "jwk-unsupported" with one Problem and a message;
//  - an accepted key publishes no private member; toJwk() is an object whose "kty"/"crv" match
//    the key's family, whose "kid", "use" and "alg" are the key's; it goes back through
//    fromJwk — directly and as toJson text — to a key with the same thumbprint, family, kid,
//    use and algorithm, whose toJwk() is the same again;
//  - the thumbprint is 43 characters of base64url (a SHA-256);
//  - the key refuses a signature that is all zero bytes of the right size for every algorithm
//    it supports, and refuses the others with token-algorithm-refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fuzz/fuzz_check.h"
#include "oauth/crypto/encoding.h"
#include "oauth/crypto/keys.h"

namespace {

using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::fhir::Value;
using mes::fuzz::describe;
using mes::fuzz::printable;
using mes::oauth::JwsAlgorithm;
using mes::oauth::KeyFamily;
using mes::oauth::PublicKey;

constexpr JwsAlgorithm kAlgorithms[] = {JwsAlgorithm::kES256, JwsAlgorithm::kES384,
                                        JwsAlgorithm::kRS256, JwsAlgorithm::kRS384};

void checkRefusal(const mes::Error& error, const std::string& what) {
  const bool known = error.kind == ErrorKind::kInvalid &&
                     (error.code() == "jwk-invalid" || error.code() == "jwk-unsupported");
  MES_FUZZ_CHECK(known, what + ": " + describe(error));
  MES_FUZZ_CHECK(error.problems.size() == 1 && !error.problems.front().message.empty(),
                 what + ": " + describe(error));
}

void checkSameKey(const PublicKey& a, const PublicKey& b, const std::string& what) {
  MES_FUZZ_CHECK(a.thumbprint() == b.thumbprint(),
                 what + ": thumbprint " + a.thumbprint() + " became " + b.thumbprint());
  MES_FUZZ_CHECK(a.family() == b.family(), what + ": family changed");
  MES_FUZZ_CHECK(a.kid() == b.kid(),
                 what + ": kid " + printable(a.kid()) + " became " + printable(b.kid()));
  MES_FUZZ_CHECK(a.use() == b.use(), what + ": use changed");
  MES_FUZZ_CHECK(a.algorithm() == b.algorithm(), what + ": alg changed");
  MES_FUZZ_CHECK(a.toJwk() == b.toJwk(), what + ": toJwk " + mes::fhir::toJson(a.toJwk()) +
                                             " became " + mes::fhir::toJson(b.toJwk()));
}

size_t signatureSize(const PublicKey& key, JwsAlgorithm alg, const Value& jwk) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return 64;
    case JwsAlgorithm::kES384:
      return 96;
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kRS384:
      break;
  }
  if (key.family() != KeyFamily::kRsa) return 64;
  // The modulus size in bytes, from the canonical (minimal) "n".
  Result<std::string> n = mes::oauth::base64UrlDecode(*jwk.findString("n"));
  return n ? n->size() : 0;
}

void checkKey(const PublicKey& key, const std::string& what) {
  const Value jwk = key.toJwk();
  MES_FUZZ_CHECK(jwk.isObject(), what + ": toJwk is not an object");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    MES_FUZZ_CHECK(jwk.find(secret) == nullptr, what + ": toJwk publishes \"" + secret + "\"");
  }
  const std::string* kty = jwk.findString("kty");
  const std::string* crv = jwk.findString("crv");
  switch (key.family()) {
    case KeyFamily::kEcP256:
      MES_FUZZ_CHECK(kty && *kty == "EC" && crv && *crv == "P-256", what + ": not EC P-256");
      break;
    case KeyFamily::kEcP384:
      MES_FUZZ_CHECK(kty && *kty == "EC" && crv && *crv == "P-384", what + ": not EC P-384");
      break;
    case KeyFamily::kRsa:
      MES_FUZZ_CHECK(
          kty && *kty == "RSA" && crv == nullptr && jwk.findString("n") && jwk.findString("e"),
          what + ": not RSA");
      break;
  }
  const std::string* kid = jwk.findString("kid");
  MES_FUZZ_CHECK(key.kid().empty() ? kid == nullptr : kid && *kid == key.kid(),
                 what + ": toJwk kid");
  const std::string* use = jwk.findString("use");
  MES_FUZZ_CHECK(key.use().empty() ? use == nullptr : use && *use == "sig", what + ": toJwk use");
  const std::string* alg = jwk.findString("alg");
  MES_FUZZ_CHECK(key.algorithm() ? alg && mes::oauth::parseJwsAlgorithm(*alg) == key.algorithm()
                                 : alg == nullptr,
                 what + ": toJwk alg");

  const std::string& thumbprint = key.thumbprint();
  Result<std::string> digest = mes::oauth::base64UrlDecode(thumbprint);
  MES_FUZZ_CHECK(thumbprint.size() == 43 && digest && digest->size() == 32,
                 what + ": thumbprint " + printable(thumbprint));

  Result<PublicKey> again = PublicKey::fromJwk(jwk);
  MES_FUZZ_CHECK(again.isOk(), what + ": its toJwk " + mes::fhir::toJson(jwk) + " is refused\n" +
                                   (again ? std::string() : describe(again.error())));
  checkSameKey(key, *again, what + ", toJwk then fromJwk");

  const std::string text = mes::fhir::toJson(jwk);
  Result<Value> reparsed = mes::fhir::parseJson(text);
  MES_FUZZ_CHECK(reparsed.isOk(), what + ": toJson(toJwk) " + printable(text) + " is not JSON");
  Result<PublicKey> fromText = PublicKey::fromJwk(*reparsed);
  MES_FUZZ_CHECK(fromText.isOk(), what + ": toJson(toJwk) " + printable(text) + " is refused");
  checkSameKey(key, *fromText, what + ", through toJson text");

  for (JwsAlgorithm a : kAlgorithms) {
    const std::string zeros(signatureSize(key, a, jwk), '\0');
    Status s = key.verify(a, "eyJhbGciOiJFUzI1NiJ9.e30", zeros);
    MES_FUZZ_CHECK(!s.isOk(), what + ": an all-zero signature verifies");
    const char* expected = key.supports(a) ? "token-signature-invalid" : "token-algorithm-refused";
    MES_FUZZ_CHECK(s.error().kind == ErrorKind::kUnauthorized && s.error().code() == expected,
                   what + ", verify " + std::string(mes::oauth::jwsAlgorithmName(a)) + ": " +
                       describe(s.error()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<Value> json = mes::fhir::parseJson(text);
  if (!json) return 0;  // fuzz_json covers the JSON parser

  Result<PublicKey> key = PublicKey::fromJwk(*json);
  const std::string what = "fromJwk(" + printable(text.substr(0, 600)) + ")";
  if (!key) {
    checkRefusal(key.error(), what);
    return 0;
  }
  checkKey(*key, what);
  return 0;
}
